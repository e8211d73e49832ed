//! The "active devices" routes (list-sessions, revoke-session, revoke-sessions,
//! revoke-other-sessions), session freshness, get-session's `disableRefresh` and sign-out's
//! `callbackURL`, against Better Auth 1.7.25's `routes/session.ts` and `routes/sign-out.ts`.

use api_tests::TestApp;
use api_tests::auth::*;
use serde_json::json;

/// Signs `email` up, then in twice more: three sessions, oldest first.
async fn three_devices(app: &TestApp, email: &str) -> [SignedIn; 3] {
    let first = sign_up(app, email).await;
    let second = sign_in(app, email).await;
    let third = sign_in(app, email).await;
    [first, second, third]
}

#[tokio::test]
async fn list_sessions_lists_the_callers_live_sessions_with_better_auths_keys() {
    let app = app().await;
    let [ada, laptop, phone] = three_devices(&app, "ada@example.com").await;
    sign_up(&app, "grace@example.com").await;
    // An expired session of Ada's is not listed.
    app.database
        .execute(
            r#"update "session" set "expiresAt" = now() - interval '1 second' where "token" = $1"#,
            &[&phone.token],
        )
        .await;
    let response = app.call(with_cookie("list-sessions", &ada.cookie)).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    let list = response.body.as_array().expect("an array");
    let tokens: Vec<&str> = list.iter().map(|s| s["token"].as_str().unwrap()).collect();
    assert_eq!(tokens, [ada.token.as_str(), laptop.token.as_str()]);
    for session in list {
        assert_eq!(keys(session), SESSION_KEYS);
        assert_eq!(session["userId"], ada.user_id.as_str());
        assert_eq!(session["ipAddress"], FIXTURE_IP);
        assert_eq!(session["userAgent"], FIXTURE_USER_AGENT);
    }
    assert!(response.set_cookies().is_empty());
}

#[tokio::test]
async fn list_sessions_needs_a_fresh_session_and_a_signed_in_caller() {
    let app = app().await;
    let ada = sign_up(&app, "ada@example.com").await;
    let anonymous_call = app.call(anonymous("list-sessions")).await;
    assert_error(&anonymous_call, 401, "UNAUTHORIZED", "Unauthorized");
    age_sessions(&app, 24).await;
    assert_error(
        &app.call(with_cookie("list-sessions", &ada.cookie)).await,
        403,
        "SESSION_NOT_FRESH",
        "Session is not fresh",
    );
    // get-session still works: freshness only gates the sensitive routes.
    assert!(is_signed_in(&app, &ada.cookie).await);
}

