//! The library every Lambda function in this workspace is built from.
//!
//! A function's `main` calls [`lambda::run`] with its handler; the handler is a plain
//! `async fn(&State, Request) -> Response` so tests and `local-api` call exactly the code
//! that runs in Lambda. Each concern lives in one module:
//!
//! | module | concern |
//! |---|---|
//! | [`config`] | configuration and the secret (environment or AWS Secrets Manager) |
//! | [`db`] | the one Postgres connection per instance: TLS, reconnect, round-trip-cheap queries |
//! | [`migrations`] | schema: Better Auth's tables and ours |
//! | [`auth`] | JWT verification and issuing, passwords, sessions, cookies, signing keys |
//! | [`tasks`] | the task model, its validation and its queries |
//! | [`http`] | request parsing, responses, the error type and its two JSON dialects |
//! | [`state`] | what a function builds once per cold start |
//! | [`lambda`] | the entry point every function's `main` calls |

pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod lambda;
pub mod migrations;
pub mod state;
pub mod tasks;

pub use error::{Error, Result};
pub use lambda_http::{self, Body, Request, Response};
pub use state::State;
