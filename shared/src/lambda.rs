//! The entry point every function's `main` calls: build the state once, then serve.

use std::convert::Infallible;
use std::future::Future;
use std::time::Instant;

use lambda_http::{Request, Response, service_fn};

use crate::{Body, State};

pub use lambda_http::Error;

/// Initialises logging, builds [`State`] (config, secret, database, keys) once per cold start,
/// and hands every invocation to `handler`.
///
/// The state is leaked on purpose: it lives as long as the process, and a `'static` borrow is
/// what lets `handler` be a plain `async fn(&State, Request)`.
pub async fn run<H, F>(handler: H) -> Result<(), Error>
where
    H: Fn(&'static State, Request) -> F,
    F: Future<Output = Response<Body>> + Send,
{
    init_logging();
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
    lambda_http::run(service_fn(move |request: Request| {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let response = handler(state, request);
        async move {
            let started = Instant::now();
            let response = response.await;
            log_response(&method, &path, response.status(), started);
            Ok::<_, Infallible>(response)
        }
    }))
    .await
}

/// One line per request, for operators: method, path, status and latency. Never headers or
/// bodies, which carry tokens, cookies and passwords.
pub fn log_response(
    method: &lambda_http::http::Method,
    path: &str,
    status: lambda_http::http::StatusCode,
    started: Instant,
) {
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if status.is_server_error() {
        tracing::error!(%method, path, status = status.as_u16(), elapsed_ms, "request failed");
    } else {
        tracing::info!(%method, path, status = status.as_u16(), elapsed_ms, "request");
    }
}

/// JSON logs when Lambda's log format is JSON (the template sets it), text otherwise; level
/// from `RUST_LOG` (default `info`).
pub fn init_logging() {
    lambda_http::tracing::init_default_subscriber();
}
