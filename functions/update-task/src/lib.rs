//! `PUT /api/{user_id}/tasks/{id}`: change any of `{title, description, completed}`; 200 with the task.

use shared::http::{json_body, ok_json};
use shared::tasks::{self, TaskChanges, require_path_user, task_id};
use shared::{Body, Request, Response, Result, State};

pub const ENDPOINT: shared::Endpoint = tasks::ENDPOINT;

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    let user_id = require_path_user(state, &request).await?;
    let id = task_id(&request)?;
    let changes = json_body::<TaskChanges>(&request)?.validate()?;
    let task = tasks::update(&state.db, &user_id, id, &changes).await?;
    Ok(ok_json(&task))
}
