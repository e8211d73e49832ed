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

pub use super::user_fields::AdditionalFields;

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
    /// auth.ts's `plugins: [jwt({...})]`, keyed by plugin id: `{"jwt": {"jwt": {...}}}`. The
    /// jwt plugin's routes are always served; this sets its options.
    pub plugins: Plugins,
}

/// `plugins`, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Plugins {
    pub jwt: JwtPlugin,
}

/// `jwt({...})`'s options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JwtPlugin {
    pub jwt: JwtOptions,
}

/// `jwt({ jwt: {...} })`: what the issued tokens say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "camelCase")]
pub struct JwtOptions {
    /// A time span in Better Auth's words (`"15m"`, `"1h"`, `"2 days"`); 15 minutes unset.
    pub expiration_time: Option<String>,
    /// `iss` of the tokens issued here; the base URL's origin unset.
    pub issuer: Option<String>,
    /// `aud`: one value or a list; the base URL's origin unset.
    pub audience: Option<Audience>,
}

/// A JWT audience as the jwt plugin takes it: a string, or a list (then `aud` is a list).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub fn values(&self) -> Vec<String> {
        match self {
            Audience::One(value) => vec![value.clone()],
            Audience::Many(values) => values.clone(),
        }
    }
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
    /// `Secure` and the `__Secure-` prefix on every cookie. Unset: when the base URL is https
    /// (or SameSite is None, which browsers only accept with Secure).
    pub use_secure_cookies: Option<bool>,
    pub cross_sub_domain_cookies: CrossSubDomainCookies,
}

impl Default for Advanced {
    fn default() -> Self {
        Advanced {
            cookie_prefix: "better-auth".to_owned(),
            use_secure_cookies: None,
            cross_sub_domain_cookies: CrossSubDomainCookies::default(),
        }
    }
}

