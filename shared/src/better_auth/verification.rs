//! Better Auth's verification tokens: the password-reset token (an opaque token and a row in
//! the `verification` table) and the email-verification JWT (stateless, HS256 with the
//! secret). Both formats are Better Auth 1.7.25's, so a Better Auth server on the same
//! database and secret accepts what this module issues, and the other way round.

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tokio_postgres::types::Type;

use super::errors::{self, ErrorCode};
use super::ids::{random_id, random_lowercase_string, random_string};
use super::user_fields::AdditionalFields;
use super::users::{User, user_columns, user_from};
use crate::config::Secret;
use crate::db::Database;
use crate::error::Result;

// ---------------------------------------------------------------------------------------------
// Password reset: `verification {identifier: "reset-password:<token>", value: <userId>}`

/// Better Auth's reset tokens are 24 characters of `[a-zA-Z0-9]`.
const RESET_TOKEN_LENGTH: usize = 24;

fn reset_identifier(token: &str) -> String {
    format!("reset-password:{token}")
}

/// The user with `email`, with a fresh reset token for them when there is one: one statement
/// (one round trip) that does the same work whether or not the email exists.
pub async fn create_reset_token(
    db: &Database,
    fields: &AdditionalFields,
    email: &str,
    lifetime: Duration,
) -> Result<Option<(User, String)>> {
    let columns = user_columns(fields);
    let token = random_string(RESET_TOKEN_LENGTH);
    let expires_at = Utc::now() + lifetime;
    let sql = format!(
        r#"with u as (select {columns} from "user" u where u."email" = $1),
           created as (
               insert into "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt")
               select $2, $3, u."id", $4, now(), now() from u)
           select * from u"#
    );
    let row = db
        .query_opt(
            &sql,
            &[
                (&email, Type::TEXT),
                (&random_id(), Type::TEXT),
                (&reset_identifier(&token), Type::TEXT),
                (&expires_at, Type::TIMESTAMPTZ),
            ],
        )
        .await?;
    Ok(row.map(|row| (user_from(&row, fields), token)))
}

/// What a reset token is worth right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetToken {
    /// No row, or the newest row has expired.
    Invalid,
    /// The row names a user that no longer exists.
    UserGone,
    Valid {
        user_id: String,
    },
}

impl ResetToken {
    /// Better Auth's answer to a token that is not [`ResetToken::Valid`].
    pub fn refusal(&self) -> Option<ErrorCode> {
        match self {
            ResetToken::Invalid => Some(errors::INVALID_TOKEN),
            ResetToken::UserGone => Some(errors::USER_NOT_FOUND),
            ResetToken::Valid { .. } => None,
        }
    }
}

/// Looks at the newest row of a reset token without spending it (the mailed link, and the
/// check before hashing a new password). One round trip.
pub async fn check_reset_token(db: &Database, token: &str) -> Result<ResetToken> {
    let sql = r#"select v."value", v."expiresAt" > now() as "live", u."id" is not null as "userExists"
                 from "verification" v left join "user" u on u."id" = v."value"
                 where v."identifier" = $1 order by v."createdAt" desc limit 1"#;
    let row = db
        .query_opt(sql, &[(&reset_identifier(token), Type::TEXT)])
        .await?;
    Ok(match row {
        None => ResetToken::Invalid,
        Some(row) if !row.get::<_, bool>("live") => ResetToken::Invalid,
        Some(row) if !row.get::<_, bool>("userExists") => ResetToken::UserGone,
        Some(row) => ResetToken::Valid {
            user_id: row.get("value"),
        },
    })
}

/// Spends a reset token and sets the password, in one statement (atomic, one round trip):
/// deletes every row of the token, and when the newest was live and its user exists, ends
/// the user's sessions if asked, then updates the credential account's hash or creates the
/// account (Better Auth's `resetCredentialPassword`). Two racing resets with one token: the
/// second finds no rows and gets `None`.
pub async fn reset_password(
    db: &Database,
    token: &str,
    password_hash: &str,
    revoke_sessions: bool,
) -> Result<Option<String>> {
    let sql = r#"
        with consumed as (
            delete from "verification" where "identifier" = $1
            returning "value", "expiresAt", "createdAt"
        ), target as (
            select u."id" from "user" u
            where u."id" = (select "value" from consumed where "expiresAt" > now()
                            order by "createdAt" desc limit 1)
        ), revoked as (
            delete from "session" where $3 and "userId" in (select "id" from target)
        ), updated as (
            update "account" set "password" = $2, "updatedAt" = now()
            where "providerId" = 'credential' and "userId" in (select "id" from target)
            returning "userId"
        ), created as (
            insert into "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt")
            select $4, t."id", 'credential', t."id", $2, now(), now() from target t
            where not exists (select 1 from updated)
        )
        select "id" from target"#;
    let row = db
        .query_opt(
            sql,
            &[
                (&reset_identifier(token), Type::TEXT),
                (&password_hash, Type::TEXT),
                (&revoke_sessions, Type::BOOL),
                (&random_id(), Type::TEXT),
            ],
        )
        .await?;
    Ok(row.map(|row| row.get("id")))
}

