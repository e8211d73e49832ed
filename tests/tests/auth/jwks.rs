//! `GET /api/auth/jwks` and the `jwks` table.

use api_tests::auth::*;
use api_tests::{Fixture, TEST_SECRET, TestApp};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use shared::better_auth::keys::{decrypt_private_key, encrypt_private_key, generate_ed25519_key};

#[tokio::test]
async fn jwks_lists_the_public_key_in_better_auths_format_without_private_material() {
    let app = app().await;
    let response = app.call(Fixture::load("jwks")).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(keys(&response.body), ["keys"]);
    let listed = response.body["keys"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    let key = &listed[0];
    assert_eq!(keys(key), ["alg", "crv", "x", "kty", "kid"]);
    assert_eq!(key["alg"], json!("EdDSA"));
    assert_eq!(key["crv"], json!("Ed25519"));
    assert_eq!(key["kty"], json!("OKP"));
    assert!(key.get("d").is_none());
    let x = URL_SAFE_NO_PAD.decode(key["x"].as_str().unwrap()).unwrap();
    assert_eq!(x.len(), 32);
    assert_id(key["kid"].as_str().unwrap());
}

#[tokio::test]
async fn first_jwks_call_creates_exactly_one_key_and_later_calls_reuse_it() {
    let app = app().await;
    assert_eq!(row_counts(&app).await[3], 0);
    let first = app.call(Fixture::load("jwks")).await;
    assert_eq!(row_counts(&app).await[3], 1);
    let second = app.call(Fixture::load("jwks")).await;
    assert_eq!(first.body, second.body);
    assert_eq!(row_counts(&app).await[3], 1);
}

#[tokio::test]
async fn concurrent_first_jwks_calls_from_two_instances_create_one_key() {
    let app = app().await;
    let other = second_state(&app, &[]).await;
    let (first, second) = tokio::join!(
        app.call(Fixture::load("jwks")),
        call_with(&other, Fixture::load("jwks")),
    );
    assert_eq!(first.status, 200, "{}", first.raw_body);
    assert_eq!(second.status, 200, "{}", second.raw_body);
    assert_eq!(row_counts(&app).await[3], 1);
    assert_eq!(first.body, second.body);
    assert_eq!(first.body["keys"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn stored_private_key_is_better_auths_encrypted_json_string_of_hex() {
    let app = app().await;
    let response = app.call(Fixture::load("jwks")).await;
    let listed = &response.body["keys"][0];
    let rows = app
        .database
        .query(
            r#"select "id", "publicKey", "privateKey", "alg", "crv", "expiresAt" from "jwks""#,
            &[],
        )
        .await;
    let row = &rows[0];
    assert_eq!(row.get::<_, String>(0), listed["kid"].as_str().unwrap());
    let public: Value = serde_json::from_str(&row.get::<_, String>(1)).unwrap();
    assert_eq!(keys(&public), ["crv", "x", "kty"]);
    assert_eq!(public["x"], listed["x"]);
    assert_eq!(row.get::<_, Option<String>>(3).as_deref(), Some("EdDSA"));
    assert_eq!(row.get::<_, Option<String>>(4).as_deref(), Some("Ed25519"));
    assert_eq!(row.get::<_, Option<DateTime<Utc>>>(5), None);

    let stored: String = row.get(2);
    let hex = stored
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or_else(|| panic!("a JSON string literal: {stored}"));
    assert!(
        hex.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{hex}"
    );
    let private = decrypt_private_key(&stored, TEST_SECRET).expect("decrypts");
    assert_eq!(
        hex.len(),
        2 * (24 + private.len() + 16),
        "nonce ‖ ciphertext ‖ tag"
    );
    let private: Value = serde_json::from_str(&private).unwrap();
    assert_eq!(keys(&private), ["crv", "d", "x", "kty"]);
    assert_eq!(private["x"], listed["x"]);
    assert!(decrypt_private_key(&stored, "another-secret-0123456789abcdef0123").is_err());
}

/// Inserts a key into `jwks` created and expiring at the given SQL times; returns its kid.
async fn insert_key(app: &TestApp, created_at: &str, expires_at: &str) -> String {
    let generated = generate_ed25519_key();
    let kid = shared::better_auth::ids::random_id();
    let private = encrypt_private_key(&generated.private_jwk_json, TEST_SECRET);
    app.database
        .execute(
            &format!(
                r#"insert into "jwks" ("id", "publicKey", "privateKey", "createdAt", "expiresAt", "alg", "crv")
                   values ($1, $2, $3, {created_at}, {expires_at}, 'EdDSA', 'Ed25519')"#
            ),
            &[&kid, &generated.public_jwk_json, &private],
        )
        .await;
    kid
}

#[tokio::test]
async fn expired_keys_stay_listed_for_30_days_and_never_sign_new_tokens() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let recent = insert_key(
        &app,
        "now() - interval '10 days'",
        "now() - interval '1 day'",
    )
    .await;
    let old = insert_key(
        &app,
        "now() - interval '60 days'",
        "now() - interval '31 days'",
    )
    .await;

    let jwt = jwt_for(&app, &who).await;
    let (header, _) = jwt_parts(&jwt);
    let kid = header["kid"].as_str().unwrap().to_owned();
    assert!(kid != recent && kid != old, "signed with a new key");
    assert_eq!(row_counts(&app).await[3], 3);

    let jwks = app.call(Fixture::load("jwks")).await;
    let listed: Vec<&str> = jwks.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [recent.as_str(), kid.as_str()]);
}
