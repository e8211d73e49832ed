//! `GET /api/auth/ok`.

use api_tests::Fixture;
use api_tests::auth::*;

#[tokio::test]
async fn ok_answers_ok_true_without_touching_the_database() {
    let app = app().await;
    app.take_round_trips();
    let response = app.call(Fixture::load("ok").without_cookies()).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.raw_body, r#"{"ok":true}"#);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert!(response.set_cookies().is_empty());
    assert_eq!(app.take_round_trips(), 0);
}
