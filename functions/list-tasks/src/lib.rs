//! `GET /api/{user_id}/tasks`: the caller's tasks, filtered, sorted and paged.

use shared::auth::require_path_user;
use shared::http::StatusCode;
use shared::tasks::{self, ListQuery, respond, task_response};
use shared::{Body, Request, Response, State};

pub async fn handle(state: &State, request: Request) -> Response<Body> {
    respond(
        async {
            let user_id = require_path_user(state, &request).await?;
            let query = ListQuery::from_request(&request)?;
            let tasks = tasks::list(&state.db, &user_id, &query).await?;
            task_response(StatusCode::OK, &tasks)
        }
        .await,
    )
}
