//! `POST /api/auth/update-user`: change the caller's `name`, `image` and additional fields. The
//! email has its own route (change-email). Answers `{"status":true}` and sends the session cookie again, as
//! Better Auth does; the client then re-reads get-session.

use shared::better_auth::body::{self, type_name};
use shared::better_auth::origin::{self, Route};
use shared::better_auth::user_fields::{Action, AdditionalFields, is_truthy};
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
    let change = profile_change(&body, state.config.user_fields())?;
    if change.is_empty() {
        return Err(errors::message_only(
            StatusCode::BAD_REQUEST,
            "No fields to update",
        ));
    }
    // Another request deleted the user between the two statements: the session went with it.
    let fields = state.config.user_fields();
    let Some(_) = users::update_profile(&state.db, fields, &active.user.id, &change).await? else {
        return Err(errors::UNAUTHORIZED.into());
    };
    shared::tracing::info!(
        name = change.name.is_some(),
        image = change.image.is_some(),
        additional_fields = change.additional.len(),
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

/// `name` (a string), `image` (a string or null) and the additional fields from the body;
/// other keys are ignored, as Better Auth ignores them. Better Auth's schema takes any value
/// for `name` or `image` and lets the database fail on the wrong type (a 500); here that is a
/// 400.
fn profile_change<'a>(
    body: &Map<String, Value>,
    fields: &'a AdditionalFields,
) -> Result<ProfileChange<'a>> {
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
    let additional = fields.parse_input(body, Action::Update)?;
    Ok(ProfileChange {
        name,
        image,
        additional,
    })
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
        let none = AdditionalFields::default();
        let change =
            profile_change(&body(json!({"name": "Ada", "image": null, "x": 1})), &none).unwrap();
        assert_eq!(change.name.as_deref(), Some("Ada"));
        assert_eq!(change.image, Some(None));
        let change = profile_change(&body(json!({"other": true})), &none).unwrap();
        assert!(change.is_empty());
        let err = profile_change(&body(json!({"name": 5})), &none).unwrap_err();
        assert_eq!(
            err.to_string(),
            "400 Bad Request VALIDATION_ERROR: [body.name] Invalid input: expected string, received number"
        );
    }
}
