//! `POST /api/auth/change-password`: set a new password, given the current one. With
//! `revokeOtherSessions`, every session of the user ends and a new one (with its cookie) takes
//! the caller's place; its token is in the answer.

use serde::Deserialize;
use shared::better_auth::body::{self, Expect, Field, Schema};
use shared::better_auth::origin::{self, Route};
use shared::better_auth::sessions::{self, ClientInfo, Session};
use shared::better_auth::{cookies, endpoint, errors, password, rate_limit, users};
use shared::http::ok_json;
use shared::serde_json::json;
use shared::{Body, Endpoint, Request, Response, Result, State};

/// The fixture's cookie is signed with a placeholder secret: 401.
pub const ENDPOINT: Endpoint = endpoint(401);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangePassword {
    pub new_password: String,
    pub current_password: String,
    pub revoke_other_sessions: Option<bool>,
}

impl Schema for ChangePassword {
    const FIELDS: &'static [Field] = &[
        Field::required("newPassword", Expect::String),
        Field::required("currentPassword", Expect::String),
        Field::optional("revokeOtherSessions", Expect::Boolean),
    ];
}

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    origin::check_post(&state.config, &request, Route::Other)?;
    rate_limit::check(
        state,
        &request,
        "/change-password",
        state.config.auth_rate_limit,
    )
    .await?;
    let body: ChangePassword = body::parse(&request)?;
    let active = sessions::require_session(state, &request).await?;
    if let Some(problem) =
        password::length_error(&body.new_password, &state.config.options.email_and_password)
    {
        return Err(problem.into());
    }
    if password::is_too_long(
        &body.current_password,
        &state.config.options.email_and_password,
    ) {
        return Err(errors::PASSWORD_TOO_LONG.into());
    }
    let user_id = active.user.id.as_str();
    let Some(stored) = users::credential_hash(&state.db, user_id).await? else {
        return Err(errors::CREDENTIAL_ACCOUNT_NOT_FOUND.into());
    };
    if !password::verify(
        body.current_password,
        Some(stored),
        state.config.password_hashing,
    )
    .await?
    {
        return Err(errors::INVALID_PASSWORD.into());
    }
    let hash = password::hash(body.new_password, state.config.password_hashing).await?;
    let revoke = body.revoke_other_sessions == Some(true);
    let new_session = revoke.then(|| {
        Session::new(
            user_id,
            &ClientInfo::of(&request),
            true,
            &state.config.options.session,
        )
    });
    users::change_password(&state.db, user_id, &hash, new_session.as_ref()).await?;
    shared::tracing::info!(revoked_sessions = revoke, "password changed");

    let token = new_session.as_ref().map(|session| session.token.as_str());
    let mut response = ok_json(&json!({ "token": token, "user": active.user }));
    if let Some(token) = token {
        cookies::renew_session_cookie(&state.config, &request, &mut response, token);
    }
    Ok(response)
}
