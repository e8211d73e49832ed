//! The one connection per instance survives what happens to it between invocations: the
//! server closing it (Neon scaling to zero, an idle timeout, an operator), or the database
//! being down, which must be a quick 503 with a JSON `detail`, never a hung invocation.

use std::time::{Duration, Instant};

use api_tests::{Fixture, TestApp, TestResponse};
use local_api::postgres::LocalPostgres;
use serde_json::json;
use shared::State;
use shared::db::ConnectOptions;

/// Lambda's timeout for these functions is 10 s; a request that fails because the database is
/// unavailable must answer well within it. (A "does not hang" guard, not a benchmark.)
const QUICK: Duration = Duration::from_secs(8);

/// Backends (other than the test's own connection) serving `app`'s database.
async fn app_backends(app: &TestApp) -> Vec<i32> {
    app.database
        .query(
            "select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()",
            &[&app.database.name()],
        )
        .await
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[tokio::test]
async fn a_request_after_the_server_closed_the_connection_succeeds_on_a_new_one() {
    let app = TestApp::new().await;
    let user = app.create_user("Ada").await;
    let token = app.token_for(&user);
    let fixture = || Fixture::load("list-tasks").user(&user).bearer(&token);
    let created = app
        .call(
            Fixture::load("create-task")
                .user(&user)
                .bearer(&token)
                .body(json!({"title": "survives a reconnect"})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.raw_body);

    let before = app_backends(&app).await;
    assert!(!before.is_empty(), "the app holds a connection");
    for pid in &before {
        let terminated = app
            .database
            .query("select pg_terminate_backend($1)", &[pid])
            .await;
        assert!(terminated[0].get::<_, bool>(0), "backend {pid} terminated");
    }
    // As after a freeze: by the time the next invocation comes, the backend is long gone.
    let deadline = Instant::now() + Duration::from_secs(10);
    while app_backends(&app)
        .await
        .iter()
        .any(|pid| before.contains(pid))
    {
        assert!(Instant::now() < deadline, "backends did not exit");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    app.take_round_trips();
    let response = app.call(fixture()).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
    assert_eq!(response.body[0]["title"], "survives a reconnect");
    // 1 when the client saw the connection closed before sending; 2 when the server's FATAL
    // (sent while the connection was idle) was read as the answer to the statement, which is
    // then retried once on the new connection. Never a liveness check before each query.
    let round_trips = app.take_round_trips();
    assert!((1..=2).contains(&round_trips), "{round_trips} round trips");
    let after = app_backends(&app).await;
    assert!(!after.is_empty());
    assert!(
        after.iter().all(|pid| !before.contains(pid)),
        "a new backend: {before:?} -> {after:?}"
    );
}

#[tokio::test]
async fn a_statement_cut_off_by_a_terminated_session_is_retried_once_and_applied_once() {
    // The FATAL that ends the session arrives as the statement's answer; the statement was rolled
    // back with the session, so it is run again on a new connection, and only that run counts.
    let app = TestApp::new().await;
    app.database
        .execute("create table probe (id serial primary key, note text)", &[])
        .await;
    let statement = app.state.db.query(
        "insert into probe (note) select 'once' from pg_sleep(1) returning id",
        &[],
    );
    let terminator = async {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let sleeping = app
                .database
                .query(
                    "select pg_terminate_backend(pid) from pg_stat_activity \
                     where datname = $1 and state = 'active' and query like '%pg_sleep%' \
                     and pid <> pg_backend_pid()",
                    &[&app.database.name()],
                )
                .await;
            if !sleeping.is_empty() {
                return;
            }
            assert!(Instant::now() < deadline, "the statement never ran");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let (rows, ()) = tokio::join!(statement, terminator);
    let rows = rows.expect("the statement succeeds on the new connection");
    assert_eq!(rows.len(), 1);
    let count: i64 = app.database.query("select count(*) from probe", &[]).await[0].get(0);
    assert_eq!(count, 1, "applied exactly once");
}

#[tokio::test]
async fn a_task_request_while_the_database_is_unreachable_is_a_quick_503_with_detail() {
    // A port nothing listens on: the database is down from the start (init does not fail).
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://postgres@127.0.0.1:{closed_port}/tasks?sslmode=disable");
    let app = TestApp::with_env(&[("DATABASE_URL", &url)]).await;
    let user = shared::better_auth::ids::random_id();

    // The init of such an instance, on its own: it starts (a failed init would only be
    // retried with the same result), quickly.
    let started = Instant::now();
    State::from_config(app.state.config.clone())
        .await
        .expect("init succeeds with the database down");
    let init = started.elapsed();

    let started = Instant::now();
    let response = app
        .call(
            Fixture::load("list-tasks")
                .user(&user)
                .bearer(&app.token_for(&user)),
        )
        .await;
    let elapsed = started.elapsed();
    eprintln!("unreachable database: init {init:?}, request {elapsed:?}");
    assert_unavailable(&response);
    assert!(elapsed < QUICK, "took {elapsed:?}");
    assert!(init < QUICK, "init took {init:?}");
}

#[tokio::test]
async fn a_task_request_after_the_database_stopped_is_a_quick_503_with_detail() {
    // A cluster of its own: this test stops it.
    let cluster = tokio::task::spawn_blocking(LocalPostgres::start)
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("cannot start a PostgreSQL: {e}"));
    let url = cluster.url("postgres");
    shared::migrations::run(
        &ConnectOptions::from_url(&url).unwrap(),
        &Default::default(),
    )
    .await
    .unwrap();
    let state = api_tests::test_state(&url, &[]).await;
    let user = shared::better_auth::ids::random_id();
    let token = api_tests::hs256_token(&user, 60);
    let fixture = Fixture::load("list-tasks").user(&user).bearer(&token);
    let response = call(&state, &fixture).await;
    assert_eq!(response.status, 200, "{}", response.raw_body);

    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .unwrap();

    for attempt in 1..=2 {
        let started = Instant::now();
        let response = call(&state, &fixture).await;
        let elapsed = started.elapsed();
        eprintln!("stopped database, request {attempt}: {elapsed:?}");
        assert_unavailable(&response);
        assert!(elapsed < QUICK, "request {attempt} took {elapsed:?}");
    }
}

/// The fixture's request through its function's handler, on `state`.
async fn call(state: &State, fixture: &Fixture) -> TestResponse {
    api_tests::call(state, fixture.clone()).await
}

fn assert_unavailable(response: &TestResponse) {
    assert_eq!(response.status, 503, "{}", response.raw_body);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let detail = response.detail();
    assert!(!detail.is_empty());
    assert!(
        !detail.contains("127.0.0.1") && !detail.contains("postgres"),
        "no connection details reach the client: {detail}"
    );
}
