//! Better Auth request bodies: read as better-call reads them, validated as zod reports them,
//! then deserialised into the route's own struct.
//!
//! Better Auth validates bodies with zod and reports every problem in one message
//! (`[body.email] Invalid email address; …`, code `VALIDATION_ERROR`); the better-auth client
//! shows that message, so we produce the same text. The schemas are small and fixed, so a few
//! lines of checks replace a schema library; a route declares its schema once, on its body
//! struct ([`Schema`]), and reads typed fields from then on.

use lambda_http::http::header;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::errors::{unsupported_media_type, validation_error};
use crate::Request;
use crate::error::{Error, Result};
use crate::http::{body_bytes, query_param};

/// A route's body: its zod schema as a field list, and the struct it deserialises into once
/// valid. The struct's serde names must be the fields' names (a test per route reads every
/// field through it).
pub trait Schema: DeserializeOwned {
    /// The fields in the order Better Auth's schema lists them (the order of its issues).
    const FIELDS: &'static [Field];
    /// Whether a missing body also gets zod's second "expected record" issue, which sign-up's
    /// schema (`z.object(…).and(z.record(…))`) has and sign-in's does not.
    const RECORD_ISSUE: bool = false;
}

/// Reads, validates and deserialises the request's body as Better Auth would: a
/// `VALIDATION_ERROR` with every issue, 415 for a type it does not parse, 413 when too large.
pub fn parse<T: Schema>(request: &Request) -> Result<T> {
    into_struct(validate(read_body(request)?, T::FIELDS, T::RECORD_ISSUE)?)
}

/// [`parse`], keeping the whole body too: sign-up reads its `user.additionalFields` from the
/// keys its schema does not name.
pub fn parse_with_record<T: Schema>(request: &Request) -> Result<(T, Map<String, Value>)> {
    let object = validate(read_body(request)?, T::FIELDS, T::RECORD_ISSUE)?;
    Ok((into_struct(object.clone())?, object))
}

fn into_struct<T: Schema>(object: Map<String, Value>) -> Result<T> {
    // Validation has checked every field's type, so this only fails when the struct and its
    // field list disagree: a bug. serde's message could quote a password, so it is not kept.
    serde_json::from_value(Value::Object(object)).map_err(|_| {
        Error::internal(format!(
            "{}: a validated body does not fit its struct",
            std::any::type_name::<T>()
        ))
    })
}

/// [`parse`] for a route whose client usually sends no body at all (sign-out, delete-user
/// without arguments): an empty body reads as `{}`, so every field of `T` is absent.
pub fn parse_optional<T: Schema>(request: &Request) -> Result<T> {
    let body = if body_bytes(request)?.is_empty() {
        Some(Value::Object(Map::new()))
    } else {
        read_body(request)?
    };
    into_struct(validate(body, T::FIELDS, T::RECORD_ISSUE)?)
}

/// A required query parameter, or zod's issue for it (`[query.token] Invalid input: expected
/// string, received undefined`), as the mailed-link routes validate their query.
pub fn required_query(request: &Request, name: &str) -> Result<String> {
    query_param(request, name).ok_or_else(|| {
        validation_error(format!(
            "[query.{name}] Invalid input: expected string, received undefined"
        ))
    })
}

/// A body whose schema is `z.record(z.string(), z.any())` (update-user): any object, its keys
/// for the route to read. Anything else is zod's "expected record" issue.
pub fn parse_record(request: &Request) -> Result<Map<String, Value>> {
    match read_body(request)? {
        Some(Value::Object(object)) => Ok(object),
        other => {
            let received = other.as_ref().map_or("undefined", type_name);
            Err(validation_error(format!(
                "[body] Invalid input: expected record, received {received}"
            )))
        }
    }
}

/// The request body as Better Auth reads it: JSON or a form; absent when there is no
/// Content-Type (Better Auth ignores such bodies); 415 for other types.
fn read_body(request: &Request) -> Result<Option<Value>> {
    let bytes = body_bytes(request)?;
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match content_type.as_deref() {
        None => Ok(None),
        Some(_) if bytes.is_empty() => Ok(None),
        Some("application/json") => serde_json::from_slice(bytes)
            .map(Some)
            .map_err(|_| Error::bad_request("Invalid JSON in request body")),
        Some("application/x-www-form-urlencoded") => Ok(Some(Value::Object(
            url::form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect(),
        ))),
        Some(other) => Err(unsupported_media_type(other)),
    }
}

/// What a schema field must be.
#[derive(Clone, Copy)]
pub enum Expect {
    String,
    /// A string of at least one character.
    NonEmptyString,
    /// A string that is an email address (zod's `email()`).
    Email,
    Boolean,
}

