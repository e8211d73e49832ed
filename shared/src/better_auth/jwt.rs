//! JWTs, both ways: issuing them like Better Auth's jwt plugin (EdDSA with the newest key of
//! the `jwks` table, created on first need, or HS256 with the shared secret when
//! `JWT_ALG=HS256`), and verifying them for every task route.
//!
//! Two kinds of token are accepted, and the key decides the algorithm (never the token):
//! - HS256 signed with `BETTER_AUTH_SECRET`: the shared-secret contract the FastAPI backend used;
//! - EdDSA (Ed25519) signed with a key from Better Auth's `jwks` table, with `kid`, `iss` and
//!   `aud` checked, as Better Auth's jwt plugin issues them.
//!
//! Verification never costs a database round trip: the public keys are loaded once per cold
//! start, and an unknown `kid` triggers at most one reload per [`RELOAD_INTERVAL`].

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header,
    errors::ErrorKind,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::keys::{self, SigningKey};
use super::options::Audience;
use super::users::User;
use crate::State;
use crate::config::{JwtIssuing, Secret};
use crate::db::{Database, DbError};
use crate::error::{Error, Result};

/// Clock skew tolerated on `exp` (and `nbf`/`iat` where present).
pub const LEEWAY_SECONDS: u64 = 30;
/// Lifetime of an issued JWT unless the jwt plugin's `expirationTime` says otherwise: 15
/// minutes, as Better Auth's.
pub const JWT_LIFETIME_SECONDS: i64 = 15 * 60;
/// The least time between two reloads of the key set; bounds what random `kid`s can cost.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(30);

/// What the task routes need from a verified token.
#[derive(Debug, Clone, Deserialize)]
pub struct VerifiedToken {
    pub sub: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    pub exp: i64,
    #[serde(default)]
    pub iat: Option<i64>,
}

/// What a token must satisfy besides its signature, issuer and audience.
#[derive(Debug, Clone, Copy)]
pub struct JwtPolicy {
    /// `false`: HS256 tokens are refused (every client uses the jwt plugin's EdDSA tokens).
    pub accept_hs256: bool,
    /// The longest `exp - iat` (from now without `iat`) an HS256 token may have: their issuers
    /// are outside our control, and one valid until the year 3000 must not open the routes.
    pub hs256_max_lifetime_seconds: i64,
    /// How often a warm instance re-reads the `jwks` table, so a key deleted there stops
    /// verifying within this time.
    pub keys_refresh: Duration,
}

impl Default for JwtPolicy {
    fn default() -> Self {
        JwtPolicy {
            accept_hs256: true,
            hs256_max_lifetime_seconds: 86_400,
            keys_refresh: Duration::from_secs(300),
        }
    }
}

/// The keys tokens are verified with.
pub struct JwtKeys {
    shared_secret: DecodingKey,
    /// The `iss` values EdDSA tokens may carry: ours, plus `JWT_ISSUERS`.
    issuers: Vec<String>,
    /// The `aud` values they may carry: ours, plus `JWT_AUDIENCES`.
    audiences: Vec<String>,
    ed25519: RwLock<HashMap<String, DecodingKey>>,
    /// When the key set was last read from the table (`None`: never).
    loaded_at: RwLock<Option<Instant>>,
    /// When a token with an unknown `kid` last made us reload the key set. The load at init
    /// does not count: a key created after this instance started must be picked up at once.
    last_unknown_kid_reload: Mutex<Option<Instant>>,
    policy: JwtPolicy,
}

impl JwtKeys {
    /// Keys for `secret`, accepting EdDSA tokens issued by one of `issuers` for one of
    /// `audiences` (a token's `aud` may be a list; one match is enough).
    pub fn new(
        secret: &Secret,
        issuers: Vec<String>,
        audiences: Vec<String>,
        policy: JwtPolicy,
    ) -> Self {
        JwtKeys {
            shared_secret: DecodingKey::from_secret(secret.expose().as_bytes()),
            issuers,
            audiences,
            ed25519: RwLock::new(HashMap::new()),
            loaded_at: RwLock::new(None),
            last_unknown_kid_reload: Mutex::new(None),
            policy,
        }
    }

