//! Configuration and the secret, read once per cold start.
//!
//! With `SECRET_ARN` set the secret comes from AWS Secrets Manager (a JSON object holding
//! `BETTER_AUTH_SECRET` and optionally `DATABASE_URL`); otherwise from plain environment
//! variables. `AUTH_SECRET_ARN` names a second secret, read in parallel, whose
//! `BETTER_AUTH_SECRET` wins: the secret a Next.js app's Better Auth already uses (a JSON
//! object with that key, or the bare value). The secret's value is never logged: [`Secret`]
//! prints as `[redacted]`.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use url::Url;

use super::aws::{AwsEnv, CallLimits};
use crate::better_auth::jwt::JwtPolicy;
use crate::better_auth::options::{Audience, CrossSubDomainCookies, Options};
use crate::better_auth::password::PasswordHashing;

/// Better Auth refuses shorter secrets in production; so do we, everywhere.
pub const MIN_SECRET_LENGTH: usize = 32;

/// A string that must never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Which algorithm `/api/auth/token` issues. Verification accepts both (HS256 unless
/// `JWT_ACCEPT_HS256=false`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtIssuing {
    /// Ed25519 with a `kid` from the `jwks` table, like Better Auth's jwt plugin.
    EdDsa,
    /// HS256 signed with `BETTER_AUTH_SECRET`: the shared-secret contract of older backends.
    Hs256,
}

/// `SameSite` attribute of the session cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    Lax,
    Strict,
    /// For a frontend on another site; forces `Secure`.
    None,
}

impl SameSite {
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Lax => "Lax",
            SameSite::Strict => "Strict",
            SameSite::None => "None",
        }
    }
}

/// Sign-in/sign-up attempts allowed per client IP and window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub max_requests: u32,
    pub window: Duration,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: Secret,
    pub auth_secret: Secret,
    /// `BETTER_AUTH_URL`: JWT issuer and audience, a trusted origin, and https ⇒ Secure cookies.
    pub base_url: Url,
    /// Origins allowed to call with credentials: the base URL's origin plus `CORS_ORIGINS`.
    pub trusted_origins: Vec<String>,
    /// The entries of `CORS_ORIGINS` with another scheme (a mobile app's `myapp://`), kept as
    /// written: trusted as redirect targets and Origins by scheme, host and path prefix.
    pub trusted_app_origins: Vec<String>,
    pub jwt_issuing: JwtIssuing,
    /// `iss` of the JWTs issued here: the jwt plugin's `issuer`, else the base URL's origin.
    pub jwt_issuer: String,
    /// `aud` of the JWTs issued here: the jwt plugin's `audience`, else the base URL's origin.
    pub jwt_audience: Audience,
    /// `iss` values accepted on EdDSA tokens: our own (the base URL's origin) and
    /// `JWT_ISSUERS`, for example the origin of a Better Auth server on the same database.
    pub jwt_issuers: Vec<String>,
    /// `aud` values accepted on EdDSA tokens: our own and `JWT_AUDIENCES` (default: the
    /// `JWT_ISSUERS` list, as Better Auth's jwt plugin sets `aud` = `iss` = its base URL).
    pub jwt_audiences: Vec<String>,
    /// `JWT_ACCEPT_HS256`, `JWT_HS256_MAX_LIFETIME_SECONDS`, `JWT_KEYS_REFRESH_SECONDS`.
    pub jwt_policy: JwtPolicy,
    /// `PASSWORD_HASH`: the format of new password hashes.
    pub password_hashing: PasswordHashing,
    pub same_site: SameSite,
    /// `Domain=` of the auth cookies (`advanced.crossSubDomainCookies`); host-only when `None`.
    pub cookie_domain: Option<String>,
    pub auth_rate_limit: RateLimit,
    /// `BETTER_AUTH_OPTIONS`: Better Auth's options, as in `auth.ts`.
    pub options: Options,
    pub email: EmailSettings,
    /// The AWS SDK's settings from the environment (region, credentials, endpoints).
    pub aws: AwsEnv,
}

