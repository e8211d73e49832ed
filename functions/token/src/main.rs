//! Lambda entry point: build the state once, then serve `token::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(token::ENDPOINT, token::handle).await
}
