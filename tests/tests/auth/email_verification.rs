//! Email verification: `POST /send-verification-email`, the mailed link (`GET /verify-email`),
//! sign-up and sign-in under `requireEmailVerification`, and the `/error` page, against the
//! behaviour measured on Better Auth 1.7.25 (`e2e/MEASURED.md`).

use std::time::Duration;

use api_tests::auth::*;
use api_tests::{Fixture, TEST_BASE_URL, TEST_SECRET, TestApp};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const REQUIRE: &str = r#"{"emailAndPassword":{"requireEmailVerification":true},"emailVerification":{"sendOnSignIn":true}}"#;

fn hs256(claims: &Value, secret: &str) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.typ = None;
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn verify_link(token: &str, callback_url: Option<&str>) -> Fixture {
    let mut query = format!("token={token}");
    if let Some(url) = callback_url {
        query.push_str(&format!(
            "&callbackURL={}",
            shared::http::encode_uri_component(url)
        ));
    }
    Fixture::load("verify-email")
        .without_cookies()
        .query(&query)
}

#[tokio::test]
async fn an_anonymous_request_mails_an_unverified_user_a_link_with_better_auths_token() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let started = std::time::Instant::now();
    let response = app
        .call(verification_request(
            json!({"email": "Ada@Example.com", "callbackURL": "http://localhost:3000/verified"}),
        ))
        .await;
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        (response.status, response.raw_body.as_str()),
        (200, r#"{"status":true}"#)
    );
    let link = mailed_link(&app, "ada@example.com");
    let prefix = format!("{TEST_BASE_URL}/api/auth/verify-email?token=");
    assert!(link.starts_with(&prefix), "{link}");
    assert!(
        link.ends_with("&callbackURL=http%3A%2F%2Flocalhost%3A3000%2Fverified"),
        "{link}"
    );
    let (header, claims) = jwt_parts(&query_token_of(&link));
    assert_eq!(header, json!({"alg": "HS256"}));
    assert_eq!(keys(&claims), ["email", "userId", "iat", "exp"]);
    assert_eq!(claims["email"], "ada@example.com");
    assert_eq!(claims["userId"], json!(who.user_id));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
}

#[tokio::test]
async fn an_unknown_or_verified_email_gets_the_same_answer_no_sooner_and_no_mail() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    app.database
        .execute(r#"update "user" set "emailVerified" = true"#, &[])
        .await;
    for email in ["nobody@example.com", "ada@example.com"] {
        let started = std::time::Instant::now();
        let response = app
            .call(verification_request(json!({"email": email})))
            .await;
        assert!(started.elapsed() >= Duration::from_millis(500), "{email}");
        assert_eq!(
            (response.status, response.raw_body.as_str()),
            (200, r#"{"status":true}"#)
        );
    }
    assert!(app.mails().is_empty());
}

#[tokio::test]
async fn signed_in_it_must_be_your_own_unverified_email() {
    let app = app().await;
    let ada = sign_up(&app, "ada@example.com").await;
    sign_up(&app, "bob@example.com").await;
    let as_ada = |email: &str| {
        verification_request(json!({"email": email}))
            .cookie(&ada.cookie)
            .header("origin", TRUSTED_ORIGIN)
    };
    let mismatch = app.call(as_ada("bob@example.com")).await;
    assert_error(&mismatch, 400, "EMAIL_MISMATCH", "Email mismatch");
    let started = std::time::Instant::now();
    let own = app.call(as_ada("ADA@example.com")).await;
    assert_eq!(own.status, 200, "{}", own.raw_body);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "no floor when signed in"
    );
    assert_eq!(app.mails().len(), 1);
    app.database
        .execute(
            r#"update "user" set "emailVerified" = true where "email" = 'ada@example.com'"#,
            &[],
        )
        .await;
    let verified = app.call(as_ada("ada@example.com")).await;
    assert_error(
        &verified,
        400,
        "EMAIL_ALREADY_VERIFIED",
        "Email is already verified",
    );
    let no_origin = app
        .call(
            verification_request(json!({"email": "ada@example.com"}))
                .cookie(&ada.cookie)
                .without_header("origin")
                .without_header("referer"),
        )
        .await;
    assert_error(
        &no_origin,
        403,
        "MISSING_OR_NULL_ORIGIN",
        "Missing or null Origin",
    );
}

