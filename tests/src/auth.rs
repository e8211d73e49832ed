//! What the Better Auth route tests share: the contract's constants (cookie names, key
//! orders), requests, signing up and in while keeping the cookie, and reading responses,
//! rows and JWTs.

use crate::{Fixture, TEST_BASE_URL, TEST_SECRET, TestApp, TestResponse};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header, Validation};
use serde_json::{Value, json};
use shared::State;
use shared::better_auth::keys::{decrypt_private_key, pkcs8_der_from_private_jwk};

pub const TRUSTED_ORIGIN: &str = "http://localhost:3000";
pub const FOREIGN_ORIGIN: &str = "http://evil.example";
pub const PASSWORD: &str = "correct horse battery staple";
/// `requestContext.http.sourceIp` and `user-agent` of the fixtures.
pub const FIXTURE_IP: &str = "203.0.113.7";
pub const FIXTURE_USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36";
pub const SESSION_COOKIE: &str = "better-auth.session_token";
pub const DONT_REMEMBER_COOKIE: &str = "better-auth.dont_remember";
pub const CLEARING_COOKIES: [&str; 3] = [
    "better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
    "better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
    "better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
];
pub const USER_KEYS: [&str; 7] = [
    "name",
    "email",
    "emailVerified",
    "image",
    "createdAt",
    "updatedAt",
    "id",
];
pub const SESSION_KEYS: [&str; 8] = [
    "expiresAt",
    "token",
    "createdAt",
    "updatedAt",
    "ipAddress",
    "userAgent",
    "userId",
    "id",
];
pub const CLAIM_KEYS: [&str; 12] = [
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
pub const RATE_LIMITED: &str = r#"{"message":"Too many requests. Please try again later."}"#;

/// An app whose sign-in/sign-up rate limit never gets in the way (tests of the limit use
/// [`TestApp::new`], which has the default 3 per 10 s).
pub async fn app() -> TestApp {
    TestApp::with_env(&[("AUTH_RATE_LIMIT_MAX", "100000")]).await
}

/// A second [`State`] on the app's database (another Lambda instance), with `overrides`.
pub async fn second_state(app: &TestApp, overrides: &[(&str, &str)]) -> State {
    app.second_state(overrides).await
}

/// Sends a fixture to its function's handler with another instance's state.
pub async fn call_with(state: &State, fixture: Fixture) -> TestResponse {
    crate::call(state, fixture).await
}

pub fn sign_up_request(body: Value) -> Fixture {
    Fixture::load("sign-up-email").without_cookies().body(body)
}

pub fn sign_in_request(body: Value) -> Fixture {
    Fixture::load("sign-in-email").without_cookies().body(body)
}

pub fn new_user(email: &str) -> Value {
    json!({"email": email, "password": PASSWORD, "name": "Ada Lovelace"})
}

pub fn credentials(email: &str) -> Value {
    json!({"email": email, "password": PASSWORD})
}

/// A GET route's fixture with `cookie` as its only cookies.
pub fn with_cookie(function: &str, cookie: &str) -> Fixture {
    Fixture::load(function).cookie(cookie)
}

/// A GET route's fixture without any cookie.
pub fn anonymous(function: &str) -> Fixture {
    Fixture::load(function).without_cookies()
}

/// Removes every header that names where a request came from.
pub fn no_origin(fixture: Fixture) -> Fixture {
    fixture.without_header("origin").without_header("referer")
}

/// Someone signed in: the response and what a client keeps from it.
pub struct SignedIn {
    pub response: TestResponse,
    pub token: String,
    pub user_id: String,
    /// `better-auth.session_token=<signed value>`, as a browser sends it back.
    pub cookie: String,
}

impl SignedIn {
    pub fn from(response: TestResponse) -> Self {
        Self::from_cookie(response, SESSION_COOKIE)
    }

    /// [`SignedIn::from`] for a session cookie of another name (`advanced.cookiePrefix`).
    pub fn from_cookie(response: TestResponse, cookie_name: &str) -> Self {
        assert_eq!(response.status, 200, "{}", response.raw_body);
        let token = response.body["token"].as_str().expect("token").to_owned();
        let user_id = response.body["user"]["id"]
            .as_str()
            .expect("user id")
            .to_owned();
        let cookie = cookie_pair(&response, cookie_name);
        SignedIn {
            response,
            token,
            user_id,
            cookie,
        }
    }
}

pub async fn sign_up(app: &TestApp, email: &str) -> SignedIn {
    SignedIn::from(app.call(sign_up_request(new_user(email))).await)
}

pub async fn sign_in(app: &TestApp, email: &str) -> SignedIn {
    SignedIn::from(app.call(sign_in_request(credentials(email))).await)
}

/// `name=value` of a Set-Cookie the response sent.
pub fn cookie_pair(response: &TestResponse, name: &str) -> String {
    let set_cookie = response
        .set_cookie(name)
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", response.set_cookies()));
    set_cookie.split(';').next().unwrap().to_owned()
}

pub fn cookie_value(pair: &str) -> &str {
    pair.split_once('=').expect("name=value").1
}

/// Rows in user, account, session and jwks.
pub async fn row_counts(app: &TestApp) -> [i64; 4] {
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

pub async fn session_count(app: &TestApp) -> i64 {
    row_counts(app).await[2]
}

/// `expiresAt` of the session row with `token`, if there is one.
pub async fn session_expiry(app: &TestApp, token: &str) -> Option<DateTime<Utc>> {
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
pub fn assert_error(response: &TestResponse, status: u16, code: &str, message: &str) {
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

pub fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

pub fn assert_id(text: &str) {
    assert_eq!(text.len(), 32, "{text}");
    assert!(text.chars().all(|c| c.is_ascii_alphanumeric()), "{text}");
}

/// An ISO-8601 date with milliseconds and `Z`, as JavaScript's `toISOString`.
pub fn iso_ms(value: &Value) -> DateTime<Utc> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a date: {value}"));
    assert_eq!(text.len(), 24, "{text}");
    assert!(text.ends_with('Z') && &text[19..20] == ".", "{text}");
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&Utc)
}

pub fn assert_near(actual: DateTime<Utc>, expected: DateTime<Utc>, what: &str) {
    let off = (actual - expected).num_milliseconds().abs();
    assert!(off < 10_000, "{what}: {actual} is {off} ms from {expected}");
}

/// The header and the claims of a JWT, as JSON (key order kept).
pub fn jwt_parts(jwt: &str) -> (Value, Value) {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    let decode = |part: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
    };
    (decode(parts[0]), decode(parts[1]))
}

pub fn raw_jwt_header(jwt: &str) -> String {
    String::from_utf8(
        URL_SAFE_NO_PAD
            .decode(jwt.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap()
}

pub fn eddsa_validation() -> Validation {
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[TEST_BASE_URL]);
    validation.set_audience(&[TEST_BASE_URL]);
    validation
}

/// The newest key of the `jwks` table, decrypted with the test secret.
pub async fn stored_signing_key(app: &TestApp) -> (String, EncodingKey) {
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

pub fn eddsa_jwt(kid: &str, key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = None;
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, key).expect("sign")
}

pub fn claims_for(user_id: &str, iss: &str, aud: &str) -> Value {
    let now = Utc::now().timestamp();
    json!({"iat": now, "sub": user_id, "exp": now + 900, "iss": iss, "aud": aud})
}

/// A JWT from `/token` for a signed-in user.
pub async fn jwt_for(app: &TestApp, who: &SignedIn) -> String {
    let response = app.call(with_cookie("token", &who.cookie)).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    response.body["token"].as_str().expect("token").to_owned()
}

pub fn list_tasks(user_id: &str, jwt: &str) -> Fixture {
    Fixture::load("list-tasks").user(user_id).bearer(jwt)
}

pub fn scrypt_vector() -> (String, String) {
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

/// A sign-out with `cookie`, from the trusted origin.
pub fn sign_out_request(cookie: &str) -> Fixture {
    Fixture::load("sign-out")
        .cookie(cookie)
        .header("origin", TRUSTED_ORIGIN)
}

/// Better Auth's sign-out answer: `{"success":true}` and the three clearing cookies.
pub fn assert_signed_out(response: &TestResponse) {
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(response.raw_body, r#"{"success":true}"#);
    assert_eq!(response.set_cookies(), CLEARING_COOKIES);
}

// ---------------------------------------------------------------------------------------------
// Mail flows: password reset and email verification

/// Each mail request comes from its own IP, so Better Auth's 3-per-minute limit on the mail
/// routes only gets in the way of the tests that are about it.
pub fn next_ip() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("198.51.{}.{}", (n / 250) % 250, n % 250 + 1)
}

/// A request to a mail route (`function`) with `body`, anonymous, from a fresh IP.
fn mail_route_request(function: &str, body: Value) -> Fixture {
    Fixture::load(function)
        .without_cookies()
        .source_ip(&next_ip())
        .body(body)
}

/// `POST /request-password-reset` with `body`, anonymous, from a fresh IP.
pub fn password_reset_request(body: Value) -> Fixture {
    mail_route_request("request-password-reset", body)
}

/// `POST /send-verification-email` with `body`, anonymous, from a fresh IP.
pub fn verification_request(body: Value) -> Fixture {
    mail_route_request("send-verification-email", body)
}

/// An [`app`] with `BETTER_AUTH_OPTIONS` set to `options`.
pub async fn app_with_options(options: &str) -> TestApp {
    TestApp::with_env(&[
        ("AUTH_RATE_LIMIT_MAX", "100000"),
        ("BETTER_AUTH_OPTIONS", options),
    ])
    .await
}

/// `POST /reset-password` spending `token` on `new_password`.
pub async fn reset_with(app: &TestApp, token: &str, new_password: &str) -> TestResponse {
    app.call(reset_password_request(
        json!({"newPassword": new_password, "token": token}),
    ))
    .await
}

/// `POST /reset-password` with `body`, anonymous.
pub fn reset_password_request(body: Value) -> Fixture {
    Fixture::load("reset-password").without_cookies().body(body)
}

/// The mailed link as a GET fixture of `function` (its path and query), anonymous.
pub fn open_link(function: &str, url: &str) -> Fixture {
    let parsed = url::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    let mut fixture = Fixture::load(function).without_cookies();
    if function == "reset-password-callback" {
        let token = parsed.path().rsplit('/').next().expect("a token segment");
        fixture = fixture.path_param("token", token);
    }
    fixture.query(parsed.query().unwrap_or(""))
}

/// Requests a reset for `email` (redirecting to `redirect_to`) and returns the mailed link.
pub async fn mailed_reset_link(app: &TestApp, email: &str, redirect_to: &str) -> String {
    let response = app
        .call(password_reset_request(
            json!({"email": email, "redirectTo": redirect_to}),
        ))
        .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    app.last_mail_to(email)["url"]
        .as_str()
        .expect("url")
        .to_owned()
}

/// The token in a reset link (`…/reset-password/<token>?callbackURL=…`).
pub fn reset_token_of(link: &str) -> String {
    let path = link.split('?').next().unwrap();
    path.rsplit('/').next().unwrap().to_owned()
}

/// The `token` query parameter of a link.
pub fn query_token_of(link: &str) -> String {
    url::Url::parse(link)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no token in {link}"))
}

/// The `verification` rows, as `(identifier, value, seconds until expiresAt)`.
pub async fn verification_rows(app: &TestApp) -> Vec<(String, String, i64)> {
    app.database
        .query(
            r#"select "identifier", "value", extract(epoch from "expiresAt" - now())::int8
               from "verification" order by "createdAt""#,
            &[],
        )
        .await
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect()
}

/// Whether `email`'s row says verified.
pub async fn email_verified(app: &TestApp, email: &str) -> bool {
    app.database
        .query(
            r#"select "emailVerified" from "user" where "email" = $1"#,
            &[&email],
        )
        .await[0]
        .get(0)
}

// ---------------------------------------------------------------------------------------------
// Account management

/// The options that turn on change-email (with the confirmation mail) and delete-user.
pub const ACCOUNT_OPTIONS: &str = r#"{"user":{"changeEmail":{"enabled":true,"sendChangeEmailConfirmation":true},"deleteUser":{"enabled":true}}}"#;

/// A POST to an account route with `cookie` and `body`, from the trusted origin.
pub fn account_request(function: &str, cookie: &str, body: Value) -> Fixture {
    Fixture::load(function)
        .cookie(cookie)
        .header("origin", TRUSTED_ORIGIN)
        .body(body)
}

/// Sends [`account_request`] to `app`.
pub async fn call_account(
    app: &TestApp,
    function: &str,
    cookie: &str,
    body: Value,
) -> TestResponse {
    app.call(account_request(function, cookie, body)).await
}

/// The link in the newest mail to `to`.
pub fn mailed_link(app: &TestApp, to: &str) -> String {
    app.last_mail_to(to)["url"]
        .as_str()
        .expect("a mail has a url")
        .to_owned()
}

/// Moves the sessions' `createdAt` back by `hours` (a session signed in that long ago).
pub async fn age_sessions(app: &TestApp, hours: i64) {
    app.database
        .execute(
            &format!(
                r#"update "session" set "createdAt" = "createdAt" - interval '{hours} hours'"#
            ),
            &[],
        )
        .await;
}

/// The tokens of the live sessions of `user_id`, oldest first.
pub async fn session_tokens(app: &TestApp, user_id: &str) -> Vec<String> {
    app.database
        .query(
            r#"select "token" from "session" where "userId" = $1 order by "createdAt", "id""#,
            &[&user_id],
        )
        .await
        .iter()
        .map(|row| row.get(0))
        .collect()
}

/// Whether get-session knows the session behind `cookie`.
pub async fn is_signed_in(app: &TestApp, cookie: &str) -> bool {
    let response = app.call(with_cookie("get-session", cookie)).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    !response.body.is_null()
}
