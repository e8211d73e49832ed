//! `POST /api/auth/revoke-sessions`: end every session of the caller, this one included.

use shared::better_auth::origin::{self, Route};
use shared::better_auth::{cookies, endpoint, sessions};
use shared::http::{ok_json, set_cookies};
use shared::serde_json::json;
use shared::{Body, Endpoint, Request, Response, Result, State};

/// The fixture's cookie is signed with a placeholder secret: 401.
pub const ENDPOINT: Endpoint = endpoint(401);

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    origin::check_post(&state.config, &request, Route::Other)?;
    let active = sessions::require_session(state, &request).await?;
    sessions::delete_user_sessions(&state.db, &active.user.id, None).await?;
    shared::tracing::info!("every session of the user revoked");
    let mut response = ok_json(&json!({ "status": true }));
    set_cookies(&mut response, cookies::clearing_cookies(&state.config));
    Ok(response)
}
