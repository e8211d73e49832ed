//! The Better Auth routes (sign-up, sign-in, get-session, token, jwks, sign-out) through their
//! handlers, on a real PostgreSQL database per test, checked against the contract
//! (`shared/better-auth-protocol.md`) and the facts measured on Better Auth 1.7.25
//! (`e2e/MEASURED.md`).
//!
//! The auth fixtures carry a session cookie signed with a placeholder secret: every test
//! replaces (or removes) cookies and sets the Origin-related headers it depends on.

use std::collections::HashMap;
use std::time::Duration;

use api_tests::{Fixture, TEST_BASE_URL, TEST_SECRET, TestApp, TestResponse};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};
use shared::State;
use shared::auth::cookie::{sign_cookie_value, verify_signed_cookie_value};
use shared::auth::jwk::{
    decrypt_private_key, encrypt_private_key, generate_ed25519_key, pkcs8_der_from_private_jwk,
};
use shared::config::Config;

const TRUSTED_ORIGIN: &str = "http://localhost:3000";
const FOREIGN_ORIGIN: &str = "http://evil.example";
const PASSWORD: &str = "correct horse battery staple";
/// `requestContext.http.sourceIp` and `user-agent` of the fixtures.
const FIXTURE_IP: &str = "203.0.113.7";
const FIXTURE_USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36";
const SESSION_COOKIE: &str = "better-auth.session_token";
const DONT_REMEMBER_COOKIE: &str = "better-auth.dont_remember";
const CLEARING_COOKIES: [&str; 3] = [
    "better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
    "better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
    "better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
];
const USER_KEYS: [&str; 7] = [
    "name",
    "email",
    "emailVerified",
    "image",
    "createdAt",
    "updatedAt",
    "id",
];
const SESSION_KEYS: [&str; 8] = [
    "expiresAt",
    "token",
    "createdAt",
    "updatedAt",
    "ipAddress",
    "userAgent",
    "userId",
    "id",
];
const CLAIM_KEYS: [&str; 12] = [
    "iat",
    "name",
    "email",
    "emailVerified",
    "image",
    "createdAt",
    "updatedAt",
    "id",
    "sub",
    "exp",
    "iss",
    "aud",
];
const RATE_LIMITED: &str = r#"{"message":"Too many requests. Please try again later."}"#;

// ------------------------------------------------------------------------------------------
// Helpers

/// An app whose sign-in/sign-up rate limit never gets in the way (tests of the limit use
/// [`TestApp::new`], which has the default 3 per 10 s).
async fn app() -> TestApp {
    TestApp::with_env(&[("AUTH_RATE_LIMIT_MAX", "100000")]).await
}

/// The environment [`TestApp::with_env`] builds, for a second [`State`] on the same database
/// (through the same round-trip counter), like a second Lambda instance.
async fn second_state(app: &TestApp, overrides: &[(&str, &str)]) -> State {
    let mut env: HashMap<String, String> = HashMap::from([
        ("BETTER_AUTH_SECRET".into(), TEST_SECRET.into()),
        ("BETTER_AUTH_URL".into(), TEST_BASE_URL.into()),
        (
            "DATABASE_URL".into(),
            app.database.url_via_port(app.counter.port()),
        ),
        ("CORS_ORIGINS".into(), TRUSTED_ORIGIN.into()),
    ]);
    for (key, value) in overrides {
        env.insert((*key).into(), (*value).into());
    }
    let config = Config::from_sources(&env, None).expect("config");
    State::from_config(config).await.expect("state")
}

/// Sends a fixture to its function's handler with another instance's state.
async fn call_with(state: &State, fixture: Fixture) -> TestResponse {
    let handler = local_api::functions::handler(fixture.function()).expect("handler");
    TestResponse::from(handler(state, fixture.request()).await)
}

fn sign_up_request(body: Value) -> Fixture {
    Fixture::load("sign-up-email").without_cookies().body(body)
}

fn sign_in_request(body: Value) -> Fixture {
    Fixture::load("sign-in-email").without_cookies().body(body)
}

fn new_user(email: &str) -> Value {
    json!({"email": email, "password": PASSWORD, "name": "Ada Lovelace"})
}

fn credentials(email: &str) -> Value {
    json!({"email": email, "password": PASSWORD})
}

/// A GET route's fixture with `cookie` as its only cookies.
fn with_cookie(function: &str, cookie: &str) -> Fixture {
    Fixture::load(function).cookie(cookie)
}

/// A GET route's fixture without any cookie.
fn anonymous(function: &str) -> Fixture {
    Fixture::load(function).without_cookies()
}

/// Removes every header that names where a request came from.
fn no_origin(fixture: Fixture) -> Fixture {
    fixture.without_header("origin").without_header("referer")
}

/// Someone signed in: the response and what a client keeps from it.
struct SignedIn {
    response: TestResponse,
    token: String,
    user_id: String,
    /// `better-auth.session_token=<signed value>`, as a browser sends it back.
    cookie: String,
}

impl SignedIn {
    fn from(response: TestResponse) -> Self {
        assert_eq!(response.status, 200, "{}", response.raw_body);
        let token = response.body["token"].as_str().expect("token").to_owned();
        let user_id = response.body["user"]["id"]
            .as_str()
            .expect("user id")
            .to_owned();
        let cookie = cookie_pair(&response, SESSION_COOKIE);
        SignedIn {
            response,
            token,
            user_id,
            cookie,
        }
    }
}

async fn sign_up(app: &TestApp, email: &str) -> SignedIn {
    SignedIn::from(app.call(sign_up_request(new_user(email))).await)
}

async fn sign_in(app: &TestApp, email: &str) -> SignedIn {
    SignedIn::from(app.call(sign_in_request(credentials(email))).await)
}

/// `name=value` of a Set-Cookie the response sent.
fn cookie_pair(response: &TestResponse, name: &str) -> String {
    let set_cookie = response
        .set_cookie(name)
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", response.set_cookies()));
    set_cookie.split(';').next().unwrap().to_owned()
}

fn cookie_value(pair: &str) -> &str {
    pair.split_once('=').expect("name=value").1
}

/// Rows in user, account, session and jwks.
async fn row_counts(app: &TestApp) -> [i64; 4] {
    let rows = app
        .database
        .query(
            r#"select (select count(*) from "user"), (select count(*) from "account"),
                      (select count(*) from "session"), (select count(*) from "jwks")"#,
            &[],
        )
        .await;
    [
        rows[0].get(0),
        rows[0].get(1),
        rows[0].get(2),
        rows[0].get(3),
    ]
}

