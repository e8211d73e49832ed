//! Lambda entry point for `POST /api/auth/sign-out`: build the state once, then serve.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(sign_out::handle).await
}
