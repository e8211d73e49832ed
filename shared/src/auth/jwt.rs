//! JWTs: verification for every task route, and the key set it verifies against.
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

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header, errors::ErrorKind};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::config::Secret;
use crate::db::{Database, DbError};
use crate::error::Error;

/// Clock skew tolerated on `exp` (and `nbf`/`iat` where present).
pub const LEEWAY_SECONDS: u64 = 30;
/// Better Auth keeps listing an expired key for this long, so tokens it signed stay valid.
pub const EXPIRED_KEY_GRACE: &str = "30 days";
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
}

/// The keys tokens are verified with.
pub struct JwtKeys {
    shared_secret: DecodingKey,
    issuer: String,
    ed25519: RwLock<HashMap<String, DecodingKey>>,
    /// When a token with an unknown `kid` last made us reload the key set. The load at init
    /// does not count: a key created after this instance started must be picked up at once.
    last_unknown_kid_reload: Mutex<Option<Instant>>,
}

impl JwtKeys {
    /// Keys for `secret`, accepting EdDSA tokens issued by (and for) `issuer`.
    pub fn new(secret: &Secret, issuer: impl Into<String>) -> Self {
        JwtKeys {
            shared_secret: DecodingKey::from_secret(secret.expose().as_bytes()),
            issuer: issuer.into(),
            ed25519: RwLock::new(HashMap::new()),
            last_unknown_kid_reload: Mutex::new(None),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Reads the public keys from the `jwks` table (one round trip). Called in init, and again
    /// when a token names a key we do not know.
    pub async fn load(&self, db: &Database) -> Result<usize, DbError> {
        let sql = format!(
            r#"select "id", "publicKey" from "jwks"
               where "expiresAt" is null or "expiresAt" > now() - interval '{EXPIRED_KEY_GRACE}'"#
        );
        let rows = db.query(&sql, &[]).await?;
        let mut keys = HashMap::new();
        for row in rows {
            let kid: String = row.get(0);
            let public_jwk: String = row.get(1);
            match decoding_key_from_public_jwk(&public_jwk) {
                Some(key) => {
                    keys.insert(kid, key);
                }
                None => {
                    tracing::warn!(%kid, "skipping a jwks row whose public key is not an Ed25519 JWK")
                }
            }
        }
        let count = keys.len();
        *self.ed25519.write().expect("key set lock") = keys;
        Ok(count)
    }

    /// Adds a key this instance just created, so its own tokens verify without a reload.
    pub fn insert(&self, kid: String, public_jwk: &str) {
        if let Some(key) = decoding_key_from_public_jwk(public_jwk) {
            self.ed25519.write().expect("key set lock").insert(kid, key);
        }
    }

    /// Verifies a bearer token. Every failure is a 401 with a message that says what was wrong
    /// with the token, never anything about our keys.
    pub async fn verify(&self, token: &str, db: &Database) -> Result<VerifiedToken, Error> {
        let header = decode_header(token).map_err(|_| Error::unauthorized("Invalid token"))?;
        match header.alg {
            Algorithm::HS256 => decode_with(token, &self.shared_secret, hs256_validation()),
            Algorithm::EdDSA => {
                let kid = header
                    .kid
                    .ok_or_else(|| Error::unauthorized("Invalid token: no key id"))?;
                let key = match self.ed25519_key(&kid) {
                    Some(key) => key,
                    None => {
                        self.reload_for_unknown_kid(db).await?;
                        self.ed25519_key(&kid)
                            .ok_or_else(|| Error::unauthorized("Invalid token: unknown key"))?
                    }
                };
                decode_with(token, &key, self.eddsa_validation())
            }
            _ => Err(Error::unauthorized("Invalid token: unsupported algorithm")),
        }
    }

    fn ed25519_key(&self, kid: &str) -> Option<DecodingKey> {
        self.ed25519.read().expect("key set lock").get(kid).cloned()
    }

    /// Reloads the key set, at most once per [`RELOAD_INTERVAL`]. The lock is held across the
    /// reload, so concurrent requests with unknown keys cause one query, not one each.
    async fn reload_for_unknown_kid(&self, db: &Database) -> Result<(), Error> {
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
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.issuer]);
        validation
    }
}

/// HS256 tokens of the shared-secret contract carry no `iss`/`aud`, so only `exp` and `sub`
/// are required.
fn hs256_validation() -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = LEEWAY_SECONDS;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp", "sub"]);
    validation
}

fn decode_with(
    token: &str,
    key: &DecodingKey,
    validation: Validation,
) -> Result<VerifiedToken, Error> {
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

/// `{"crv":"Ed25519","x":"…","kty":"OKP"}` → a verification key.
fn decoding_key_from_public_jwk(public_jwk: &str) -> Option<DecodingKey> {
    #[derive(Deserialize)]
    struct PublicJwk {
        kty: String,
        crv: String,
        x: String,
    }
    let jwk: PublicJwk = serde_json::from_str(public_jwk).ok()?;
    (jwk.kty == "OKP" && jwk.crv == "Ed25519")
        .then(|| DecodingKey::from_ed_components(&jwk.x).ok())
        .flatten()
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
