//! `PATCH /api/{user_id}/tasks/{id}/complete`: toggle `completed`, or set it with an optional
//! `{"completed": bool}` body so a retried request is safe.

use shared::auth::require_path_user;
use shared::http::StatusCode;
use shared::http::optional_json_body;
use shared::tasks::{self, CompletionChange, respond, task_id, task_response};
use shared::{Body, Request, Response, State};

pub async fn handle(state: &State, request: Request) -> Response<Body> {
    respond(
        async {
            let user_id = require_path_user(state, &request).await?;
            let id = task_id(&request)?;
            let change: Option<CompletionChange> = optional_json_body(&request)?;
            let task =
                tasks::set_completed(&state.db, &user_id, id, change.map(|c| c.completed)).await?;
            task_response(StatusCode::OK, &task)
        }
        .await,
    )
}
