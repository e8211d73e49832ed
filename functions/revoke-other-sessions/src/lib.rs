//! `POST /api/auth/revoke-other-sessions`: end every session of the caller but this one.

use shared::better_auth::origin::{self, Route};
use shared::better_auth::{endpoint, sessions};
use shared::http::ok_json;
use shared::serde_json::json;
use shared::{Body, Endpoint, Request, Response, Result, State};

/// The fixture's cookie is signed with a placeholder secret: 401.
pub const ENDPOINT: Endpoint = endpoint(401);

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    origin::check_post(&state.config, &request, Route::Other)?;
    let active = sessions::require_session(state, &request).await?;
    let keep = active.session.token.as_str();
    sessions::delete_user_sessions(&state.db, &active.user.id, Some(keep)).await?;
    shared::tracing::info!("the user's other sessions revoked");
    Ok(ok_json(&json!({ "status": true })))
}
