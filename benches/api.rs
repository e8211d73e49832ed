//! `cargo bench -p benches`: what a request costs.
//!
//! - database round trips per route, counted on the wire (printed as a table first);
//! - warm handler latency per route against a local PostgreSQL (the Lambda's work minus
//!   API Gateway and the network to Neon: add one network round trip per database round trip);
//! - JWT verification (HS256, EdDSA) and password hashing (argon2id) and verification (argon2id,
//!   Better Auth's scrypt);
//! - cold-start work: building the state (config, connection, key load).
//!
//! Figures and the machine they came from are in docs/performance.md.

use std::time::Duration;

use api_tests::{Fixture, TestApp};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use shared::better_auth::password::{hash_password, verify_password};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A signed-up user with one task: (app, user id, JWT, session cookie, task id).
async fn setup() -> (TestApp, String, String, String, i64) {
    let app = TestApp::with_env(&[("AUTH_RATE_LIMIT_MAX", "1000000")]).await;
    let signed_up = app
        .call(Fixture::load("sign-up-email").without_cookies().body(json!({
            "email": "bench@example.com", "password": "correct horse battery", "name": "Bench"
        })))
        .await;
    let cookie = signed_up
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let user = signed_up.body["user"]["id"].as_str().unwrap().to_owned();
    let jwt = app.call(Fixture::load("token").cookie(&cookie)).await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = app
        .call(
            Fixture::load("create-task")
                .user(&user)
                .bearer(&jwt)
                .body(json!({"title": "benchmark"})),
        )
        .await;
    (app, user, jwt, cookie, task.body["id"].as_i64().unwrap())
}

/// Every route's request, ready to send, by function name.
fn requests(user: &str, jwt: &str, cookie: &str, task: i64) -> Vec<(&'static str, Fixture)> {
    let tasks = |name: &str| Fixture::load(name).user(user).bearer(jwt).task(task);
    vec![
        (
            "list-tasks",
            Fixture::load("list-tasks")
                .user(user)
                .bearer(jwt)
                .query("limit=20"),
        ),
        (
            "create-task",
            Fixture::load("create-task")
                .user(user)
                .bearer(jwt)
                .body(json!({"title": "more"})),
        ),
        ("get-task", tasks("get-task")),
        (
            "update-task",
            tasks("update-task").body(json!({"title": "renamed"})),
        ),
        (
            "complete-task",
            tasks("complete-task").body(json!({"completed": true})),
        ),
        ("get-session", Fixture::load("get-session").cookie(cookie)),
        ("token", Fixture::load("token").cookie(cookie)),
        ("jwks", Fixture::load("jwks")),
        (
            "sign-in-email",
            Fixture::load("sign-in-email")
                .without_cookies()
                .body(json!({"email": "bench@example.com", "password": "correct horse battery"})),
        ),
    ]
}

fn round_trips_table() {
    runtime().block_on(async {
        let (app, user, jwt, cookie, task) = setup().await;
        println!("\n| route | status | database round trips |\n|---|---|---|");
        for (name, fixture) in requests(&user, &jwt, &cookie, task) {
            app.take_round_trips();
            let response = app.call(fixture).await;
            println!(
                "| {name} | {} | {} |",
                response.status,
                app.take_round_trips()
            );
        }
        let delete = Fixture::load("delete-task")
            .user(&user)
            .bearer(&jwt)
            .task(task);
        app.take_round_trips();
        let response = app.call(delete).await;
        println!(
            "| delete-task | {} | {} |\n",
            response.status,
            app.take_round_trips()
        );
    });
}

fn routes(c: &mut Criterion) {
    round_trips_table();
    let rt = runtime();
    let (app, user, jwt, cookie, task) = rt.block_on(setup());
    let mut group = c.benchmark_group("route (warm, local PostgreSQL)");
    group
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    for (name, fixture) in requests(&user, &jwt, &cookie, task) {
        group.bench_function(name, |b| b.to_async(&rt).iter(|| app.call(fixture.clone())));
    }
    group.finish();
}

fn cold_start(c: &mut Criterion) {
    let rt = runtime();
    let (app, ..) = rt.block_on(setup());
    let config = app.state.config.clone();
    let mut group = c.benchmark_group("cold start");
    group.sample_size(20);
    group.bench_function("State::from_config (connect + load JWT keys)", |b| {
        b.to_async(&rt)
            .iter(|| shared::State::from_config(config.clone()))
    });
    group.finish();
}

fn crypto(c: &mut Criterion) {
    let rt = runtime();
    let (app, user, jwt, ..) = rt.block_on(setup());
    let hs256 = app.token_for(&user);
    let mut group = c.benchmark_group("jwt verify (in memory)");
    group.bench_function("EdDSA", |b| {
        b.to_async(&rt)
            .iter(|| app.state.jwt.verify(&jwt, &app.state.db))
    });
    group.bench_function("HS256", |b| {
        b.to_async(&rt)
            .iter(|| app.state.jwt.verify(&hs256, &app.state.db))
    });
    group.finish();

    let argon2 = hash_password("correct horse battery");
    let vectors: serde_json::Value =
        serde_json::from_str(include_str!("../shared/tests/vectors/vectors.json"))
            .expect("vectors.json");
    // A real account.password written by a Better Auth server, and its password.
    let scrypt_hash = vectors["server"]["account_password"]
        .as_str()
        .map(str::to_owned);
    let scrypt_password = vectors["server"]["password"].as_str().map(str::to_owned);
    let mut group = c.benchmark_group("password");
    group.sample_size(10);
    group.bench_function("argon2id hash (m=19456, t=2, p=1)", |b| {
        b.iter(|| hash_password("correct horse battery"))
    });
    group.bench_function("argon2id verify", |b| {
        b.iter(|| verify_password("correct horse battery", &argon2))
    });
    if let (Some(hash), Some(password)) = (scrypt_hash, scrypt_password) {
        group.bench_function("Better Auth scrypt verify (N=16384, r=16)", |b| {
            b.iter(|| verify_password(&password, &hash))
        });
    }
    group.finish();
}

criterion_group!(benches, routes, cold_start, crypto);
criterion_main!(benches);
