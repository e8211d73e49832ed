//! `GET /api/auth/ok`: Better Auth's liveness route, `{"ok":true}`. No auth, no database.

use shared::better_auth::endpoint;
use shared::http::ok_json;
use shared::serde_json::json;
use shared::{Body, Endpoint, Request, Response, Result, State};

pub const ENDPOINT: Endpoint = endpoint(200);

pub async fn handle(_state: &State, _request: Request) -> Result<Response<Body>> {
    Ok(ok_json(&json!({ "ok": true })))
}