async fn session_count(app: &TestApp) -> i64 {
    row_counts(app).await[2]
}

/// `expiresAt` of the session row with `token`, if there is one.
async fn session_expiry(app: &TestApp, token: &str) -> Option<DateTime<Utc>> {
    app.database
        .query(
            r#"select "expiresAt" from "session" where "token" = $1"#,
            &[&token],
        )
        .await
        .first()
        .map(|row| row.get(0))
}

/// Asserts a Better Auth error: status, exactly `{"message","code"}` in that order, JSON,
/// and no cookie.
fn assert_error(response: &TestResponse, status: u16, code: &str, message: &str) {
    assert_eq!(response.status, status, "{}", response.raw_body);
    assert_eq!(
        response.raw_body,
        json!({"message": message, "code": code}).to_string()
    );
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert!(
        response.set_cookies().is_empty(),
        "{:?}",
        response.set_cookies()
    );
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn assert_id(text: &str) {
    assert_eq!(text.len(), 32, "{text}");
    assert!(text.chars().all(|c| c.is_ascii_alphanumeric()), "{text}");
}

/// An ISO-8601 date with milliseconds and `Z`, as JavaScript's `toISOString`.
fn iso_ms(value: &Value) -> DateTime<Utc> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a date: {value}"));
    assert_eq!(text.len(), 24, "{text}");
    assert!(text.ends_with('Z') && &text[19..20] == ".", "{text}");
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&Utc)
}

fn assert_near(actual: DateTime<Utc>, expected: DateTime<Utc>, what: &str) {
    let off = (actual - expected).num_milliseconds().abs();
    assert!(off < 10_000, "{what}: {actual} is {off} ms from {expected}");
}

/// The header and the claims of a JWT, as JSON (key order kept).
fn jwt_parts(jwt: &str) -> (Value, Value) {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    let decode = |part: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
    };
    (decode(parts[0]), decode(parts[1]))
}

fn raw_jwt_header(jwt: &str) -> String {
    String::from_utf8(
        URL_SAFE_NO_PAD
            .decode(jwt.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap()
}

fn eddsa_validation() -> Validation {
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[TEST_BASE_URL]);
    validation.set_audience(&[TEST_BASE_URL]);
    validation
}

/// The newest key of the `jwks` table, decrypted with the test secret.
async fn stored_signing_key(app: &TestApp) -> (String, EncodingKey) {
    let rows = app
        .database
        .query(
            r#"select "id", "privateKey" from "jwks" order by "createdAt" desc limit 1"#,
            &[],
        )
        .await;
    let (kid, stored): (String, String) = (rows[0].get(0), rows[0].get(1));
    let jwk = decrypt_private_key(&stored, TEST_SECRET).expect("decrypts");
    let der = pkcs8_der_from_private_jwk(&jwk).expect("PKCS#8");
    (kid, EncodingKey::from_ed_der(&der))
}

fn eddsa_jwt(kid: &str, key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = None;
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, key).expect("sign")
}

fn claims_for(user_id: &str, iss: &str, aud: &str) -> Value {
    let now = Utc::now().timestamp();
    json!({"iat": now, "sub": user_id, "exp": now + 900, "iss": iss, "aud": aud})
}

/// A JWT from `/token` for a signed-in user.
async fn jwt_for(app: &TestApp, who: &SignedIn) -> String {
    let response = app.call(with_cookie("token", &who.cookie)).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    response.body["token"].as_str().expect("token").to_owned()
}

fn list_tasks(user_id: &str, jwt: &str) -> Fixture {
    Fixture::load("list-tasks").user(user_id).bearer(jwt)
}

fn scrypt_vector() -> (String, String) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/tests/vectors/vectors.json"
    );
    let vectors: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let ascii = &vectors["scrypt"]["ascii"];
    (
        ascii["password"].as_str().unwrap().to_owned(),
        ascii["hash"].as_str().unwrap().to_owned(),
    )
}

// ------------------------------------------------------------------------------------------
// Sign-up

#[tokio::test]
async fn sign_up_returns_token_and_user_in_better_auths_key_order() {
    let app = app().await;
    let response = app
        .call(sign_up_request(new_user("Ada.Lovelace@Example.COM")))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let body = &response.body;
    assert_eq!(keys(body), ["token", "user"]);
    assert_id(body["token"].as_str().unwrap());
    let user = &body["user"];
    assert_eq!(keys(user), USER_KEYS);
    assert_eq!(user["name"], json!("Ada Lovelace"));
    assert_eq!(
        user["email"],
        json!("ada.lovelace@example.com"),
        "lowercased"
    );
    assert_eq!(user["emailVerified"], json!(false));
    assert_eq!(user["image"], Value::Null);
    assert_id(user["id"].as_str().unwrap());
    let created = iso_ms(&user["createdAt"]);
    assert_eq!(iso_ms(&user["updatedAt"]), created);
    assert_near(created, Utc::now(), "createdAt");
}

#[tokio::test]
async fn sign_up_stores_user_credential_account_and_session() {
    let app = app().await;
    let response = app
        .call(sign_up_request(new_user("Ada@Example.com")).source_ip("198.51.100.23"))
        .await;
    let who = SignedIn::from(response);

    let user = &app
        .database
        .query(
            r#"select "name", "email", "emailVerified", "image", "createdAt" from "user" where "id" = $1"#,
            &[&who.user_id],
        )
        .await[0];
    assert_eq!(user.get::<_, String>(0), "Ada Lovelace");
    assert_eq!(user.get::<_, String>(1), "ada@example.com");
    assert!(!user.get::<_, bool>(2));
    assert_eq!(user.get::<_, Option<String>>(3), None);
    assert_eq!(
        user.get::<_, DateTime<Utc>>(4),
        iso_ms(&who.response.body["user"]["createdAt"]),
        "the row and the JSON agree to the millisecond"
    );

    let accounts = app
        .database
        .query(
            r#"select "id", "accountId", "providerId", "password" from "account" where "userId" = $1"#,
            &[&who.user_id],
        )
        .await;
    assert_eq!(accounts.len(), 1);
    let account = &accounts[0];
    assert_id(&account.get::<_, String>(0));
    assert_eq!(
        account.get::<_, String>(1),
        who.user_id,
        "accountId = user id"
    );
    assert_eq!(account.get::<_, String>(2), "credential");
    let hash: String = account.get(3);
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(shared::auth::password::verify_password(PASSWORD, &hash));
    assert!(!shared::auth::password::verify_password(
        "wrong password",
        &hash
    ));

    let sessions = app
        .database
        .query(
            r#"select "id", "token", "ipAddress", "userAgent", "expiresAt", "createdAt", "updatedAt"
               from "session" where "userId" = $1"#,
            &[&who.user_id],
        )
        .await;
    assert_eq!(sessions.len(), 1);
    let session = &sessions[0];
    assert_id(&session.get::<_, String>(0));
    assert_eq!(session.get::<_, String>(1), who.token, "the raw token");
    assert_eq!(
        session.get::<_, Option<String>>(2).as_deref(),
        Some("198.51.100.23"),
        "ipAddress is API Gateway's sourceIp"
    );
    assert_eq!(
        session.get::<_, Option<String>>(3).as_deref(),
        Some(FIXTURE_USER_AGENT)
    );
    let created: DateTime<Utc> = session.get(5);
    assert_eq!(session.get::<_, DateTime<Utc>>(6), created);
    assert_eq!(
        session.get::<_, DateTime<Utc>>(4),
        created + chrono::Duration::days(7)
    );
}

