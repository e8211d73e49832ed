//! Better Auth's Origin / CSRF checks, which apply to POST requests only.
//!
//! - A POST carrying any Cookie header needs a trusted Origin (or Referer).
//! - Sign-in and sign-up without cookies: a cross-site navigation is refused; with any
//!   `Sec-Fetch-*` header the Origin is required and checked; else an Origin or Referer that
//!   is present is checked; else (curl, server-to-server) the request passes.
//! - `callbackURL` must be a safe relative path, on a trusted origin, or of a trusted app scheme.

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
        Some(origin) if is_trusted(config, origin.trim_end_matches('/')) => Ok(()),
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

/// Whether a redirect target is a safe relative path or a URL on a trusted origin (Better
/// Auth's `isTrustedOrigin(url, {allowRelativePaths: true})`): anything else would be an open
/// redirect, since the better-auth client sets `window.location.href` to it.
pub fn is_trusted_target(config: &Config, target: &str) -> bool {
    if target.starts_with('/') {
        return is_safe_relative(target);
    }
    is_trusted(config, target)
}

/// An http(s) URL (or Origin) on a trusted origin, or a URL of a trusted app scheme. An opaque
/// origin (`null`, `javascript:`, `data:`) is never trusted.
fn is_trusted(config: &Config, value: &str) -> bool {
    if has_control_character(value) {
        return false;
    }
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {
            config.is_trusted_origin(&url.origin().ascii_serialization())
        }
        _ => config
            .trusted_app_origins
            .iter()
            .any(|pattern| matches_app_origin(value, pattern)),
    }
}

/// Better Auth's `CONTROL_CHARACTER_PATTERN`: C0, DEL and C1. Browsers strip some of these
/// (tab, CR, LF) before parsing, so `/\t/evil.example` would become `//evil.example`.
fn has_control_character(value: &str) -> bool {
    value
        .chars()
        .any(|c| matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'))
}

/// Better Auth's `isSafeRelativeURL`: a path that no browser or router reads as another host.
fn is_safe_relative(target: &str) -> bool {
    if !target.starts_with('/')
        || target.starts_with("//")
        || target.contains('\\')
        || has_control_character(target)
    {
        return false;
    }
    // An encoded `/` or `\` in the path is decoded by some routers into `//host`.
    let path = target.split(['?', '#']).next().unwrap_or_default();
    let lower = path.to_ascii_lowercase();
    if lower.contains("%2f") || lower.contains("%5c") {
        return false;
    }
    // Resolved against a placeholder origin, it must stay there (WHATWG URL parsing, as
    // Better Auth checks it with `new URL`).
    let base = url::Url::parse("https://better-auth.invalid").expect("static URL");
    base.join(target)
        .is_ok_and(|url| url.origin() == base.origin())
}

/// A URL of a custom scheme against a `CORS_ORIGINS` entry of that scheme, as Better Auth's
/// `matchesOriginPattern` does for trustedOrigins without wildcards: the same scheme, the same
/// authority when the entry has one, and the entry's path or below it (after decoding and
/// resolving `..`). Split by hand, as Better Auth does, because URL parsers disagree on
/// non-special schemes.
fn matches_app_origin(value: &str, pattern: &str) -> bool {
    match (split_app_url(value), split_app_url(pattern)) {
        (Some(url), Some(pattern)) if url.scheme == pattern.scheme => {
            (pattern.authority.is_empty() || url.authority == pattern.authority)
                && (pattern.path.is_empty()
                    || url.path == pattern.path
                    || url.path.starts_with(&format!("{}/", pattern.path)))
        }
        _ => false,
    }
}

struct AppUrl {
    scheme: String,
    authority: String,
    path: String,
}

fn split_app_url(value: &str) -> Option<AppUrl> {
    if has_control_character(value) {
        return None;
    }
    let (scheme, mut rest) = value.split_once(':')?;
    if scheme.is_empty() {
        return None;
    }
    let mut authority = "";
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        authority = &after[..end];
        rest = &after[end..];
    }
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    Some(AppUrl {
        scheme: scheme.to_ascii_lowercase(),
        authority: authority.to_ascii_lowercase(),
        path: normalized_path(path),
    })
}

/// Percent-decoded, with `.` and `..` resolved, so `/cb/../evil` cannot pass as `/cb`.
fn normalized_path(path: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            ".." => {
                segments.pop();
            }
            "." | "" => {}
            other => segments.push(other),
        }
    }
    if segments.is_empty() {
        String::new()
    } else {
        format!("/{}", segments.join("/"))
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(cors: &str) -> Config {
        let env: HashMap<String, String> = [
            ("BETTER_AUTH_SECRET", "0123456789abcdef0123456789abcdef"),
            ("DATABASE_URL", "postgres://x"),
            ("BETTER_AUTH_URL", "https://api.example.com"),
            ("CORS_ORIGINS", cors),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        Config::from_sources(&env, None).unwrap()
    }

    #[test]
    fn relative_targets_that_browsers_read_as_another_host_are_refused() {
        let config = config("https://app.example.com");
        for safe in ["/", "/dashboard", "/a/b?next=//x#frag", "/search?q=%2F"] {
            assert!(is_trusted_target(&config, safe), "{safe:?}");
        }
        // Browsers strip tab, CR and LF from URLs: "/\t/evil.example" becomes "//evil.example".
        for hostile in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/\u{0}/evil.example",
            "/\u{7f}x",
            "/\u{85}x",
            "//evil.example",
            "/\\evil.example",
            "/%2F/evil.example",
            "/%5cevil.example",
            "/%2f%2fevil.example/x",
        ] {
            assert!(!is_trusted_target(&config, hostile), "{hostile:?}");
        }
    }

    #[test]
    fn an_app_scheme_in_cors_origins_trusts_that_scheme_and_never_an_opaque_origin() {
        let config = config("https://app.example.com, myapp://, exp://192.168.1.5:8081/--");
        assert!(
            !config.trusted_origins.iter().any(|o| o == "null"),
            "{:?}",
            config.trusted_origins
        );
        for hostile in [
            "javascript:alert(document.cookie)",
            "JavaScript://%0aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "null",
            "otherapp://callback",
            "exp://192.168.1.5:8081/evil",
            "exp://192.168.1.5:8081/--/../evil",
            "exp://attacker.example/--",
            "myapp://x\n/y",
        ] {
            assert!(!is_trusted_target(&config, hostile), "{hostile:?}");
        }
        for app in [
            "myapp://",
            "myapp://callback",
            "MyApp://auth/done?x=1",
            "exp://192.168.1.5:8081/--",
            "exp://192.168.1.5:8081/--/auth",
            "https://app.example.com/welcome",
        ] {
            assert!(is_trusted_target(&config, app), "{app:?}");
        }
        // An Origin header of "null" (a sandboxed page, a file://) is never trusted either.
        let request = lambda_http::http::Request::builder()
            .method("POST")
            .header("origin", "null")
            .header("cookie", "a=b")
            .body(lambda_http::Body::Empty)
            .unwrap();
        assert!(check_post(&config, &request, Route::Other).is_err());
        let request = lambda_http::http::Request::builder()
            .method("POST")
            .header("origin", "myapp://")
            .header("cookie", "a=b")
            .body(lambda_http::Body::Empty)
            .unwrap();
        assert!(check_post(&config, &request, Route::Other).is_ok());
    }
}
