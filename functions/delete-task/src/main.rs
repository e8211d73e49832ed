//! Lambda entry point: build the state once, then serve `delete_task::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(delete_task::ENDPOINT, delete_task::handle).await
}
