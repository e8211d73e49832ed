//! Lambda entry point: build the state once, then serve `delete_user::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(delete_user::ENDPOINT, delete_user::handle).await
}
