//! Lambda entry point: build the state once, then serve `update_user::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(update_user::ENDPOINT, update_user::handle).await
}
