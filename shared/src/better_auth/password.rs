//! Password rules and hashing: new hashes in the deployment's [`PasswordHashing`] (argon2id, or
//! Better Auth's own scrypt format), and verification of both, whichever wrote them.
//!
//! Hashing is CPU- and memory-heavy (argon2id uses 19 MiB, scrypt 32 MiB): handlers call the
//! async [`hash`] and [`verify`], which run it on tokio's blocking threads, never on an async
//! worker thread (local-api serves many requests on those).

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::OsRng;
use subtle::ConstantTimeEq;
use unicode_normalization::UnicodeNormalization;

use super::errors::{self, ErrorCode};
use super::ids::random_id;
use super::options::EmailAndPassword;
use crate::error::{Error, Result};

/// How new password hashes are written (`PASSWORD_HASH`). Verification reads both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PasswordHashing {
    /// argon2id, OWASP's parameters: a stock Better Auth server cannot verify these without an
    /// argon2 `password.verify` hook.
    #[default]
    Argon2id,
    /// Better Auth's `<32 hex salt>:<128 hex key>` scrypt (N=16384, r=16, p=1): a stock Better
    /// Auth server on the same database verifies them. About 4x slower than argon2id here.
    Scrypt,
}

// OWASP's argon2id baseline; these are also argon2 0.5's defaults, spelled out so a crate
// upgrade cannot silently change the cost of new hashes.
const ARGON2_M_COST_KIB: u32 = 19_456;
const ARGON2_T_COST: u32 = 2;
const ARGON2_P_COST: u32 = 1;

// Parameters come from the stored string, so a corrupt or hostile row could ask for gigabytes
// and abort the process on allocation; anything above these is treated as malformed.
const MAX_VERIFY_M_COST_KIB: u32 = 65_536;
const MAX_VERIFY_T_COST: u32 = 16;
const MAX_VERIFY_P_COST: u32 = 8;

// Better Auth's scrypt settings (@better-auth/utils password.node.mjs): N = 2^14, r = 16, p = 1, 64-byte key.
const SCRYPT_LOG_N: u8 = 14;
const SCRYPT_R: u32 = 16;
const SCRYPT_P: u32 = 1;
const SCRYPT_KEY_LEN: usize = 64;
const SCRYPT_SALT_HEX_LEN: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PasswordLengthProblem {
    TooShort,
    TooLong,
}

/// Applies Better Auth's length rule (`emailAndPassword.minPasswordLength`/`maxPasswordLength`),
/// or `None` when the length is acceptable.
///
/// Better Auth compares JS `password.length`, which counts UTF-16 code units on the password as
/// received (before NFKC), so an emoji outside the BMP counts as 2.
fn password_length_problem(
    password: &str,
    rules: &EmailAndPassword,
) -> Option<PasswordLengthProblem> {
    let length = password.encode_utf16().count();
    if length < rules.min_password_length {
        Some(PasswordLengthProblem::TooShort)
    } else if length > rules.max_password_length {
        Some(PasswordLengthProblem::TooLong)
    } else {
        None
    }
}

/// Better Auth's length rule as its error code (`PASSWORD_TOO_SHORT` / `PASSWORD_TOO_LONG`).
pub fn length_error(password: &str, rules: &EmailAndPassword) -> Option<ErrorCode> {
    password_length_problem(password, rules).map(|problem| match problem {
        PasswordLengthProblem::TooShort => errors::PASSWORD_TOO_SHORT,
        PasswordLengthProblem::TooLong => errors::PASSWORD_TOO_LONG,
    })
}

/// Better Auth's `assertPasswordNotTooLong` alone: the check routes make on a password they
/// only compare (sign-in's, change-password's current one), which may be shorter than today's
/// minimum.
pub fn is_too_long(password: &str, rules: &EmailAndPassword) -> bool {
    password_length_problem(password, rules) == Some(PasswordLengthProblem::TooLong)
}

