//! Lambda entry point for `PATCH /api/{user_id}/tasks/{id}/complete`: build the state once, then serve.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(complete_task::handle).await
}
