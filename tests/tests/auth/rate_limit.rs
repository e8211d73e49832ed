//! The rate limit on sign-in and sign-up, counted in Postgres.

use api_tests::auth::*;
use api_tests::{Fixture, TestApp, TestResponse};
use serde_json::json;
use std::time::Duration;

fn wrong_sign_in() -> Fixture {
    sign_in_request(credentials("nobody@example.com"))
}

fn assert_rate_limited(response: &TestResponse, max_retry_after: u64) {
    assert_eq!(response.status, 429, "{}", response.raw_body);
    assert_eq!(response.raw_body, RATE_LIMITED);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let retry_after: u64 = response
        .header("x-retry-after")
        .expect("x-retry-after")
        .parse()
        .unwrap();
    assert!(
        (1..=max_retry_after).contains(&retry_after),
        "x-retry-after {retry_after}"
    );
}

#[tokio::test]
async fn fourth_sign_in_within_ten_seconds_from_one_ip_is_429() {
    let app = TestApp::new().await;
    for attempt in 1..=3 {
        let response = app.call(wrong_sign_in()).await;
        assert_eq!(
            response.status, 401,
            "attempt {attempt}: {}",
            response.raw_body
        );
    }
    let response = app.call(wrong_sign_in()).await;
    assert_rate_limited(&response, 10);
    // A forged X-Forwarded-For does not escape the limit: the IP is API Gateway's sourceIp.
    let forged = app
        .call(wrong_sign_in().header("x-forwarded-for", "192.0.2.99"))
        .await;
    assert_rate_limited(&forged, 10);
}

#[tokio::test]
async fn another_ip_has_its_own_rate_limit_bucket() {
    let app = TestApp::new().await;
    for _ in 0..4 {
        app.call(wrong_sign_in()).await;
    }
    let response = app.call(wrong_sign_in().source_ip("198.51.100.9")).await;
    assert_eq!(response.status, 401, "{}", response.raw_body);
}

#[tokio::test]
async fn sign_up_has_its_own_rate_limit_bucket() {
    let app = TestApp::new().await;
    for _ in 0..3 {
        app.call(wrong_sign_in()).await;
    }
    assert_rate_limited(&app.call(wrong_sign_in()).await, 10);
    let response = app.call(sign_up_request(new_user("ada@example.com"))).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
}

#[tokio::test]
async fn rate_limit_is_counted_in_the_database_and_shared_by_instances() {
    let app = TestApp::new().await;
    let other = second_state(&app, &[]).await;
    assert_eq!(app.call(wrong_sign_in()).await.status, 401);
    assert_eq!(call_with(&other, wrong_sign_in()).await.status, 401);
    assert_eq!(app.call(wrong_sign_in()).await.status, 401);
    assert_rate_limited(&call_with(&other, wrong_sign_in()).await, 10);
    let rows = app
        .database
        .query(r#"select "key", "count" from "rateLimit""#, &[])
        .await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].get::<_, String>(0),
        format!("{FIXTURE_IP}|/sign-in/email")
    );
    assert_eq!(rows[0].get::<_, i32>(1), 3);
}

#[tokio::test]
async fn rate_limit_max_and_window_are_configurable() {
    let app = TestApp::with_env(&[
        ("AUTH_RATE_LIMIT_MAX", "1"),
        ("AUTH_RATE_LIMIT_WINDOW_SECONDS", "1"),
    ])
    .await;
    // A malformed email is refused after the limit is counted, without hashing: fast enough
    // that both requests fall in one 1-second window even on a loaded machine.
    let cheap = || sign_in_request(json!({"email": "not-an-email", "password": "x"}));
    assert_eq!(app.call(cheap()).await.status, 400);
    assert_rate_limited(&app.call(cheap()).await, 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = app.call(cheap()).await;
    assert_eq!(
        response.status, 400,
        "the window has passed: {}",
        response.raw_body
    );
}

#[tokio::test]
async fn a_request_refused_in_the_same_millisecond_as_the_last_allowed_one_stays_refused() {
    use shared::better_auth::rate_limit::check_at;
    let app = TestApp::new().await;
    let request = wrong_sign_in().request();
    let limit = app.state.config.auth_rate_limit;
    let now = chrono::Utc::now().timestamp_millis();
    for n in 1..=limit.max_requests {
        check_at(&app.state, &request, "/sign-in/email", limit, now)
            .await
            .unwrap_or_else(|err| panic!("request {n} refused: {err}"));
    }
    // The next one at the very same millisecond: over the limit, whatever the clock says.
    let refused = check_at(&app.state, &request, "/sign-in/email", limit, now).await;
    assert!(
        refused.is_err(),
        "the fourth request in one millisecond was allowed"
    );
    let later = check_at(&app.state, &request, "/sign-in/email", limit, now + 1).await;
    assert!(later.is_err());
}

#[tokio::test]
async fn buckets_idle_for_a_day_are_deleted() {
    use shared::better_auth::rate_limit::{STALE_AFTER, check_at};
    let app = TestApp::new().await;
    let stale_ms = chrono::Utc::now().timestamp_millis() - STALE_AFTER.as_millis() as i64 - 1000;
    app.database
        .execute(
            r#"insert into "rateLimit" ("id", "key", "count", "lastRequest")
               select 'old-' || n, '198.51.100.' || n || '|/sign-in/email', 3, $1
               from generate_series(1, 50) n"#,
            &[&stale_ms],
        )
        .await;
    let request = wrong_sign_in().request();
    let limit = app.state.config.auth_rate_limit;
    check_at(
        &app.state,
        &request,
        "/sign-in/email",
        limit,
        chrono::Utc::now().timestamp_millis(),
    )
    .await
    .unwrap();
    let left: i64 = app
        .database
        .query(r#"select count(*) from "rateLimit""#, &[])
        .await[0]
        .get(0);
    assert_eq!(left, 1, "only the live bucket is left");
}
