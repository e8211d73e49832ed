//! Lambda entry point: build the state once, then serve `list_sessions::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(list_sessions::ENDPOINT, list_sessions::handle).await
}
