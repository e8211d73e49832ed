//! Tasks: the model, its validation and its queries.
//!
//! Every query is one statement, one round trip, and carries `user_id = $n` in its WHERE
//! clause: ownership is enforced by the database in the same statement that reads or writes,
//! so another user's task is indistinguishable from a missing one (404).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use tokio_postgres::types::Type;

use crate::db::Database;
use crate::error::{Dialect, Error, Result};
use crate::http::{bearer_token, nullable, path_param, query_param};
use crate::lambda::Endpoint;
use crate::{Request, State};

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
pub const MAX_PAGE_SIZE: i64 = 100;

/// A task as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: i64,
    pub user_id: String,
    pub title: String,
    pub description: Option<String>,
    pub completed: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, user_id, title, description, completed, created_at, updated_at";

impl From<&Row> for Task {
    fn from(row: &Row) -> Self {
        Task {
            id: row.get("id"),
            user_id: row.get("user_id"),
            title: row.get("title"),
            description: row.get("description"),
            completed: row.get("completed"),
            created_at: row.get("created_at"),
            updated_at: row.get("updated_at"),
        }
    }
}

/// Every task route answers in the `{"detail"}` dialect; its fixture's JWT is signed with a
/// placeholder secret, so the fixture gets 401.
pub const ENDPOINT: Endpoint = Endpoint {
    dialect: Dialect::Tasks,
    fixture_status: 401,
};

/// The gate of every task route: a valid bearer JWT whose subject is the `{user_id}` in the
/// path. No token or a bad one is 401; a good token for someone else is 403. Costs no
/// database round trip (keys are in memory).
pub async fn require_path_user(state: &State, request: &Request) -> Result<String> {
    let token = bearer_token(request).ok_or_else(|| Error::unauthorized("Missing bearer token"))?;
    let verified = state.jwt.verify(token, &state.db).await?;
    let path_user = path_param(request, "user_id").unwrap_or_default();
    if verified.sub != path_user {
        return Err(Error::forbidden(
            "This token does not grant access to this user's tasks",
        ));
    }
    Ok(verified.sub)
}

/// The `{id}` path parameter. A non-numeric id names no task: 404, like a missing one.
pub fn task_id(request: &Request) -> Result<i64> {
    path_param(request, "id")
        .and_then(|id| id.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .ok_or_else(task_not_found)
}

fn task_not_found() -> Error {
    Error::not_found("Task not found")
}

// ---------------------------------------------------------------------------------------------
// Validation

/// Trims a title and checks it is 1–200 characters of storable text.
pub fn validate_title(title: &str) -> Result<String> {
    let title = title.trim();
    let chars = title.chars().count();
    if chars == 0 {
        return Err(Error::unprocessable("title must not be empty"));
    }
    if chars > MAX_TITLE_CHARS {
        return Err(Error::unprocessable(format!(
            "title must be at most {MAX_TITLE_CHARS} characters"
        )));
    }
    reject_nul("title", title)?;
    Ok(title.to_owned())
}

pub fn validate_description(description: Option<String>) -> Result<Option<String>> {
    if let Some(text) = &description {
        if text.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(Error::unprocessable(format!(
                "description must be at most {MAX_DESCRIPTION_CHARS} characters"
            )));
        }
        reject_nul("description", text)?;
    }
    Ok(description)
}

/// PostgreSQL text cannot hold U+0000; refuse it here rather than fail in the database.
fn reject_nul(field: &str, text: &str) -> Result<()> {
    if text.contains('\0') {
        return Err(Error::unprocessable(format!(
            "{field} must not contain NUL characters"
        )));
    }
    Ok(())
}

/// `POST /api/{user_id}/tasks` body.
#[derive(Debug, Deserialize)]
pub struct NewTask {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// `PUT /api/{user_id}/tasks/{id}` body: every field optional; `description: null` clears it.
#[derive(Debug, Default, Deserialize)]
pub struct TaskChanges {
    #[serde(default, deserialize_with = "nullable")]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub completed: Option<Option<bool>>,
}

impl TaskChanges {
    /// Checks every given field; `title: null` and `completed: null` are refused (they have no
    /// "empty" value), `description: null` clears the description.
    pub fn validate(self) -> Result<ValidChanges> {
        let title = match self.title {
            None => None,
            Some(None) => return Err(Error::unprocessable("title must not be null")),
            Some(Some(title)) => Some(validate_title(&title)?),
        };
        let description = match self.description {
            None => None,
            Some(description) => Some(validate_description(description)?),
        };
        let completed = match self.completed {
            None => None,
            Some(None) => return Err(Error::unprocessable("completed must be true or false")),
            Some(Some(completed)) => Some(completed),
        };
        Ok(ValidChanges {
            title,
            description,
            completed,
        })
    }
}

/// A validated PUT body: `None` leaves a field as it is; `description: Some(None)` clears it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ValidChanges {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub completed: Option<bool>,
}

/// `PATCH /api/{user_id}/tasks/{id}/complete` body, optional: without it the flag toggles;
/// with it the flag is set, so a retried request is safe.
#[derive(Debug, Default, Deserialize)]
pub struct CompletionChange {
    pub completed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    All,
    Pending,
    Completed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    /// Newest first.
    Created,
    /// Alphabetical, case-insensitive.
    Title,
}

/// The list route's query string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListQuery {
    pub status: StatusFilter,
    pub sort: SortOrder,
    pub limit: i64,
    pub offset: i64,
}

