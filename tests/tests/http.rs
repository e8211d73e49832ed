//! The API over HTTP, as local-api serves it: the same router the binary runs, on a free port,
//! with template.yaml's routes and CORS settings.

use std::sync::Arc;

use api_tests::TestApp;
use local_api::template::Template;
use serde_json::{Value, json};

const ORIGIN: &str = "http://localhost:3000";

struct Server {
    base: String,
    http: reqwest::Client,
    _app: TestApp,
}

async fn server() -> Server {
    let app = TestApp::new().await;
    let template = Template::parse(local_api::TEMPLATE_YAML, |_| None).unwrap();
    let router = local_api::server::router(Arc::clone(&app.state), &template).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(local_api::server::serve(
        listener,
        router,
        std::future::pending(),
    ));
    Server {
        base,
        http: reqwest::Client::new(),
        _app: app,
    }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Signs up a fresh user; returns (user id, session cookie, JWT).
    async fn signed_up_user(&self) -> (String, String, String) {
        let email = format!(
            "{}@example.com",
            shared::better_auth::ids::random_id().to_lowercase()
        );
        let response = self
            .http
            .post(self.url("/api/auth/sign-up/email"))
            .header("origin", ORIGIN)
            .json(&json!({"email": email, "password": "correct horse battery", "name": "Ada"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let body: Value = response.json().await.unwrap();
        let token: Value = self
            .http
            .get(self.url("/api/auth/token"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            body["user"]["id"].as_str().unwrap().to_owned(),
            cookie,
            token["token"].as_str().unwrap().to_owned(),
        )
    }
}

#[tokio::test]
async fn a_signed_up_user_manages_tasks_over_http() {
    let server = server().await;
    let (user, _cookie, jwt) = server.signed_up_user().await;
    let tasks = server.url(&format!("/api/{user}/tasks"));
    let http = &server.http;

    let created = http
        .post(&tasks)
        .bearer_auth(&jwt)
        .json(&json!({"title": "Write docs"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let task: Value = created.json().await.unwrap();
    let one = format!("{tasks}/{}", task["id"]);

    let list: Value = http
        .get(&tasks)
        .bearer_auth(&jwt)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([task]));
    let got = http.get(&one).bearer_auth(&jwt).send().await.unwrap();
    assert_eq!(got.status(), 200);
    let updated: Value = http
        .put(&one)
        .bearer_auth(&jwt)
        .json(&json!({"completed": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(updated["completed"], json!(true));
    let toggled: Value = http
        .patch(format!("{one}/complete"))
        .bearer_auth(&jwt)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(toggled["completed"], json!(false));
    let deleted = http.delete(&one).bearer_auth(&jwt).send().await.unwrap();
    assert_eq!(deleted.status(), 200);
    assert_eq!(deleted.json::<Value>().await.unwrap()["id"], task["id"]);
    let gone = http.get(&one).bearer_auth(&jwt).send().await.unwrap();
    assert_eq!(gone.status(), 404);
    assert_eq!(
        gone.json::<Value>().await.unwrap(),
        json!({"detail": "Task not found"})
    );
}

#[tokio::test]
async fn task_routes_answer_401_with_www_authenticate_and_403_for_another_user() {
    let server = server().await;
    let (user, _, jwt) = server.signed_up_user().await;
    let (other, _, _) = server.signed_up_user().await;

    let missing = server
        .http
        .get(server.url(&format!("/api/{user}/tasks")))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 401);
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    assert!(missing.json::<Value>().await.unwrap()["detail"].is_string());

    let foreign = server
        .http
        .get(server.url(&format!("/api/{other}/tasks")))
        .bearer_auth(&jwt)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
}

#[tokio::test]
async fn oversized_and_malformed_bodies_are_4xx_over_http() {
    let server = server().await;
    let (user, _, jwt) = server.signed_up_user().await;
    let tasks = server.url(&format!("/api/{user}/tasks"));
    let big = json!({"title": "x", "description": "y".repeat(100 * 1024)});
    let response = server
        .http
        .post(&tasks)
        .bearer_auth(&jwt)
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let response = server
        .http
        .post(&tasks)
        .bearer_auth(&jwt)
        .header("content-type", "application/json")
        .body("{broken")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn unknown_routes_and_methods_are_404_like_api_gateway() {
    let server = server().await;
    for (method, path) in [
        ("GET", "/nope"),
        ("GET", "/api/auth/sign-in/email"),
        ("POST", "/api/auth/get-session"),
    ] {
        let response = server
            .http
            .request(method.parse().unwrap(), server.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{method} {path}");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"message": "Not Found"})
        );
    }
}

#[tokio::test]
async fn cors_preflight_allows_trusted_origins_with_credentials_only() {
    let server = server().await;
    let preflight = |origin: &'static str| {
        server
            .http
            .request(
                reqwest::Method::OPTIONS,
                server.url("/api/auth/sign-in/email"),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let trusted = preflight(ORIGIN).await.unwrap();
    assert!(trusted.status().is_success());
    assert_eq!(trusted.headers()["access-control-allow-origin"], ORIGIN);
    assert_eq!(
        trusted.headers()["access-control-allow-credentials"],
        "true"
    );
    let methods = trusted.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        assert!(methods.contains(method), "{methods}");
    }

    let foreign = preflight("http://evil.example").await.unwrap();
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    // The browser may read the JWT and bearer headers on real responses.
    let (_, cookie, _) = server.signed_up_user().await;
    let session = server
        .http
        .get(server.url("/api/auth/get-session"))
        .header("origin", ORIGIN)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let exposed = session.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        exposed.contains("set-auth-jwt") && exposed.contains("set-auth-token"),
        "{exposed}"
    );
    assert!(session.headers().contains_key("set-auth-jwt"));
}
