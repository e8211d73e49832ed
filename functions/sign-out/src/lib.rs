//! `POST /api/auth/sign-out`: end the current session and clear its cookies.

use serde_json::json;
use shared::auth::origin::{self, Route};
use shared::auth::request::{ok_json, respond, set_cookies};
use shared::auth::session::{self, Credential, clearing_cookies};
use shared::{Body, Request, Response, Result, State};

pub async fn handle(state: &State, request: Request) -> Response<Body> {
    respond(sign_out(state, &request).await)
}

async fn sign_out(state: &State, request: &Request) -> Result<Response<Body>> {
    origin::check_post(&state.config, request, Route::Other)?;
    if let Credential::Token { token, .. } = session::credential(request, &state.config) {
        session::delete_session(&state.db, &token).await?;
    }
    let mut response = ok_json(&json!({ "success": true }));
    set_cookies(&mut response, clearing_cookies(&state.config));
    Ok(response)
}
