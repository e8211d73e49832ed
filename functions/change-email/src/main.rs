//! Lambda entry point: build the state once, then serve `change_email::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(change_email::ENDPOINT, change_email::handle).await
}
