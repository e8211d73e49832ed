//! `GET /api/auth/verify-email?token=…&callbackURL=…`: the link in the verification mail (or
//! `authClient.verifyEmail({query})`). Marks the email verified and answers
//! `{"status":true,"user":null}`, or redirects to callbackURL; a failure with a callbackURL
//! redirects to `callbackURL?error=<CODE>`. With `autoSignInAfterVerification` it also signs
//! the user in. The links of a change of email (change-email) come here too.

use shared::better_auth::errors::{self, ErrorCode};
use shared::better_auth::sessions::{self, ClientInfo, Lookup, Session};
use shared::better_auth::users::EmailChange;
use shared::better_auth::verification::ChangeEmailStep;
use shared::better_auth::{
    body, cookies, emails, endpoint, origin, redirects, users, verification,
};
use shared::http::{StatusCode, header, ok_json, redirect};
use shared::serde_json::json;
use shared::{Body, Endpoint, Request, Response, Result, State};

/// The fixture's token is signed with a placeholder secret: 401 `INVALID_TOKEN`.
pub const ENDPOINT: Endpoint = endpoint(401);

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    let token = body::required_query(&request, "token")?;
    let callback_url = origin::query_callback_url(&state.config, &request)?;
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
    if let Some(new_email) = &claims.update_to {
        let callback_url = callback_url.as_deref();
        return change_of_email(
            state,
            &request,
            &claims,
            new_email,
            callback_url,
            refuse,
            done,
        )
        .await;
    }
    let Some(user) =
        users::find_user_by_email(&state.db, state.config.user_fields(), &claims.email).await?
    else {
        return refuse(errors::USER_NOT_FOUND);
    };
    if claims.user_id.as_ref().is_some_and(|id| *id != user.id) {
        return refuse(errors::INVALID_TOKEN);
    }
    let verified_answer = || ok_json(&json!({ "status": true, "user": null }));
    if user.email_verified {
        return Ok(done(verified_answer()));
    }
    let Some(user) =
        verification::mark_email_verified(&state.db, state.config.user_fields(), &claims.email)
            .await?
    else {
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
            Lookup::Active(sessions::Active {
                session,
                user: current,
                ..
            }) if current.email == user.email => session.token,
            _ => {
                let session = Session::new(
                    &user.id,
                    &ClientInfo::of(&request),
                    true,
                    &state.config.options.session,
                );
                sessions::insert_session(&state.db, &session).await?;
                session.token
            }
        };
        cookies::set_signed_in(&state.config, &request, &mut response, &token, true);
    }
    Ok(done(response))
}

/// The links of a change of email (change-email): the confirmation at the old address mails
/// the verification link to the new one; that link (or a legacy token without `requestType`)
/// moves the account. The token is bound to its user (`userId`) and to their current email,
/// and a signed-in caller must be that user.
async fn change_of_email(
    state: &State,
    request: &Request,
    claims: &verification::EmailClaims,
    new_email: &str,
    callback_url: Option<&str>,
    refuse: impl Fn(ErrorCode) -> Result<Response<Body>>,
    done: impl Fn(Response<Body>) -> Response<Body>,
) -> Result<Response<Body>> {
    let Some(user_id) = &claims.user_id else {
        return refuse(errors::INVALID_TOKEN);
    };
    let Some(user) = users::find_user_by_id(&state.db, state.config.user_fields(), user_id).await?
    else {
        return refuse(errors::USER_NOT_FOUND);
    };
    if user.email.to_lowercase() != claims.email {
        // The account has moved since the mail was sent: the link is spent.
        return refuse(errors::INVALID_TOKEN);
    }
    let signed_in = match sessions::current_session(state, request).await? {
        Lookup::Active(sessions::Active {
            session,
            user: current,
            ..
        }) => {
            if current.id != user.id {
                return refuse(errors::INVALID_USER);
            }
            Some(session)
        }
        Lookup::Anonymous | Lookup::Dead => None,
    };
    let step = claims.request_type.as_deref();
    if step == Some(ChangeEmailStep::Confirmation.request_type()) {
        let token = verification::issue_change_email_token(
            &state.config.auth_secret,
            &claims.email,
            new_email,
            ChangeEmailStep::Verification,
            &user.id,
            state.config.options.verification_token_lifetime(),
        );
        let recipient = users::User {
            email: new_email.to_owned(),
            ..user
        };
        if state.mailer.enabled() {
            emails::send_verification_link(state, &recipient, &token, callback_url).await;
        }
        shared::tracing::info!("change of email confirmed; verification mailed to the new address");
        return Ok(done(ok_json(&json!({ "status": true }))));
    }
    // The verification step keeps `emailVerified` as it was; Better Auth's legacy token (no
    // requestType) unverifies, and mails a plain verification link to the new address.
    let legacy = step != Some(ChangeEmailStep::Verification.request_type());
    let verified = !legacy && user.email_verified;
    let moved = match users::set_email(
        &state.db,
        state.config.user_fields(),
        &user.id,
        new_email,
        verified,
    )
    .await?
    {
        EmailChange::Changed(moved) => moved,
        EmailChange::Taken => return refuse(errors::USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL),
        EmailChange::UserGone => return refuse(errors::USER_NOT_FOUND),
    };
    shared::tracing::info!(legacy, "email changed");
    if legacy && state.mailer.enabled() {
        emails::send_verification(state, &moved, callback_url).await;
    }
    let mut response = ok_json(&json!({ "status": true, "user": moved }));
    if let Some(session) = signed_in {
        cookies::renew_session_cookie(&state.config, request, &mut response, &session.token);
    }
    Ok(done(response))
}
