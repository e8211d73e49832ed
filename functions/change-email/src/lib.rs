//! `POST /api/auth/change-email`: move the caller to another email address, by Better Auth's
//! flows (`user.changeEmail`):
//! - unverified user, `updateEmailWithoutVerification`: at once, then a verification mail to
//!   the new address;
//! - verified user, `sendChangeEmailConfirmation`: a confirmation mail to the current address,
//!   whose link mails a verification link to the new one, whose link moves the account;
//! - otherwise: a verification mail to the new address, whose link moves the account.
//!
//! The answer is `{"status":true}` whether or not the new address is taken, so the route does
//! not tell which emails have accounts.

use serde::Deserialize;
use shared::better_auth::body::{self, Expect, Field, Schema};
use shared::better_auth::origin::{self, Route};
use shared::better_auth::users::{self, EmailChange, User};
use shared::better_auth::verification::{self, ChangeEmailStep};
use shared::better_auth::{cookies, emails, endpoint, errors, rate_limit, sessions};
use shared::http::{StatusCode, ok_json};
use shared::serde_json::json;
use shared::{Body, Endpoint, Request, Response, Result, State};

/// The fixture's cookie is signed with a placeholder secret: 401.
pub const ENDPOINT: Endpoint = endpoint(401);

#[derive(Deserialize)]
pub struct ChangeEmailBody {
    #[serde(rename = "newEmail")]
    pub new_email: String,
    #[serde(rename = "callbackURL")]
    pub callback_url: Option<String>,
}

impl Schema for ChangeEmailBody {
    const FIELDS: &'static [Field] = &[
        Field::required("newEmail", Expect::Email),
        Field::optional("callbackURL", Expect::String),
    ];
}

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    origin::check_post(&state.config, &request, Route::Other)?;
    rate_limit::check(
        state,
        &request,
        "/change-email",
        state.config.auth_rate_limit,
    )
    .await?;
    let body: ChangeEmailBody = body::parse(&request)?;
    if let Some(url) = &body.callback_url {
        origin::check_callback_url(&state.config, url)?;
    }
    let active = sessions::require_session(state, &request).await?;
    let options = &state.config.options.user.change_email;
    if !options.enabled {
        return Err(errors::CHANGE_EMAIL_DISABLED.into());
    }
    let user = &active.user;
    let new_email = body.new_email.to_lowercase();
    if new_email == user.email {
        return Err(errors::message_only(
            StatusCode::BAD_REQUEST,
            "Email is the same",
        ));
    }
    // Which flow, decided before looking the address up, so that a configuration without
    // any flow answers the same whether or not the address is taken (as Better Auth does).
    let flow = if !user.email_verified && options.update_email_without_verification {
        Flow::Direct
    } else if !state.mailer.enabled() {
        return Err(errors::message_only(
            StatusCode::BAD_REQUEST,
            "Verification email isn't enabled",
        ));
    } else if user.email_verified && options.send_change_email_confirmation {
        Flow::ConfirmFirst
    } else {
        Flow::VerifyNewAddress
    };
    let callback_url = body.callback_url.as_deref();
    let answer = || ok_json(&json!({ "status": true }));
    if users::find_user_by_email(&state.db, state.config.user_fields(), &new_email)
        .await?
        .is_some()
    {
        shared::tracing::info!("change of email to an address that is taken; nothing sent");
        return Ok(answer());
    }
    match flow {
        Flow::Direct => {
            let moved = match users::set_email(
                &state.db,
                state.config.user_fields(),
                &user.id,
                &new_email,
                false,
            )
            .await?
            {
                EmailChange::Changed(moved) => moved,
                // Taken since the look-up (a sign-up won the race): the same answer.
                EmailChange::Taken => return Ok(answer()),
                EmailChange::UserGone => return Err(errors::UNAUTHORIZED.into()),
            };
            shared::tracing::info!("email changed without verification");
            let mut response = answer();
            cookies::renew_session_cookie(
                &state.config,
                &request,
                &mut response,
                &active.session.token,
            );
            if state.mailer.enabled() {
                emails::send_verification(state, &moved, callback_url).await;
            }
            Ok(response)
        }
        Flow::ConfirmFirst => {
            emails::send_change_email_confirmation(state, user, &new_email, callback_url).await;
            shared::tracing::info!("change of email: confirmation mailed to the current address");
            Ok(answer())
        }
        Flow::VerifyNewAddress => {
            let token = verification::issue_change_email_token(
                &state.config.auth_secret,
                &user.email,
                &new_email,
                ChangeEmailStep::Verification,
                &user.id,
                state.config.options.verification_token_lifetime(),
            );
            let recipient = User {
                email: new_email,
                ..user.clone()
            };
            emails::send_verification_link(state, &recipient, &token, callback_url).await;
            shared::tracing::info!("change of email: verification mailed to the new address");
            Ok(answer())
        }
    }
}

enum Flow {
    Direct,
    ConfirmFirst,
    VerifyNewAddress,
}