#[tokio::test]
async fn sign_up_sets_a_session_cookie_signed_with_the_secret() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let cookies = who.response.set_cookies();
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let value = cookie_value(&who.cookie);
    assert_eq!(
        cookies[0],
        format!("{SESSION_COOKIE}={value}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax")
    );
    assert_eq!(
        verify_signed_cookie_value(value, TEST_SECRET).as_deref(),
        Some(who.token.as_str())
    );
    assert_eq!(value, sign_cookie_value(&who.token, TEST_SECRET));
    let (token, signature) = value.split_once('.').unwrap();
    assert_eq!(token, who.token);
    assert!(
        signature.ends_with("%3D") && !signature.contains(['+', '/', '=']),
        "the signature is URL-encoded: {signature}"
    );
}

#[tokio::test]
async fn sign_up_sends_set_auth_token_as_token_dot_signature_not_url_encoded() {
    let app = app().await;
    let who = sign_up(&app, "ada@example.com").await;
    let header = who
        .response
        .header("set-auth-token")
        .expect("set-auth-token");
    let (token, signature) = header.split_once('.').unwrap();
    assert_eq!(token, who.token);
    assert_eq!(signature.len(), 44, "{signature}");
    assert!(
        signature.ends_with('=') && !header.contains('%'),
        "{header}"
    );
    let decoded_cookie = cookie_value(&who.cookie)
        .replace("%2B", "+")
        .replace("%2F", "/")
        .replace("%3D", "=");
    assert_eq!(header, decoded_cookie);
    assert_eq!(
        verify_signed_cookie_value(header, TEST_SECRET).as_deref(),
        Some(who.token.as_str())
    );
    assert!(
        who.response
            .header("access-control-expose-headers")
            .is_some_and(|v| v.contains("set-auth-token"))
    );
}

#[tokio::test]
async fn sign_up_with_an_existing_email_in_any_case_is_422() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let before = row_counts(&app).await;
    for email in ["ada@example.com", "ADA@Example.COM"] {
        let response = app.call(sign_up_request(new_user(email))).await;
        assert_error(
            &response,
            422,
            "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
            "User already exists. Use another email.",
        );
    }
    assert_eq!(row_counts(&app).await, before);
}

#[tokio::test]
async fn sign_up_password_must_be_8_to_128_characters() {
    let app = app().await;
    let before = row_counts(&app).await;
    let too_short = app
        .call(sign_up_request(
            json!({"email": "a@example.com", "password": "1234567", "name": "A"}),
        ))
        .await;
    assert_error(&too_short, 400, "PASSWORD_TOO_SHORT", "Password too short");
    let too_long = app
        .call(sign_up_request(
            json!({"email": "a@example.com", "password": "p".repeat(129), "name": "A"}),
        ))
        .await;
    assert_error(&too_long, 400, "PASSWORD_TOO_LONG", "Password too long");
    assert_eq!(row_counts(&app).await, before);

    for (email, password) in [
        ("eight@example.com", "12345678".to_owned()),
        ("max@example.com", "p".repeat(128)),
    ] {
        let response = app
            .call(sign_up_request(
                json!({"email": email, "password": password, "name": "A"}),
            ))
            .await;
        assert_eq!(response.status, 200, "{email}: {}", response.raw_body);
    }
}

#[tokio::test]
async fn sign_up_checks_password_length_before_looking_for_a_duplicate() {
    let app = app().await;
    sign_up(&app, "extra@example.com").await;
    let response = app
        .call(sign_up_request(
            json!({"email": "EXTRA@example.com", "password": "short", "name": "A"}),
        ))
        .await;
    assert_error(&response, 400, "PASSWORD_TOO_SHORT", "Password too short");
}