/// Where mail goes. Neither set: no mail can be sent, and the routes that send answer as
/// Better Auth does without its send callbacks (`RESET_PASSWORD_DISABLED`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailSettings {
    /// `EMAIL_FROM`: the sender, an identity verified in Amazon SES (`noreply@example.com` or
    /// `Example <noreply@example.com>`).
    pub from: Option<String>,
    /// `EMAIL_OUTBOX_DIR`: write each mail there as a JSON file instead of sending it (local
    /// development and tests). Wins over `EMAIL_FROM`.
    pub outbox_dir: Option<std::path::PathBuf>,
    /// `EMAIL_OUTBOX_PRINT_LINKS=true`: also print each mail's link on stderr (local-api sets
    /// it for its terminal). The links carry tokens: never set it in AWS.
    pub print_links: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("BETTER_AUTH_SECRET must be at least {MIN_SECRET_LENGTH} characters (it has {0})")]
    SecretTooShort(usize),
    #[error("could not read the secret from Secrets Manager: {0}")]
    SecretsManager(String),
}

impl Config {
    /// Reads the configuration from the process environment, and the secret from Secrets
    /// Manager when `SECRET_ARN` is set.
    pub async fn load() -> Result<Self, ConfigError> {
        Self::load_from(&std::env::vars().collect()).await
    }

    /// [`Config::load`] with `env` in place of the process environment, for the settings of
    /// the AWS SDK too (see [`fetch_secret_json`]).
    pub async fn load_from(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        // Two secrets are fetched at once, so the second costs no init time.
        let (stack_secret, auth_secret) = tokio::join!(
            fetch_optional_secret(env, "SECRET_ARN"),
            fetch_optional_secret(env, "AUTH_SECRET_ARN")
        );
        let mut from_secret = match stack_secret? {
            Some(text) => parse_secret_json(&text)?,
            None => HashMap::new(),
        };
        if let Some(auth) = auth_secret? {
            from_secret.insert("BETTER_AUTH_SECRET".to_owned(), auth_secret_value(&auth)?);
        }
        Self::from_values(env, &from_secret)
    }

    /// Builds the configuration from an environment map and, optionally, the secret's JSON
    /// from Secrets Manager (whose keys win over the environment's).
    pub fn from_sources(
        env: &HashMap<String, String>,
        secret_json: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let from_secret = match secret_json {
            Some(text) => parse_secret_json(text)?,
            None => HashMap::new(),
        };
        Self::from_values(env, &from_secret)
    }

    /// [`Config::from_sources`] with the secret's values already read.
    fn from_values(
        env: &HashMap<String, String>,
        from_secret: &HashMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let lookup = |name: &'static str| -> Option<String> {
            from_secret
                .get(name)
                .or_else(|| env.get(name))
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };

        let auth_secret =
            lookup("BETTER_AUTH_SECRET").ok_or(ConfigError::Missing("BETTER_AUTH_SECRET"))?;
        if auth_secret.chars().count() < MIN_SECRET_LENGTH {
            return Err(ConfigError::SecretTooShort(auth_secret.chars().count()));
        }
        let database_url = lookup("DATABASE_URL").ok_or(ConfigError::Missing("DATABASE_URL"))?;

        let base_url_text =
            lookup("BETTER_AUTH_URL").unwrap_or_else(|| "http://localhost:8000".to_owned());
        let base_url = Url::parse(&base_url_text).map_err(|err| ConfigError::Invalid {
            name: "BETTER_AUTH_URL",
            reason: err.to_string(),
        })?;
        if !matches!(base_url.scheme(), "http" | "https") {
            return Err(ConfigError::Invalid {
                name: "BETTER_AUTH_URL",
                reason: "must be http or https".into(),
            });
        }

