//! The task routes through their handlers, with the `events/` fixtures as request templates,
//! on a real PostgreSQL database per test.

use api_tests::{Fixture, TestApp, hs256_token};
use serde_json::{Value, json};

struct Caller {
    app: TestApp,
    user: String,
    token: String,
}

async fn caller() -> Caller {
    let app = TestApp::new().await;
    let user = app.create_user("Ada").await;
    let token = app.token_for(&user);
    Caller { app, user, token }
}

impl Caller {
    fn fixture(&self, function: &str) -> Fixture {
        Fixture::load(function).user(&self.user).bearer(&self.token)
    }

    async fn create(&self, title: &str) -> Value {
        let response = self
            .app
            .call(self.fixture("create-task").body(json!({ "title": title })))
            .await;
        assert_eq!(response.status, 201, "{}", response.raw_body);
        response.body
    }

    async fn list(&self, query: &str) -> api_tests::TestResponse {
        self.app.call(self.fixture("list-tasks").query(query)).await
    }

    async fn get(&self, id: &Value) -> api_tests::TestResponse {
        self.app.call(self.fixture("get-task").task(id)).await
    }
}

fn titles(response: &api_tests::TestResponse) -> Vec<&str> {
    response
        .body
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect()
}

// ------------------------------------------------------------------------------------------
// Creating

