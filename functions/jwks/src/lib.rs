//! `GET /api/auth/jwks`: the public keys JWTs are signed with, as a JWK set. No auth needed.

use shared::better_auth::{endpoint, jwt};
use shared::http::ok_json;
use shared::{Body, Endpoint, Request, Response, Result, State};

pub const ENDPOINT: Endpoint = endpoint(200);

pub async fn handle(state: &State, _request: Request) -> Result<Response<Body>> {
    Ok(ok_json(&jwt::public_keys(state).await?))
}
