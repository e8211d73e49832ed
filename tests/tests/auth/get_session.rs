//! `GET /api/auth/get-session`.

use api_tests::Fixture;
use api_tests::auth::*;
use chrono::{DateTime, Utc};
use jsonwebtoken::DecodingKey;
use serde_json::{Value, json};

#[tokio::test]
async fn get_session_without_a_cookie_is_null_and_not_cacheable() {
    let app = app().await;
    let response = app.call(anonymous("get-session")).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.raw_body, "null");
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(response.header("pragma"), Some("no-cache"));
    assert!(response.set_cookies().is_empty());
    assert!(response.header("set-auth-jwt").is_none());
}

#[tokio::test]
async fn get_session_with_a_bad_signature_or_an_unsigned_token_is_null_without_set_cookie() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    // The fixture's own cookie is signed with another secret.
    let foreign_secret = app.call(Fixture::load("get-session")).await;
    let tampered = format!("{SESSION_COOKIE}=XXXX{}", &cookie_value(&who.cookie)[4..]);
    let tampered = app.call(with_cookie("get-session", &tampered)).await;
    let unsigned = app
        .call(with_cookie(
            "get-session",
            &format!("{SESSION_COOKIE}={}", who.token),
        ))
        .await;
    for response in [foreign_secret, tampered, unsigned] {
        assert_eq!(response.status, 200);
        assert_eq!(response.raw_body, "null");
        assert_eq!(response.header("cache-control"), Some("no-store"));
        assert!(
            response.set_cookies().is_empty(),
            "{:?}",
            response.set_cookies()
        );
    }
}

#[tokio::test]
async fn get_session_for_a_deleted_session_is_null_and_clears_the_cookies() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    app.database
        .execute(r#"delete from "session" where "token" = $1"#, &[&who.token])
        .await;
    let response = app.call(with_cookie("get-session", &who.cookie)).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.raw_body, "null");
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(response.header("pragma"), Some("no-cache"));
    assert_eq!(response.set_cookies(), CLEARING_COOKIES);
    assert!(response.header("set-auth-jwt").is_none());
    assert!(response.header("access-control-expose-headers").is_none());
}

#[tokio::test]
async fn get_session_for_an_expired_session_is_null_clears_the_cookies_and_deletes_the_row() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    app.database
        .execute(
            r#"update "session" set "expiresAt" = now() - interval '1 second' where "token" = $1"#,
            &[&who.token],
        )
        .await;
    let response = app.call(with_cookie("get-session", &who.cookie)).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.raw_body, "null");
    assert_eq!(response.set_cookies(), CLEARING_COOKIES);
    assert_eq!(session_expiry(&app, &who.token).await, None, "row deleted");
    assert_eq!(session_count(&app).await, 0);
}

#[tokio::test]
async fn get_session_returns_the_session_and_user_with_a_jwt_header() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let response = app.call(with_cookie("get-session", &who.cookie)).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(keys(&response.body), ["session", "user"]);
    let session = &response.body["session"];
    assert_eq!(keys(session), SESSION_KEYS);
    assert_eq!(session["token"], json!(who.token));
    assert_eq!(session["userId"], json!(who.user_id));
    assert_eq!(session["ipAddress"], json!(FIXTURE_IP));
    assert_eq!(session["userAgent"], json!(FIXTURE_USER_AGENT));
    assert_id(session["id"].as_str().unwrap());
    let created = iso_ms(&session["createdAt"]);
    assert_eq!(iso_ms(&session["updatedAt"]), created);
    assert_eq!(
        iso_ms(&session["expiresAt"]),
        created + chrono::Duration::days(7)
    );
    assert_eq!(
        Some(iso_ms(&session["expiresAt"])),
        session_expiry(&app, &who.token).await
    );
    assert_eq!(response.body["user"], who.response.body["user"]);
    assert_eq!(keys(&response.body["user"]), USER_KEYS);

    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(response.header("pragma"), Some("no-cache"));
    assert!(
        response.set_cookies().is_empty(),
        "a fresh session is not re-sent"
    );
    let jwt = response.header("set-auth-jwt").expect("set-auth-jwt");
    let (header, claims) = jwt_parts(jwt);
    assert_eq!(header["alg"], json!("EdDSA"));
    assert_eq!(keys(&claims), CLAIM_KEYS);
    assert_eq!(claims["sub"], json!(who.user_id));
    let jwks = app.call(Fixture::load("jwks")).await;
    let key = &jwks.body["keys"][0];
    assert_eq!(header["kid"], key["kid"]);
    let decoding = DecodingKey::from_ed_components(key["x"].as_str().unwrap()).unwrap();
    jsonwebtoken::decode::<Value>(jwt, &decoding, &eddsa_validation())
        .expect("set-auth-jwt verifies with the /jwks key");
    assert!(
        response
            .headers
            .get_all("access-control-expose-headers")
            .iter()
            .any(|v| v.to_str().unwrap().contains("set-auth-jwt"))
    );
}

