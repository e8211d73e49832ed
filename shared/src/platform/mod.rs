//! Running on AWS Lambda behind API Gateway: nothing here knows about Better Auth or tasks.
//!
//! | module | concern |
//! |---|---|
//! | [`config`] | settings and the secret (environment or AWS Secrets Manager) |
//! | [`db`] | the one Postgres connection per instance: TLS, reconnect, one-round-trip queries |
//! | [`migrations`] | the schema: Better Auth's tables and ours |
//! | [`http`] | reading requests (bodies, parameters, headers, client IP) and writing responses |
//! | [`error`] | the one error type and its two JSON dialects |
//! | [`logging`] | log lines (JSON in Lambda, text locally) and the caps that keep secrets out |
//! | [`lambda`] | the entry point every function's `main` calls |
//! | [`state`] | what a function builds once per cold start |

pub mod aws;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod lambda;
pub mod logging;
pub mod mail;
pub mod migrations;
pub mod state;
