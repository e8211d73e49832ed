//! `GET /api/auth/token`.

use api_tests::auth::*;
use api_tests::{Fixture, TEST_BASE_URL, TEST_SECRET, TestApp};
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

#[tokio::test]
async fn token_returns_an_eddsa_jwt_in_better_auths_format_that_verifies_with_jwks() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let response = app.call(with_cookie("token", &who.cookie)).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(keys(&response.body), ["token"]);
    assert!(response.header("set-auth-jwt").is_none());
    let jwt = response.body["token"].as_str().unwrap();

    let jwks = app.call(Fixture::load("jwks")).await;
    let key = &jwks.body["keys"][0];
    let kid = key["kid"].as_str().unwrap();
    assert_eq!(
        raw_jwt_header(jwt),
        format!(r#"{{"alg":"EdDSA","kid":"{kid}"}}"#),
        "no typ"
    );

    let (_, claims) = jwt_parts(jwt);
    assert_eq!(keys(&claims), CLAIM_KEYS);
    let user = &who.response.body["user"];
    for field in USER_KEYS {
        assert_eq!(claims[field], user[field], "{field}");
    }
    assert_eq!(claims["sub"], json!(who.user_id));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        900
    );
    assert!((claims["iat"].as_i64().unwrap() - Utc::now().timestamp()).abs() < 10);
    assert_eq!(claims["iss"], json!(TEST_BASE_URL));
    assert_eq!(claims["aud"], json!(TEST_BASE_URL));

    let decoding = DecodingKey::from_ed_components(key["x"].as_str().unwrap()).unwrap();
    let verified = jsonwebtoken::decode::<Value>(jwt, &decoding, &eddsa_validation())
        .expect("verifies with the /jwks key");
    assert_eq!(verified.claims, claims);
}

#[tokio::test]
async fn token_without_a_session_is_401_unauthorized() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let no_cookie = app.call(anonymous("token")).await;
    let placeholder_cookie = app.call(Fixture::load("token")).await;
    app.database.execute(r#"delete from "session""#, &[]).await;
    let deleted_session = app.call(with_cookie("token", &who.cookie)).await;
    for response in [no_cookie, placeholder_cookie, deleted_session] {
        assert_eq!(response.status, 401, "{}", response.raw_body);
        assert_eq!(
            response.raw_body,
            r#"{"message":"Unauthorized","code":"UNAUTHORIZED"}"#
        );
    }
}

#[tokio::test]
async fn token_with_jwt_alg_hs256_is_signed_with_the_secret() {
    let app = TestApp::with_env(&[("JWT_ALG", "HS256"), ("AUTH_RATE_LIMIT_MAX", "100000")]).await;
    let who = sign_up(&app, "ada@example.com").await;
    let jwt = jwt_for(&app, &who).await;
    let (header, claims) = jwt_parts(&jwt);
    assert_eq!(header["alg"], json!("HS256"));
    assert_eq!(keys(&claims), CLAIM_KEYS);
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[TEST_BASE_URL]);
    validation.set_audience(&[TEST_BASE_URL]);
    let verified = jsonwebtoken::decode::<Value>(
        &jwt,
        &DecodingKey::from_secret(TEST_SECRET.as_bytes()),
        &validation,
    )
    .expect("verifies with the secret");
    assert_eq!(verified.claims["sub"], json!(who.user_id));
    assert_eq!(row_counts(&app).await[3], 0, "HS256 needs no jwks key");
    let tasks = app.call(list_tasks(&who.user_id, &jwt)).await;
    assert_eq!(tasks.status, 200, "{}", tasks.raw_body);
}

#[tokio::test]
async fn token_accepts_a_bearer_session_token() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let response = app.call(anonymous("token").bearer(&who.token)).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    let (_, claims) = jwt_parts(response.body["token"].as_str().unwrap());
    assert_eq!(claims["sub"], json!(who.user_id));
}

#[tokio::test]
async fn token_is_never_cached() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let response = app.call(with_cookie("token", &who.cookie)).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(response.header("cache-control"), Some("no-store"));
}