/// MEASURED.md's sign-up validation table, row by row.
#[tokio::test]
async fn sign_up_validation_messages_match_better_auth() {
    let app = app().await;
    let before = row_counts(&app).await;
    let undefined =
        |field: &str| format!("[body.{field}] Invalid input: expected string, received undefined");
    let cases: Vec<(&str, String, String)> = vec![
        (
            "no email",
            json!({"password": PASSWORD, "name": "A"}).to_string(),
            undefined("email"),
        ),
        (
            "no password",
            json!({"email": "a@example.com", "name": "A"}).to_string(),
            undefined("password"),
        ),
        (
            "no name",
            json!({"email": "a@example.com", "password": PASSWORD}).to_string(),
            undefined("name"),
        ),
        (
            "name 5",
            json!({"email": "a@example.com", "password": PASSWORD, "name": 5}).to_string(),
            "[body.name] Invalid input: expected string, received number".into(),
        ),
        (
            "name null",
            json!({"email": "a@example.com", "password": PASSWORD, "name": null}).to_string(),
            "[body.name] Invalid input: expected string, received null".into(),
        ),
        (
            "email 5",
            json!({"email": 5, "password": PASSWORD, "name": "A"}).to_string(),
            "[body.email] Invalid input: expected string, received number".into(),
        ),
        (
            "password number",
            json!({"email": "a@example.com", "password": 12345678, "name": "A"}).to_string(),
            "[body.password] Invalid input: expected string, received number".into(),
        ),
        (
            "empty password",
            json!({"email": "a@example.com", "password": "", "name": "A"}).to_string(),
            "[body.password] Too small: expected string to have >=1 characters".into(),
        ),
        (
            "image 5",
            json!({"email": "a@example.com", "password": PASSWORD, "name": "A", "image": 5})
                .to_string(),
            "[body.image] Invalid input: expected string, received number".into(),
        ),
        (
            "rememberMe string",
            json!({"email": "a@example.com", "password": PASSWORD, "name": "A", "rememberMe": "no"})
                .to_string(),
            "[body.rememberMe] Invalid input: expected boolean, received string".into(),
        ),
        (
            "bad email and no name",
            json!({"email": "bad", "password": PASSWORD}).to_string(),
            "[body.name] Invalid input: expected string, received undefined; [body.email] Invalid email address".into(),
        ),
        (
            "email with spaces",
            json!({"email": "  Spaces.UP@Example.com ", "password": PASSWORD, "name": "A"})
                .to_string(),
            "[body.email] Invalid email address".into(),
        ),
        (
            "{}",
            "{}".into(),
            format!(
                "{}; {}; {}",
                undefined("name"),
                undefined("email"),
                undefined("password")
            ),
        ),
        (
            "empty body",
            String::new(),
            "[body] Invalid input: expected object, received undefined; [body] Invalid input: expected record, received undefined".into(),
        ),
        (
            "[]",
            "[]".into(),
            "[body] Invalid input: expected object, received array; [body] Invalid input: expected record, received array".into(),
        ),
        (
            "null",
            "null".into(),
            "[body] Invalid input: expected object, received null; [body] Invalid input: expected record, received null".into(),
        ),
        (
            "a string",
            "\"x\"".into(),
            "[body] Invalid input: expected object, received string; [body] Invalid input: expected record, received string".into(),
        ),
    ];
    for (case, body, message) in cases {
        let response = app
            .call(
                Fixture::load("sign-up-email")
                    .without_cookies()
                    .raw_body(&body),
            )
            .await;
        assert_eq!(response.status, 400, "{case}: {}", response.raw_body);
        assert_error(&response, 400, "VALIDATION_ERROR", &message);
    }
    // No content-type: the body is ignored, as if absent.
    let response = app
        .call(sign_up_request(new_user("a@example.com")).without_header("content-type"))
        .await;
    assert_error(
        &response,
        400,
        "VALIDATION_ERROR",
        "[body] Invalid input: expected object, received undefined; [body] Invalid input: expected record, received undefined",
    );
    assert_eq!(row_counts(&app).await, before);
}

#[tokio::test]
async fn sign_up_ignores_unknown_fields_and_accepts_an_empty_name() {
    let app = app().await;
    let response = app
        .call(sign_up_request(json!({
            "email": "x@example.com", "password": PASSWORD, "name": "",
            "foo": 1, "emailVerified": true, "id": "abc", "role": "admin"
        })))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    let user = &response.body["user"];
    assert_eq!(user["name"], json!(""));
    assert_eq!(user["emailVerified"], json!(false));
    assert_id(user["id"].as_str().unwrap());
}

#[tokio::test]
async fn sign_up_with_invalid_json_is_400_bad_request() {
    let app = app().await;
    let before = row_counts(&app).await;
    let response = app
        .call(
            Fixture::load("sign-up-email")
                .without_cookies()
                .raw_body("nope"),
        )
        .await;
    assert_error(
        &response,
        400,
        "BAD_REQUEST",
        "Invalid JSON in request body",
    );
    assert_eq!(row_counts(&app).await, before);
}

#[tokio::test]
async fn sign_up_with_a_text_plain_body_is_415() {
    let app = app().await;
    let before = row_counts(&app).await;
    let response = app
        .call(sign_up_request(new_user("a@example.com")).header("content-type", "text/plain"))
        .await;
    assert_error(
        &response,
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "Content-Type \"text/plain\" is not allowed. Allowed types: application/x-www-form-urlencoded, application/json",
    );
    assert_eq!(row_counts(&app).await, before);
}

#[tokio::test]
async fn sign_up_accepts_a_form_urlencoded_body_and_json_with_a_charset() {
    let app = app().await;
    let form = "name=Form+User&email=Form%40Example.com&password=correct+horse+battery+staple";
    let response = app
        .call(
            Fixture::load("sign-up-email")
                .without_cookies()
                .header("content-type", "application/x-www-form-urlencoded")
                .raw_body(form),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(response.body["user"]["email"], json!("form@example.com"));
    assert_eq!(response.body["user"]["name"], json!("Form User"));
    sign_in(&app, "form@example.com").await;

    let response = app
        .call(
            sign_up_request(new_user("charset@example.com"))
                .header("content-type", "application/json; charset=utf-8"),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
}

#[tokio::test]
async fn sign_up_body_over_64_kib_is_413_and_stores_nothing() {
    let app = app().await;
    let before = row_counts(&app).await;
    let body =
        json!({"email": "big@example.com", "password": PASSWORD, "name": "n".repeat(64 * 1024)});
    let response = app.call(sign_up_request(body)).await;
    assert_eq!(response.status, 413, "{}", response.raw_body);
    assert_eq!(response.body["code"], json!("PAYLOAD_TOO_LARGE"));
    assert!(response.set_cookies().is_empty());
    assert_eq!(row_counts(&app).await, before);
}

#[tokio::test]
async fn racing_sign_ups_with_one_email_on_one_instance_create_one_user() {
    let app = app().await;
    let (first, second) = tokio::join!(
        app.call(sign_up_request(new_user("race@example.com"))),
        app.call(sign_up_request(new_user("RACE@example.com"))),
    );
    assert_one_winner(&app, [first, second]).await;
}

#[tokio::test]
async fn racing_sign_ups_with_one_email_on_two_instances_create_one_user() {
    let app = app().await;
    let other = second_state(&app, &[("AUTH_RATE_LIMIT_MAX", "100000")]).await;
    let (first, second) = tokio::join!(
        app.call(sign_up_request(new_user("race@example.com"))),
        call_with(&other, sign_up_request(new_user("race@example.com"))),
    );
    assert_one_winner(&app, [first, second]).await;
}

async fn assert_one_winner(app: &TestApp, responses: [TestResponse; 2]) {
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [200, 422],
        "{:?}",
        responses.iter().map(|r| &r.raw_body).collect::<Vec<_>>()
    );
    let loser = responses.iter().find(|r| r.status == 422).unwrap();
    assert_error(
        loser,
        422,
        "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
        "User already exists. Use another email.",
    );
    assert_eq!(row_counts(app).await[..3], [1, 1, 1]);
}

// ------------------------------------------------------------------------------------------
// Sign-in

#[tokio::test]
async fn sign_in_returns_redirect_false_token_and_user_and_starts_a_new_session() {
    let app = app().await;
    let signed_up = sign_up(&app, "ada@example.com").await;
    let response = app
        .call(sign_in_request(credentials("ada@example.com")))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(keys(&response.body), ["redirect", "token", "user"]);
    assert_eq!(response.body["redirect"], json!(false));
    assert_eq!(response.body["user"], signed_up.response.body["user"]);
    assert!(response.header("location").is_none());
    let who = SignedIn::from(response);
    assert_id(&who.token);
    assert_ne!(who.token, signed_up.token);
    assert_eq!(session_count(&app).await, 2);
    assert!(session_expiry(&app, &who.token).await.is_some());
    assert_eq!(
        who.response.set_cookies(),
        [format!(
            "{}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax",
            who.cookie
        )]
    );
    assert_eq!(
        verify_signed_cookie_value(cookie_value(&who.cookie), TEST_SECRET).as_deref(),
        Some(who.token.as_str())
    );
    let header = who.response.header("set-auth-token").unwrap();
    assert_eq!(
        verify_signed_cookie_value(header, TEST_SECRET).as_deref(),
        Some(who.token.as_str())
    );
}

#[tokio::test]
async fn sign_in_with_a_wrong_password_or_an_unknown_email_is_the_same_401() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let before = row_counts(&app).await;
    let wrong_password = app
        .call(sign_in_request(
            json!({"email": "ada@example.com", "password": "not the password"}),
        ))
        .await;
    let unknown_email = app
        .call(sign_in_request(credentials("nobody@example.com")))
        .await;
    for response in [&wrong_password, &unknown_email] {
        assert_error(
            response,
            401,
            "INVALID_EMAIL_OR_PASSWORD",
            "Invalid email or password",
        );
        assert!(response.header("set-auth-token").is_none());
    }
    assert_eq!(wrong_password.raw_body, unknown_email.raw_body);
    assert_eq!(row_counts(&app).await, before);
}