#[tokio::test]
async fn send_verification_email_refuses_bad_input_and_an_untrusted_callback() {
    let app = app().await;
    for (body, message) in [
        (
            json!({}),
            "[body.email] Invalid input: expected string, received undefined",
        ),
        (
            json!({"email": "bad"}),
            "[body.email] Invalid email address",
        ),
    ] {
        let response = app.call(verification_request(body)).await;
        assert_error(&response, 400, "VALIDATION_ERROR", message);
    }
    let untrusted = app
        .call(verification_request(
            json!({"email": "a@b.co", "callbackURL": "http://evil.example/v"}),
        ))
        .await;
    assert_error(
        &untrusted,
        403,
        "INVALID_CALLBACK_URL",
        "Invalid callbackURL",
    );
    let disabled = TestApp::with_env(&[("EMAIL_OUTBOX_DIR", "")]).await;
    let response = disabled
        .call(verification_request(json!({"email": "a@b.co"})))
        .await;
    assert_error(
        &response,
        400,
        "VERIFICATION_EMAIL_NOT_ENABLED",
        "Verification email isn't enabled",
    );
}

#[tokio::test]
async fn the_link_verifies_the_email_and_can_be_opened_again() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    app.call(verification_request(json!({"email": "ada@example.com"})))
        .await;
    let link = mailed_link(&app, "ada@example.com");
    // The link as mailed carries callbackURL=%2F: a redirect to "/", relative as given.
    let response = app.call(open_link("verify-email", &link)).await;
    assert_eq!(response.status, 302, "{}", response.raw_body);
    assert_eq!(response.header("location"), Some("/"));
    assert!(response.set_cookies().is_empty());
    assert!(email_verified(&app, "ada@example.com").await);
    // authClient.verifyEmail({query: {token}}): JSON, and again once verified.
    let token = query_token_of(&link);
    for _ in 0..2 {
        let response = app.call(verify_link(&token, None)).await;
        assert_eq!(
            (response.status, response.raw_body.as_str()),
            (200, r#"{"status":true,"user":null}"#)
        );
    }
    let session = app
        .call(sign_in_request(credentials("ada@example.com")))
        .await;
    assert_eq!(session.body["user"]["emailVerified"], json!(true));
}

#[tokio::test]
async fn a_bad_token_is_401_or_a_redirect_with_its_code() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let now = chrono::Utc::now().timestamp();
    let expired = hs256(
        &json!({"email": "ada@example.com", "iat": now - 7200, "exp": now - 60}),
        TEST_SECRET,
    );
    let forged = hs256(
        &json!({"email": "ada@example.com", "iat": now, "exp": now + 60}),
        &"x".repeat(64),
    );
    let someone_else = hs256(
        &json!({"email": "ada@example.com", "userId": "another", "iat": now, "exp": now + 60}),
        TEST_SECRET,
    );
    let unknown = hs256(
        &json!({"email": "nobody@example.com", "iat": now, "exp": now + 60}),
        TEST_SECRET,
    );
    let not_an_email = hs256(
        &json!({"email": "nope", "iat": now, "exp": now + 60}),
        TEST_SECRET,
    );
    for (token, code, message) in [
        (expired.as_str(), "TOKEN_EXPIRED", "Token expired"),
        (forged.as_str(), "INVALID_TOKEN", "Invalid token"),
        (someone_else.as_str(), "INVALID_TOKEN", "Invalid token"),
        (unknown.as_str(), "USER_NOT_FOUND", "User not found"),
        // Better Auth answers this one with a 500; here it is a bad token like any other.
        (not_an_email.as_str(), "INVALID_TOKEN", "Invalid token"),
        ("abc", "INVALID_TOKEN", "Invalid token"),
        ("", "INVALID_TOKEN", "Invalid token"),
    ] {
        let response = app.call(verify_link(token, None)).await;
        assert_error(&response, 401, code, message);
        let redirected = app
            .call(verify_link(
                token,
                Some("http://localhost:3000/verified?x=1"),
            ))
            .await;
        assert_eq!(redirected.status, 302);
        assert_eq!(
            redirected.header("location"),
            Some(format!("http://localhost:3000/verified?x=1&error={code}").as_str())
        );
    }
    assert!(
        !email_verified(&app, "ada@example.com").await,
        "nothing changed"
    );
    let good = hs256(
        &json!({"email": "ada@example.com", "userId": who.user_id, "iat": now, "exp": now + 60}),
        TEST_SECRET,
    );
    let untrusted = app
        .call(verify_link(&good, Some("http://evil.example/v")))
        .await;
    assert_error(
        &untrusted,
        403,
        "INVALID_CALLBACK_URL",
        "Invalid callbackURL",
    );
    let missing = app
        .call(Fixture::load("verify-email").without_cookies().query(""))
        .await;
    assert_error(
        &missing,
        400,
        "VALIDATION_ERROR",
        "[query.token] Invalid input: expected string, received undefined",
    );
    assert!(
        !email_verified(&app, "ada@example.com").await,
        "nothing changed"
    );
}