#[tokio::test]
async fn create_returns_201_with_the_task() {
    let c = caller().await;
    let response = c
        .app
        .call(
            c.fixture("create-task")
                .body(json!({"title": "  Buy milk  ", "description": "oat"})),
        )
        .await;
    assert_eq!(response.status, 201);
    let task = &response.body;
    assert!(task["id"].as_i64().unwrap() > 0);
    assert_eq!(task["user_id"], json!(c.user));
    assert_eq!(task["title"], json!("Buy milk"), "title is trimmed");
    assert_eq!(task["description"], json!("oat"));
    assert_eq!(task["completed"], json!(false));
    for field in ["created_at", "updated_at"] {
        let text = task[field].as_str().unwrap();
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap_or_else(|e| panic!("{field} {text}: {e}"));
    }
    assert_eq!(response.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn create_without_description_stores_null() {
    let c = caller().await;
    let task = c.create("Just a title").await;
    assert_eq!(task["description"], Value::Null);
}

#[tokio::test]
async fn title_must_be_1_to_200_characters_after_trimming() {
    let c = caller().await;
    for (title, expected) in [
        (json!(""), 422),
        (json!("   "), 422),
        (json!("é".repeat(200)), 201),
        (json!("é".repeat(201)), 422),
        (json!(42), 422),
        (Value::Null, 422),
        (json!("nul\u{0}byte"), 422),
    ] {
        let response = c
            .app
            .call(c.fixture("create-task").body(json!({ "title": title })))
            .await;
        assert_eq!(
            response.status, expected,
            "title {title}: {}",
            response.raw_body
        );
        if expected == 422 {
            assert!(!response.detail().is_empty());
        }
    }
}

#[tokio::test]
async fn description_is_at_most_1000_characters() {
    let c = caller().await;
    for (length, expected) in [(1000, 201), (1001, 422)] {
        let body = json!({"title": "t", "description": "d".repeat(length)});
        let response = c.app.call(c.fixture("create-task").body(body)).await;
        assert_eq!(response.status, expected);
    }
}

#[tokio::test]
async fn missing_title_is_422_with_a_clear_detail() {
    let c = caller().await;
    let response = c
        .app
        .call(c.fixture("create-task").body(json!({"description": "x"})))
        .await;
    assert_eq!(response.status, 422);
    assert!(response.detail().contains("title"), "{}", response.detail());
}

#[tokio::test]
async fn body_that_is_not_json_is_400_and_creates_nothing() {
    let c = caller().await;
    for body in ["{not json", "title=x", ""] {
        let response = c.app.call(c.fixture("create-task").raw_body(body)).await;
        assert_eq!(response.status, 400, "{body:?}: {}", response.raw_body);
        assert_eq!(response.detail(), "Request body is not valid JSON");
    }
    assert_eq!(titles(&c.list("").await), Vec::<&str>::new());
}

#[tokio::test]
async fn body_over_64_kib_is_413() {
    let c = caller().await;
    let body = json!({"title": "t", "description": "x".repeat(70 * 1024)});
    let response = c.app.call(c.fixture("create-task").body(body)).await;
    assert_eq!(response.status, 413);
    assert!(response.detail().contains("64 KiB"));
}

#[tokio::test]
async fn valid_token_for_a_user_without_a_row_is_404_not_500() {
    let app = TestApp::new().await;
    let ghost = "GhostUserWithNoRow0000000000000a";
    let fixture = Fixture::load("create-task")
        .user(ghost)
        .bearer(&app.token_for(ghost));
    let response = app.call(fixture.body(json!({"title": "x"}))).await;
    assert_eq!(response.status, 404);
    assert_eq!(response.detail(), "User not found");
    let list = app
        .call(
            Fixture::load("list-tasks")
                .user(ghost)
                .bearer(&app.token_for(ghost)),
        )
        .await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body, json!([]));
}

// ------------------------------------------------------------------------------------------
// Listing

#[tokio::test]
async fn list_returns_only_the_callers_tasks_newest_first() {
    let c = caller().await;
    let other = c.app.create_user("Bob").await;
    c.create("first").await;
    c.create("second").await;
    let other_fixture = Fixture::load("create-task")
        .user(&other)
        .bearer(&c.app.token_for(&other));
    c.app
        .call(other_fixture.body(json!({"title": "bob's"})))
        .await;

    let response = c.list("").await;
    assert_eq!(response.status, 200);
    assert_eq!(titles(&response), ["second", "first"]);
}

#[tokio::test]
async fn list_filters_by_status_and_sorts_by_title() {
    let c = caller().await;
    let banana = c.create("banana").await;
    c.create("Apple").await;
    c.create("cherry").await;
    c.app
        .call(c.fixture("complete-task").task(&banana["id"]).no_body())
        .await;

    assert_eq!(titles(&c.list("status=completed").await), ["banana"]);
    assert_eq!(
        titles(&c.list("status=pending&sort=title").await),
        ["Apple", "cherry"]
    );
    assert_eq!(
        titles(&c.list("status=all&sort=title").await),
        ["Apple", "banana", "cherry"]
    );
}

#[tokio::test]
async fn list_pages_with_limit_and_offset() {
    let c = caller().await;
    for title in ["a", "b", "c", "d"] {
        c.create(title).await;
    }
    assert_eq!(titles(&c.list("limit=2").await), ["d", "c"]);
    assert_eq!(titles(&c.list("limit=2&offset=2").await), ["b", "a"]);
    assert_eq!(titles(&c.list("offset=10").await), Vec::<&str>::new());
}

#[tokio::test]
async fn list_rejects_bad_query_values_with_422() {
    let c = caller().await;
    for query in [
        "status=done",
        "sort=priority",
        "limit=0",
        "limit=101",
        "limit=x",
        "offset=-1",
        "offset=1.5",
    ] {
        let response = c.list(query).await;
        assert_eq!(response.status, 422, "{query}");
        assert!(!response.detail().is_empty());
    }
}

// ------------------------------------------------------------------------------------------
// Reading, updating, deleting, completing

#[tokio::test]
async fn get_returns_the_task() {
    let c = caller().await;
    let task = c.create("read me").await;
    let response = c.get(&task["id"]).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, task);
}

#[tokio::test]
async fn other_users_task_is_not_found() {
    let c = caller().await;
    let task = c.create("mine").await;
    let intruder = c.app.create_user("Eve").await;
    let token = c.app.token_for(&intruder);
    let id = &task["id"];
    let responses = [
        c.app
            .call(
                Fixture::load("get-task")
                    .user(&intruder)
                    .bearer(&token)
                    .task(id),
            )
            .await,
        c.app
            .call(
                Fixture::load("update-task")
                    .user(&intruder)
                    .bearer(&token)
                    .task(id)
                    .body(json!({"title": "x"})),
            )
            .await,
        c.app
            .call(
                Fixture::load("delete-task")
                    .user(&intruder)
                    .bearer(&token)
                    .task(id),
            )
            .await,
        c.app
            .call(
                Fixture::load("complete-task")
                    .user(&intruder)
                    .bearer(&token)
                    .task(id)
                    .no_body(),
            )
            .await,
    ];
    for response in responses {
        assert_eq!(response.status, 404);
        assert_eq!(response.detail(), "Task not found");
    }
    assert_eq!(c.get(id).await.body, task, "the owner's task is untouched");
}