        let options = match lookup("BETTER_AUTH_OPTIONS") {
            None => Options::default(),
            Some(json) => Options::parse(&json).map_err(|reason| ConfigError::Invalid {
                name: "BETTER_AUTH_OPTIONS",
                reason,
            })?,
        };
        let mut trusted_origins = vec![base_url.origin().ascii_serialization()];
        let mut trusted_app_origins = Vec::new();
        let cors = lookup("CORS_ORIGINS").unwrap_or_else(|| "http://localhost:3000".to_owned());
        for origin in cors
            .split(',')
            .map(str::trim)
            .filter(|origin| !origin.is_empty())
        {
            let parsed = Url::parse(origin).map_err(|err| ConfigError::Invalid {
                name: "CORS_ORIGINS",
                reason: format!("{origin:?}: {err}"),
            })?;
            if !matches!(parsed.scheme(), "http" | "https") {
                // A mobile app's scheme (`myapp://`, `exp://host/--`): matched as Better Auth's
                // trustedOrigins match it. Its URL origin is opaque ("null"), which must never
                // be trusted: it would let `javascript:` and `data:` targets through.
                trusted_app_origins.push(origin.to_owned());
                continue;
            }
            let origin = parsed.origin().ascii_serialization();
            if !trusted_origins.contains(&origin) {
                trusted_origins.push(origin);
            }
        }

