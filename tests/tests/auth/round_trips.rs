//! Round trips to PostgreSQL, per route.

use api_tests::Fixture;
use api_tests::auth::*;

#[tokio::test]
async fn sign_up_costs_two_round_trips() {
    let app = app().await;
    app.take_round_trips();
    sign_up(&app, "ada@example.com").await;
    assert_eq!(app.take_round_trips(), 2, "rate limit + insert");
}

#[tokio::test]
async fn sign_in_costs_three_round_trips() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    app.take_round_trips();
    sign_in(&app, "ada@example.com").await;
    assert_eq!(
        app.take_round_trips(),
        3,
        "rate limit + credentials + insert session"
    );
}

#[tokio::test]
async fn get_session_costs_one_round_trip_plus_one_for_the_first_signing_by_an_instance() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    // The key exists (another instance created it), but this instance has not signed yet.
    let other = second_state(&app, &[]).await;
    call_with(&other, Fixture::load("jwks")).await;
    app.take_round_trips();
    let first = app.call(with_cookie("get-session", &who.cookie)).await;
    assert_eq!(first.status, 200);
    assert_eq!(app.take_round_trips(), 2, "session + signing key");
    let second = app.call(with_cookie("get-session", &who.cookie)).await;
    assert_eq!(second.status, 200);
    assert_eq!(app.take_round_trips(), 1, "session");
}

#[tokio::test]
async fn get_session_costs_one_more_round_trip_when_it_extends_the_session() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    app.call(with_cookie("get-session", &who.cookie)).await;
    app.database
        .execute(
            r#"update "session" set "expiresAt" = now() + interval '6 days' - interval '1 minute'"#,
            &[],
        )
        .await;
    app.take_round_trips();
    let response = app.call(with_cookie("get-session", &who.cookie)).await;
    assert_eq!(response.set_cookies().len(), 1);
    assert_eq!(app.take_round_trips(), 2, "session + extend");
}

#[tokio::test]
async fn get_session_without_a_valid_cookie_costs_no_round_trip() {
    let app = app().await;
    app.take_round_trips();
    app.call(anonymous("get-session")).await;
    app.call(Fixture::load("get-session")).await;
    assert_eq!(app.take_round_trips(), 0);
}

#[tokio::test]
async fn first_jwt_on_a_database_without_a_key_costs_three_more_round_trips() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    app.take_round_trips();
    let response = app.call(with_cookie("get-session", &who.cookie)).await;
    assert_eq!(response.status, 200);
    assert_eq!(
        app.take_round_trips(),
        4,
        "session + look for a key + create it + read it back"
    );
}

#[tokio::test]
async fn token_costs_one_round_trip_plus_one_for_the_first_signing_by_an_instance() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let other = second_state(&app, &[]).await;
    call_with(&other, Fixture::load("jwks")).await;
    app.take_round_trips();
    jwt_for(&app, &who).await;
    assert_eq!(app.take_round_trips(), 2, "session + signing key");
    jwt_for(&app, &who).await;
    assert_eq!(app.take_round_trips(), 1, "session");
}

#[tokio::test]
async fn jwks_costs_one_round_trip_once_a_key_exists() {
    let app = app().await;
    app.take_round_trips();
    app.call(Fixture::load("jwks")).await;
    assert_eq!(
        app.take_round_trips(),
        5,
        "list (empty) + look for a key + create it + read it back + list"
    );
    app.call(Fixture::load("jwks")).await;
    assert_eq!(app.take_round_trips(), 1);
}

#[tokio::test]
async fn sign_out_costs_one_round_trip() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    app.take_round_trips();
    assert_signed_out(&app.call(sign_out_request(&who.cookie)).await);
    assert_eq!(app.take_round_trips(), 1);
    assert_signed_out(&app.call(Fixture::load("sign-out").without_cookies()).await);
    assert_eq!(
        app.take_round_trips(),
        0,
        "nothing to delete without a credential"
    );
}

#[tokio::test]
async fn request_password_reset_costs_two_round_trips_for_a_known_and_an_unknown_email() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    for email in ["ada@example.com", "nobody@example.com"] {
        app.take_round_trips();
        let response = app
            .call(password_reset_request(serde_json::json!({"email": email})))
            .await;
        assert_eq!(response.status, 200);
        assert_eq!(
            app.take_round_trips(),
            2,
            "{email}: rate limit + lookup and token row"
        );
    }
}

#[tokio::test]
async fn the_reset_link_costs_one_round_trip_and_the_reset_two() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let link = mailed_reset_link(&app, "ada@example.com", "/reset").await;
    app.take_round_trips();
    app.call(open_link("reset-password-callback", &link)).await;
    assert_eq!(app.take_round_trips(), 1, "the token's row");
    let response = app
        .call(reset_password_request(serde_json::json!({
            "newPassword": "a brand new password 1",
            "token": reset_token_of(&link)
        })))
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(
        app.take_round_trips(),
        2,
        "check the token + spend it and set the password"
    );
}

#[tokio::test]
async fn send_verification_email_costs_two_round_trips_and_verify_email_two() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    app.take_round_trips();
    app.call(verification_request(
        serde_json::json!({"email": "ada@example.com"}),
    ))
    .await;
    assert_eq!(app.take_round_trips(), 2, "rate limit + user");
    let link = mailed_link(&app, "ada@example.com");
    app.take_round_trips();
    let response = app.call(open_link("verify-email", &link)).await;
    assert_eq!(response.status, 302);
    assert_eq!(app.take_round_trips(), 2, "user + mark verified");
}

#[tokio::test]
async fn send_verification_email_signed_in_costs_two_round_trips() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    app.take_round_trips();
    let response = app
        .call(
            verification_request(serde_json::json!({"email": "ada@example.com"}))
                .cookie(&who.cookie)
                .header("origin", TRUSTED_ORIGIN),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(app.take_round_trips(), 2, "rate limit + session");
}

