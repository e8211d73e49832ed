//! `GET /api/auth/token`: a JWT for the current session (Better Auth's jwt plugin), or 401.

use shared::better_auth::sessions::{self, Lookup};
use shared::better_auth::{endpoint, errors, jwt};
use shared::http::{no_store, ok_json};
use shared::serde_json::json;
use shared::{Body, Endpoint, Request, Response, Result, State};

/// The fixture's cookie names no session: 401.
pub const ENDPOINT: Endpoint = endpoint(401);

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    let Lookup::Active(sessions::Active { user, .. }) =
        sessions::current_session(state, &request).await?
    else {
        return Err(errors::UNAUTHORIZED.into());
    };
    let mut response = ok_json(&json!({ "token": jwt::issue(state, &user).await? }));
    // A bearer credential: no cache between the client and us may keep it.
    no_store(&mut response);
    Ok(response)
}
