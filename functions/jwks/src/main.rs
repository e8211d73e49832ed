//! Lambda entry point for `GET /api/auth/jwks`: build the state once, then serve.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(jwks::handle).await
}
