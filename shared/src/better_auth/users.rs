//! Users and their accounts as Better Auth stores and serialises them: the `user` row, the
//! `credential` account that holds the password hash, and the timestamp format of its JSON.

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use tokio_postgres::Row;
use tokio_postgres::types::Type;

use super::ids::random_id;
use super::sessions::{INSERT_SESSION, Session};
use super::user_fields::{AdditionalFields, FieldInput};
use crate::db::Database;
use crate::error::Result;

/// A timestamp as Better Auth's JSON has it: ISO-8601 with milliseconds and `Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// Now, to the millisecond (JavaScript's precision), so the JSON and the row agree.
    pub fn now() -> Self {
        Timestamp(
            Utc::now()
                .duration_trunc(Duration::milliseconds(1))
                .expect("ms truncation"),
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    }
}

/// A user, serialised with Better Auth's keys in Better Auth's order.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub name: String,
    pub email: String,
    pub email_verified: bool,
    pub image: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The returned `user.additionalFields` (`null` when the column is); empty without any.
    #[serde(flatten)]
    pub additional: Map<String, Value>,
    pub id: String,
}

// ---------------------------------------------------------------------------------------------
// Queries

/// The core user columns of a query that joins `"user" u`, in [`user_from`]'s names.
const CORE_USER_COLUMNS: &str =
    r#"u."id", u."name", u."email", u."emailVerified", u."image", u."createdAt", u."updatedAt""#;

/// Every user column a query that joins `"user" u` selects: the core ones and the returned
/// additional fields.
pub(super) fn user_columns(fields: &AdditionalFields) -> String {
    format!("{CORE_USER_COLUMNS}{}", fields.select_list())
}

pub(super) fn user_from(row: &Row, fields: &AdditionalFields) -> User {
    User {
        id: row.get("id"),
        name: row.get("name"),
        email: row.get("email"),
        email_verified: row.get("emailVerified"),
        image: row.get("image"),
        created_at: Timestamp(row.get("createdAt")),
        updated_at: Timestamp(row.get("updatedAt")),
        additional: fields.read(row),
    }
}

/// The outcome of inserting a new user.
pub enum SignUpOutcome {
    Created,
    EmailTaken,
}

