//! `user.additionalFields` and the jwt plugin's options from `BETTER_AUTH_OPTIONS`: the columns
//! the migration adds, sign-up and update-user with Better Auth's errors, and the fields in
//! every user object and JWT. (That a stock Better Auth server answers the same is
//! e2e/seed-configs.test.mjs.)

use api_tests::Fixture;
use api_tests::auth::*;
use serde_json::{Value, json};

const FIELDS: &str = r#"{"user":{"additionalFields":{
    "plan": {"type": "string", "required": true},
    "role": {"type": "string", "input": false, "defaultValue": "member"},
    "note": {"type": "string", "required": false, "returned": false},
    "age": {"type": "number", "required": false},
    "newsletter": {"type": "boolean", "defaultValue": false},
    "birthday": {"type": "date", "required": false, "fieldName": "birth_day"}}}}"#;

fn sign_up_with(email: &str, extra: Value) -> Fixture {
    let mut body = new_user(email);
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    sign_up_request(body)
}

/// The additional fields of a user object, in order.
fn extras(user: &Value) -> Vec<(&str, &Value)> {
    user.as_object()
        .unwrap()
        .iter()
        .filter(|(key, _)| !USER_KEYS.contains(&key.as_str()))
        .map(|(key, value)| (key.as_str(), value))
        .collect()
}

#[tokio::test]
async fn sign_up_stores_the_fields_and_every_user_object_and_jwt_returns_them() {
    let app = app_with_options(FIELDS).await;
    let response = app
        .call(sign_up_with(
            "ada@example.com",
            json!({"plan": "pro", "note": "private", "age": 36, "birthday": "1815-12-10T00:00:00.000Z",
                   "ignored": "not a field"}),
        ))
        .await;
    let who = SignedIn::from(response);
    let expected = [
        ("plan", json!("pro")),
        ("role", json!("member")),
        ("age", json!(36)),
        ("newsletter", json!(false)),
        ("birthday", json!("1815-12-10T00:00:00.000Z")),
    ];
    let expected: Vec<(&str, &Value)> = expected.iter().map(|(k, v)| (*k, v)).collect();
    assert_eq!(extras(&who.response.body["user"]), expected);
    // Core keys first, id last, as Better Auth orders them.
    let keys = keys(&who.response.body["user"]);
    assert_eq!(keys.last(), Some(&"id"));

    // The row: each value in its own column (fieldName for birthday), the hidden note too.
    let rows = app
        .database
        .query(
            r#"select "plan", "role", "note", "age", "newsletter", "birth_day"::text from "user""#,
            &[],
        )
        .await;
    let row = &rows[0];
    assert_eq!(row.get::<_, String>(0), "pro");
    assert_eq!(row.get::<_, String>(1), "member");
    assert_eq!(row.get::<_, String>(2), "private");
    assert_eq!(row.get::<_, i32>(3), 36);
    assert!(!row.get::<_, bool>(4));
    assert!(row.get::<_, String>(5).starts_with("1815-12-10 00:00:00"));

    let session = app.call(with_cookie("get-session", &who.cookie)).await;
    assert_eq!(extras(&session.body["user"]), expected);
    let signed_in = app
        .call(sign_in_request(credentials("ada@example.com")))
        .await;
    assert_eq!(extras(&signed_in.body["user"]), expected);
    let (_, claims) = jwt_parts(&jwt_for(&app, &who).await);
    for (key, value) in &expected {
        assert_eq!(&&claims[*key], value, "{key} in the JWT");
    }
    assert!(
        claims.get("note").is_none(),
        "returned: false stays out of the JWT"
    );
}

#[tokio::test]
async fn sign_up_refuses_missing_forbidden_and_mistyped_fields_and_writes_nothing() {
    let app = app_with_options(FIELDS).await;
    for (extra, status, code, message) in [
        (json!({}), 400, "MISSING_FIELD", "plan is required"),
        (
            json!({"plan": null}),
            400,
            "VALIDATION_ERROR",
            "[body.plan] Invalid input: expected string, received null",
        ),
        (
            json!({"plan": "pro", "age": "thirty-six"}),
            400,
            "VALIDATION_ERROR",
            "[body.age] Invalid input: expected number, received string",
        ),
        (
            json!({"plan": "pro", "newsletter": "yes"}),
            400,
            "VALIDATION_ERROR",
            "[body.newsletter] Invalid input: expected boolean, received string",
        ),
        (
            json!({"plan": "pro", "birthday": "next tuesday"}),
            400,
            "VALIDATION_ERROR",
            "[body.birthday] Invalid input: expected date, received string",
        ),
        (
            json!({"plan": "pro", "age": 99999999999u64}),
            400,
            "VALIDATION_ERROR",
            "[body.age] Invalid input: expected an integer of the column's range, received number",
        ),
    ] {
        let response = app
            .call(sign_up_with("ada@example.com", extra.clone()))
            .await;
        assert_error(&response, status, code, message);
        assert_eq!(row_counts(&app).await[..3], [0, 0, 0], "{extra}");
    }
    // input: false takes its default on sign-up whatever the body says (Better Auth's rule).
    let who = SignedIn::from(
        app.call(sign_up_with(
            "ada@example.com",
            json!({"plan": "pro", "role": "admin"}),
        ))
        .await,
    );
    assert_eq!(who.response.body["user"]["role"], "member");
}

