//! What a function builds once per cold start and every request borrows.

use crate::better_auth::jwt::JwtKeys;
use crate::better_auth::keys::SigningKey;
use crate::config::{Config, ConfigError};
use crate::db::{ConnectError, ConnectOptions, Database};
use crate::platform::mail::Mailer;

pub struct State {
    pub config: Config,
    pub db: Database,
    /// Keys that verify JWTs (all of them, in memory).
    pub jwt: JwtKeys,
    /// The key this instance signs EdDSA JWTs with; read on first need.
    pub signing_key: tokio::sync::OnceCell<SigningKey>,
    /// Where mail goes (SES, an outbox folder, or nowhere); its SES client is built on the
    /// first send.
    pub mailer: Mailer,
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Database(#[from] ConnectError),
}

impl State {
    /// Reads the configuration (and the secret) and builds the state from it.
    pub async fn init() -> Result<Self, InitError> {
        Self::from_config(Config::load().await?).await
    }

    /// Opens the database connection and loads the JWT verification keys, so the first request
    /// pays for neither. A database that is down now is not fatal: the instance starts, and
    /// requests answer 503 until it is back (a failed init would only be retried by Lambda
    /// with the same result, and API Gateway would answer a bare 502).
    pub async fn from_config(config: Config) -> Result<Self, InitError> {
        let options = ConnectOptions::from_url(config.database_url.expose())?;
        let db = match Database::connect(options.clone()).await {
            Ok(db) => db,
            Err(err) => {
                tracing::error!(error = %err, "database unreachable at init; will retry per request");
                Database::lazy(options)
            }
        };
        let jwt = JwtKeys::new(
            &config.auth_secret,
            config.jwt_issuers.clone(),
            config.jwt_audiences.clone(),
            config.jwt_policy,
        );
        match jwt.load(&db).await {
            Ok(count) => tracing::debug!(keys = count, "loaded JWT verification keys"),
            Err(err) => {
                tracing::warn!(error = ?err, "could not load JWT keys at init; will load on first use")
            }
        }
        let mailer = Mailer::from_config(&config);
        Ok(State {
            config,
            db,
            jwt,
            signing_key: tokio::sync::OnceCell::new(),
            mailer,
        })
    }
}