/// A new hash of `password` in `hashing`'s format, on a blocking thread.
pub async fn hash(password: String, hashing: PasswordHashing) -> Result<String> {
    blocking(move || match hashing {
        PasswordHashing::Argon2id => hash_password(&password),
        PasswordHashing::Scrypt => hash_password_scrypt(&password),
    })
    .await
}

/// [`verify_password`] on a blocking thread. Without a stored hash (an unknown email, a user
/// without a password) it verifies against a dummy hash in `hashing`'s format (the format the
/// real hashes mostly have) and answers `false`, so the response time does not tell the cases
/// apart.
pub async fn verify(
    password: String,
    stored_hash: Option<String>,
    hashing: PasswordHashing,
) -> Result<bool> {
    blocking(move || match stored_hash {
        Some(hash) => verify_password(&password, &hash),
        None => {
            verify_against_dummy(&password, hashing);
            false
        }
    })
    .await
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(Error::internal)
}

fn normalize(password: &str) -> String {
    // Better Auth hashes `password.normalize("NFKC")`; doing the same keeps migrated scrypt hashes
    // valid and makes visually identical inputs (composed/decomposed, full-width) equal.
    password.nfkc().collect()
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(ARGON2_M_COST_KIB, ARGON2_T_COST, ARGON2_P_COST, None)
        .expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password as an argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(normalize(password).as_bytes(), &salt)
        .expect("argon2id with constant parameters and a generated salt cannot fail")
        .to_string()
}

/// Hashes a password in Better Auth's scrypt format: a random 16-byte salt as 32 lowercase hex
/// characters, then `scrypt(NFKC(password), <the salt's hex text>)` as 128 hex characters.
pub fn hash_password_scrypt(password: &str) -> String {
    use rand::RngCore;
    let mut salt_bytes = [0u8; SCRYPT_SALT_HEX_LEN / 2];
    OsRng.fill_bytes(&mut salt_bytes);
    let salt = hex::encode(salt_bytes);
    format!("{salt}:{}", hex::encode(scrypt_key(password, &salt)))
}

fn scrypt_key(password: &str, salt_hex: &str) -> [u8; SCRYPT_KEY_LEN] {
    let params = scrypt::Params::new(SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P, SCRYPT_KEY_LEN)
        .expect("Better Auth's constant scrypt parameters are valid");
    let mut derived = [0u8; SCRYPT_KEY_LEN];
    // The salt is the hex text itself, not the 16 bytes it spells: Better Auth passes the
    // string to node's scrypt.
    scrypt::scrypt(
        normalize(password).as_bytes(),
        salt_hex.as_bytes(),
        &params,
        &mut derived,
    )
    .expect("a 64-byte output is a valid scrypt length");
    derived
}

/// Checks a password against a stored hash: our argon2id PHC strings or Better Auth's
/// `<32 hex salt>:<128 hex key>` scrypt hashes. Malformed stored values give `false`.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    if stored_hash.starts_with('$') {
        verify_argon2id(password, stored_hash)
    } else {
        verify_better_auth_scrypt(password, stored_hash)
    }
}

fn verify_argon2id(password: &str, stored_hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored_hash) else {
        return false;
    };
    if parsed.algorithm != Algorithm::Argon2id.ident() {
        return false;
    }
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    if params.m_cost() > MAX_VERIFY_M_COST_KIB
        || params.t_cost() > MAX_VERIFY_T_COST
        || params.p_cost() > MAX_VERIFY_P_COST
    {
        return false;
    }
    // The verifier takes algorithm, version and costs from `parsed`; its output comparison is constant-time.
    Argon2::default()
        .verify_password(normalize(password).as_bytes(), &parsed)
        .is_ok()
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn verify_better_auth_scrypt(password: &str, stored_hash: &str) -> bool {
    let Some((salt, key_hex)) = stored_hash.split_once(':') else {
        return false;
    };
    // Better Auth only ever writes lowercase hex of these lengths; rejecting anything else early
    // also keeps garbage rows from costing a full scrypt run.
    if salt.len() != SCRYPT_SALT_HEX_LEN
        || key_hex.len() != SCRYPT_KEY_LEN * 2
        || !is_lower_hex(salt)
        || !is_lower_hex(key_hex)
    {
        return false;
    }
    let derived = scrypt_key(password, salt);
    // Better Auth compares lowercase hex strings, so compare the same text, in constant time.
    hex::encode(derived)
        .as_bytes()
        .ct_eq(key_hex.as_bytes())
        .into()
}

