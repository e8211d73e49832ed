//! `POST /api/auth/update-user`: change the caller's `name` and `image`. The email has its own
//! route (change-email). Answers `{"status":true}` and sends the session cookie again, as
//! Better Auth does; the client then re-reads get-session.

use shared::better_auth::body::{self, type_name};
use shared::better_auth::origin::{self, Route};
use shared::better_auth::users::{self, ProfileChange};
use shared::better_auth::{cookies, endpoint, errors, sessions};
use shared::http::{StatusCode, ok_json};
use shared::serde_json::{Map, Value, json};
use shared::{Body, Endpoint, Request, Response, Result, State};

/// The fixture's cookie is signed with a placeholder secret: 401.
pub const ENDPOINT: Endpoint = endpoint(401);

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    origin::check_post(&state.config, &request, Route::Other)?;
    let body = body::parse_record(&request)?;
    let active = sessions::require_session(state, &request).await?;
    if body.get("email").is_some_and(is_truthy) {
        return Err(errors::EMAIL_CAN_NOT_BE_UPDATED.into());
    }
    let change = profile_change(&body)?;
    if change.name.is_none() && change.image.is_none() {
        return Err(errors::message_only(
            StatusCode::BAD_REQUEST,
            "No fields to update",
        ));
    }
    // Another request deleted the user between the two statements: the session went with it.
    let Some(_) = users::update_profile(&state.db, &active.user.id, &change).await? else {
        return Err(errors::UNAUTHORIZED.into());
    };
    shared::tracing::info!(
        name = change.name.is_some(),
        image = change.image.is_some(),
        "profile updated"
    );
    let mut response = ok_json(&json!({ "status": true }));
    cookies::renew_session_cookie(
        &state.config,
        &request,
        &mut response,
        &active.session.token,
    );
    Ok(response)
}

/// `name` (a string) and `image` (a string or null) from the body; other keys are ignored, as
/// Better Auth ignores keys that are not additional fields. Better Auth's schema takes any
/// value for either and lets the database fail on the wrong type (a 500); here that is a 400.
fn profile_change(body: &Map<String, Value>) -> Result<ProfileChange> {
    let wrong_type = |field: &str, value: &Value| {
        errors::validation_error(format!(
            "[body.{field}] Invalid input: expected string, received {}",
            type_name(value)
        ))
    };
    let name = match body.get("name") {
        None => None,
        Some(Value::String(name)) => Some(name.clone()),
        Some(other) => return Err(wrong_type("name", other)),
    };
    let image = match body.get("image") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(image)) => Some(Some(image.clone())),
        Some(other) => return Err(wrong_type("image", other)),
    };
    Ok(ProfileChange { name, image })
}

/// JavaScript's truthiness, which Better Auth's `if (body.email)` tests.
fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_truthy_email_is_refused() {
        for falsy in [json!(null), json!(false), json!(0), json!("")] {
            assert!(!is_truthy(&falsy), "{falsy}");
        }
        for truthy in [json!("a@b.co"), json!(1), json!([]), json!({}), json!(true)] {
            assert!(is_truthy(&truthy), "{truthy}");
        }
    }

    #[test]
    fn name_and_image_are_read_with_their_types() {
        let body = |value: Value| value.as_object().unwrap().clone();
        let change = profile_change(&body(json!({"name": "Ada", "image": null, "x": 1}))).unwrap();
        assert_eq!(change.name.as_deref(), Some("Ada"));
        assert_eq!(change.image, Some(None));
        let change = profile_change(&body(json!({"other": true}))).unwrap();
        assert!(change.name.is_none() && change.image.is_none());
        let err = profile_change(&body(json!({"name": 5}))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "400 Bad Request VALIDATION_ERROR: [body.name] Invalid input: expected string, received number"
        );
    }
}