        let jwt_issuing = match lookup("JWT_ALG")
            .as_deref()
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            None | Some("EDDSA") => JwtIssuing::EdDsa,
            Some("HS256") => JwtIssuing::Hs256,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "JWT_ALG",
                    reason: format!("{other:?} is not EdDSA or HS256"),
                });
            }
        };
        // What the tokens issued here say (the jwt plugin's `issuer`/`audience`, else the
        // base URL's origin); both are always accepted back.
        let jwt_options = &options.plugins.jwt.jwt;
        let own_issuer = jwt_options
            .issuer
            .clone()
            .unwrap_or_else(|| base_url.origin().ascii_serialization());
        let jwt_audience = jwt_options
            .audience
            .clone()
            .unwrap_or_else(|| Audience::One(base_url.origin().ascii_serialization()));
        let list = |name| -> Vec<String> {
            lookup(name)
                .unwrap_or_default()
                .split(',')
                .map(|value| value.trim().trim_end_matches('/').to_owned())
                .filter(|value| !value.is_empty())
                .collect()
        };
        let extra_issuers = list("JWT_ISSUERS");
        let extra_audiences = match lookup("JWT_AUDIENCES") {
            Some(_) => list("JWT_AUDIENCES"),
            None => extra_issuers.clone(),
        };
        let with_own = |own: Vec<String>, extra: Vec<String>| {
            let mut all = own;
            for value in extra {
                if !all.contains(&value) {
                    all.push(value);
                }
            }
            all
        };
        let jwt_issuers = with_own(vec![own_issuer.clone()], extra_issuers);
        let jwt_audiences = with_own(jwt_audience.values(), extra_audiences);
        let accept_hs256 = match lookup("JWT_ACCEPT_HS256")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("true") => true,
            Some("false") => false,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "JWT_ACCEPT_HS256",
                    reason: format!("{other:?} is not true or false"),
                });
            }
        };
        if !accept_hs256 && jwt_issuing == JwtIssuing::Hs256 {
            return Err(ConfigError::Invalid {
                name: "JWT_ACCEPT_HS256",
                reason:
                    "false cannot go with JWT_ALG=HS256: the tokens /token issues would be refused"
                        .into(),
            });
        }
        let defaults = JwtPolicy::default();
        let jwt_policy = JwtPolicy {
            accept_hs256,
            hs256_max_lifetime_seconds: parse_number(
                lookup("JWT_HS256_MAX_LIFETIME_SECONDS"),
                "JWT_HS256_MAX_LIFETIME_SECONDS",
                defaults.hs256_max_lifetime_seconds,
            )?,
            keys_refresh: Duration::from_secs(parse_number(
                lookup("JWT_KEYS_REFRESH_SECONDS"),
                "JWT_KEYS_REFRESH_SECONDS",
                defaults.keys_refresh.as_secs(),
            )?),
        };
        let password_hashing = match lookup("PASSWORD_HASH")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("argon2id") => PasswordHashing::Argon2id,
            Some("scrypt") => PasswordHashing::Scrypt,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "PASSWORD_HASH",
                    reason: format!("{other:?} is not argon2id or scrypt"),
                });
            }
        };
        let same_site = match lookup("SAME_SITE")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("lax") => SameSite::Lax,
            Some("strict") => SameSite::Strict,
            Some("none") => SameSite::None,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "SAME_SITE",
                    reason: format!("{other:?} is not Lax, Strict or None"),
                });
            }
        };
        if options.advanced.use_secure_cookies == Some(false) && same_site == SameSite::None {
            return Err(ConfigError::Invalid {
                name: "BETTER_AUTH_OPTIONS",
                reason: "advanced.useSecureCookies: false cannot go with SAME_SITE=None: browsers refuse SameSite=None cookies without Secure".into(),
            });
        }
        let cookie_domain = cookie_domain(&options.advanced.cross_sub_domain_cookies, &base_url)?;
        let auth_rate_limit = RateLimit {
            max_requests: parse_number(lookup("AUTH_RATE_LIMIT_MAX"), "AUTH_RATE_LIMIT_MAX", 3)?,
            window: Duration::from_secs(parse_number(
                lookup("AUTH_RATE_LIMIT_WINDOW_SECONDS"),
                "AUTH_RATE_LIMIT_WINDOW_SECONDS",
                10,
            )?),
        };

        let email = EmailSettings {
            from: lookup("EMAIL_FROM"),
            outbox_dir: lookup("EMAIL_OUTBOX_DIR").map(Into::into),
            print_links: lookup("EMAIL_OUTBOX_PRINT_LINKS").as_deref() == Some("true"),
        };
        // The options that stand for an app's mail callback need mail to send it with.
        let user = &options.user;
        let mail_option = [
            (
                user.change_email.send_change_email_confirmation,
                "user.changeEmail.sendChangeEmailConfirmation",
            ),
            (
                user.delete_user.send_delete_account_verification,
                "user.deleteUser.sendDeleteAccountVerification",
            ),
        ]
        .into_iter()
        .find(|(on, _)| *on);
        if let Some((_, name)) = mail_option
            && email.from.is_none()
            && email.outbox_dir.is_none()
        {
            return Err(ConfigError::Invalid {
                name: "BETTER_AUTH_OPTIONS",
                reason: format!("{name} needs EMAIL_FROM (or EMAIL_OUTBOX_DIR) to send its mail"),
            });
        }
        if let Some(from) = &email.from
            && !from.contains('@')
        {
            return Err(ConfigError::Invalid {
                name: "EMAIL_FROM",
                reason: format!("{from:?} is not an email address"),
            });
        }

        Ok(Config {
            database_url: Secret::new(database_url),
            auth_secret: Secret::new(auth_secret),
            base_url,
            trusted_origins,
            trusted_app_origins,
            jwt_issuing,
            jwt_issuer: own_issuer,
            jwt_audience,
            jwt_issuers,
            jwt_audiences,
            jwt_policy,
            password_hashing,
            cookie_domain,
            same_site,
            auth_rate_limit,
            options,
            email,
            aws: AwsEnv::from_env(env),
        })
    }

    /// Where Better Auth's routes are: the base URL's origin + `/api/auth` (Better Auth's
    /// `ctx.context.baseURL`, the start of every link it mails).
    pub fn auth_base_url(&self) -> String {
        format!("{}/api/auth", self.issuer())
    }

    /// The base URL's origin (`scheme://host[:port]`): JWT `iss` and `aud`.
    pub fn issuer(&self) -> String {
        self.base_url.origin().ascii_serialization()
    }

    /// Cookies get `Secure` and the `__Secure-` prefix as `advanced.useSecureCookies` says,
    /// and unset, when served over https, and always with `SameSite=None` (browsers drop
    /// `None` cookies without `Secure`; [`Config::load_from`] refuses `false` with it).
    pub fn secure_cookies(&self) -> bool {
        self.options
            .advanced
            .use_secure_cookies
            .unwrap_or(self.base_url.scheme() == "https" || self.same_site == SameSite::None)
    }

    /// `user.additionalFields`.
    pub fn user_fields(&self) -> &crate::better_auth::user_fields::AdditionalFields {
        &self.options.user.additional_fields
    }

    pub fn is_trusted_origin(&self, origin: &str) -> bool {
        self.trusted_origins.iter().any(|trusted| trusted == origin)
    }
}

