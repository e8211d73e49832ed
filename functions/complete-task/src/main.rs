//! Lambda entry point: build the state once, then serve `complete_task::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(complete_task::ENDPOINT, complete_task::handle).await
}
