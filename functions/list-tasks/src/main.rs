//! Lambda entry point: build the state once, then serve `list_tasks::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(list_tasks::ENDPOINT, list_tasks::handle).await
}
