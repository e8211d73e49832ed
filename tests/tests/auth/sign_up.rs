//! `POST /api/auth/sign-up/email`.

use api_tests::auth::*;
use api_tests::{Fixture, TEST_SECRET, TestApp, TestResponse};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use shared::better_auth::cookies::{sign_cookie_value, verify_signed_cookie_value};

#[tokio::test]
async fn sign_up_returns_token_and_user_in_better_auths_key_order() {
    let app = app().await;
    let response = app
        .call(sign_up_request(new_user("Ada.Lovelace@Example.COM")))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let body = &response.body;
    assert_eq!(keys(body), ["token", "user"]);
    assert_id(body["token"].as_str().unwrap());
    let user = &body["user"];
    assert_eq!(keys(user), USER_KEYS);
    assert_eq!(user["name"], json!("Ada Lovelace"));
    assert_eq!(
        user["email"],
        json!("ada.lovelace@example.com"),
        "lowercased"
    );
    assert_eq!(user["emailVerified"], json!(false));
    assert_eq!(user["image"], Value::Null);
    assert_id(user["id"].as_str().unwrap());
    let created = iso_ms(&user["createdAt"]);
    assert_eq!(iso_ms(&user["updatedAt"]), created);
    assert_near(created, Utc::now(), "createdAt");
}

#[tokio::test]
async fn sign_up_stores_user_credential_account_and_session() {
    let app = app().await;
    let response = app
        .call(sign_up_request(new_user("Ada@Example.com")).source_ip("198.51.100.23"))
        .await;
    let who = SignedIn::from(response);

    let user = &app
        .database
        .query(
            r#"select "name", "email", "emailVerified", "image", "createdAt" from "user" where "id" = $1"#,
            &[&who.user_id],
        )
        .await[0];
    assert_eq!(user.get::<_, String>(0), "Ada Lovelace");
    assert_eq!(user.get::<_, String>(1), "ada@example.com");
    assert!(!user.get::<_, bool>(2));
    assert_eq!(user.get::<_, Option<String>>(3), None);
    assert_eq!(
        user.get::<_, DateTime<Utc>>(4),
        iso_ms(&who.response.body["user"]["createdAt"]),
        "the row and the JSON agree to the millisecond"
    );

    let accounts = app
        .database
        .query(
            r#"select "id", "accountId", "providerId", "password" from "account" where "userId" = $1"#,
            &[&who.user_id],
        )
        .await;
    assert_eq!(accounts.len(), 1);
    let account = &accounts[0];
    assert_id(&account.get::<_, String>(0));
    assert_eq!(
        account.get::<_, String>(1),
        who.user_id,
        "accountId = user id"
    );
    assert_eq!(account.get::<_, String>(2), "credential");
    let hash: String = account.get(3);
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(shared::better_auth::password::verify_password(
        PASSWORD, &hash
    ));
    assert!(!shared::better_auth::password::verify_password(
        "wrong password",
        &hash
    ));

    let sessions = app
        .database
        .query(
            r#"select "id", "token", "ipAddress", "userAgent", "expiresAt", "createdAt", "updatedAt"
               from "session" where "userId" = $1"#,
            &[&who.user_id],
        )
        .await;
    assert_eq!(sessions.len(), 1);
    let session = &sessions[0];
    assert_id(&session.get::<_, String>(0));
    assert_eq!(session.get::<_, String>(1), who.token, "the raw token");
    assert_eq!(
        session.get::<_, Option<String>>(2).as_deref(),
        Some("198.51.100.23"),
        "ipAddress is API Gateway's sourceIp"
    );
    assert_eq!(
        session.get::<_, Option<String>>(3).as_deref(),
        Some(FIXTURE_USER_AGENT)
    );
    let created: DateTime<Utc> = session.get(5);
    assert_eq!(session.get::<_, DateTime<Utc>>(6), created);
    assert_eq!(
        session.get::<_, DateTime<Utc>>(4),
        created + chrono::Duration::days(7)
    );
}

