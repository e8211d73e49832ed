//! Origin and CSRF checks on sign-in and sign-up (no cookies).

use api_tests::Fixture;
use api_tests::auth::*;
use serde_json::json;

/// Both login routes, with a body that succeeds (sign-up) or reaches the password check
/// (sign-in of an unknown user) when the request is let through.
fn login_requests() -> [Fixture; 2] {
    [
        sign_up_request(new_user("csrf@example.com")),
        sign_in_request(credentials("nobody@example.com")),
    ]
}

#[tokio::test]
async fn cross_site_navigation_login_is_blocked() {
    let app = app().await;
    for fixture in login_requests() {
        let function = fixture.function().to_owned();
        let response = app
            .call(
                no_origin(fixture)
                    .header("sec-fetch-site", "cross-site")
                    .header("sec-fetch-mode", "navigate")
                    .header("sec-fetch-dest", "document"),
            )
            .await;
        assert_eq!(response.status, 403, "{function}: {}", response.raw_body);
        assert_eq!(
            response.body["code"],
            json!("CROSS_SITE_NAVIGATION_LOGIN_BLOCKED"),
            "{function}"
        );
        assert!(
            response.body["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert!(response.set_cookies().is_empty());
    }
    assert_eq!(row_counts(&app).await, [0; 4]);
}

#[tokio::test]
async fn login_with_fetch_metadata_but_no_origin_is_403_missing_or_null_origin() {
    let app = app().await;
    for fixture in login_requests() {
        let response = app
            .call(no_origin(fixture).header("sec-fetch-mode", "cors"))
            .await;
        assert_error(
            &response,
            403,
            "MISSING_OR_NULL_ORIGIN",
            "Missing or null Origin",
        );
    }
    assert_eq!(row_counts(&app).await, [0; 4]);
}

#[tokio::test]
async fn login_from_a_foreign_origin_is_403_invalid_origin() {
    let app = app().await;
    for with_fetch_metadata in [false, true] {
        for fixture in login_requests() {
            let mut fixture = no_origin(fixture).header("origin", FOREIGN_ORIGIN);
            if with_fetch_metadata {
                fixture = fixture
                    .header("sec-fetch-mode", "cors")
                    .header("sec-fetch-site", "cross-site");
            }
            let response = app.call(fixture).await;
            assert_error(&response, 403, "INVALID_ORIGIN", "Invalid origin");
        }
    }
    // A foreign Referer alone is checked too.
    for fixture in login_requests() {
        let response = app
            .call(no_origin(fixture).header("referer", "http://evil.example/page"))
            .await;
        assert_error(&response, 403, "INVALID_ORIGIN", "Invalid origin");
    }
    assert_eq!(row_counts(&app).await, [0; 4]);
}

#[tokio::test]
async fn login_with_origin_null_is_403_missing_or_null_origin() {
    let app = app().await;
    for fixture in login_requests() {
        let response = app.call(no_origin(fixture).header("origin", "null")).await;
        assert_error(
            &response,
            403,
            "MISSING_OR_NULL_ORIGIN",
            "Missing or null Origin",
        );
    }
}

#[tokio::test]
async fn login_without_fetch_metadata_or_origin_is_allowed_like_curl() {
    let app = app().await;
    let [sign_up_fixture, sign_in_fixture] = login_requests();
    let response = app.call(no_origin(sign_up_fixture)).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    let response = app.call(no_origin(sign_in_fixture)).await;
    assert_eq!(response.status, 401, "{}", response.raw_body);
}

#[tokio::test]
async fn login_with_fetch_metadata_and_a_trusted_origin_is_allowed() {
    let app = app().await;
    let [sign_up_fixture, _] = login_requests();
    let response = app
        .call(
            sign_up_fixture
                .header("sec-fetch-mode", "cors")
                .header("sec-fetch-site", "same-site")
                .header("origin", TRUSTED_ORIGIN),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
}
