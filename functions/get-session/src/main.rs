//! Lambda entry point: build the state once, then serve `get_session::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(get_session::ENDPOINT, get_session::handle).await
}
