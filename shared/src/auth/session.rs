//! Users and sessions as Better Auth stores and serialises them, and the session cookies.
//!
//! A session is a row in `session` whose `token` (32 random characters, stored raw) the
//! browser holds in the signed `better-auth.session_token` cookie, or an API client sends as
//! `Authorization: Bearer <token>[.<signature>]` (Better Auth's bearer plugin). Sessions last
//! 7 days and slide: once a day has passed, reading one extends it.

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::Serialize;
use tokio_postgres::Row;
use tokio_postgres::types::Type;

use super::cookie::{cookie_value, sign_cookie_value, verify_signed_cookie_value};
use super::ids::random_id;
use crate::config::Config;
use crate::db::Database;
use crate::error::Result;
use crate::http::{bearer_token, header};
use crate::{Request, State};

pub const SESSION_LIFETIME: Duration = Duration::days(7);
/// A session is extended when it is read and at least this much of it has passed.
pub const SESSION_UPDATE_AGE: Duration = Duration::days(1);
/// `rememberMe: false` sessions last a day and are not extended.
pub const SHORT_SESSION_LIFETIME: Duration = Duration::days(1);

/// A timestamp as Better Auth's JSON has it: ISO-8601 with milliseconds and `Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// Now, to the millisecond (JavaScript's precision), so the JSON and the row agree.
    pub fn now() -> Self {
        Timestamp(
            Utc::now()
                .duration_trunc(Duration::milliseconds(1))
                .expect("ms truncation"),
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    }
}

/// A user, serialised with Better Auth's keys in Better Auth's order.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub name: String,
    pub email: String,
    pub email_verified: bool,
    pub image: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub id: String,
}

/// A session, serialised with Better Auth's keys in Better Auth's order.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub expires_at: Timestamp,
    pub token: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub user_id: String,
    pub id: String,
}

/// Where a request came from, recorded on its session.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    pub fn of(request: &Request) -> Self {
        ClientInfo {
            ip_address: client_ip(request),
            user_agent: header(request, "user-agent").map(str::to_owned),
        }
    }
}

/// The caller's IP: API Gateway's `requestContext.http.sourceIp` (which a client cannot forge,
/// unlike X-Forwarded-For), else a single-address X-Forwarded-For.
pub fn client_ip(request: &Request) -> Option<String> {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    if let Some(RequestContext::ApiGatewayV2(context)) = request.request_context_ref()
        && let Some(ip) = context
            .http
            .source_ip
            .as_deref()
            .filter(|ip| !ip.is_empty())
    {
        return Some(ip.to_owned());
    }
    header(request, "x-forwarded-for")
        .map(str::trim)
        .filter(|v| !v.is_empty() && !v.contains(','))
        .map(str::to_owned)
}

impl Session {
    /// A new session for `user_id`, not yet stored.
    pub fn new(user_id: &str, client: &ClientInfo, remember: bool) -> Self {
        let now = Timestamp::now();
        let lifetime = if remember {
            SESSION_LIFETIME
        } else {
            SHORT_SESSION_LIFETIME
        };
        Session {
            expires_at: Timestamp(now.0 + lifetime),
            token: random_id(),
            created_at: now,
            updated_at: now,
            ip_address: client.ip_address.clone(),
            user_agent: client.user_agent.clone(),
            user_id: user_id.to_owned(),
            id: random_id(),
        }
    }

    /// Better Auth's sliding rule: extend once `updateAge` of the lifetime has passed.
    pub fn needs_extending(&self, now: Timestamp) -> bool {
        self.expires_at.0 - SESSION_LIFETIME + SESSION_UPDATE_AGE <= now.0
    }
}

// ---------------------------------------------------------------------------------------------
// Queries

const USER_COLUMNS: &str =
    r#"u."id", u."name", u."email", u."emailVerified", u."image", u."createdAt", u."updatedAt""#;
const SESSION_COLUMNS: &str = r#"s."id" as session_id, s."expiresAt", s."token", s."createdAt" as session_created_at,
    s."updatedAt" as session_updated_at, s."ipAddress", s."userAgent", s."userId""#;

fn user_from(row: &Row) -> User {
    User {
        id: row.get("id"),
        name: row.get("name"),
        email: row.get("email"),
        email_verified: row.get("emailVerified"),
        image: row.get("image"),
        created_at: Timestamp(row.get("createdAt")),
        updated_at: Timestamp(row.get("updatedAt")),
    }
}

fn session_from(row: &Row) -> Session {
    Session {
        id: row.get("session_id"),
        expires_at: Timestamp(row.get("expiresAt")),
        token: row.get("token"),
        created_at: Timestamp(row.get("session_created_at")),
        updated_at: Timestamp(row.get("session_updated_at")),
        ip_address: row.get("ipAddress"),
        user_agent: row.get("userAgent"),
        user_id: row.get("userId"),
    }
}

/// The outcome of inserting a new user.
pub enum SignUpOutcome {
    Created,
    EmailTaken,
}