#[tokio::test]
async fn sign_in_matches_the_email_case_insensitively() {
    let app = app().await;
    sign_up(&app, "extra@example.com").await;
    let who = sign_in(&app, "EXTRA@Example.COM").await;
    assert_eq!(
        who.response.body["user"]["email"],
        json!("extra@example.com")
    );
}

/// MEASURED.md's sign-in validation table.
#[tokio::test]
async fn sign_in_validation_messages_match_better_auth() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let before = row_counts(&app).await;
    let cases: Vec<(String, u16, &str, &str)> = vec![
        (
            json!({"email": "ada@example.com"}).to_string(),
            400,
            "VALIDATION_ERROR",
            "[body.password] Invalid input: expected string, received undefined",
        ),
        (
            json!({"password": PASSWORD}).to_string(),
            400,
            "VALIDATION_ERROR",
            "[body.email] Invalid input: expected string, received undefined",
        ),
        (
            String::new(),
            400,
            "VALIDATION_ERROR",
            "[body] Invalid input: expected object, received undefined",
        ),
        (
            json!({"email": "not-an-email", "password": PASSWORD}).to_string(),
            400,
            "INVALID_EMAIL",
            "Invalid email",
        ),
        (
            json!({"email": "ada@example.com", "password": ""}).to_string(),
            401,
            "INVALID_EMAIL_OR_PASSWORD",
            "Invalid email or password",
        ),
        (
            json!({"email": "ada@example.com", "password": "short"}).to_string(),
            401,
            "INVALID_EMAIL_OR_PASSWORD",
            "Invalid email or password",
        ),
        (
            json!({"email": "ada@example.com", "password": PASSWORD, "rememberMe": null})
                .to_string(),
            400,
            "VALIDATION_ERROR",
            "[body.rememberMe] Invalid input: expected boolean, received null",
        ),
        (
            "nope".into(),
            400,
            "BAD_REQUEST",
            "Invalid JSON in request body",
        ),
    ];
    for (body, status, code, message) in cases {
        let response = app
            .call(
                Fixture::load("sign-in-email")
                    .without_cookies()
                    .raw_body(&body),
            )
            .await;
        assert_eq!(response.status, status, "{body}: {}", response.raw_body);
        assert_error(&response, status, code, message);
    }
    assert_eq!(row_counts(&app).await, before);

    let extra_field = app
        .call(sign_in_request(
            json!({"email": "ada@example.com", "password": PASSWORD, "foo": 1}),
        ))
        .await;
    assert_eq!(extra_field.status, 200, "{}", extra_field.raw_body);
}

#[tokio::test]
async fn sign_in_accepts_a_form_urlencoded_body() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let response = app
        .call(
            Fixture::load("sign-in-email")
                .without_cookies()
                .header("content-type", "application/x-www-form-urlencoded")
                .raw_body("email=ada%40example.com&password=correct+horse+battery+staple"),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
}

#[tokio::test]
async fn sign_in_for_a_user_without_a_credential_account_is_401() {
    let app = app().await;
    let user_id = app.create_user("Social").await;
    let email = format!("{}@example.com", user_id.to_lowercase());
    let response = app.call(sign_in_request(credentials(&email))).await;
    assert_error(
        &response,
        401,
        "INVALID_EMAIL_OR_PASSWORD",
        "Invalid email or password",
    );
}

#[tokio::test]
async fn sign_up_ignores_a_relative_callback_url() {
    let app = app().await;
    let response = app
        .call(sign_up_request(json!({
            "email": "ada@example.com", "password": PASSWORD, "name": "A", "callbackURL": "/x"
        })))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(keys(&response.body), ["token", "user"]);
    assert!(response.header("location").is_none());
}

#[tokio::test]
async fn sign_in_with_a_relative_callback_url_redirects_but_stays_200() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let response = app
        .call(sign_in_request(
            json!({"email": "ada@example.com", "password": PASSWORD, "callbackURL": "/x"}),
        ))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(keys(&response.body), ["redirect", "token", "url", "user"]);
    assert_eq!(response.body["redirect"], json!(true));
    assert_eq!(response.body["url"], json!("/x"));
    assert_eq!(response.header("location"), Some("/x"));
}

#[tokio::test]
async fn sign_in_with_a_foreign_callback_url_is_403_and_starts_no_session() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let before = row_counts(&app).await;
    let response = app
        .call(sign_in_request(json!({
            "email": "ada@example.com", "password": PASSWORD,
            "callbackURL": "http://evil.example/x"
        })))
        .await;
    assert_error(
        &response,
        403,
        "INVALID_CALLBACK_URL",
        "Invalid callbackURL",
    );
    assert_eq!(row_counts(&app).await, before);
}

