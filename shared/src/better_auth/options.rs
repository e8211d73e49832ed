//! Better Auth's server options, as a team writes them in its `auth.ts`: one JSON document
//! (`BETTER_AUTH_OPTIONS`) with the same names and nesting, and Better Auth's defaults for
//! everything left out. Deploy-time values (URLs, origins, the secret) stay separate settings.
//!
//! ```json
//! {"emailAndPassword": {"requireEmailVerification": true},
//!  "emailVerification": {"sendOnSignUp": true, "autoSignInAfterVerification": true}}
//! ```
//!
//! An unknown option or a value of the wrong type stops the cold start with a message naming
//! it, rather than being ignored: a typo in a security setting must not pass silently.

use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Options {
    pub email_and_password: EmailAndPassword,
    pub email_verification: EmailVerification,
    pub session: SessionOptions,
    pub user: UserOptions,
    pub advanced: Advanced,
    #[serde(rename = "onAPIError")]
    pub on_api_error: OnApiError,
}

/// `onAPIError`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OnApiError {
    /// Where `/api/auth/error` redirects (with `?error=CODE`), for example the frontend's own
    /// error page. Unset: `/api/auth/error` shows a small HTML page.
    #[serde(rename = "errorURL")]
    pub error_url: Option<String>,
}

/// `emailAndPassword`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct EmailAndPassword {
    /// Sign-in refuses unverified users (403 `EMAIL_NOT_VERIFIED`), and sign-up starts no
    /// session (`token: null`, no cookie) and answers an existing email like a new one.
    pub require_email_verification: bool,
    /// Seconds a password-reset link stays valid.
    pub reset_password_token_expires_in: u64,
    /// A password reset signs the user out everywhere.
    pub revoke_sessions_on_password_reset: bool,
    /// Shortest and longest passwords, in UTF-16 units as JavaScript counts them.
    pub min_password_length: usize,
    pub max_password_length: usize,
    /// Sign-up signs the new user in. `false`: `token: null`, no cookie, and a taken email
    /// answered like a new one.
    pub auto_sign_in: bool,
    /// Sign-up answers 400 `EMAIL_PASSWORD_SIGN_UP_DISABLED` (existing users still sign in).
    pub disable_sign_up: bool,
}

impl Default for EmailAndPassword {
    fn default() -> Self {
        EmailAndPassword {
            require_email_verification: false,
            reset_password_token_expires_in: 3600,
            revoke_sessions_on_password_reset: false,
            min_password_length: 8,
            max_password_length: 128,
            auto_sign_in: true,
            disable_sign_up: false,
        }
    }
}

impl EmailAndPassword {
    /// Whether sign-up starts no session and answers a taken email like a new one (Better
    /// Auth's `requireEmailVerification || autoSignIn === false`).
    pub fn sign_up_without_session(&self) -> bool {
        self.require_email_verification || !self.auto_sign_in
    }
}

/// `emailVerification`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct EmailVerification {
    /// Mail a verification link on sign-up; unset follows `requireEmailVerification`.
    pub send_on_sign_up: Option<bool>,
    /// Mail a new link when an unverified user is refused at sign-in.
    pub send_on_sign_in: bool,
    /// Opening the link signs the user in (a new session and its cookie).
    pub auto_sign_in_after_verification: bool,
    /// Seconds a verification link stays valid.
    pub expires_in: u64,
}

impl Default for EmailVerification {
    fn default() -> Self {
        EmailVerification {
            send_on_sign_up: None,
            send_on_sign_in: false,
            auto_sign_in_after_verification: false,
            expires_in: 3600,
        }
    }
}

/// `advanced`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct Advanced {
    /// The start of every cookie name: `<prefix>.session_token` (with `__Secure-` in front over
    /// https). Two apps on one domain use two prefixes to keep their sessions apart.
    pub cookie_prefix: String,
}

impl Default for Advanced {
    fn default() -> Self {
        Advanced {
            cookie_prefix: "better-auth".to_owned(),
        }
    }
}

/// `session`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct SessionOptions {
    /// Seconds a session lasts (and the session cookie's Max-Age).
    pub expires_in: u64,
    /// Seconds after which reading a session extends it to `expiresIn` again.
    pub update_age: u64,
    /// Seconds after sign-in during which a session counts as fresh: list-sessions needs a fresh
    /// session (403 `SESSION_NOT_FRESH`), and delete-user without a password does (400
    /// `SESSION_EXPIRED`). 0 turns the check off.
    pub fresh_age: u64,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            expires_in: 604_800,
            update_age: 86_400,
            fresh_age: 86_400,
        }
    }
}

impl SessionOptions {
    /// `expiresIn`, the lifetime of a remembered session.
    pub fn lifetime(&self) -> chrono::Duration {
        chrono::Duration::seconds(i64::try_from(self.expires_in).unwrap_or(i64::MAX / 1000))
    }

