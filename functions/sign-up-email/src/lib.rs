//! `POST /api/auth/sign-up/email`: create a user with an email and password, and sign them in.
//! Answers like Better Auth: `{"token","user"}` and the session cookie.

use serde_json::json;
use shared::auth::ids::random_id;
use shared::auth::origin::{self, Route};
use shared::auth::password::{PasswordLengthProblem, hash_password, password_length_problem};
use shared::auth::request::{
    Expect, Field, blocking, bool_field, ok_json, read_body, respond, string_field, validate,
};
use shared::auth::session::{self, ClientInfo, Session, SignUpOutcome, Timestamp, User};
use shared::auth::{rate_limit, signed_in_response};
use shared::http::StatusCode;
use shared::{Body, Error, Request, Response, Result, State};

/// Better Auth's sign-up schema, in its order.
const FIELDS: &[Field] = &[
    Field::required("name", Expect::String),
    Field::required("email", Expect::Email),
    Field::required("password", Expect::NonEmptyString),
    Field::optional("image", Expect::String),
    Field::optional("callbackURL", Expect::String),
    Field::optional("rememberMe", Expect::Boolean),
];

pub async fn handle(state: &State, request: Request) -> Response<Body> {
    respond(sign_up(state, &request).await)
}

async fn sign_up(state: &State, request: &Request) -> Result<Response<Body>> {
    origin::check_post(&state.config, request, Route::Login)?;
    rate_limit::check(state, request, "/sign-up/email").await?;
    let body = validate(read_body(request)?, FIELDS, true)?;
    if let Some(callback_url) = string_field(&body, "callbackURL") {
        origin::check_callback_url(&state.config, &callback_url)?;
    }
    let password = string_field(&body, "password").unwrap_or_default();
    match password_length_problem(&password) {
        Some(PasswordLengthProblem::TooShort) => {
            return Err(Error::client(
                StatusCode::BAD_REQUEST,
                "PASSWORD_TOO_SHORT",
                "Password too short",
            ));
        }
        Some(PasswordLengthProblem::TooLong) => {
            return Err(Error::client(
                StatusCode::BAD_REQUEST,
                "PASSWORD_TOO_LONG",
                "Password too long",
            ));
        }
        None => {}
    }
    let remember = bool_field(&body, "rememberMe").unwrap_or(true);
    let now = Timestamp::now();
    let user = User {
        name: string_field(&body, "name").unwrap_or_default(),
        email: string_field(&body, "email")
            .unwrap_or_default()
            .to_lowercase(),
        email_verified: false,
        image: string_field(&body, "image"),
        created_at: now,
        updated_at: now,
        id: random_id(),
    };
    let session = Session::new(&user.id, &ClientInfo::of(request), remember);
    let password_hash = blocking(move || hash_password(&password)).await?;
    match session::insert_user_with_session(&state.db, &user, &password_hash, &session).await? {
        SignUpOutcome::EmailTaken => Err(Error::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
            "User already exists. Use another email.",
        )),
        SignUpOutcome::Created => {
            let mut response = ok_json(&json!({ "token": session.token, "user": user }));
            signed_in_response(
                &state.config,
                request,
                &mut response,
                &session.token,
                remember,
            );
            Ok(response)
        }
    }
}
