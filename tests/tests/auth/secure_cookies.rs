//! Secure cookies behind HTTPS.

use api_tests::auth::*;
use api_tests::{TEST_SECRET, TestApp};
use serde_json::json;
use shared::better_auth::cookies::sign_cookie_value;

#[tokio::test]
async fn https_base_url_gives_secure_prefixed_cookies() {
    let app = TestApp::with_env(&[
        ("BETTER_AUTH_URL", "https://api.example.com"),
        ("AUTH_RATE_LIMIT_MAX", "100000"),
    ])
    .await;
    let response = app.call(sign_up_request(new_user("ada@example.com"))).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    let token = response.body["token"].as_str().unwrap();
    let name = "__Secure-better-auth.session_token";
    let value = sign_cookie_value(token, TEST_SECRET);
    assert_eq!(
        response.set_cookies(),
        [format!(
            "{name}={value}; Max-Age=604800; Path=/; HttpOnly; Secure; SameSite=Lax"
        )]
    );

    let session = app
        .call(with_cookie("get-session", &format!("{name}={value}")))
        .await;
    assert_eq!(session.body["session"]["token"], json!(token));
    let unprefixed = app
        .call(with_cookie(
            "get-session",
            &format!("{SESSION_COOKIE}={value}"),
        ))
        .await;
    assert_eq!(unprefixed.raw_body, "null");

    let signed_out = app.call(sign_out_request(&format!("{name}={value}"))).await;
    assert_eq!(signed_out.status, 200, "{}", signed_out.raw_body);
    assert_eq!(
        signed_out.set_cookies(),
        [
            "__Secure-better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
            "__Secure-better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
            "__Secure-better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
        ]
    );
}

#[tokio::test]
async fn same_site_none_gives_secure_cookies() {
    let app = TestApp::with_env(&[("SAME_SITE", "None"), ("AUTH_RATE_LIMIT_MAX", "100000")]).await;
    let response = app.call(sign_up_request(new_user("ada@example.com"))).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    let cookies = response.set_cookies();
    assert_eq!(cookies.len(), 1);
    assert!(
        cookies[0].ends_with("; Max-Age=604800; Path=/; HttpOnly; Secure; SameSite=None"),
        "{}",
        cookies[0]
    );
    // Whatever the name, the cookie as sent works.
    let pair = cookies[0].split(';').next().unwrap();
    let session = app.call(with_cookie("get-session", pair)).await;
    assert_eq!(session.body["session"]["token"], response.body["token"]);
}

#[tokio::test]
async fn use_secure_cookies_decides_over_the_base_urls_scheme() {
    let app = TestApp::with_env(&[
        (
            "BETTER_AUTH_OPTIONS",
            r#"{"advanced":{"useSecureCookies":true}}"#,
        ),
        ("AUTH_RATE_LIMIT_MAX", "100000"),
    ])
    .await;
    let response = app.call(sign_up_request(new_user("ada@example.com"))).await;
    let cookies = response.set_cookies();
    assert!(
        cookies[0].starts_with("__Secure-better-auth.session_token=")
            && cookies[0].ends_with("; Max-Age=604800; Path=/; HttpOnly; Secure; SameSite=Lax"),
        "{}",
        cookies[0]
    );
    let pair = cookies[0].split(';').next().unwrap();
    let session = app.call(with_cookie("get-session", pair)).await;
    assert_eq!(session.body["session"]["token"], response.body["token"]);

    // false over https: plain names, no Secure.
    let app = TestApp::with_env(&[
        ("BETTER_AUTH_URL", "https://api.example.com"),
        (
            "BETTER_AUTH_OPTIONS",
            r#"{"advanced":{"useSecureCookies":false}}"#,
        ),
        ("AUTH_RATE_LIMIT_MAX", "100000"),
    ])
    .await;
    let response = app.call(sign_up_request(new_user("ada@example.com"))).await;
    let cookies = response.set_cookies();
    assert!(
        cookies[0].starts_with("better-auth.session_token=")
            && cookies[0].ends_with("; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"),
        "{}",
        cookies[0]
    );
}

#[tokio::test]
async fn cross_sub_domain_cookies_carry_the_domain_on_every_cookie() {
    let app = TestApp::with_env(&[
        ("BETTER_AUTH_URL", "https://api.example.com"),
        (
            "BETTER_AUTH_OPTIONS",
            r#"{"advanced":{"crossSubDomainCookies":{"enabled":true,"domain":"example.com"}}}"#,
        ),
        ("AUTH_RATE_LIMIT_MAX", "100000"),
    ])
    .await;
    let response = app.call(sign_up_request(new_user("ada@example.com"))).await;
    let cookies = response.set_cookies();
    assert!(
        cookies[0].ends_with(
            "; Max-Age=604800; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Lax"
        ),
        "{}",
        cookies[0]
    );
    let pair = cookies[0].split(';').next().unwrap().to_owned();
    // A browser only clears a Domain cookie with the same Domain.
    let signed_out = app.call(sign_out_request(&pair)).await;
    assert_eq!(signed_out.status, 200, "{}", signed_out.raw_body);
    for cookie in signed_out.set_cookies() {
        assert!(
            cookie.ends_with(
                "=; Max-Age=0; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Lax"
            ),
            "{cookie}"
        );
    }

    // Without a domain, the base URL's host.
    let app = TestApp::with_env(&[
        ("BETTER_AUTH_URL", "https://api.example.com"),
        (
            "BETTER_AUTH_OPTIONS",
            r#"{"advanced":{"crossSubDomainCookies":{"enabled":true}}}"#,
        ),
        ("AUTH_RATE_LIMIT_MAX", "100000"),
    ])
    .await;
    let response = app.call(sign_up_request(new_user("ada@example.com"))).await;
    assert!(
        response.set_cookies()[0].contains("; Domain=api.example.com; Path=/;"),
        "{:?}",
        response.set_cookies()
    );
}