#[tokio::test]
async fn verify_email_with_auto_sign_in_costs_one_more_round_trip_for_the_session() {
    let app = app_with_options(
        r#"{"emailVerification":{"sendOnSignUp":true,"autoSignInAfterVerification":true}}"#,
    )
    .await;
    sign_up(&app, "ada@example.com").await;
    let link = mailed_link(&app, "ada@example.com");
    app.take_round_trips();
    let response = app.call(open_link("verify-email", &link)).await;
    assert_eq!(response.status, 302);
    assert!(response.set_cookie(SESSION_COOKIE).is_some());
    assert_eq!(
        app.take_round_trips(),
        3,
        "user + mark verified + new session"
    );
}

#[tokio::test]
async fn the_error_page_costs_no_round_trip() {
    let app = app().await;
    app.take_round_trips();
    let response = app
        .call(Fixture::load("error-page").query("error=INVALID_TOKEN"))
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(app.take_round_trips(), 0);
}

#[tokio::test]
async fn account_routes_cost_one_round_trip_for_the_session_plus_their_own_work() {
    let app = app_with_options(ACCOUNT_OPTIONS).await;
    let who = sign_up(&app, "ada@example.com").await;
    let laptop = sign_in(&app, "ada@example.com").await;
    let cases: [(&str, &str, serde_json::Value, u64, &str); 6] = [
        (
            "update-user",
            &who.cookie,
            serde_json::json!({"name": "Ada"}),
            2,
            "session + update",
        ),
        (
            "revoke-session",
            &who.cookie,
            serde_json::json!({"token": "x"}),
            2,
            "session + delete",
        ),
        (
            "revoke-other-sessions",
            &laptop.cookie,
            serde_json::json!({}),
            2,
            "session + delete",
        ),
        (
            "change-email",
            &laptop.cookie,
            serde_json::json!({"newEmail": "ada@new.example"}),
            3,
            "rate limit + session + is the address taken",
        ),
        (
            "change-password",
            &laptop.cookie,
            serde_json::json!({"currentPassword": PASSWORD, "newPassword": "another password 1"}),
            4,
            "rate limit + session + credential + update",
        ),
        (
            "delete-user",
            &laptop.cookie,
            serde_json::json!({"password": "another password 1"}),
            3,
            "session + credential + delete",
        ),
    ];
    // revoke-other-sessions (from the laptop) ends the first session, which is done by then.
    for (function, cookie, body, expected, what) in cases {
        app.take_round_trips();
        let response = app.call(account_request(function, cookie, body)).await;
        assert_eq!(response.status, 200, "{function}: {}", response.raw_body);
        assert_eq!(app.take_round_trips(), expected, "{function}: {what}");
    }
}

#[tokio::test]
async fn list_sessions_and_revoke_sessions_cost_two_round_trips() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    app.take_round_trips();
    assert_eq!(
        app.call(with_cookie("list-sessions", &who.cookie))
            .await
            .status,
        200
    );
    assert_eq!(app.take_round_trips(), 2, "session + list");
    let response = app
        .call(account_request(
            "revoke-sessions",
            &who.cookie,
            serde_json::json!({}),
        ))
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(app.take_round_trips(), 2, "session + delete");
}

#[tokio::test]
async fn the_change_of_email_links_cost_two_and_three_round_trips() {
    let app = app_with_options(ACCOUNT_OPTIONS).await;
    let who = sign_up(&app, "ada@example.com").await;
    app.database
        .execute(r#"update "user" set "emailVerified" = true"#, &[])
        .await;
    let asked = call_account(
        &app,
        "change-email",
        &who.cookie,
        serde_json::json!({"newEmail": "ada@new.example"}),
    )
    .await;
    assert_eq!(asked.status, 200, "{}", asked.raw_body);
    let confirmation = mailed_link(&app, "ada@example.com");
    app.take_round_trips();
    let confirmed = app
        .call(open_link("verify-email", &confirmation).cookie(&who.cookie))
        .await;
    assert_eq!(confirmed.status, 302, "{}", confirmed.raw_body);
    assert_eq!(app.take_round_trips(), 2, "user + session");
    let verification = mailed_link(&app, "ada@new.example");
    let moved = app
        .call(open_link("verify-email", &verification).cookie(&who.cookie))
        .await;
    assert_eq!(moved.status, 302, "{}", moved.raw_body);
    assert_eq!(app.take_round_trips(), 3, "user + session + move");
}

#[tokio::test]
async fn delete_user_costs_two_round_trips_with_a_fresh_session_and_with_the_mail() {
    let fresh = app_with_options(ACCOUNT_OPTIONS).await;
    let who = sign_up(&fresh, "ada@example.com").await;
    fresh.take_round_trips();
    let response = call_account(&fresh, "delete-user", &who.cookie, serde_json::json!({})).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(fresh.take_round_trips(), 2, "session + delete");

    let mailing = app_with_options(
        r#"{"user":{"deleteUser":{"enabled":true,"sendDeleteAccountVerification":true}}}"#,
    )
    .await;
    let who = sign_up(&mailing, "ada@example.com").await;
    mailing.take_round_trips();
    let response = call_account(&mailing, "delete-user", &who.cookie, serde_json::json!({})).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(mailing.take_round_trips(), 2, "session + token row");
    let link = mailed_link(&mailing, "ada@example.com");
    let deleted = mailing
        .call(open_link("delete-user-callback", &link).cookie(&who.cookie))
        .await;
    assert_eq!(deleted.status, 302, "{}", deleted.raw_body);
    assert_eq!(
        mailing.take_round_trips(),
        3,
        "session + spend the token + delete"
    );
}