#[tokio::test]
async fn sign_up_sets_a_session_cookie_signed_with_the_secret() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let cookies = who.response.set_cookies();
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let value = cookie_value(&who.cookie);
    assert_eq!(
        cookies[0],
        format!("{SESSION_COOKIE}={value}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax")
    );
    assert_eq!(
        verify_signed_cookie_value(value, TEST_SECRET).as_deref(),
        Some(who.token.as_str())
    );
    assert_eq!(value, sign_cookie_value(&who.token, TEST_SECRET));
    let (token, signature) = value.split_once('.').unwrap();
    assert_eq!(token, who.token);
    assert!(
        signature.ends_with("%3D") && !signature.contains(['+', '/', '=']),
        "the signature is URL-encoded: {signature}"
    );
}

#[tokio::test]
async fn sign_up_sends_set_auth_token_as_token_dot_signature_not_url_encoded() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let header = who
        .response
        .header("set-auth-token")
        .expect("set-auth-token");
    let (token, signature) = header.split_once('.').unwrap();
    assert_eq!(token, who.token);
    assert_eq!(signature.len(), 44, "{signature}");
    assert!(
        signature.ends_with('=') && !header.contains('%'),
        "{header}"
    );
    let decoded_cookie = cookie_value(&who.cookie)
        .replace("%2B", "+")
        .replace("%2F", "/")
        .replace("%3D", "=");
    assert_eq!(header, decoded_cookie);
    assert_eq!(
        verify_signed_cookie_value(header, TEST_SECRET).as_deref(),
        Some(who.token.as_str())
    );
    assert!(
        who.response
            .header("access-control-expose-headers")
            .is_some_and(|v| v.contains("set-auth-token"))
    );
}

#[tokio::test]
async fn sign_up_with_an_existing_email_in_any_case_is_422() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let before = row_counts(&app).await;
    for email in ["ada@example.com", "ADA@Example.COM"] {
        let response = app.call(sign_up_request(new_user(email))).await;
        assert_error(
            &response,
            422,
            "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
            "User already exists. Use another email.",
        );
    }
    assert_eq!(row_counts(&app).await, before);
}

#[tokio::test]
async fn sign_up_password_must_be_8_to_128_characters() {
    let app = app().await;
    let before = row_counts(&app).await;
    let too_short = app
        .call(sign_up_request(
            json!({"email": "a@example.com", "password": "1234567", "name": "A"}),
        ))
        .await;
    assert_error(&too_short, 400, "PASSWORD_TOO_SHORT", "Password too short");
    let too_long = app
        .call(sign_up_request(
            json!({"email": "a@example.com", "password": "p".repeat(129), "name": "A"}),
        ))
        .await;
    assert_error(&too_long, 400, "PASSWORD_TOO_LONG", "Password too long");
    assert_eq!(row_counts(&app).await, before);

    for (email, password) in [
        ("eight@example.com", "12345678".to_owned()),
        ("max@example.com", "p".repeat(128)),
    ] {
        let response = app
            .call(sign_up_request(
                json!({"email": email, "password": password, "name": "A"}),
            ))
            .await;
        assert_eq!(response.status, 200, "{email}: {}", response.raw_body);
    }
}

#[tokio::test]
async fn sign_up_checks_password_length_before_looking_for_a_duplicate() {
    let app = app().await;
    sign_up(&app, "extra@example.com").await;
    let response = app
        .call(sign_up_request(
            json!({"email": "EXTRA@example.com", "password": "short", "name": "A"}),
        ))
        .await;
    assert_error(&response, 400, "PASSWORD_TOO_SHORT", "Password too short");
}

