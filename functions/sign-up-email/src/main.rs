//! Lambda entry point for `POST /api/auth/sign-up/email`: build the state once, then serve.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(sign_up_email::handle).await
}