#[tokio::test]
async fn missing_or_non_numeric_task_id_is_404() {
    let c = caller().await;
    for id in ["999999", "abc", "-1", "0", "99999999999999999999999"] {
        let response = c.app.call(c.fixture("get-task").task(id)).await;
        assert_eq!(response.status, 404, "{id}");
        assert_eq!(response.detail(), "Task not found");
    }
}

#[tokio::test]
async fn update_changes_only_the_given_fields() {
    let c = caller().await;
    let created = c
        .app
        .call(
            c.fixture("create-task")
                .body(json!({"title": "t", "description": "d"})),
        )
        .await
        .body;
    let id = &created["id"];
    let update = |body: Value| c.app.call(c.fixture("update-task").task(id).body(body));

    let response = update(json!({"completed": true})).await;
    assert_eq!(response.status, 200);
    assert_eq!(
        (
            response.body["title"].as_str(),
            response.body["description"].as_str()
        ),
        (Some("t"), Some("d"))
    );
    assert_eq!(response.body["completed"], json!(true));
    assert!(response.body["updated_at"].as_str() >= created["updated_at"].as_str());

    let response = update(json!({"title": " renamed ", "description": null})).await;
    assert_eq!(response.body["title"], json!("renamed"));
    assert_eq!(
        response.body["description"],
        Value::Null,
        "null clears the description"
    );
    assert_eq!(response.body["completed"], json!(true));
}

#[tokio::test]
async fn update_rejects_bad_fields_and_changes_nothing() {
    let c = caller().await;
    let task = c.create("keep").await;
    for (body, status) in [
        (json!({"title": null}), 422),
        (json!({"title": ""}), 422),
        (json!({"title": 5}), 422),
        (json!({"completed": "yes"}), 422),
        (json!({"completed": null}), 422),
        (json!({"description": "x".repeat(1001)}), 422),
        (json!([1, 2]), 422),
    ] {
        let response = c
            .app
            .call(
                c.fixture("update-task")
                    .task(&task["id"])
                    .body(body.clone()),
            )
            .await;
        assert_eq!(response.status, status, "{body}");
    }
    let response = c
        .app
        .call(c.fixture("update-task").task(&task["id"]).raw_body("{"))
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(c.get(&task["id"]).await.body, task);
}

#[tokio::test]
async fn delete_returns_the_deleted_task_and_it_is_gone() {
    let c = caller().await;
    let task = c.create("bye").await;
    let response = c.app.call(c.fixture("delete-task").task(&task["id"])).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, task);
    assert_eq!(c.get(&task["id"]).await.status, 404);
    let again = c.app.call(c.fixture("delete-task").task(&task["id"])).await;
    assert_eq!(again.status, 404);
}

#[tokio::test]
async fn complete_toggles_without_a_body_and_sets_with_one() {
    let c = caller().await;
    let task = c.create("toggle").await;
    let complete = |fixture: Fixture| c.app.call(fixture);
    let base = || c.fixture("complete-task").task(&task["id"]);

    assert_eq!(
        complete(base().no_body()).await.body["completed"],
        json!(true)
    );
    assert_eq!(
        complete(base().no_body()).await.body["completed"],
        json!(false)
    );
    // Setting is idempotent: a retried request gives the same result.
    assert_eq!(
        complete(base().body(json!({"completed": true}))).await.body["completed"],
        json!(true)
    );
    assert_eq!(
        complete(base().body(json!({"completed": true}))).await.body["completed"],
        json!(true)
    );
    assert_eq!(
        complete(base().raw_body("null")).await.body["completed"],
        json!(false),
        "null toggles"
    );

    let bad = complete(base().body(json!({"completed": "yes"}))).await;
    assert_eq!(bad.status, 422);
    assert_eq!(complete(base().raw_body("{oops")).await.status, 400);
}

