//! Better Auth's cookies: signed values (`<value>.<base64 HMAC-SHA256>`, URI-encoded), the
//! `Cookie` header lookup, and the session cookies' names, attributes and Set-Cookie values.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use hmac::{Hmac, Mac};
use percent_encoding::percent_decode_str;
use sha2::Sha256;

use crate::config::Config;
use crate::http::{append_header, encode_uri_component, header, set_cookies};
use crate::{Body, Request, Response};

type HmacSha256 = Hmac<Sha256>;

/// better-call decodes signatures with `atob`, which ignores the unused low bits of the last
/// base64 digit; accepting them too keeps every cookie Better Auth accepts valid here.
const ATOB: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

const SIGNATURE_B64_LEN: usize = 44;

fn mac(secret: &str) -> HmacSha256 {
    HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length")
}

/// Signs a cookie value the way better-call's `signCookieValue` does:
/// `encodeURIComponent(value + "." + base64(HMAC_SHA256(secret, value)))`.
pub fn sign_cookie_value(value: &str, secret: &str) -> String {
    let mut mac = mac(secret);
    mac.update(value.as_bytes());
    let signature = STANDARD.encode(mac.finalize().into_bytes());
    encode_uri_component(&format!("{value}.{signature}"))
}

/// Checks a signed cookie value as better-call's `getSignedCookie` does and returns the inner value.
///
/// `raw` is the cookie value as it appears in the `Cookie` header (still URI-encoded); it is decoded
/// exactly once here, as better-call's cookie parser does.
pub fn verify_signed_cookie_value(raw: &str, secret: &str) -> Option<String> {
    let decoded = try_decode_uri_component(raw);
    let dot = decoded.rfind('.')?;
    // better-call rejects an empty inner value (`lastIndexOf(".") < 1`).
    if dot == 0 {
        return None;
    }
    let (value, signature) = (&decoded[..dot], &decoded[dot + 1..]);
    if signature.len() != SIGNATURE_B64_LEN || !signature.ends_with('=') {
        return None;
    }
    let signature = ATOB.decode(signature).ok()?;
    let mut mac = mac(secret);
    mac.update(value.as_bytes());
    // verify_slice compares in constant time and rejects wrong lengths.
    mac.verify_slice(&signature).ok()?;
    Some(value.to_owned())
}

/// better-call's `tryDecode`: `decodeURIComponent` when the text has a `%`, and the text unchanged
/// when that throws (a stray `%` or bytes that are not UTF-8).
fn try_decode_uri_component(raw: &str) -> std::borrow::Cow<'_, str> {
    if !raw.contains('%') || !has_only_valid_escapes(raw) {
        return raw.into();
    }
    percent_decode_str(raw).decode_utf8().unwrap_or(raw.into())
}

fn has_only_valid_escapes(s: &str) -> bool {
    // percent_decode_str passes malformed escapes through, but decodeURIComponent throws on them.
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let valid = bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !valid {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

fn is_js_whitespace(c: char) -> bool {
    // JS `String.prototype.trim` also strips the BOM, which Rust's `trim` keeps.
    c.is_whitespace() || c == '\u{FEFF}'
}

/// Finds a cookie's raw (not URI-decoded) value in a `Cookie` request header.
///
/// Mirrors better-call's `parseCookies`: `;`-separated pairs, names and values trimmed, a value
/// starting with `"` loses its first and last character, and the first pair with the name wins.
pub fn cookie_value<'a>(cookie_header: &'a str, name: &str) -> Option<&'a str> {
    let mut index = 0;
    while index < cookie_header.len() {
        let rest = &cookie_header[index..];
        let eq = index + rest.find('=')?;
        let end = rest.find(';').map_or(cookie_header.len(), |i| index + i);
        if end < eq {
            // A segment without '=': resume after the last ';' before this '=', like better-call.
            index = cookie_header[..eq].rfind(';').map_or(0, |i| i + 1);
            continue;
        }
        let key = cookie_header[index..eq].trim_matches(is_js_whitespace);
        if key == name {
            let value = cookie_header[eq + 1..end].trim_matches(is_js_whitespace);
            return Some(strip_quotes(value));
        }
        index = end + 1;
    }
    None
}

fn strip_quotes(value: &str) -> &str {
    // JS `val.slice(1, -1)` after seeing a leading quote, whether or not a closing one follows.
    let Some(inner) = value.strip_prefix('"') else {
        return value;
    };
    let mut chars = inner.chars();
    chars.next_back();
    chars.as_str()
}

// ---------------------------------------------------------------------------------------------
// Session cookies: names, attributes, and the Set-Cookie values of each outcome

