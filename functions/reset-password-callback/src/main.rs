//! Lambda entry point: build the state once, then serve `reset_password_callback::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(
        reset_password_callback::ENDPOINT,
        reset_password_callback::handle,
    )
    .await
}
