//! Lambda entry point: build the state once, then serve `sign_out::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(sign_out::ENDPOINT, sign_out::handle).await
}
