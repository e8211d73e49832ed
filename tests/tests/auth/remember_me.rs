//! `rememberMe: false`: a session that ends with the browser, and is not extended.

use api_tests::auth::*;
use api_tests::{Fixture, TEST_SECRET};
use chrono::Utc;
use serde_json::json;
use shared::better_auth::cookies::sign_cookie_value;

#[tokio::test]
async fn remember_me_false_gives_a_one_day_session_cookie_without_max_age_and_a_dont_remember_cookie()
 {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let sign_up_short = app
        .call(sign_up_request(json!({
            "email": "short@example.com", "password": PASSWORD, "name": "S", "rememberMe": false
        })))
        .await;
    let sign_in_short = app
        .call(sign_in_request(json!({
            "email": "ada@example.com", "password": PASSWORD, "rememberMe": false
        })))
        .await;
    let dont_remember = format!(
        "{DONT_REMEMBER_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax",
        sign_cookie_value("true", TEST_SECRET)
    );
    for response in [sign_up_short, sign_in_short] {
        let who = SignedIn::from(response);
        assert_eq!(
            who.response.set_cookies(),
            [
                format!("{}; Path=/; HttpOnly; SameSite=Lax", who.cookie),
                dont_remember.clone()
            ]
        );
        let expiry = session_expiry(&app, &who.token).await.unwrap();
        assert_near(
            expiry,
            Utc::now() + chrono::Duration::days(1),
            "a rememberMe:false session lasts a day",
        );
    }
}

#[tokio::test]
async fn get_session_with_the_dont_remember_cookie_does_not_extend_the_session() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let who = SignedIn::from(
        app.call(sign_in_request(json!({
            "email": "ada@example.com", "password": PASSWORD, "rememberMe": false
        })))
        .await,
    );
    let marker = cookie_pair(&who.response, DONT_REMEMBER_COOKIE);
    let expiry = session_expiry(&app, &who.token).await.unwrap();

    let response = app
        .call(with_cookie(
            "get-session",
            &format!("{}; {marker}", who.cookie),
        ))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(response.body["session"]["token"], json!(who.token));
    assert!(
        response.set_cookies().is_empty(),
        "{:?}",
        response.set_cookies()
    );
    assert_eq!(iso_ms(&response.body["session"]["expiresAt"]), expiry);
    assert_eq!(session_expiry(&app, &who.token).await, Some(expiry));
}

#[tokio::test]
async fn get_session_without_the_dont_remember_cookie_extends_a_short_session_to_7_days() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let who = SignedIn::from(
        app.call(sign_in_request(json!({
            "email": "ada@example.com", "password": PASSWORD, "rememberMe": false
        })))
        .await,
    );
    let response = app.call(with_cookie("get-session", &who.cookie)).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    let expiry = session_expiry(&app, &who.token).await.unwrap();
    assert_near(expiry, Utc::now() + chrono::Duration::days(7), "extended");
    assert_eq!(
        response.set_cookies(),
        [format!(
            "{}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax",
            who.cookie
        )]
    );
}

#[tokio::test]
async fn remembered_sign_in_clears_a_validly_signed_dont_remember_cookie() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let marker = format!(
        "{DONT_REMEMBER_COOKIE}={}",
        sign_cookie_value("true", TEST_SECRET)
    );
    let response = app
        .call(
            Fixture::load("sign-in-email")
                .cookie(&marker)
                .header("origin", TRUSTED_ORIGIN)
                .body(credentials("ada@example.com")),
        )
        .await;
    let who = SignedIn::from(response);
    assert_eq!(
        who.response.set_cookies(),
        [
            format!(
                "{}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax",
                who.cookie
            ),
            CLEARING_COOKIES[2].to_owned()
        ]
    );

    let unsigned = app
        .call(
            Fixture::load("sign-in-email")
                .cookie(&format!("{DONT_REMEMBER_COOKIE}=x"))
                .header("origin", TRUSTED_ORIGIN)
                .body(credentials("ada@example.com")),
        )
        .await;
    assert_eq!(unsigned.status, 200, "{}", unsigned.raw_body);
    assert_eq!(
        unsigned.set_cookies().len(),
        1,
        "{:?}",
        unsigned.set_cookies()
    );
}
