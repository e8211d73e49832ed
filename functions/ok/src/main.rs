//! Lambda entry point: build the state once, then serve `ok::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(ok::ENDPOINT, ok::handle).await
}