static DUMMY_ARGON2ID: LazyLock<String> = LazyLock::new(|| hash_password(&random_id()));
static DUMMY_SCRYPT: LazyLock<String> = LazyLock::new(|| hash_password_scrypt(&random_id()));

/// Does the work of verifying against a real hash of the deployment's format, for sign-in
/// attempts with an unknown email, so response time does not reveal whether the account exists.
fn verify_against_dummy(password: &str, hashing: PasswordHashing) {
    let dummy = match hashing {
        PasswordHashing::Argon2id => &*DUMMY_ARGON2ID,
        PasswordHashing::Scrypt => &*DUMMY_SCRYPT,
    };
    std::hint::black_box(verify_password(password, dummy));
}

#[cfg(test)]
mod tests {
    use super::*;

    // Produced by tests/vectors/make-vectors.mjs (better-auth 1.7.25's own hashPassword, i.e.
    // @better-auth/utils/dist/password.node.mjs on node 20) in one run; re-run it to refresh.
    const BA_ASCII_PASSWORD: &str = "correct horse battery staple";
    const BA_ASCII_HASH: &str = "b672f33018e3c78f758ea4c6066ec4f1:7039574aa562438c33d44c71c47604ca847f43c203ca91bc5defdbf697f63826987d70ae1a789389bdcdc484ba3f76ccc026479682ff07b4c67bc9917e5d1bf6";
    const BA_FULLWIDTH_PASSWORD: &str = "ｐａｓｓｗｏｒｄ１２３";
    const BA_FULLWIDTH_HASH: &str = "ebd01e84e4925ecc4948f0336727a592:250f2ffc00aba5ad752e85d9f0cd56ea9ca74a3ac949361b09a3c546b4245f4ee22e31890fb8153cdb513debded9e2f9eeff0582dac8ad83b1b4ca32e15f3d9f";
    const BA_DECOMPOSED_PASSWORD: &str = "A\u{030A}ngstro\u{0308}m-pass";
    const COMPOSED_PASSWORD: &str = "\u{00C5}ngstr\u{00F6}m-pass";
    const BA_DECOMPOSED_HASH: &str = "1497a42aa4cf0d7165f7ae824c506ceb:f4c437cf319e2a38589a42d309ae9d725002bdf5ff5ee13e4ffe1fff4775087d41c1fd33473002130cc1cd9d5c80f82c5ac997b1120d763a9ac6d3f41ae9a407";
    // The `account.password` row a real sign-up wrote (memory adapter, same script run).
    const BA_SIGNUP_PASSWORD: &str = "hunter2hunter2";
    const BA_SIGNUP_ACCOUNT_HASH: &str = "74b16ad4bbebaebaa9d55fded75c9521:99768f7041a0ce7e65b9d878948b085ba2d2e825dee41ac34f3c2466de9f489d1521efb8a175202ffd833861b74dd3e80ff949aaa7efbf5bb5d88f602bdcaa81";