    /// Reads the public keys from the `jwks` table (one round trip). Called in init, and again
    /// when a token names a key we do not know.
    pub async fn load(&self, db: &Database) -> Result<usize, DbError> {
        let keys: HashMap<String, DecodingKey> =
            keys::verification_keys(db).await?.into_iter().collect();
        let count = keys.len();
        *self.ed25519.write().expect("key set lock") = keys;
        *self.loaded_at.write().expect("key set lock") = Some(Instant::now());
        Ok(count)
    }

    /// Accepts tokens signed with the key this instance just loaded for signing, without a
    /// reload.
    fn accept_own_key(&self, signing: &SigningKey) {
        if let Ok(key) = keys::decoding_key(&signing.public_jwk) {
            self.ed25519
                .write()
                .expect("key set lock")
                .insert(signing.kid.clone(), key);
        }
    }

    /// Verifies a bearer token. Every failure is a 401 with a message that says what was wrong
    /// with the token, never anything about our keys.
    pub async fn verify(&self, token: &str, db: &Database) -> Result<VerifiedToken> {
        let header = decode_header(token).map_err(|_| Error::unauthorized("Invalid token"))?;
        let verified = match header.alg {
            Algorithm::HS256 if self.policy.accept_hs256 => {
                let verified = decode_with(token, &self.shared_secret, hs256_validation())?;
                let start = verified
                    .iat
                    .unwrap_or_else(|| chrono::Utc::now().timestamp());
                if verified.exp.saturating_sub(start) > self.policy.hs256_max_lifetime_seconds {
                    return Err(Error::unauthorized("Invalid token: lifetime too long"));
                }
                verified
            }
            Algorithm::HS256 => {
                return Err(Error::unauthorized("Invalid token: HS256 is not accepted"));
            }
            Algorithm::EdDSA => {
                let kid = header
                    .kid
                    .ok_or_else(|| Error::unauthorized("Invalid token: no key id"))?;
                self.refresh_when_stale(db).await;
                let key = match self.ed25519_key(&kid) {
                    Some(key) => key,
                    None => {
                        self.reload_for_unknown_kid(db).await?;
                        self.ed25519_key(&kid)
                            .ok_or_else(|| Error::unauthorized("Invalid token: unknown key"))?
                    }
                };
                decode_with(token, &key, self.eddsa_validation())?
            }
            _ => return Err(Error::unauthorized("Invalid token: unsupported algorithm")),
        };
        // jsonwebtoken checks exp and nbf; a token issued in the future is as suspect.
        let now = chrono::Utc::now().timestamp();
        if verified
            .iat
            .is_some_and(|iat| iat > now + LEEWAY_SECONDS as i64)
        {
            return Err(Error::unauthorized("Token is not valid yet"));
        }
        Ok(verified)
    }

    /// Re-reads the key set when it is older than the refresh interval, so a key deleted from
    /// the table stops verifying on warm instances too. A failed read keeps the keys we have
    /// (and is retried on the next request): the database being down must not fail every
    /// token.
    async fn refresh_when_stale(&self, db: &Database) {
        let stale = self
            .loaded_at
            .read()
            .expect("key set lock")
            .is_some_and(|at| at.elapsed() >= self.policy.keys_refresh);
        if stale && let Err(err) = self.load(db).await {
            tracing::warn!(error = ?err, "could not refresh the JWT verification keys");
        }
    }

    fn ed25519_key(&self, kid: &str) -> Option<DecodingKey> {
        self.ed25519.read().expect("key set lock").get(kid).cloned()
    }

    /// Reloads the key set, at most once per [`RELOAD_INTERVAL`]. The lock is held across the
    /// reload, so concurrent requests with unknown keys cause one query, not one each.
    async fn reload_for_unknown_kid(&self, db: &Database) -> Result<()> {
        let mut last = self.last_unknown_kid_reload.lock().await;
        if last.is_some_and(|at| at.elapsed() < RELOAD_INTERVAL) {
            return Ok(());
        }
        *last = Some(Instant::now());
        self.load(db).await.map_err(Error::from)?;
        Ok(())
    }

    fn eddsa_validation(&self) -> Validation {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.set_issuer(&self.issuers);
        validation.set_audience(&self.audiences);
        validation
    }
}

/// HS256 tokens of the shared-secret contract carry no `iss`/`aud`, so only `exp` and `sub`
/// are required.
fn hs256_validation() -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = LEEWAY_SECONDS;
    validation.validate_aud = false;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "sub"]);
    validation
}

