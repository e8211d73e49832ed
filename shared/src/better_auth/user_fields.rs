//! `user.additionalFields`: the extra columns of the `user` table that a team declares in its
//! `auth.ts`, and everything that follows from them: the columns the migration adds, the body
//! keys sign-up and update-user accept (with Better Auth's `MISSING_FIELD`, `FIELD_NOT_ALLOWED`
//! and `VALIDATION_ERROR`), and the keys every user object and JWT carries.
//!
//! ```json
//! {"user": {"additionalFields": {
//!   "educationLevel": {"type": "string", "required": false},
//!   "role": {"type": "string", "input": false, "defaultValue": "member"}}}}
//! ```
//!
//! The columns are Better Auth's own (its migrator's types and names: `text`, `integer`,
//! `boolean`, `timestamptz`; the key, or `fieldName`), so a Better Auth server configured with
//! the same fields reads and writes the same rows.
//!
//! Where Better Auth leaves a wrong value to the database (a string for a number, `null` for a
//! `NOT NULL` column: a 500 there), this API answers 400 and writes nothing.

use chrono::{DateTime, NaiveDate, Utc};
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio_postgres::Row;
use tokio_postgres::types::{ToSql, Type};

use super::errors::validation_error;
use super::users::Timestamp;
use crate::error::Error;
use crate::http::StatusCode;

/// The fields, in `auth.ts` order (the order Better Auth checks them in, so the first error
/// is the same one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct AdditionalFields(IndexMap<String, AdditionalField>);

/// One field, with Better Auth's attribute names. Attributes this API does not implement
/// (`unique`, `references`, `bigint`, `validator`, …) are refused by name at cold start rather
/// than ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AdditionalField {
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// `true`: sign-up without it is 400 `MISSING_FIELD`. `false`: the column is nullable. Unset
    /// (Better Auth's migrator then makes the column `NOT NULL`): sign-up without it and
    /// without a default is 400 `MISSING_FIELD` too, where Better Auth would answer 500.
    #[serde(default)]
    pub required: Option<bool>,
    /// Used on sign-up when the body has no value (and always when `input` is false).
    #[serde(default)]
    pub default_value: Option<Value>,
    /// `false`: the client may not set it (400 `FIELD_NOT_ALLOWED` when it tries with a truthy
    /// value).
    #[serde(default = "yes")]
    pub input: bool,
    /// `false`: kept out of every user object and JWT.
    #[serde(default = "yes")]
    pub returned: bool,
    /// The column's name when it is not the key.
    #[serde(default)]
    pub field_name: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    String,
    Number,
    Boolean,
    Date,
}

impl FieldType {
    /// The PostgreSQL type Better Auth's migrator gives the column.
    fn column_type(self) -> &'static str {
        match self {
            FieldType::String => "text",
            FieldType::Number => "integer",
            FieldType::Boolean => "boolean",
            FieldType::Date => "timestamptz",
        }
    }

    fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
        }
    }
}

/// The user's own keys, and sign-up's other body keys: an additional field cannot take them.
const RESERVED: &[&str] = &[
    "id",
    "name",
    "email",
    "emailVerified",
    "image",
    "createdAt",
    "updatedAt",
    "password",
    "callbackURL",
    "rememberMe",
];

/// Sign-up creates, update-user updates: Better Auth applies defaults and `required` only on
/// create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
}

/// A value bound for one column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValue {
    Text(Option<String>),
    Integer(Option<i32>),
    Boolean(Option<bool>),
    Date(Option<DateTime<Utc>>),
}

impl ColumnValue {
    pub fn param(&self) -> (&(dyn ToSql + Sync), Type) {
        match self {
            ColumnValue::Text(v) => (v, Type::TEXT),
            ColumnValue::Integer(v) => (v, Type::INT4),
            ColumnValue::Boolean(v) => (v, Type::BOOL),
            ColumnValue::Date(v) => (v, Type::TIMESTAMPTZ),
        }
    }

    /// The value as the user's JSON has it (dates in Better Auth's timestamp format).
    fn to_json(&self) -> Value {
        match self {
            ColumnValue::Text(v) => v.clone().map_or(Value::Null, Value::String),
            ColumnValue::Integer(v) => v.map_or(Value::Null, Value::from),
            ColumnValue::Boolean(v) => v.map_or(Value::Null, Value::Bool),
            ColumnValue::Date(v) => v.map_or(Value::Null, |at| {
                serde_json::to_value(Timestamp(at)).unwrap_or(Value::Null)
            }),
        }
    }
}

