//! Sessions as Better Auth stores and serialises them, and how a request presents one.
//!
//! A session is a row in `session` whose `token` (32 random characters, stored raw) the
//! browser holds in the signed `better-auth.session_token` cookie ([`super::cookies`]), or an
//! API client sends as `Authorization: Bearer <token>[.<signature>]` (Better Auth's bearer
//! plugin). Sessions last `session.expiresIn` (7 days) and slide: once `updateAge` (a day) has
//! passed, reading one extends it.

use chrono::Duration;
use serde::Serialize;
use tokio_postgres::Row;
use tokio_postgres::types::Type;

use super::cookies::{self, verify_signed_cookie_value};
use super::ids::random_id;
use super::options::SessionOptions;
use super::user_fields::AdditionalFields;
use super::users::{Timestamp, User, user_columns, user_from};
use crate::config::Config;
use crate::db::Database;
use crate::error::Result;
use crate::http::{bearer_token, client_ip, header};
use crate::{Request, State};

/// `rememberMe: false` sessions last a day whatever `session.expiresIn` says (Better Auth's
/// fixed rule), and are not extended.
pub const SHORT_SESSION_LIFETIME: Duration = Duration::days(1);

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

impl Session {
    /// A new session for `user_id`, not yet stored, lasting `session.expiresIn` (a day when not
    /// remembered).
    pub fn new(
        user_id: &str,
        client: &ClientInfo,
        remember: bool,
        options: &SessionOptions,
    ) -> Self {
        let now = Timestamp::now();
        let lifetime = if remember {
            options.lifetime()
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
    pub fn needs_extending(&self, now: Timestamp, options: &SessionOptions) -> bool {
        self.expires_at.0 - options.lifetime() + options.update_age() <= now.0
    }
}

// ---------------------------------------------------------------------------------------------
// Queries

const SESSION_COLUMNS: &str = r#"s."id" as session_id, s."expiresAt", s."token", s."createdAt" as session_created_at,
    s."updatedAt" as session_updated_at, s."ipAddress", s."userAgent", s."userId""#;

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

/// `insert into "session" (…columns…)`, for every statement that creates a session (here, and
/// in sign-up's and change-password's single statements in [`super::users`]).
pub(super) const INSERT_SESSION: &str = r#"insert into "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId")"#;

pub async fn insert_session(db: &Database, session: &Session) -> Result<()> {
    let sql = format!("{INSERT_SESSION} values ($1, $2, $3, $4, $4, $5, $6, $7)");
    db.query(
        &sql,
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
async fn find_session(
    db: &Database,
    fields: &AdditionalFields,
    token: &str,
) -> Result<Option<(Session, User)>> {
    let columns = user_columns(fields);
    let sql = format!(
        r#"select {SESSION_COLUMNS}, {columns} from "session" s
           join "user" u on u."id" = s."userId" where s."token" = $1"#
    );
    let row = db.query_opt(&sql, &[(&token, Type::TEXT)]).await?;
    Ok(row.map(|row| (session_from(&row), user_from(&row, fields))))
}

/// Moves the expiry to `now + session.expiresIn`.
pub async fn extend_session(
    db: &Database,
    session: &mut Session,
    now: Timestamp,
    options: &SessionOptions,
) -> Result<()> {
    session.expires_at = Timestamp(now.0 + options.lifetime());
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
// The session of a request

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
    cookies::session_token(request, config).map_or(Credential::None, |token| Credential::Token {
        token,
        via_bearer: false,
    })
}

/// A request's live session and its user (and whether it came as a bearer token), as Better
/// Auth's session middlewares hand them on.
#[derive(Debug, Clone)]
pub struct Active {
    pub session: Session,
    pub user: User,
    pub via_bearer: bool,
}

/// The current session of a request, as get-session and token read it.
// Built once per request and matched at once: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Lookup {
    /// No credential at all (or a badly signed cookie): nothing to clear.
    Anonymous,
    /// A credential whose session is gone or expired (an expired row is deleted).
    Dead,
    Active(Active),
}

/// Finds the request's session: one round trip, plus one to delete an expired row.
pub async fn current_session(state: &State, request: &Request) -> Result<Lookup> {
    let Credential::Token { token, via_bearer } = credential(request, &state.config) else {
        return Ok(Lookup::Anonymous);
    };
    match find_session(&state.db, state.config.user_fields(), &token).await? {
        None => Ok(Lookup::Dead),
        Some((session, _)) if session.expires_at <= Timestamp::now() => {
            delete_session(&state.db, &session.token).await?;
            Ok(Lookup::Dead)
        }
        Some((session, user)) => Ok(Lookup::Active(Active {
            session,
            user,
            via_bearer,
        })),
    }
}

// ---------------------------------------------------------------------------------------------
// The gates of the account routes

/// Better Auth's `sessionMiddleware` and `sensitiveSessionMiddleware`: a live session, or 401
/// `UNAUTHORIZED`. The two differ only in whether a cookie cache may answer; there is none
/// here, so both read the database. Unlike Better Auth's middleware, this does not slide the
/// session forward: the client re-fetches get-session after every account call, which does.
pub async fn require_session(state: &State, request: &Request) -> Result<Active> {
    match current_session(state, request).await? {
        Lookup::Active(active) => Ok(active),
        Lookup::Anonymous | Lookup::Dead => Err(super::errors::UNAUTHORIZED.into()),
    }
}

/// Whether `session` is younger than `session.freshAge` (always, when the check is off).
/// Sliding never moves `createdAt`, so a session stops being fresh a day after sign-in.
pub fn is_fresh(session: &Session, fresh_age: Option<std::time::Duration>) -> bool {
    let Some(fresh_age) = fresh_age else {
        return true;
    };
    let age = Timestamp::now().0 - session.created_at.0;
    age.to_std().map_or(true, |age| age < fresh_age)
}

/// Better Auth's `freshSessionMiddleware`: a live session younger than `freshAge`, else 403
/// `SESSION_NOT_FRESH`.
pub async fn require_fresh_session(state: &State, request: &Request) -> Result<Active> {
    let active = require_session(state, request).await?;
    if !is_fresh(&active.session, state.config.options.fresh_age()) {
        return Err(super::errors::SESSION_NOT_FRESH.into());
    }
    Ok(active)
}

// ---------------------------------------------------------------------------------------------
// A user's sessions

/// The user's sessions that have not expired, oldest first. One round trip.
pub async fn list_active_sessions(db: &Database, user_id: &str) -> Result<Vec<Session>> {
    let sql = format!(
        r#"select {SESSION_COLUMNS} from "session" s
           where s."userId" = $1 and s."expiresAt" > now() order by s."createdAt", s."id""#
    );
    let rows = db.query(&sql, &[(&user_id, Type::TEXT)]).await?;
    Ok(rows.iter().map(session_from).collect())
}

/// Deletes the session with `token` if it belongs to `user_id`; a token of anyone else's
/// changes nothing. One round trip.
pub async fn delete_own_session(db: &Database, user_id: &str, token: &str) -> Result<()> {
    db.query(
        r#"delete from "session" where "token" = $1 and "userId" = $2"#,
        &[(&token, Type::TEXT), (&user_id, Type::TEXT)],
    )
    .await?;
    Ok(())
}

/// Deletes every session of `user_id` but the one with `keep_token` (all of them when it is
/// `None`). One round trip.
pub async fn delete_user_sessions(
    db: &Database,
    user_id: &str,
    keep_token: Option<&str>,
) -> Result<()> {
    db.query(
        r#"delete from "session" where "userId" = $1 and ($2::text is null or "token" <> $2)"#,
        &[(&user_id, Type::TEXT), (&keep_token, Type::TEXT)],
    )
    .await?;
    Ok(())
}
