//! Lambda entry point: build the state once, then serve `error_page::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(error_page::ENDPOINT, error_page::handle).await
}
