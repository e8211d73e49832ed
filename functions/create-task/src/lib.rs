//! `POST /api/{user_id}/tasks`: create a task from `{title, description?}`; 201 with the task.

use shared::http::{StatusCode, json_body, json_response};
use shared::tasks::{self, NewTask, require_path_user, validate_description, validate_title};
use shared::{Body, Request, Response, Result, State};

pub const ENDPOINT: shared::Endpoint = tasks::ENDPOINT;

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    let user_id = require_path_user(state, &request).await?;
    let new_task: NewTask = json_body(&request)?;
    let title = validate_title(&new_task.title)?;
    let description = validate_description(new_task.description)?;
    let task = tasks::create(&state.db, &user_id, &title, description.as_deref()).await?;
    Ok(json_response(StatusCode::CREATED, &task))
}
