//! Lambda entry point: build the state once, then serve `sign_up_email::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(sign_up_email::ENDPOINT, sign_up_email::handle).await
}