#[tokio::test]
async fn user_with_a_better_auth_scrypt_hash_signs_in() {
    let app = app().await;
    let (password, hash) = scrypt_vector();
    let user_id = shared::auth::ids::random_id();
    app.database
        .execute(
            r#"insert into "user" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt")
               values ($1, 'Migrated', 'migrated@example.com', false, now(), now())"#,
            &[&user_id],
        )
        .await;
    app.database
        .execute(
            r#"insert into "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt")
               values ($1, $2, 'credential', $2, $3, now(), now())"#,
            &[&shared::auth::ids::random_id(), &user_id, &hash],
        )
        .await;
    let response = app
        .call(sign_in_request(
            json!({"email": "migrated@example.com", "password": password}),
        ))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(response.body["user"]["id"], json!(user_id));
    let wrong = app
        .call(sign_in_request(
            json!({"email": "migrated@example.com", "password": "wrong password"}),
        ))
        .await;
    assert_error(
        &wrong,
        401,
        "INVALID_EMAIL_OR_PASSWORD",
        "Invalid email or password",
    );
}

// ------------------------------------------------------------------------------------------
// rememberMe: false

#[tokio::test]
async fn remember_me_false_gives_a_one_day_session_cookie_without_max_age_and_a_dont_remember_cookie()
 {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let sign_up_short = app
        .call(sign_up_request(json!({
            "email": "short@example.com", "password": PASSWORD, "name": "S", "rememberMe": false
        })))
        .await;
    let sign_in_short = app
        .call(sign_in_request(json!({
            "email": "ada@example.com", "password": PASSWORD, "rememberMe": false
        })))
        .await;
    let dont_remember = format!(
        "{DONT_REMEMBER_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax",
        sign_cookie_value("true", TEST_SECRET)
    );
    for response in [sign_up_short, sign_in_short] {
        let who = SignedIn::from(response);
        assert_eq!(
            who.response.set_cookies(),
            [
                format!("{}; Path=/; HttpOnly; SameSite=Lax", who.cookie),
                dont_remember.clone()
            ]
        );
        let expiry = session_expiry(&app, &who.token).await.unwrap();
        assert_near(
            expiry,
            Utc::now() + chrono::Duration::days(1),
            "a rememberMe:false session lasts a day",
        );
    }
}

#[tokio::test]
async fn get_session_with_the_dont_remember_cookie_does_not_extend_the_session() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let who = SignedIn::from(
        app.call(sign_in_request(json!({
            "email": "ada@example.com", "password": PASSWORD, "rememberMe": false
        })))
        .await,
    );
    let marker = cookie_pair(&who.response, DONT_REMEMBER_COOKIE);
    let expiry = session_expiry(&app, &who.token).await.unwrap();

    let response = app
        .call(with_cookie(
            "get-session",
            &format!("{}; {marker}", who.cookie),
        ))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(response.body["session"]["token"], json!(who.token));
    assert!(
        response.set_cookies().is_empty(),
        "{:?}",
        response.set_cookies()
    );
    assert_eq!(iso_ms(&response.body["session"]["expiresAt"]), expiry);
    assert_eq!(session_expiry(&app, &who.token).await, Some(expiry));
}

#[tokio::test]
async fn get_session_without_the_dont_remember_cookie_extends_a_short_session_to_7_days() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let who = SignedIn::from(
        app.call(sign_in_request(json!({
            "email": "ada@example.com", "password": PASSWORD, "rememberMe": false
        })))
        .await,
    );
    let response = app.call(with_cookie("get-session", &who.cookie)).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    let expiry = session_expiry(&app, &who.token).await.unwrap();
    assert_near(expiry, Utc::now() + chrono::Duration::days(7), "extended");
    assert_eq!(
        response.set_cookies(),
        [format!(
            "{}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax",
            who.cookie
        )]
    );
}

#[tokio::test]
async fn remembered_sign_in_clears_a_validly_signed_dont_remember_cookie() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let marker = format!(
        "{DONT_REMEMBER_COOKIE}={}",
        sign_cookie_value("true", TEST_SECRET)
    );
    let response = app
        .call(
            Fixture::load("sign-in-email")
                .cookie(&marker)
                .header("origin", TRUSTED_ORIGIN)
                .body(credentials("ada@example.com")),
        )
        .await;
    let who = SignedIn::from(response);
    assert_eq!(
        who.response.set_cookies(),
        [
            format!(
                "{}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax",
                who.cookie
            ),
            CLEARING_COOKIES[2].to_owned()
        ]
    );

    let unsigned = app
        .call(
            Fixture::load("sign-in-email")
                .cookie(&format!("{DONT_REMEMBER_COOKIE}=x"))
                .header("origin", TRUSTED_ORIGIN)
                .body(credentials("ada@example.com")),
        )
        .await;
    assert_eq!(unsigned.status, 200, "{}", unsigned.raw_body);
    assert_eq!(
        unsigned.set_cookies().len(),
        1,
        "{:?}",
        unsigned.set_cookies()
    );
}

// ------------------------------------------------------------------------------------------
// get-session

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

// ------------------------------------------------------------------------------------------
// token

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

// ------------------------------------------------------------------------------------------
// JWTs on the task routes

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
    let unknown_kid = eddsa_jwt(&shared::auth::ids::random_id(), &key, &claims);
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
        let jwt = eddsa_jwt(&shared::auth::ids::random_id(), &key, &claims);
        let response = app.call(list_tasks(&who.user_id, &jwt)).await;
        assert_eq!(response.status, 401, "{}", response.raw_body);
    }
    assert!(
        app.take_round_trips() <= 1,
        "random kids must not each cost a reload"
    );
}

// ------------------------------------------------------------------------------------------
// jwks

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
    let kid = shared::auth::ids::random_id();
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

// ------------------------------------------------------------------------------------------
// sign-out

fn sign_out_request(cookie: &str) -> Fixture {
    Fixture::load("sign-out")
        .cookie(cookie)
        .header("origin", TRUSTED_ORIGIN)
}

