//! Lambda entry point: build the state once, then serve `update_task::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(update_task::ENDPOINT, update_task::handle).await
}