/// Cookie names: `advanced.cookiePrefix` (`better-auth`), with `__Secure-` when cookies are
/// Secure (as Better Auth names them).
struct CookieNames {
    pub session_token: String,
    pub session_data: String,
    pub dont_remember: String,
}

impl CookieNames {
    fn for_config(config: &Config) -> Self {
        let cookie_prefix = &config.options.advanced.cookie_prefix;
        let prefix = if config.secure_cookies() {
            format!("__Secure-{cookie_prefix}.")
        } else {
            format!("{cookie_prefix}.")
        };
        CookieNames {
            session_token: format!("{prefix}session_token"),
            session_data: format!("{prefix}session_data"),
            dont_remember: format!("{prefix}dont_remember"),
        }
    }
}

/// The session token in the request's validly signed session cookie.
pub fn session_token(request: &Request, config: &Config) -> Option<String> {
    let names = CookieNames::for_config(config);
    header(request, "cookie")
        .and_then(|cookies| cookie_value(cookies, &names.session_token))
        .and_then(|value| verify_signed_cookie_value(value, config.auth_secret.expose()))
}

/// Whether the request carries a validly signed `dont_remember` cookie.
pub fn has_dont_remember(request: &Request, config: &Config) -> bool {
    let names = CookieNames::for_config(config);
    header(request, "cookie")
        .and_then(|cookies| cookie_value(cookies, &names.dont_remember))
        .and_then(|value| verify_signed_cookie_value(value, config.auth_secret.expose()))
        .is_some_and(|value| value == "true")
}

/// Whether the request has any Cookie header (which makes Better Auth check the Origin).
pub fn has_cookie_header(request: &Request) -> bool {
    request.headers().contains_key("cookie")
}

/// The attributes after `Max-Age`, in better-call's order: `Domain` (crossSubDomainCookies),
/// `Path`, `HttpOnly`, `Secure`, `SameSite`.
fn cookie_attributes(config: &Config) -> String {
    let mut attributes = String::new();
    if let Some(domain) = &config.cookie_domain {
        attributes.push_str(&format!("Domain={domain}; "));
    }
    attributes.push_str("Path=/; HttpOnly");
    if config.secure_cookies() {
        attributes.push_str("; Secure");
    }
    attributes.push_str(&format!("; SameSite={}", config.same_site.as_str()));
    attributes
}

/// `Set-Cookie` values for a new or extended session: the signed token (no Max-Age for a
/// `rememberMe: false` session), and for such a session the `dont_remember` marker.
pub fn session_cookies(config: &Config, token: &str, remember: bool) -> Vec<String> {
    let names = CookieNames::for_config(config);
    let secret = config.auth_secret.expose();
    let attributes = cookie_attributes(config);
    let signed = sign_cookie_value(token, secret);
    if remember {
        vec![format!(
            "{}={signed}; Max-Age={}; {attributes}",
            names.session_token, config.options.session.expires_in
        )]
    } else {
        vec![
            format!("{}={signed}; {attributes}", names.session_token),
            format!(
                "{}={}; {attributes}",
                names.dont_remember,
                sign_cookie_value("true", secret)
            ),
        ]
    }
}

/// The cookie that removes a `dont_remember` marker.
fn clear_dont_remember_cookie(config: &Config) -> String {
    format!(
        "{}=; Max-Age=0; {}",
        CookieNames::for_config(config).dont_remember,
        cookie_attributes(config)
    )
}

/// The three cookies Better Auth clears on sign-out and for a dead session.
pub fn clearing_cookies(config: &Config) -> Vec<String> {
    let names = CookieNames::for_config(config);
    let attributes = cookie_attributes(config);
    [names.session_token, names.session_data, names.dont_remember]
        .into_iter()
        .map(|name| format!("{name}=; Max-Age=0; {attributes}"))
        .collect()
}

/// The `set-auth-token` header value: `<token>.<signature>`, not URL-encoded.
pub fn bearer_header_value(config: &Config, token: &str) -> String {
    percent_encoding::percent_decode_str(&sign_cookie_value(token, config.auth_secret.expose()))
        .decode_utf8_lossy()
        .into_owned()
}

/// What sign-up and sign-in add to their response: the session cookie(s), the cleared
/// `dont_remember` marker when a remembered session replaces a short one, and the bearer
/// plugin's `set-auth-token` for clients that cannot use cookies.
pub fn set_signed_in(
    config: &Config,
    request: &Request,
    response: &mut Response<Body>,
    token: &str,
    remember: bool,
) {
    let mut cookies = session_cookies(config, token, remember);
    if remember && has_dont_remember(request, config) {
        cookies.push(clear_dont_remember_cookie(config));
    }
    set_cookies(response, cookies);
    append_header(
        response,
        "set-auth-token",
        &bearer_header_value(config, token),
    );
    append_header(response, "access-control-expose-headers", "set-auth-token");
}

