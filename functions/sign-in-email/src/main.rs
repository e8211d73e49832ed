//! Lambda entry point for `POST /api/auth/sign-in/email`: build the state once, then serve.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(sign_in_email::handle).await
}
