//! The test harness: a real PostgreSQL, one fresh database per test, a round-trip counter
//! between the handlers and the database, and request fixtures from `events/`.
//!
//! PostgreSQL: `TEST_DATABASE_URL` (a server URL whose user may create databases) when set,
//! else a throwaway cluster this process starts (see `local_api::postgres`). Either way every
//! test gets its own database, cloned from a migrated template, and drops it when done.

pub mod auth;
pub mod fixtures;
pub mod moto;
pub mod pgbouncer;
pub mod postgres;
pub mod round_trips;

use std::collections::HashMap;
use std::sync::Arc;

use shared::better_auth::jwt::{SharedSecretClaims, issue_hs256};
use shared::config::{Config, Secret};
use shared::{Body, Response, State};

pub use fixtures::Fixture;
pub use postgres::TestDatabase;
pub use round_trips::RoundTripCounter;

/// For a test that needs a tool outside Rust and PostgreSQL (moto, PgBouncer): when
/// `$available` is an `Err(reason)`, the test prints why and stops there, unless it runs under
/// CI (`CI` set), where the tool is installed by `.ci/run` and its absence fails the test.
#[macro_export]
macro_rules! require_tool {
    ($available:expr) => {
        if let Err(reason) = $available {
            if std::env::var_os("CI").is_some() {
                panic!("{reason}");
            }
            eprintln!(
                "SKIPPED {}: {reason} (CI=true turns this into a failure)",
                module_path!()
            );
            return;
        }
    };
}

/// The secret every test app signs with (64 characters, like the template generates).
pub const TEST_SECRET: &str = "test-secret-0123456789abcdef0123456789abcdef0123456789abcdef0123";
/// `BETTER_AUTH_URL` of test apps: JWT issuer and audience.
pub const TEST_BASE_URL: &str = "http://localhost:8000";

/// A fully initialised function state on its own database, reached through a round-trip
/// counter.
pub struct TestApp {
    pub state: Arc<State>,
    pub database: TestDatabase,
    pub counter: RoundTripCounter,
    /// `EMAIL_OUTBOX_DIR` of the app: every mail it sends is a JSON file here.
    pub outbox: tempfile::TempDir,
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with_env(&[]).await
    }

    /// An app whose configuration has `overrides` on top of the test defaults, which include
    /// an outbox for its mail ([`TestApp::mails`]).
    pub async fn with_env(overrides: &[(&str, &str)]) -> TestApp {
        let database = TestDatabase::create().await;
        let counter = RoundTripCounter::start(database.port()).await;
        let outbox = tempfile::tempdir().expect("outbox folder");
        let outbox_setting = [(
            "EMAIL_OUTBOX_DIR",
            outbox.path().to_str().expect("UTF-8 path"),
        )];
        let settings: Vec<(&str, &str)> = outbox_setting.iter().chain(overrides).copied().collect();
        let state = Arc::new(test_state(&database.url_via_port(counter.port()), &settings).await);
        // The template database has no additional-field columns: add this app's, as the
        // migrate function does on deploy (directly, so the round-trip counter stays at 0).
        let fields = state.config.user_fields();
        if !fields.is_empty() {
            let direct = shared::db::ConnectOptions::from_url(&database.url()).unwrap();
            shared::migrations::run(&direct, fields)
                .await
                .expect("additional-field columns");
        }
        TestApp {
            state,
            database,
            counter,
            outbox,
        }
    }

    /// The mails the app has written to its outbox, oldest first, as
    /// `{"to","subject","text","html","url"}`.
    pub fn mails(&self) -> Vec<serde_json::Value> {
        let mut names: Vec<std::path::PathBuf> = std::fs::read_dir(self.outbox.path())
            .map(|entries| entries.map(|entry| entry.unwrap().path()).collect())
            .unwrap_or_default();
        names.sort();
        names
            .iter()
            .map(|path| serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap())
            .collect()
    }

    /// The newest mail to `to`; panics when there is none.
    pub fn last_mail_to(&self, to: &str) -> serde_json::Value {
        self.mails()
            .into_iter()
            .rev()
            .find(|mail| mail["to"] == to)
            .unwrap_or_else(|| panic!("no mail to {to} in {:?}", self.mails()))
    }

    /// Sends the fixture's request to its function's handler (found by the fixture's name, as
    /// local-api finds it) and returns the status, headers and JSON body (`Null` if empty).
    pub async fn call(&self, fixture: Fixture) -> TestResponse {
        call(&self.state, fixture).await
    }

    /// A second state on this app's database, through the same round-trip counter: another
    /// Lambda instance, with `overrides` on top of the test configuration.
    pub async fn second_state(&self, overrides: &[(&str, &str)]) -> State {
        test_state(&self.database.url_via_port(self.counter.port()), overrides).await
    }

    /// Round trips to PostgreSQL since the last call.
    pub fn take_round_trips(&self) -> u64 {
        self.counter.take()
    }

    /// Inserts a user row directly (as a Better Auth sign-up would) and returns its id.
    pub async fn create_user(&self, name: &str) -> String {
        let id = shared::better_auth::ids::random_id();
        let email = format!("{}@example.com", id.to_lowercase());
        self.database
            .execute(
                r#"insert into "user" (id, name, email, "emailVerified") values ($1, $2, $3, false)"#,
                &[&id, &name, &email],
            )
            .await;
        id
    }

    /// An HS256 token in the shared-secret contract, valid for 15 minutes.
    pub fn token_for(&self, user_id: &str) -> String {
        hs256_token(user_id, shared::better_auth::jwt::JWT_LIFETIME_SECONDS)
    }
}