/// Better Auth's `setSessionCookie` for a session the request already holds (update-user,
/// change-password's new session, a change of email): the session cookie again, kept a
/// browser-session cookie when the request's `dont_remember` marker says so, and
/// `set-auth-token`.
pub fn renew_session_cookie(
    config: &Config,
    request: &Request,
    response: &mut Response<Body>,
    token: &str,
) {
    let remember = !has_dont_remember(request, config);
    set_signed_in(config, request, response, token, remember);
}

#[cfg(test)]
mod tests {
    use super::*;

    // Produced by tests/vectors/make-vectors.mjs with better-call's own signCookieValue
    // (better-call 1.4.5, dist/crypto.mjs) and a real sign-up through better-auth 1.7.25.
    const SECRET: &str = "vector-secret-0123456789abcdefghijklmnopqrstuvwxyz";
    const BA_SIGNED: [(&str, &str); 3] = [
        (
            "VectorTokenWithPlusAndSlash00002",
            "VectorTokenWithPlusAndSlash00002.0P3o%2BhLBi9Uh%2F9PeNxs7ssTLmbd6Pem%2BE2dIKoxZFCs%3D",
        ),
        (
            "a b+c/ä€!~*'()_-.;=%😀",
            "a%20b%2Bc%2F%C3%A4%E2%82%AC!~*'()_-.%3B%3D%25%F0%9F%98%80.BKr3u%2BrxoIXbTDDhnm7CRVkpub5%2BE0TUhfd5eMLJUew%3D",
        ),
        (
            "true",
            "true.FZfatJmRC2p2Vswx2JjZTXfBtYl3xBu74YT48Yf4sCg%3D",
        ),
    ];
    const BA_SESSION_TOKEN: &str = "7gaLs3Q69VO653Pe31hTBeQJ2Lidl7bw";
    const BA_SET_COOKIE: &str = "better-auth.session_token=7gaLs3Q69VO653Pe31hTBeQJ2Lidl7bw.n5XeFn7l7fPgsPHBklRk7e5T2TOv7gzfnhrs2SLXTng%3D; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax";
    const BA_SESSION_COOKIE_VALUE: &str =
        "7gaLs3Q69VO653Pe31hTBeQJ2Lidl7bw.n5XeFn7l7fPgsPHBklRk7e5T2TOv7gzfnhrs2SLXTng%3D";

    #[test]
    fn our_cookie_signature_equals_better_auths_byte_for_byte() {
        for (value, signed) in BA_SIGNED {
            assert_eq!(sign_cookie_value(value, SECRET), signed, "{value}");
        }
        assert_eq!(
            sign_cookie_value(BA_SESSION_TOKEN, SECRET),
            BA_SESSION_COOKIE_VALUE
        );
        assert!(BA_SET_COOKIE.contains(&format!(
            "better-auth.session_token={}",
            sign_cookie_value(BA_SESSION_TOKEN, SECRET)
        )));
    }

    #[test]
    fn better_auth_signed_cookies_verify() {
        for (value, signed) in BA_SIGNED {
            assert_eq!(
                verify_signed_cookie_value(signed, SECRET).as_deref(),
                Some(value)
            );
        }
        assert_eq!(
            verify_signed_cookie_value(BA_SESSION_COOKIE_VALUE, SECRET).as_deref(),
            Some(BA_SESSION_TOKEN)
        );
    }

    #[test]
    fn signed_cookie_sent_without_uri_encoding_also_verifies() {
        // better-call only decodes when it sees a '%', so a literal "+/=" signature is accepted too.
        let unencoded =
            "VectorTokenWithPlusAndSlash00002.0P3o+hLBi9Uh/9PeNxs7ssTLmbd6Pem+E2dIKoxZFCs=";
        assert_eq!(
            verify_signed_cookie_value(unencoded, SECRET).as_deref(),
            Some("VectorTokenWithPlusAndSlash00002")
        );
    }

    #[test]
    fn signature_with_unused_trailing_bits_set_is_accepted_like_better_auth() {
        // `node make-vectors.mjs verify-cookie` returned the token for this "…Tnh=" variant of
        // "…Tng=" (atob drops the 2 unused bits) and `false` for "…TnX=".
        let variant = BA_SESSION_COOKIE_VALUE.replace("Tng%3D", "Tnh%3D");
        assert_eq!(
            verify_signed_cookie_value(&variant, SECRET).as_deref(),
            Some(BA_SESSION_TOKEN)
        );
        let tampered = BA_SESSION_COOKIE_VALUE.replace("Tng%3D", "TnX%3D");
        assert_eq!(verify_signed_cookie_value(&tampered, SECRET), None);
    }