/// MEASURED.md's sign-up validation table, row by row.
#[tokio::test]
async fn sign_up_validation_messages_match_better_auth() {
    let app = app().await;
    let before = row_counts(&app).await;
    let undefined =
        |field: &str| format!("[body.{field}] Invalid input: expected string, received undefined");
    let cases: Vec<(&str, String, String)> = vec![
        (
            "no email",
            json!({"password": PASSWORD, "name": "A"}).to_string(),
            undefined("email"),
        ),
        (
            "no password",
            json!({"email": "a@example.com", "name": "A"}).to_string(),
            undefined("password"),
        ),
        (
            "no name",
            json!({"email": "a@example.com", "password": PASSWORD}).to_string(),
            undefined("name"),
        ),
        (
            "name 5",
            json!({"email": "a@example.com", "password": PASSWORD, "name": 5}).to_string(),
            "[body.name] Invalid input: expected string, received number".into(),
        ),
        (
            "name null",
            json!({"email": "a@example.com", "password": PASSWORD, "name": null}).to_string(),
            "[body.name] Invalid input: expected string, received null".into(),
        ),
        (
            "email 5",
            json!({"email": 5, "password": PASSWORD, "name": "A"}).to_string(),
            "[body.email] Invalid input: expected string, received number".into(),
        ),
        (
            "password number",
            json!({"email": "a@example.com", "password": 12345678, "name": "A"}).to_string(),
            "[body.password] Invalid input: expected string, received number".into(),
        ),
        (
            "empty password",
            json!({"email": "a@example.com", "password": "", "name": "A"}).to_string(),
            "[body.password] Too small: expected string to have >=1 characters".into(),
        ),
        (
            "image 5",
            json!({"email": "a@example.com", "password": PASSWORD, "name": "A", "image": 5})
                .to_string(),
            "[body.image] Invalid input: expected string, received number".into(),
        ),
        (
            "rememberMe string",
            json!({"email": "a@example.com", "password": PASSWORD, "name": "A", "rememberMe": "no"})
                .to_string(),
            "[body.rememberMe] Invalid input: expected boolean, received string".into(),
        ),
        (
            "bad email and no name",
            json!({"email": "bad", "password": PASSWORD}).to_string(),
            "[body.name] Invalid input: expected string, received undefined; [body.email] Invalid email address".into(),
        ),
        (
            "email with spaces",
            json!({"email": "  Spaces.UP@Example.com ", "password": PASSWORD, "name": "A"})
                .to_string(),
            "[body.email] Invalid email address".into(),
        ),
        (
            "{}",
            "{}".into(),
            format!(
                "{}; {}; {}",
                undefined("name"),
                undefined("email"),
                undefined("password")
            ),
        ),
        (
            "empty body",
            String::new(),
            "[body] Invalid input: expected object, received undefined; [body] Invalid input: expected record, received undefined".into(),
        ),
        (
            "[]",
            "[]".into(),
            "[body] Invalid input: expected object, received array; [body] Invalid input: expected record, received array".into(),
        ),
        (
            "null",
            "null".into(),
            "[body] Invalid input: expected object, received null; [body] Invalid input: expected record, received null".into(),
        ),
        (
            "a string",
            "\"x\"".into(),
            "[body] Invalid input: expected object, received string; [body] Invalid input: expected record, received string".into(),
        ),
    ];
    for (case, body, message) in cases {
        let response = app
            .call(
                Fixture::load("sign-up-email")
                    .without_cookies()
                    .raw_body(&body),
            )
            .await;
        assert_eq!(response.status, 400, "{case}: {}", response.raw_body);
        assert_error(&response, 400, "VALIDATION_ERROR", &message);
    }
    // No content-type: the body is ignored, as if absent.
    let response = app
        .call(sign_up_request(new_user("a@example.com")).without_header("content-type"))
        .await;
    assert_error(
        &response,
        400,
        "VALIDATION_ERROR",
        "[body] Invalid input: expected object, received undefined; [body] Invalid input: expected record, received undefined",
    );
    assert_eq!(row_counts(&app).await, before);
}

