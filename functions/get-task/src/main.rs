//! Lambda entry point: build the state once, then serve `get_task::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(get_task::ENDPOINT, get_task::handle).await
}