// ---------------------------------------------------------------------------------------------
// Account deletion: `verification {identifier: "delete-account-<token>", value: <userId>}`

/// Better Auth's delete-account tokens are 32 characters of `[0-9a-z]`.
const DELETE_TOKEN_LENGTH: usize = 32;

fn delete_identifier(token: &str) -> String {
    format!("delete-account-{token}")
}

/// Stores a fresh delete-account token for `user_id` and returns it. One round trip.
pub async fn create_delete_token(
    db: &Database,
    user_id: &str,
    lifetime: Duration,
) -> Result<String> {
    let token = random_lowercase_string(DELETE_TOKEN_LENGTH);
    let expires_at = Utc::now() + lifetime;
    db.query(
        r#"insert into "verification" ("id", "identifier", "value", "expiresAt", "createdAt", "updatedAt")
           values ($1, $2, $3, $4, now(), now())"#,
        &[
            (&random_id(), Type::TEXT),
            (&delete_identifier(&token), Type::TEXT),
            (&user_id, Type::TEXT),
            (&expires_at, Type::TIMESTAMPTZ),
        ],
    )
    .await?;
    Ok(token)
}

/// Spends a delete-account token of `user_id`'s: true when a live one was there. Rows naming
/// anyone else are left alone, so a token can only ever be spent by its own user. One round
/// trip.
pub async fn consume_delete_token(db: &Database, token: &str, user_id: &str) -> Result<bool> {
    let row = db
        .query_opt(
            r#"with consumed as (
                   delete from "verification" where "identifier" = $1 and "value" = $2
                   returning "expiresAt")
               select coalesce(bool_or("expiresAt" > now()), false) as "live" from consumed"#,
            &[
                (&delete_identifier(token), Type::TEXT),
                (&user_id, Type::TEXT),
            ],
        )
        .await?;
    Ok(row.is_some_and(|row| row.get::<_, bool>("live")))
}

// ---------------------------------------------------------------------------------------------
// Email verification: an HS256 JWT `{email, userId?, iat, exp}`, header exactly {"alg":"HS256"}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IssuedClaims<'a> {
    email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    update_to: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_type: Option<&'a str>,
    user_id: &'a str,
    iat: i64,
    exp: i64,
}

/// The claims of a verification token, as Better Auth's verify-email reads them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailClaims {
    pub email: String,
    /// Present on the tokens of a change of email.
    pub update_to: Option<String>,
    pub request_type: Option<String>,
    pub user_id: Option<String>,
}

/// The two mails of a verified user's change of email, as the token's `requestType` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeEmailStep {
    /// Mailed to the current address: opening it mails the verification to the new one.
    Confirmation,
    /// Mailed to the new address: opening it moves the user to it.
    Verification,
}

impl ChangeEmailStep {
    pub const fn request_type(self) -> &'static str {
        match self {
            ChangeEmailStep::Confirmation => "change-email-confirmation",
            ChangeEmailStep::Verification => "change-email-verification",
        }
    }
}

/// A verification token for `user`, valid for `lifetime`, with the claims Better Auth's
/// sign-in and send-verification-email put in it (`email` lowercased, `userId`).
pub fn issue_email_token(secret: &Secret, user: &User, lifetime: Duration) -> String {
    sign_email_token(secret, &user.email, None, &user.id, lifetime)
}

/// A token of a change of email from `email` to `new_email` (claims `email`, `updateTo`,
/// `requestType`, `userId`, in Better Auth's order).
pub fn issue_change_email_token(
    secret: &Secret,
    email: &str,
    new_email: &str,
    step: ChangeEmailStep,
    user_id: &str,
    lifetime: Duration,
) -> String {
    sign_email_token(
        secret,
        email,
        Some((new_email, step.request_type())),
        user_id,
        lifetime,
    )
}