#[tokio::test]
async fn get_session_extends_a_session_older_than_a_day_to_7_days() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    app.database
        .execute(
            r#"update "session" set "expiresAt" = now() + interval '6 days' - interval '1 minute'
               where "token" = $1"#,
            &[&who.token],
        )
        .await;
    let response = app.call(with_cookie("get-session", &who.cookie)).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    let session = &response.body["session"];
    let now = Utc::now();
    let expires = iso_ms(&session["expiresAt"]);
    assert_near(expires, now + chrono::Duration::days(7), "expiresAt");
    assert_near(iso_ms(&session["updatedAt"]), now, "updatedAt");
    assert_eq!(session_expiry(&app, &who.token).await, Some(expires));
    let updated: DateTime<Utc> = app
        .database
        .query(
            r#"select "updatedAt" from "session" where "token" = $1"#,
            &[&who.token],
        )
        .await[0]
        .get(0);
    assert_eq!(updated, iso_ms(&session["updatedAt"]));
    assert_eq!(
        response.set_cookies(),
        [format!(
            "{}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax",
            who.cookie
        )]
    );
    assert!(response.header("set-auth-jwt").is_some());

    let again = app.call(with_cookie("get-session", &who.cookie)).await;
    assert_eq!(again.status, 200);
    assert!(again.set_cookies().is_empty(), "{:?}", again.set_cookies());
}

#[tokio::test]
async fn get_session_accepts_a_bearer_raw_token_or_token_dot_signature() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let signed = who.response.header("set-auth-token").unwrap().to_owned();
    for bearer in [
        who.token.clone(),
        signed,
        cookie_value(&who.cookie).to_owned(),
    ] {
        let response = app.call(anonymous("get-session").bearer(&bearer)).await;
        assert_eq!(response.status, 200, "{bearer}: {}", response.raw_body);
        assert_eq!(
            response.body["session"]["token"],
            json!(who.token),
            "Bearer {bearer}"
        );
    }
}

#[tokio::test]
async fn get_session_falls_back_to_the_cookie_when_the_bearer_is_a_jwt() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let jwt = jwt_for(&app, &who).await;
    let response = app
        .call(with_cookie("get-session", &who.cookie).bearer(&jwt))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(response.body["session"]["token"], json!(who.token));
}

#[tokio::test]
async fn get_session_with_an_unknown_bearer_token_is_null_and_clears_the_cookies() {
    let app = app().await;
    let response = app.call(anonymous("get-session").bearer("nope")).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.raw_body, "null");
    assert_eq!(response.set_cookies(), CLEARING_COOKIES);
}

#[tokio::test]
async fn get_session_extending_a_bearer_session_sends_set_auth_token() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    app.database
        .execute(
            r#"update "session" set "expiresAt" = now() + interval '6 days' - interval '1 minute'"#,
            &[],
        )
        .await;
    let response = app.call(anonymous("get-session").bearer(&who.token)).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(
        response.header("set-auth-token"),
        who.response.header("set-auth-token")
    );
    assert_eq!(
        response.header("access-control-expose-headers"),
        Some("set-auth-jwt, set-auth-token")
    );
    assert!(response.header("set-auth-jwt").is_some());
    assert_eq!(
        response.set_cookies(),
        [format!(
            "{}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax",
            who.cookie
        )]
    );
    // Without a refresh there is no set-auth-token.
    let again = app.call(anonymous("get-session").bearer(&who.token)).await;
    assert!(again.header("set-auth-token").is_none());
    assert_eq!(
        again.header("access-control-expose-headers"),
        Some("set-auth-jwt")
    );
}
