//! `POST /api/auth/sign-in/email`.

use api_tests::auth::*;
use api_tests::{Fixture, TEST_SECRET};
use serde_json::json;
use shared::better_auth::cookies::verify_signed_cookie_value;

#[tokio::test]
async fn sign_in_returns_redirect_false_token_and_user_and_starts_a_new_session() {
    let app = app().await;
    let signed_up = sign_up(&app, "ada@example.com").await;
    let response = app
        .call(sign_in_request(credentials("ada@example.com")))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(keys(&response.body), ["redirect", "token", "user"]);
    assert_eq!(response.body["redirect"], json!(false));
    assert_eq!(response.body["user"], signed_up.response.body["user"]);
    assert!(response.header("location").is_none());
    let who = SignedIn::from(response);
    assert_id(&who.token);
    assert_ne!(who.token, signed_up.token);
    assert_eq!(session_count(&app).await, 2);
    assert!(session_expiry(&app, &who.token).await.is_some());
    assert_eq!(
        who.response.set_cookies(),
        [format!(
            "{}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax",
            who.cookie
        )]
    );
    assert_eq!(
        verify_signed_cookie_value(cookie_value(&who.cookie), TEST_SECRET).as_deref(),
        Some(who.token.as_str())
    );
    let header = who.response.header("set-auth-token").unwrap();
    assert_eq!(
        verify_signed_cookie_value(header, TEST_SECRET).as_deref(),
        Some(who.token.as_str())
    );
}

#[tokio::test]
async fn sign_in_with_a_wrong_password_or_an_unknown_email_is_the_same_401() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let before = row_counts(&app).await;
    let wrong_password = app
        .call(sign_in_request(
            json!({"email": "ada@example.com", "password": "not the password"}),
        ))
        .await;
    let unknown_email = app
        .call(sign_in_request(credentials("nobody@example.com")))
        .await;
    for response in [&wrong_password, &unknown_email] {
        assert_error(
            response,
            401,
            "INVALID_EMAIL_OR_PASSWORD",
            "Invalid email or password",
        );
        assert!(response.header("set-auth-token").is_none());
    }
    assert_eq!(wrong_password.raw_body, unknown_email.raw_body);
    assert_eq!(row_counts(&app).await, before);
}

#[tokio::test]
async fn sign_in_matches_the_email_case_insensitively() {
    let app = app().await;
    sign_up(&app, "extra@example.com").await;
    let who = sign_in(&app, "EXTRA@Example.COM").await;
    assert_eq!(
        who.response.body["user"]["email"],
        json!("extra@example.com")
    );
}

/// MEASURED.md's sign-in validation table.
#[tokio::test]
async fn sign_in_validation_messages_match_better_auth() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let before = row_counts(&app).await;
    let cases: Vec<(String, u16, &str, &str)> = vec![
        (
            json!({"email": "ada@example.com"}).to_string(),
            400,
            "VALIDATION_ERROR",
            "[body.password] Invalid input: expected string, received undefined",
        ),
        (
            json!({"password": PASSWORD}).to_string(),
            400,
            "VALIDATION_ERROR",
            "[body.email] Invalid input: expected string, received undefined",
        ),
        (
            String::new(),
            400,
            "VALIDATION_ERROR",
            "[body] Invalid input: expected object, received undefined",
        ),
        (
            json!({"email": "not-an-email", "password": PASSWORD}).to_string(),
            400,
            "INVALID_EMAIL",
            "Invalid email",
        ),
        (
            json!({"email": "ada@example.com", "password": ""}).to_string(),
            401,
            "INVALID_EMAIL_OR_PASSWORD",
            "Invalid email or password",
        ),
        (
            json!({"email": "ada@example.com", "password": "short"}).to_string(),
            401,
            "INVALID_EMAIL_OR_PASSWORD",
            "Invalid email or password",
        ),
        (
            json!({"email": "ada@example.com", "password": PASSWORD, "rememberMe": null})
                .to_string(),
            400,
            "VALIDATION_ERROR",
            "[body.rememberMe] Invalid input: expected boolean, received null",
        ),
        (
            "nope".into(),
            400,
            "BAD_REQUEST",
            "Invalid JSON in request body",
        ),
    ];
    for (body, status, code, message) in cases {
        let response = app
            .call(
                Fixture::load("sign-in-email")
                    .without_cookies()
                    .raw_body(&body),
            )
            .await;
        assert_eq!(response.status, status, "{body}: {}", response.raw_body);
        assert_error(&response, status, code, message);
    }
    assert_eq!(row_counts(&app).await, before);

    let extra_field = app
        .call(sign_in_request(
            json!({"email": "ada@example.com", "password": PASSWORD, "foo": 1}),
        ))
        .await;
    assert_eq!(extra_field.status, 200, "{}", extra_field.raw_body);
}

