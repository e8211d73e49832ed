//! Rate limiting per client IP and route, counted in Postgres so the limit holds across
//! Lambda instances (each instance alone would allow N requests per window). Sign-in and
//! sign-up use the configured limit (`AUTH_RATE_LIMIT_*`); the routes that send mail use
//! Better Auth's fixed rule for them, [`MAIL_ROUTES`].
//!
//! Rows live in Better Auth's own `rateLimit` table (`key`, `count`, `lastRequest` in ms), with
//! Better Auth's algorithm: a bucket restarts when `now − lastRequest ≥ window`; an allowed
//! request sets `lastRequest = now`; a refused one changes nothing. One statement decides and
//! records atomically, so concurrent requests cannot both take the last slot, and deletes the
//! buckets idle for a day ([`STALE_AFTER`]).

use tokio_postgres::types::Type;

use super::ids::random_id;
use crate::config::RateLimit;
use crate::error::{Error, Result};
use crate::http::client_ip;
use crate::{Request, State};

/// Better Auth's rule for request-password-reset and send-verification-email: 3 per 60 s.
pub const MAIL_ROUTES: RateLimit = RateLimit {
    max_requests: 3,
    window: std::time::Duration::from_secs(60),
};

/// Buckets untouched for this long (or the window, when longer) are deleted: nothing else ever
/// removes a client's row, and every IP that ever called would stay in the table.
pub const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// Counts this request against `path`'s bucket for the caller's IP; `Err(RateLimited)` when
/// the caller is over `limit`. One round trip.
pub async fn check(state: &State, request: &Request, path: &str, limit: RateLimit) -> Result<()> {
    check_at(
        state,
        request,
        path,
        limit,
        chrono::Utc::now().timestamp_millis(),
    )
    .await
}

/// [`check`] at the instant `now_ms` (milliseconds since the epoch).
///
/// The upsert only updates an allowed request's row (its `where`), so a returned row means
/// "allowed", whatever the clock: a refused request in the same millisecond as the last
/// allowed one is refused. A refused request reads the bucket for its `X-Retry-After` in the
/// same statement. Stale buckets of other keys go in the same statement too.
pub async fn check_at(
    state: &State,
    request: &Request,
    path: &str,
    limit: RateLimit,
    now_ms: i64,
) -> Result<()> {
    // Without an IP every client shares one bucket per path, as with Better Auth.
    let ip = client_ip(request).unwrap_or_else(|| "no-trusted-ip".to_owned());
    let key = format!("{ip}|{path}");
    let window_ms = limit.window.as_millis() as i64;
    let stale_before = now_ms - (STALE_AFTER.max(limit.window).as_millis() as i64);
    let max = i32::try_from(limit.max_requests).unwrap_or(i32::MAX);
    let sql = r#"
        with swept as (
            delete from "rateLimit" where "lastRequest" < $6 and "key" <> $2
        ),
        allowed as (
            insert into "rateLimit" ("id", "key", "count", "lastRequest") values ($1, $2, 1, $3)
            on conflict ("key") do update set
                "count" = case when $3 - "rateLimit"."lastRequest" >= $4 then 1
                               else "rateLimit"."count" + 1 end,
                "lastRequest" = $3
            where $3 - "rateLimit"."lastRequest" >= $4 or "rateLimit"."count" < $5
            returning "lastRequest"
        )
        select true as "allowed", "lastRequest" from allowed
        union all
        select false, "lastRequest" from "rateLimit"
        where "key" = $2 and not exists (select 1 from allowed)"#;
    let rows = state
        .db
        .query(
            sql,
            &[
                (&random_id(), Type::TEXT),
                (&key, Type::TEXT),
                (&now_ms, Type::INT8),
                (&window_ms, Type::INT8),
                (&max, Type::INT4),
                (&stale_before, Type::INT8),
            ],
        )
        .await?;
    // No row at all: refused by a bucket another request created after this statement's
    // snapshot; the whole window is a safe wait.
    let (allowed, last_request) = rows
        .first()
        .map_or((false, now_ms), |row| (row.get(0), row.get(1)));
    if allowed {
        return Ok(());
    }
    let retry_after = ((last_request + window_ms - now_ms).max(0) as u64)
        .div_ceil(1000)
        .max(1);
    tracing::warn!(path, "rate limit reached");
    Err(Error::RateLimited { retry_after })
}