/// Creates the user (with its additional fields' values), its credential account and, unless
/// sign-up starts none (`requireEmailVerification`), its first session, in one statement (one
/// round trip, atomic). A concurrent sign-up with the same email loses on the unique
/// constraint and gets [`SignUpOutcome::EmailTaken`], never a 500.
pub async fn insert_user(
    db: &Database,
    user: &User,
    extra: &[FieldInput<'_>],
    password_hash: &str,
    session: Option<&Session>,
) -> Result<SignUpOutcome> {
    // The additional fields' parameters come after the fixed ones: 7, and 6 more for a session.
    let first_extra = if session.is_some() { 14 } else { 8 };
    let extra_columns: String = extra
        .iter()
        .map(|f| format!(r#", "{}""#, f.column))
        .collect();
    let extra_values: String = (0..extra.len())
        .map(|i| format!(", ${}", first_extra + i))
        .collect();
    let user_and_account = format!(
        r#"
        with new_user as (
            insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt"{extra_columns})
            values ($1, $2, $3, false, $4, $5, $5{extra_values}) returning "id"
        )"#
    );
    let account_id = random_id();
    let mut params: Vec<crate::db::Param<'_>> = vec![
        (&user.id, Type::TEXT),
        (&user.name, Type::TEXT),
        (&user.email, Type::TEXT),
        (&user.image, Type::TEXT),
        (&user.created_at.0, Type::TIMESTAMPTZ),
        (&account_id, Type::TEXT),
        (&password_hash, Type::TEXT),
    ];
    let account = r#"insert into "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt")
            select $6, "id", 'credential', "id", $7, $5, $5 from new_user"#;
    let sql = match session {
        None => format!("{user_and_account}\n{account}"),
        Some(session) => {
            params.extend([
                (&session.id as _, Type::TEXT),
                (&session.expires_at.0 as _, Type::TIMESTAMPTZ),
                (&session.token as _, Type::TEXT),
                (&session.ip_address as _, Type::TEXT),
                (&session.user_agent as _, Type::TEXT),
                (&session.created_at.0 as _, Type::TIMESTAMPTZ),
            ]);
            format!(
                r#"{user_and_account}, new_account as ({account})
        {INSERT_SESSION}
        select $8, $9, $10, $13, $13, $11, $12, "id" from new_user"#
            )
        }
    };
    params.extend(extra.iter().map(|field| field.value.param()));
    match db.query(&sql, &params).await {
        Ok(_) => Ok(SignUpOutcome::Created),
        Err(err) if err.is_unique_violation() && err.constraint() == Some("user_email_key") => {
            Ok(SignUpOutcome::EmailTaken)
        }
        Err(err) => Err(err.into()),
    }
}

/// The user with `email` (already lowercased). One round trip.
pub async fn find_user_by_email(
    db: &Database,
    fields: &AdditionalFields,
    email: &str,
) -> Result<Option<User>> {
    let columns = user_columns(fields);
    let sql = format!(r#"select {columns} from "user" u where u."email" = $1"#);
    let row = db.query_opt(&sql, &[(&email, Type::TEXT)]).await?;
    Ok(row.map(|row| user_from(&row, fields)))
}

/// A user and their credential password hash (None without a credential account).
pub async fn find_credentials(
    db: &Database,
    fields: &AdditionalFields,
    email: &str,
) -> Result<Option<(User, Option<String>)>> {
    let columns = user_columns(fields);
    let sql = format!(
        r#"select {columns}, a."password" from "user" u
           left join "account" a on a."userId" = u."id" and a."providerId" = 'credential'
           where u."email" = $1
           order by a."createdAt" limit 1"#
    );
    let row = db.query_opt(&sql, &[(&email, Type::TEXT)]).await?;
    Ok(row.map(|row| (user_from(&row, fields), row.get("password"))))
}

/// The user with `id`. One round trip.
pub async fn find_user_by_id(
    db: &Database,
    fields: &AdditionalFields,
    id: &str,
) -> Result<Option<User>> {
    let columns = user_columns(fields);
    let sql = format!(r#"select {columns} from "user" u where u."id" = $1"#);
    let row = db.query_opt(&sql, &[(&id, Type::TEXT)]).await?;
    Ok(row.map(|row| user_from(&row, fields)))
}

/// What update-user may change: `None` leaves a field as it is; `image: Some(None)` clears it;
/// `additional` holds the additional fields the body set.
#[derive(Debug, Default)]
pub struct ProfileChange<'a> {
    pub name: Option<String>,
    pub image: Option<Option<String>>,
    pub additional: Vec<FieldInput<'a>>,
}

impl ProfileChange<'_> {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.image.is_none() && self.additional.is_empty()
    }
}

/// Applies `change` to the user and returns the row as it now is (`None` when the user is
/// gone). One round trip.
pub async fn update_profile(
    db: &Database,
    fields: &AdditionalFields,
    id: &str,
    change: &ProfileChange<'_>,
) -> Result<Option<User>> {
    let columns = user_columns(fields);
    let extra_sets: String = change
        .additional
        .iter()
        .enumerate()
        .map(|(i, field)| format!(r#", "{}" = ${}"#, field.column, 5 + i))
        .collect();
    let sql = format!(
        r#"update "user" u set
               "name" = coalesce($2, u."name"),
               "image" = case when $3 then $4 else u."image" end,
               "updatedAt" = now(){extra_sets}
           where u."id" = $1 returning {columns}"#
    );
    let set_image = change.image.is_some();
    let image = change.image.clone().flatten();
    let mut params: Vec<crate::db::Param<'_>> = vec![
        (&id, Type::TEXT),
        (&change.name, Type::TEXT),
        (&set_image, Type::BOOL),
        (&image, Type::TEXT),
    ];
    params.extend(change.additional.iter().map(|field| field.value.param()));
    let row = db.query_opt(&sql, &params).await?;
    Ok(row.map(|row| user_from(&row, fields)))
}

/// The password hash of the user's credential account: `None` without such an account or
/// with one that has no password (Better Auth's `findCredentialAccount`). One round trip.
pub async fn credential_hash(db: &Database, user_id: &str) -> Result<Option<String>> {
    let row = db
        .query_opt(
            r#"select "password" from "account" where "userId" = $1 and "providerId" = 'credential'
               order by "createdAt" limit 1"#,
            &[(&user_id, Type::TEXT)],
        )
        .await?;
    Ok(row.and_then(|row| row.get("password")))
}

/// Sets the credential account's hash. With `replacing_sessions`, every session of the user
/// is deleted and that one inserted in the same statement (change-password with
/// `revokeOtherSessions`): atomic, and one round trip either way.
pub async fn change_password(
    db: &Database,
    user_id: &str,
    password_hash: &str,
    replacing_sessions: Option<&Session>,
) -> Result<()> {
    let update = r#"update "account" set "password" = $2, "updatedAt" = now()
                    where "userId" = $1 and "providerId" = 'credential'"#;
    match replacing_sessions {
        None => {
            db.query(
                update,
                &[(&user_id, Type::TEXT), (&password_hash, Type::TEXT)],
            )
            .await?;
        }
        Some(session) => {
            let sql = format!(
                r#"with updated as ({update} returning 1),
                   revoked as (delete from "session" where "userId" = $1)
                   {INSERT_SESSION}
                   values ($3, $4, $5, $6, $6, $7, $8, $1)"#
            );
            db.query(
                &sql,
                &[
                    (&user_id, Type::TEXT),
                    (&password_hash, Type::TEXT),
                    (&session.id, Type::TEXT),
                    (&session.expires_at.0, Type::TIMESTAMPTZ),
                    (&session.token, Type::TEXT),
                    (&session.created_at.0, Type::TIMESTAMPTZ),
                    (&session.ip_address, Type::TEXT),
                    (&session.user_agent, Type::TEXT),
                ],
            )
            .await?;
        }
    }
    Ok(())
}

/// The outcome of moving a user to another email.
pub enum EmailChange {
    Changed(User),
    /// Another user has the address (a race with a sign-up: the unique constraint decides).
    Taken,
    UserGone,
}

/// Sets the user's email and `emailVerified`. One round trip.
pub async fn set_email(
    db: &Database,
    fields: &AdditionalFields,
    id: &str,
    email: &str,
    email_verified: bool,
) -> Result<EmailChange> {
    let columns = user_columns(fields);
    let sql = format!(
        r#"update "user" u set "email" = $2, "emailVerified" = $3, "updatedAt" = now()
           where u."id" = $1 returning {columns}"#
    );
    let params: [crate::db::Param<'_>; 3] = [
        (&id, Type::TEXT),
        (&email, Type::TEXT),
        (&email_verified, Type::BOOL),
    ];
    match db.query_opt(&sql, &params).await {
        Ok(Some(row)) => Ok(EmailChange::Changed(user_from(&row, fields))),
        Ok(None) => Ok(EmailChange::UserGone),
        Err(err) if err.is_unique_violation() && err.constraint() == Some("user_email_key") => {
            Ok(EmailChange::Taken)
        }
        Err(err) => Err(err.into()),
    }
}

/// Deletes the user with their sessions and accounts, as Better Auth's `deleteUser` does (by
/// explicit deletes, which hold whether or not a database made by Better Auth's own migrator
/// has the cascades), in one statement. Their tasks go by the task table's cascade. One round
/// trip.
pub async fn delete_user(db: &Database, id: &str) -> Result<()> {
    db.query(
        r#"with sessions as (delete from "session" where "userId" = $1),
                accounts as (delete from "account" where "userId" = $1)
           delete from "user" where "id" = $1"#,
        &[(&id, Type::TEXT)],
    )
    .await?;
    Ok(())
}
