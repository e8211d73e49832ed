//! `GET /api/auth/get-session`: the current session and user (or `null`), extended when a
//! day of it has passed (unless `?disableRefresh=true`), with a fresh JWT in `set-auth-jwt`.

use shared::better_auth::sessions::{self, Lookup};
use shared::better_auth::users::Timestamp;
use shared::better_auth::{cookies, endpoint, jwt};
use shared::http::{append_header, no_store, ok_json, query_param, set_cookies};
use shared::serde_json::{Value, json};
use shared::{Body, Endpoint, Request, Response, Result, State};

/// A request without a live session gets `200 null`.
pub const ENDPOINT: Endpoint = endpoint(200);

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    let (mut session, user, via_bearer) = match sessions::current_session(state, &request).await? {
        Lookup::Anonymous => return Ok(null_session(None)),
        Lookup::Dead => return Ok(null_session(Some(cookies::clearing_cookies(&state.config)))),
        Lookup::Active(sessions::Active {
            session,
            user,
            via_bearer,
        }) => (session, user, via_bearer),
    };
    let now = Timestamp::now();
    // `?disableRefresh=…` (any value but the empty string, as zod's coerce.boolean reads it)
    // reads without extending. `disableCookieCache` needs nothing: there is no cookie cache,
    // so every read is the database's.
    let refresh_disabled = query_param(&request, "disableRefresh").is_some_and(|v| !v.is_empty());
    let extend = session.needs_extending(now, &state.config.options.session)
        && !refresh_disabled
        && !cookies::has_dont_remember(&request, &state.config);
    if extend {
        sessions::extend_session(&state.db, &mut session, now, &state.config.options.session)
            .await?;
    }
    let jwt = jwt::issue(state, &user).await?;

    let mut response = ok_json(&json!({ "session": session, "user": user }));
    no_store(&mut response);
    append_header(&mut response, "set-auth-jwt", &jwt);
    let exposed = if extend {
        set_cookies(
            &mut response,
            cookies::session_cookies(&state.config, &session.token, true),
        );
        if via_bearer {
            let bearer = cookies::bearer_header_value(&state.config, &session.token);
            append_header(&mut response, "set-auth-token", &bearer);
            "set-auth-jwt, set-auth-token"
        } else {
            "set-auth-jwt"
        }
    } else {
        "set-auth-jwt"
    };
    append_header(&mut response, "access-control-expose-headers", exposed);
    Ok(response)
}

/// `200 null`, clearing the session cookies when the request named a session that is gone.
fn null_session(clear: Option<Vec<String>>) -> Response<Body> {
    let mut response = ok_json(&Value::Null);
    no_store(&mut response);
    set_cookies(&mut response, clear.into_iter().flatten());
    response
}
