//! Lambda entry point: build the state once, then serve `send_verification_email::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(
        send_verification_email::ENDPOINT,
        send_verification_email::handle,
    )
    .await
}
