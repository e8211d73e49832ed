//! `POST /api/auth/sign-in/email`: check an email and password and start a session.
//! Answers like Better Auth: `{"redirect","token","url"?,"user"}` and the session cookie.

use serde::Deserialize;
use shared::better_auth::body::{self, Expect, Field, Schema, is_email};
use shared::better_auth::origin::{self, Route};
use shared::better_auth::sessions::{self, ClientInfo, Session};
use shared::better_auth::{cookies, emails, endpoint, errors, password, rate_limit, users};
use shared::http::{append_header, ok_json};
use shared::serde_json::json;
use shared::{Body, Endpoint, Request, Response, Result, State};

/// The fixture signs in as the user the sign-up fixture creates (routes are tried in
/// template order, and sign-up comes first).
pub const ENDPOINT: Endpoint = endpoint(200);

/// Better Auth's sign-in body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    pub email: String,
    pub password: String,
    #[serde(rename = "callbackURL")]
    pub callback_url: Option<String>,
    pub remember_me: Option<bool>,
}

impl Schema for SignIn {
    // The email's format is checked after the schema, with its own code (`INVALID_EMAIL`).
    const FIELDS: &'static [Field] = &[
        Field::required("email", Expect::String),
        Field::required("password", Expect::String),
        Field::optional("callbackURL", Expect::String),
        Field::optional("rememberMe", Expect::Boolean),
    ];
}

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    origin::check_post(&state.config, &request, Route::Login)?;
    rate_limit::check(
        state,
        &request,
        "/sign-in/email",
        state.config.auth_rate_limit,
    )
    .await?;
    let body: SignIn = body::parse(&request)?;
    let email = body.email.to_lowercase();
    if !is_email(&email) {
        return Err(errors::INVALID_EMAIL.into());
    }
    if password::is_too_long(&body.password, &state.config.options.email_and_password) {
        return Err(errors::PASSWORD_TOO_LONG.into());
    }
    if let Some(url) = &body.callback_url {
        origin::check_callback_url(&state.config, url)?;
    }
    let remember = body.remember_me.unwrap_or(true);

    // An unknown email costs the same hash as a wrong password, so timing does not tell them apart.
    let found = users::find_credentials(&state.db, state.config.user_fields(), &email).await?;
    let stored_hash = found.as_ref().and_then(|(_, hash)| hash.clone());
    let verified =
        password::verify(body.password, stored_hash, state.config.password_hashing).await?;
    let (Some((user, _)), true) = (found, verified) else {
        return Err(errors::INVALID_EMAIL_OR_PASSWORD.into());
    };
    let options = &state.config.options;
    if options.email_and_password.require_email_verification && !user.email_verified {
        if options.email_verification.send_on_sign_in && state.mailer.enabled() {
            emails::send_verification(state, &user, body.callback_url.as_deref()).await;
        }
        return Err(errors::EMAIL_NOT_VERIFIED.into());
    }

    let session = Session::new(
        &user.id,
        &ClientInfo::of(&request),
        remember,
        &state.config.options.session,
    );
    sessions::insert_session(&state.db, &session).await?;
    let mut response = match &body.callback_url {
        Some(url) => {
            let mut response = ok_json(
                &json!({ "redirect": true, "token": session.token, "url": url, "user": user }),
            );
            append_header(&mut response, "location", url);
            response
        }
        None => ok_json(&json!({ "redirect": false, "token": session.token, "user": user })),
    };
    cookies::set_signed_in(
        &state.config,
        &request,
        &mut response,
        &session.token,
        remember,
    );
    Ok(response)
}