#[tokio::test]
async fn update_user_changes_only_the_fields_sent_and_refuses_forbidden_ones() {
    let app = app_with_options(FIELDS).await;
    let who = SignedIn::from(
        app.call(sign_up_with(
            "ada@example.com",
            json!({"plan": "pro", "age": 36}),
        ))
        .await,
    );
    let updated = call_account(
        &app,
        "update-user",
        &who.cookie,
        json!({"plan": "team", "age": null, "newsletter": true}),
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.raw_body);
    assert_eq!(updated.body, json!({"status": true}));
    let session = app.call(with_cookie("get-session", &who.cookie)).await;
    let user = &session.body["user"];
    assert_eq!(
        (
            &user["plan"],
            &user["age"],
            &user["newsletter"],
            &user["role"]
        ),
        (&json!("team"), &json!(null), &json!(true), &json!("member"))
    );

    let forbidden = call_account(&app, "update-user", &who.cookie, json!({"role": "admin"})).await;
    assert_error(
        &forbidden,
        400,
        "FIELD_NOT_ALLOWED",
        "role is not allowed to be set",
    );
    let nulled = call_account(&app, "update-user", &who.cookie, json!({"plan": null})).await;
    assert_error(
        &nulled,
        400,
        "VALIDATION_ERROR",
        "[body.plan] Invalid input: expected string, received null",
    );
    // A falsy value of an input: false field is ignored, so nothing is left to update.
    let nothing = call_account(&app, "update-user", &who.cookie, json!({"role": ""})).await;
    assert_eq!(nothing.status, 400, "{}", nothing.raw_body);
    assert_eq!(nothing.body["message"], "No fields to update");
    let session = app.call(with_cookie("get-session", &who.cookie)).await;
    assert_eq!(session.body["user"]["plan"], "team");
    assert_eq!(session.body["user"]["role"], "member");
}

#[tokio::test]
async fn the_seeds_two_optional_string_fields_round_trip() {
    let app = app_with_options(
        r#"{"session":{"expiresIn":86400},"user":{"additionalFields":{
            "educationLevel":{"type":"string","required":false},
            "programmingExperience":{"type":"string","required":false}}}}"#,
    )
    .await;
    let who = sign_up(&app, "ada@example.com").await;
    let user = &who.response.body["user"];
    assert_eq!(user["educationLevel"], Value::Null);
    assert_eq!(user["programmingExperience"], Value::Null);
    let cookie = who.response.set_cookie(SESSION_COOKIE).unwrap();
    assert!(cookie.contains("; Max-Age=86400;"), "{cookie}");
    let updated = call_account(
        &app,
        "update-user",
        &who.cookie,
        json!({"educationLevel": "undergraduate", "programmingExperience": "beginner"}),
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.raw_body);
    let (_, claims) = jwt_parts(&jwt_for(&app, &who).await);
    assert_eq!(claims["educationLevel"], "undergraduate");
    assert_eq!(claims["programmingExperience"], "beginner");
}

#[tokio::test]
async fn jwt_expiration_time_issuer_and_audience_follow_the_plugin_options() {
    let app = app_with_options(
        r#"{"plugins":{"jwt":{"jwt":{"expirationTime":"1h","issuer":"https://app.example.com",
                                     "audience":["https://app.example.com","tasks"]}}}}"#,
    )
    .await;
    let who = sign_up(&app, "ada@example.com").await;
    let jwt = jwt_for(&app, &who).await;
    let (_, claims) = jwt_parts(&jwt);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    assert_eq!(claims["iss"], "https://app.example.com");
    assert_eq!(claims["aud"], json!(["https://app.example.com", "tasks"]));
    // The task routes accept what this API issues.
    let listed = app.call(list_tasks(&who.user_id, &jwt)).await;
    assert_eq!(listed.status, 200, "{}", listed.raw_body);
}

#[tokio::test]
async fn the_migration_adds_each_column_once_and_keeps_existing_ones() {
    let app = app_with_options(FIELDS).await;
    // Better Auth's migrator's types: NOT NULL unless required: false, static defaults.
    let expected = [
        "age integer YES ",
        "birth_day timestamp with time zone YES ",
        "newsletter boolean NO false",
        "note text YES ",
        "plan text NO ",
        "role text NO 'member'::text",
    ];
    assert_eq!(column_shapes(&app).await, expected);
    let fields = app.state.config.user_fields();
    let direct = shared::db::ConnectOptions::from_url(&app.database.url()).unwrap();
    let again = shared::migrations::run(&direct, fields).await.unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(column_shapes(&app).await, expected);
}

async fn column_shapes(app: &api_tests::TestApp) -> Vec<String> {
    app.database
        .query(
            r#"select column_name::text, data_type::text, is_nullable::text, coalesce(column_default, '')
               from information_schema.columns where table_name = 'user' and column_name in
               ('plan', 'role', 'note', 'age', 'newsletter', 'birth_day') order by column_name"#,
            &[],
        )
        .await
        .iter()
        .map(|row| {
            format!(
                "{} {} {} {}",
                row.get::<_, String>(0),
                row.get::<_, String>(1),
                row.get::<_, String>(2),
                row.get::<_, String>(3)
            )
        })
        .collect()
}
