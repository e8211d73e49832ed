//! Better Auth's `jwks` table (jwt plugin): Ed25519 key pairs in its JSON formats, its
//! private-key encryption, and every query on the table. [`super::jwt`] signs and verifies
//! with what this module reads.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::pkcs8::{EncodePrivateKey, KeypairBytes};
use ed25519_dalek::{SigningKey as Ed25519Key, VerifyingKey};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{DecodingKey, EncodingKey};
use rand::RngCore;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ids::random_id;
use crate::db::{Database, DbError, quote_literal};
use crate::error::{Error, Result};

/// Better Auth keeps listing an expired key for this long, so tokens it signed stay valid.
pub const EXPIRED_KEY_GRACE: &str = "30 days";

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const ENVELOPE_PREFIX: &str = "$ba$";

/// Errors from reading or decrypting stored keys. Messages never carry key material or secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "stored private key is neither an encrypted JSON string, a `$ba$<version>$<hex>` envelope nor a JWK object"
    )]
    UnrecognisedFormat,
    #[error("stored private key envelope is not of the form `$ba$<version>$<hex>`")]
    MalformedEnvelope,
    #[error("encrypted private key is not valid hex")]
    InvalidHex,
    #[error("encrypted private key is too short to hold a nonce and an authentication tag")]
    TooShort,
    #[error(
        "private key decryption failed: the secret is not the one it was encrypted with, or the data is corrupted"
    )]
    DecryptionFailed,
    #[error(
        "private key was encrypted with Better Auth secret version {0} and the given secret does not decrypt it"
    )]
    VersionedDecryptionFailed(u32),
    #[error("decrypted private key is not UTF-8 text")]
    NotUtf8,
    #[error("invalid JWK: {0}")]
    InvalidJwk(&'static str),
    #[error("JWK public key `x` does not belong to its private key `d`")]
    PublicKeyMismatch,
    #[error("could not encode the private key as PKCS#8 DER")]
    Pkcs8,
}

/// A new key pair as the two JSON texts Better Auth keeps: `jwks.publicKey` and the private
/// JWK that gets encrypted into `jwks.privateKey`.
#[derive(Debug, Clone)]
pub struct GeneratedKey {
    /// `{"crv":"Ed25519","x":"…","kty":"OKP"}`, the key order Better Auth stores.
    pub public_jwk_json: String,
    /// `{"crv":"Ed25519","d":"…","x":"…","kty":"OKP"}`, the plaintext Better Auth encrypts.
    pub private_jwk_json: String,
}

// Field order is the JSON key order: it follows what jose's exportJWK produced in Better Auth.
#[derive(Serialize)]
struct PublicJwkOut<'a> {
    crv: &'a str,
    x: &'a str,
    kty: &'a str,
}

#[derive(Serialize)]
struct PrivateJwkOut<'a> {
    crv: &'a str,
    d: &'a str,
    x: &'a str,
    kty: &'a str,
}

/// A private OKP JWK as Better Auth stores it encrypted. jsonwebtoken's `Jwk` models public
/// keys only (it has no `d`), so the private form is read here.
#[derive(Deserialize)]
struct PrivateJwk {
    kty: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    d: Option<String>,
}

/// Generates an Ed25519 key pair from the OS CSPRNG.
pub fn generate_ed25519_key() -> GeneratedKey {
    let signing_key = Ed25519Key::generate(&mut OsRng);
    let d = URL_SAFE_NO_PAD.encode(signing_key.to_bytes());
    let x = URL_SAFE_NO_PAD.encode(signing_key.verifying_key().to_bytes());
    let public = PublicJwkOut {
        crv: "Ed25519",
        x: &x,
        kty: "OKP",
    };
    let private = PrivateJwkOut {
        crv: "Ed25519",
        d: &d,
        x: &x,
        kty: "OKP",
    };
    GeneratedKey {
        public_jwk_json: serde_json::to_string(&public).expect("a struct of strings serialises"),
        private_jwk_json: serde_json::to_string(&private).expect("a struct of strings serialises"),
    }
}

