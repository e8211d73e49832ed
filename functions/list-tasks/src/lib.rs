//! `GET /api/{user_id}/tasks`: the caller's tasks, filtered, sorted and paged.

use shared::http::ok_json;
use shared::tasks::{self, ListQuery, require_path_user};
use shared::{Body, Request, Response, Result, State};

pub const ENDPOINT: shared::Endpoint = tasks::ENDPOINT;

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    let user_id = require_path_user(state, &request).await?;
    let query = ListQuery::from_request(&request)?;
    let tasks = tasks::list(&state.db, &user_id, &query).await?;
    Ok(ok_json(&tasks))
}
