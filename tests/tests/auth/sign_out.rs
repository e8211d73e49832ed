//! `POST /api/auth/sign-out`.

use api_tests::Fixture;
use api_tests::auth::*;

#[tokio::test]
async fn sign_out_with_the_cookie_and_a_trusted_origin_deletes_the_session_and_clears_cookies() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let other = sign_in(&app, "ada@example.com").await;
    let response = app.call(sign_out_request(&who.cookie)).await;
    assert_signed_out(&response);
    assert_eq!(session_expiry(&app, &who.token).await, None);
    assert!(
        session_expiry(&app, &other.token).await.is_some(),
        "only that one session ends"
    );
    let after = app.call(with_cookie("get-session", &who.cookie)).await;
    assert_eq!(after.raw_body, "null");
}

#[tokio::test]
async fn sign_out_with_a_cookie_but_no_origin_is_403_and_keeps_the_session() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let response = app.call(no_origin(sign_out_request(&who.cookie))).await;
    assert_error(
        &response,
        403,
        "MISSING_OR_NULL_ORIGIN",
        "Missing or null Origin",
    );
    assert!(session_expiry(&app, &who.token).await.is_some());

    let unrelated_cookie = app.call(no_origin(sign_out_request("foo=bar"))).await;
    assert_error(
        &unrelated_cookie,
        403,
        "MISSING_OR_NULL_ORIGIN",
        "Missing or null Origin",
    );
}

#[tokio::test]
async fn sign_out_with_a_cookie_and_a_foreign_origin_is_403_and_keeps_the_session() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let response = app
        .call(sign_out_request(&who.cookie).header("origin", FOREIGN_ORIGIN))
        .await;
    assert_error(&response, 403, "INVALID_ORIGIN", "Invalid origin");
    assert!(session_expiry(&app, &who.token).await.is_some());
}

#[tokio::test]
async fn sign_out_with_a_trusted_referer_instead_of_an_origin_succeeds() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let response = app
        .call(
            no_origin(sign_out_request(&who.cookie))
                .header("referer", "http://localhost:3000/page"),
        )
        .await;
    assert_signed_out(&response);
    assert_eq!(session_expiry(&app, &who.token).await, None);
}

#[tokio::test]
async fn sign_out_without_a_cookie_succeeds_even_from_a_foreign_origin() {
    let app = app().await;
    let response = app
        .call(
            Fixture::load("sign-out")
                .without_cookies()
                .header("origin", FOREIGN_ORIGIN),
        )
        .await;
    assert_signed_out(&response);
}

#[tokio::test]
async fn sign_out_with_a_dead_or_badly_signed_cookie_still_succeeds() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    assert_signed_out(&app.call(sign_out_request(&who.cookie)).await);
    assert_signed_out(&app.call(sign_out_request(&who.cookie)).await);
    // The fixture's placeholder cookie, signed with another secret.
    assert_signed_out(
        &app.call(Fixture::load("sign-out").header("origin", TRUSTED_ORIGIN))
            .await,
    );
}

#[tokio::test]
async fn sign_out_with_only_a_bearer_token_deletes_the_session() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let response = app
        .call(no_origin(Fixture::load("sign-out").without_cookies()).bearer(&who.token))
        .await;
    assert_signed_out(&response);
    assert_eq!(session_expiry(&app, &who.token).await, None);
}
