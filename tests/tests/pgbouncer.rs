//! Behind a transaction-mode PgBouncer, as behind Neon's pooler (`-pooler` host names): the
//! functions work, in one round trip per query, because they never use named prepared
//! statements. The whole suite runs this way with `scripts/test-via-pgbouncer.sh`; these tests
//! run in every `cargo test`, each with a PgBouncer of its own.

use api_tests::pgbouncer::PgBouncer;
use api_tests::postgres::server_address;
use api_tests::{Fixture, RoundTripCounter, TestDatabase, TestResponse};
use serde_json::json;

fn start_pgbouncer() -> PgBouncer {
    let (host, port, user) = server_address();
    PgBouncer::start(&host, port, &user, None).unwrap_or_else(|e| panic!("{e}"))
}

/// The proof that the pooler here is as strict as Neon's: what tokio-postgres's `query(&str)`
/// does (prepare a named statement, then execute it in the next transaction) fails.
#[tokio::test]
async fn named_prepared_statements_break_behind_the_pooler() {
    api_tests::require_tool!(PgBouncer::available());
    let database = TestDatabase::create().await;
    let bouncer = start_pgbouncer();
    let (client, connection) = tokio_postgres::connect(
        &database.url_via_port(bouncer.port()),
        tokio_postgres::NoTls,
    )
    .await
    .expect("connect through pgbouncer");
    tokio::spawn(connection);

    let prepared = client.prepare("select 1::int4").await.expect("prepare");
    let err = client
        .query(&prepared, &[])
        .await
        .expect_err("a named statement does not survive its transaction");
    assert!(
        err.as_db_error()
            .is_some_and(|db| db.message().contains("does not exist")),
        "{err:?}"
    );

    // What the functions use: an unnamed statement, parsed and executed in one Sync.
    let rows = client
        .query_typed(
            "select $1::int4 + 1",
            &[(&41i32, tokio_postgres::types::Type::INT4)],
        )
        .await
        .expect("query_typed works behind the pooler");
    assert_eq!(rows[0].get::<_, i32>(0), 42);
}

#[tokio::test]
async fn every_task_route_works_behind_the_pooler_in_one_round_trip() {
    api_tests::require_tool!(PgBouncer::available());
    let database = TestDatabase::create().await;
    let bouncer = start_pgbouncer();
    let counter = RoundTripCounter::start(bouncer.port()).await;
    let state = api_tests::test_state(&database.url_via_port(counter.port()), &[]).await;
    let user = shared::better_auth::ids::random_id();
    database
        .execute(
            r#"insert into "user" (id, name, email, "emailVerified") values ($1, 'Ada', $2, false)"#,
            &[&user, &format!("{}@example.com", user.to_lowercase())],
        )
        .await;
    let token = api_tests::hs256_token(&user, 60);
    let fixture = |function: &str| Fixture::load(function).user(&user).bearer(&token);
    let call = async |fixture: Fixture| -> TestResponse {
        counter.take();
        let function = fixture.function().to_owned();
        let response = api_tests::call(&state, fixture).await;
        assert_eq!(counter.take(), 1, "{function}: one round trip");
        response
    };

    let created = call(fixture("create-task").body(json!({"title": "pooled"}))).await;
    assert_eq!(created.status, 201, "{}", created.raw_body);
    let id = created.body["id"].as_i64().unwrap();
    for (request, status) in [
        (fixture("list-tasks"), 200),
        (fixture("get-task").task(id), 200),
        (
            fixture("update-task")
                .task(id)
                .body(json!({"title": "still pooled"})),
            200,
        ),
        (fixture("complete-task").task(id), 200),
        (fixture("delete-task").task(id), 200),
    ] {
        let function = request.function().to_owned();
        let response = call(request).await;
        assert_eq!(response.status, status, "{function}: {}", response.raw_body);
    }
}

/// `TEST_VIA_PGBOUNCER=1` really puts apps behind the pooler (and its absence does not).
#[tokio::test]
async fn the_harness_puts_apps_behind_the_pooler_exactly_when_asked() {
    api_tests::require_tool!(PgBouncer::available());
    let database = TestDatabase::create().await;
    let (client, connection) = tokio_postgres::connect(
        &database.url_via_port(database.port()),
        tokio_postgres::NoTls,
    )
    .await
    .expect("connect as apps do");
    tokio::spawn(connection);
    let prepared = client.prepare("select 1::int4").await.expect("prepare");
    let named_statements_work = client.query(&prepared, &[]).await.is_ok();
    assert_eq!(
        named_statements_work,
        !api_tests::postgres::via_pgbouncer(),
        "TEST_VIA_PGBOUNCER={:?}",
        std::env::var("TEST_VIA_PGBOUNCER").ok()
    );
}
