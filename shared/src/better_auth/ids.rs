//! Random identifiers in Better Auth's shape: 32 chars of `[A-Za-z0-9]`, for user, session,
//! account and jwks ids and session tokens (24 for password-reset tokens).

use rand::Rng;
use rand::distributions::Alphanumeric;
use rand::rngs::OsRng;

const ID_LENGTH: usize = 32;

/// A fresh 32-character alphanumeric id from the OS CSPRNG.
///
/// Session tokens are bearer secrets, so this reads the OS generator directly instead of a
/// userspace PRNG; `Alphanumeric` rejection-samples, so no character is more likely than another.
pub fn random_id() -> String {
    random_string(ID_LENGTH)
}

/// `length` characters of `[A-Za-z0-9]` from the OS CSPRNG (Better Auth's `generateId(length)`).
pub fn random_string(length: usize) -> String {
    OsRng
        .sample_iter(&Alphanumeric)
        .take(length)
        .map(char::from)
        .collect()
}

/// `length` characters of `[0-9a-z]` from the OS CSPRNG (Better Auth's
/// `generateRandomString(length, "0-9", "a-z")`, the delete-account token).
pub fn random_lowercase_string(length: usize) -> String {
    const CHARSET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    (0..length)
        .map(|_| char::from(CHARSET[OsRng.gen_range(0..CHARSET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn random_id_is_32_alphanumeric_chars() {
        let id = random_id();
        assert_eq!(id.len(), 32);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
    }

    #[test]
    fn lowercase_strings_use_digits_and_lowercase_letters_only() {
        let token = random_lowercase_string(32);
        assert_eq!(token.len(), 32);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()),
            "{token}"
        );
    }

    #[test]
    fn random_ids_do_not_repeat() {
        let ids: HashSet<String> = (0..1000).map(|_| random_id()).collect();
        assert_eq!(ids.len(), 1000);
    }

    #[test]
    fn random_ids_use_the_whole_alphabet() {
        // 6400 draws from 62 symbols: the chance that any symbol never shows up is below 1e-40.
        let seen: HashSet<u8> = (0..200).flat_map(|_| random_id().into_bytes()).collect();
        assert_eq!(seen.len(), 62);
    }
}
