//! Lambda entry point: build the state once, then serve `request_password_reset::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(
        request_password_reset::ENDPOINT,
        request_password_reset::handle,
    )
    .await
}
