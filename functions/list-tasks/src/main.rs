//! Lambda entry point for `GET /api/{user_id}/tasks`: build the state once, then serve.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(list_tasks::handle).await
}
