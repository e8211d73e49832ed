//! Forgot password: `POST /request-password-reset`, the mailed link
//! (`GET /reset-password/{token}`) and `POST /reset-password`, against the behaviour measured on
//! Better Auth 1.7.25 (`e2e/MEASURED.md`).

use api_tests::auth::*;
use api_tests::{TEST_BASE_URL, TestApp};
use serde_json::json;

const GENERIC: &str = r#"{"status":true,"message":"If this email exists in our system, check your email for the reset link"}"#;
const RESET_PAGE: &str = "http://localhost:3000/reset";
const NEW_PASSWORD: &str = "a brand new password 1";

async fn sign_in_status(app: &TestApp, email: &str, password: &str) -> u16 {
    app.call(sign_in_request(
        json!({"email": email, "password": password}),
    ))
    .await
    .status
}

#[tokio::test]
async fn a_known_email_gets_a_reset_link_and_an_unknown_one_the_same_answer_and_no_mail() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let response = app
        .call(password_reset_request(
            json!({"email": "ADA@example.com", "redirectTo": RESET_PAGE}),
        ))
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.raw_body, GENERIC);
    assert!(response.set_cookies().is_empty());
    let mail = app.last_mail_to("ada@example.com");
    let url = mail["url"].as_str().unwrap();
    let token = reset_token_of(url);
    assert_eq!(
        url,
        format!(
            "{TEST_BASE_URL}/api/auth/reset-password/{token}?callbackURL=http%3A%2F%2Flocalhost%3A3000%2Freset"
        )
    );
    assert_eq!(token.len(), 24);
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()), "{token}");
    assert!(mail["text"].as_str().unwrap().contains(url));
    assert!(
        mail["html"]
            .as_str()
            .unwrap()
            .contains(&url.replace('&', "&amp;"))
    );
    let rows = verification_rows(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, format!("reset-password:{token}"));
    assert_eq!(rows[0].1, who.user_id);
    assert!(
        (3590..=3600).contains(&rows[0].2),
        "expires in {} s",
        rows[0].2
    );

    let unknown = app
        .call(password_reset_request(
            json!({"email": "nobody@example.com"}),
        ))
        .await;
    assert_eq!((unknown.status, unknown.raw_body.as_str()), (200, GENERIC));
    assert_eq!(app.mails().len(), 1, "no mail for an unknown email");
    assert_eq!(verification_rows(&app).await.len(), 1, "no row either");
}

#[tokio::test]
async fn an_unknown_email_takes_as_long_as_a_known_one() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    for email in ["ada@example.com", "nobody@example.com"] {
        let started = std::time::Instant::now();
        let response = app
            .call(password_reset_request(json!({"email": email})))
            .await;
        assert_eq!(response.status, 200);
        assert!(
            started.elapsed() >= shared::better_auth::emails::ANONYMOUS_ANSWER_FLOOR,
            "{email}: answered in {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn an_untrusted_redirect_to_is_refused_and_nothing_is_sent() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    for target in ["http://evil.example/reset", "//evil.example/x"] {
        let response = app
            .call(password_reset_request(
                json!({"email": "ada@example.com", "redirectTo": target}),
            ))
            .await;
        assert_error(
            &response,
            403,
            "INVALID_REDIRECT_URL",
            "Invalid redirectURL",
        );
    }
    assert!(app.mails().is_empty());
    assert!(verification_rows(&app).await.is_empty());
}

#[tokio::test]
async fn a_relative_redirect_to_is_kept_in_the_link() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let link = mailed_reset_link(&app, "ada@example.com", "/reset").await;
    assert!(link.ends_with("?callbackURL=%2Freset"), "{link}");
}

#[tokio::test]
async fn without_mail_configured_reset_is_disabled_as_in_better_auth() {
    let app =
        TestApp::with_env(&[("AUTH_RATE_LIMIT_MAX", "100000"), ("EMAIL_OUTBOX_DIR", "")]).await;
    sign_up(&app, "ada@example.com").await;
    let response = app
        .call(password_reset_request(json!({"email": "ada@example.com"})))
        .await;
    assert_error(
        &response,
        400,
        "RESET_PASSWORD_DISABLED",
        "Reset password isn't enabled",
    );
    assert!(verification_rows(&app).await.is_empty());
}

#[tokio::test]
async fn request_password_reset_validates_its_body_like_better_auth() {
    let app = app().await;
    for (body, message) in [
        (
            json!({}),
            "[body.email] Invalid input: expected string, received undefined",
        ),
        (
            json!({"email": "not-an-email"}),
            "[body.email] Invalid email address",
        ),
        (
            json!({"email": 5}),
            "[body.email] Invalid input: expected string, received number",
        ),
    ] {
        let response = app.call(password_reset_request(body)).await;
        assert_error(&response, 400, "VALIDATION_ERROR", message);
    }
    let with_cookie = app
        .call(
            password_reset_request(json!({"email": "ada@example.com"}))
                .cookie("foo=bar")
                .header("origin", FOREIGN_ORIGIN),
        )
        .await;
    assert_error(&with_cookie, 403, "INVALID_ORIGIN", "Invalid origin");
}