#[tokio::test]
async fn with_require_email_verification_sign_up_starts_no_session_and_sign_in_waits_for_the_link()
{
    let app = app_with_options(REQUIRE).await;
    let response = app.call(sign_up_request(new_user("ada@example.com"))).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(response.body["token"], Value::Null);
    assert_eq!(response.body["user"]["email"], "ada@example.com");
    assert_eq!(keys(&response.body["user"]), USER_KEYS);
    assert!(response.set_cookies().is_empty());
    assert!(response.header("set-auth-token").is_none());
    assert_eq!(session_count(&app).await, 0);
    let sign_up_mail = mailed_link(&app, "ada@example.com");
    assert!(sign_up_mail.ends_with("&callbackURL=%2F"), "{sign_up_mail}");

    // The same email again: the same kind of answer, a synthetic user, and no mail.
    let again = app
        .call(sign_up_request(
            json!({"email": "ADA@example.com", "password": "another password", "name": "Someone"}),
        ))
        .await;
    assert_eq!(again.status, 200, "{}", again.raw_body);
    assert_eq!(again.body["token"], Value::Null);
    assert_eq!(again.body["user"]["name"], "Someone");
    assert_eq!(again.body["user"]["email"], "ada@example.com");
    assert_ne!(again.body["user"]["id"], response.body["user"]["id"]);
    assert_eq!(app.mails().len(), 1);
    assert_eq!(row_counts(&app).await[0], 1, "one user");

    let refused = app
        .call(sign_in_request(
            json!({"email": "ada@example.com", "password": PASSWORD, "callbackURL": "/dash"}),
        ))
        .await;
    assert_error(&refused, 403, "EMAIL_NOT_VERIFIED", "Email not verified");
    assert_eq!(app.mails().len(), 2, "sendOnSignIn mails a new link");
    assert!(mailed_link(&app, "ada@example.com").ends_with("&callbackURL=%2Fdash"));
    let wrong = app
        .call(sign_in_request(
            json!({"email": "ada@example.com", "password": "wrong password!"}),
        ))
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(app.mails().len(), 2, "no mail for a wrong password");

    let opened = app.call(open_link("verify-email", &sign_up_mail)).await;
    assert_eq!(opened.status, 302);
    let signed_in = sign_in(&app, "ada@example.com").await;
    assert_eq!(
        signed_in.response.body["user"]["emailVerified"],
        json!(true)
    );
}

