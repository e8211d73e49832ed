//! Account management: update-user, change-password, change-email (and the links it mails,
//! served by verify-email), delete-user and its mailed link, against Better Auth 1.7.25's
//! routes (`routes/update-user.ts`).

use api_tests::auth::*;
use api_tests::{Fixture, TEST_BASE_URL, TestApp};
use serde_json::json;

const NEW_PASSWORD: &str = "a brand new password 1";

fn wrong_type_message(field: &str, received: &str) -> String {
    format!("[body.{field}] Invalid input: expected string, received {received}")
}

/// The user row's name, image and email.
async fn profile(app: &TestApp, user_id: &str) -> (String, Option<String>, String) {
    let rows = app
        .database
        .query(
            r#"select "name", "image", "email" from "user" where "id" = $1"#,
            &[&user_id],
        )
        .await;
    let row = rows.first().expect("the user");
    (row.get(0), row.get(1), row.get(2))
}

async fn user_exists(app: &TestApp, user_id: &str) -> bool {
    !app.database
        .query(r#"select 1 from "user" where "id" = $1"#, &[&user_id])
        .await
        .is_empty()
}

// ---------------------------------------------------------------------------------------------
// update-user

#[tokio::test]
async fn update_user_changes_name_and_image_answers_status_and_sends_the_cookie_again() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let response = call_account(
        &app,
        "update-user",
        &who.cookie,
        json!({"name": "Ada King", "image": "https://example.com/ada.png", "unknown": 1}),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(response.raw_body, r#"{"status":true}"#);
    assert_eq!(cookie_pair(&response, SESSION_COOKIE), who.cookie);
    assert!(response.header("set-auth-token").is_some());
    assert_eq!(
        profile(&app, &who.user_id).await,
        (
            "Ada King".to_owned(),
            Some("https://example.com/ada.png".to_owned()),
            "ada@example.com".to_owned()
        )
    );
    let session = app.call(with_cookie("get-session", &who.cookie)).await;
    assert_eq!(session.body["user"]["name"], "Ada King");

    // `image: null` clears the image and leaves the name.
    let response = call_account(&app, "update-user", &who.cookie, json!({"image": null})).await;
    assert_eq!(response.status, 200);
    assert_eq!(profile(&app, &who.user_id).await.1, None);
    assert_eq!(profile(&app, &who.user_id).await.0, "Ada King");
}

#[tokio::test]
async fn update_user_keeps_a_short_session_short() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let short = app
        .call(sign_in_request(
            json!({"email": "ada@example.com", "password": PASSWORD, "rememberMe": false}),
        ))
        .await;
    let cookies = format!(
        "{}; {}",
        cookie_pair(&short, SESSION_COOKIE),
        cookie_pair(&short, DONT_REMEMBER_COOKIE)
    );
    let response = call_account(&app, "update-user", &cookies, json!({"name": "Ada"})).await;
    assert_eq!(response.status, 200);
    let session_cookie = response.set_cookie(SESSION_COOKIE).unwrap();
    assert!(!session_cookie.contains("Max-Age"), "{session_cookie}");
    assert!(response.set_cookie(DONT_REMEMBER_COOKIE).is_some());
}

#[tokio::test]
async fn update_user_refuses_email_empty_changes_wrong_types_and_strangers_and_changes_nothing() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let call = |body| app.call(account_request("update-user", &who.cookie, body));
    assert_error(
        &call(json!({"email": "new@example.com", "name": "X"})).await,
        400,
        "EMAIL_CAN_NOT_BE_UPDATED",
        "Email can not be updated",
    );
    let empty = call(json!({"unknown": "field"})).await;
    assert_eq!(
        (empty.status, empty.raw_body.as_str()),
        (400, r#"{"message":"No fields to update"}"#)
    );
    // A falsy email is no email (Better Auth tests `if (body.email)`).
    assert_eq!(call(json!({"email": "", "name": "Ada"})).await.status, 200);
    assert_error(
        &call(json!({"name": 42})).await,
        400,
        "VALIDATION_ERROR",
        &wrong_type_message("name", "number"),
    );
    assert_error(
        &call(json!({"image": ["x"]})).await,
        400,
        "VALIDATION_ERROR",
        &wrong_type_message("image", "array"),
    );
    assert_error(
        &call(json!(["name"])).await,
        400,
        "VALIDATION_ERROR",
        "[body] Invalid input: expected record, received array",
    );
    let stranger = call_account(
        &app,
        "update-user",
        "better-auth.session_token=forged",
        json!({"name": "Mallory"}),
    )
    .await;
    assert_error(&stranger, 401, "UNAUTHORIZED", "Unauthorized");
    let foreign = app
        .call(
            account_request("update-user", &who.cookie, json!({"name": "Mallory"}))
                .header("origin", FOREIGN_ORIGIN),
        )
        .await;
    assert_eq!(foreign.status, 403, "{}", foreign.raw_body);
    assert_eq!(profile(&app, &who.user_id).await.0, "Ada");
}

// ---------------------------------------------------------------------------------------------
// change-password

#[tokio::test]
async fn change_password_keeps_other_sessions_unless_asked_and_the_new_password_signs_in() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let laptop = sign_in(&app, "ada@example.com").await;
    let response = call_account(
        &app,
        "change-password",
        &who.cookie,
        json!({"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(response.body["token"], json!(null));
    assert_eq!(keys(&response.body["user"]), USER_KEYS);
    assert_eq!(response.body["user"]["id"], who.user_id.as_str());
    assert!(response.set_cookies().is_empty());
    assert!(is_signed_in(&app, &laptop.cookie).await);
    let old = app
        .call(sign_in_request(credentials("ada@example.com")))
        .await;
    assert_eq!(old.status, 401);
    let new = app
        .call(sign_in_request(
            json!({"email": "ada@example.com", "password": NEW_PASSWORD}),
        ))
        .await;
    assert_eq!(new.status, 200);
}

#[tokio::test]
async fn change_password_with_revoke_other_sessions_ends_every_session_and_issues_a_new_one() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let laptop = sign_in(&app, "ada@example.com").await;
    let response = call_account(&app, "change-password",
            &who.cookie,
            json!({"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD, "revokeOtherSessions": true})).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    let token = response.body["token"]
        .as_str()
        .expect("a new session token");
    assert_id(token);
    assert_eq!(session_tokens(&app, &who.user_id).await, [token]);
    let cookie = cookie_pair(&response, SESSION_COOKIE);
    assert!(is_signed_in(&app, &cookie).await);
    assert!(!is_signed_in(&app, &who.cookie).await);
    assert!(!is_signed_in(&app, &laptop.cookie).await);
    assert!(
        response
            .header("set-auth-token")
            .is_some_and(|value| value.starts_with(&format!("{token}.")))
    );
}

#[tokio::test]
async fn change_password_refuses_a_wrong_current_password_and_bad_new_ones_and_changes_nothing() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let hash_before = app
        .database
        .query(r#"select "password" from "account""#, &[])
        .await[0]
        .get::<_, String>(0);
    let call = |body| app.call(account_request("change-password", &who.cookie, body));
    assert_error(
        &call(json!({"currentPassword": "not my password", "newPassword": NEW_PASSWORD, "revokeOtherSessions": true})).await,
        400,
        "INVALID_PASSWORD",
        "Invalid password",
    );
    assert_error(
        &call(json!({"currentPassword": PASSWORD, "newPassword": "short"})).await,
        400,
        "PASSWORD_TOO_SHORT",
        "Password too short",
    );
    assert_error(
        &call(json!({"currentPassword": PASSWORD, "newPassword": "x".repeat(129)})).await,
        400,
        "PASSWORD_TOO_LONG",
        "Password too long",
    );
    assert_error(
        &call(json!({"currentPassword": "x".repeat(129), "newPassword": NEW_PASSWORD})).await,
        400,
        "PASSWORD_TOO_LONG",
        "Password too long",
    );
    assert_error(
        &call(json!({"newPassword": NEW_PASSWORD, "revokeOtherSessions": "yes"})).await,
        400,
        "VALIDATION_ERROR",
        "[body.currentPassword] Invalid input: expected string, received undefined; [body.revokeOtherSessions] Invalid input: expected boolean, received string",
    );
    let stranger = call_account(
        &app,
        "change-password",
        "better-auth.session_token=forged",
        json!({"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}),
    )
    .await;
    assert_error(&stranger, 401, "UNAUTHORIZED", "Unauthorized");
    let hash_after = app
        .database
        .query(r#"select "password" from "account""#, &[])
        .await[0]
        .get::<_, String>(0);
    assert_eq!(hash_before, hash_after);
    assert_eq!(
        session_tokens(&app, &who.user_id).await,
        [who.token.as_str()]
    );
}

#[tokio::test]
async fn a_user_without_a_credential_account_gets_credential_account_not_found() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    app.database.execute(r#"delete from "account""#, &[]).await;
    assert_error(
        &call_account(
            &app,
            "change-password",
            &who.cookie,
            json!({"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}),
        )
        .await,
        400,
        "CREDENTIAL_ACCOUNT_NOT_FOUND",
        "Credential account not found",
    );
}

#[tokio::test]
async fn change_password_is_rate_limited_per_ip_as_sign_in_is() {
    let app = TestApp::new().await;
    let who = sign_up(&app, "ada@example.com").await;
    let attempt = || {
        app.call(account_request(
            "change-password",
            &who.cookie,
            json!({"currentPassword": "wrong password", "newPassword": NEW_PASSWORD}),
        ))
    };
    for _ in 0..3 {
        assert_eq!(attempt().await.status, 400);
    }
    let limited = attempt().await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.raw_body, RATE_LIMITED);
}

// ---------------------------------------------------------------------------------------------
// change-email

#[tokio::test]
async fn change_email_is_off_by_default() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    assert_error(
        &call_account(
            &app,
            "change-email",
            &who.cookie,
            json!({"newEmail": "ada@new.example"}),
        )
        .await,
        400,
        "CHANGE_EMAIL_DISABLED",
        "Change email is disabled",
    );
}

#[tokio::test]
async fn a_verified_user_confirms_at_the_old_address_then_verifies_the_new_one() {
    let app = app_with_options(ACCOUNT_OPTIONS).await;
    let who = sign_up(&app, "ada@example.com").await;
    app.database
        .execute(r#"update "user" set "emailVerified" = true"#, &[])
        .await;
    let response = call_account(
        &app,
        "change-email",
        &who.cookie,
        json!({"newEmail": "Ada@New.Example", "callbackURL": "http://localhost:3000/settings"}),
    )
    .await;
    assert_eq!(
        (response.status, response.raw_body.as_str()),
        (200, r#"{"status":true}"#)
    );
    assert_eq!(app.mails().len(), 1);
    let confirmation = app.last_mail_to("ada@example.com");
    assert!(
        confirmation["text"]
            .as_str()
            .unwrap()
            .contains("ada@new.example")
    );
    let link = confirmation["url"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("{TEST_BASE_URL}/api/auth/verify-email?token=")),
        "{link}"
    );
    assert!(link.ends_with("&callbackURL=http%3A%2F%2Flocalhost%3A3000%2Fsettings"));
    let (header, claims) = jwt_parts(&query_token_of(link));
    assert_eq!(header, json!({"alg": "HS256"}));
    assert_eq!(
        keys(&claims),
        ["email", "updateTo", "requestType", "userId", "iat", "exp"]
    );
    assert_eq!(claims["requestType"], "change-email-confirmation");
    assert_eq!(claims["updateTo"], "ada@new.example");
    // Nothing has moved yet.
    assert_eq!(profile(&app, &who.user_id).await.2, "ada@example.com");

    // The confirmation link (opened signed in) mails the verification to the new address.
    let confirmed = app
        .call(open_link("verify-email", link).cookie(&who.cookie))
        .await;
    assert_eq!(confirmed.status, 302, "{}", confirmed.raw_body);
    assert_eq!(
        confirmed.header("location"),
        Some("http://localhost:3000/settings")
    );
    assert_eq!(profile(&app, &who.user_id).await.2, "ada@example.com");
    let verification = app.last_mail_to("ada@new.example");
    let link = verification["url"].as_str().unwrap();
    let (_, claims) = jwt_parts(&query_token_of(link));
    assert_eq!(claims["requestType"], "change-email-verification");
    assert_eq!(claims["email"], "ada@example.com");

    // The verification link moves the account, keeps it verified, and renews the cookie.
    let verified = app
        .call(open_link("verify-email", link).cookie(&who.cookie))
        .await;
    assert_eq!(verified.status, 302, "{}", verified.raw_body);
    assert_eq!(cookie_pair(&verified, SESSION_COOKIE), who.cookie);
    assert_eq!(profile(&app, &who.user_id).await.2, "ada@new.example");
    assert!(email_verified(&app, "ada@new.example").await);
    let session = app.call(with_cookie("get-session", &who.cookie)).await;
    assert_eq!(session.body["user"]["email"], "ada@new.example");

    // The links are spent: the account is no longer at the address they were issued for.
    let again = app.call(open_link("verify-email", link)).await;
    assert_eq!(again.status, 302);
    assert_eq!(
        again.header("location"),
        Some("http://localhost:3000/settings?error=INVALID_TOKEN")
    );
}

#[tokio::test]
async fn without_the_confirmation_option_the_new_address_gets_the_verification_at_once() {
    let app = app_with_options(r#"{"user":{"changeEmail":{"enabled":true}}}"#).await;
    let who = sign_up(&app, "ada@example.com").await;
    let response = call_account(
        &app,
        "change-email",
        &who.cookie,
        json!({"newEmail": "ada@new.example"}),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(app.mails().len(), 1);
    let link = mailed_link(&app, "ada@new.example");
    assert!(link.ends_with("&callbackURL=%2F"), "{link}");
    // Called without a callbackURL (authClient.verifyEmail), the answer has the moved user.
    let token = query_token_of(&link);
    let answered = app
        .call(
            api_tests::Fixture::load("verify-email")
                .without_cookies()
                .query(&format!("token={token}")),
        )
        .await;
    assert_eq!(answered.status, 200, "{}", answered.raw_body);
    assert_eq!(answered.body["status"], true);
    assert_eq!(keys(&answered.body["user"]), USER_KEYS);
    assert_eq!(answered.body["user"]["email"], "ada@new.example");
    assert_eq!(answered.body["user"]["emailVerified"], false);
    assert!(answered.set_cookies().is_empty());
    assert_eq!(profile(&app, &who.user_id).await.2, "ada@new.example");
    // The mailed link itself redirects to its callbackURL ("/"); by now it is spent.
    let opened = app.call(open_link("verify-email", &link)).await;
    assert_eq!(opened.status, 302, "{}", opened.raw_body);
    assert_eq!(opened.header("location"), Some("/?error=INVALID_TOKEN"));
}

#[tokio::test]
async fn an_unverified_user_moves_at_once_with_update_email_without_verification() {
    let app = app_with_options(
        r#"{"user":{"changeEmail":{"enabled":true,"updateEmailWithoutVerification":true}}}"#,
    )
    .await;
    let who = sign_up(&app, "ada@example.com").await;
    let response = call_account(
        &app,
        "change-email",
        &who.cookie,
        json!({"newEmail": "ada@new.example"}),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(cookie_pair(&response, SESSION_COOKIE), who.cookie);
    assert_eq!(profile(&app, &who.user_id).await.2, "ada@new.example");
    // And a plain verification link for the new address.
    let link = mailed_link(&app, "ada@new.example");
    let (_, claims) = jwt_parts(&query_token_of(&link));
    assert_eq!(keys(&claims), ["email", "userId", "iat", "exp"]);
    let verified = app.call(open_link("verify-email", &link)).await;
    assert_eq!(verified.status, 302, "{}", verified.raw_body);
    assert_eq!(verified.header("location"), Some("/"));
    assert!(email_verified(&app, "ada@new.example").await);
}

#[tokio::test]
async fn change_email_to_a_taken_address_answers_the_same_and_mails_nothing() {
    let app = app_with_options(ACCOUNT_OPTIONS).await;
    let who = sign_up(&app, "ada@example.com").await;
    sign_up(&app, "grace@example.com").await;
    let response = call_account(
        &app,
        "change-email",
        &who.cookie,
        json!({"newEmail": "GRACE@example.com"}),
    )
    .await;
    assert_eq!(
        (response.status, response.raw_body.as_str()),
        (200, r#"{"status":true}"#)
    );
    assert!(app.mails().is_empty());
    assert_eq!(profile(&app, &who.user_id).await.2, "ada@example.com");
}

#[tokio::test]
async fn change_email_refuses_the_same_address_bad_input_and_untrusted_callbacks() {
    let app = app_with_options(ACCOUNT_OPTIONS).await;
    let who = sign_up(&app, "ada@example.com").await;
    let call = |body| app.call(account_request("change-email", &who.cookie, body));
    let same = call(json!({"newEmail": "ADA@example.com"})).await;
    assert_eq!(
        (same.status, same.raw_body.as_str()),
        (400, r#"{"message":"Email is the same"}"#)
    );
    assert_error(
        &call(json!({"newEmail": "not an email"})).await,
        400,
        "VALIDATION_ERROR",
        "[body.newEmail] Invalid email address",
    );
    assert_error(
        &call(json!({"newEmail": "ada@new.example", "callbackURL": "https://evil.example/x"}))
            .await,
        403,
        "INVALID_CALLBACK_URL",
        "Invalid callbackURL",
    );
    assert!(app.mails().is_empty());
}

#[tokio::test]
async fn without_mail_change_email_says_verification_is_not_enabled() {
    let app = TestApp::with_env(&[
        ("AUTH_RATE_LIMIT_MAX", "100000"),
        ("EMAIL_OUTBOX_DIR", ""),
        (
            "BETTER_AUTH_OPTIONS",
            r#"{"user":{"changeEmail":{"enabled":true}}}"#,
        ),
    ])
    .await;
    let who = sign_up(&app, "ada@example.com").await;
    let response = call_account(
        &app,
        "change-email",
        &who.cookie,
        json!({"newEmail": "ada@new.example"}),
    )
    .await;
    assert_eq!(
        (response.status, response.raw_body.as_str()),
        (400, r#"{"message":"Verification email isn't enabled"}"#)
    );
}

#[tokio::test]
async fn a_change_of_email_link_opened_by_another_signed_in_user_is_refused() {
    let app = app_with_options(r#"{"user":{"changeEmail":{"enabled":true}}}"#).await;
    let who = sign_up(&app, "ada@example.com").await;
    let grace = sign_up(&app, "grace@example.com").await;
    call_account(
        &app,
        "change-email",
        &who.cookie,
        json!({"newEmail": "ada@new.example"}),
    )
    .await;
    let link = mailed_link(&app, "ada@new.example");
    let response = app
        .call(open_link("verify-email", &link).cookie(&grace.cookie))
        .await;
    assert_eq!(response.status, 302, "{}", response.raw_body);
    assert_eq!(response.header("location"), Some("/?error=INVALID_USER"));
    assert_eq!(profile(&app, &who.user_id).await.2, "ada@example.com");
}

// ---------------------------------------------------------------------------------------------
// delete-user

#[tokio::test]
async fn delete_user_is_a_bare_404_unless_enabled() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let response = call_account(
        &app,
        "delete-user",
        &who.cookie,
        json!({"password": PASSWORD}),
    )
    .await;
    assert_eq!(response.status, 404);
    assert_eq!(response.raw_body, "");
    assert!(user_exists(&app, &who.user_id).await);
    // The link too, with Better Auth's NOT_FOUND body.
    let link = app
        .call(with_cookie("delete-user-callback", &who.cookie).query("token=abc"))
        .await;
    assert_error(&link, 404, "NOT_FOUND", "Not found");
}

#[tokio::test]
async fn delete_user_with_the_password_deletes_the_user_sessions_accounts_and_tasks() {
    let app = app_with_options(ACCOUNT_OPTIONS).await;
    let who = sign_up(&app, "ada@example.com").await;
    let laptop = sign_in(&app, "ada@example.com").await;
    let grace = sign_up(&app, "grace@example.com").await;
    let jwt = jwt_for(&app, &who).await;
    let created = app
        .call(
            Fixture::load("create-task")
                .user(&who.user_id)
                .bearer(&jwt)
                .body(json!({"title": "Write the notes"})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.raw_body);

    let wrong = call_account(
        &app,
        "delete-user",
        &who.cookie,
        json!({"password": "not my password"}),
    )
    .await;
    assert_error(&wrong, 400, "INVALID_PASSWORD", "Invalid password");
    assert!(user_exists(&app, &who.user_id).await);

    let response = call_account(
        &app,
        "delete-user",
        &who.cookie,
        json!({"password": PASSWORD}),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(
        response.raw_body,
        r#"{"success":true,"message":"User deleted"}"#
    );
    assert_eq!(response.set_cookies(), CLEARING_COOKIES);
    assert!(!user_exists(&app, &who.user_id).await);
    assert!(!is_signed_in(&app, &laptop.cookie).await);
    let left = app
        .database
        .query(
            r#"select (select count(*) from "session" where "userId" = $1),
                      (select count(*) from "account" where "userId" = $1),
                      (select count(*) from task where user_id = $1)"#,
            &[&who.user_id],
        )
        .await;
    assert_eq!(
        (
            left[0].get::<_, i64>(0),
            left[0].get::<_, i64>(1),
            left[0].get::<_, i64>(2)
        ),
        (0, 0, 0)
    );
    // Someone else's account is untouched.
    assert!(is_signed_in(&app, &grace.cookie).await);
    // The JWT still verifies until it expires, but the user is gone.
    let after = app
        .call(
            Fixture::load("create-task")
                .user(&who.user_id)
                .bearer(&jwt)
                .body(json!({"title": "Ghost"})),
        )
        .await;
    assert_eq!(after.status, 404, "{}", after.raw_body);
    assert_eq!(after.detail(), "User not found");
    let sign_in_again = app
        .call(sign_in_request(credentials("ada@example.com")))
        .await;
    assert_eq!(sign_in_again.status, 401);
}

#[tokio::test]
async fn without_a_password_delete_user_needs_a_fresh_session() {
    let app = app_with_options(ACCOUNT_OPTIONS).await;
    let who = sign_up(&app, "ada@example.com").await;
    age_sessions(&app, 25).await;
    assert_error(
        &call_account(&app, "delete-user", &who.cookie, json!({})).await,
        400,
        "SESSION_EXPIRED",
        "Session expired. Re-authenticate to perform this action.",
    );
    assert!(user_exists(&app, &who.user_id).await);
    app.database
        .execute(r#"update "session" set "createdAt" = now()"#, &[])
        .await;
    let response = app
        .call(account_request("delete-user", &who.cookie, json!({})).no_body())
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert!(!user_exists(&app, &who.user_id).await);
}

#[tokio::test]
async fn with_the_verification_option_delete_user_mails_a_link_that_deletes_where_signed_in() {
    let app = app_with_options(
        r#"{"user":{"deleteUser":{"enabled":true,"sendDeleteAccountVerification":true}}}"#,
    )
    .await;
    let who = sign_up(&app, "ada@example.com").await;
    let grace = sign_up(&app, "grace@example.com").await;
    let response = call_account(
        &app,
        "delete-user",
        &who.cookie,
        json!({"password": PASSWORD, "callbackURL": "http://localhost:3000/goodbye"}),
    )
    .await;
    assert_eq!(
        response.raw_body,
        r#"{"success":true,"message":"Verification email sent"}"#
    );
    assert!(user_exists(&app, &who.user_id).await);
    let link = mailed_link(&app, "ada@example.com");
    let token = query_token_of(&link);
    assert_eq!(
        link,
        format!(
            "{TEST_BASE_URL}/api/auth/delete-user/callback?token={token}&callbackURL=http%3A%2F%2Flocalhost%3A3000%2Fgoodbye"
        )
    );
    assert_eq!(token.len(), 32);
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    );
    let rows = verification_rows(&app).await;
    assert_eq!(rows[0].0, format!("delete-account-{token}"));
    assert!((86_390..=86_400).contains(&rows[0].2), "{}", rows[0].2);

    // Opened without a session, or by someone else, it deletes nothing.
    let anonymous_open = app.call(open_link("delete-user-callback", &link)).await;
    assert_error(
        &anonymous_open,
        404,
        "FAILED_TO_GET_USER_INFO",
        "Failed to get user info",
    );
    let by_grace = app
        .call(open_link("delete-user-callback", &link).cookie(&grace.cookie))
        .await;
    assert_error(&by_grace, 404, "INVALID_TOKEN", "Invalid token");
    assert!(user_exists(&app, &who.user_id).await);
    assert!(user_exists(&app, &grace.user_id).await);

    let deleted = app
        .call(open_link("delete-user-callback", &link).cookie(&who.cookie))
        .await;
    assert_eq!(deleted.status, 302, "{}", deleted.raw_body);
    assert_eq!(
        deleted.header("location"),
        Some("http://localhost:3000/goodbye")
    );
    assert_eq!(deleted.set_cookies(), CLEARING_COOKIES);
    assert!(!user_exists(&app, &who.user_id).await);
    assert!(verification_rows(&app).await.is_empty());
}

#[tokio::test]
async fn a_mailed_deletion_token_also_works_in_the_body_once() {
    let app = app_with_options(
        r#"{"user":{"deleteUser":{"enabled":true,"sendDeleteAccountVerification":true}}}"#,
    )
    .await;
    let who = sign_up(&app, "ada@example.com").await;
    call_account(&app, "delete-user", &who.cookie, json!({})).await;
    let token = query_token_of(&mailed_link(&app, "ada@example.com"));
    let wrong = call_account(
        &app,
        "delete-user",
        &who.cookie,
        json!({"token": "0".repeat(32)}),
    )
    .await;
    assert_error(&wrong, 404, "INVALID_TOKEN", "Invalid token");
    let response = call_account(&app, "delete-user", &who.cookie, json!({"token": token})).await;
    assert_eq!(
        response.raw_body,
        r#"{"success":true,"message":"User deleted"}"#
    );
    assert!(!user_exists(&app, &who.user_id).await);
}

#[tokio::test]
async fn delete_user_refuses_strangers_bad_input_and_untrusted_callbacks() {
    let app = app_with_options(ACCOUNT_OPTIONS).await;
    let who = sign_up(&app, "ada@example.com").await;
    let stranger = call_account(
        &app,
        "delete-user",
        "better-auth.session_token=forged",
        json!({"password": PASSWORD}),
    )
    .await;
    assert_error(&stranger, 401, "UNAUTHORIZED", "Unauthorized");
    assert_error(
        &call_account(&app, "delete-user", &who.cookie, json!({"password": 5})).await,
        400,
        "VALIDATION_ERROR",
        &wrong_type_message("password", "number"),
    );
    assert_error(
        &call_account(
            &app,
            "delete-user",
            &who.cookie,
            json!({"callbackURL": "https://evil.example/"}),
        )
        .await,
        403,
        "INVALID_CALLBACK_URL",
        "Invalid callbackURL",
    );
    assert!(user_exists(&app, &who.user_id).await);
}
