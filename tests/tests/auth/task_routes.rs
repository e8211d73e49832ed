//! JWTs on the task routes: ours, Better Auth's, and forged or stale ones.

use api_tests::auth::*;
use api_tests::{Fixture, TEST_BASE_URL};
use jsonwebtoken::EncodingKey;
use serde_json::json;
use shared::better_auth::keys::{generate_ed25519_key, pkcs8_der_from_private_jwk};

#[tokio::test]
async fn eddsa_jwt_from_token_is_accepted_by_every_task_route() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let jwt = jwt_for(&app, &who).await;
    let task = |function: &str| Fixture::load(function).user(&who.user_id).bearer(&jwt);

    let created = app
        .call(task("create-task").body(json!({"title": "t"})))
        .await;
    assert_eq!(created.status, 201, "{}", created.raw_body);
    let id = created.body["id"].clone();
    let responses = [
        ("list-tasks", app.call(task("list-tasks")).await),
        ("get-task", app.call(task("get-task").task(&id)).await),
        (
            "update-task",
            app.call(task("update-task").task(&id).body(json!({"title": "u"})))
                .await,
        ),
        (
            "complete-task",
            app.call(task("complete-task").task(&id).no_body()).await,
        ),
        ("delete-task", app.call(task("delete-task").task(&id)).await),
    ];
    for (name, response) in responses {
        assert_eq!(response.status, 200, "{name}: {}", response.raw_body);
    }

    let someone_else = app.create_user("Mallory").await;
    let forbidden = app.call(list_tasks(&someone_else, &jwt)).await;
    assert_eq!(forbidden.status, 403, "{}", forbidden.raw_body);
}

#[tokio::test]
async fn eddsa_jwt_signed_by_an_unknown_key_is_401() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    jwt_for(&app, &who).await;
    let stranger = generate_ed25519_key();
    let key =
        EncodingKey::from_ed_der(&pkcs8_der_from_private_jwk(&stranger.private_jwk_json).unwrap());
    let claims = claims_for(&who.user_id, TEST_BASE_URL, TEST_BASE_URL);
    let unknown_kid = eddsa_jwt(&shared::better_auth::ids::random_id(), &key, &claims);
    let response = app.call(list_tasks(&who.user_id, &unknown_kid)).await;
    assert_eq!(response.status, 401, "{}", response.raw_body);

    // The right kid, but signed by another key.
    let (kid, _) = stored_signing_key(&app).await;
    let forged = eddsa_jwt(&kid, &key, &claims);
    let response = app.call(list_tasks(&who.user_id, &forged)).await;
    assert_eq!(response.status, 401, "{}", response.raw_body);
}

#[tokio::test]
async fn eddsa_jwt_with_a_wrong_issuer_or_audience_is_401() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    jwt_for(&app, &who).await;
    let (kid, key) = stored_signing_key(&app).await;
    let good = eddsa_jwt(
        &kid,
        &key,
        &claims_for(&who.user_id, TEST_BASE_URL, TEST_BASE_URL),
    );
    let response = app.call(list_tasks(&who.user_id, &good)).await;
    assert_eq!(response.status, 200, "control: {}", response.raw_body);
    for (iss, aud) in [
        ("http://evil.example", TEST_BASE_URL),
        (TEST_BASE_URL, "http://evil.example"),
    ] {
        let jwt = eddsa_jwt(&kid, &key, &claims_for(&who.user_id, iss, aud));
        let response = app.call(list_tasks(&who.user_id, &jwt)).await;
        assert_eq!(
            response.status, 401,
            "iss {iss} aud {aud}: {}",
            response.raw_body
        );
    }
}

#[tokio::test]
async fn instance_started_before_the_key_existed_accepts_tokens_signed_with_it() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    assert_eq!(row_counts(&app).await[3], 0, "no key yet");
    let tasks_instance = second_state(&app, &[]).await;
    let jwt = jwt_for(&app, &who).await;

    app.take_round_trips();
    let first = call_with(&tasks_instance, list_tasks(&who.user_id, &jwt)).await;
    let first_round_trips = app.take_round_trips();
    assert_eq!(first.status, 200, "{}", first.raw_body);
    assert_eq!(first_round_trips, 2, "one key reload, one query");

    let second = call_with(&tasks_instance, list_tasks(&who.user_id, &jwt)).await;
    assert_eq!(second.status, 200, "{}", second.raw_body);
    assert_eq!(app.take_round_trips(), 1, "the key is known now");
}

#[tokio::test]
async fn unknown_key_ids_reload_the_key_set_at_most_once_per_interval() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    jwt_for(&app, &who).await;
    let stranger = generate_ed25519_key();
    let key =
        EncodingKey::from_ed_der(&pkcs8_der_from_private_jwk(&stranger.private_jwk_json).unwrap());
    let claims = claims_for(&who.user_id, TEST_BASE_URL, TEST_BASE_URL);
    app.take_round_trips();
    for _ in 0..3 {
        let jwt = eddsa_jwt(&shared::better_auth::ids::random_id(), &key, &claims);
        let response = app.call(list_tasks(&who.user_id, &jwt)).await;
        assert_eq!(response.status, 401, "{}", response.raw_body);
    }
    assert!(
        app.take_round_trips() <= 1,
        "random kids must not each cost a reload"
    );
}

