//! The `migrate` function and `migrate-cli`: migrations on a real, initially empty database;
//! CloudFormation's custom-resource protocol against a local HTTP listener standing in for the
//! pre-signed S3 response URL; and a database a Better Auth server set up first.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use api_tests::{TestDatabase, moto};
use migrate::{Invocation, handle};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn invocation() -> Invocation {
    Invocation {
        time_budget: Duration::from_secs(60),
        log_stream: Some("2026/01/01/[$LATEST]0123456789abcdef".to_owned()),
    }
}

fn env_for(database_url: &str) -> HashMap<String, String> {
    HashMap::from([("DATABASE_URL".to_owned(), database_url.to_owned())])
}

/// A URL on which nothing listens.
fn unreachable_database_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("postgres://postgres@127.0.0.1:{port}/app?sslmode=disable")
}

/// Every migration in shared/migrations, as refinery names them (`V1__better_auth_tables`).
fn all_migrations() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/migrations");
    let mut names: Vec<(u32, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter_map(|file| {
            let name = file.strip_suffix(".sql")?.to_owned();
            let version = name.strip_prefix('V')?.split("__").next()?.parse().ok()?;
            Some((version, name))
        })
        .collect();
    names.sort();
    names.into_iter().map(|(_, name)| name).collect()
}

async fn tables(database: &TestDatabase) -> BTreeSet<String> {
    database
        .query(
            "select table_name::text from information_schema.tables where table_schema = 'public'",
            &[],
        )
        .await
        .iter()
        .map(|row| row.get(0))
        .collect()
}

// ------------------------------------------------------------------------------------------
// Direct invoke: `{}`

#[tokio::test]
async fn direct_invoke_migrates_an_empty_database_and_applies_nothing_the_second_time() {
    let database = TestDatabase::create_unmigrated().await;
    assert!(tables(&database).await.is_empty(), "starts empty");
    let env = env_for(&database.url());

    let first = handle(&env, json!({}), &invocation()).await.unwrap();
    assert_eq!(first, json!({ "applied": all_migrations() }));
    let created = tables(&database).await;
    for table in ["user", "session", "account", "verification", "jwks", "task"] {
        assert!(created.contains(table), "{table} in {created:?}");
    }

    let second = handle(&env, json!({}), &invocation()).await.unwrap();
    assert_eq!(second, json!({ "applied": [] }));
}

#[tokio::test]
async fn the_additional_fields_of_the_functions_options_get_their_columns_on_deploy() {
    let database = TestDatabase::create_unmigrated().await;
    let mut env = env_for(&database.url());
    env.insert(
        "BETTER_AUTH_OPTIONS".to_owned(),
        r#"{"user":{"additionalFields":{"educationLevel":{"type":"string","required":false}}}}"#
            .to_owned(),
    );
    let first = handle(&env, json!({}), &invocation()).await.unwrap();
    let mut expected = all_migrations();
    expected.push("user.educationLevel".to_owned());
    assert_eq!(first, json!({ "applied": expected }));
    let rows = database
        .query(
            "select is_nullable::text from information_schema.columns
             where table_name = 'user' and column_name = 'educationLevel'",
            &[],
        )
        .await;
    assert_eq!(rows[0].get::<_, String>(0), "YES");
    // A second field on the next deploy: only its column is added.
    env.insert(
        "BETTER_AUTH_OPTIONS".to_owned(),
        r#"{"user":{"additionalFields":{"educationLevel":{"type":"string","required":false},
            "programmingExperience":{"type":"string","required":false}}}}"#
            .to_owned(),
    );
    let second = handle(&env, json!({}), &invocation()).await.unwrap();
    assert_eq!(second, json!({ "applied": ["user.programmingExperience"] }));
    // Options the functions would refuse fail the deploy, naming the option.
    env.insert(
        "BETTER_AUTH_OPTIONS".to_owned(),
        r#"{"user":{"additionalFields":{"email":{"type":"string"}}}}"#.to_owned(),
    );
    let err = handle(&env, json!({}), &invocation()).await.unwrap_err();
    assert!(
        err.to_string().contains("user.additionalFields.email"),
        "{err}"
    );
}

#[tokio::test]
async fn direct_invoke_on_an_unreachable_database_fails_the_invocation_with_the_reason() {
    let err = handle(
        &env_for(&unreachable_database_url()),
        json!({}),
        &invocation(),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("could not connect to the database: "),
        "{err}"
    );
}

#[tokio::test]
async fn the_database_url_can_come_from_the_secret_without_an_auth_secret() {
    api_tests::require_tool!(api_tests::moto::available());
    // Migrations need DATABASE_URL only; a secret holding just that is enough.
    let database = TestDatabase::create_unmigrated().await;
    let arn = moto::create_secret(&json!({ "DATABASE_URL": database.url() }).to_string()).await;
    let env: HashMap<String, String> = moto::aws_env(&arn).into_iter().collect();
    let result = handle(&env, json!({}), &invocation()).await.unwrap();
    assert_eq!(result, json!({ "applied": all_migrations() }));
}