fn cipher(secret: &str) -> XChaCha20Poly1305 {
    // Better Auth's symmetricEncrypt keys the cipher with SHA-256 of the secret text.
    let key = Sha256::digest(secret.as_bytes());
    XChaCha20Poly1305::new(&key)
}

/// Encrypts a private JWK into the text Better Auth stores in `jwks.privateKey`: a JSON string
/// literal (quotes included) of hex(nonce ‖ ciphertext ‖ tag), XChaCha20-Poly1305, no AAD.
pub fn encrypt_private_key(private_jwk_json: &str, secret: &str) -> String {
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let sealed = cipher(secret)
        .encrypt(XNonce::from_slice(&nonce), private_jwk_json.as_bytes())
        .expect("XChaCha20-Poly1305 encryption only fails past 256 GiB of plaintext");
    let mut payload = Vec::with_capacity(NONCE_LEN + sealed.len());
    payload.extend_from_slice(&nonce);
    payload.extend_from_slice(&sealed);
    // Better Auth JSON.stringify()s the hex before storing it, hence the quotes.
    serde_json::to_string(&hex::encode(payload)).expect("a string serialises")
}

/// Reads `jwks.privateKey` back into the private JWK JSON.
///
/// Accepts what Better Auth writes: the quoted hex from a plain `secret`; the `$ba$<version>$<hex>`
/// envelope from the versioned `secrets` option (quoted or not), which is the same ciphertext
/// tagged with the version of the secret that made it, so it is decrypted with `secret` whatever
/// the version says; and the bare JWK object stored when `disablePrivateKeyEncryption` is set.
pub fn decrypt_private_key(stored: &str, secret: &str) -> Result<String, KeyError> {
    let trimmed = stored.trim();
    if trimmed.starts_with('{') {
        return Ok(trimmed.to_owned());
    }
    let unquoted;
    let payload = if trimmed.starts_with('"') {
        unquoted =
            serde_json::from_str::<String>(trimmed).map_err(|_| KeyError::UnrecognisedFormat)?;
        unquoted.as_str()
    } else if trimmed.starts_with(ENVELOPE_PREFIX) {
        trimmed
    } else {
        return Err(KeyError::UnrecognisedFormat);
    };
    match payload.strip_prefix(ENVELOPE_PREFIX) {
        Some(envelope) => {
            let (version, hex_payload) = envelope
                .split_once('$')
                .ok_or(KeyError::MalformedEnvelope)?;
            let version = parse_version(version).ok_or(KeyError::MalformedEnvelope)?;
            decrypt_hex(hex_payload, secret).map_err(|error| match error {
                KeyError::DecryptionFailed => KeyError::VersionedDecryptionFailed(version),
                other => other,
            })
        }
        None => decrypt_hex(payload, secret),
    }
}