/// One field of a body schema, in the order Better Auth's schema lists them (which is the
/// order its issues are reported in).
pub struct Field {
    pub name: &'static str,
    pub expect: Expect,
    pub required: bool,
}

impl Field {
    pub const fn required(name: &'static str, expect: Expect) -> Self {
        Field {
            name,
            expect,
            required: true,
        }
    }
    pub const fn optional(name: &'static str, expect: Expect) -> Self {
        Field {
            name,
            expect,
            required: false,
        }
    }
}

/// Checks `body` against `fields` and returns it as an object, or a `VALIDATION_ERROR` with
/// every issue. `record_issue` adds zod's second "expected record" issue for a missing body,
/// which sign-up's schema has and sign-in's does not.
pub fn validate(
    body: Option<Value>,
    fields: &[Field],
    record_issue: bool,
) -> Result<Map<String, Value>> {
    let object = match body {
        Some(Value::Object(object)) => object,
        other => {
            let received = other.as_ref().map_or("undefined", type_name);
            let mut message = format!("[body] Invalid input: expected object, received {received}");
            if record_issue {
                message.push_str(&format!(
                    "; [body] Invalid input: expected record, received {received}"
                ));
            }
            return Err(validation_error(message));
        }
    };
    let issues: Vec<String> = fields
        .iter()
        .filter_map(|field| {
            let value = object.get(field.name);
            let problem = match (value, field.expect) {
                (None, _) if !field.required => return None,
                (None, Expect::Boolean) => {
                    "Invalid input: expected boolean, received undefined".to_owned()
                }
                (None, _) => "Invalid input: expected string, received undefined".to_owned(),
                (Some(Value::Bool(_)), Expect::Boolean) => return None,
                (Some(other), Expect::Boolean) => format!(
                    "Invalid input: expected boolean, received {}",
                    type_name(other)
                ),
                (Some(Value::String(text)), Expect::NonEmptyString) if text.is_empty() => {
                    "Too small: expected string to have >=1 characters".to_owned()
                }
                (Some(Value::String(text)), Expect::Email) if !is_email(text) => {
                    "Invalid email address".to_owned()
                }
                (Some(Value::String(_)), _) => return None,
                (Some(other), _) => format!(
                    "Invalid input: expected string, received {}",
                    type_name(other)
                ),
            };
            Some(format!("[body.{}] {problem}", field.name))
        })
        .collect();
    if issues.is_empty() {
        Ok(object)
    } else {
        Err(validation_error(issues.join("; ")))
    }
}

/// zod's name for the type of `value`, as its issues say it.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// zod 4's email pattern, which Better Auth uses:
/// `^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-\.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$`.
/// Spelled out by hand: it is the only pattern in the project, and a regex engine would add
/// more to every auth binary than this function.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    if text.contains("..") || local.starts_with('.') || domain.contains('@') {
        return false;
    }
    let local_ok = local
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_'+-.".contains(c))
        && local
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric() || "_+-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let Some((tld, hosts)) = labels.split_last() else {
        return false;
    };
    let tld_ok = tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic());
    let hosts_ok = !hosts.is_empty()
        && hosts.iter().all(|label| {
            label
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && tld_ok && hosts_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_pattern_matches_zod() {
        for good in [
            "a@b.co",
            "Ada.Lovelace+x@Example.COM",
            "o'neil@mail.example.org",
            "a-b_c@d-e.fg",
        ] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "",
            "bad",
            "@b.co",
            "a@",
            "a@b",
            "a@b.c",
            ".a@b.co",
            "a.@b.co",
            "a..b@c.co",
            "a@b..co",
            "a@-b.co",
            " a@b.co",
            "a@b.co ",
            "a@b@c.co",
            "a@b.c0",
            "ä@b.co",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn issues_are_reported_in_schema_order_like_zod() {
        let fields = [
            Field::required("name", Expect::String),
            Field::required("email", Expect::Email),
            Field::required("password", Expect::NonEmptyString),
            Field::optional("rememberMe", Expect::Boolean),
        ];
        let err = validate(
            Some(serde_json::json!({"email": "bad", "password": "", "rememberMe": "no"})),
            &fields,
            true,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "400 Bad Request VALIDATION_ERROR: [body.name] Invalid input: expected string, received undefined; \
             [body.email] Invalid email address; [body.password] Too small: expected string to have >=1 characters; \
             [body.rememberMe] Invalid input: expected boolean, received string"
        );
        let err = validate(Some(serde_json::json!([])), &fields, true).unwrap_err();
        assert!(err.to_string().ends_with(
            "[body] Invalid input: expected object, received array; [body] Invalid input: expected record, received array"
        ));
    }
}