#[tokio::test]
async fn fresh_age_is_an_option_and_zero_turns_the_check_off() {
    let short = app_with_options(r#"{"session":{"freshAge":60}}"#).await;
    let ada = sign_up(&short, "ada@example.com").await;
    short
        .database
        .execute(
            r#"update "session" set "createdAt" = now() - interval '61 seconds'"#,
            &[],
        )
        .await;
    assert_eq!(
        short
            .call(with_cookie("list-sessions", &ada.cookie))
            .await
            .status,
        403
    );
    let off = app_with_options(r#"{"session":{"freshAge":0}}"#).await;
    let ada = sign_up(&off, "ada@example.com").await;
    age_sessions(&off, 24 * 30).await;
    assert_eq!(
        off.call(with_cookie("list-sessions", &ada.cookie))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn revoke_session_ends_one_of_the_callers_sessions_and_never_anyone_elses() {
    let app = app().await;
    let [ada, laptop, phone] = three_devices(&app, "ada@example.com").await;
    let grace = sign_up(&app, "grace@example.com").await;
    let revoke = |cookie: &str, token: &str| {
        app.call(account_request(
            "revoke-session",
            cookie,
            json!({"token": token}),
        ))
    };
    let response = revoke(&ada.cookie, &laptop.token).await;
    assert_eq!(
        (response.status, response.raw_body.as_str()),
        (200, r#"{"status":true}"#)
    );
    assert!(response.set_cookies().is_empty());
    assert!(!is_signed_in(&app, &laptop.cookie).await);
    assert!(is_signed_in(&app, &phone.cookie).await);

    // Grace's token, from Ada: the same answer, and Grace stays signed in.
    let response = revoke(&ada.cookie, &grace.token).await;
    assert_eq!(response.raw_body, r#"{"status":true}"#);
    assert!(is_signed_in(&app, &grace.cookie).await);
    // An unknown token: the same.
    assert_eq!(revoke(&ada.cookie, "no-such-token").await.status, 200);

    // Its own token signs the caller out, with the clearing cookies.
    let response = revoke(&ada.cookie, &ada.token).await;
    assert_eq!(response.set_cookies(), CLEARING_COOKIES);
    assert!(!is_signed_in(&app, &ada.cookie).await);
    assert_eq!(
        session_tokens(&app, &ada.user_id).await,
        [phone.token.as_str()]
    );
}

#[tokio::test]
async fn revoke_session_refuses_bad_input_and_strangers_and_changes_nothing() {
    let app = app().await;
    let [ada, laptop, _] = three_devices(&app, "ada@example.com").await;
    let missing = call_account(&app, "revoke-session", &ada.cookie, json!({})).await;
    assert_error(
        &missing,
        400,
        "VALIDATION_ERROR",
        "[body.token] Invalid input: expected string, received undefined",
    );
    let wrong_type =
        call_account(&app, "revoke-session", &ada.cookie, json!({"token": ["x"]})).await;
    assert_eq!(wrong_type.status, 400);
    let stranger = call_account(
        &app,
        "revoke-session",
        "better-auth.session_token=forged",
        json!({"token": laptop.token}),
    )
    .await;
    assert_error(&stranger, 401, "UNAUTHORIZED", "Unauthorized");
    let foreign = app
        .call(
            account_request(
                "revoke-session",
                &ada.cookie,
                json!({"token": laptop.token}),
            )
            .header("origin", FOREIGN_ORIGIN),
        )
        .await;
    assert_eq!(foreign.status, 403);
    assert_eq!(session_tokens(&app, &ada.user_id).await.len(), 3);
}

#[tokio::test]
async fn revoke_other_sessions_keeps_only_the_callers() {
    let app = app().await;
    let [ada, laptop, phone] = three_devices(&app, "ada@example.com").await;
    let grace = sign_up(&app, "grace@example.com").await;
    let response = call_account(&app, "revoke-other-sessions", &laptop.cookie, json!({})).await;
    assert_eq!(
        (response.status, response.raw_body.as_str()),
        (200, r#"{"status":true}"#)
    );
    assert!(response.set_cookies().is_empty());
    assert_eq!(
        session_tokens(&app, &ada.user_id).await,
        [laptop.token.as_str()]
    );
    assert!(!is_signed_in(&app, &ada.cookie).await);
    assert!(!is_signed_in(&app, &phone.cookie).await);
    assert!(is_signed_in(&app, &grace.cookie).await);
}

#[tokio::test]
async fn revoke_sessions_ends_every_session_of_the_caller_and_only_theirs() {
    let app = app().await;
    let [ada, laptop, _] = three_devices(&app, "ada@example.com").await;
    let grace = sign_up(&app, "grace@example.com").await;
    let response = app
        .call(account_request("revoke-sessions", &laptop.cookie, json!({})).no_body())
        .await;
    assert_eq!(
        (response.status, response.raw_body.as_str()),
        (200, r#"{"status":true}"#)
    );
    assert_eq!(response.set_cookies(), CLEARING_COOKIES);
    assert!(session_tokens(&app, &ada.user_id).await.is_empty());
    assert!(is_signed_in(&app, &grace.cookie).await);
    let again = call_account(&app, "revoke-sessions", &ada.cookie, json!({})).await;
    assert_error(&again, 401, "UNAUTHORIZED", "Unauthorized");
}

#[tokio::test]
async fn get_session_with_disable_refresh_reads_without_extending() {
    let app = app().await;
    let ada = sign_up(&app, "ada@example.com").await;
    app.database
        .execute(
            r#"update "session" set "expiresAt" = now() + interval '6 days' - interval '1 minute'"#,
            &[],
        )
        .await;
    let before = session_expiry(&app, &ada.token).await;
    let response = app
        .call(
            with_cookie("get-session", &ada.cookie)
                .query("disableRefresh=true&disableCookieCache=true"),
        )
        .await;
    assert_eq!(response.status, 200);
    assert!(response.set_cookies().is_empty());
    assert_eq!(session_expiry(&app, &ada.token).await, before);
    // Without it, the same read extends.
    let response = app.call(with_cookie("get-session", &ada.cookie)).await;
    assert_eq!(response.set_cookies().len(), 1);
    assert!(session_expiry(&app, &ada.token).await > before);
}

#[tokio::test]
async fn sign_out_refuses_an_untrusted_callback_url_and_keeps_the_session() {
    let app = app().await;
    let ada = sign_up(&app, "ada@example.com").await;
    let response = app
        .call(sign_out_request(&ada.cookie).body(json!({"callbackURL": "https://evil.example/"})))
        .await;
    assert_error(
        &response,
        403,
        "INVALID_CALLBACK_URL",
        "Invalid callbackURL",
    );
    assert!(is_signed_in(&app, &ada.cookie).await);
    let trusted = app
        .call(
            sign_out_request(&ada.cookie).body(json!({"callbackURL": "http://localhost:3000/bye"})),
        )
        .await;
    assert_signed_out(&trusted);
    assert!(!is_signed_in(&app, &ada.cookie).await);
}
