//! Lambda entry point: build the state once, then serve `jwks::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(jwks::ENDPOINT, jwks::handle).await
}