fn parse_number<T: std::str::FromStr>(
    value: Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match value {
        None => Ok(default),
        Some(text) => text.parse().map_err(|_| ConfigError::Invalid {
            name,
            reason: format!("{text:?} is not a number"),
        }),
    }
}

/// The secret the variable `arn_variable` names, when it is set.
async fn fetch_optional_secret(
    env: &HashMap<String, String>,
    arn_variable: &str,
) -> Result<Option<String>, ConfigError> {
    match env.get(arn_variable).filter(|arn| !arn.is_empty()) {
        Some(arn) => fetch_secret_json(arn, env).await.map(Some),
        None => Ok(None),
    }
}

/// The value of the `AUTH_SECRET_ARN` secret: its `BETTER_AUTH_SECRET` key when it is a JSON
/// object, else its whole text (a secret that holds only the value).
fn auth_secret_value(text: &str) -> Result<String, ConfigError> {
    if text.trim_start().starts_with('{') {
        return parse_secret_json(text)?
            .remove("BETTER_AUTH_SECRET")
            .ok_or(ConfigError::Missing(
                "BETTER_AUTH_SECRET (in the AUTH_SECRET_ARN secret)",
            ));
    }
    Ok(text.trim().to_owned())
}

/// The secret's JSON must be an object of strings; anything else is a deploy mistake.
fn parse_secret_json(text: &str) -> Result<HashMap<String, String>, ConfigError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|_| ConfigError::SecretsManager("the secret is not a JSON object".into()))?;
    let object = value
        .as_object()
        .ok_or_else(|| ConfigError::SecretsManager("the secret is not a JSON object".into()))?;
    Ok(object
        .iter()
        .filter_map(|(key, value)| value.as_str().map(|text| (key.clone(), text.to_owned())))
        .collect())
}

/// `advanced.crossSubDomainCookies` as a `Domain=` value: its `domain`, or the base URL's host.
/// A Domain the base URL is not under would make browsers drop every auth cookie, so it stops
/// the cold start.
fn cookie_domain(
    option: &CrossSubDomainCookies,
    base_url: &Url,
) -> Result<Option<String>, ConfigError> {
    if !option.enabled {
        return Ok(None);
    }
    let host = base_url.host_str().unwrap_or_default().to_ascii_lowercase();
    let Some(domain) = option
        .domain
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    else {
        return Ok(Some(host));
    };
    let bare = domain.trim_start_matches('.').to_ascii_lowercase();
    let valid_name = !bare.is_empty()
        && bare.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !valid_name {
        return Err(ConfigError::Invalid {
            name: "BETTER_AUTH_OPTIONS",
            reason: format!(
                "advanced.crossSubDomainCookies.domain: {domain:?} is not a domain name"
            ),
        });
    }
    if host != bare && !host.ends_with(&format!(".{bare}")) {
        return Err(ConfigError::Invalid {
            name: "BETTER_AUTH_OPTIONS",
            reason: format!(
                "advanced.crossSubDomainCookies.domain: BETTER_AUTH_URL's host {host} is not under {domain}, so browsers would drop every cookie"
            ),
        });
    }
    Ok(Some(domain.to_owned()))
}

/// Only `DATABASE_URL`, from the secret when `SECRET_ARN` is set (its key wins, as in
/// [`Config::load_from`]) or else from `env`. For the migrations, which need no other setting
/// and should not fail over one they do not use.
pub async fn load_database_url(env: &HashMap<String, String>) -> Result<Secret, ConfigError> {
    let from_secret = match env.get("SECRET_ARN").filter(|arn| !arn.is_empty()) {
        Some(arn) => parse_secret_json(&fetch_secret_json(arn, env).await?)?,
        None => HashMap::new(),
    };
    from_secret
        .get("DATABASE_URL")
        .or_else(|| env.get("DATABASE_URL"))
        .map(|value| value.trim())
        .filter(|value| !value.is_empty())
        .map(Secret::new)
        .ok_or(ConfigError::Missing("DATABASE_URL"))
}

