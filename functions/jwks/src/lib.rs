//! `GET /api/auth/jwks`: the public keys JWTs are signed with, as a JWK set. No auth needed.

use shared::auth::request::{ok_json, respond};
use shared::auth::signing::public_keys;
use shared::{Body, Request, Response, State};

pub async fn handle(state: &State, _request: Request) -> Response<Body> {
    respond(public_keys(state).await.map(|keys| ok_json(&keys)))
}