    #[test]
    fn tampered_cookie_is_rejected() {
        let tampered_token = BA_SESSION_COOKIE_VALUE.replacen('7', "8", 1);
        assert_eq!(verify_signed_cookie_value(&tampered_token, SECRET), None);
        let tampered_signature = BA_SESSION_COOKIE_VALUE.replace(".n5Xe", ".n5Xf");
        assert_eq!(
            verify_signed_cookie_value(&tampered_signature, SECRET),
            None
        );
    }

    #[test]
    fn cookie_signed_with_another_secret_is_rejected() {
        assert_eq!(
            verify_signed_cookie_value(BA_SESSION_COOKIE_VALUE, "another-secret"),
            None
        );
    }

    #[test]
    fn malformed_cookie_values_are_rejected_without_panic() {
        let sig = "n5XeFn7l7fPgsPHBklRk7e5T2TOv7gzfnhrs2SLXTng=";
        let cases = [
            String::new(),
            ".".to_string(),
            "no-dot-at-all".to_string(),
            format!(".{sig}"),
            format!("{BA_SESSION_TOKEN}."),
            format!("{BA_SESSION_TOKEN}.{}", &sig[1..]), // 43 chars
            format!("{BA_SESSION_TOKEN}.{}A", &sig[..43]), // 44 chars, no '='
            format!("{BA_SESSION_TOKEN}.{}==", &sig[..42]), // 44 chars, decodes to 31 bytes
            format!("{BA_SESSION_TOKEN}.{sig}A="),
            format!("{BA_SESSION_TOKEN}.{}*=", &sig[..42]),
            format!("{BA_SESSION_TOKEN}.{}é=", &sig[..41]),
            format!("{BA_SESSION_TOKEN}.{sig}%"),
            format!("{BA_SESSION_TOKEN}%ZZ.{sig}"),
            format!("{BA_SESSION_TOKEN}%FF.{sig}"),
            "%".to_string(),
            "%E2%82".to_string(),
        ];
        for raw in &cases {
            assert_eq!(verify_signed_cookie_value(raw, SECRET), None, "{raw:?}");
        }
    }

    #[test]
    fn sign_then_verify_round_trips() {
        for value in ["x", "token.with.dots", "ünïcödé ☃", BA_SESSION_TOKEN] {
            let signed = sign_cookie_value(value, "s3cret");
            assert_eq!(
                verify_signed_cookie_value(&signed, "s3cret").as_deref(),
                Some(value)
            );
        }
    }

    #[test]
    fn cookie_value_is_found_among_several_cookies() {
        let header = "theme=dark; better-auth.session_token=abc.def%3D;other=1";
        assert_eq!(
            cookie_value(header, "better-auth.session_token"),
            Some("abc.def%3D")
        );
        assert_eq!(cookie_value(header, "theme"), Some("dark"));
        assert_eq!(cookie_value(header, "other"), Some("1"));
        assert_eq!(cookie_value(header, "missing"), None);
        assert_eq!(cookie_value(header, "session_token"), None);
        assert_eq!(cookie_value("", "theme"), None);
    }

    #[test]
    fn cookie_value_trims_spaces_and_first_occurrence_wins() {
        let header = "  a = 1 ;a=2;  b=  x y  ";
        assert_eq!(cookie_value(header, "a"), Some("1"));
        assert_eq!(cookie_value(header, "b"), Some("x y"));
    }

    #[test]
    fn cookie_value_strips_quotes_like_better_call() {
        assert_eq!(cookie_value("a=\"quoted\"; b=\"open", "a"), Some("quoted"));
        assert_eq!(cookie_value("a=\"quoted\"; b=\"open", "b"), Some("ope"));
        assert_eq!(cookie_value("a=\"", "a"), Some(""));
    }

    #[test]
    fn cookie_value_skips_segments_without_equals() {
        assert_eq!(cookie_value("junk; a=1", "a"), Some("1"));
        assert_eq!(cookie_value("a=1; junk; b=2", "b"), Some("2"));
        assert_eq!(cookie_value("a=1; junk", "junk"), None);
        assert_eq!(cookie_value("a=b=c", "a"), Some("b=c"));
        assert_eq!(cookie_value(";;; =; a=", "a"), Some(""));
    }

    #[test]
    fn cookie_from_header_then_verified_gives_the_session_token() {
        let header = format!("x=1; {}", BA_SET_COOKIE.split(';').next().unwrap());
        let raw = cookie_value(&header, "better-auth.session_token").unwrap();
        assert_eq!(
            verify_signed_cookie_value(raw, SECRET).as_deref(),
            Some(BA_SESSION_TOKEN)
        );
    }
}