/// How long the SDK may try to reach Secrets Manager. Lambda's init phase is 10 s at most, and
/// an unreachable endpoint must fail the init with a clear error within it, not hang.
pub const SECRETS_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// The whole `GetSecretValue`, retries included.
pub const SECRETS_OPERATION_TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts of `GetSecretValue` (the first and one retry).
pub const SECRETS_MAX_ATTEMPTS: u32 = 2;

/// One `GetSecretValue` call with the SDK's default credential and region chain (the Lambda
/// environment in AWS), bounded in time by the constants above.
///
/// The settings the SDK would read from the process environment are taken from `env` when
/// they are there: `AWS_REGION`, the `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
/// `AWS_SESSION_TOKEN` credentials Lambda sets, and `AWS_ENDPOINT_URL` (a local endpoint in
/// tests). With `env` being the process environment that is what the SDK does anyway; with
/// another map (tests), no process-global variable has to change.
async fn fetch_secret_json(
    secret_arn: &str,
    env: &HashMap<String, String>,
) -> Result<String, ConfigError> {
    let aws = AwsEnv::from_env(env);
    let endpoint = aws.endpoint("SECRETS_MANAGER");
    let limits = CallLimits {
        connect_timeout: SECRETS_CONNECT_TIMEOUT,
        operation_timeout: SECRETS_OPERATION_TIMEOUT,
        max_attempts: SECRETS_MAX_ATTEMPTS,
    };
    let sdk_config = aws.sdk_config("SECRETS_MANAGER", limits).await;
    let client = aws_sdk_secretsmanager::Client::new(&sdk_config);
    let output = client
        .get_secret_value()
        .secret_id(secret_arn)
        .send()
        .await
        .map_err(|err| describe_sdk_error(secret_arn, endpoint, err))?;
    output
        .secret_string
        .ok_or_else(|| ConfigError::SecretsManager("the secret has no SecretString".into()))
}

