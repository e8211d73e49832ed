//! The entry point every function's `main` calls: set up logging, build the state once, then
//! serve, rendering each handler's error in the function's dialect.

use std::convert::Infallible;
use std::future::Future;
use std::time::Instant;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Request, Response, service_fn};

use super::error::Dialect;
use super::logging;
use crate::{Body, Result, State};

pub use lambda_http::Error;

/// What the runtime, local-api and the tests know about a function besides its handler. Each
/// function's `lib.rs` declares one as `pub const ENDPOINT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// The JSON shape its errors take.
    pub dialect: Dialect,
    /// The status its request fixture (`events/<name>.json`, a placeholder secret and long
    /// expired credentials) gets from it on a fresh database; `tests/tests/routes.rs` checks it.
    pub fixture_status: u16,
}

impl Endpoint {
    /// The response for a handler's outcome: the response, or the error in this dialect.
    pub fn render(&self, outcome: Result<Response<Body>>) -> Response<Body> {
        outcome.unwrap_or_else(|err| err.into_response(self.dialect))
    }
}

/// Initialises logging, builds [`State`] (config, secret, database, keys) once per cold start,
/// and hands every invocation to `handler`.
///
/// The state is leaked on purpose: it lives as long as the process, and a `'static` borrow is
/// what lets `handler` be a plain `async fn(&State, Request)`.
pub async fn run<H, F>(endpoint: Endpoint, handler: H) -> Result<(), Error>
where
    H: Fn(&'static State, Request) -> F,
    F: Future<Output = Result<Response<Body>>> + Send,
{
    logging::init(logging::LogFormat::from_env());
    let started = Instant::now();
    let state = match State::init().await {
        Ok(state) => state,
        Err(err) => {
            // One clear line naming the problem; the error types never carry secret values.
            tracing::error!(error = %err, "init failed");
            return Err(err.into());
        }
    };
    tracing::info!(
        init_ms = started.elapsed().as_millis() as u64,
        "initialised"
    );
    let state: &'static State = Box::leak(Box::new(state));
    // lambda_runtime runs each invocation inside its "Lambda runtime invoke" span, which
    // carries `requestId`; every line logged from here on (ours, the database's) names it.
    lambda_http::run(service_fn(move |request: Request| {
        let line = RequestLine::start(&request);
        let response = handler(state, request);
        async move {
            let response = endpoint.render(response.await);
            line.finish(response.status());
            Ok::<_, Infallible>(response)
        }
    }))
    .await
}

/// The request line [`run`] (and local-api) logs for each invocation, started before the
/// handler runs.
pub struct RequestLine {
    method: Method,
    path: String,
    started: Instant,
}

impl RequestLine {
    pub fn start(request: &Request) -> RequestLine {
        RequestLine {
            method: request.method().clone(),
            path: loggable_path(request),
            started: Instant::now(),
        }
    }

    /// Logs the line with the response's status and the time since [`RequestLine::start`].
    pub fn finish(self, status: StatusCode) {
        log_response(&self.method, &self.path, status, self.started);
    }
}

/// The request's path for the log, with the value of any path parameter named like a token
/// (`/api/auth/reset-password/{token}`) replaced by `[token]`: a mailed token must not reach
/// the logs. Ids (users, tasks) stay, as operators need them.
pub fn loggable_path(request: &Request) -> String {
    use lambda_http::RequestExt;
    let path = request.uri().path();
    let parameters = request.path_parameters_ref();
    let secret_values: Vec<&str> = parameters
        .iter()
        .flat_map(|params| params.iter())
        .filter(|(name, _)| name.to_ascii_lowercase().contains("token"))
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
        .collect();
    if secret_values.is_empty() {
        return path.to_owned();
    }
    path.split('/')
        .map(|segment| {
            if secret_values.contains(&segment) {
                "[token]"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// One line per request, for operators: method, path, status and latency. Never headers or
/// bodies, which carry tokens, cookies and passwords.
pub fn log_response(method: &Method, path: &str, status: StatusCode, started: Instant) {
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if status.is_server_error() {
        tracing::error!(%method, path, status = status.as_u16(), elapsed_ms, "request failed");
    } else {
        tracing::info!(%method, path, status = status.as_u16(), elapsed_ms, "request");
    }
}
