//! `GET /api/auth/reset-password/{token}?callbackURL=…`: the link in the reset mail. Redirects
//! to `callbackURL?token=<token>` while the token is good, else to
//! `callbackURL?error=INVALID_TOKEN` (or Better Auth's `/api/auth/error` without a
//! callbackURL). Spends nothing: the page at callbackURL calls reset-password.

use shared::better_auth::verification::{self, ResetToken};
use shared::better_auth::{endpoint, origin, redirects};
use shared::http::{path_param, redirect};
use shared::{Body, Endpoint, Request, Response, Result, State};

/// The fixture's token does not exist: a redirect with `error=INVALID_TOKEN`.
pub const ENDPOINT: Endpoint = endpoint(302);

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    let callback_url = shared::better_auth::body::required_query(&request, "callbackURL")?;
    if !callback_url.is_empty() {
        origin::check_callback_url(&state.config, &callback_url)?;
    }
    let token = path_param(&request, "token").unwrap_or_default();
    let invalid = || {
        redirect(&redirects::set_params(
            &state.config,
            Some(&callback_url),
            &[("error", "INVALID_TOKEN")],
        ))
    };
    if token.is_empty() || callback_url.is_empty() {
        return Ok(invalid());
    }
    Ok(
        match verification::check_reset_token(&state.db, &token).await? {
            ResetToken::Invalid => invalid(),
            // Better Auth does not look for the user here; reset-password answers USER_NOT_FOUND.
            ResetToken::UserGone | ResetToken::Valid { .. } => redirect(&redirects::set_params(
                &state.config,
                Some(&callback_url),
                &[("token", &token)],
            )),
        },
    )
}