    /// `updateAge`.
    pub fn update_age(&self) -> chrono::Duration {
        chrono::Duration::seconds(i64::try_from(self.update_age).unwrap_or(i64::MAX / 1000))
    }
}

/// `user`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct UserOptions {
    pub change_email: ChangeEmail,
    pub delete_user: DeleteUser,
}

/// `user.changeEmail`. Better Auth's `sendChangeEmailConfirmation` is a callback; in JSON,
/// `true` says the app has one, and this API mails it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct ChangeEmail {
    /// change-email is served (else 400 `CHANGE_EMAIL_DISABLED`).
    pub enabled: bool,
    /// An unverified user's email changes at once, without a mail.
    pub update_email_without_verification: bool,
    /// A verified user first confirms at the old address, then verifies the new one.
    pub send_change_email_confirmation: bool,
}

/// `user.deleteUser`. `sendDeleteAccountVerification: true` says the app's callback exists:
/// delete-user then mails a confirmation link instead of deleting.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct DeleteUser {
    /// delete-user is served (else 404).
    pub enabled: bool,
    pub send_delete_account_verification: bool,
    /// Seconds a deletion link stays valid.
    pub delete_token_expires_in: u64,
}

impl Default for DeleteUser {
    fn default() -> Self {
        DeleteUser {
            enabled: false,
            send_delete_account_verification: false,
            delete_token_expires_in: 86_400,
        }
    }
}

impl Options {
    /// Parses `BETTER_AUTH_OPTIONS`; the error names the option (serde's path) and never
    /// echoes a value.
    pub fn parse(json: &str) -> Result<Options, String> {
        let options = Self::deserialize_named(json)?;
        options.check()?;
        Ok(options)
    }

    /// What serde cannot say: values that have the right type but cannot work.
    fn check(&self) -> Result<(), String> {
        // RFC 6265's token characters, which a cookie name is made of.
        let prefix = &self.advanced.cookie_prefix;
        let cookie_name_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if prefix.is_empty() || !prefix.chars().all(cookie_name_char) {
            return Err(
                "advanced.cookiePrefix: must be a non-empty cookie name (letters, digits, - . _ and the like)"
                    .to_owned(),
            );
        }
        let rules = &self.email_and_password;
        if rules.min_password_length == 0 || rules.min_password_length > rules.max_password_length {
            return Err(
                "emailAndPassword.minPasswordLength: must be at least 1 and at most maxPasswordLength"
                    .to_owned(),
            );
        }
        if self.session.expires_in == 0 {
            return Err("session.expiresIn: must be more than 0 seconds".to_owned());
        }
        Ok(())
    }

    fn deserialize_named(json: &str) -> Result<Options, String> {
        let deserializer = &mut serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize(deserializer).map_err(|err| {
            let path = err.path().to_string();
            let inner = err.into_inner();
            let inner_is_syntax = inner.is_syntax() || inner.is_eof();
            let what = if inner_is_syntax {
                "is not valid JSON".to_owned()
            } else {
                // serde's messages name fields and expected types, not values.
                inner.to_string()
            };
            if path == "." || path == "?" || inner_is_syntax {
                what
            } else {
                format!("{path}: {what}")
            }
        })
    }

    /// Whether sign-up mails a verification link (Better Auth: `sendOnSignUp ??
    /// requireEmailVerification`).
    pub fn sends_verification_on_sign_up(&self) -> bool {
        self.email_verification
            .send_on_sign_up
            .unwrap_or(self.email_and_password.require_email_verification)
    }

    pub fn reset_token_lifetime(&self) -> Duration {
        Duration::from_secs(self.email_and_password.reset_password_token_expires_in)
    }

    pub fn verification_token_lifetime(&self) -> Duration {
        Duration::from_secs(self.email_verification.expires_in)
    }

    pub fn delete_token_lifetime(&self) -> Duration {
        Duration::from_secs(self.user.delete_user.delete_token_expires_in)
    }

