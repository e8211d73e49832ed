//! Lambda entry point for `POST /api/{user_id}/tasks`: build the state once, then serve.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(create_task::handle).await
}
