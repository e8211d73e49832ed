//! Better Auth's Origin / CSRF checks, which apply to POST requests only.
//!
//! - A POST carrying any Cookie header needs a trusted Origin (or Referer).
//! - Sign-in and sign-up without cookies: a cross-site navigation is refused; with any
//!   `Sec-Fetch-*` header the Origin is required and checked; else an Origin or Referer that
//!   is present is checked; else (curl, server-to-server) the request passes.
//! - `callbackURL` must be relative or on a trusted origin.

use super::cookies::has_cookie_header;
use super::errors::{
    CROSS_SITE_NAVIGATION_LOGIN_BLOCKED, ErrorCode, INVALID_CALLBACK_URL, INVALID_ORIGIN,
    INVALID_REDIRECT_URL, MISSING_OR_NULL_ORIGIN,
};
use crate::Request;
use crate::config::Config;
use crate::error::Result;
use crate::http::header;

/// Whether the route is a login form target (sign-in, sign-up), which gets the stricter
/// first-login checks even without cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Login,
    Other,
}

/// The request's Origin, or the origin of its Referer when Origin is absent.
fn request_origin(request: &Request) -> Option<String> {
    if let Some(origin) = header(request, "origin") {
        return Some(origin.to_owned());
    }
    let referer = header(request, "referer")?;
    Some(
        url::Url::parse(referer)
            .map(|url| url.origin().ascii_serialization())
            .unwrap_or_else(|_| referer.to_owned()),
    )
}

fn validate_origin(config: &Config, request: &Request) -> Result<()> {
    match request_origin(request) {
        None => Err(MISSING_OR_NULL_ORIGIN.into()),
        Some(origin) if origin.is_empty() || origin == "null" => Err(MISSING_OR_NULL_ORIGIN.into()),
        Some(origin) if config.is_trusted_origin(origin.trim_end_matches('/')) => Ok(()),
        Some(origin) => {
            tracing::warn!(%origin, "refused a request from an untrusted origin");
            Err(INVALID_ORIGIN.into())
        }
    }
}

/// The checks Better Auth runs before a POST handler.
pub fn check_post(config: &Config, request: &Request, route: Route) -> Result<()> {
    if has_cookie_header(request) {
        return validate_origin(config, request);
    }
    if route == Route::Other {
        return Ok(());
    }
    let fetch = |name: &str| {
        header(request, name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let (site, mode, dest) = (
        fetch("sec-fetch-site"),
        fetch("sec-fetch-mode"),
        fetch("sec-fetch-dest"),
    );
    if site.is_some() || mode.is_some() || dest.is_some() {
        if site == Some("cross-site") && mode == Some("navigate") {
            return Err(CROSS_SITE_NAVIGATION_LOGIN_BLOCKED.into());
        }
        return validate_origin(config, request);
    }
    if header(request, "origin").is_some() || header(request, "referer").is_some() {
        return validate_origin(config, request);
    }
    Ok(())
}

/// Whether a redirect target is a relative path or a URL on a trusted origin (Better Auth's
/// `isTrustedOrigin(url, {allowRelativePaths: true})`): anything else would be an open redirect.
pub fn is_trusted_target(config: &Config, target: &str) -> bool {
    let relative = target.starts_with('/') && !target.starts_with("//") && !target.contains('\\');
    relative
        || url::Url::parse(target)
            .map(|url| config.is_trusted_origin(&url.origin().ascii_serialization()))
            .unwrap_or(false)
}

/// A `callbackURL` must be a relative path or a URL on a trusted origin.
pub fn check_callback_url(config: &Config, callback_url: &str) -> Result<()> {
    check_target(config, callback_url, INVALID_CALLBACK_URL)
}

/// The `callbackURL` query parameter of a mailed link (verify-email, delete-user/callback),
/// checked: `None` when absent or empty.
pub fn query_callback_url(config: &Config, request: &Request) -> Result<Option<String>> {
    let callback_url =
        crate::http::query_param(request, "callbackURL").filter(|url| !url.is_empty());
    if let Some(url) = &callback_url {
        check_callback_url(config, url)?;
    }
    Ok(callback_url)
}

/// `redirectTo` (request-password-reset) is checked like a `callbackURL`, with its own code.
pub fn check_redirect_url(config: &Config, redirect_to: &str) -> Result<()> {
    check_target(config, redirect_to, INVALID_REDIRECT_URL)
}

fn check_target(config: &Config, target: &str, refusal: ErrorCode) -> Result<()> {
    if is_trusted_target(config, target) {
        Ok(())
    } else {
        tracing::warn!("refused an untrusted redirect target");
        Err(refusal.into())
    }
}