    /// `session.freshAge`; `None` when freshness is not checked (0).
    pub fn fresh_age(&self) -> Option<Duration> {
        (self.session.fresh_age > 0).then(|| Duration::from_secs(self.session.fresh_age))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_options_are_better_auths_defaults() {
        let options = Options::parse("{}").unwrap();
        assert_eq!(options, Options::default());
        assert!(!options.email_and_password.require_email_verification);
        assert_eq!(options.reset_token_lifetime(), Duration::from_secs(3600));
        assert_eq!(
            options.verification_token_lifetime(),
            Duration::from_secs(3600)
        );
        assert!(!options.sends_verification_on_sign_up());
        assert_eq!(options.fresh_age(), Some(Duration::from_secs(86_400)));
        assert_eq!(options.session.lifetime(), chrono::Duration::days(7));
        assert_eq!(options.session.update_age(), chrono::Duration::days(1));
        assert!(!options.user.change_email.enabled && !options.user.delete_user.enabled);
        assert_eq!(options.delete_token_lifetime(), Duration::from_secs(86_400));
    }

    #[test]
    fn session_password_and_cookie_options_are_read_and_checked() {
        let options = Options::parse(
            r#"{"session": {"expiresIn": 86400, "updateAge": 3600},
                "emailAndPassword": {"minPasswordLength": 12, "maxPasswordLength": 64,
                                     "autoSignIn": false, "disableSignUp": true},
                "advanced": {"cookiePrefix": "tasks"}}"#,
        )
        .unwrap();
        assert_eq!(options.session.lifetime(), chrono::Duration::days(1));
        assert_eq!(options.session.update_age(), chrono::Duration::hours(1));
        assert_eq!(options.email_and_password.min_password_length, 12);
        assert!(options.email_and_password.sign_up_without_session());
        assert!(options.email_and_password.disable_sign_up);
        assert_eq!(options.advanced.cookie_prefix, "tasks");
        for (json, message) in [
            (
                r#"{"advanced": {"cookiePrefix": "my app"}}"#,
                "advanced.cookiePrefix: must be a non-empty cookie name",
            ),
            (
                r#"{"emailAndPassword": {"minPasswordLength": 200}}"#,
                "emailAndPassword.minPasswordLength: must be at least 1",
            ),
            (
                r#"{"session": {"expiresIn": 0}}"#,
                "session.expiresIn: must be more than 0 seconds",
            ),
        ] {
            let err = Options::parse(json).unwrap_err();
            assert!(err.starts_with(message), "{json}: {err}");
        }
    }

    #[test]
    fn account_management_options_are_read() {
        let options = Options::parse(
            r#"{"session": {"freshAge": 0},
                "user": {"changeEmail": {"enabled": true, "updateEmailWithoutVerification": true,
                                         "sendChangeEmailConfirmation": true},
                         "deleteUser": {"enabled": true, "sendDeleteAccountVerification": true,
                                        "deleteTokenExpiresIn": 600}}}"#,
        )
        .unwrap();
        assert_eq!(options.fresh_age(), None);
        let change = &options.user.change_email;
        assert!(change.enabled && change.update_email_without_verification);
        assert!(change.send_change_email_confirmation);
        assert!(options.user.delete_user.send_delete_account_verification);
        assert_eq!(options.delete_token_lifetime(), Duration::from_secs(600));
    }

    #[test]
    fn auth_ts_names_and_nesting_are_read() {
        let options = Options::parse(
            r#"{"emailAndPassword": {"requireEmailVerification": true, "resetPasswordTokenExpiresIn": 600,
                "revokeSessionsOnPasswordReset": true},
                "emailVerification": {"sendOnSignIn": true, "autoSignInAfterVerification": true, "expiresIn": 60}}"#,
        )
        .unwrap();
        assert!(options.email_and_password.require_email_verification);
        assert!(options.email_and_password.revoke_sessions_on_password_reset);
        assert_eq!(options.reset_token_lifetime(), Duration::from_secs(600));
        assert!(options.email_verification.send_on_sign_in);
        assert!(options.email_verification.auto_sign_in_after_verification);
        assert_eq!(
            options.verification_token_lifetime(),
            Duration::from_secs(60)
        );
        // sendOnSignUp follows requireEmailVerification unless set.
        assert!(options.sends_verification_on_sign_up());
        let off = Options::parse(
            r#"{"emailAndPassword": {"requireEmailVerification": true}, "emailVerification": {"sendOnSignUp": false}}"#,
        )
        .unwrap();
        assert!(!off.sends_verification_on_sign_up());
    }

    #[test]
    fn unknown_options_and_wrong_types_are_refused_by_name() {
        let err = Options::parse(r#"{"emailAndPassword": {"requireEmailVerfication": true}}"#)
            .unwrap_err();
        assert!(
            err.starts_with(
                "emailAndPassword.requireEmailVerfication: unknown field `requireEmailVerfication`, expected one of `requireEmailVerification`"
            ),
            "{err}"
        );
        let err = Options::parse(r#"{"emailVerification": {"expiresIn": "an hour"}}"#).unwrap_err();
        assert!(
            err.starts_with("emailVerification.expiresIn: invalid type"),
            "{err}"
        );
        let err = Options::parse(r#"{"plugins": {}}"#).unwrap_err();
        assert!(err.starts_with("plugins: unknown field `plugins`"), "{err}");
        let err = Options::parse(r#"{"user": {"deleteUser": {"enable": true}}}"#).unwrap_err();
        assert!(
            err.starts_with("user.deleteUser.enable: unknown field `enable`"),
            "{err}"
        );
        assert_eq!(Options::parse("{nope").unwrap_err(), "is not valid JSON");
    }
}
