//! Lambda entry point: build the state once, then serve `reset_password::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(reset_password::ENDPOINT, reset_password::handle).await
}
