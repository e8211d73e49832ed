//! `POST /api/auth/reset-password`: spend a reset token on a new password. The token is
//! single-use and spent atomically with the password change.

use serde::Deserialize;
use shared::better_auth::body::{self, Expect, Field, Schema};
use shared::better_auth::origin::{self, Route};
use shared::better_auth::verification;
use shared::better_auth::{endpoint, errors, password};
use shared::http::{ok_json, query_param};
use shared::serde_json::json;
use shared::{Body, Endpoint, Request, Response, Result, State};

/// The fixture's token does not exist: 400 `INVALID_TOKEN`.
pub const ENDPOINT: Endpoint = endpoint(400);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetPassword {
    pub new_password: String,
    pub token: Option<String>,
}

impl Schema for ResetPassword {
    const FIELDS: &'static [Field] = &[
        Field::required("newPassword", Expect::String),
        Field::optional("token", Expect::String),
    ];
}

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    origin::check_post(&state.config, &request, Route::Other)?;
    let body: ResetPassword = body::parse(&request)?;
    let token = body
        .token
        .filter(|token| !token.is_empty())
        .or_else(|| query_param(&request, "token").filter(|token| !token.is_empty()))
        .ok_or(errors::INVALID_TOKEN)?;
    if let Some(problem) =
        password::length_error(&body.new_password, &state.config.options.email_and_password)
    {
        return Err(problem.into());
    }
    // A cheap look first, so a bad token costs no password hash.
    if let Some(refusal) = verification::check_reset_token(&state.db, &token)
        .await?
        .refusal()
    {
        return Err(refusal.into());
    }
    let hash = password::hash(body.new_password, state.config.password_hashing).await?;
    let revoke = state
        .config
        .options
        .email_and_password
        .revoke_sessions_on_password_reset;
    match verification::reset_password(&state.db, &token, &hash, revoke).await? {
        Some(_) => {
            shared::tracing::info!(revoked_sessions = revoke, "password reset");
            Ok(ok_json(&json!({ "status": true })))
        }
        // Another request spent the token first.
        None => Err(errors::INVALID_TOKEN.into()),
    }
}
