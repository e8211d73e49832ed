//! Lambda entry point: build the state once, then serve `sign_in_email::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(sign_in_email::ENDPOINT, sign_in_email::handle).await
}
