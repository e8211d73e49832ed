//! Better Auth's error codes, as better-auth 1.7.25 answers them: status, code and message, one
//! line each (`core/error/codes.ts` and the routes' own `APIError`s). Handlers name a code and
//! never spell its text; the better-auth client maps `code` to its UI messages.

use std::borrow::Cow;

use crate::error::Error;
use crate::http::StatusCode;

/// One of Better Auth's errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: &'static str,
}

impl ErrorCode {
    /// The same code and message with another status: verify-email answers `INVALID_TOKEN`
    /// with 401 where reset-password answers it with 400.
    pub const fn with_status(self, status: StatusCode) -> ErrorCode {
        ErrorCode { status, ..self }
    }
}

impl From<ErrorCode> for Error {
    fn from(error: ErrorCode) -> Error {
        Error::client(error.status, error.code, error.message)
    }
}

macro_rules! catalogue {
    ($($code:ident = $status:ident, $message:literal;)*) => {
        $(
            pub const $code: ErrorCode = ErrorCode {
                status: StatusCode::$status,
                code: stringify!($code),
                message: $message,
            };
        )*
        /// Every code above, for the test that checks them all.
        #[cfg(test)]
        const ALL: &[ErrorCode] = &[$($code),*];
    };
}

catalogue! {
    // Credentials and sign-up
    INVALID_EMAIL = BAD_REQUEST, "Invalid email";
    INVALID_EMAIL_OR_PASSWORD = UNAUTHORIZED, "Invalid email or password";
    PASSWORD_TOO_SHORT = BAD_REQUEST, "Password too short";
    PASSWORD_TOO_LONG = BAD_REQUEST, "Password too long";
    USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL = UNPROCESSABLE_ENTITY, "User already exists. Use another email.";
    EMAIL_NOT_VERIFIED = FORBIDDEN, "Email not verified";
    EMAIL_PASSWORD_SIGN_UP_DISABLED = BAD_REQUEST, "Email and password sign up is not enabled";
    // Password reset and email verification
    RESET_PASSWORD_DISABLED = BAD_REQUEST, "Reset password isn't enabled";
    VERIFICATION_EMAIL_NOT_ENABLED = BAD_REQUEST, "Verification email isn't enabled";
    INVALID_TOKEN = BAD_REQUEST, "Invalid token";
    TOKEN_EXPIRED = UNAUTHORIZED, "Token expired";
    USER_NOT_FOUND = BAD_REQUEST, "User not found";
    EMAIL_MISMATCH = BAD_REQUEST, "Email mismatch";
    EMAIL_ALREADY_VERIFIED = BAD_REQUEST, "Email is already verified";
    // Sessions
    UNAUTHORIZED = UNAUTHORIZED, "Unauthorized";
    SESSION_NOT_FRESH = FORBIDDEN, "Session is not fresh";
    SESSION_EXPIRED = BAD_REQUEST, "Session expired. Re-authenticate to perform this action.";
    // Account management
    BODY_MUST_BE_AN_OBJECT = BAD_REQUEST, "Body must be an object";
    EMAIL_CAN_NOT_BE_UPDATED = BAD_REQUEST, "Email can not be updated";
    INVALID_PASSWORD = BAD_REQUEST, "Invalid password";
    CREDENTIAL_ACCOUNT_NOT_FOUND = BAD_REQUEST, "Credential account not found";
    CHANGE_EMAIL_DISABLED = BAD_REQUEST, "Change email is disabled";
    INVALID_USER = UNAUTHORIZED, "Invalid user";
    FAILED_TO_GET_USER_INFO = NOT_FOUND, "Failed to get user info";
    NOT_FOUND = NOT_FOUND, "Not found";
    // Origin and CSRF checks
    INVALID_ORIGIN = FORBIDDEN, "Invalid origin";
    MISSING_OR_NULL_ORIGIN = FORBIDDEN, "Missing or null Origin";
    CROSS_SITE_NAVIGATION_LOGIN_BLOCKED = FORBIDDEN, "Cross-site navigation login blocked. This request appears to be a CSRF attack.";
    INVALID_CALLBACK_URL = FORBIDDEN, "Invalid callbackURL";
    INVALID_REDIRECT_URL = FORBIDDEN, "Invalid redirectURL";
}

/// zod's body validation failure; the message lists every issue (see [`super::body`]).
pub fn validation_error(message: impl Into<Cow<'static, str>>) -> Error {
    Error::client(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
}

/// Better Auth's `APIError.fromStatus(status, {message})`: a message and no code ("No fields to
/// update", "Email is the same").
pub fn message_only(status: StatusCode, message: &'static str) -> Error {
    Error::client(status, "", message)
}

/// Better Auth's `APIError.fromStatus(status)` with no body at all (delete-user while
/// `user.deleteUser.enabled` is off answers a bare 404).
pub fn bare_status(status: StatusCode) -> Error {
    Error::client(status, "", "")
}

/// better-call's answer to a body of a type it does not parse.
pub fn unsupported_media_type(content_type: &str) -> Error {
    Error::client(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
        format!(
            "Content-Type \"{content_type}\" is not allowed. Allowed types: application/x-www-form-urlencoded, application/json"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_a_client_error_named_like_its_constant() {
        for error in ALL {
            assert!(error.status.is_client_error(), "{}", error.code);
            assert!(
                error
                    .code
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{}",
                error.code
            );
            let rendered = Error::from(*error).into_response(crate::Dialect::BetterAuth);
            assert_eq!(rendered.status(), error.status);
        }
    }
}
