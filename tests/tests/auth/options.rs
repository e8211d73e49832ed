//! Better Auth's session, password and cookie options (`BETTER_AUTH_OPTIONS`), as a team's
//! auth.ts sets them: `session.expiresIn`/`updateAge`, `emailAndPassword.minPasswordLength`/
//! `maxPasswordLength`/`autoSignIn`/`disableSignUp`, `advanced.cookiePrefix`.

use api_tests::auth::*;
use serde_json::json;

#[tokio::test]
async fn a_24_hour_session_lasts_a_day_in_the_row_and_the_cookie_and_slides_after_update_age() {
    let app = app_with_options(r#"{"session":{"expiresIn":86400,"updateAge":3600}}"#).await;
    let who = sign_up(&app, "ada@example.com").await;
    let cookie = who.response.set_cookie(SESSION_COOKIE).unwrap();
    assert!(cookie.contains("; Max-Age=86400;"), "{cookie}");
    let expires = session_expiry(&app, &who.token).await.unwrap();
    assert_near(
        expires,
        chrono::Utc::now() + chrono::Duration::days(1),
        "expiresAt",
    );
    // Not yet an hour old: read without extending.
    let read = app.call(with_cookie("get-session", &who.cookie)).await;
    assert!(read.set_cookies().is_empty());
    // An hour and a minute in, it slides back to a full day.
    app.database
        .execute(
            r#"update "session" set "expiresAt" = now() + interval '23 hours' - interval '1 minute'"#,
            &[],
        )
        .await;
    let read = app.call(with_cookie("get-session", &who.cookie)).await;
    let renewed = read.set_cookie(SESSION_COOKIE).expect("the session slid");
    assert!(renewed.contains("; Max-Age=86400;"), "{renewed}");
    let expires = session_expiry(&app, &who.token).await.unwrap();
    assert_near(
        expires,
        chrono::Utc::now() + chrono::Duration::days(1),
        "extended expiresAt",
    );
}

#[tokio::test]
async fn password_lengths_follow_the_options_on_sign_up_and_sign_in() {
    let app =
        app_with_options(r#"{"emailAndPassword":{"minPasswordLength":12,"maxPasswordLength":20}}"#)
            .await;
    let short = app
        .call(sign_up_request(
            json!({"email": "ada@example.com", "password": "elevenchars", "name": "Ada"}),
        ))
        .await;
    assert_error(&short, 400, "PASSWORD_TOO_SHORT", "Password too short");
    let long = app
        .call(sign_up_request(
            json!({"email": "ada@example.com", "password": "x".repeat(21), "name": "Ada"}),
        ))
        .await;
    assert_error(&long, 400, "PASSWORD_TOO_LONG", "Password too long");
    let ok = app
        .call(sign_up_request(
            json!({"email": "ada@example.com", "password": "twelve chars", "name": "Ada"}),
        ))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.raw_body);
    let too_long_sign_in = app
        .call(sign_in_request(
            json!({"email": "ada@example.com", "password": "x".repeat(21)}),
        ))
        .await;
    assert_error(
        &too_long_sign_in,
        400,
        "PASSWORD_TOO_LONG",
        "Password too long",
    );
}

#[tokio::test]
async fn without_auto_sign_in_sign_up_starts_no_session_and_hides_taken_emails() {
    let app = app_with_options(r#"{"emailAndPassword":{"autoSignIn":false}}"#).await;
    let response = app.call(sign_up_request(new_user("ada@example.com"))).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(response.body["token"], json!(null));
    assert_eq!(keys(&response.body["user"]), USER_KEYS);
    assert!(response.set_cookies().is_empty());
    assert_eq!(session_count(&app).await, 0);
    let again = app.call(sign_up_request(new_user("ada@example.com"))).await;
    assert_eq!(again.status, 200, "{}", again.raw_body);
    assert_eq!(again.body["token"], json!(null));
    assert_ne!(again.body["user"]["id"], response.body["user"]["id"]);
    // The user signs in as usual.
    assert_eq!(
        app.call(sign_in_request(credentials("ada@example.com")))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn disable_sign_up_refuses_new_users_and_lets_existing_ones_sign_in() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let closed = second_state(
        &app,
        &[
            ("AUTH_RATE_LIMIT_MAX", "100000"),
            (
                "BETTER_AUTH_OPTIONS",
                r#"{"emailAndPassword":{"disableSignUp":true}}"#,
            ),
        ],
    )
    .await;
    let refused = call_with(&closed, sign_up_request(new_user("grace@example.com"))).await;
    assert_error(
        &refused,
        400,
        "EMAIL_PASSWORD_SIGN_UP_DISABLED",
        "Email and password sign up is not enabled",
    );
    assert_eq!(row_counts(&app).await[0], 1, "no user was created");
    let signed_in = call_with(&closed, sign_in_request(credentials("ada@example.com"))).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.raw_body);
}

#[tokio::test]
async fn a_cookie_prefix_renames_every_cookie_and_only_those_names_are_read() {
    let app = app_with_options(r#"{"advanced":{"cookiePrefix":"tasks"}}"#).await;
    let who = SignedIn::from_cookie(
        app.call(sign_up_request(new_user("ada@example.com"))).await,
        "tasks.session_token",
    );
    assert!(is_signed_in(&app, &who.cookie).await);
    let renamed = who.cookie.replacen("tasks.", "better-auth.", 1);
    assert!(!is_signed_in(&app, &renamed).await);
    let signed_out = app.call(sign_out_request(&who.cookie)).await;
    assert_eq!(
        signed_out.set_cookies(),
        [
            "tasks.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
            "tasks.session_data=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
            "tasks.dont_remember=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
        ]
    );
}
