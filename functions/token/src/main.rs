//! Lambda entry point for `GET /api/auth/token`: build the state once, then serve.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(token::handle).await
}