/// A field's value from a request body, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldInput<'a> {
    pub key: &'a str,
    pub column: &'a str,
    pub value: ColumnValue,
    returned: bool,
}

impl AdditionalFields {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// What serde cannot check: names that are safe SQL identifiers and not the user's own
    /// keys, and defaults of the field's type. The message names the field.
    pub fn check(&self) -> Result<(), String> {
        for (key, field) in &self.0 {
            let at = format!("user.additionalFields.{key}");
            if !is_identifier(key) {
                return Err(format!(
                    "{at}: a field name is letters, digits and _, not starting with a digit (at most 63)"
                ));
            }
            if RESERVED.contains(&key.as_str()) {
                return Err(format!("{at}: `{key}` is one of the user's own fields"));
            }
            if let Some(column) = &field.field_name
                && (!is_identifier(column) || RESERVED.contains(&column.as_str()))
            {
                return Err(format!(
                    "{at}.fieldName: must be letters, digits and _ (at most 63), and not a column the user table already has"
                ));
            }
            if !field.input && field.default_value.is_none() && !field.nullable() {
                return Err(format!(
                    "{at}: with input: false it can never be set; give it a defaultValue or required: false"
                ));
            }
            if let Some(default) = &field.default_value {
                convert(default, field.field_type).map_err(|_| {
                    format!(
                        "{at}.defaultValue: must be a {}{}",
                        field.field_type.name(),
                        match field.field_type {
                            FieldType::Number => " (an integer: the column is integer)",
                            FieldType::Date => " (an ISO-8601 date)",
                            _ => "",
                        }
                    )
                })?;
            }
        }
        Ok(())
    }

    fn returned(&self) -> impl Iterator<Item = (&String, &AdditionalField)> {
        self.0.iter().filter(|(_, field)| field.returned)
    }

    /// The extra select list for a query that reads `"user" u`: `, <expr> as "user.<key>"` for
    /// every returned field, or nothing. The `user.` alias keeps them apart from the session
    /// columns of a joined query.
    pub fn select_list(&self) -> String {
        self.returned()
            .map(|(key, field)| {
                let column = field.column(key);
                match field.field_type {
                    FieldType::Date => format!(r#", u."{column}"::timestamptz as "user.{key}""#),
                    // to_jsonb reads text, integer and boolean columns alike (and a column of a
                    // wider type than Better Auth's, such as bigint, too).
                    _ => format!(r#", to_jsonb(u."{column}") as "user.{key}""#),
                }
            })
            .collect()
    }

    /// The returned fields of a row selected with [`Self::select_list`].
    pub fn read(&self, row: &Row) -> Map<String, Value> {
        self.returned()
            .map(|(key, field)| {
                let alias = format!("user.{key}");
                let value = match field.field_type {
                    FieldType::Date => row
                        .try_get::<_, Option<DateTime<Utc>>>(alias.as_str())
                        .ok()
                        .flatten()
                        .map_or(Value::Null, |at| {
                            serde_json::to_value(Timestamp(at)).unwrap_or(Value::Null)
                        }),
                    _ => row
                        .try_get::<_, Option<Value>>(alias.as_str())
                        .ok()
                        .flatten()
                        .unwrap_or(Value::Null),
                };
                (key.clone(), value)
            })
            .collect()
    }

    /// Better Auth's `parseInputData` over the body's keys: for each field in order, the value
    /// to write, or the first error. Keys of the body that are no field are ignored, as Better
    /// Auth ignores them.
    pub fn parse_input<'a>(
        &'a self,
        body: &Map<String, Value>,
        action: Action,
    ) -> Result<Vec<FieldInput<'a>>, Error> {
        let mut inputs = Vec::new();
        for (key, field) in &self.0 {
            let provided = match body.get(key) {
                Some(value) if !field.input => {
                    if action == Action::Create && field.default_value.is_some() {
                        field.default_value.as_ref()
                    } else if is_truthy(value) {
                        return Err(Error::client(
                            StatusCode::BAD_REQUEST,
                            "FIELD_NOT_ALLOWED",
                            format!("{key} is not allowed to be set"),
                        ));
                    } else {
                        continue;
                    }
                }
                Some(value) => Some(value),
                None if action == Action::Create => field.default_value.as_ref(),
                None => continue,
            };
            let value = match provided {
                Some(Value::Null) | None if field.nullable() => null_of(field.field_type),
                Some(Value::Null) | None => {
                    if action == Action::Update || body.contains_key(key) {
                        // Present but null on a NOT NULL column (Better Auth: a database error).
                        return Err(validation_error(format!(
                            "[body.{key}] Invalid input: expected {}, received null",
                            field.field_type.name()
                        )));
                    }
                    return Err(Error::client(
                        StatusCode::BAD_REQUEST,
                        "MISSING_FIELD",
                        format!("{key} is required"),
                    ));
                }
                Some(value) => convert(value, field.field_type).map_err(|expected| {
                    validation_error(format!(
                        "[body.{key}] Invalid input: expected {expected}, received {}",
                        super::body::type_name(value)
                    ))
                })?,
            };
            inputs.push(FieldInput {
                key,
                column: field.column(key),
                value,
                returned: field.returned,
            });
        }
        Ok(inputs)
    }