impl ListQuery {
    pub fn from_request(request: &Request) -> Result<Self> {
        let status = match query_param(request, "status").as_deref() {
            None | Some("all") => StatusFilter::All,
            Some("pending") => StatusFilter::Pending,
            Some("completed") => StatusFilter::Completed,
            Some(_) => {
                return Err(Error::unprocessable(
                    "status must be one of: all, pending, completed",
                ));
            }
        };
        let sort = match query_param(request, "sort").as_deref() {
            None | Some("created") => SortOrder::Created,
            Some("title") => SortOrder::Title,
            Some(_) => return Err(Error::unprocessable("sort must be one of: created, title")),
        };
        let limit = match query_param(request, "limit") {
            None => MAX_PAGE_SIZE,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                .ok_or_else(|| {
                    Error::unprocessable(format!(
                        "limit must be an integer from 1 to {MAX_PAGE_SIZE}"
                    ))
                })?,
        };
        let offset = match query_param(request, "offset") {
            None => 0,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| Error::unprocessable("offset must be an integer of 0 or more"))?,
        };
        Ok(ListQuery {
            status,
            sort,
            limit,
            offset,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Queries: one statement each.

/// The list statement for `sort`: `$1` user id, `$2` completed (null: all), `$3` limit, `$4`
/// offset. Each order has its index (`task_user_id_created_at_idx`,
/// `task_user_id_lower_title_idx`), so a page costs its rows, not the user's whole list.
pub fn list_sql(sort: SortOrder) -> String {
    let order = match sort {
        SortOrder::Created => "created_at desc, id desc",
        SortOrder::Title => "lower(title), id",
    };
    format!(
        "select {COLUMNS} from task where user_id = $1 and ($2::boolean is null or completed = $2) \
         order by {order} limit $3 offset $4"
    )
}

pub async fn list(db: &Database, user_id: &str, query: &ListQuery) -> Result<Vec<Task>> {
    let completed: Option<bool> = match query.status {
        StatusFilter::All => None,
        StatusFilter::Pending => Some(false),
        StatusFilter::Completed => Some(true),
    };
    let sql = list_sql(query.sort);
    let rows = db
        .query(
            &sql,
            &[
                (&user_id, Type::TEXT),
                (&completed, Type::BOOL),
                (&query.limit, Type::INT8),
                (&query.offset, Type::INT8),
            ],
        )
        .await?;
    Ok(rows.iter().map(Task::from).collect())
}

pub async fn create(
    db: &Database,
    user_id: &str,
    title: &str,
    description: Option<&str>,
) -> Result<Task> {
    let sql = format!(
        "insert into task (user_id, title, description) values ($1, $2, $3) returning {COLUMNS}"
    );
    let row = db
        .query_opt(
            &sql,
            &[
                (&user_id, Type::TEXT),
                (&title, Type::TEXT),
                (&description, Type::TEXT),
            ],
        )
        .await
        .map_err(|err| {
            // The token is valid but its user has no row (deleted, or minted for a user this
            // database never had): a client-side problem, not a 500.
            if err.is_foreign_key_violation() {
                Error::not_found("User not found")
            } else {
                err.into()
            }
        })?;
    row.as_ref()
        .map(Task::from)
        .ok_or_else(|| Error::internal("insert returned no row"))
}

pub async fn get(db: &Database, user_id: &str, id: i64) -> Result<Task> {
    let sql = format!("select {COLUMNS} from task where id = $1 and user_id = $2");
    one_task(
        db.query_opt(&sql, &[(&id, Type::INT8), (&user_id, Type::TEXT)])
            .await?,
    )
}

pub async fn update(db: &Database, user_id: &str, id: i64, changes: &ValidChanges) -> Result<Task> {
    let sql = format!(
        "update task set title = coalesce($3, title), \
         description = case when $4 then $5 else description end, \
         completed = coalesce($6, completed), updated_at = now() \
         where id = $1 and user_id = $2 returning {COLUMNS}"
    );
    let set_description = changes.description.is_some();
    let description = changes.description.clone().flatten();
    one_task(
        db.query_opt(
            &sql,
            &[
                (&id, Type::INT8),
                (&user_id, Type::TEXT),
                (&changes.title, Type::TEXT),
                (&set_description, Type::BOOL),
                (&description, Type::TEXT),
                (&changes.completed, Type::BOOL),
            ],
        )
        .await?,
    )
}

pub async fn delete(db: &Database, user_id: &str, id: i64) -> Result<Task> {
    let sql = format!("delete from task where id = $1 and user_id = $2 returning {COLUMNS}");
    one_task(
        db.query_opt(&sql, &[(&id, Type::INT8), (&user_id, Type::TEXT)])
            .await?,
    )
}

/// Sets `completed` to `value`, or toggles it when `value` is `None`.
pub async fn set_completed(
    db: &Database,
    user_id: &str,
    id: i64,
    value: Option<bool>,
) -> Result<Task> {
    let sql = format!(
        "update task set completed = coalesce($3, not completed), updated_at = now() \
         where id = $1 and user_id = $2 returning {COLUMNS}"
    );
    one_task(
        db.query_opt(
            &sql,
            &[
                (&id, Type::INT8),
                (&user_id, Type::TEXT),
                (&value, Type::BOOL),
            ],
        )
        .await?,
    )
}

fn one_task(row: Option<Row>) -> Result<Task> {
    row.as_ref().map(Task::from).ok_or_else(task_not_found)
}
