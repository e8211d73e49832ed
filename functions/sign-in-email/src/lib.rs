//! `POST /api/auth/sign-in/email`: check an email and password and start a session.
//! Answers like Better Auth: `{"redirect","token","url"?,"user"}` and the session cookie.

use serde_json::json;
use shared::auth::origin::{self, Route};
use shared::auth::password::{
    PasswordLengthProblem, password_length_problem, verify_against_dummy, verify_password,
};
use shared::auth::request::{
    Expect, Field, blocking, bool_field, is_email, ok_json, read_body, respond, string_field,
    validate,
};
use shared::auth::session::{self, ClientInfo, Session};
use shared::auth::{rate_limit, signed_in_response};
use shared::http::StatusCode;
use shared::{Body, Error, Request, Response, Result, State};

/// Better Auth's sign-in schema, in its order. The email format is checked after it, with a
/// different error code (`INVALID_EMAIL`).
const FIELDS: &[Field] = &[
    Field::required("email", Expect::String),
    Field::required("password", Expect::String),
    Field::optional("callbackURL", Expect::String),
    Field::optional("rememberMe", Expect::Boolean),
];

pub async fn handle(state: &State, request: Request) -> Response<Body> {
    respond(sign_in(state, &request).await)
}

async fn sign_in(state: &State, request: &Request) -> Result<Response<Body>> {
    origin::check_post(&state.config, request, Route::Login)?;
    rate_limit::check(state, request, "/sign-in/email").await?;
    let body = validate(read_body(request)?, FIELDS, false)?;
    let email = string_field(&body, "email")
        .unwrap_or_default()
        .to_lowercase();
    if !is_email(&email) {
        return Err(Error::client(
            StatusCode::BAD_REQUEST,
            "INVALID_EMAIL",
            "Invalid email",
        ));
    }
    let password = string_field(&body, "password").unwrap_or_default();
    if password_length_problem(&password) == Some(PasswordLengthProblem::TooLong) {
        return Err(Error::client(
            StatusCode::BAD_REQUEST,
            "PASSWORD_TOO_LONG",
            "Password too long",
        ));
    }
    let callback_url = string_field(&body, "callbackURL");
    if let Some(url) = &callback_url {
        origin::check_callback_url(&state.config, url)?;
    }
    let remember = bool_field(&body, "rememberMe").unwrap_or(true);

    // An unknown email costs the same hash as a wrong password, so timing does not tell them apart.
    let found = session::find_credentials(&state.db, &email).await?;
    let stored_hash = found.as_ref().and_then(|(_, hash)| hash.clone());
    let verified = blocking(move || match stored_hash {
        Some(hash) => verify_password(&password, &hash),
        None => {
            verify_against_dummy(&password);
            false
        }
    })
    .await?;
    let (Some((user, _)), true) = (found, verified) else {
        return Err(Error::client(
            StatusCode::UNAUTHORIZED,
            "INVALID_EMAIL_OR_PASSWORD",
            "Invalid email or password",
        ));
    };

    let session = Session::new(&user.id, &ClientInfo::of(request), remember);
    session::insert_session(&state.db, &session).await?;
    let body = match &callback_url {
        Some(url) => json!({ "redirect": true, "token": session.token, "url": url, "user": user }),
        None => json!({ "redirect": false, "token": session.token, "user": user }),
    };
    let mut response = ok_json(&body);
    if let Some(url) = &callback_url {
        shared::auth::request::append_header(&mut response, "location", url);
    }
    signed_in_response(
        &state.config,
        request,
        &mut response,
        &session.token,
        remember,
    );
    Ok(response)
}