// ------------------------------------------------------------------------------------------
// CloudFormation custom resource

/// What the function PUT to the response URL.
#[derive(Debug)]
struct Captured {
    request_line: String,
    headers: HashMap<String, String>,
    body: Value,
}

/// Listens like a pre-signed S3 URL: accepts one request, answers `status`, returns what came.
async fn response_listener(status: u16) -> (String, tokio::task::JoinHandle<Captured>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/cloudformation-custom-resource-response-useast1/arn%3Aaws%3Acloudformation%3Aus-east-1%3A123%3Astack/tasks-api/abc%7CRunMigrations%7Creq-1?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=deadbeef",
        listener.local_addr().unwrap()
    );
    let captured = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut bytes = Vec::new();
        let mut buffer = [0u8; 4096];
        let head_end = loop {
            let n = socket.read(&mut buffer).await.unwrap();
            assert!(n > 0, "connection closed before the request ended");
            bytes.extend_from_slice(&buffer[..n]);
            if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
                break at;
            }
        };
        let head = String::from_utf8(bytes[..head_end].to_vec()).unwrap();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap().to_owned();
        let header_lines: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        let headers: HashMap<String, String> = header_lines.iter().cloned().collect();
        assert_eq!(
            headers.len(),
            header_lines.len(),
            "a header repeated: {header_lines:?}"
        );
        let length: usize = headers["content-length"].parse().unwrap();
        let mut body = bytes[head_end + 4..].to_vec();
        while body.len() < length {
            let n = socket.read(&mut buffer).await.unwrap();
            assert!(n > 0);
            body.extend_from_slice(&buffer[..n]);
        }
        let reason = if status == 200 { "OK" } else { "Forbidden" };
        socket
            .write_all(
                format!(
                    "HTTP/1.1 {status} {reason}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                )
                .as_bytes(),
            )
            .await
            .unwrap();
        Captured {
            request_line,
            headers,
            body: serde_json::from_slice(&body).unwrap(),
        }
    });
    (url, captured)
}

/// An event as CloudFormation sends it for `RunMigrations`.
fn custom_resource_event(
    request_type: &str,
    response_url: &str,
    physical_id: Option<&str>,
) -> Value {
    let mut event = json!({
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:tasks-api-MigrateFunction-abc",
        "ServiceTimeout": "300",
        "ResponseURL": response_url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/tasks-api/0a1b2c3d",
        "RequestId": format!("request-{}", shared::better_auth::ids::random_id()),
        "LogicalResourceId": "RunMigrations",
        "ResourceType": "AWS::CloudFormation::CustomResource",
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:tasks-api-MigrateFunction-abc",
            "MigrateVersion": "7"
        }
    });
    if let Some(id) = physical_id {
        event["PhysicalResourceId"] = json!(id);
        event["OldResourceProperties"] = json!({ "MigrateVersion": "6" });
    }
    event
}

fn assert_response_echoes(captured: &Captured, event: &Value, status: &str, physical_id: &str) {
    let path = event["ResponseURL"]
        .as_str()
        .unwrap()
        .split_once("127.0.0.1")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(_, path)| format!("/{path}"))
        .unwrap();
    assert_eq!(captured.request_line, format!("PUT {path} HTTP/1.1"));
    assert_eq!(
        captured.headers.get("content-type").map(String::as_str),
        Some(""),
        "an empty Content-Type, as the URL was signed with: {:?}",
        captured.headers
    );
    let body = &captured.body;
    assert_eq!(body["Status"], status, "{body}");
    assert_eq!(body["PhysicalResourceId"], physical_id);
    assert_eq!(body["StackId"], event["StackId"]);
    assert_eq!(body["RequestId"], event["RequestId"]);
    assert_eq!(body["LogicalResourceId"], event["LogicalResourceId"]);
    assert_eq!(body["NoEcho"], false);
    assert_eq!(body["Data"], json!({}));
    assert!(body["Reason"].as_str().is_some_and(|r| !r.is_empty()));
}

#[tokio::test]
async fn a_create_event_migrates_and_puts_success() {
    let database = TestDatabase::create_unmigrated().await;
    let (url, captured) = response_listener(200).await;
    let event = custom_resource_event("Create", &url, None);

    let returned = handle(&env_for(&database.url()), event.clone(), &invocation())
        .await
        .expect("returns Ok once the response is sent");
    let captured = captured.await.unwrap();
    assert_response_echoes(&captured, &event, "SUCCESS", "migrations");
    assert_eq!(returned, captured.body);
    let reason = captured.body["Reason"].as_str().unwrap();
    assert!(reason.starts_with("applied "), "{reason}");
    assert!(tables(&database).await.contains("task"));
}

