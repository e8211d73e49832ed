//! Authentication: who is calling.
//!
//! - [`jwt`]: verifying bearer JWTs (HS256 with the shared secret, EdDSA with the `jwks` keys)
//!   and issuing them like Better Auth's jwt plugin.
//! - [`password`]: argon2id hashes, and Better Auth's scrypt hashes for users it created.
//! - [`cookie`]: Better Auth's signed cookie values.
//! - [`jwk`]: Ed25519 keys in Better Auth's `jwks` table format (private key encrypted).
//! - [`ids`]: random identifiers and session tokens.
//! - [`session`]: users and sessions as Better Auth stores and serialises them; session cookies.
//! - [`signing`]: issuing JWTs (EdDSA from the `jwks` table, or HS256) and listing public keys.
//! - [`origin`]: Better Auth's Origin/CSRF checks. [`rate_limit`]: sign-in/up limits in Postgres.
//! - [`request`]: Better Auth request bodies (zod-style validation) and responses.

pub mod cookie;
pub mod ids;
pub mod jwk;
pub mod jwt;
pub mod origin;
pub mod password;
pub mod rate_limit;
pub mod request;
pub mod session;
pub mod signing;

pub use jwt::{JwtKeys, VerifiedToken};

use crate::error::{Error, Result};
use crate::http::{bearer_token, path_param};
use crate::{Request, State};

/// The gate of every task route: a valid bearer JWT whose subject is the `{user_id}` in the
/// path. No token or a bad one is 401; a good token for someone else is 403. Costs no
/// database round trip (keys are in memory).
pub async fn require_path_user(state: &State, request: &Request) -> Result<String> {
    let token = bearer_token(request).ok_or_else(|| Error::unauthorized("Missing bearer token"))?;
    let verified = state.jwt.verify(token, &state.db).await?;
    let path_user = path_param(request, "user_id").unwrap_or_default();
    if verified.sub != path_user {
        return Err(Error::forbidden(
            "This token does not grant access to this user's tasks",
        ));
    }
    Ok(verified.sub)
}

/// What sign-up and sign-in add to their response: the session cookie(s), the cleared
/// `dont_remember` marker when a remembered session replaces a short one, and the bearer
/// plugin's `set-auth-token` for clients that cannot use cookies.
pub fn signed_in_response(
    config: &crate::config::Config,
    request: &Request,
    response: &mut crate::Response<crate::Body>,
    token: &str,
    remember: bool,
) {
    let mut cookies = session::session_cookies(config, token, remember);
    if remember && session::has_dont_remember(request, config) {
        cookies.push(session::clear_dont_remember_cookie(config));
    }
    request::set_cookies(response, cookies);
    request::append_header(
        response,
        "set-auth-token",
        &session::bearer_header_value(config, token),
    );
    request::append_header(response, "access-control-expose-headers", "set-auth-token");
}
