//! `GET /api/auth/get-session`: the current session and user (or `null`), extended when a
//! day of it has passed, with a fresh JWT in `set-auth-jwt`.

use serde_json::{Value, json};
use shared::auth::request::{append_header, no_store, ok_json, respond, set_cookies};
use shared::auth::session::{
    self, Lookup, Timestamp, bearer_header_value, clearing_cookies, session_cookies,
};
use shared::auth::signing::issue_jwt;
use shared::{Body, Request, Response, Result, State};

pub async fn handle(state: &State, request: Request) -> Response<Body> {
    respond(get_session(state, &request).await)
}

async fn get_session(state: &State, request: &Request) -> Result<Response<Body>> {
    let (mut session, user, via_bearer) = match session::current_session(state, request).await? {
        Lookup::Anonymous => return Ok(null_session(None)),
        Lookup::Dead => return Ok(null_session(Some(clearing_cookies(&state.config)))),
        Lookup::Active {
            session,
            user,
            via_bearer,
        } => (session, user, via_bearer),
    };
    let now = Timestamp::now();
    let extend =
        session.needs_extending(now) && !session::has_dont_remember(request, &state.config);
    if extend {
        session::extend_session(&state.db, &mut session, now).await?;
    }
    let jwt = issue_jwt(state, &user).await?;

    let mut response = ok_json(&json!({ "session": session, "user": user }));
    no_store(&mut response);
    append_header(&mut response, "set-auth-jwt", &jwt);
    if extend {
        set_cookies(
            &mut response,
            session_cookies(&state.config, &session.token, true),
        );
    }
    if extend && via_bearer {
        append_header(
            &mut response,
            "set-auth-token",
            &bearer_header_value(&state.config, &session.token),
        );
        append_header(
            &mut response,
            "access-control-expose-headers",
            "set-auth-jwt, set-auth-token",
        );
    } else {
        append_header(
            &mut response,
            "access-control-expose-headers",
            "set-auth-jwt",
        );
    }
    Ok(response)
}

/// `200 null`, clearing the session cookies when the request named a session that is gone.
fn null_session(clear: Option<Vec<String>>) -> Response<Body> {
    let mut response = ok_json(&Value::Null);
    no_store(&mut response);
    set_cookies(&mut response, clear.into_iter().flatten());
    response
}
