//! `POST /api/{user_id}/tasks`: create a task from `{title, description?}`; 201 with the task.

use shared::auth::require_path_user;
use shared::http::StatusCode;
use shared::http::json_body;
use shared::tasks::{self, NewTask, respond, task_response, validate_description, validate_title};
use shared::{Body, Request, Response, State};

pub async fn handle(state: &State, request: Request) -> Response<Body> {
    respond(
        async {
            let user_id = require_path_user(state, &request).await?;
            let new_task: NewTask = json_body(&request)?;
            let title = validate_title(&new_task.title)?;
            let description = validate_description(new_task.description)?;
            let task = tasks::create(&state.db, &user_id, &title, description.as_deref()).await?;
            task_response(StatusCode::CREATED, &task)
        }
        .await,
    )
}
