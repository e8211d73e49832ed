//! `GET /api/auth/verify-email?token=…&callbackURL=…`: the link in the verification mail (or
//! `authClient.verifyEmail({query})`). Marks the email verified and answers
//! `{"status":true,"user":null}`, or redirects to callbackURL; a failure with a callbackURL
//! redirects to `callbackURL?error=<CODE>`. With `autoSignInAfterVerification` it also signs
//! the user in.

use shared::better_auth::errors::{self, ErrorCode};
use shared::better_auth::sessions::{self, ClientInfo, Lookup, Session};
use shared::better_auth::{cookies, endpoint, origin, redirects, users, verification};
use shared::http::{StatusCode, header, ok_json, query_param, redirect};
use shared::serde_json::json;
use shared::{Body, Endpoint, Request, Response, Result, State};

/// The fixture's token is signed with a placeholder secret: 401 `INVALID_TOKEN`.
pub const ENDPOINT: Endpoint = endpoint(401);

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    let Some(token) = query_param(&request, "token") else {
        return Err(errors::validation_error(
            "[query.token] Invalid input: expected string, received undefined",
        ));
    };
    let callback_url = query_param(&request, "callbackURL").filter(|url| !url.is_empty());
    if let Some(url) = &callback_url {
        origin::check_callback_url(&state.config, url)?;
    }
    // Failures are 401s, or with a callbackURL a redirect that carries the code.
    let refuse = |code: ErrorCode| -> Result<Response<Body>> {
        match &callback_url {
            Some(url) => Ok(redirect(&redirects::append_params(
                url,
                &[("error", code.code)],
            ))),
            None => Err(code.with_status(StatusCode::UNAUTHORIZED).into()),
        }
    };
    // With a callbackURL the answer is a redirect that keeps every header set so far (the
    // session cookie and `set-auth-token` of an auto sign-in), as Better Auth's redirect does.
    let done = |response: Response<Body>| -> Response<Body> {
        let Some(url) = &callback_url else {
            return response;
        };
        let mut redirected = redirect(url);
        for (name, value) in response.headers() {
            if name != header::CONTENT_TYPE {
                redirected.headers_mut().append(name, value.clone());
            }
        }
        redirected
    };

    let claims = match verification::verify_email_token(&state.config.auth_secret, &token) {
        Ok(claims) => claims,
        Err(code) => return refuse(code),
    };
    if claims.update_to.is_some() {
        // A change-of-email token (account management); not served by this API yet.
        shared::tracing::warn!("a change-of-email verification token was refused");
        return refuse(errors::INVALID_TOKEN);
    }
    let Some(user) = users::find_user_by_email(&state.db, &claims.email).await? else {
        return refuse(errors::USER_NOT_FOUND);
    };
    if claims.user_id.as_ref().is_some_and(|id| *id != user.id) {
        return refuse(errors::INVALID_TOKEN);
    }
    let verified_answer = || ok_json(&json!({ "status": true, "user": null }));
    if user.email_verified {
        return Ok(done(verified_answer()));
    }
    let Some(user) = verification::mark_email_verified(&state.db, &claims.email).await? else {
        return refuse(errors::USER_NOT_FOUND);
    };
    shared::tracing::info!("email verified");
    let mut response = verified_answer();
    if state
        .config
        .options
        .email_verification
        .auto_sign_in_after_verification
    {
        let token = match sessions::current_session(state, &request).await? {
            Lookup::Active {
                session,
                user: current,
                ..
            } if current.email == user.email => session.token,
            _ => {
                let session = Session::new(&user.id, &ClientInfo::of(&request), true);
                sessions::insert_session(&state.db, &session).await?;
                session.token
            }
        };
        cookies::set_signed_in(&state.config, &request, &mut response, &token, true);
    }
    Ok(done(response))
}
