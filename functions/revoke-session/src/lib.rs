//! `POST /api/auth/revoke-session`: end one of the caller's sessions by its token (from
//! list-sessions). A token of anyone else's changes nothing, and the answer does not say so.

use serde::Deserialize;
use shared::better_auth::body::{self, Expect, Field, Schema};
use shared::better_auth::origin::{self, Route};
use shared::better_auth::{cookies, endpoint, sessions};
use shared::http::{ok_json, set_cookies};
use shared::serde_json::json;
use shared::{Body, Endpoint, Request, Response, Result, State};

/// The fixture's cookie is signed with a placeholder secret: 401.
pub const ENDPOINT: Endpoint = endpoint(401);

#[derive(Deserialize)]
pub struct RevokeSession {
    pub token: String,
}

impl Schema for RevokeSession {
    const FIELDS: &'static [Field] = &[Field::required("token", Expect::String)];
}

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    origin::check_post(&state.config, &request, Route::Other)?;
    let body: RevokeSession = body::parse(&request)?;
    let active = sessions::require_session(state, &request).await?;
    sessions::delete_own_session(&state.db, &active.user.id, &body.token).await?;
    let mut response = ok_json(&json!({ "status": true }));
    if body.token == active.session.token {
        set_cookies(&mut response, cookies::clearing_cookies(&state.config));
    }
    Ok(response)
}