fn parse_version(text: &str) -> Option<u32> {
    // Better Auth writes versions as plain non-negative integers.
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn decrypt_hex(hex_payload: &str, secret: &str) -> Result<String, KeyError> {
    let bytes = hex::decode(hex_payload).map_err(|_| KeyError::InvalidHex)?;
    if bytes.len() < NONCE_LEN + TAG_LEN {
        return Err(KeyError::TooShort);
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    let plaintext = cipher(secret)
        .decrypt(XNonce::from_slice(nonce), sealed)
        .map_err(|_| KeyError::DecryptionFailed)?;
    String::from_utf8(plaintext).map_err(|_| KeyError::NotUtf8)
}

fn parse_private_jwk(jwk_json: &str) -> Result<PrivateJwk, KeyError> {
    // serde_json's messages can quote the offending input, which may be key material: drop them.
    let jwk: PrivateJwk = serde_json::from_str(jwk_json)
        .map_err(|_| KeyError::InvalidJwk("not a JSON JWK object"))?;
    if jwk.kty.as_deref() != Some("OKP") {
        return Err(KeyError::InvalidJwk("kty is not \"OKP\""));
    }
    if jwk.crv.as_deref() != Some("Ed25519") {
        return Err(KeyError::InvalidJwk("crv is not \"Ed25519\""));
    }
    Ok(jwk)
}

fn decode_32(b64url: &str, missing: &'static str) -> Result<[u8; 32], KeyError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(b64url)
        .map_err(|_| KeyError::InvalidJwk(missing))?;
    bytes.try_into().map_err(|_| KeyError::InvalidJwk(missing))
}

/// Builds the signing key from a private JWK, checking that `x`, when present, matches `d`.
fn signing_key_from_private_jwk(private_jwk_json: &str) -> Result<Ed25519Key, KeyError> {
    let jwk = parse_private_jwk(private_jwk_json)?;
    let d = jwk
        .d
        .ok_or(KeyError::InvalidJwk("d is missing: not a private key"))?;
    let signing_key =
        Ed25519Key::from_bytes(&decode_32(&d, "d is not 32 bytes of unpadded base64url")?);
    if let Some(x) = jwk.x {
        let x = decode_32(&x, "x is not 32 bytes of unpadded base64url")?;
        if signing_key.verifying_key().to_bytes() != x {
            return Err(KeyError::PublicKeyMismatch);
        }
    }
    Ok(signing_key)
}

/// PKCS#8 DER of a private JWK, for `jsonwebtoken::EncodingKey::from_ed_der`.
///
/// Emits the 48-byte RFC 8410 form without the public key, byte-identical to what Node's
/// `KeyObject.export({ format: "der", type: "pkcs8" })` gives for the same key.
pub fn pkcs8_der_from_private_jwk(private_jwk_json: &str) -> Result<Vec<u8>, KeyError> {
    let signing_key = signing_key_from_private_jwk(private_jwk_json)?;
    let keypair = KeypairBytes {
        secret_key: signing_key.to_bytes(),
        public_key: None,
    };
    let der = keypair.to_pkcs8_der().map_err(|_| KeyError::Pkcs8)?;
    Ok(der.as_bytes().to_vec())
}

/// The verification key of a public JWK (as stored in `jwks.publicKey`), read with
/// jsonwebtoken's JWK type and checked to be an Ed25519 point.
pub fn decoding_key(public_jwk_json: &str) -> Result<DecodingKey, KeyError> {
    let jwk: Jwk = serde_json::from_str(public_jwk_json)
        .map_err(|_| KeyError::InvalidJwk("not a JSON JWK object"))?;
    let AlgorithmParameters::OctetKeyPair(okp) = &jwk.algorithm else {
        return Err(KeyError::InvalidJwk("kty is not \"OKP\""));
    };
    if okp.curve != EllipticCurve::Ed25519 {
        return Err(KeyError::InvalidJwk("crv is not \"Ed25519\""));
    }
    let x = decode_32(&okp.x, "x is not 32 bytes of unpadded base64url")?;
    VerifyingKey::from_bytes(&x)
        .map_err(|_| KeyError::InvalidJwk("x is not an Ed25519 public key"))?;
    DecodingKey::from_jwk(&jwk).map_err(|_| KeyError::InvalidJwk("x is not an Ed25519 public key"))
}

// ---------------------------------------------------------------------------------------------
// The table

/// The key new EdDSA tokens are signed with, decrypted from the newest row.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    /// `jwks.publicKey`, so the verifier can accept this instance's own tokens at once.
    pub public_jwk: String,
    pub key: EncodingKey,
}

/// Every verification key: unexpired ones, and expired ones within [`EXPIRED_KEY_GRACE`]. A
/// row that is not an Ed25519 JWK is skipped with a warning. One round trip.
pub async fn verification_keys(db: &Database) -> Result<Vec<(String, DecodingKey)>, DbError> {
    let sql = format!(
        r#"select "id", "publicKey" from "jwks"
           where "expiresAt" is null or "expiresAt" > now() - interval '{EXPIRED_KEY_GRACE}'"#
    );
    let rows = db.query(&sql, &[]).await?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            let kid: String = row.get(0);
            match decoding_key(row.get(1)) {
                Ok(key) => Some((kid, key)),
                Err(err) => {
                    tracing::warn!(%kid, error = %err, "skipping a jwks row whose public key is not an Ed25519 JWK");
                    None
                }
            }
        })
        .collect())
}