    #[test]
    fn scrypt_hashes_have_better_auths_format_and_verify() {
        let hash = hash_password_scrypt(BA_FULLWIDTH_PASSWORD);
        let (salt, key) = hash.split_once(':').unwrap();
        assert_eq!(salt.len(), 32);
        assert_eq!(key.len(), 128);
        assert!(is_lower_hex(salt) && is_lower_hex(key), "{hash}");
        assert!(verify_password(BA_FULLWIDTH_PASSWORD, &hash));
        // NFKC, as Better Auth: the ASCII form of the full-width password is the same password.
        assert!(verify_password("password123", &hash));
        assert!(!verify_password("password124", &hash));
        // The same password twice gets two salts.
        assert_ne!(hash_password_scrypt("same"), hash_password_scrypt("same"));
        // And Better Auth's own key for a known salt is what we derive (its test vector).
        let (ba_salt, ba_key) = BA_ASCII_HASH.split_once(':').unwrap();
        assert_eq!(hex::encode(scrypt_key(BA_ASCII_PASSWORD, ba_salt)), ba_key);
    }

    #[test]
    fn better_auth_scrypt_hash_verifies() {
        assert!(verify_password(BA_ASCII_PASSWORD, BA_ASCII_HASH));
        assert!(verify_password(BA_SIGNUP_PASSWORD, BA_SIGNUP_ACCOUNT_HASH));
    }

    #[test]
    fn better_auth_scrypt_hash_rejects_wrong_password() {
        assert!(!verify_password(
            "correct horse battery stapler",
            BA_ASCII_HASH
        ));
        assert!(!verify_password("", BA_ASCII_HASH));
    }

    #[test]
    fn better_auth_scrypt_hash_of_fullwidth_password_accepts_its_nfkc_form() {
        assert!(verify_password(BA_FULLWIDTH_PASSWORD, BA_FULLWIDTH_HASH));
        assert!(verify_password("password123", BA_FULLWIDTH_HASH));
    }

    #[test]
    fn better_auth_scrypt_hash_of_decomposed_password_accepts_composed_form() {
        assert_ne!(BA_DECOMPOSED_PASSWORD, COMPOSED_PASSWORD);
        assert!(verify_password(BA_DECOMPOSED_PASSWORD, BA_DECOMPOSED_HASH));
        assert!(verify_password(COMPOSED_PASSWORD, BA_DECOMPOSED_HASH));
    }

    #[test]
    fn uppercase_hex_scrypt_hash_is_rejected_like_better_auth() {
        // Better Auth compares against lowercase hex with `===`, so it never accepts this either.
        let (salt, key) = BA_ASCII_HASH.split_once(':').unwrap();
        let upper_key = format!("{salt}:{}", key.to_uppercase());
        assert!(!verify_password(BA_ASCII_PASSWORD, &upper_key));
    }

    #[test]
    fn malformed_stored_hashes_are_rejected_without_panic() {
        let (salt, key) = BA_ASCII_HASH.split_once(':').unwrap();
        let cases = [
            String::new(),
            ":".to_string(),
            "no-colon-here".to_string(),
            format!("{salt}{key}"),
            format!("{salt}:"),
            format!(":{key}"),
            format!("{salt}:{}", &key[..126]),
            format!("{salt}:{key}00"),
            format!("{}:{key}", &salt[..30]),
            format!("{salt}:{}zz", &key[..126]),
            format!("{}zz:{key}", &salt[..30]),
            format!("{salt}:{key}:{key}"),
            format!("{salt}:{}", "é".repeat(64)),
            "$".to_string(),
            "$argon2id$".to_string(),
            "$argon2id$v=19$m=19456,t=2,p=1$$".to_string(),
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$not base64!".to_string(),
            "$scrypt$ln=14,r=16,p=1$c2FsdHNhbHQ$aGFzaA".to_string(),
        ];
        for stored in &cases {
            assert!(!verify_password(BA_ASCII_PASSWORD, stored), "{stored:?}");
        }
    }

    #[test]
    fn argon2_hash_verifies_and_rejects_wrong_password() {
        let hash = hash_password("correct horse battery staple");
        assert!(verify_password("correct horse battery staple", &hash));
        assert!(!verify_password("correct horse battery stapler", &hash));
    }