    /// The returned fields of a user just created from `inputs`: each value as written, `null`
    /// for those the body and the defaults left out.
    pub fn created(&self, inputs: &[FieldInput<'_>]) -> Map<String, Value> {
        self.returned()
            .map(|(key, _)| {
                let value = inputs
                    .iter()
                    .find(|input| input.key == key && input.returned)
                    .map_or(Value::Null, |input| input.value.to_json());
                (key.clone(), value)
            })
            .collect()
    }

    /// `alter table` statements that add each field's column when it is missing, as Better
    /// Auth's migrator would create it (`NOT NULL` unless `required: false`, a static default
    /// as the column default). Existing columns are left as they are.
    /// Each with its column's name.
    pub fn migration_sql(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|(key, field)| {
                let column = field.column(key);
                let mut sql = format!(
                    r#"alter table "user" add column if not exists "{column}" {}"#,
                    field.field_type.column_type()
                );
                if let Some(default) = field
                    .default_value
                    .as_ref()
                    .and_then(|default| sql_literal(&convert(default, field.field_type).ok()?))
                {
                    sql.push_str(&format!(" default {default}"));
                }
                if field.required != Some(false) {
                    sql.push_str(" not null");
                }
                (column.to_owned(), sql)
            })
            .collect()
    }
}

impl AdditionalField {
    fn column<'a>(&'a self, key: &'a str) -> &'a str {
        self.field_name.as_deref().unwrap_or(key)
    }

    /// Better Auth's migrator makes the column nullable only for `required: false`.
    fn nullable(&self) -> bool {
        self.required == Some(false)
    }
}

fn null_of(field_type: FieldType) -> ColumnValue {
    match field_type {
        FieldType::String => ColumnValue::Text(None),
        FieldType::Number => ColumnValue::Integer(None),
        FieldType::Boolean => ColumnValue::Boolean(None),
        FieldType::Date => ColumnValue::Date(None),
    }
}

/// A JSON value as the column's type; the error is what was expected, in zod's words.
///
/// Better Auth hands the value to node-postgres, which sends it as text for PostgreSQL to
/// read; what PostgreSQL accepts there, this accepts too (a number or boolean for a string
/// field is stored as its text, `"42"` for a number field as 42), so a client that works
/// with Better Auth works here. What PostgreSQL would refuse is a 400 here, not a 500.
fn convert(value: &Value, field_type: FieldType) -> Result<ColumnValue, &'static str> {
    let integer = |n: i64| {
        i32::try_from(n)
            .map(|n| ColumnValue::Integer(Some(n)))
            .map_err(|_| "an integer of the column's range")
    };
    match (field_type, value) {
        (FieldType::String, Value::String(s)) => Ok(ColumnValue::Text(Some(s.clone()))),
        (FieldType::String, Value::Number(n)) => Ok(ColumnValue::Text(Some(n.to_string()))),
        (FieldType::String, Value::Bool(b)) => Ok(ColumnValue::Text(Some(b.to_string()))),
        (FieldType::Boolean, Value::Bool(b)) => Ok(ColumnValue::Boolean(Some(*b))),
        (FieldType::Number, Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .ok_or("an integer of the column's range")
            .and_then(integer),
        // PostgreSQL's integer input: optional spaces around an optionally signed run of digits.
        (FieldType::Number, Value::String(s)) => {
            let digits = s.trim().strip_prefix('+').unwrap_or(s.trim());
            let unsigned = digits.strip_prefix('-').unwrap_or(digits);
            if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
                return Err("number");
            }
            digits
                .parse::<i64>()
                .map_err(|_| "an integer of the column's range")
                .and_then(integer)
        }
        (FieldType::Date, Value::String(s)) => parse_date(s)
            .map(|at| ColumnValue::Date(Some(at)))
            .ok_or("date"),
        (FieldType::String, _) => Err("string"),
        (FieldType::Number, _) => Err("number"),
        (FieldType::Boolean, _) => Err("boolean"),
        (FieldType::Date, _) => Err("date"),
    }
}