// ------------------------------------------------------------------------------------------
// Authentication and authorisation

#[tokio::test]
async fn missing_or_invalid_token_is_401_with_www_authenticate() {
    let c = caller().await;
    let other_secret = {
        let now = chrono::Utc::now().timestamp();
        let claims = json!({"sub": c.user, "exp": now + 600, "iat": now});
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(b"some-other-secret-some-other-secret!!"),
        )
        .unwrap()
    };
    let alg_none = {
        use base64::Engine;
        let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let now = chrono::Utc::now().timestamp();
        format!(
            "{}.{}.",
            b64(json!({"alg": "none", "typ": "JWT"})),
            b64(json!({"sub": c.user, "exp": now + 600}))
        )
    };
    let hs384 = {
        let now = chrono::Utc::now().timestamp();
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS384),
            &json!({"sub": c.user, "exp": now + 600}),
            &jsonwebtoken::EncodingKey::from_secret(api_tests::TEST_SECRET.as_bytes()),
        )
        .unwrap()
    };
    let no_exp = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": c.user}),
        &jsonwebtoken::EncodingKey::from_secret(api_tests::TEST_SECRET.as_bytes()),
    )
    .unwrap();

    let cases: Vec<(&str, Fixture)> = vec![
        (
            "no header",
            Fixture::load("list-tasks")
                .user(&c.user)
                .without_header("authorization"),
        ),
        (
            "not bearer",
            Fixture::load("list-tasks")
                .user(&c.user)
                .header("authorization", "Basic dXNlcjpwYXNz"),
        ),
        (
            "garbage",
            Fixture::load("list-tasks")
                .user(&c.user)
                .bearer("not.a.jwt"),
        ),
        (
            "wrong secret",
            Fixture::load("list-tasks")
                .user(&c.user)
                .bearer(&other_secret),
        ),
        (
            "alg none",
            Fixture::load("list-tasks").user(&c.user).bearer(&alg_none),
        ),
        (
            "HS384",
            Fixture::load("list-tasks").user(&c.user).bearer(&hs384),
        ),
        (
            "no exp",
            Fixture::load("list-tasks").user(&c.user).bearer(&no_exp),
        ),
        (
            "expired",
            Fixture::load("list-tasks")
                .user(&c.user)
                .bearer(&hs256_token(&c.user, -60)),
        ),
        (
            "fixture's token (other secret)",
            Fixture::load("list-tasks").user(&c.user),
        ),
    ];
    for (case, fixture) in cases {
        let response = c.app.call(fixture).await;
        assert_eq!(response.status, 401, "{case}: {}", response.raw_body);
        assert_eq!(
            response.header("www-authenticate"),
            Some("Bearer"),
            "{case}"
        );
        assert!(!response.detail().is_empty(), "{case}");
    }
}

#[tokio::test]
async fn expiry_has_at_most_30_seconds_of_leeway() {
    let c = caller().await;
    let within = Fixture::load("list-tasks")
        .user(&c.user)
        .bearer(&hs256_token(&c.user, -20));
    assert_eq!(c.app.call(within).await.status, 200);
    let beyond = Fixture::load("list-tasks")
        .user(&c.user)
        .bearer(&hs256_token(&c.user, -45));
    assert_eq!(c.app.call(beyond).await.status, 401);
}

