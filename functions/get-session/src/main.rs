//! Lambda entry point for `GET /api/auth/get-session`: build the state once, then serve.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(get_session::handle).await
}
