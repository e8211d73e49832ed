//! `DELETE /api/{user_id}/tasks/{id}`: delete a task; 200 with the deleted task, because the
//! frontend calls `response.json()` on every response.

use shared::auth::require_path_user;
use shared::http::StatusCode;
use shared::tasks::{self, respond, task_id, task_response};
use shared::{Body, Request, Response, State};

pub async fn handle(state: &State, request: Request) -> Response<Body> {
    respond(
        async {
            let user_id = require_path_user(state, &request).await?;
            let task = tasks::delete(&state.db, &user_id, task_id(&request)?).await?;
            task_response(StatusCode::OK, &task)
        }
        .await,
    )
}
