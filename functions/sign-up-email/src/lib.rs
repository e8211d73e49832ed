//! `POST /api/auth/sign-up/email`: create a user with an email and password (and the
//! `user.additionalFields` the body sets), and sign them in. Answers like Better Auth:
//! `{"token","user"}` and the session cookie.

use serde::Deserialize;
use shared::better_auth::body::{self, Expect, Field, Schema};
use shared::better_auth::ids::random_id;
use shared::better_auth::origin::{self, Route};
use shared::better_auth::sessions::{ClientInfo, Session};
use shared::better_auth::user_fields::Action;
use shared::better_auth::users::{self, SignUpOutcome, Timestamp, User};
use shared::better_auth::{cookies, emails, endpoint, errors, password, rate_limit};
use shared::http::ok_json;
use shared::serde_json::json;
use shared::{Body, Endpoint, Request, Response, Result, State};

/// The fixture signs up a new user on a fresh database: 200.
pub const ENDPOINT: Endpoint = endpoint(200);

/// Better Auth's sign-up body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUp {
    pub name: String,
    pub email: String,
    pub password: String,
    pub image: Option<String>,
    #[serde(rename = "callbackURL")]
    pub callback_url: Option<String>,
    pub remember_me: Option<bool>,
}

impl Schema for SignUp {
    const FIELDS: &'static [Field] = &[
        Field::required("name", Expect::String),
        Field::required("email", Expect::Email),
        Field::required("password", Expect::NonEmptyString),
        Field::optional("image", Expect::String),
        Field::optional("callbackURL", Expect::String),
        Field::optional("rememberMe", Expect::Boolean),
    ];
    // The schema is `z.object(…).and(z.record(…))`.
    const RECORD_ISSUE: bool = true;
}

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    origin::check_post(&state.config, &request, Route::Login)?;
    rate_limit::check(
        state,
        &request,
        "/sign-up/email",
        state.config.auth_rate_limit,
    )
    .await?;
    let (body, record): (SignUp, _) = body::parse_with_record(&request)?;
    if let Some(url) = &body.callback_url {
        origin::check_callback_url(&state.config, url)?;
    }
    // Checked after the body and callbackURL, as Better Auth's handler does.
    if state.config.options.email_and_password.disable_sign_up {
        return Err(errors::EMAIL_PASSWORD_SIGN_UP_DISABLED.into());
    }
    if let Some(problem) =
        password::length_error(&body.password, &state.config.options.email_and_password)
    {
        return Err(problem.into());
    }
    // After the password checks, as Better Auth's parseUserInput comes after them.
    let fields = state.config.user_fields();
    let additional = fields.parse_input(&record, Action::Create)?;
    let remember = body.remember_me.unwrap_or(true);
    let options = &state.config.options;
    // With requireEmailVerification or autoSignIn off, sign-up starts no session, and an
    // existing email gets the same answer as a new one (Better Auth's enumeration protection).
    let without_session = options.email_and_password.sign_up_without_session();
    let now = Timestamp::now();
    let user = User {
        id: random_id(),
        name: body.name,
        email: body.email.to_lowercase(),
        email_verified: false,
        image: body.image,
        created_at: now,
        updated_at: now,
        additional: fields.created(&additional),
    };
    let session = (!without_session).then(|| {
        Session::new(
            &user.id,
            &ClientInfo::of(&request),
            remember,
            &state.config.options.session,
        )
    });
    let password_hash = password::hash(body.password, state.config.password_hashing).await?;
    match users::insert_user(
        &state.db,
        &user,
        &additional,
        &password_hash,
        session.as_ref(),
    )
    .await?
    {
        SignUpOutcome::EmailTaken if without_session => {
            shared::tracing::info!("sign-up for an existing email answered like a new one");
            Ok(ok_json(&json!({ "token": null, "user": user })))
        }
        SignUpOutcome::EmailTaken => Err(errors::USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL.into()),
        SignUpOutcome::Created => {
            if options.sends_verification_on_sign_up() && state.mailer.enabled() {
                emails::send_verification(state, &user, body.callback_url.as_deref()).await;
            }
            let Some(session) = session else {
                return Ok(ok_json(&json!({ "token": null, "user": user })));
            };
            let mut response = ok_json(&json!({ "token": session.token, "user": user }));
            cookies::set_signed_in(
                &state.config,
                &request,
                &mut response,
                &session.token,
                remember,
            );
            Ok(response)
        }
    }
}
