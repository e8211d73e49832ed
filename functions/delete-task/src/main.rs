//! Lambda entry point for `DELETE /api/{user_id}/tasks/{id}`: build the state once, then serve.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(delete_task::handle).await
}
