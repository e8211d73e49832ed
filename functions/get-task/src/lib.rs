//! `GET /api/{user_id}/tasks/{id}`: one of the caller's tasks.

use shared::http::ok_json;
use shared::tasks::{self, require_path_user, task_id};
use shared::{Body, Request, Response, Result, State};

pub const ENDPOINT: shared::Endpoint = tasks::ENDPOINT;

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    let user_id = require_path_user(state, &request).await?;
    let task = tasks::get(&state.db, &user_id, task_id(&request)?).await?;
    Ok(ok_json(&task))
}