/// Creates the user, its credential account and its first session in one statement (one
/// round trip, atomic). A concurrent sign-up with the same email loses on the unique
/// constraint and gets [`SignUpOutcome::EmailTaken`], never a 500.
pub async fn insert_user_with_session(
    db: &Database,
    user: &User,
    password_hash: &str,
    session: &Session,
) -> Result<SignUpOutcome> {
    let sql = r#"
        with new_user as (
            insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt")
            values ($1, $2, $3, false, $4, $5, $5) returning "id"
        ), new_account as (
            insert into "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt")
            select $6, "id", 'credential', "id", $7, $5, $5 from new_user
        )
        insert into "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId")
        select $8, $9, $10, $13, $13, $11, $12, "id" from new_user"#;
    let account_id = random_id();
    let result = db
        .query(
            sql,
            &[
                (&user.id, Type::TEXT),
                (&user.name, Type::TEXT),
                (&user.email, Type::TEXT),
                (&user.image, Type::TEXT),
                (&user.created_at.0, Type::TIMESTAMPTZ),
                (&account_id, Type::TEXT),
                (&password_hash, Type::TEXT),
                (&session.id, Type::TEXT),
                (&session.expires_at.0, Type::TIMESTAMPTZ),
                (&session.token, Type::TEXT),
                (&session.ip_address, Type::TEXT),
                (&session.user_agent, Type::TEXT),
                (&session.created_at.0, Type::TIMESTAMPTZ),
            ],
        )
        .await;
    match result {
        Ok(_) => Ok(SignUpOutcome::Created),
        Err(err) if err.is_unique_violation() && err.constraint() == Some("user_email_key") => {
            Ok(SignUpOutcome::EmailTaken)
        }
        Err(err) => Err(err.into()),
    }
}

/// A user and their credential password hash (None without a credential account).
pub async fn find_credentials(
    db: &Database,
    email: &str,
) -> Result<Option<(User, Option<String>)>> {
    let sql = format!(
        r#"select {USER_COLUMNS}, a."password" from "user" u
           left join "account" a on a."userId" = u."id" and a."providerId" = 'credential'
           where u."email" = $1
           order by a."createdAt" limit 1"#
    );
    let row = db.query_opt(&sql, &[(&email, Type::TEXT)]).await?;
    Ok(row.map(|row| (user_from(&row), row.get("password"))))
}

pub async fn insert_session(db: &Database, session: &Session) -> Result<()> {
    let sql = r#"insert into "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId")
                 values ($1, $2, $3, $4, $4, $5, $6, $7)"#;
    db.query(
        sql,
        &[
            (&session.id, Type::TEXT),
            (&session.expires_at.0, Type::TIMESTAMPTZ),
            (&session.token, Type::TEXT),
            (&session.created_at.0, Type::TIMESTAMPTZ),
            (&session.ip_address, Type::TEXT),
            (&session.user_agent, Type::TEXT),
            (&session.user_id, Type::TEXT),
        ],
    )
    .await?;
    Ok(())
}

/// The session with `token` and its user, if the row exists (expired or not).
pub async fn find_session(db: &Database, token: &str) -> Result<Option<(Session, User)>> {
    let sql = format!(
        r#"select {SESSION_COLUMNS}, {USER_COLUMNS} from "session" s
           join "user" u on u."id" = s."userId" where s."token" = $1"#
    );
    let row = db.query_opt(&sql, &[(&token, Type::TEXT)]).await?;
    Ok(row.map(|row| (session_from(&row), user_from(&row))))
}

/// Moves the expiry to `now + 7 days`.
pub async fn extend_session(db: &Database, session: &mut Session, now: Timestamp) -> Result<()> {
    session.expires_at = Timestamp(now.0 + SESSION_LIFETIME);
    session.updated_at = now;
    let sql = r#"update "session" set "expiresAt" = $2, "updatedAt" = $3 where "id" = $1"#;
    db.query(
        sql,
        &[
            (&session.id, Type::TEXT),
            (&session.expires_at.0, Type::TIMESTAMPTZ),
            (&now.0, Type::TIMESTAMPTZ),
        ],
    )
    .await?;
    Ok(())
}

