//! Requests built from the `events/*.json` fixtures: the same API Gateway payloads that
//! `cargo lambda invoke --data-file` and `sam local invoke -e` use, adjusted per test.

use serde_json::{Value, json};
use shared::Request;

/// A fixture being adjusted for one test. Unset parts keep the fixture's values.
#[derive(Debug, Clone)]
pub struct Fixture {
    function: String,
    event: Value,
}

/// Directory of the fixtures, next to template.yaml.
pub fn events_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

impl Fixture {
    /// `events/<function>.json`.
    pub fn load(function: &str) -> Fixture {
        let path = events_dir().join(format!("{function}.json"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Fixture {
            function: function.to_owned(),
            event: serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        }
    }

    /// The function (binary name) this fixture is a request for.
    pub fn function(&self) -> &str {
        &self.function
    }

    pub fn event(&self) -> &Value {
        &self.event
    }

    /// Sets a path parameter, and rewrites the raw path to match.
    pub fn path_param(mut self, name: &str, value: &str) -> Self {
        let old = self.event["pathParameters"][name]
            .as_str()
            .map(str::to_owned);
        self.event["pathParameters"][name] = json!(value);
        if let Some(old) = old {
            for pointer in ["/rawPath", "/requestContext/http/path"] {
                if let Some(Value::String(path)) = self.event.pointer_mut(pointer) {
                    *path = path
                        .split('/')
                        .map(|segment| if segment == old { value } else { segment })
                        .collect::<Vec<_>>()
                        .join("/");
                }
            }
        }
        self
    }

    pub fn user(self, user_id: &str) -> Self {
        self.path_param("user_id", user_id)
    }

    pub fn task(self, id: impl ToString) -> Self {
        self.path_param("id", &id.to_string())
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.event["headers"][name] = json!(value);
        self
    }

    pub fn without_header(mut self, name: &str) -> Self {
        if let Some(headers) = self.event["headers"].as_object_mut() {
            headers.remove(name);
        }
        self
    }

    /// Replaces the request's cookies (both the v2 `cookies` array, which API Gateway sends
    /// and which wins over the header, and the `cookie` header) with `cookie_header`
    /// (`"a=1; b=2"`).
    pub fn cookie(mut self, cookie_header: &str) -> Self {
        let pairs: Vec<Value> = cookie_header
            .split("; ")
            .filter(|pair| !pair.is_empty())
            .map(|pair| json!(pair))
            .collect();
        self.event["cookies"] = Value::Array(pairs);
        self.event["headers"]["cookie"] = json!(cookie_header);
        self
    }

    /// Removes every cookie (the `cookies` array and the `cookie` header).
    pub fn without_cookies(mut self) -> Self {
        if let Some(event) = self.event.as_object_mut() {
            event.remove("cookies");
        }
        self.without_header("cookie")
    }

    /// Sets API Gateway's `requestContext.http.sourceIp` (the caller's IP).
    pub fn source_ip(mut self, ip: &str) -> Self {
        self.event["requestContext"]["http"]["sourceIp"] = json!(ip);
        self
    }

    /// A binary body, already base64-encoded, as API Gateway delivers non-text payloads.
    pub fn base64_body(mut self, encoded: &str, decoded_len: usize) -> Self {
        self.event["body"] = json!(encoded);
        self.event["isBase64Encoded"] = json!(true);
        self.event["headers"]["content-length"] = json!(decoded_len.to_string());
        self
    }

    /// A raw body (any text, JSON or not).
    pub fn raw_body(mut self, body: &str) -> Self {
        self.event["body"] = json!(body);
        self.event["headers"]["content-length"] = json!(body.len().to_string());
        self
    }

    pub fn body(self, body: Value) -> Self {
        self.raw_body(&body.to_string())
    }

    pub fn no_body(mut self) -> Self {
        if let Some(event) = self.event.as_object_mut() {
            event.remove("body");
        }
        if let Some(headers) = self.event["headers"].as_object_mut() {
            headers.remove("content-length");
        }
        self
    }

    /// Replaces the query string (`"status=pending&limit=5"`), in both the raw and parsed forms.
    pub fn query(mut self, query: &str) -> Self {
        self.event["rawQueryString"] = json!(query);
        let mut parameters = serde_json::Map::new();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            // API Gateway joins repeated keys with commas in the parsed form.
            let entry = parameters
                .entry(key.into_owned())
                .or_insert_with(|| json!(""));
            let joined = match entry.as_str() {
                Some("") => value.into_owned(),
                Some(existing) => format!("{existing},{value}"),
                None => value.into_owned(),
            };
            *entry = json!(joined);
        }
        self.event["queryStringParameters"] = Value::Object(parameters);
        self
    }

    /// The `lambda_http::Request` the Lambda runtime would hand the function.
    pub fn request(&self) -> Request {
        shared::lambda_http::request::from_str(&self.event.to_string())
            .expect("fixture is an API Gateway v2 event")
    }
}
