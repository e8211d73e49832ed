//! `POST /api/auth/send-verification-email`: mail a verification link. Signed in, it must be
//! the caller's own, unverified address. Anonymous, the answer is the same whatever the email,
//! and no sooner than a fixed floor, so it does not tell which emails have accounts.

use serde::Deserialize;
use shared::better_auth::body::{self, Expect, Field, Schema};
use shared::better_auth::origin::{self, Route};
use shared::better_auth::sessions::{self, Lookup};
use shared::better_auth::{emails, endpoint, errors, rate_limit, users};
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
    emails::require_mail(state, errors::VERIFICATION_EMAIL_NOT_ENABLED)?;
    let email = body.email.to_lowercase();
    let callback_url = body.callback_url.as_deref();
    if let Lookup::Active(sessions::Active { user, .. }) =
        sessions::current_session(state, &request).await?
    {
        if user.email.to_lowercase() != email {
            return Err(errors::EMAIL_MISMATCH.into());
        }
        if user.email_verified {
            return Err(errors::EMAIL_ALREADY_VERIFIED.into());
        }
        emails::send_verification(state, &user, callback_url).await;
        return Ok(ok_json(&json!({ "status": true })));
    }
    match users::find_user_by_email(&state.db, state.config.user_fields(), &email).await? {
        Some(user) if !user.email_verified => {
            emails::send_verification(state, &user, callback_url).await
        }
        // No mail; the floor below hides that this took less time.
        _ => shared::tracing::info!(
            "verification mail requested for an unknown or already verified email"
        ),
    }
    started.finish().await;
    Ok(ok_json(&json!({ "status": true })))
}
