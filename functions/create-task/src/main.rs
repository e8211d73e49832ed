//! Lambda entry point: build the state once, then serve `create_task::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(create_task::ENDPOINT, create_task::handle).await
}