/// The newest unexpired key, decrypted with the secret. One round trip.
pub async fn newest_signing_key(db: &Database, secret: &str) -> Result<Option<SigningKey>> {
    let sql = r#"select "id", "publicKey", "privateKey" from "jwks"
                 where "expiresAt" is null or "expiresAt" > now()
                 order by "createdAt" desc limit 1"#;
    let Some(row) = db.query_opt(sql, &[]).await? else {
        return Ok(None);
    };
    let (kid, public_jwk, stored): (String, String, String) = (row.get(0), row.get(1), row.get(2));
    let private_jwk = decrypt_private_key(&stored, secret).map_err(|err| {
        Error::internal(format!(
            "jwks key {kid} cannot be decrypted with BETTER_AUTH_SECRET: {err}"
        ))
    })?;
    let der = pkcs8_der_from_private_jwk(&private_jwk).map_err(Error::internal)?;
    Ok(Some(SigningKey {
        kid,
        public_jwk,
        key: EncodingKey::from_ed_der(&der),
    }))
}

/// Inserts a new key unless a usable one exists, under a transaction-scoped advisory lock, so
/// instances racing through their first token create one key between them. One round trip.
pub async fn create_key(db: &Database, secret: &str) -> Result<()> {
    let generated = generate_ed25519_key();
    let kid = random_id();
    let encrypted = encrypt_private_key(&generated.private_jwk_json, secret);
    let sql = format!(
        r#"select pg_advisory_xact_lock(7303026283713041734);
           insert into "jwks" ("id", "publicKey", "privateKey", "createdAt", "expiresAt", "alg", "crv")
           select {}, {}, {}, now(), null, 'EdDSA', 'Ed25519'
           where not exists (select 1 from "jwks" where "expiresAt" is null or "expiresAt" > now());"#,
        quote_literal(&kid),
        quote_literal(&generated.public_jwk_json),
        quote_literal(&encrypted),
    );
    db.batch(&sql).await?;
    tracing::info!("created a JWT signing key (or found one another instance created)");
    Ok(())
}

