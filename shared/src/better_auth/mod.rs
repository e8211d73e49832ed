//! Everything that mirrors better-auth 1.7.25: the folder to diff when its version moves. Each
//! of Better Auth's concepts is one file.
//!
//! | module | concept |
//! |---|---|
//! | [`users`] | users and credential accounts (model and queries), Better Auth's timestamp JSON |
//! | [`user_fields`] | `user.additionalFields`: their columns, body keys and JSON |
//! | [`sessions`] | sessions (model and queries), and how a request presents one |
//! | [`cookies`] | signed cookie values, the `Cookie` header, the session cookies' Set-Cookie values |
//! | [`password`] | length rules, argon2id hashes, Better Auth's scrypt hashes |
//! | [`keys`] | the `jwks` table: Ed25519 keys, their encryption, every query on it |
//! | [`jwt`] | issuing JWTs (jwt plugin) and verifying them (EdDSA and HS256) |
//! | [`origin`] | the Origin/CSRF checks and `callbackURL` |
//! | [`rate_limit`] | rate limits in Better Auth's `rateLimit` table |
//! | [`body`] | request bodies: zod-exact validation, then a struct per route |
//! | [`errors`] | the error codes routes answer with |
//! | [`ids`] | random ids and session tokens |

pub mod body;
pub mod cookies;
pub mod emails;
pub mod errors;
pub mod ids;
pub mod jwt;
pub mod keys;
pub mod options;
pub mod origin;
pub mod password;
pub mod rate_limit;
pub mod redirects;
pub mod sessions;
pub mod user_fields;
pub mod users;
pub mod verification;

use crate::{Dialect, Endpoint};

/// A Better Auth route's [`Endpoint`]: errors in Better Auth's `{code, message}` dialect, and
/// the status its request fixture gets on a fresh database.
pub const fn endpoint(fixture_status: u16) -> Endpoint {
    Endpoint {
        dialect: Dialect::BetterAuth,
        fixture_status,
    }
}
