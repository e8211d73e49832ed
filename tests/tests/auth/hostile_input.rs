//! Hostile input: never a 5xx.

use api_tests::Fixture;
use api_tests::auth::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

#[tokio::test]
async fn nul_bytes_in_auth_fields_are_client_errors() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let before = row_counts(&app).await;
    let sign_ups = [
        json!({"email": "nul@example.com", "password": PASSWORD, "name": "Ada\u{0}Lovelace"}),
        json!({"email": "nul\u{0}@example.com", "password": PASSWORD, "name": "A"}),
        json!({"email": "nul@example.com", "password": PASSWORD, "name": "A", "image": "x\u{0}"}),
    ];
    for body in sign_ups {
        let response = app.call(sign_up_request(body.clone())).await;
        assert!(
            (400..500).contains(&response.status),
            "{body}: {} {}",
            response.status,
            response.raw_body
        );
    }
    assert_eq!(row_counts(&app).await, before);
    let sign_ins = [
        json!({"email": "ada\u{0}@example.com", "password": PASSWORD}),
        json!({"email": "ada@example.com", "password": "pass\u{0}word"}),
    ];
    for body in sign_ins {
        let response = app.call(sign_in_request(body.clone())).await;
        assert!(
            (400..500).contains(&response.status),
            "{body}: {} {}",
            response.status,
            response.raw_body
        );
    }
    let callback = app
        .call(sign_in_request(
            json!({"email": "ada@example.com", "password": PASSWORD, "callbackURL": "/x\u{0}y"}),
        ))
        .await;
    assert!(callback.status < 500, "{}", callback.raw_body);
}

#[tokio::test]
async fn a_large_name_within_the_body_limit_is_stored_and_a_megabyte_is_413() {
    let app = app().await;
    let within =
        json!({"email": "big@example.com", "password": PASSWORD, "name": "n".repeat(60_000)});
    let response = app.call(sign_up_request(within)).await;
    assert_eq!(
        response.status,
        200,
        "{}",
        &response.raw_body[..200.min(response.raw_body.len())]
    );
    let stored: String = app
        .database
        .query(
            r#"select "name" from "user" where "email" = 'big@example.com'"#,
            &[],
        )
        .await[0]
        .get(0);
    assert_eq!(stored.len(), 60_000);

    let before = row_counts(&app).await;
    let over =
        json!({"email": "huge@example.com", "password": PASSWORD, "name": "n".repeat(1 << 20)});
    let response = app.call(sign_up_request(over.clone())).await;
    assert_eq!(response.status, 413, "{}", response.raw_body);
    let response = app.call(sign_in_request(over)).await;
    assert_eq!(response.status, 413, "{}", response.raw_body);
    assert_eq!(row_counts(&app).await, before);
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_a_client_error() {
    let app = app().await;
    let before = row_counts(&app).await;
    let bytes: &[u8] =
        b"{\"email\":\"x@example.com\",\"password\":\"12345678\",\"name\":\"\xff\xfe\"}";
    for function in ["sign-up-email", "sign-in-email", "sign-out"] {
        for content_type in ["application/json", "application/x-www-form-urlencoded"] {
            let fixture = Fixture::load(function)
                .without_cookies()
                .header("content-type", content_type)
                .base64_body(&STANDARD.encode(bytes), bytes.len());
            let response = app.call(fixture).await;
            assert!(
                response.status < 500,
                "{function} {content_type}: {} {}",
                response.status,
                response.raw_body
            );
            if function != "sign-out" {
                assert!(
                    (400..500).contains(&response.status),
                    "{function} {content_type}"
                );
            }
        }
    }
    assert_eq!(row_counts(&app).await, before);
}
