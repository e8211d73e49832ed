//! `GET /api/auth/error?error=CODE&error_description=…`: where Better Auth sends a browser
//! when a link fails and there is no callbackURL. Redirects to `onAPIError.errorURL` when that
//! option is set, else shows a small HTML page naming the error.

use shared::better_auth::{endpoint, redirects};
use shared::http::{HeaderValue, StatusCode, escape_html, header, query_param, redirect};
use shared::{Body, Endpoint, Request, Response, Result, State};

/// An error page: 200 (HTML).
pub const ENDPOINT: Endpoint = endpoint(200);

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    // Only a code of these characters is shown or passed on, as in Better Auth.
    let code = query_param(&request, "error")
        .filter(|code| {
            !code.is_empty()
                && code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"'_-".contains(&b))
        })
        .unwrap_or_else(|| "UNKNOWN".to_owned());
    let description = query_param(&request, "error_description").filter(|d| !d.is_empty());
    let mut params = vec![("error", code.as_str())];
    if let Some(description) = &description {
        params.push(("error_description", description));
    }
    if let Some(error_url) = &state.config.options.on_api_error.error_url {
        // Better Auth answers this one with a bare redirect: `location` and nothing else.
        let mut response = redirect(&redirects::append_params(error_url, &params));
        response.headers_mut().remove(header::CONTENT_TYPE);
        return Ok(response);
    }
    let description = description
        .map(|d| format!("<p>{}</p>", escape_html(&d)))
        .unwrap_or_default();
    let html = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Error</title></head>\
         <body style=\"font-family: sans-serif\"><h1>Something went wrong</h1>\
         <p>Error code: <code>{}</code></p>{description}</body></html>\n",
        escape_html(&code)
    );
    let mut response = Response::new(Body::Text(html));
    *response.status_mut() = StatusCode::OK;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(response)
}
