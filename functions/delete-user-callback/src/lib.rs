//! `GET /api/auth/delete-user/callback?token=…&callbackURL=…`: the link in the account-deletion
//! mail. It must be opened where the user is signed in; it deletes the account and redirects
//! to callbackURL, or answers `{"success":true,"message":"User deleted"}`.

use shared::better_auth::{cookies, endpoint, errors, origin, sessions, users, verification};
use shared::http::{StatusCode, ok_json, query_param, redirect, set_cookies};
use shared::serde_json::json;
use shared::{Body, Endpoint, Request, Response, Result, State};

/// The fixture's cookie is signed with a placeholder secret; with deletion off (the default)
/// the answer is 404 either way.
pub const ENDPOINT: Endpoint = endpoint(404);

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    let Some(token) = query_param(&request, "token") else {
        return Err(errors::validation_error(
            "[query.token] Invalid input: expected string, received undefined",
        ));
    };
    let callback_url = query_param(&request, "callbackURL").filter(|url| !url.is_empty());
    if let Some(url) = &callback_url {
        origin::check_callback_url(&state.config, url)?;
    }
    if !state.config.options.user.delete_user.enabled {
        shared::tracing::error!("a deletion link was opened, but user.deleteUser.enabled is off");
        return Err(errors::NOT_FOUND.into());
    }
    let active = match sessions::require_session(state, &request).await {
        Ok(active) => active,
        Err(shared::Error::Client { .. }) => return Err(errors::FAILED_TO_GET_USER_INFO.into()),
        Err(other) => return Err(other),
    };
    if !verification::consume_delete_token(&state.db, &token, &active.user.id).await? {
        return Err(errors::INVALID_TOKEN
            .with_status(StatusCode::NOT_FOUND)
            .into());
    }
    users::delete_user(&state.db, &active.user.id).await?;
    shared::tracing::info!(proof = "the mailed link", "account deleted");
    let mut response = match &callback_url {
        Some(url) => redirect(url),
        None => ok_json(&json!({ "success": true, "message": "User deleted" })),
    };
    set_cookies(&mut response, cookies::clearing_cookies(&state.config));
    Ok(response)
}
