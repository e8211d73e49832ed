//! `POST /api/auth/sign-out`: end the current session and clear its cookies.

use shared::better_auth::origin::{self, Route};
use shared::better_auth::sessions::{self, Credential};
use shared::better_auth::{cookies, endpoint};
use shared::http::{ok_json, set_cookies};
use shared::serde_json::json;
use shared::{Body, Endpoint, Request, Response, Result, State};

/// Signing out of a session that is not there still succeeds, as with Better Auth.
pub const ENDPOINT: Endpoint = endpoint(200);

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    origin::check_post(&state.config, &request, Route::Other)?;
    if let Credential::Token { token, .. } = sessions::credential(&request, &state.config) {
        sessions::delete_session(&state.db, &token).await?;
    }
    let mut response = ok_json(&json!({ "success": true }));
    set_cookies(&mut response, cookies::clearing_cookies(&state.config));
    Ok(response)
}