fn decode_with(token: &str, key: &DecodingKey, validation: Validation) -> Result<VerifiedToken> {
    match decode::<VerifiedToken>(token, key, &validation) {
        Ok(data) if !data.claims.sub.is_empty() => Ok(data.claims),
        Ok(_) => Err(Error::unauthorized("Invalid token: empty subject")),
        Err(err) => Err(Error::unauthorized(match err.kind() {
            ErrorKind::ExpiredSignature => "Token has expired",
            ErrorKind::InvalidSignature => "Invalid token signature",
            ErrorKind::MissingRequiredClaim(_) => "Invalid token: a required claim is missing",
            ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => {
                "Invalid token: wrong issuer or audience"
            }
            ErrorKind::ImmatureSignature => "Token is not valid yet",
            _ => "Invalid token",
        })),
    }
}

/// Claims of an HS256 token in the shared-secret contract.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SharedSecretClaims<'a> {
    pub sub: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub iat: i64,
    pub exp: i64,
}

/// Signs an HS256 token with the shared secret: what `/token` issues with `JWT_ALG=HS256`,
/// and what `local-api mint-token` prints for development.
pub fn issue_hs256(secret: &Secret, claims: &SharedSecretClaims<'_>) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(secret.expose().as_bytes());
    jsonwebtoken::encode(&jsonwebtoken::Header::new(Algorithm::HS256), claims, &key)
        .expect("HS256 signing of plain claims cannot fail")
}

// ---------------------------------------------------------------------------------------------
// Issuing

/// Claims in Better Auth's order: `iat`, the whole user, `sub`, `exp`, `iss`, `aud`.
#[derive(Serialize)]
struct Claims<'a> {
    iat: i64,
    #[serde(flatten)]
    user: &'a User,
    sub: &'a str,
    exp: i64,
    iss: &'a str,
    aud: &'a Audience,
}

/// A JWT for `user`, signed as configured, lasting the jwt plugin's `expirationTime`.
pub async fn issue(state: &State, user: &User) -> Result<String> {
    let now = chrono::Utc::now().timestamp();
    let config = &state.config;
    let claims = Claims {
        iat: now,
        user,
        sub: &user.id,
        exp: now + config.options.jwt_lifetime_seconds(),
        iss: &config.jwt_issuer,
        aud: &config.jwt_audience,
    };
    let (header, key) = match state.config.jwt_issuing {
        JwtIssuing::Hs256 => {
            let mut header = Header::new(Algorithm::HS256);
            header.typ = Some("JWT".into());
            (
                header,
                EncodingKey::from_secret(state.config.auth_secret.expose().as_bytes()),
            )
        }
        JwtIssuing::EdDsa => {
            let signing = signing_key(state).await?;
            let mut header = Header::new(Algorithm::EdDSA);
            // Better Auth's header is exactly {"alg":"EdDSA","kid":…}.
            header.typ = None;
            header.kid = Some(signing.kid.clone());
            (header, signing.key)
        }
    };
    jsonwebtoken::encode(&header, &claims, &key).map_err(Error::internal)
}

/// The instance's signing key: read once (one round trip), created when the table has none.
pub async fn signing_key(state: &State) -> Result<SigningKey> {
    state
        .signing_key
        .get_or_try_init(|| load_or_create_signing_key(state))
        .await
        .cloned()
}

async fn load_or_create_signing_key(state: &State) -> Result<SigningKey> {
    let secret = state.config.auth_secret.expose();
    let signing = match keys::newest_signing_key(&state.db, secret).await? {
        Some(key) => key,
        None => {
            keys::create_key(&state.db, secret).await?;
            keys::newest_signing_key(&state.db, secret)
                .await?
                .ok_or_else(|| Error::internal("no signing key after creating one"))?
        }
    };
    state.jwt.accept_own_key(&signing);
    Ok(signing)
}

/// `/jwks`: every public key, creating the first key when there is none, as Better Auth does
/// on its first call.
pub async fn public_keys(state: &State) -> Result<serde_json::Value> {
    let mut keys = keys::public_key_set(&state.db).await?;
    if keys.is_empty() {
        signing_key(state).await?;
        keys = keys::public_key_set(&state.db).await?;
    }
    Ok(serde_json::json!({ "keys": keys }))
}
