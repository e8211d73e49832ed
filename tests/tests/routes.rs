//! template.yaml is the one list of routes: functions/, events/ and local-api must agree with it,
//! and every fixture must run through its handler.

use std::collections::BTreeSet;
use std::path::Path;

use api_tests::{Fixture, TestApp};
use local_api::template::Template;

fn template() -> Template {
    Template::parse(local_api::TEMPLATE_YAML, |_| None).expect("template.yaml parses")
}

fn workspace() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn names_in(dir: &str, suffix: &str) -> BTreeSet<String> {
    std::fs::read_dir(workspace().join(dir))
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(suffix).map(str::to_owned)
        })
        .collect()
}

#[test]
fn every_template_function_has_a_folder_and_every_folder_a_template_function() {
    let in_template: BTreeSet<String> = template().functions.into_values().collect();
    let folders = names_in("functions", "");
    assert_eq!(in_template, folders);
    for binary in &folders {
        let crate_dir = workspace().join("functions").join(binary);
        assert!(
            crate_dir.join("src/main.rs").is_file(),
            "{binary} has no main.rs"
        );
        let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains(&format!("name = \"{binary}\"")),
            "{binary}: package name differs from folder"
        );
    }
}

/// Each function has its log group (so its logs are kept for `LogRetentionDays` and deleted
/// with the stack) and its name among the outputs (for `sam remote invoke` and dashboards).
#[test]
fn every_function_has_a_log_group_and_an_output() {
    let doc: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(local_api::TEMPLATE_YAML).expect("template.yaml parses");
    for logical in template().functions.keys() {
        let group = &doc["Resources"][format!("{logical}LogGroup").as_str()];
        assert_eq!(group["Type"], "AWS::Logs::LogGroup", "{logical}LogGroup");
        let name = &group["Properties"]["LogGroupName"];
        let serde_yaml_ng::Value::Tagged(sub) = name else {
            panic!("{logical}LogGroup: LogGroupName is not a !Sub: {name:?}");
        };
        assert_eq!(sub.tag, "Sub", "{logical}LogGroup");
        assert_eq!(
            sub.value.as_str(),
            Some(format!("/aws/lambda/${{{logical}}}").as_str()),
            "{logical}LogGroup names its function's log group"
        );
        let output = &doc["Outputs"][format!("{logical}Name").as_str()]["Value"];
        let serde_yaml_ng::Value::Tagged(reference) = output else {
            panic!("no output {logical}Name = !Ref {logical}");
        };
        assert_eq!(
            (reference.tag.to_string().as_str(), reference.value.as_str()),
            ("!Ref", Some(logical.as_str())),
            "{logical}Name"
        );
    }
}

/// A new `DatabaseUrl` must never regenerate `BETTER_AUTH_SECRET` (that would sign every user
/// out and orphan the jwks keys): the two live in separate secrets, and only the database's
/// mentions `DatabaseUrl`. Every routed function may read both; the migrate function only the
/// database's.
#[test]
fn database_url_and_better_auth_secret_live_in_separate_secrets() {
    let doc: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(local_api::TEMPLATE_YAML).expect("template.yaml parses");
    let resources = &doc["Resources"];
    let text = |value: &serde_yaml_ng::Value| serde_yaml_ng::to_string(value).unwrap();
    assert!(text(&resources["DatabaseSecret"]).contains("${DatabaseUrl}"));
    let auth = text(&resources["AuthSecret"]);
    assert!(
        auth.contains("GenerateStringKey: BETTER_AUTH_SECRET"),
        "{auth}"
    );
    assert!(!auth.contains("DatabaseUrl"), "{auth}");
    assert_eq!(resources["AuthSecret"]["DeletionPolicy"], "Retain");
    for (logical, binary) in template().functions {
        let policies = text(&resources[logical.as_str()]["Properties"]["Policies"]);
        assert!(policies.contains("DatabaseSecret"), "{logical}: {policies}");
        let reads_auth_secret =
            policies.contains("AuthSecret") && policies.contains("ExistingAuthSecretArn");
        assert_eq!(
            reads_auth_secret,
            binary != "migrate",
            "{logical}: {policies}"
        );
    }
}

#[test]
fn every_route_has_a_fixture_and_a_local_handler_and_nothing_extra() {
    let template = template();
    let routed: BTreeSet<String> = template.routes.iter().map(|r| r.binary.clone()).collect();
    assert_eq!(
        routed.len(),
        template.routes.len(),
        "one route per function"
    );
    assert_eq!(
        names_in("events", ".json"),
        routed,
        "events/ has exactly one fixture per route"
    );
    let handlers: BTreeSet<String> = local_api::functions::FUNCTIONS
        .iter()
        .map(|f| f.binary.to_owned())
        .collect();
    assert_eq!(
        handlers, routed,
        "local-api serves exactly the template's routes"
    );
}

#[test]
fn every_fixture_matches_its_route() {
    for route in template().routes {
        let fixture = Fixture::load(&route.binary);
        let event = fixture.event();
        let route_key = format!("{} {}", route.method, route.path);
        assert_eq!(event["routeKey"], route_key, "{}", route.binary);
        assert_eq!(
            event["requestContext"]["routeKey"], route_key,
            "{}",
            route.binary
        );
        assert_eq!(
            event["requestContext"]["http"]["method"], route.method,
            "{}",
            route.binary
        );
        // The raw path is the route's path with each {param} replaced by its pathParameters value.
        let mut expected_path = route.path.clone();
        if let Some(params) = event["pathParameters"].as_object() {
            for (name, value) in params {
                expected_path =
                    expected_path.replace(&format!("{{{name}}}"), value.as_str().unwrap());
            }
        }
        assert_eq!(event["rawPath"], expected_path, "{}", route.binary);
        let request = fixture.request();
        assert_eq!(request.method().as_str(), route.method, "{}", route.binary);
    }
}

/// The fixtures' tokens and cookies are signed with a placeholder secret and long expired, so
/// every function must answer them with a clear 4xx (or Better Auth's `null`), never a 5xx.
#[tokio::test]
async fn every_fixture_runs_through_its_handler_without_a_server_error() {
    let app = TestApp::new().await;
    for route in template().routes {
        let response = app.call(Fixture::load(&route.binary)).await;
        assert!(
            response.status < 500,
            "{}: {} {}",
            route.binary,
            response.status,
            response.raw_body
        );
        // JSON (redirects too, with an empty body, as Better Auth sends them), but for Better
        // Auth's HTML error page.
        let content_type = match (response.status, route.binary.as_str()) {
            (_, "error-page") => Some("text/html; charset=utf-8"),
            _ => Some("application/json"),
        };
        assert_eq!(
            response.header("content-type"),
            content_type,
            "{}",
            route.binary
        );
        // Each function declares what its fixture gets (`ENDPOINT.fixture_status`), and says
        // why next to it: task routes 401 (the fixture's JWT is signed with a placeholder
        // secret), get-session and sign-out 200 (the cookie does not verify: Better Auth's
        // `null`/success), sign-up 200 and then sign-in 200 (as the user sign-up created), …
        let expected = local_api::functions::function(&route.binary)
            .expect("registered")
            .endpoint
            .fixture_status;
        assert_eq!(
            response.status, expected,
            "{}: {}",
            route.binary, response.raw_body
        );
    }
}
