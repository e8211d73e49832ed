//! The library every Lambda function in this workspace is built from.
//!
//! A function's `main` calls [`lambda::run`] with its handler; the handler is a plain
//! `async fn(&State, Request) -> Result<Response>` so tests and `local-api` call exactly the
//! code that runs in Lambda. The crate is cut by who owns the knowledge:
//!
//! | module | owns |
//! |---|---|
//! | [`platform`] | running on Lambda: configuration and the secret, the database, HTTP, errors, logging, the entry point, per-instance state |
//! | [`better_auth`] | everything that mirrors better-auth (the folder to diff when its version moves): users, sessions, cookies, passwords, keys, JWTs, Origin checks, rate limits, request bodies, error codes |
//! | [`tasks`] | the task model, its validation, its queries and its route gate |
//!
//! `docs/architecture.md` has the table concern → file.

pub mod better_auth;
pub mod platform;
pub mod tasks;

// The platform modules every handler uses, at the crate root for short imports.
pub use platform::{config, db, error, http, lambda, migrations, state};

pub use error::{Dialect, Error, Result};
pub use lambda::Endpoint;
pub use lambda_http::{self, Body, Request, Response};
/// Handlers build JSON with `shared::serde_json::json!`, so a function crate needs no
/// dependency of its own beyond `shared` (local-api compiles every handler's source).
pub use serde_json;
pub use state::State;
/// Handlers log with `shared::tracing::info!` and friends, for the same reason.
pub use tracing;