#[tokio::test]
async fn the_mail_route_is_limited_to_three_requests_a_minute_per_ip() {
    let app = app().await;
    let from_one_ip =
        || password_reset_request(json!({"email": "nobody@example.com"})).source_ip("192.0.2.50");
    for _ in 0..3 {
        assert_eq!(app.call(from_one_ip()).await.status, 200);
    }
    let limited = app.call(from_one_ip()).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.raw_body, RATE_LIMITED);
}

#[tokio::test]
async fn the_link_redirects_to_the_callback_with_the_token_and_spends_nothing() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let link = mailed_reset_link(&app, "ada@example.com", &format!("{RESET_PAGE}?from=mail")).await;
    let token = reset_token_of(&link);
    for _ in 0..2 {
        let response = app.call(open_link("reset-password-callback", &link)).await;
        assert_eq!(response.status, 302, "{}", response.raw_body);
        assert_eq!(
            response.header("location"),
            Some(format!("{RESET_PAGE}?from=mail&token={token}").as_str())
        );
        assert_eq!(response.raw_body, "");
        assert_eq!(response.header("content-type"), Some("application/json"));
    }
    assert_eq!(
        verification_rows(&app).await.len(),
        1,
        "opening the link spends nothing"
    );
}

#[tokio::test]
async fn the_link_resolves_a_relative_callback_against_the_api_and_reports_bad_tokens() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let link = mailed_reset_link(&app, "ada@example.com", "/reset").await;
    let token = reset_token_of(&link);
    let location = |query: &str, token: &str| {
        let app = &app;
        let fixture = open_link("reset-password-callback", &link)
            .path_param("token", token)
            .query(query);
        async move {
            let response = app.call(fixture).await;
            (
                response.status,
                response.header("location").map(str::to_owned),
                response,
            )
        }
    };
    let (status, to, _) = location("callbackURL=%2Freset", &token).await;
    assert_eq!(
        (status, to.as_deref()),
        (
            302,
            Some(format!("{TEST_BASE_URL}/reset?token={token}").as_str())
        )
    );
    let (status, to, _) = location(
        "callbackURL=http%3A%2F%2Flocalhost%3A3000%2Freset",
        "NoSuchToken0000000000000",
    )
    .await;
    assert_eq!(
        (status, to.as_deref()),
        (302, Some("http://localhost:3000/reset?error=INVALID_TOKEN"))
    );
    // The mail's link when no redirectTo was given: an empty callbackURL is Better Auth's error page.
    let (status, to, _) = location("callbackURL=", &token).await;
    assert_eq!(
        (status, to.as_deref()),
        (
            302,
            Some(format!("{TEST_BASE_URL}/api/auth/error?error=INVALID_TOKEN").as_str())
        )
    );
    let (_, _, untrusted) = location("callbackURL=http%3A%2F%2Fevil.example%2Freset", &token).await;
    assert_error(
        &untrusted,
        403,
        "INVALID_CALLBACK_URL",
        "Invalid callbackURL",
    );
    let (_, _, no_slash) = location("callbackURL=reset", &token).await;
    assert_error(
        &no_slash,
        403,
        "INVALID_CALLBACK_URL",
        "Invalid callbackURL",
    );
    let (_, _, missing) = location("", &token).await;
    assert_error(
        &missing,
        400,
        "VALIDATION_ERROR",
        "[query.callbackURL] Invalid input: expected string, received undefined",
    );
}

#[tokio::test]
async fn a_reset_sets_the_new_password_once_and_the_old_one_stops_working() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let token = reset_token_of(&mailed_reset_link(&app, "ada@example.com", RESET_PAGE).await);
    let response = reset_with(&app, &token, NEW_PASSWORD).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(response.raw_body, r#"{"status":true}"#);
    assert!(response.set_cookies().is_empty());
    assert_eq!(
        sign_in_status(&app, "ada@example.com", NEW_PASSWORD).await,
        200
    );
    assert_eq!(sign_in_status(&app, "ada@example.com", PASSWORD).await, 401);
    assert!(
        verification_rows(&app).await.is_empty(),
        "the token is spent"
    );

    let again = reset_with(&app, &token, "yet another password").await;
    assert_error(&again, 400, "INVALID_TOKEN", "Invalid token");
    assert_eq!(
        sign_in_status(&app, "ada@example.com", NEW_PASSWORD).await,
        200
    );
}

#[tokio::test]
async fn a_reset_takes_the_token_from_the_query_when_the_body_has_none() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let token = reset_token_of(&mailed_reset_link(&app, "ada@example.com", RESET_PAGE).await);
    let response = app
        .call(
            reset_password_request(json!({"newPassword": NEW_PASSWORD}))
                .query(&format!("token={token}")),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    let none = app
        .call(reset_password_request(json!({"newPassword": NEW_PASSWORD})))
        .await;
    assert_error(&none, 400, "INVALID_TOKEN", "Invalid token");
}

