//! `PATCH /api/{user_id}/tasks/{id}/complete`: toggle `completed`, or set it with an optional
//! `{"completed": bool}` body so a retried request is safe.

use shared::http::{ok_json, optional_json_body};
use shared::tasks::{self, CompletionChange, require_path_user, task_id};
use shared::{Body, Request, Response, Result, State};

pub const ENDPOINT: shared::Endpoint = tasks::ENDPOINT;

pub async fn handle(state: &State, request: Request) -> Result<Response<Body>> {
    let user_id = require_path_user(state, &request).await?;
    let id = task_id(&request)?;
    let change: Option<CompletionChange> = optional_json_body(&request)?;
    let task = tasks::set_completed(&state.db, &user_id, id, change.map(|c| c.completed)).await?;
    Ok(ok_json(&task))
}
