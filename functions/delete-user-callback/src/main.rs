//! Lambda entry point: build the state once, then serve `delete_user_callback::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(delete_user_callback::ENDPOINT, delete_user_callback::handle).await
}
