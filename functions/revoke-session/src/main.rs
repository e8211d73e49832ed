//! Lambda entry point: build the state once, then serve `revoke_session::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(revoke_session::ENDPOINT, revoke_session::handle).await
}
