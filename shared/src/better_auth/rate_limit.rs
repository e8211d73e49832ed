//! Rate limiting per client IP and route, counted in Postgres so the limit holds across
//! Lambda instances (each instance alone would allow N requests per window). Sign-in and
//! sign-up use the configured limit (`AUTH_RATE_LIMIT_*`); the routes that send mail use
//! Better Auth's fixed rule for them, [`MAIL_ROUTES`].
//!
//! Rows live in Better Auth's own `rateLimit` table (`key`, `count`, `lastRequest` in ms), with
//! Better Auth's algorithm: a bucket restarts when `now − lastRequest ≥ window`; an allowed
//! request sets `lastRequest = now`; a refused one changes nothing. One statement decides and
//! records atomically, so concurrent requests cannot both take the last slot.

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

/// Counts this request against `path`'s bucket for the caller's IP; `Err(RateLimited)` when
/// the caller is over `limit`. One round trip.
pub async fn check(state: &State, request: &Request, path: &str, limit: RateLimit) -> Result<()> {
    // Without an IP every client shares one bucket per path, as with Better Auth.
    let ip = client_ip(request).unwrap_or_else(|| "no-trusted-ip".to_owned());
    let key = format!("{ip}|{path}");
    let now_ms = chrono::Utc::now().timestamp_millis();
    let window_ms = limit.window.as_millis() as i64;
    let max = i32::try_from(limit.max_requests).unwrap_or(i32::MAX);
    let sql = r#"
        insert into "rateLimit" ("id", "key", "count", "lastRequest") values ($1, $2, 1, $3)
        on conflict ("key") do update set
            "count" = case
                when $3 - "rateLimit"."lastRequest" >= $4 then 1
                when "rateLimit"."count" >= $5 then "rateLimit"."count"
                else "rateLimit"."count" + 1 end,
            "lastRequest" = case
                when $3 - "rateLimit"."lastRequest" >= $4 then $3
                when "rateLimit"."count" >= $5 then "rateLimit"."lastRequest"
                else $3 end
        returning "lastRequest""#;
    let row = state
        .db
        .query_opt(
            sql,
            &[
                (&random_id(), Type::TEXT),
                (&key, Type::TEXT),
                (&now_ms, Type::INT8),
                (&window_ms, Type::INT8),
                (&max, Type::INT4),
            ],
        )
        .await?
        .ok_or_else(|| Error::internal("rate limit upsert returned no row"))?;
    let last_request: i64 = row.get(0);
    if last_request == now_ms {
        return Ok(());
    }
    let retry_after = ((last_request + window_ms - now_ms).max(0) as u64).div_ceil(1000);
    tracing::warn!(path, "rate limit reached");
    Err(Error::RateLimited { retry_after })
}
