//! Lambda entry point: build the state once, then serve `revoke_other_sessions::handle`.

#[tokio::main]
async fn main() -> Result<(), shared::lambda::Error> {
    shared::lambda::run(
        revoke_other_sessions::ENDPOINT,
        revoke_other_sessions::handle,
    )
    .await
}