/// `advanced.crossSubDomainCookies`: cookies with `Domain=`, so that every host under it
/// (the Next.js server on `app.example.com` for an API on `api.example.com`) receives them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrossSubDomainCookies {
    pub enabled: bool,
    /// The cookies' Domain; unset, the base URL's host.
    pub domain: Option<String>,
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
    pub additional_fields: AdditionalFields,
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
        self.user.additional_fields.check()?;
        let jwt = &self.plugins.jwt.jwt;
        if jwt.issuer.as_deref().is_some_and(str::is_empty) {
            return Err("plugins.jwt.jwt.issuer: must not be empty".to_owned());
        }
        if jwt
            .audience
            .as_ref()
            .is_some_and(|aud| aud.values().is_empty() || aud.values().iter().any(String::is_empty))
        {
            return Err(
                "plugins.jwt.jwt.audience: must be a non-empty string or list of them".to_owned(),
            );
        }
        if let Some(span) = &self.plugins.jwt.jwt.expiration_time
            && parse_time_span(span).is_none_or(|seconds| seconds <= 0)
        {
            return Err(
                "plugins.jwt.jwt.expirationTime: must be a time span ahead, such as \"15m\", \"1h\" or \"7 days\""
                    .to_owned(),
            );
        }
        Ok(())
    }

    /// Seconds an issued JWT lasts: `plugins.jwt.jwt.expirationTime`, 15 minutes unset.
    pub fn jwt_lifetime_seconds(&self) -> i64 {
        self.plugins
            .jwt
            .jwt
            .expiration_time
            .as_deref()
            .and_then(parse_time_span)
            .unwrap_or(super::jwt::JWT_LIFETIME_SECONDS)
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

/// Better Auth's time spans (`utils/time.ts`: `"15m"`, `"1 hour"`, `"2.5 days"`, `"+1w"`,
/// `"3 hours ago"`), in whole seconds as its `sec()` rounds them. Written out because the
/// crates that parse durations (humantime and the like) take other unit names and a
/// different month; a config that works on Better Auth must mean the same here.
pub fn parse_time_span(text: &str) -> Option<i64> {
    const MINUTE: f64 = 60.0;
    const HOUR: f64 = 60.0 * MINUTE;
    const DAY: f64 = 24.0 * HOUR;
    let (text, negative_suffix) = match text.strip_suffix(" ago") {
        Some(rest) => (rest, true),
        None => (text.strip_suffix(" from now").unwrap_or(text), false),
    };
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'+') => (1.0, &text[1..]),
        Some(b'-') => (-1.0, &text[1..]),
        _ => (1.0, text),
    };
    if negative_suffix && rest.len() != text.len() {
        return None; // "-3h ago" is refused by Better Auth's pattern too
    }
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let split = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, unit) = rest.split_at(split);
    let unit = unit.strip_prefix(' ').unwrap_or(unit);
    // `\d+` or `\d+\.\d+`, nothing else.
    let well_formed = match number.split_once('.') {
        None => !number.is_empty(),
        Some((whole, fraction)) => {
            !whole.is_empty() && !fraction.is_empty() && !fraction.contains('.')
        }
    };
    if !well_formed || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let n: f64 = number.parse().ok()?;
    let scale = match unit.to_ascii_lowercase().as_str() {
        "years" | "year" | "yrs" | "yr" | "y" => DAY * 365.25,
        "months" | "month" | "mo" => DAY * 30.0,
        "weeks" | "week" | "w" => DAY * 7.0,
        "days" | "day" | "d" => DAY,
        "hours" | "hour" | "hrs" | "hr" | "h" => HOUR,
        "minutes" | "minute" | "mins" | "min" | "m" => MINUTE,
        "seconds" | "second" | "secs" | "sec" | "s" => 1.0,
        _ => return None,
    };
    let sign = if negative_suffix { -1.0 } else { sign };
    Some((sign * n * scale).round() as i64)
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
        let err = Options::parse(r#"{"plugins": {"bearer": {}}}"#).unwrap_err();
        assert!(
            err.starts_with("plugins.bearer: unknown field `bearer`"),
            "{err}"
        );
        let err = Options::parse(r#"{"user": {"deleteUser": {"enable": true}}}"#).unwrap_err();
        assert!(
            err.starts_with("user.deleteUser.enable: unknown field `enable`"),
            "{err}"
        );
        assert_eq!(Options::parse("{nope").unwrap_err(), "is not valid JSON");
    }

    #[test]
    fn jwt_plugin_options_are_read_and_time_spans_follow_better_auth() {
        let options = Options::parse(
            r#"{"plugins": {"jwt": {"jwt": {"expirationTime": "1h", "issuer": "https://app.example.com",
                                             "audience": ["https://app.example.com", "tasks"]}}}}"#,
        )
        .unwrap();
        assert_eq!(options.jwt_lifetime_seconds(), 3600);
        assert_eq!(
            options.plugins.jwt.jwt.audience,
            Some(Audience::Many(vec![
                "https://app.example.com".into(),
                "tasks".into()
            ]))
        );
        assert_eq!(Options::default().jwt_lifetime_seconds(), 900);
        for (span, seconds) in [
            ("15m", 900),
            ("1 hour", 3600),
            ("2.5 days", 216_000),
            ("+1w", 604_800),
            ("1mo", 2_592_000),
            ("1y", 31_557_600),
            ("90 SECONDS", 90),
            ("2 hours from now", 7200),
            ("1h ago", -3600),
            ("-30s", -30),
        ] {
            assert_eq!(parse_time_span(span), Some(seconds), "{span}");
        }
        for bad in [
            "",
            "15",
            "m",
            "1.h",
            "1..5h",
            "15 minutes later",
            "1 fortnight",
            "-1h ago",
        ] {
            assert_eq!(parse_time_span(bad), None, "{bad}");
        }
        for bad in [r#""15""#, r#""1h ago""#, "900"] {
            let json =
                format!(r#"{{"plugins": {{"jwt": {{"jwt": {{"expirationTime": {bad}}}}}}}}}"#);
            let err = Options::parse(&json).unwrap_err();
            assert!(
                err.starts_with("plugins.jwt.jwt.expirationTime"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn additional_fields_and_cookie_options_are_read() {
        let options = Options::parse(
            r#"{"user": {"additionalFields": {"educationLevel": {"type": "string", "required": false}}},
                "advanced": {"useSecureCookies": true,
                             "crossSubDomainCookies": {"enabled": true, "domain": "example.com"}}}"#,
        )
        .unwrap();
        assert!(!options.user.additional_fields.is_empty());
        assert_eq!(options.advanced.use_secure_cookies, Some(true));
        assert_eq!(
            options.advanced.cross_sub_domain_cookies.domain.as_deref(),
            Some("example.com")
        );
        let err = Options::parse(r#"{"user": {"additionalFields": {"name": {"type": "string"}}}}"#)
            .unwrap_err();
        assert!(err.contains("user.additionalFields.name"), "{err}");
        let err =
            Options::parse(r#"{"user": {"additionalFields": {"level": {"type": "integer"}}}}"#)
                .unwrap_err();
        assert!(
            err.starts_with("user.additionalFields.level.type: unknown variant `integer`"),
            "{err}"
        );
    }
}
