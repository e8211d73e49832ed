//! `GET /api/auth/token`: a JWT for the current session (Better Auth's jwt plugin), or 401.

use serde_json::json;
use shared::auth::request::{ok_json, respond};
use shared::auth::session::{self, Lookup};
use shared::auth::signing::issue_jwt;
use shared::{Body, Error, Request, Response, Result, State};

pub async fn handle(state: &State, request: Request) -> Response<Body> {
    respond(token(state, &request).await)
}

async fn token(state: &State, request: &Request) -> Result<Response<Body>> {
    let Lookup::Active { user, .. } = session::current_session(state, request).await? else {
        return Err(Error::unauthorized("Unauthorized"));
    };
    Ok(ok_json(&json!({ "token": issue_jwt(state, &user).await? })))
}
