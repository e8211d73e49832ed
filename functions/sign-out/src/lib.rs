//! `POST /api/auth/sign-out`: end the current session and clear its cookies.

use serde::Deserialize;
use shared::better_auth::body::{self, Expect, Field, Schema};
use shared::better_auth::origin::{self, Route};
use shared::better_auth::sessions::{self, Credential};
use shared::better_auth::{cookies, endpoint};
use shared::http::{ok_json, set_cookies};
use shared::serde_json::json;
use shared::{Body, Endpoint, Request, Response, Result, State};

/// Signing out of a session that is not there still succeeds, as with Better Auth.
pub const ENDPOINT: Endpoint = endpoint(200);

/// Better Auth's optional sign-out body. Only `callbackURL` matters without OAuth providers:
/// an untrusted one is refused (403 `INVALID_CALLBACK_URL`) before anything is signed out.
#[derive(Deserialize)]
pub struct SignOut {
    #[serde(rename = "callbackURL")]
    pub callback_url: Option<String>,
}

impl Schema for SignOut {
    const FIELDS: &'static [Field] = &[
        Field::optional("callbackURL", Expect::String),
        Field::optional("disableRedirect", Expect::Boolean),
        Field::optional("state", Expect::String),
    ];
}

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    origin::check_post(&state.config, &request, Route::Other)?;
    // The client usually sends no body at all.
    let body: SignOut = body::parse_optional(&request)?;
    if let Some(url) = &body.callback_url {
        origin::check_callback_url(&state.config, url)?;
    }
    if let Credential::Token { token, .. } = sessions::credential(&request, &state.config) {
        sessions::delete_session(&state.db, &token).await?;
    }
    let mut response = ok_json(&json!({ "success": true }));
    set_cookies(&mut response, cookies::clearing_cookies(&state.config));
    Ok(response)
}
