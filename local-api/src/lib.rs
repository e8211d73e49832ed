//! The local API: every route of `template.yaml`, served in one process by calling the same
//! handler functions the Lambda binaries call, with the template's CORS settings.
//!
//! - [`template`]: reads the routes and CORS settings from `template.yaml`, the one list of routes.
//! - [`functions`]: maps each function's binary name to its handler.
//! - [`server`]: turns HTTP requests into the `lambda_http::Request`s API Gateway would send.
//! - [`postgres`]: a throwaway PostgreSQL cluster for when no `DATABASE_URL` is given.
//! - [`process`]: child processes that die with this one (the cluster, and the tests' helpers).

pub mod functions;
pub mod postgres;
pub mod process;
pub mod server;
pub mod template;

/// The SAM template, compiled in so the binary runs from anywhere.
pub const TEMPLATE_YAML: &str = include_str!("../../template.yaml");