#[tokio::test]
async fn an_update_event_migrates_and_echoes_the_physical_resource_id() {
    let database = TestDatabase::create().await; // already migrated: nothing pending
    let (url, captured) = response_listener(200).await;
    let event = custom_resource_event("Update", &url, Some("migrations-from-before"));
    handle(&env_for(&database.url()), event.clone(), &invocation())
        .await
        .unwrap();
    let captured = captured.await.unwrap();
    assert_response_echoes(&captured, &event, "SUCCESS", "migrations-from-before");
    assert_eq!(captured.body["Reason"], "no pending migrations");
}

#[tokio::test]
async fn a_delete_event_puts_success_without_touching_the_database() {
    // Neither the secret nor the database is reachable: touching either would fail.
    let mut env: HashMap<String, String> =
        moto::aws_env_with_endpoint("some-secret", "http://127.0.0.1:9")
            .into_iter()
            .collect();
    env.insert("DATABASE_URL".to_owned(), unreachable_database_url());
    let (url, captured) = response_listener(200).await;
    let event = custom_resource_event("Delete", &url, Some("migrations"));
    handle(&env, event.clone(), &invocation()).await.unwrap();
    let captured = captured.await.unwrap();
    assert_response_echoes(&captured, &event, "SUCCESS", "migrations");
}