#[tokio::test]
async fn token_for_another_user_is_403_on_every_route() {
    let c = caller().await;
    let task = c.create("private").await;
    let mallory = c.app.create_user("Mallory").await;
    let token = c.app.token_for(&mallory);
    let as_mallory = |function: &str| {
        Fixture::load(function)
            .user(&c.user)
            .bearer(&token)
            .task(&task["id"])
    };
    let responses = [
        c.app.call(as_mallory("list-tasks")).await,
        c.app
            .call(as_mallory("create-task").body(json!({"title": "x"})))
            .await,
        c.app.call(as_mallory("get-task")).await,
        c.app
            .call(as_mallory("update-task").body(json!({"title": "x"})))
            .await,
        c.app.call(as_mallory("delete-task")).await,
        c.app.call(as_mallory("complete-task").no_body()).await,
    ];
    for response in responses {
        assert_eq!(response.status, 403, "{}", response.raw_body);
        assert!(!response.detail().is_empty());
    }
    assert_eq!(c.get(&task["id"]).await.body, task);
    assert_eq!(titles(&c.list("").await), ["private"]);
}

// ------------------------------------------------------------------------------------------
// Round trips

#[tokio::test]
async fn every_task_route_costs_exactly_one_database_round_trip() {
    let c = caller().await;
    let task = c.create("counted").await;
    let id = &task["id"];
    c.app.take_round_trips();

    for (name, run) in round_trip_cases(&c, id) {
        c.app.take_round_trips();
        let status = run.await;
        assert!(status < 300, "{name}: {status}");
        assert_eq!(c.app.take_round_trips(), 1, "{name}");
    }
}

type Case<'a> = (
    &'static str,
    std::pin::Pin<Box<dyn std::future::Future<Output = u16> + 'a>>,
);

fn round_trip_cases<'a>(c: &'a Caller, id: &'a Value) -> Vec<Case<'a>> {
    vec![
        (
            "list-tasks",
            Box::pin(async move { c.list("status=pending&sort=title&limit=10").await.status }),
        ),
        (
            "create-task",
            Box::pin(async move {
                c.app
                    .call(c.fixture("create-task").body(json!({"title": "n"})))
                    .await
                    .status
            }),
        ),
        ("get-task", Box::pin(async move { c.get(id).await.status })),
        (
            "update-task",
            Box::pin(async move {
                let f = c
                    .fixture("update-task")
                    .task(id)
                    .body(json!({"title": "u", "description": null}));
                c.app.call(f).await.status
            }),
        ),
        (
            "complete-task",
            Box::pin(async move {
                c.app
                    .call(c.fixture("complete-task").task(id).no_body())
                    .await
                    .status
            }),
        ),
        (
            "delete-task",
            Box::pin(async move { c.app.call(c.fixture("delete-task").task(id)).await.status }),
        ),
    ]
}

#[tokio::test]
async fn a_page_sorted_by_title_is_read_from_an_index_without_sorting_every_task() {
    use shared::tasks::{SortOrder, list_sql};
    let app = TestApp::new().await;
    let user = app.create_user("Ada").await;
    // 40 000 tasks of 200 users, 200 of them Ada's: enough for the planner to prefer an index.
    app.database
        .execute(
            r#"insert into "user" (id, name, email, "emailVerified")
               select 'u' || n, 'User', 'u' || n || '@example.com', false from generate_series(1, 199) n"#,
            &[],
        )
        .await;
    app.database
        .execute(
            r#"insert into task (user_id, title)
               select case when n % 200 = 0 then $1 else 'u' || (n % 200) end, md5(n::text)
               from generate_series(1, 40000) n"#,
            &[&user],
        )
        .await;
    app.database.execute("analyze task", &[]).await;
    for (sort, index) in [
        (SortOrder::Title, "task_user_id_lower_title_idx"),
        (SortOrder::Created, "task_user_id_created_at_idx"),
    ] {
        app.database
            .execute(
                &format!(
                    "prepare page_{index} (text, boolean, bigint, bigint) as {}",
                    list_sql(sort)
                ),
                &[],
            )
            .await;
        let rows = app
            .database
            .query(
                &format!("explain (format json) execute page_{index}('{user}', null, 20, 0)"),
                &[],
            )
            .await;
        let plan: Value = rows[0].get(0);
        let text = plan.to_string();
        assert!(
            text.contains(index),
            "{sort:?} does not use {index}: {text}"
        );
        assert!(
            !text.contains(r#""Node Type":"Sort""#),
            "{sort:?} sorts: {text}"
        );
    }
}