#[tokio::test]
async fn jwt_issuers_admits_a_better_auth_servers_tokens_signed_with_the_shared_keys() {
    const NEXT_APP: &str = "http://localhost:3000";
    let app = api_tests::TestApp::with_env(&[
        ("AUTH_RATE_LIMIT_MAX", "100000"),
        ("JWT_ISSUERS", "http://localhost:3000/"),
    ])
    .await;
    let who = sign_up(&app, "ada@example.com").await;
    jwt_for(&app, &who).await;
    let (kid, key) = stored_signing_key(&app).await;
    // As Better Auth's jwt plugin on the Next.js app issues it: iss = aud = its base URL.
    let theirs = eddsa_jwt(&kid, &key, &claims_for(&who.user_id, NEXT_APP, NEXT_APP));
    let response = app.call(list_tasks(&who.user_id, &theirs)).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    let ours = jwt_for(&app, &who).await;
    assert_eq!(app.call(list_tasks(&who.user_id, &ours)).await.status, 200);
    for (iss, aud) in [
        (NEXT_APP, "http://evil.example"),
        ("http://evil.example", NEXT_APP),
    ] {
        let jwt = eddsa_jwt(&kid, &key, &claims_for(&who.user_id, iss, aud));
        let response = app.call(list_tasks(&who.user_id, &jwt)).await;
        assert_eq!(response.status, 401, "iss {iss} aud {aud}");
    }
    // Without the setting, the same token is someone else's.
    let plain = second_state(&app, &[]).await;
    let response = call_with(&plain, list_tasks(&who.user_id, &theirs)).await;
    assert_eq!(response.status, 401, "{}", response.raw_body);
    assert_eq!(response.detail(), "Invalid token: wrong issuer or audience");
}

/// An HS256 token with exactly `claims`, signed with the test secret.
fn hs256_with(claims: &serde_json::Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(hs256_alg()),
        claims,
        &EncodingKey::from_secret(api_tests::TEST_SECRET.as_bytes()),
    )
    .unwrap()
}

fn hs256_alg() -> jsonwebtoken::Algorithm {
    jsonwebtoken::Algorithm::HS256
}

#[tokio::test]
async fn tokens_not_valid_yet_or_issued_in_the_future_are_401_on_both_algorithms() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    jwt_for(&app, &who).await;
    let (kid, key) = stored_signing_key(&app).await;
    let now = chrono::Utc::now().timestamp();
    let base = claims_for(&who.user_id, TEST_BASE_URL, TEST_BASE_URL);
    let with = |extra: serde_json::Value| {
        let mut claims = base.clone();
        claims
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        claims
    };
    let control = eddsa_jwt(&kid, &key, &with(json!({"nbf": now - 5})));
    assert_eq!(
        app.call(list_tasks(&who.user_id, &control)).await.status,
        200
    );
    for extra in [json!({"nbf": now + 3600}), json!({"iat": now + 3600})] {
        let eddsa = eddsa_jwt(&kid, &key, &with(extra.clone()));
        let response = app.call(list_tasks(&who.user_id, &eddsa)).await;
        assert_eq!(response.status, 401, "EdDSA {extra}: {}", response.raw_body);
        let hs256 = hs256_with(&with(extra.clone()));
        let response = app.call(list_tasks(&who.user_id, &hs256)).await;
        assert_eq!(response.status, 401, "HS256 {extra}: {}", response.raw_body);
    }
}

#[tokio::test]
async fn hs256_lifetimes_are_capped_and_hs256_can_be_turned_off() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let now = chrono::Utc::now().timestamp();
    let hour = hs256_with(&json!({"sub": who.user_id, "iat": now, "exp": now + 3600}));
    assert_eq!(app.call(list_tasks(&who.user_id, &hour)).await.status, 200);
    let year_3000 = hs256_with(&json!({"sub": who.user_id, "iat": now, "exp": 32_503_680_000i64}));
    let response = app.call(list_tasks(&who.user_id, &year_3000)).await;
    assert_eq!(response.status, 401, "{}", response.raw_body);
    // Without iat, the lifetime counts from now.
    let no_iat = hs256_with(&json!({"sub": who.user_id, "exp": now + 400 * 86_400}));
    assert_eq!(
        app.call(list_tasks(&who.user_id, &no_iat)).await.status,
        401
    );

    let capped = second_state(&app, &[("JWT_HS256_MAX_LIFETIME_SECONDS", "600")]).await;
    let response = call_with(&capped, list_tasks(&who.user_id, &hour)).await;
    assert_eq!(response.status, 401, "{}", response.raw_body);

    let off = second_state(&app, &[("JWT_ACCEPT_HS256", "false")]).await;
    let response = call_with(&off, list_tasks(&who.user_id, &hour)).await;
    assert_eq!(response.status, 401, "{}", response.raw_body);
    let eddsa = jwt_for(&app, &who).await;
    assert_eq!(
        call_with(&off, list_tasks(&who.user_id, &eddsa))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_key_deleted_from_the_jwks_table_stops_verifying_after_the_refresh_interval() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let jwt = jwt_for(&app, &who).await;
    let instance = second_state(&app, &[("JWT_KEYS_REFRESH_SECONDS", "1")]).await;
    assert_eq!(
        call_with(&instance, list_tasks(&who.user_id, &jwt))
            .await
            .status,
        200
    );
    app.database.execute(r#"delete from "jwks""#, &[]).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let response = call_with(&instance, list_tasks(&who.user_id, &jwt)).await;
    assert_eq!(response.status, 401, "{}", response.raw_body);
}
