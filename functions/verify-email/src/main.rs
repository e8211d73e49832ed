//! Lambda entry point: build the state once, then serve `verify_email::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(verify_email::ENDPOINT, verify_email::handle).await
}
