//! Lambda entry point: build the state once, then serve `change_password::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(change_password::ENDPOINT, change_password::handle).await
}
