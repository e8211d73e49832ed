//! `POST /api/auth/send-verification-email`: mail a verification link. Signed in, it must be
//! the caller's own, unverified address. Anonymous, the answer is the same whatever the email,
//! and no sooner than a fixed floor, so it does not tell which emails have accounts.

use serde::Deserialize;
use shared::better_auth::body::{self, Expect, Field, Schema};
use shared::better_auth::origin::{self, Route};
use shared::better_auth::sessions::{self, Lookup};
use shared::better_auth::{emails, endpoint, errors, rate_limit, users, verification};
use shared::http::ok_json;
use shared::serde_json::json;
use shared::{Body, Endpoint, Request, Response, Result, State};

/// The fixture is anonymous (its cookie does not verify): the generic 200.
pub const ENDPOINT: Endpoint = endpoint(200);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendVerificationEmail {
    pub email: String,
    #[serde(rename = "callbackURL")]
    pub callback_url: Option<String>,
}

impl Schema for SendVerificationEmail {
    const FIELDS: &'static [Field] = &[
        Field::required("email", Expect::Email),
        Field::optional("callbackURL", Expect::String),
    ];
}

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    origin::check_post(&state.config, &request, Route::Other)?;
    let started = emails::AnonymousAnswer::start();
    rate_limit::check(
        state,
        &request,
        "/send-verification-email",
        rate_limit::MAIL_ROUTES,
    )
    .await?;
    let body: SendVerificationEmail = body::parse(&request)?;
    if let Some(url) = &body.callback_url {
        origin::check_callback_url(&state.config, url)?;
    }
    if !state.mailer.enabled() {
        shared::tracing::error!(
            "verification mail requested, but no mail is configured (EMAIL_FROM or EMAIL_OUTBOX_DIR)"
        );
        return Err(errors::VERIFICATION_EMAIL_NOT_ENABLED.into());
    }
    let email = body.email.to_lowercase();
    let callback_url = body.callback_url.as_deref();
    if let Lookup::Active { user, .. } = sessions::current_session(state, &request).await? {
        if user.email.to_lowercase() != email {
            return Err(errors::EMAIL_MISMATCH.into());
        }
        if user.email_verified {
            return Err(errors::EMAIL_ALREADY_VERIFIED.into());
        }
        emails::send_verification(state, &user, callback_url).await;
        return Ok(ok_json(&json!({ "status": true })));
    }
    match users::find_user_by_email(&state.db, &email).await? {
        Some(user) if !user.email_verified => {
            emails::send_verification(state, &user, callback_url).await
        }
        // The same signing work as a real send, then the floor.
        found => {
            if let Some(user) = found {
                let lifetime = state.config.options.verification_token_lifetime();
                verification::issue_email_token(&state.config.auth_secret, &user, lifetime);
            }
            shared::tracing::info!(
                "verification mail requested for an unknown or already verified email"
            );
        }
    }
    started.finish().await;
    Ok(ok_json(&json!({ "status": true })))
}
