//! `PUT /api/{user_id}/tasks/{id}`: change any of `{title, description, completed}`; 200 with the task.

use shared::auth::require_path_user;
use shared::http::StatusCode;
use shared::http::json_body;
use shared::tasks::{self, TaskChanges, respond, task_id, task_response};
use shared::{Body, Request, Response, State};

pub async fn handle(state: &State, request: Request) -> Response<Body> {
    respond(
        async {
            let user_id = require_path_user(state, &request).await?;
            let id = task_id(&request)?;
            let changes = json_body::<TaskChanges>(&request)?.validate()?;
            let task = tasks::update(&state.db, &user_id, id, &changes).await?;
            task_response(StatusCode::OK, &task)
        }
        .await,
    )
}