/// The public key set `/jwks` serves, in Better Auth's key order (`alg`, `crv`, the stored
/// public JWK's keys, `kid`), with its 30-day grace for expired keys. One round trip.
pub async fn public_key_set(db: &Database) -> Result<Vec<serde_json::Value>> {
    let sql = format!(
        r#"select "id", "publicKey", "alg", "crv" from "jwks"
           where "expiresAt" is null or "expiresAt" > now() - interval '{EXPIRED_KEY_GRACE}'
           order by "createdAt""#
    );
    let rows = db.query(&sql, &[]).await?;
    Ok(rows
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
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signature, Signer};

    // Produced by tests/vectors/make-vectors.mjs in one run: a real better-auth 1.7.25 server
    // (memory adapter, jwt plugin) created the jwks row on sign-up + /token; the encrypted
    // variants come from better-auth/crypto's own symmetricEncrypt.
    const SECRET: &str = "vector-secret-0123456789abcdefghijklmnopqrstuvwxyz";
    const BA_PUBLIC_KEY: &str =
        r#"{"crv":"Ed25519","x":"d-FqX-nKSNyudcM7gueC2lKzRNySJHW_FNc3HO7-f4E","kty":"OKP"}"#;
    const BA_PRIVATE_KEY_STORED: &str = r#""a6334d222111abace0efef608d0c4e75abc36a6b9a3bcc37f8bfd8cb9851e92eea64de578e5acbb0f4c565684977971a1f5a911e44c60c4e704be121b2918619d60cee56283ed52938be922439266182749d2d8bc64dc7c709346cd8f18d82953997c45d69d5231321e1af2066cf7b0fbeb90dd9f10cad5e3b191d05dbd235cc34afef88e499b72ac7a03b2235f7c68cc3b16988007bf9dd9d175561a76085dbec619305de736df55f""#;
    const BA_PRIVATE_JWK: &str = r#"{"crv":"Ed25519","d":"AE5OLdbaX-qk-7c2CkjDZYpvv46eiYHvgW3hU4MUMpk","x":"d-FqX-nKSNyudcM7gueC2lKzRNySJHW_FNc3HO7-f4E","kty":"OKP"}"#;
    const BA_PRIVATE_D: &str = "AE5OLdbaX-qk-7c2CkjDZYpvv46eiYHvgW3hU4MUMpk";
    // symmetricEncrypt({ key: SECRET }) and, with `secrets: [{ version: 3, value: SECRET }]`,
    // symmetricEncrypt({ key: { keys: Map{3 => SECRET}, currentVersion: 3 } }), both JSON.stringify()d.
    const BA_PLAIN_SECRET_STORED: &str = r#""797f71fb8687f7dab330d29ab431e054a35b26c3686d038f05a47aba32e58e014ea185ae311a9544a4467d6cace40e0ee75b861ed08ef60330808adcc3040dee2548a50e05743be0ffe44c72b18c3ff01569421d3c6f0675d38fef8b52bba2b8d8b36e144f7627acb1a92256d60bc7da24784c525ca9fe72d2208ee88ff0fa5becb1f34995914d34f7e6e34d399ced9d9e2e6a412830dc5f7a05446de0d5a4385ac7fcd7028b8e95cc""#;
    const BA_VERSIONED_STORED: &str = r#""$ba$3$bff440e20661ce82b4aa337456950d5f4c551f493e92cead7a70a1754467f4fbd5c5a159d559a54bb99fd07a90285d23e93087f4b7431972c639785664ea7ee485b62c4074a1a524f1da56f15ae2450476093bc1a1bef70f6b7f8c85a10a5632d63cc9c040b18438f11625924d63ba6d6b9ac16c5f540ef9bb9a81506b08e199b7307abd8a592d4af9101d5cc997566a9e23676cc5dddbdc27c9e27970bf7f4031ffe9d8dc1644a129""#;
    // node:crypto with the decrypted JWK: createPrivateKey(jwk).export({format:"der",type:"pkcs8"})
    // and sign(null, MESSAGE, key).
    const NODE_PKCS8_DER_HEX: &str = "302e020100300506032b657004220420004e4e2dd6da5feaa4fbb7360a48c3658a6fbf8e9e8981ef816de15383143299";
    const MESSAGE: &str = "auth-crypto test message";
    const NODE_SIGNATURE_HEX: &str = "1831ba136959d9c98d2299f6bd4c2a2b755c2daadf0fdd80f191b28489bb45d343eac6192ee9590c19f216306e9607e7572ceae7d9f44c6e573da179b531920f";
    // The JWT better-auth's /token endpoint returned, signed with this key.
    const BA_JWT: &str = "eyJhbGciOiJFZERTQSIsImtpZCI6IjFNbks3bFVoZmFBQUVHZ3l0TFJjdnB1NjBYQWlwbDBIIn0.eyJpYXQiOjE3OTUzOTc1NjIsIm5hbWUiOiJWZWN0b3JzIiwiZW1haWwiOiJ2ZWN0b3JzQGV4YW1wbGUuY29tIiwiZW1haWxWZXJpZmllZCI6ZmFsc2UsImNyZWF0ZWRBdCI6IjIwMjYtMTEtMjNUMDE6MzI6NDIuNTA3WiIsInVwZGF0ZWRBdCI6IjIwMjYtMTEtMjNUMDE6MzI6NDIuNTA3WiIsImlkIjoiZU9DZERvdkRBc3dkbGRXcGljeFZNNnhJYmpyNEJLQUIiLCJzdWIiOiJlT0NkRG92REFzd2RsZFdwaWN4Vk02eElianI0QktBQiIsImV4cCI6MTc5NTM5ODQ2MiwiaXNzIjoiaHR0cDovLzEyNy4wLjAuMTozMDA1IiwiYXVkIjoiaHR0cDovLzEyNy4wLjAuMTozMDA1In0.v2EzPidWWJH5IwrCS0dGpaRNGxc8rIcK11NG6F_G-D7J_arKuZQyU6gg4Ub2PIVYt8Z-9VZdMWsbJxe_74GiBA";

    #[test]
    fn better_auth_encrypted_private_key_decrypts() {
        assert_eq!(
            decrypt_private_key(BA_PRIVATE_KEY_STORED, SECRET).unwrap(),
            BA_PRIVATE_JWK
        );
        assert_eq!(
            decrypt_private_key(BA_PLAIN_SECRET_STORED, SECRET).unwrap(),
            BA_PRIVATE_JWK
        );
    }

    #[test]
    fn better_auth_versioned_envelope_decrypts_with_its_secret() {
        assert_eq!(
            decrypt_private_key(BA_VERSIONED_STORED, SECRET).unwrap(),
            BA_PRIVATE_JWK
        );
        let unquoted = BA_VERSIONED_STORED.trim_matches('"');
        assert_eq!(
            decrypt_private_key(unquoted, SECRET).unwrap(),
            BA_PRIVATE_JWK
        );
        assert_eq!(
            decrypt_private_key(BA_VERSIONED_STORED, "some other secret"),
            Err(KeyError::VersionedDecryptionFailed(3))
        );
    }

    #[test]
    fn plaintext_private_jwk_is_returned_as_is() {
        assert_eq!(
            decrypt_private_key(BA_PRIVATE_JWK, SECRET).unwrap(),
            BA_PRIVATE_JWK
        );
    }

    #[test]
    fn encrypted_key_round_trips_in_better_auths_format() {
        let stored = encrypt_private_key(BA_PRIVATE_JWK, SECRET);
        let hex_payload = stored
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap();
        assert_eq!(
            hex_payload.len(),
            2 * (NONCE_LEN + BA_PRIVATE_JWK.len() + TAG_LEN)
        );
        assert!(
            hex_payload
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        );
        assert_eq!(
            decrypt_private_key(&stored, SECRET).unwrap(),
            BA_PRIVATE_JWK
        );
        assert_ne!(stored, encrypt_private_key(BA_PRIVATE_JWK, SECRET));
    }

    #[test]
    fn wrong_secret_fails_without_revealing_it() {
        let error = decrypt_private_key(BA_PRIVATE_KEY_STORED, "wrong-secret").unwrap_err();
        assert_eq!(error, KeyError::DecryptionFailed);
        assert!(!error.to_string().contains("wrong-secret"));
    }

    #[test]
    fn tampered_ciphertext_is_rejected() {
        let mut tampered = BA_PRIVATE_KEY_STORED.to_string();
        let flip_at = tampered.len() - 10;
        let flipped = if &tampered[flip_at..=flip_at] == "0" {
            "1"
        } else {
            "0"
        };
        tampered.replace_range(flip_at..=flip_at, flipped);
        assert_eq!(
            decrypt_private_key(&tampered, SECRET),
            Err(KeyError::DecryptionFailed)
        );
    }

    #[test]
    fn malformed_stored_keys_are_errors_without_panic() {
        let short = format!("\"{}\"", "00".repeat(NONCE_LEN + TAG_LEN - 1));
        let cases: [(&str, KeyError); 12] = [
            ("", KeyError::UnrecognisedFormat),
            ("null", KeyError::UnrecognisedFormat),
            ("[]", KeyError::UnrecognisedFormat),
            ("\"", KeyError::UnrecognisedFormat),
            ("abcdef", KeyError::UnrecognisedFormat),
            ("\"zz\"", KeyError::InvalidHex),
            ("\"abc\"", KeyError::InvalidHex),
            ("\"\"", KeyError::TooShort),
            (&short, KeyError::TooShort),
            ("\"$ba$3\"", KeyError::MalformedEnvelope),
            ("\"$ba$x$00\"", KeyError::MalformedEnvelope),
            ("$ba$$00", KeyError::MalformedEnvelope),
        ];
        for (stored, expected) in cases {
            assert_eq!(
                decrypt_private_key(stored, SECRET),
                Err(expected),
                "{stored:?}"
            );
        }
    }

    #[test]
    fn signing_key_from_better_auth_jwk_signs_like_node() {
        let signing_key = signing_key_from_private_jwk(BA_PRIVATE_JWK).unwrap();
        let signature = signing_key.sign(MESSAGE.as_bytes());
        assert_eq!(hex::encode(signature.to_bytes()), NODE_SIGNATURE_HEX);
    }

    #[test]
    fn better_auth_jwt_verifies_and_resigns_identically() {
        let (signing_input, signature_b64) = BA_JWT.rsplit_once('.').unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.set_required_spec_claims::<&str>(&[]);
        jsonwebtoken::decode::<serde_json::Value>(
            BA_JWT,
            &decoding_key(BA_PUBLIC_KEY).unwrap(),
            &validation,
        )
        .expect("Better Auth's token verifies with the key read from its public JWK");
        let signature =
            Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature_b64).unwrap()).unwrap();
        let signing_key = signing_key_from_private_jwk(BA_PRIVATE_JWK).unwrap();
        assert_eq!(signing_key.sign(signing_input.as_bytes()), signature);
    }

    #[test]
    fn pkcs8_der_matches_node_export() {
        let der = pkcs8_der_from_private_jwk(BA_PRIVATE_JWK).unwrap();
        assert_eq!(hex::encode(&der), NODE_PKCS8_DER_HEX);
        use ed25519_dalek::pkcs8::DecodePrivateKey;
        assert_eq!(
            ed25519_dalek::SigningKey::from_pkcs8_der(&der)
                .unwrap()
                .to_bytes(),
            signing_key_from_private_jwk(BA_PRIVATE_JWK)
                .unwrap()
                .to_bytes()
        );
    }

    #[test]
    fn public_jwks_that_are_not_ed25519_points_are_refused() {
        assert!(decoding_key(BA_PUBLIC_KEY).is_ok());
        for bad in [
            r#"{"crv":"Ed25519","x":"short","kty":"OKP"}"#,
            r#"{"crv":"X25519","x":"d-FqX-nKSNyudcM7gueC2lKzRNySJHW_FNc3HO7-f4E","kty":"OKP"}"#,
            r#"{"kty":"oct","k":"c2VjcmV0"}"#,
            "not json",
        ] {
            assert!(decoding_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn generated_key_uses_better_auths_key_order() {
        let key = generate_ed25519_key();
        let public: serde_json::Value = serde_json::from_str(&key.public_jwk_json).unwrap();
        let x = public["x"].as_str().unwrap();
        assert_eq!(
            key.public_jwk_json,
            format!(r#"{{"crv":"Ed25519","x":"{x}","kty":"OKP"}}"#)
        );
        let private: serde_json::Value = serde_json::from_str(&key.private_jwk_json).unwrap();
        let d = private["d"].as_str().unwrap();
        assert_eq!(
            key.private_jwk_json,
            format!(r#"{{"crv":"Ed25519","d":"{d}","x":"{x}","kty":"OKP"}}"#)
        );
        assert_eq!((x.len(), d.len()), (43, 43));
    }

    #[test]
    fn generated_key_pair_is_consistent_and_fresh() {
        let key = generate_ed25519_key();
        let signing_key = signing_key_from_private_jwk(&key.private_jwk_json).unwrap();
        let public: serde_json::Value = serde_json::from_str(&key.public_jwk_json).unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(signing_key.verifying_key().to_bytes()),
            public["x"]
        );
        assert!(decoding_key(&key.public_jwk_json).is_ok());
        assert_ne!(
            key.private_jwk_json,
            generate_ed25519_key().private_jwk_json
        );
        let stored = encrypt_private_key(&key.private_jwk_json, SECRET);
        assert_eq!(
            decrypt_private_key(&stored, SECRET).unwrap(),
            key.private_jwk_json
        );
    }

    #[test]
    fn invalid_jwks_are_rejected() {
        let other_x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        let cases = [
            "".to_string(),
            "not json".to_string(),
            "[]".to_string(),
            BA_PRIVATE_JWK.replace("OKP", "EC"),
            BA_PRIVATE_JWK.replace("Ed25519", "X25519"),
            BA_PRIVATE_JWK.replace(BA_PRIVATE_D, &BA_PRIVATE_D[1..]),
            BA_PRIVATE_JWK.replace(BA_PRIVATE_D, &format!("{BA_PRIVATE_D}=")),
            BA_PRIVATE_JWK.replace(BA_PRIVATE_D, "AE5OLdbaX+qk+7c2CkjDZYpvv46eiYHvgW3hU4MUMpk"),
            BA_PRIVATE_JWK.replace("d-FqX-nKSNyudcM7gueC2lKzRNySJHW_FNc3HO7-f4E", other_x),
            BA_PUBLIC_KEY.to_string(),
            r#"{"crv":"Ed25519","d":5,"kty":"OKP"}"#.to_string(),
        ];
        for jwk in &cases {
            assert!(signing_key_from_private_jwk(jwk).is_err(), "{jwk}");
            assert!(pkcs8_der_from_private_jwk(jwk).is_err(), "{jwk}");
        }
        assert_eq!(
            signing_key_from_private_jwk(&cases[8]),
            Err(KeyError::PublicKeyMismatch)
        );
        for jwk in [
            "{}",
            r#"{"crv":"Ed25519","kty":"OKP"}"#,
            r#"{"crv":"Ed25519","x":"AAAA","kty":"OKP"}"#,
            r#"{"crv":"P-256","x":"d-FqX-nKSNyudcM7gueC2lKzRNySJHW_FNc3HO7-f4E","kty":"OKP"}"#,
        ] {
            assert!(decoding_key(jwk).is_err(), "{jwk}");
        }
    }

    #[test]
    fn key_error_messages_never_contain_key_material() {
        let sensitive = [BA_PRIVATE_D, SECRET, "AE5OLdbaX"];
        let errors = [
            signing_key_from_private_jwk(&BA_PRIVATE_JWK.replace("OKP", "EC")).unwrap_err(),
            signing_key_from_private_jwk(&BA_PRIVATE_JWK.replace(BA_PRIVATE_D, &BA_PRIVATE_D[1..]))
                .unwrap_err(),
            signing_key_from_private_jwk(&format!(r#"{{"d":{{"{BA_PRIVATE_D}":1}}}}"#))
                .unwrap_err(),
            decrypt_private_key(BA_PRIVATE_KEY_STORED, &format!("{SECRET}x")).unwrap_err(),
            decrypt_private_key(&format!("\"{BA_PRIVATE_D}\""), SECRET).unwrap_err(),
        ];
        for error in errors {
            let message = format!("{error} {error:?}");
            for needle in sensitive {
                assert!(!message.contains(needle), "{message}");
            }
        }
    }
}