    #[test]
    fn argon2_hash_is_argon2id_with_m19456_t2_p1() {
        let hash = hash_password("some password");
        let parsed = PasswordHash::new(&hash).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert_eq!(parsed.version, Some(0x13));
        assert_eq!(parsed.params.get_decimal("m"), Some(19_456));
        assert_eq!(parsed.params.get_decimal("t"), Some(2));
        assert_eq!(parsed.params.get_decimal("p"), Some(1));
        assert_eq!(parsed.hash.unwrap().len(), 32);
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
    }

    #[test]
    fn argon2_hashes_of_the_same_password_are_salted_differently() {
        assert_ne!(
            hash_password("same password"),
            hash_password("same password")
        );
    }

    #[test]
    fn argon2_hash_with_excessive_cost_is_rejected_without_running_it() {
        let hash = hash_password("some password");
        // A 4 GiB memory cost would abort the process on allocation if it were honoured.
        let hostile = hash.replace("m=19456", "m=4194304");
        assert!(!verify_password("some password", &hostile));
        let other_algorithm = hash.replace("$argon2id$", "$argon2i$");
        assert!(!verify_password("some password", &other_algorithm));
    }

    #[test]
    fn nfkc_composed_and_decomposed_passwords_verify_against_each_others_hash() {
        let from_decomposed = hash_password(BA_DECOMPOSED_PASSWORD);
        let from_composed = hash_password(COMPOSED_PASSWORD);
        assert!(verify_password(COMPOSED_PASSWORD, &from_decomposed));
        assert!(verify_password(BA_DECOMPOSED_PASSWORD, &from_composed));
        let from_fullwidth = hash_password(BA_FULLWIDTH_PASSWORD);
        assert!(verify_password("password123", &from_fullwidth));
    }

    /// The length problem under Better Auth's default rules (8 to 128).
    fn problem(password: &str) -> Option<PasswordLengthProblem> {
        password_length_problem(password, &EmailAndPassword::default())
    }

    #[test]
    fn password_length_counts_utf16_code_units_like_better_auth() {
        // Lengths as JS `.length` reported them in make-vectors.mjs.
        assert_eq!(problem("12345678"), None);
        assert_eq!(problem("😀😀😀😀"), None); // 8
        assert_eq!(
            problem("😀😀😀a"), // 7
            Some(PasswordLengthProblem::TooShort)
        );
        assert_eq!(problem(&"é".repeat(8)), None); // 8
        assert_eq!(problem(&"e\u{0301}".repeat(4)), None); // 8, counted before NFKC
        assert_eq!(problem(&"😀".repeat(64)), None); // 128
        assert_eq!(
            problem(&"😀".repeat(65)), // 130
            Some(PasswordLengthProblem::TooLong)
        );
    }

    #[test]
    fn password_length_bounds_are_8_and_128_by_default_and_follow_the_options() {
        assert_eq!(problem(""), Some(PasswordLengthProblem::TooShort));
        assert_eq!(problem("1234567"), Some(PasswordLengthProblem::TooShort));
        assert_eq!(problem(&"a".repeat(128)), None);
        assert_eq!(
            problem(&"a".repeat(129)),
            Some(PasswordLengthProblem::TooLong)
        );
        let rules = EmailAndPassword {
            min_password_length: 12,
            max_password_length: 20,
            ..EmailAndPassword::default()
        };
        assert_eq!(
            length_error("elevenchars", &rules),
            Some(errors::PASSWORD_TOO_SHORT)
        );
        assert_eq!(length_error("twelve chars", &rules), None);
        assert!(is_too_long(&"a".repeat(21), &rules));
        assert!(!is_too_long("short", &rules));
    }

    #[test]
    fn dummy_verification_hashes_once_per_format_and_runs() {
        verify_against_dummy("whatever password", PasswordHashing::Argon2id);
        verify_against_dummy("", PasswordHashing::Argon2id);
        assert!(DUMMY_ARGON2ID.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        verify_against_dummy("whatever password", PasswordHashing::Scrypt);
        let (salt, key) = DUMMY_SCRYPT.split_once(':').unwrap();
        assert_eq!((salt.len(), key.len()), (32, 128));
    }
}