pub async fn delete_session(db: &Database, token: &str) -> Result<()> {
    db.query(
        r#"delete from "session" where "token" = $1"#,
        &[(&token, Type::TEXT)],
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Credentials on requests, and cookies on responses

/// Cookie names, with `__Secure-` when cookies are Secure (as Better Auth names them).
pub struct CookieNames {
    pub session_token: String,
    pub session_data: String,
    pub dont_remember: String,
}

impl CookieNames {
    pub fn for_config(config: &Config) -> Self {
        let prefix = if config.secure_cookies() {
            "__Secure-better-auth."
        } else {
            "better-auth."
        };
        CookieNames {
            session_token: format!("{prefix}session_token"),
            session_data: format!("{prefix}session_data"),
            dont_remember: format!("{prefix}dont_remember"),
        }
    }
}

/// How the request presented a session token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// No cookie, a cookie with a bad signature, and no usable bearer token.
    None,
    /// A validly signed cookie, or a bearer token, naming this token.
    Token { token: String, via_bearer: bool },
}

/// The session token of a request: `Authorization: Bearer <token>` or `<token>.<signature>`
/// (signature checked) wins, as with Better Auth's bearer plugin; else the signed cookie.
pub fn credential(request: &Request, config: &Config) -> Credential {
    let secret = config.auth_secret.expose();
    if let Some(bearer) = bearer_token(request) {
        let token = if bearer.contains('.') {
            verify_signed_cookie_value(bearer, secret)
        } else {
            Some(bearer.to_owned())
        };
        if let Some(token) = token {
            return Credential::Token {
                token,
                via_bearer: true,
            };
        }
    }
    let names = CookieNames::for_config(config);
    header(request, "cookie")
        .and_then(|cookies| cookie_value(cookies, &names.session_token))
        .and_then(|value| verify_signed_cookie_value(value, secret))
        .map_or(Credential::None, |token| Credential::Token {
            token,
            via_bearer: false,
        })
}

/// Whether the request carries a validly signed `dont_remember` cookie.
pub fn has_dont_remember(request: &Request, config: &Config) -> bool {
    let names = CookieNames::for_config(config);
    header(request, "cookie")
        .and_then(|cookies| cookie_value(cookies, &names.dont_remember))
        .and_then(|value| verify_signed_cookie_value(value, config.auth_secret.expose()))
        .is_some_and(|value| value == "true")
}

/// Whether the request has any Cookie header (which makes Better Auth check the Origin).
pub fn has_cookie_header(request: &Request) -> bool {
    request.headers().contains_key("cookie")
}

fn cookie_attributes(config: &Config) -> String {
    let mut attributes = format!("Path=/; HttpOnly; SameSite={}", config.same_site.as_str());
    if config.secure_cookies() {
        attributes.push_str("; Secure");
    }
    attributes
}

/// `Set-Cookie` values for a new or extended session: the signed token (no Max-Age for a
/// `rememberMe: false` session), and for such a session the `dont_remember` marker.
pub fn session_cookies(config: &Config, token: &str, remember: bool) -> Vec<String> {
    let names = CookieNames::for_config(config);
    let secret = config.auth_secret.expose();
    let attributes = cookie_attributes(config);
    let signed = sign_cookie_value(token, secret);
    if remember {
        vec![format!(
            "{}={signed}; Max-Age={}; {attributes}",
            names.session_token,
            SESSION_LIFETIME.num_seconds()
        )]
    } else {
        vec![
            format!("{}={signed}; {attributes}", names.session_token),
            format!(
                "{}={}; {attributes}",
                names.dont_remember,
                sign_cookie_value("true", secret)
            ),
        ]
    }
}

/// The cookie that removes a `dont_remember` marker.
pub fn clear_dont_remember_cookie(config: &Config) -> String {
    format!(
        "{}=; Max-Age=0; {}",
        CookieNames::for_config(config).dont_remember,
        cookie_attributes(config)
    )
}

/// The three cookies Better Auth clears on sign-out and for a dead session.
pub fn clearing_cookies(config: &Config) -> Vec<String> {
    let names = CookieNames::for_config(config);
    let attributes = cookie_attributes(config);
    [names.session_token, names.session_data, names.dont_remember]
        .into_iter()
        .map(|name| format!("{name}=; Max-Age=0; {attributes}"))
        .collect()
}

/// The `set-auth-token` header value: `<token>.<signature>`, not URL-encoded.
pub fn bearer_header_value(config: &Config, token: &str) -> String {
    percent_encoding::percent_decode_str(&sign_cookie_value(token, config.auth_secret.expose()))
        .decode_utf8_lossy()
        .into_owned()
}

/// The current session of a request, as get-session and token read it.
// Built once per request and matched at once: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Lookup {
    /// No credential at all (or a badly signed cookie): nothing to clear.
    Anonymous,
    /// A credential whose session is gone or expired (an expired row is deleted).
    Dead,
    Active {
        session: Session,
        user: User,
        via_bearer: bool,
    },
}

/// Finds the request's session: one round trip, plus one to delete an expired row.
pub async fn current_session(state: &State, request: &Request) -> Result<Lookup> {
    let Credential::Token { token, via_bearer } = credential(request, &state.config) else {
        return Ok(Lookup::Anonymous);
    };
    match find_session(&state.db, &token).await? {
        None => Ok(Lookup::Dead),
        Some((session, _)) if session.expires_at <= Timestamp::now() => {
            delete_session(&state.db, &session.token).await?;
            Ok(Lookup::Dead)
        }
        Some((session, user)) => Ok(Lookup::Active {
            session,
            user,
            via_bearer,
        }),
    }
}
