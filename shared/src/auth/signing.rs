//! Issuing JWTs like Better Auth's jwt plugin: EdDSA with the newest key of the `jwks` table
//! (created on first need), or HS256 with the shared secret when `JWT_ALG=HS256`.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use super::jwk::{
    decrypt_private_key, encrypt_private_key, generate_ed25519_key, pkcs8_der_from_private_jwk,
};
use super::session::User;
use crate::State;
use crate::config::JwtIssuing;
use crate::db::quote_literal;
use crate::error::{Error, Result};

/// Lifetime of an issued JWT: 15 minutes, as Better Auth's jwt plugin.
pub const JWT_LIFETIME_SECONDS: i64 = 15 * 60;

/// The key new EdDSA tokens are signed with.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    key: EncodingKey,
}

/// Claims in Better Auth's order: `iat`, the whole user, `sub`, `exp`, `iss`, `aud`.
#[derive(Serialize)]
struct Claims<'a> {
    iat: i64,
    #[serde(flatten)]
    user: &'a User,
    sub: &'a str,
    exp: i64,
    iss: &'a str,
    aud: &'a str,
}

/// A JWT for `user`, signed as configured.
pub async fn issue_jwt(state: &State, user: &User) -> Result<String> {
    let now = chrono::Utc::now().timestamp();
    let issuer = state.config.issuer();
    let claims = Claims {
        iat: now,
        user,
        sub: &user.id,
        exp: now + JWT_LIFETIME_SECONDS,
        iss: &issuer,
        aud: &issuer,
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
        .get_or_try_init(|| load_or_create(state))
        .await
        .cloned()
}

async fn load_or_create(state: &State) -> Result<SigningKey> {
    if let Some(key) = newest_key(state).await? {
        return Ok(key);
    }
    create_key(state).await?;
    newest_key(state)
        .await?
        .ok_or_else(|| Error::internal("no signing key after creating one"))
}

/// The newest unexpired key, decrypted with the secret.
async fn newest_key(state: &State) -> Result<Option<SigningKey>> {
    let sql = r#"select "id", "publicKey", "privateKey" from "jwks"
                 where "expiresAt" is null or "expiresAt" > now()
                 order by "createdAt" desc limit 1"#;
    let Some(row) = state.db.query_opt(sql, &[]).await? else {
        return Ok(None);
    };
    let (kid, public_jwk, stored): (String, String, String) = (row.get(0), row.get(1), row.get(2));
    let private_jwk =
        decrypt_private_key(&stored, state.config.auth_secret.expose()).map_err(|err| {
            Error::internal(format!(
                "jwks key {kid} cannot be decrypted with BETTER_AUTH_SECRET: {err}"
            ))
        })?;
    let der = pkcs8_der_from_private_jwk(&private_jwk).map_err(Error::internal)?;
    state.jwt.insert(kid.clone(), &public_jwk);
    Ok(Some(SigningKey {
        kid,
        key: EncodingKey::from_ed_der(&der),
    }))
}

/// Inserts a new key unless a usable one exists, under a transaction-scoped advisory lock, so
/// instances racing through their first token create one key between them. One round trip.
async fn create_key(state: &State) -> Result<()> {
    let generated = generate_ed25519_key();
    let kid = super::ids::random_id();
    let encrypted = encrypt_private_key(
        &generated.private_jwk_json,
        state.config.auth_secret.expose(),
    );
    let sql = format!(
        r#"select pg_advisory_xact_lock(7303026283713041734);
           insert into "jwks" ("id", "publicKey", "privateKey", "createdAt", "expiresAt", "alg", "crv")
           select {}, {}, {}, now(), null, 'EdDSA', 'Ed25519'
           where not exists (select 1 from "jwks" where "expiresAt" is null or "expiresAt" > now());"#,
        quote_literal(&kid),
        quote_literal(&generated.public_jwk_json),
        quote_literal(&encrypted),
    );
    state.db.batch(&sql).await?;
    tracing::info!("created a JWT signing key (or found one another instance created)");
    Ok(())
}

/// `/jwks`: every public key (with Better Auth's 30-day grace for expired ones), creating the
/// first key when there is none, as Better Auth does on its first call.
pub async fn public_keys(state: &State) -> Result<serde_json::Value> {
    let sql = format!(
        r#"select "id", "publicKey", "alg", "crv" from "jwks"
           where "expiresAt" is null or "expiresAt" > now() - interval '{}'
           order by "createdAt""#,
        super::jwt::EXPIRED_KEY_GRACE
    );
    let mut rows = state.db.query(&sql, &[]).await?;
    if rows.is_empty() {
        signing_key(state).await?;
        rows = state.db.query(&sql, &[]).await?;
    }
    let keys: Vec<serde_json::Value> = rows
        .iter()
        .filter_map(|row| {
            let public: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(row.get::<_, &str>("publicKey")).ok()?;
            let mut key = serde_json::Map::new();
            key.insert(
                "alg".into(),
                row.get::<_, Option<String>>("alg")
                    .unwrap_or_else(|| "EdDSA".into())
                    .into(),
            );
            key.insert(
                "crv".into(),
                row.get::<_, Option<String>>("crv")
                    .unwrap_or_else(|| "Ed25519".into())
                    .into(),
            );
            key.extend(public);
            key.insert("kid".into(), row.get::<_, String>("id").into());
            Some(serde_json::Value::Object(key))
        })
        .collect();
    Ok(serde_json::json!({ "keys": keys }))
}
