//! `PASSWORD_HASH=scrypt`: new hashes in Better Auth's own `salt:key` format (so a stock Better
//! Auth server on the database verifies them), while hashes of either format keep signing in.

use api_tests::TestApp;
use api_tests::auth::*;
use serde_json::json;

async fn stored_hash(app: &TestApp, email: &str) -> String {
    app.database
        .query(
            r#"select a."password" from "account" a join "user" u on u."id" = a."userId"
               where u."email" = $1"#,
            &[&email],
        )
        .await[0]
        .get(0)
}

fn is_better_auth_scrypt(hash: &str) -> bool {
    hash.split_once(':').is_some_and(|(salt, key)| {
        salt.len() == 32
            && key.len() == 128
            && (salt.bytes().chain(key.bytes()))
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[tokio::test]
async fn with_scrypt_sign_up_and_password_changes_write_better_auths_format_and_sign_in() {
    let app = TestApp::with_env(&[
        ("AUTH_RATE_LIMIT_MAX", "100000"),
        ("PASSWORD_HASH", "scrypt"),
    ])
    .await;
    let who = sign_up(&app, "ada@example.com").await;
    let hash = stored_hash(&app, "ada@example.com").await;
    assert!(is_better_auth_scrypt(&hash), "{hash}");
    assert_eq!(
        app.call(sign_in_request(credentials("ada@example.com")))
            .await
            .status,
        200
    );
    let changed = app
        .call(account_request(
            "change-password",
            &who.cookie,
            json!({"currentPassword": PASSWORD, "newPassword": "another password 1"}),
        ))
        .await;
    assert_eq!(changed.status, 200, "{}", changed.raw_body);
    let new_hash = stored_hash(&app, "ada@example.com").await;
    assert!(is_better_auth_scrypt(&new_hash) && new_hash != hash);
    let signed_in = app
        .call(sign_in_request(
            json!({"email": "ada@example.com", "password": "another password 1"}),
        ))
        .await;
    assert_eq!(signed_in.status, 200);
}

#[tokio::test]
async fn switching_the_format_keeps_every_existing_password_working() {
    let argon = app().await;
    sign_up(&argon, "ada@example.com").await;
    assert!(
        stored_hash(&argon, "ada@example.com")
            .await
            .starts_with("$argon2id$")
    );
    let scrypt = second_state(&argon, &[("PASSWORD_HASH", "scrypt")]).await;
    let response = call_with(&scrypt, sign_in_request(credentials("ada@example.com"))).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    let grace = call_with(&scrypt, sign_up_request(new_user("grace@example.com"))).await;
    assert_eq!(grace.status, 200);
    assert!(is_better_auth_scrypt(
        &stored_hash(&argon, "grace@example.com").await
    ));
    // And the argon2id instance signs the scrypt user in.
    let response = argon
        .call(sign_in_request(credentials("grace@example.com")))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
}