/// One line saying what went wrong, for the init log. The secret's value cannot be in it: a
/// failed call has not returned one.
fn describe_sdk_error(
    secret_arn: &str,
    endpoint: Option<&str>,
    err: aws_sdk_secretsmanager::error::SdkError<
        aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError,
    >,
) -> ConfigError {
    use aws_sdk_secretsmanager::error::{DisplayErrorContext, SdkError};
    use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;

    let endpoint = endpoint.unwrap_or("the default endpoint");
    let text = match &err {
        SdkError::ServiceError(service) => match service.err() {
            GetSecretValueError::ResourceNotFoundException(_) => {
                format!("secret {secret_arn:?} not found (ResourceNotFoundException)")
            }
            other => format!(
                "GetSecretValue of {secret_arn:?} was refused: {}",
                DisplayErrorContext(other)
            ),
        },
        SdkError::TimeoutError(_) => format!(
            "no answer from Secrets Manager at {endpoint} within {SECRETS_OPERATION_TIMEOUT:?}"
        ),
        SdkError::DispatchFailure(_) => format!(
            "could not reach Secrets Manager at {endpoint}: {}",
            DisplayErrorContext(&err)
        ),
        _ => DisplayErrorContext(&err).to_string(),
    };
    ConfigError::SecretsManager(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn short_secret_is_refused() {
        let err = Config::from_sources(
            &env(&[
                ("BETTER_AUTH_SECRET", "short"),
                ("DATABASE_URL", "postgres://x"),
            ]),
            None,
        )
        .unwrap_err();
        assert!(matches!(err, ConfigError::SecretTooShort(5)));
        assert!(
            !err.to_string().contains("short\""),
            "the value itself is never echoed"
        );
    }

    fn config_with(options: &str, extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut pairs = vec![
            ("BETTER_AUTH_SECRET", SECRET),
            ("DATABASE_URL", "postgres://x"),
            ("BETTER_AUTH_URL", "https://api.example.com"),
            ("BETTER_AUTH_OPTIONS", options),
        ];
        pairs.extend_from_slice(extra);
        Config::from_sources(&env(&pairs), None)
    }

    #[test]
    fn cross_sub_domain_cookies_need_a_domain_the_base_url_is_under() {
        let on = |domain: &str| {
            format!(
                r#"{{"advanced":{{"crossSubDomainCookies":{{"enabled":true,"domain":"{domain}"}}}}}}"#
            )
        };
        for (domain, expected) in [
            ("example.com", "example.com"),
            (".example.com", ".example.com"),
            ("api.example.com", "api.example.com"),
            ("EXAMPLE.com", "EXAMPLE.com"),
        ] {
            let config = config_with(&on(domain), &[]).unwrap();
            assert_eq!(config.cookie_domain.as_deref(), Some(expected), "{domain}");
        }
        let config = config_with(
            r#"{"advanced":{"crossSubDomainCookies":{"enabled":true}}}"#,
            &[],
        )
        .unwrap();
        assert_eq!(config.cookie_domain.as_deref(), Some("api.example.com"));
        assert_eq!(config_with("{}", &[]).unwrap().cookie_domain, None);
        for (domain, message) in [
            (
                "other.com",
                "BETTER_AUTH_URL's host api.example.com is not under other.com",
            ),
            ("ample.com", "is not under ample.com"),
            ("app.example.com", "is not under app.example.com"),
            ("exa mple.com", "is not a domain name"),
        ] {
            let err = config_with(&on(domain), &[]).unwrap_err().to_string();
            assert!(
                err.starts_with(
                    "BETTER_AUTH_OPTIONS is invalid: advanced.crossSubDomainCookies.domain: "
                ) && err.contains(message),
                "{domain}: {err}"
            );
        }
    }

    #[test]
    fn use_secure_cookies_overrides_the_scheme_but_not_same_site_none() {
        let off = r#"{"advanced":{"useSecureCookies":false}}"#;
        assert!(!config_with(off, &[]).unwrap().secure_cookies());
        let on = r#"{"advanced":{"useSecureCookies":true}}"#;
        assert!(
            config_with(on, &[("BETTER_AUTH_URL", "http://localhost:8000")])
                .unwrap()
                .secure_cookies()
        );
        let err = config_with(off, &[("SAME_SITE", "None")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("advanced.useSecureCookies: false cannot go with SAME_SITE=None"),
            "{err}"
        );
    }

    #[test]
    fn jwt_plugin_issuer_and_audience_are_issued_and_accepted() {
        let options = r#"{"plugins":{"jwt":{"jwt":{"issuer":"https://app.example.com","audience":["tasks","https://app.example.com"]}}}}"#;
        let config = config_with(options, &[("JWT_ISSUERS", "https://other.example.com")]).unwrap();
        assert_eq!(config.jwt_issuer, "https://app.example.com");
        assert_eq!(
            config.jwt_issuers,
            ["https://app.example.com", "https://other.example.com"]
        );
        assert_eq!(
            config.jwt_audiences,
            [
                "tasks",
                "https://app.example.com",
                "https://other.example.com"
            ]
        );
        let config = config_with("{}", &[]).unwrap();
        assert_eq!(config.jwt_issuer, "https://api.example.com");
        assert_eq!(
            config.jwt_audience,
            Audience::One("https://api.example.com".into())
        );
    }

    #[test]
    fn jwt_issuers_and_audiences_add_to_our_own_and_audiences_follow_issuers() {
        let base = [
            ("BETTER_AUTH_SECRET", SECRET),
            ("DATABASE_URL", "postgres://x"),
            ("BETTER_AUTH_URL", "https://api.example.com"),
        ];
        let config = Config::from_sources(&env(&base), None).unwrap();
        assert_eq!(config.jwt_issuers, ["https://api.example.com"]);
        assert_eq!(config.jwt_audiences, ["https://api.example.com"]);
        let mut with = base.to_vec();
        with.push((
            "JWT_ISSUERS",
            " https://app.example.com/ ,https://api.example.com,",
        ));
        let config = Config::from_sources(&env(&with), None).unwrap();
        let both = ["https://api.example.com", "https://app.example.com"];
        assert_eq!(config.jwt_issuers, both);
        assert_eq!(config.jwt_audiences, both);
        with.push(("JWT_AUDIENCES", "tasks-api"));
        let config = Config::from_sources(&env(&with), None).unwrap();
        assert_eq!(config.jwt_issuers, both);
        assert_eq!(
            config.jwt_audiences,
            ["https://api.example.com", "tasks-api"]
        );
    }

    #[test]
    fn password_hash_is_argon2id_or_scrypt() {
        let base = [
            ("BETTER_AUTH_SECRET", SECRET),
            ("DATABASE_URL", "postgres://x"),
        ];
        let config = Config::from_sources(&env(&base), None).unwrap();
        assert_eq!(config.password_hashing, PasswordHashing::Argon2id);
        let mut with = base.to_vec();
        with.push(("PASSWORD_HASH", "scrypt"));
        let config = Config::from_sources(&env(&with), None).unwrap();
        assert_eq!(config.password_hashing, PasswordHashing::Scrypt);
        with.pop();
        with.push(("PASSWORD_HASH", "bcrypt"));
        let err = Config::from_sources(&env(&with), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"PASSWORD_HASH is invalid: "bcrypt" is not argon2id or scrypt"#
        );
    }

    #[test]
    fn an_option_that_mails_needs_mail_settings() {
        let options =
            r#"{"user":{"deleteUser":{"enabled":true,"sendDeleteAccountVerification":true}}}"#;
        let base = [
            ("BETTER_AUTH_SECRET", SECRET),
            ("DATABASE_URL", "postgres://x"),
            ("BETTER_AUTH_OPTIONS", options),
        ];
        let err = Config::from_sources(&env(&base), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "BETTER_AUTH_OPTIONS is invalid: user.deleteUser.sendDeleteAccountVerification needs EMAIL_FROM (or EMAIL_OUTBOX_DIR) to send its mail"
        );
        let mut with_mail = base.to_vec();
        with_mail.push(("EMAIL_FROM", "noreply@example.com"));
        let config = Config::from_sources(&env(&with_mail), None).unwrap();
        assert!(
            config
                .options
                .user
                .delete_user
                .send_delete_account_verification
        );
    }

    #[test]
    fn secret_json_wins_over_environment() {
        let secret = format!(
            r#"{{"BETTER_AUTH_SECRET":"{SECRET}","DATABASE_URL":"postgres://from-secret"}}"#
        );
        let config = Config::from_sources(
            &env(&[
                ("BETTER_AUTH_SECRET", "ignored-ignored-ignored-ignored-x"),
                ("DATABASE_URL", "postgres://env"),
            ]),
            Some(&secret),
        )
        .unwrap();
        assert_eq!(config.auth_secret.expose(), SECRET);
        assert_eq!(config.database_url.expose(), "postgres://from-secret");
        assert_eq!(format!("{:?}", config.auth_secret), "[redacted]");
    }

    #[test]
    fn trusted_origins_are_base_url_plus_cors_origins() {
        let config = Config::from_sources(
            &env(&[
                ("BETTER_AUTH_SECRET", SECRET),
                ("DATABASE_URL", "postgres://x"),
                ("BETTER_AUTH_URL", "https://api.example.com/some/path"),
                (
                    "CORS_ORIGINS",
                    "https://app.example.com, http://localhost:3000/",
                ),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(
            config.trusted_origins,
            [
                "https://api.example.com",
                "https://app.example.com",
                "http://localhost:3000"
            ]
        );
        assert!(config.secure_cookies());
        assert_eq!(config.issuer(), "https://api.example.com");
    }

    #[test]
    fn malformed_secret_json_names_the_problem_not_the_value() {
        let err = Config::from_sources(&env(&[]), Some("not json at all")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "could not read the secret from Secrets Manager: the secret is not a JSON object"
        );
    }
}
