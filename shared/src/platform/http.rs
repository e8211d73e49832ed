//! Reading requests and writing responses: the HTTP plumbing every handler shares, in both
//! dialects (errors are rendered by [`crate::error`]).

pub use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// The characters JS `encodeURIComponent` leaves alone besides ASCII letters and digits.
const ENCODE_URI_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// JavaScript's `encodeURIComponent`, which Better Auth uses for cookie values and the
/// `callbackURL` in the links it mails.
pub fn encode_uri_component(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, ENCODE_URI_COMPONENT).to_string()
}

/// HTML-escapes text for an element or a double-quoted attribute (mail templates, the error
/// page). Five replacements do not justify a crate.
pub fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Largest request body any route accepts. API Gateway allows 10 MB; nothing here needs more
/// than a task description, so anything bigger is refused before it is parsed.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Responses

/// A JSON response with the given status.
pub fn json_response(status: StatusCode, body: &impl Serialize) -> Response<Body> {
    // Serialising our own types cannot fail: they hold no maps with non-string keys.
    let text = serde_json::to_string(body).expect("response bodies serialise");
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A 200 JSON response.
pub fn ok_json(body: &impl Serialize) -> Response<Body> {
    json_response(StatusCode::OK, body)
}

/// A `302 Found` to `location` with an empty body, as Better Auth's `ctx.redirect` sends it
/// (an error response underneath, so it keeps `content-type: application/json`).
pub fn redirect(location: &str) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::FOUND;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Adds `name: value`, keeping any values already there (Set-Cookie is repeated). A value
/// that is not a valid header value is dropped: every caller passes ASCII it built itself.
pub fn append_header(response: &mut Response<Body>, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().append(name, value);
    }
}

/// Adds `Set-Cookie` for each of `cookies`.
pub fn set_cookies(response: &mut Response<Body>, cookies: impl IntoIterator<Item = String>) {
    for cookie in cookies {
        append_header(response, "set-cookie", &cookie);
    }
}

/// Marks a response that carries a session or a token as not cacheable by browsers or proxies.
pub fn no_store(response: &mut Response<Body>) {
    append_header(response, "cache-control", "no-store");
    append_header(response, "pragma", "no-cache");
}

// ---------------------------------------------------------------------------------------------
// Requests

/// The request body as bytes, refusing anything over [`MAX_BODY_BYTES`].
pub fn body_bytes(request: &Request) -> Result<&[u8]> {
    let bytes: &[u8] = request.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(Error::payload_too_large(MAX_BODY_BYTES));
    }
    Ok(bytes)
}

/// Parses a JSON body: syntax errors are 400 (not JSON at all), type errors are 422 (JSON of
/// the wrong shape), matching what the FastAPI backend this replaces answered.
pub fn json_body<T: DeserializeOwned>(request: &Request) -> Result<T> {
    let bytes = body_bytes(request)?;
    serde_json::from_slice(bytes).map_err(|err| match err.classify() {
        serde_json::error::Category::Data => {
            Error::unprocessable(format!("Invalid request body: {err}"))
        }
        _ => Error::bad_request("Request body is not valid JSON"),
    })
}

/// Like [`json_body`], but an empty body (or a bare `null`) means "no body".
pub fn optional_json_body<T: DeserializeOwned>(request: &Request) -> Result<Option<T>> {
    let bytes = body_bytes(request)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    json_body::<Option<T>>(request)
}

/// A path parameter that API Gateway (or local-api) extracted from the route.
pub fn path_param(request: &Request, name: &str) -> Option<String> {
    request
        .path_parameters_ref()
        .and_then(|params| params.first(name))
        .map(str::to_owned)
}

/// A query string parameter (the first, if repeated).
pub fn query_param(request: &Request, name: &str) -> Option<String> {
    request
        .query_string_parameters_ref()
        .and_then(|params| params.first(name))
        .map(str::to_owned)
}

/// A header as text; a header that is not visible ASCII counts as absent.
pub fn header(request: &Request, name: impl header::AsHeaderName) -> Option<&str> {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
}

/// The token from `Authorization: Bearer <token>` (scheme matched case-insensitively).
pub fn bearer_token(request: &Request) -> Option<&str> {
    let value = header(request, header::AUTHORIZATION)?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The caller's IP: API Gateway's `requestContext.http.sourceIp` (which a client cannot forge,
/// unlike X-Forwarded-For), else a single-address X-Forwarded-For.
pub fn client_ip(request: &Request) -> Option<String> {
    use lambda_http::request::RequestContext;
    if let Some(RequestContext::ApiGatewayV2(context)) = request.request_context_ref()
        && let Some(ip) = context
            .http
            .source_ip
            .as_deref()
            .filter(|ip| !ip.is_empty())
    {
        return Some(ip.to_owned());
    }
    header(request, "x-forwarded-for")
        .map(str::trim)
        .filter(|v| !v.is_empty() && !v.contains(','))
        .map(str::to_owned)
}

/// Deserialises `null` as `Some(None)` and an absent field (with `#[serde(default)]`) as
/// `None`, so a PUT can tell "clear this field" from "leave it alone". serde has no built-in
/// for this and the two-line helper does not justify a dependency.
pub fn nullable<'de, D, T>(deserializer: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}
