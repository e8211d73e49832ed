//! `GET /api/auth/list-sessions`: the caller's live sessions ("active devices"), each with its
//! token, as Better Auth lists them. Needs a fresh session (`session.freshAge`).

use shared::better_auth::{endpoint, sessions};
use shared::http::ok_json;
use shared::{Body, Endpoint, Request, Response, Result, State};

/// The fixture's cookie is signed with a placeholder secret: 401.
pub const ENDPOINT: Endpoint = endpoint(401);

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    let active = sessions::require_fresh_session(state, &request).await?;
    let list = sessions::list_active_sessions(&state.db, &active.user.id).await?;
    Ok(ok_json(&list))
}