/// The date strings JSON clients send: RFC 3339 (`Date.toISOString()`), or a calendar date
/// (`2000-01-31`, midnight UTC, as JavaScript's `new Date` reads it).
fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
}

/// A column default in SQL: only the static ones Better Auth's migrator writes (string,
/// number, boolean).
fn sql_literal(value: &ColumnValue) -> Option<String> {
    match value {
        ColumnValue::Text(Some(s)) => Some(crate::db::quote_literal(s)),
        ColumnValue::Integer(Some(n)) => Some(n.to_string()),
        ColumnValue::Boolean(Some(b)) => Some(b.to_string()),
        _ => None,
    }
}

/// An unquoted-safe SQL identifier (the names are quoted anyway; this keeps `"` and the like
/// out of the statements they are formatted into).
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 63
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// JavaScript's truthiness, which Better Auth tests an `input: false` value with.
pub fn is_truthy(value: &Value) -> bool {
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
    use serde_json::json;

    fn fields(value: Value) -> AdditionalFields {
        let fields: AdditionalFields = serde_json::from_value(value).unwrap();
        fields.check().unwrap();
        fields
    }

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn rules() -> AdditionalFields {
        fields(json!({
            "plan": {"type": "string", "required": true},
            "role": {"type": "string", "input": false, "defaultValue": "member"},
            "note": {"type": "string", "required": false, "returned": false},
            "age": {"type": "number", "required": false},
            "newsletter": {"type": "boolean", "defaultValue": false},
            "birthday": {"type": "date", "required": false, "fieldName": "birth_day"}
        }))
    }

    fn message(err: Error) -> String {
        err.to_string()
    }

    #[test]
    fn sign_up_applies_defaults_and_refuses_missing_and_forbidden_fields() {
        let fields = rules();
        let inputs = fields
            .parse_input(
                &body(json!({"plan": "pro", "age": " 41 ", "birthday": "2000-01-31", "other": 1})),
                Action::Create,
            )
            .unwrap();
        let values: Vec<_> = inputs.iter().map(|i| (i.column, i.value.clone())).collect();
        assert_eq!(
            values,
            [
                ("plan", ColumnValue::Text(Some("pro".into()))),
                ("role", ColumnValue::Text(Some("member".into()))),
                ("note", ColumnValue::Text(None)),
                ("age", ColumnValue::Integer(Some(41))),
                ("newsletter", ColumnValue::Boolean(Some(false))),
                (
                    "birth_day",
                    ColumnValue::Date(Some("2000-01-31T00:00:00Z".parse().unwrap()))
                ),
            ]
        );
        let created = fields.created(&inputs);
        assert_eq!(
            Value::Object(created),
            json!({"plan": "pro", "role": "member", "age": 41, "newsletter": false,
                   "birthday": "2000-01-31T00:00:00.000Z"})
        );
        // input: false with a default takes the default on create, whatever was sent.
        let inputs = fields
            .parse_input(&body(json!({"plan": "x", "role": "admin"})), Action::Create)
            .unwrap();
        assert_eq!(inputs[1].value, ColumnValue::Text(Some("member".into())));

        assert_eq!(
            message(
                fields
                    .parse_input(&body(json!({})), Action::Create)
                    .unwrap_err()
            ),
            "400 Bad Request MISSING_FIELD: plan is required"
        );
        assert_eq!(
            message(
                fields
                    .parse_input(&body(json!({"plan": "x", "age": "forty"})), Action::Create)
                    .unwrap_err()
            ),
            "400 Bad Request VALIDATION_ERROR: [body.age] Invalid input: expected number, received string"
        );
        // What PostgreSQL reads from node-postgres's text, as Better Auth stores it.
        let inputs = fields
            .parse_input(&body(json!({"plan": 42, "age": "-7"})), Action::Create)
            .unwrap();
        assert_eq!(inputs[0].value, ColumnValue::Text(Some("42".into())));
        assert_eq!(inputs[3].value, ColumnValue::Integer(Some(-7)));
        assert_eq!(
            message(
                fields
                    .parse_input(&body(json!({"plan": null})), Action::Create)
                    .unwrap_err()
            ),
            "400 Bad Request VALIDATION_ERROR: [body.plan] Invalid input: expected string, received null"
        );
        assert!(
            fields
                .parse_input(&body(json!({"plan": "x", "age": 2.5})), Action::Create)
                .is_err()
        );
        assert!(
            fields
                .parse_input(
                    &body(json!({"plan": "x", "birthday": "yesterday"})),
                    Action::Create
                )
                .is_err()
        );
    }

    #[test]
    fn update_takes_only_what_is_sent_and_refuses_truthy_forbidden_values() {
        let fields = rules();
        let inputs = fields
            .parse_input(&body(json!({"age": null, "role": ""})), Action::Update)
            .unwrap();
        assert_eq!(inputs.len(), 1);
        assert_eq!(inputs[0].value, ColumnValue::Integer(None));
        assert!(
            fields
                .parse_input(&body(json!({})), Action::Update)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            message(
                fields
                    .parse_input(&body(json!({"role": "admin"})), Action::Update)
                    .unwrap_err()
            ),
            "400 Bad Request FIELD_NOT_ALLOWED: role is not allowed to be set"
        );
    }

    #[test]
    fn an_input_false_field_without_default_refuses_truthy_values_on_sign_up() {
        let fields =
            fields(json!({"score": {"type": "number", "input": false, "required": false}}));
        assert!(
            fields
                .parse_input(&body(json!({"score": 0})), Action::Create)
                .is_ok()
        );
        assert!(
            fields
                .parse_input(&body(json!({"score": 5})), Action::Create)
                .is_err()
        );
    }

    #[test]
    fn select_list_and_migration_follow_better_auths_columns() {
        let fields = rules();
        assert_eq!(
            fields.select_list(),
            r#", to_jsonb(u."plan") as "user.plan", to_jsonb(u."role") as "user.role", to_jsonb(u."age") as "user.age", to_jsonb(u."newsletter") as "user.newsletter", u."birth_day"::timestamptz as "user.birthday""#
        );
        let statements: Vec<String> = fields
            .migration_sql()
            .into_iter()
            .map(|(_, sql)| sql)
            .collect();
        assert_eq!(
            statements,
            [
                r#"alter table "user" add column if not exists "plan" text not null"#,
                r#"alter table "user" add column if not exists "role" text default 'member' not null"#,
                r#"alter table "user" add column if not exists "note" text"#,
                r#"alter table "user" add column if not exists "age" integer"#,
                r#"alter table "user" add column if not exists "newsletter" boolean default false not null"#,
                r#"alter table "user" add column if not exists "birth_day" timestamptz"#,
            ]
        );
    }

    #[test]
    fn malformed_fields_are_refused_by_name() {
        for (value, expected) in [
            (
                json!({"x y": {"type": "string"}}),
                "user.additionalFields.x y: a field name is",
            ),
            (
                json!({"email": {"type": "string"}}),
                "user.additionalFields.email: `email` is one of the user's own fields",
            ),
            (
                json!({"age": {"type": "number", "defaultValue": "ten"}}),
                "user.additionalFields.age.defaultValue: must be a number",
            ),
            (
                json!({"level": {"type": "number", "input": false}}),
                "user.additionalFields.level: with input: false it can never be set",
            ),
            (
                json!({"a": {"type": "string", "fieldName": "a\"; drop table x"}}),
                "user.additionalFields.a.fieldName: must be letters",
            ),
        ] {
            let fields: AdditionalFields = serde_json::from_value(value.clone()).unwrap();
            let err = fields.check().unwrap_err();
            assert!(err.starts_with(expected), "{value}: {err}");
        }
        assert!(
            serde_json::from_value::<AdditionalFields>(json!({"a": {"type": "json"}})).is_err()
        );
        assert!(
            serde_json::from_value::<AdditionalFields>(
                json!({"a": {"type": "string", "unique": true}})
            )
            .is_err()
        );
    }
}