fn assert_signed_out(response: &TestResponse) {
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(response.raw_body, r#"{"success":true}"#);
    assert_eq!(response.set_cookies(), CLEARING_COOKIES);
}

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

// ------------------------------------------------------------------------------------------
// Origin / CSRF on sign-in and sign-up (no cookies)

/// Both login routes, with a body that succeeds (sign-up) or reaches the password check
/// (sign-in of an unknown user) when the request is let through.
fn login_requests() -> [Fixture; 2] {
    [
        sign_up_request(new_user("csrf@example.com")),
        sign_in_request(credentials("nobody@example.com")),
    ]
}

#[tokio::test]
async fn cross_site_navigation_login_is_blocked() {
    let app = app().await;
    for fixture in login_requests() {
        let function = fixture.function().to_owned();
        let response = app
            .call(
                no_origin(fixture)
                    .header("sec-fetch-site", "cross-site")
                    .header("sec-fetch-mode", "navigate")
                    .header("sec-fetch-dest", "document"),
            )
            .await;
        assert_eq!(response.status, 403, "{function}: {}", response.raw_body);
        assert_eq!(
            response.body["code"],
            json!("CROSS_SITE_NAVIGATION_LOGIN_BLOCKED"),
            "{function}"
        );
        assert!(
            response.body["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert!(response.set_cookies().is_empty());
    }
    assert_eq!(row_counts(&app).await, [0; 4]);
}

#[tokio::test]
async fn login_with_fetch_metadata_but_no_origin_is_403_missing_or_null_origin() {
    let app = app().await;
    for fixture in login_requests() {
        let response = app
            .call(no_origin(fixture).header("sec-fetch-mode", "cors"))
            .await;
        assert_error(
            &response,
            403,
            "MISSING_OR_NULL_ORIGIN",
            "Missing or null Origin",
        );
    }
    assert_eq!(row_counts(&app).await, [0; 4]);
}

#[tokio::test]
async fn login_from_a_foreign_origin_is_403_invalid_origin() {
    let app = app().await;
    for with_fetch_metadata in [false, true] {
        for fixture in login_requests() {
            let mut fixture = no_origin(fixture).header("origin", FOREIGN_ORIGIN);
            if with_fetch_metadata {
                fixture = fixture
                    .header("sec-fetch-mode", "cors")
                    .header("sec-fetch-site", "cross-site");
            }
            let response = app.call(fixture).await;
            assert_error(&response, 403, "INVALID_ORIGIN", "Invalid origin");
        }
    }
    // A foreign Referer alone is checked too.
    for fixture in login_requests() {
        let response = app
            .call(no_origin(fixture).header("referer", "http://evil.example/page"))
            .await;
        assert_error(&response, 403, "INVALID_ORIGIN", "Invalid origin");
    }
    assert_eq!(row_counts(&app).await, [0; 4]);
}

#[tokio::test]
async fn login_with_origin_null_is_403_missing_or_null_origin() {
    let app = app().await;
    for fixture in login_requests() {
        let response = app.call(no_origin(fixture).header("origin", "null")).await;
        assert_error(
            &response,
            403,
            "MISSING_OR_NULL_ORIGIN",
            "Missing or null Origin",
        );
    }
}

#[tokio::test]
async fn login_without_fetch_metadata_or_origin_is_allowed_like_curl() {
    let app = app().await;
    let [sign_up_fixture, sign_in_fixture] = login_requests();
    let response = app.call(no_origin(sign_up_fixture)).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    let response = app.call(no_origin(sign_in_fixture)).await;
    assert_eq!(response.status, 401, "{}", response.raw_body);
}

#[tokio::test]
async fn login_with_fetch_metadata_and_a_trusted_origin_is_allowed() {
    let app = app().await;
    let [sign_up_fixture, _] = login_requests();
    let response = app
        .call(
            sign_up_fixture
                .header("sec-fetch-mode", "cors")
                .header("sec-fetch-site", "same-site")
                .header("origin", TRUSTED_ORIGIN),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
}

// ------------------------------------------------------------------------------------------
// Secure cookies

#[tokio::test]
async fn https_base_url_gives_secure_prefixed_cookies() {
    let app = TestApp::with_env(&[
        ("BETTER_AUTH_URL", "https://api.example.com"),
        ("AUTH_RATE_LIMIT_MAX", "100000"),
    ])
    .await;
    let response = app.call(sign_up_request(new_user("ada@example.com"))).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    let token = response.body["token"].as_str().unwrap();
    let name = "__Secure-better-auth.session_token";
    let value = sign_cookie_value(token, TEST_SECRET);
    assert_eq!(
        response.set_cookies(),
        [format!(
            "{name}={value}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax; Secure"
        )]
    );

    let session = app
        .call(with_cookie("get-session", &format!("{name}={value}")))
        .await;
    assert_eq!(session.body["session"]["token"], json!(token));
    let unprefixed = app
        .call(with_cookie(
            "get-session",
            &format!("{SESSION_COOKIE}={value}"),
        ))
        .await;
    assert_eq!(unprefixed.raw_body, "null");

    let signed_out = app.call(sign_out_request(&format!("{name}={value}"))).await;
    assert_eq!(signed_out.status, 200, "{}", signed_out.raw_body);
    assert_eq!(
        signed_out.set_cookies(),
        [
            "__Secure-better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax; Secure",
            "__Secure-better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax; Secure",
            "__Secure-better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax; Secure",
        ]
    );
}

#[tokio::test]
async fn same_site_none_gives_secure_cookies() {
    let app = TestApp::with_env(&[("SAME_SITE", "None"), ("AUTH_RATE_LIMIT_MAX", "100000")]).await;
    let response = app.call(sign_up_request(new_user("ada@example.com"))).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    let cookies = response.set_cookies();
    assert_eq!(cookies.len(), 1);
    assert!(
        cookies[0].ends_with("; Max-Age=604800; Path=/; HttpOnly; SameSite=None; Secure"),
        "{}",
        cookies[0]
    );
    // Whatever the name, the cookie as sent works.
    let pair = cookies[0].split(';').next().unwrap();
    let session = app.call(with_cookie("get-session", pair)).await;
    assert_eq!(session.body["session"]["token"], response.body["token"]);
}

// ------------------------------------------------------------------------------------------
// Rate limit

fn wrong_sign_in() -> Fixture {
    sign_in_request(credentials("nobody@example.com"))
}

fn assert_rate_limited(response: &TestResponse, max_retry_after: u64) {
    assert_eq!(response.status, 429, "{}", response.raw_body);
    assert_eq!(response.raw_body, RATE_LIMITED);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let retry_after: u64 = response
        .header("x-retry-after")
        .expect("x-retry-after")
        .parse()
        .unwrap();
    assert!(
        (1..=max_retry_after).contains(&retry_after),
        "x-retry-after {retry_after}"
    );
}

#[tokio::test]
async fn fourth_sign_in_within_ten_seconds_from_one_ip_is_429() {
    let app = TestApp::new().await;
    for attempt in 1..=3 {
        let response = app.call(wrong_sign_in()).await;
        assert_eq!(
            response.status, 401,
            "attempt {attempt}: {}",
            response.raw_body
        );
    }
    let response = app.call(wrong_sign_in()).await;
    assert_rate_limited(&response, 10);
    // A forged X-Forwarded-For does not escape the limit: the IP is API Gateway's sourceIp.
    let forged = app
        .call(wrong_sign_in().header("x-forwarded-for", "192.0.2.99"))
        .await;
    assert_rate_limited(&forged, 10);
}

#[tokio::test]
async fn another_ip_has_its_own_rate_limit_bucket() {
    let app = TestApp::new().await;
    for _ in 0..4 {
        app.call(wrong_sign_in()).await;
    }
    let response = app.call(wrong_sign_in().source_ip("198.51.100.9")).await;
    assert_eq!(response.status, 401, "{}", response.raw_body);
}

#[tokio::test]
async fn sign_up_has_its_own_rate_limit_bucket() {
    let app = TestApp::new().await;
    for _ in 0..3 {
        app.call(wrong_sign_in()).await;
    }
    assert_rate_limited(&app.call(wrong_sign_in()).await, 10);
    let response = app.call(sign_up_request(new_user("ada@example.com"))).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
}

#[tokio::test]
async fn rate_limit_is_counted_in_the_database_and_shared_by_instances() {
    let app = TestApp::new().await;
    let other = second_state(&app, &[]).await;
    assert_eq!(app.call(wrong_sign_in()).await.status, 401);
    assert_eq!(call_with(&other, wrong_sign_in()).await.status, 401);
    assert_eq!(app.call(wrong_sign_in()).await.status, 401);
    assert_rate_limited(&call_with(&other, wrong_sign_in()).await, 10);
    let rows = app
        .database
        .query(r#"select "key", "count" from "rateLimit""#, &[])
        .await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].get::<_, String>(0),
        format!("{FIXTURE_IP}|/sign-in/email")
    );
    assert_eq!(rows[0].get::<_, i32>(1), 3);
}

#[tokio::test]
async fn rate_limit_max_and_window_are_configurable() {
    let app = TestApp::with_env(&[
        ("AUTH_RATE_LIMIT_MAX", "1"),
        ("AUTH_RATE_LIMIT_WINDOW_SECONDS", "1"),
    ])
    .await;
    // A malformed email is refused after the limit is counted, without hashing: fast enough
    // that both requests fall in one 1-second window even on a loaded machine.
    let cheap = || sign_in_request(json!({"email": "not-an-email", "password": "x"}));
    assert_eq!(app.call(cheap()).await.status, 400);
    assert_rate_limited(&app.call(cheap()).await, 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = app.call(cheap()).await;
    assert_eq!(
        response.status, 400,
        "the window has passed: {}",
        response.raw_body
    );
}

// ------------------------------------------------------------------------------------------
// Round trips to PostgreSQL, per route

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

// ------------------------------------------------------------------------------------------
// Hostile input: never a 5xx

#[tokio::test]
async fn nul_bytes_in_auth_fields_are_client_errors() {
    let app = app().await;
    sign_up(&app, "ada@example.com").await;
    let before = row_counts(&app).await;
    let sign_ups = [
        json!({"email": "nul@example.com", "password": PASSWORD, "name": "Ada\u{0}Lovelace"}),
        json!({"email": "nul\u{0}@example.com", "password": PASSWORD, "name": "A"}),
        json!({"email": "nul@example.com", "password": PASSWORD, "name": "A", "image": "x\u{0}"}),
    ];
    for body in sign_ups {
        let response = app.call(sign_up_request(body.clone())).await;
        assert!(
            (400..500).contains(&response.status),
            "{body}: {} {}",
            response.status,
            response.raw_body
        );
    }
    assert_eq!(row_counts(&app).await, before);
    let sign_ins = [
        json!({"email": "ada\u{0}@example.com", "password": PASSWORD}),
        json!({"email": "ada@example.com", "password": "pass\u{0}word"}),
    ];
    for body in sign_ins {
        let response = app.call(sign_in_request(body.clone())).await;
        assert!(
            (400..500).contains(&response.status),
            "{body}: {} {}",
            response.status,
            response.raw_body
        );
    }
    let callback = app
        .call(sign_in_request(
            json!({"email": "ada@example.com", "password": PASSWORD, "callbackURL": "/x\u{0}y"}),
        ))
        .await;
    assert!(callback.status < 500, "{}", callback.raw_body);
}

#[tokio::test]
async fn a_large_name_within_the_body_limit_is_stored_and_a_megabyte_is_413() {
    let app = app().await;
    let within =
        json!({"email": "big@example.com", "password": PASSWORD, "name": "n".repeat(60_000)});
    let response = app.call(sign_up_request(within)).await;
    assert_eq!(
        response.status,
        200,
        "{}",
        &response.raw_body[..200.min(response.raw_body.len())]
    );
    let stored: String = app
        .database
        .query(
            r#"select "name" from "user" where "email" = 'big@example.com'"#,
            &[],
        )
        .await[0]
        .get(0);
    assert_eq!(stored.len(), 60_000);

    let before = row_counts(&app).await;
    let over =
        json!({"email": "huge@example.com", "password": PASSWORD, "name": "n".repeat(1 << 20)});
    let response = app.call(sign_up_request(over.clone())).await;
    assert_eq!(response.status, 413, "{}", response.raw_body);
    let response = app.call(sign_in_request(over)).await;
    assert_eq!(response.status, 413, "{}", response.raw_body);
    assert_eq!(row_counts(&app).await, before);
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_a_client_error() {
    let app = app().await;
    let before = row_counts(&app).await;
    let bytes: &[u8] =
        b"{\"email\":\"x@example.com\",\"password\":\"12345678\",\"name\":\"\xff\xfe\"}";
    for function in ["sign-up-email", "sign-in-email", "sign-out"] {
        for content_type in ["application/json", "application/x-www-form-urlencoded"] {
            let fixture = Fixture::load(function)
                .without_cookies()
                .header("content-type", content_type)
                .base64_body(&STANDARD.encode(bytes), bytes.len());
            let response = app.call(fixture).await;
            assert!(
                response.status < 500,
                "{function} {content_type}: {} {}",
                response.status,
                response.raw_body
            );
            if function != "sign-out" {
                assert!(
                    (400..500).contains(&response.status),
                    "{function} {content_type}"
                );
            }
        }
    }
    assert_eq!(row_counts(&app).await, before);
}