fn sign_email_token(
    secret: &Secret,
    email: &str,
    change: Option<(&str, &str)>,
    user_id: &str,
    lifetime: Duration,
) -> String {
    let now = Utc::now().timestamp();
    let email = email.to_lowercase();
    let update_to = change.map(|(new_email, _)| new_email.to_lowercase());
    let claims = IssuedClaims {
        email: &email,
        update_to: update_to.as_deref(),
        request_type: change.map(|(_, request_type)| request_type),
        user_id,
        iat: now,
        exp: now + lifetime.as_secs() as i64,
    };
    let mut header = Header::new(Algorithm::HS256);
    header.typ = None;
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_secret(secret.expose().as_bytes()),
    )
    .expect("HS256 over a serialisable struct cannot fail")
}

/// Checks a verification token as Better Auth does (jose's `jwtVerify`, HS256, no clock
/// tolerance): `TOKEN_EXPIRED` once `exp` has passed, `INVALID_TOKEN` for anything else that
/// does not verify or whose `email` is not an email address.
pub fn verify_email_token(
    secret: &Secret,
    token: &str,
) -> std::result::Result<EmailClaims, ErrorCode> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp"]);
    let decoded = jsonwebtoken::decode::<EmailClaims>(
        token,
        &DecodingKey::from_secret(secret.expose().as_bytes()),
        &validation,
    )
    .map_err(|err| match err.kind() {
        jsonwebtoken::errors::ErrorKind::ExpiredSignature => errors::TOKEN_EXPIRED,
        _ => errors::INVALID_TOKEN.with_status(crate::http::StatusCode::UNAUTHORIZED),
    })?;
    let claims = decoded.claims;
    if !super::body::is_email(&claims.email) {
        return Err(errors::INVALID_TOKEN.with_status(crate::http::StatusCode::UNAUTHORIZED));
    }
    Ok(claims)
}

/// Sets `emailVerified` on the user with `email` and returns them; `None` when there is no
/// such user. One round trip.
pub async fn mark_email_verified(
    db: &Database,
    fields: &AdditionalFields,
    email: &str,
) -> Result<Option<User>> {
    let columns = user_columns(fields);
    let sql = format!(
        r#"update "user" u set "emailVerified" = true, "updatedAt" = now()
           where u."email" = $1 returning {columns}"#
    );
    let row = db.query_opt(&sql, &[(&email, Type::TEXT)]).await?;
    Ok(row.map(|row| user_from(&row, fields)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::better_auth::users::Timestamp;

    fn user() -> User {
        User {
            name: "Ada".into(),
            email: "Ada@Example.com".into(),
            email_verified: false,
            image: None,
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
            additional: Default::default(),
            id: "user-id".into(),
        }
    }

    #[test]
    fn email_tokens_have_better_auths_header_and_claim_order_and_verify() {
        let secret = Secret::new("s".repeat(40));
        let token = issue_email_token(&secret, &user(), Duration::from_secs(3600));
        let parts: Vec<&str> = token.split('.').collect();
        use base64::Engine as _;
        let decode = |part: &str| {
            String::from_utf8(
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(part)
                    .unwrap(),
            )
            .unwrap()
        };
        assert_eq!(decode(parts[0]), r#"{"alg":"HS256"}"#);
        let claims = decode(parts[1]);
        assert!(
            claims.starts_with(r#"{"email":"ada@example.com","userId":"user-id","iat":"#),
            "{claims}"
        );
        let verified = verify_email_token(&secret, &token).unwrap();
        assert_eq!(verified.email, "ada@example.com");
        assert_eq!(verified.user_id.as_deref(), Some("user-id"));
        assert_eq!(verified.update_to, None);
    }

    #[test]
    fn expired_forged_and_malformed_email_tokens_are_refused_with_better_auths_codes() {
        let secret = Secret::new("s".repeat(40));
        let sign = |claims: serde_json::Value| {
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims,
                &EncodingKey::from_secret(secret.expose().as_bytes()),
            )
            .unwrap()
        };
        let now = Utc::now().timestamp();
        let expired =
            sign(serde_json::json!({"email": "a@b.co", "iat": now - 7200, "exp": now - 10}));
        assert_eq!(
            verify_email_token(&secret, &expired).unwrap_err().code,
            "TOKEN_EXPIRED"
        );
        let other = Secret::new("t".repeat(40));
        let forged = issue_email_token(&other, &user(), Duration::from_secs(60));
        let refused = verify_email_token(&secret, &forged).unwrap_err();
        assert_eq!(
            (refused.code, refused.status.as_u16()),
            ("INVALID_TOKEN", 401)
        );
        assert_eq!(
            verify_email_token(&secret, "not.a.jwt").unwrap_err().code,
            "INVALID_TOKEN"
        );
        let no_email = sign(serde_json::json!({"email": "nope", "iat": now, "exp": now + 60}));
        assert_eq!(
            verify_email_token(&secret, &no_email).unwrap_err().code,
            "INVALID_TOKEN"
        );
    }
}
