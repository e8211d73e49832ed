//! Lambda entry point for `PUT /api/{user_id}/tasks/{id}`: build the state once, then serve.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(update_task::handle).await
}