#[tokio::test]
async fn a_bad_new_password_is_refused_and_leaves_the_token_usable() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let token = reset_token_of(&mailed_reset_link(&app, "ada@example.com", RESET_PAGE).await);
    for (password, code, message) in [
        ("short", "PASSWORD_TOO_SHORT", "Password too short"),
        ("", "PASSWORD_TOO_SHORT", "Password too short"),
        (
            &"x".repeat(129) as &str,
            "PASSWORD_TOO_LONG",
            "Password too long",
        ),
    ] {
        let response = reset_with(&app, &token, password).await;
        assert_error(&response, 400, code, message);
    }
    let missing = app
        .call(reset_password_request(json!({"token": token})))
        .await;
    assert_error(
        &missing,
        400,
        "VALIDATION_ERROR",
        "[body.newPassword] Invalid input: expected string, received undefined",
    );
    assert_eq!(verification_rows(&app).await.len(), 1, "still usable");
    assert_eq!(sign_in_status(&app, "ada@example.com", PASSWORD).await, 200);
}

#[tokio::test]
async fn an_expired_or_unknown_token_is_invalid_and_changes_nothing() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let token = reset_token_of(&mailed_reset_link(&app, "ada@example.com", RESET_PAGE).await);
    app.database
        .execute(
            r#"update "verification" set "expiresAt" = now() - interval '1 minute'"#,
            &[],
        )
        .await;
    for token in [token.as_str(), "NoSuchToken0000000000000"] {
        let response = reset_with(&app, token, NEW_PASSWORD).await;
        assert_error(&response, 400, "INVALID_TOKEN", "Invalid token");
    }
    assert_eq!(sign_in_status(&app, "ada@example.com", PASSWORD).await, 200);
}

#[tokio::test]
async fn sessions_survive_a_reset_unless_revoke_sessions_on_password_reset_is_set() {
    for (revoke, sessions_after) in [(false, 2), (true, 0)] {
        let options =
            format!(r#"{{"emailAndPassword":{{"revokeSessionsOnPasswordReset":{revoke}}}}}"#);
        let app = app_with_options(&options).await;
        sign_up(&app, "ada@example.com").await;
        sign_in(&app, "ada@example.com").await;
        assert_eq!(session_count(&app).await, 2);
        let token = reset_token_of(&mailed_reset_link(&app, "ada@example.com", RESET_PAGE).await);
        let response = reset_with(&app, &token, NEW_PASSWORD).await;
        assert_eq!(response.status, 200, "{}", response.raw_body);
        assert_eq!(
            session_count(&app).await,
            sessions_after,
            "revoke = {revoke}"
        );
    }
}

#[tokio::test]
async fn a_reset_creates_the_credential_account_when_the_user_has_none() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    app.database
        .execute(
            r#"delete from "account" where "userId" = $1"#,
            &[&who.user_id],
        )
        .await;
    assert_eq!(sign_in_status(&app, "ada@example.com", PASSWORD).await, 401);
    let token = reset_token_of(&mailed_reset_link(&app, "ada@example.com", RESET_PAGE).await);
    let response = reset_with(&app, &token, NEW_PASSWORD).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    let accounts = app
        .database
        .query(
            r#"select "accountId", "providerId" from "account" where "userId" = $1"#,
            &[&who.user_id],
        )
        .await;
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].get::<_, String>(0), who.user_id);
    assert_eq!(accounts[0].get::<_, String>(1), "credential");
    assert_eq!(
        sign_in_status(&app, "ada@example.com", NEW_PASSWORD).await,
        200
    );
}

#[tokio::test]
async fn a_token_whose_user_is_gone_is_user_not_found() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let token = reset_token_of(&mailed_reset_link(&app, "ada@example.com", RESET_PAGE).await);
    app.database
        .execute(r#"delete from "user" where "id" = $1"#, &[&who.user_id])
        .await;
    let response = reset_with(&app, &token, NEW_PASSWORD).await;
    assert_error(&response, 400, "USER_NOT_FOUND", "User not found");
}

#[tokio::test]
async fn racing_resets_with_one_token_on_two_instances_give_exactly_one_success() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let other = app.second_state(&[]).await;
    for round in 0..3 {
        let token = reset_token_of(&mailed_reset_link(&app, "ada@example.com", RESET_PAGE).await);
        let passwords = [
            format!("first password {round}"),
            format!("second password {round}"),
        ];
        let (first, second) = tokio::join!(
            app.call(reset_password_request(
                json!({"newPassword": passwords[0], "token": token})
            )),
            api_tests::call(
                &other,
                reset_password_request(json!({"newPassword": passwords[1], "token": token}))
            ),
        );
        let mut statuses = [first.status, second.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [200, 400],
            "round {round}: {} / {}",
            first.raw_body,
            second.raw_body
        );
        let winner = if first.status == 200 {
            &passwords[0]
        } else {
            &passwords[1]
        };
        let loser = if first.status == 200 {
            &passwords[1]
        } else {
            &passwords[0]
        };
        assert_eq!(sign_in_status(&app, "ada@example.com", winner).await, 200);
        assert_eq!(sign_in_status(&app, "ada@example.com", loser).await, 401);
    }
}