/// Sends the fixture's request to its function's handler (found by the fixture's name, as
/// local-api finds it) with `state`, rendering errors in the function's dialect.
pub async fn call(state: &State, fixture: Fixture) -> TestResponse {
    let function = local_api::functions::function(fixture.function())
        .unwrap_or_else(|| panic!("no handler for {}", fixture.function()));
    TestResponse::from(function.call(state, fixture.request()).await)
}

/// The configuration of every test state: [`TEST_SECRET`], [`TEST_BASE_URL`], the frontend
/// origin `http://localhost:3000` as the one trusted origin, `database_url`, and `overrides`
/// on top.
pub fn test_config(database_url: &str, overrides: &[(&str, &str)]) -> Config {
    let mut env: HashMap<String, String> = HashMap::from([
        ("BETTER_AUTH_SECRET".into(), TEST_SECRET.into()),
        ("BETTER_AUTH_URL".into(), TEST_BASE_URL.into()),
        ("DATABASE_URL".into(), database_url.into()),
        ("CORS_ORIGINS".into(), "http://localhost:3000".into()),
    ]);
    for (key, value) in overrides {
        env.insert((*key).into(), (*value).into());
    }
    Config::from_sources(&env, None).expect("test config")
}

/// A function's state (connected, keys loaded) from [`test_config`]: what one Lambda
/// instance builds at its cold start.
pub async fn test_state(database_url: &str, overrides: &[(&str, &str)]) -> State {
    State::from_config(test_config(database_url, overrides))
        .await
        .expect("state")
}

/// An HS256 token signed with [`TEST_SECRET`] for `user_id`, expiring `ttl_seconds` from now
/// (negative for an expired one).
pub fn hs256_token(user_id: &str, ttl_seconds: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    issue_hs256(
        &Secret::new(TEST_SECRET),
        &SharedSecretClaims {
            sub: user_id,
            email: "user@example.com",
            name: "Test User",
            iat: now,
            exp: now + ttl_seconds,
        },
    )
}

/// A handler's response, decoded for assertions.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: shared::lambda_http::http::HeaderMap,
    pub body: serde_json::Value,
    pub raw_body: String,
}

impl From<Response<Body>> for TestResponse {
    fn from(response: Response<Body>) -> Self {
        let (parts, body) = response.into_parts();
        let raw_body = match body {
            Body::Empty => String::new(),
            Body::Text(text) => text,
            Body::Binary(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            _ => String::new(),
        };
        let is_html = parts
            .headers
            .get("content-type")
            .is_some_and(|value| value.as_bytes().starts_with(b"text/html"));
        // A body must be JSON, except an HTML page (which keeps only `raw_body`).
        let body = if raw_body.is_empty() || is_html {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&raw_body)
                .unwrap_or_else(|e| panic!("response is not JSON ({e}): {raw_body}"))
        };
        TestResponse {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
            raw_body,
        }
    }
}

impl TestResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Every `Set-Cookie` value, in the order sent.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|value| value.to_str().expect("ASCII Set-Cookie").to_owned())
            .collect()
    }
    /// The `Set-Cookie` whose cookie is `name`, if sent.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|cookie| cookie.split_once('=').is_some_and(|(n, _)| n == name))
    }
    /// The `detail` of a task-route error.
    pub fn detail(&self) -> &str {
        self.body["detail"]
            .as_str()
            .unwrap_or_else(|| panic!("no detail in {}", self.raw_body))
    }
}
