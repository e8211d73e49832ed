//! Lambda entry point: build the state once, then serve `revoke_sessions::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(revoke_sessions::ENDPOINT, revoke_sessions::handle).await
}
