//! `POST /api/auth/request-password-reset`: mail a reset link to a user. Answers the same for
//! an unknown email, after the same work and no sooner than a fixed floor, so the answer and
//! its timing do not tell which emails have accounts.

use serde::Deserialize;
use shared::better_auth::body::{self, Expect, Field, Schema};
use shared::better_auth::origin::{self, Route};
use shared::better_auth::{emails, endpoint, errors, rate_limit, verification};
use shared::http::ok_json;
use shared::serde_json::json;
use shared::{Body, Endpoint, Request, Response, Result, State};

/// The fixture asks for an unknown email on a fresh database: the generic 200, or, without
/// mail configured, Better Auth's 400 `RESET_PASSWORD_DISABLED` (the tests configure an outbox).
pub const ENDPOINT: Endpoint = endpoint(200);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestPasswordReset {
    pub email: String,
    pub redirect_to: Option<String>,
}

impl Schema for RequestPasswordReset {
    const FIELDS: &'static [Field] = &[
        Field::required("email", Expect::Email),
        Field::optional("redirectTo", Expect::String),
    ];
}

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    origin::check_post(&state.config, &request, Route::Other)?;
    let started = emails::AnonymousAnswer::start();
    rate_limit::check(
        state,
        &request,
        "/request-password-reset",
        rate_limit::MAIL_ROUTES,
    )
    .await?;
    let body: RequestPasswordReset = body::parse(&request)?;
    if let Some(redirect_to) = &body.redirect_to {
        origin::check_redirect_url(&state.config, redirect_to)?;
    }
    emails::require_mail(state, errors::RESET_PASSWORD_DISABLED)?;
    let email = body.email.to_lowercase();
    let lifetime = state.config.options.reset_token_lifetime();
    match verification::create_reset_token(&state.db, state.config.user_fields(), &email, lifetime)
        .await?
    {
        Some((user, token)) => {
            emails::send_reset_password(state, &user, &token, body.redirect_to.as_deref()).await
        }
        None => shared::tracing::info!("password reset requested for an email with no account"),
    }
    started.finish().await;
    Ok(ok_json(&json!({
        "status": true,
        "message": "If this email exists in our system, check your email for the reset link"
    })))
}
