//! `POST /api/auth/delete-user`: delete the caller's account, with its sessions, accounts and
//! tasks. Off unless `user.deleteUser.enabled` (a bare 404, as Better Auth answers). The caller
//! proves it is them with the password, a token from the deletion mail, or a fresh session;
//! with `sendDeleteAccountVerification` the deletion waits for the mailed link instead.

use serde::Deserialize;
use shared::better_auth::body::{self, Expect, Field, Schema};
use shared::better_auth::origin::{self, Route};
use shared::better_auth::{
    cookies, emails, endpoint, errors, password, sessions, users, verification,
};
use shared::http::{StatusCode, ok_json, set_cookies};
use shared::serde_json::json;
use shared::{Body, Endpoint, Request, Response, Result, State};

/// The fixture's cookie is signed with a placeholder secret: 401.
pub const ENDPOINT: Endpoint = endpoint(401);

#[derive(Deserialize)]
pub struct DeleteUser {
    #[serde(rename = "callbackURL")]
    pub callback_url: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
}

impl Schema for DeleteUser {
    const FIELDS: &'static [Field] = &[
        Field::optional("callbackURL", Expect::String),
        Field::optional("password", Expect::String),
        Field::optional("token", Expect::String),
    ];
}

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    origin::check_post(&state.config, &request, Route::Other)?;
    // The client sends no body when deleteUser() is called without arguments.
    let body: DeleteUser = body::parse_optional(&request)?;
    if let Some(url) = &body.callback_url {
        origin::check_callback_url(&state.config, url)?;
    }
    let active = sessions::require_session(state, &request).await?;
    let options = &state.config.options.user.delete_user;
    if !options.enabled {
        shared::tracing::error!("delete-user was called, but user.deleteUser.enabled is off");
        return Err(errors::bare_status(StatusCode::NOT_FOUND));
    }
    let user = &active.user;
    let password = body.password.filter(|password| !password.is_empty());
    let has_password = password.is_some();
    if let Some(password) = password {
        if password::is_too_long(&password, &state.config.options.email_and_password) {
            return Err(errors::PASSWORD_TOO_LONG.into());
        }
        let Some(stored) = users::credential_hash(&state.db, &user.id).await? else {
            return Err(errors::CREDENTIAL_ACCOUNT_NOT_FOUND.into());
        };
        if !password::verify(password, Some(stored), state.config.password_hashing).await? {
            return Err(errors::INVALID_PASSWORD.into());
        }
    }
    if let Some(token) = body.token.filter(|token| !token.is_empty()) {
        if !verification::consume_delete_token(&state.db, &token, &user.id).await? {
            return Err(errors::INVALID_TOKEN
                .with_status(StatusCode::NOT_FOUND)
                .into());
        }
        return deleted(state, &user.id, "with the mailed token").await;
    }
    if options.send_delete_account_verification {
        let lifetime = state.config.options.delete_token_lifetime();
        let token = verification::create_delete_token(&state.db, &user.id, lifetime).await?;
        emails::send_delete_account_verification(state, user, &token, body.callback_url.as_deref())
            .await;
        shared::tracing::info!("account deletion: confirmation mailed");
        return Ok(ok_json(
            &json!({ "success": true, "message": "Verification email sent" }),
        ));
    }
    if !has_password && !sessions::is_fresh(&active.session, state.config.options.fresh_age()) {
        return Err(errors::SESSION_EXPIRED.into());
    }
    deleted(
        state,
        &user.id,
        if has_password {
            "with the password"
        } else {
            "with a fresh session"
        },
    )
    .await
}

/// Deletes the user and answers as Better Auth does, clearing the session cookies.
async fn deleted(state: &State, user_id: &str, how: &str) -> Result<Response<Body>> {
    users::delete_user(&state.db, user_id).await?;
    shared::tracing::info!(proof = how, "account deleted");
    let mut response = ok_json(&json!({ "success": true, "message": "User deleted" }));
    set_cookies(&mut response, cookies::clearing_cookies(&state.config));
    Ok(response)
}
