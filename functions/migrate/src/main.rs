//! Lambda entry point of `migrate` (no route): migrations on deploy or on demand.

#[tokio::main]
async fn main() -> Result<(), migrate::Error> {
    migrate::run().await
}
