//! The one error type of the HTTP layer, rendered in either of the two JSON dialects.
//!
//! Auth routes answer like Better Auth (`{"message","code"}`) because the better-auth client
//! parses that shape; task routes answer `{"detail"}` because the frontend's API client reads
//! `error.detail`. A handler picks the dialect when it renders; the error itself knows its
//! status. Internal causes are logged, never sent.

use std::borrow::Cow;

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde_json::json;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Something the client can fix. `code` is Better Auth's error code where one exists; an
    /// empty code renders `{"message"}` alone, and an empty code and message an empty body
    /// (Better Auth's `APIError.fromStatus`).
    #[error("{status} {code}: {message}")]
    Client {
        status: StatusCode,
        code: &'static str,
        message: Cow<'static, str>,
    },
    /// Too many requests from one client; `retry_after` is in seconds.
    #[error("rate limited for {retry_after} s")]
    RateLimited { retry_after: u64 },
    /// A dependency (the database) is down or unreachable: worth retrying, not the client's fault.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected state. The cause is logged; the client sees a generic message.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Which JSON shape an error is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `{"detail": "…"}` for the task routes.
    Tasks,
    /// `{"message": "…", "code": "…"}` for the Better Auth routes.
    BetterAuth,
}

impl Error {
    pub fn client(
        status: StatusCode,
        code: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Error::Client {
            status,
            code,
            message: message.into(),
        }
    }
    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> Self {
        Self::client(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
    }
    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::client(StatusCode::FORBIDDEN, "FORBIDDEN", message)
    }
    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::client(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::client(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
    }
    pub fn unprocessable(message: impl Into<Cow<'static, str>>) -> Self {
        Self::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION_ERROR",
            message,
        )
    }
    pub fn payload_too_large(limit_bytes: usize) -> Self {
        Self::client(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("Request body is larger than {} KiB", limit_bytes / 1024),
        )
    }
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Error::Internal(cause.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::Client { status, .. } => *status,
            Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Renders the error, logging server-side causes (which never reach the client).
    pub fn into_response(self, dialect: Dialect) -> Response<Body> {
        let status = self.status();
        let (code, message): (&str, Cow<'static, str>) = match &self {
            Error::Client { code, message, .. } => (code, message.clone()),
            Error::RateLimited { .. } => (
                "TOO_MANY_REQUESTS",
                "Too many requests. Please try again later.".into(),
            ),
            Error::Unavailable(cause) => {
                tracing::error!(error = %cause, "dependency unavailable");
                (
                    "SERVICE_UNAVAILABLE",
                    "Service temporarily unavailable, please retry".into(),
                )
            }
            Error::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                ("INTERNAL_SERVER_ERROR", "Internal server error".into())
            }
        };
        let body = match (dialect, &self) {
            (Dialect::Tasks, _) => json!({ "detail": message }),
            // Better Auth's rate limiter answers with a message and no code.
            (Dialect::BetterAuth, Error::RateLimited { .. }) => json!({ "message": message }),
            // Better Auth's `fromStatus` errors: a message without a code, or nothing at all.
            (Dialect::BetterAuth, Error::Client { code: "", .. }) if message.is_empty() => {
                serde_json::Value::Null
            }
            (Dialect::BetterAuth, Error::Client { code: "", .. }) => json!({ "message": message }),
            (Dialect::BetterAuth, _) => json!({ "message": message, "code": code }),
        };
        let mut response = if body.is_null() {
            let mut empty = Response::new(Body::Empty);
            *empty.status_mut() = status;
            empty.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            empty
        } else {
            crate::http::json_response(status, &body)
        };
        let headers = response.headers_mut();
        if status == StatusCode::UNAUTHORIZED && dialect == Dialect::Tasks {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Error::RateLimited { retry_after } = self {
            headers.insert("x-retry-after", HeaderValue::from(retry_after));
        }
        response
    }
}
