//! Lambda entry point for `GET /api/{user_id}/tasks/{id}`: build the state once, then serve.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(get_task::handle).await
}