#[tokio::test]
async fn send_on_sign_up_false_sends_nothing_at_sign_up() {
    let options = r#"{"emailAndPassword":{"requireEmailVerification":true},"emailVerification":{"sendOnSignUp":false}}"#;
    let app = app_with_options(options).await;
    let response = app.call(sign_up_request(new_user("ada@example.com"))).await;
    assert_eq!(response.body["token"], Value::Null);
    let refused = app
        .call(sign_in_request(credentials("ada@example.com")))
        .await;
    assert_error(&refused, 403, "EMAIL_NOT_VERIFIED", "Email not verified");
    assert!(app.mails().is_empty(), "neither sign-up nor sign-in mailed");
}

#[tokio::test]
async fn auto_sign_in_after_verification_starts_a_session_with_its_cookie() {
    let options = r#"{"emailAndPassword":{"requireEmailVerification":true},"emailVerification":{"autoSignInAfterVerification":true}}"#;
    let app = app_with_options(options).await;
    app.call(sign_up_request(new_user("ada@example.com"))).await;
    let link = mailed_link(&app, "ada@example.com");
    let response = app
        .call(verify_link(
            &query_token_of(&link),
            Some("http://localhost:3000/welcome"),
        ))
        .await;
    assert_eq!(response.status, 302);
    assert_eq!(
        response.header("location"),
        Some("http://localhost:3000/welcome")
    );
    let cookie = cookie_pair(&response, SESSION_COOKIE);
    assert!(
        response
            .set_cookie(SESSION_COOKIE)
            .unwrap()
            .contains("Max-Age=604800")
    );
    assert_eq!(session_count(&app).await, 1);
    let session = app.call(with_cookie("get-session", &cookie)).await;
    assert_eq!(session.body["user"]["email"], "ada@example.com");
    assert_eq!(session.body["user"]["emailVerified"], json!(true));
    // Already verified: no second session.
    let again = app.call(verify_link(&query_token_of(&link), None)).await;
    assert!(again.set_cookies().is_empty());
    assert_eq!(session_count(&app).await, 1);
}

#[tokio::test]
async fn the_error_page_shows_a_safe_code_or_redirects_to_on_api_error_error_url() {
    let app = app().await;
    let page = app
        .call(Fixture::load("error-page").query("error=INVALID_TOKEN"))
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        page.raw_body.contains("<code>INVALID_TOKEN</code>"),
        "{}",
        page.raw_body
    );
    let unsafe_code = app
        .call(Fixture::load("error-page").query("error=%3Cscript%3E&error_description=%3Cb%3Ehi"))
        .await;
    assert!(unsafe_code.raw_body.contains("<code>UNKNOWN</code>"));
    assert!(
        unsafe_code.raw_body.contains("&lt;b&gt;hi") && !unsafe_code.raw_body.contains("<b>hi")
    );

    let options = r#"{"onAPIError":{"errorURL":"http://localhost:3000/auth-error"}}"#;
    let redirecting = TestApp::with_env(&[("BETTER_AUTH_OPTIONS", options)]).await;
    let response = redirecting
        .call(Fixture::load("error-page").query("error=INVALID_TOKEN&error_description=a%20b"))
        .await;
    assert_eq!(response.status, 302);
    assert_eq!(
        response.header("location"),
        Some("http://localhost:3000/auth-error?error=INVALID_TOKEN&error_description=a+b")
    );
    assert_eq!(response.header("content-type"), None);
}

#[tokio::test]
async fn unknown_options_stop_the_cold_start_with_a_message_naming_them() {
    let env = std::collections::HashMap::from([
        ("BETTER_AUTH_SECRET".to_owned(), TEST_SECRET.to_owned()),
        (
            "DATABASE_URL".to_owned(),
            "postgres://localhost/unused".to_owned(),
        ),
        (
            "BETTER_AUTH_OPTIONS".to_owned(),
            r#"{"emailAndPassword":{"requireEmailVerfication":true}}"#.to_owned(),
        ),
    ]);
    let err = shared::config::Config::from_sources(&env, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("BETTER_AUTH_OPTIONS is invalid: emailAndPassword.requireEmailVerfication: unknown field"),
        "{err}"
    );
}
