//! `GET /api/{user_id}/tasks/{id}`: one of the caller's tasks.

use shared::auth::require_path_user;
use shared::http::StatusCode;
use shared::tasks::{self, respond, task_id, task_response};
use shared::{Body, Request, Response, State};

pub async fn handle(state: &State, request: Request) -> Response<Body> {
    respond(
        async {
            let user_id = require_path_user(state, &request).await?;
            let task = tasks::get(&state.db, &user_id, task_id(&request)?).await?;
            task_response(StatusCode::OK, &task)
        }
        .await,
    )
}