#[tokio::test]
async fn an_unreachable_database_puts_failed_with_the_reason() {
    let (url, captured) = response_listener(200).await;
    let event = custom_resource_event("Create", &url, None);
    handle(
        &env_for(&unreachable_database_url()),
        event.clone(),
        &invocation(),
    )
    .await
    .expect("the failure is reported to CloudFormation, not to Lambda");
    let captured = captured.await.unwrap();
    assert_response_echoes(&captured, &event, "FAILED", "migrations");
    let reason = captured.body["Reason"].as_str().unwrap();
    assert!(
        reason.starts_with("could not connect to the database: "),
        "{reason}"
    );
    assert!(
        reason.ends_with("(see CloudWatch log stream 2026/01/01/[$LATEST]0123456789abcdef)"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_missing_database_url_puts_failed_naming_it() {
    let (url, captured) = response_listener(200).await;
    let event = custom_resource_event("Create", &url, None);
    handle(&HashMap::new(), event.clone(), &invocation())
        .await
        .unwrap();
    let captured = captured.await.unwrap();
    assert_response_echoes(&captured, &event, "FAILED", "migrations");
    assert!(
        captured.body["Reason"]
            .as_str()
            .unwrap()
            .starts_with("DATABASE_URL is not set"),
        "{}",
        captured.body
    );
}

#[tokio::test]
async fn migrations_stuck_on_the_lock_put_failed_before_lambda_would_stop_them() {
    // Another deploy's migration holds the lock; the function answers FAILED within its budget
    // instead of being killed at its timeout with CloudFormation left waiting.
    let database = TestDatabase::create_unmigrated().await;
    database
        .execute(
            "select pg_advisory_lock($1)",
            &[&shared::migrations::MIGRATION_LOCK_ID],
        )
        .await;
    let (url, captured) = response_listener(200).await;
    let event = custom_resource_event("Create", &url, None);
    let budget = Invocation {
        time_budget: Duration::from_secs(1),
        log_stream: None,
    };
    handle(&env_for(&database.url()), event.clone(), &budget)
        .await
        .unwrap();
    let captured = captured.await.unwrap();
    assert_response_echoes(&captured, &event, "FAILED", "migrations");
    assert_eq!(
        captured.body["Reason"],
        "migrations did not finish within 1s"
    );
}

#[tokio::test]
async fn a_response_url_that_refuses_the_put_fails_the_invocation_so_lambda_retries() {
    let database = TestDatabase::create().await;
    let (url, captured) = response_listener(403).await;
    let event = custom_resource_event("Update", &url, Some("migrations"));
    let err = handle(&env_for(&database.url()), event, &invocation())
        .await
        .unwrap_err();
    captured.await.unwrap();
    assert!(
        err.to_string()
            .starts_with("the response URL answered 403 Forbidden"),
        "{err}"
    );
}

// ------------------------------------------------------------------------------------------
// Next to Better Auth

/// Columns, indexes and constraints of Better Auth's tables, as text to compare.
async fn better_auth_schema(database: &TestDatabase) -> Vec<String> {
    let tables = ["user", "session", "account", "verification", "jwks"].map(str::to_owned);
    let mut schema = Vec::new();
    for sql in [
        "select table_name || '.' || column_name || ' ' || data_type || ' null=' || is_nullable \
         || ' default=' || coalesce(column_default, '-') || ' #' || ordinal_position \
         from information_schema.columns \
         where table_schema = 'public' and table_name::text = any($1::text[])",
        "select tablename || ': ' || indexname || ': ' || indexdef from pg_indexes \
         where schemaname = 'public' and tablename::text = any($1::text[])",
        "select t.relname || ': ' || c.conname || ': ' || pg_get_constraintdef(c.oid) \
         from pg_constraint c join pg_class t on t.oid = c.conrelid \
         join pg_namespace n on n.oid = t.relnamespace \
         where n.nspname = 'public' and t.relname::text = any($1::text[])",
    ] {
        schema.extend(
            database
                .query(sql, &[&tables.as_slice()])
                .await
                .iter()
                .map(|row| row.get::<_, String>(0)),
        );
    }
    schema.sort();
    schema
}

/// An unmigrated database with the tables Better Auth's own migrator creates
/// (`tests/fixtures/better-auth-schema.sql`).
async fn better_auth_database() -> TestDatabase {
    let database = TestDatabase::create_unmigrated().await;
    for statement in include_str!("../fixtures/better-auth-schema.sql")
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        database.execute(statement, &[]).await;
    }
    database
}

#[tokio::test]
async fn migrating_a_database_better_auth_set_up_changes_nothing_of_better_auths() {
    let database = better_auth_database().await;
    // A user Better Auth signed up, which must survive.
    database
        .execute(
            r#"insert into "user" (id, name, email, "emailVerified") values ('ba-user', 'Grace', 'grace@example.com', true)"#,
            &[],
        )
        .await;
    let before = better_auth_schema(&database).await;
    assert!(
        before.len() > 30,
        "the snapshot sees the schema: {before:#?}"
    );

    let result = handle(&env_for(&database.url()), json!({}), &invocation())
        .await
        .expect("migrations succeed on Better Auth's tables");
    assert_eq!(result, json!({ "applied": all_migrations() }));

    assert_eq!(better_auth_schema(&database).await, before);
    let users = database
        .query(r#"select email from "user""#, &[])
        .await
        .iter()
        .map(|row| row.get::<_, String>(0))
        .collect::<Vec<_>>();
    assert_eq!(users, ["grace@example.com"]);
    assert!(tables(&database).await.contains("task"));
}

// ------------------------------------------------------------------------------------------
// migrate-cli

#[tokio::test]
async fn the_cli_applies_pending_migrations_and_says_what_it_did() {
    use std::process::ExitCode;
    let database = TestDatabase::create_unmigrated().await;
    let env = env_for(&database.url());

    let mut out = Vec::new();
    let code = migrate::cli(&[], &env, &mut out).await;
    assert_eq!(code, ExitCode::SUCCESS);
    let expected: String = all_migrations()
        .iter()
        .map(|name| format!("applied {name}\n"))
        .collect();
    assert_eq!(String::from_utf8(out).unwrap(), expected);

    let mut out = Vec::new();
    assert_eq!(migrate::cli(&[], &env, &mut out).await, ExitCode::SUCCESS);
    assert_eq!(String::from_utf8(out).unwrap(), "no pending migrations\n");

    let mut out = Vec::new();
    assert_eq!(
        migrate::cli(&[], &HashMap::new(), &mut out).await,
        ExitCode::FAILURE
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "migrate-cli: DATABASE_URL is not set\n"
    );

    let mut out = Vec::new();
    assert_eq!(
        migrate::cli(&["--bogus".to_owned()], &env, &mut out).await,
        ExitCode::from(2)
    );
    assert!(
        String::from_utf8(out)
            .unwrap()
            .starts_with("usage: migrate-cli")
    );
}

/// A database Better Auth 1.7.0–1.7.2 migrated has a required `account.issuer`; sign-up here
/// (which writes no issuer) must work on it once the migrations ran.
#[tokio::test]
async fn sign_up_works_on_a_database_whose_account_issuer_was_required() {
    let database = better_auth_database().await;
    database
        .execute(
            r#"alter table "account" add column "issuer" text not null"#,
            &[],
        )
        .await;
    handle(&env_for(&database.url()), json!({}), &invocation())
        .await
        .expect("migrations succeed");
    let nullable: String = database
        .query(
            "select is_nullable::text from information_schema.columns \
             where table_name = 'account' and column_name = 'issuer'",
            &[],
        )
        .await[0]
        .get(0);
    assert_eq!(nullable, "YES");
    let state = api_tests::test_state(&database.url(), &[]).await;
    let response = api_tests::call(
        &state,
        api_tests::auth::sign_up_request(api_tests::auth::new_user("ada@example.com")),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.raw_body);
}
