//! `GET /api/auth/delete-user/callback?token=…&callbackURL=…`: the link in the account-deletion
//! mail. It must be opened where the user is signed in; it deletes the account and redirects
//! to callbackURL, or answers `{"success":true,"message":"User deleted"}`.

use shared::better_auth::sessions::{self, Lookup};
use shared::better_auth::{body, cookies, endpoint, errors, origin, users, verification};
use shared::http::{StatusCode, ok_json, redirect, set_cookies};
use shared::serde_json::json;
use shared::{Body, Endpoint, Request, Response, Result, State};

/// The fixture's cookie is signed with a placeholder secret; with deletion off (the default)
/// the answer is 404 either way.
pub const ENDPOINT: Endpoint = endpoint(404);

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    let token = body::required_query(&request, "token")?;
    let callback_url = origin::query_callback_url(&state.config, &request)?;
    if !state.config.options.user.delete_user.enabled {
        shared::tracing::error!("a deletion link was opened, but user.deleteUser.enabled is off");
        return Err(errors::NOT_FOUND.into());
    }
    // Opened where the user is not signed in, the link cannot say whose account it is.
    let Lookup::Active(sessions::Active { user, .. }) =
        sessions::current_session(state, &request).await?
    else {
        return Err(errors::FAILED_TO_GET_USER_INFO.into());
    };
    if !verification::consume_delete_token(&state.db, &token, &user.id).await? {
        return Err(errors::INVALID_TOKEN
            .with_status(StatusCode::NOT_FOUND)
            .into());
    }
    users::delete_user(&state.db, &user.id).await?;
    shared::tracing::info!(proof = "the mailed link", "account deleted");
    let mut response = match &callback_url {
        Some(url) => redirect(url),
        None => ok_json(&json!({ "success": true, "message": "User deleted" })),
    };
    set_cookies(&mut response, cookies::clearing_cookies(&state.config));
    Ok(response)
}