#[tokio::test]
async fn sign_up_ignores_unknown_fields_and_accepts_an_empty_name() {
    let app = app().await;
    let response = app
        .call(sign_up_request(json!({
            "email": "x@example.com", "password": PASSWORD, "name": "",
            "foo": 1, "emailVerified": true, "id": "abc", "role": "admin"
        })))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    let user = &response.body["user"];
    assert_eq!(user["name"], json!(""));
    assert_eq!(user["emailVerified"], json!(false));
    assert_id(user["id"].as_str().unwrap());
}

#[tokio::test]
async fn sign_up_with_invalid_json_is_400_bad_request() {
    let app = app().await;
    let before = row_counts(&app).await;
    let response = app
        .call(
            Fixture::load("sign-up-email")
                .without_cookies()
                .raw_body("nope"),
        )
        .await;
    assert_error(
        &response,
        400,
        "BAD_REQUEST",
        "Invalid JSON in request body",
    );
    assert_eq!(row_counts(&app).await, before);
}

#[tokio::test]
async fn sign_up_with_a_text_plain_body_is_415() {
    let app = app().await;
    let before = row_counts(&app).await;
    let response = app
        .call(sign_up_request(new_user("a@example.com")).header("content-type", "text/plain"))
        .await;
    assert_error(
        &response,
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "Content-Type \"text/plain\" is not allowed. Allowed types: application/x-www-form-urlencoded, application/json",
    );
    assert_eq!(row_counts(&app).await, before);
}

#[tokio::test]
async fn sign_up_accepts_a_form_urlencoded_body_and_json_with_a_charset() {
    let app = app().await;
    let form = "name=Form+User&email=Form%40Example.com&password=correct+horse+battery+staple";
    let response = app
        .call(
            Fixture::load("sign-up-email")
                .without_cookies()
                .header("content-type", "application/x-www-form-urlencoded")
                .raw_body(form),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(response.body["user"]["email"], json!("form@example.com"));
    assert_eq!(response.body["user"]["name"], json!("Form User"));
    sign_in(&app, "form@example.com").await;

    let response = app
        .call(
            sign_up_request(new_user("charset@example.com"))
                .header("content-type", "application/json; charset=utf-8"),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
}

#[tokio::test]
async fn sign_up_body_over_64_kib_is_413_and_stores_nothing() {
    let app = app().await;
    let before = row_counts(&app).await;
    let body =
        json!({"email": "big@example.com", "password": PASSWORD, "name": "n".repeat(64 * 1024)});
    let response = app.call(sign_up_request(body)).await;
    assert_eq!(response.status, 413, "{}", response.raw_body);
    assert_eq!(response.body["code"], json!("PAYLOAD_TOO_LARGE"));
    assert!(response.set_cookies().is_empty());
    assert_eq!(row_counts(&app).await, before);
}

#[tokio::test]
async fn racing_sign_ups_with_one_email_on_one_instance_create_one_user() {
    let app = app().await;
    let (first, second) = tokio::join!(
        app.call(sign_up_request(new_user("race@example.com"))),
        app.call(sign_up_request(new_user("RACE@example.com"))),
    );
    assert_one_winner(&app, [first, second]).await;
}

#[tokio::test]
async fn racing_sign_ups_with_one_email_on_two_instances_create_one_user() {
    let app = app().await;
    let other = second_state(&app, &[("AUTH_RATE_LIMIT_MAX", "100000")]).await;
    let (first, second) = tokio::join!(
        app.call(sign_up_request(new_user("race@example.com"))),
        call_with(&other, sign_up_request(new_user("race@example.com"))),
    );
    assert_one_winner(&app, [first, second]).await;
}

async fn assert_one_winner(app: &TestApp, responses: [TestResponse; 2]) {
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [200, 422],
        "{:?}",
        responses.iter().map(|r| &r.raw_body).collect::<Vec<_>>()
    );
    let loser = responses.iter().find(|r| r.status == 422).unwrap();
    assert_error(
        loser,
        422,
        "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
        "User already exists. Use another email.",
    );
    assert_eq!(row_counts(app).await[..3], [1, 1, 1]);
}