#[tokio::test]
async fn sign_in_accepts_a_form_urlencoded_body() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let response = app
        .call(
            Fixture::load("sign-in-email")
                .without_cookies()
                .header("content-type", "application/x-www-form-urlencoded")
                .raw_body("email=ada%40example.com&password=correct+horse+battery+staple"),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
}

#[tokio::test]
async fn sign_in_for_a_user_without_a_credential_account_is_401() {
    let app = app().await;
    let user_id = app.create_user("Social").await;
    let email = format!("{}@example.com", user_id.to_lowercase());
    let response = app.call(sign_in_request(credentials(&email))).await;
    assert_error(
        &response,
        401,
        "INVALID_EMAIL_OR_PASSWORD",
        "Invalid email or password",
    );
}

#[tokio::test]
async fn sign_up_ignores_a_relative_callback_url() {
    let app = app().await;
    let response = app
        .call(sign_up_request(json!({
            "email": "ada@example.com", "password": PASSWORD, "name": "A", "callbackURL": "/x"
        })))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(keys(&response.body), ["token", "user"]);
    assert!(response.header("location").is_none());
}

#[tokio::test]
async fn sign_in_with_a_relative_callback_url_redirects_but_stays_200() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let response = app
        .call(sign_in_request(
            json!({"email": "ada@example.com", "password": PASSWORD, "callbackURL": "/x"}),
        ))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(keys(&response.body), ["redirect", "token", "url", "user"]);
    assert_eq!(response.body["redirect"], json!(true));
    assert_eq!(response.body["url"], json!("/x"));
    assert_eq!(response.header("location"), Some("/x"));
}

#[tokio::test]
async fn sign_in_with_a_foreign_callback_url_is_403_and_starts_no_session() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let before = row_counts(&app).await;
    let response = app
        .call(sign_in_request(json!({
            "email": "ada@example.com", "password": PASSWORD,
            "callbackURL": "http://evil.example/x"
        })))
        .await;
    assert_error(
        &response,
        403,
        "INVALID_CALLBACK_URL",
        "Invalid callbackURL",
    );
    assert_eq!(row_counts(&app).await, before);
}

#[tokio::test]
async fn user_with_a_better_auth_scrypt_hash_signs_in() {
    let app = app().await;
    let (password, hash) = scrypt_vector();
    let user_id = shared::better_auth::ids::random_id();
    app.database
        .execute(
            r#"insert into "user" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt")
               values ($1, 'Migrated', 'migrated@example.com', false, now(), now())"#,
            &[&user_id],
        )
        .await;
    app.database
        .execute(
            r#"insert into "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt")
               values ($1, $2, 'credential', $2, $3, now(), now())"#,
            &[&shared::better_auth::ids::random_id(), &user_id, &hash],
        )
        .await;
    let response = app
        .call(sign_in_request(
            json!({"email": "migrated@example.com", "password": password}),
        ))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(response.body["user"]["id"], json!(user_id));
    let wrong = app
        .call(sign_in_request(
            json!({"email": "migrated@example.com", "password": "wrong password"}),
        ))
        .await;
    assert_error(
        &wrong,
        401,
        "INVALID_EMAIL_OR_PASSWORD",
        "Invalid email or password",
    );
}
