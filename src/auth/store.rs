//! Users, roles, tokens and partner keys: their rows and queries, and the
//! lookup behind every authenticated request. The administrator's commands
//! that change them (each audited) are in `commands.rs`.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use validator::ValidateEmail;

use super::{
    NewToken, PartnerCaller, Principal, Role, Staff, TokenKind, generate_token, hash_token,
    hashes_match,
};
use crate::db::schema::{api_tokens, partners, user_roles, users};
use crate::db::{DbConn, DbError};

/// A `users` row as written (enabled).
#[derive(Insertable)]
#[diesel(table_name = users, treat_none_as_default_value = false)]
pub struct NewUserRow<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub created_at: NaiveDateTime,
}

/// A `user_roles` row as written.
#[derive(Insertable)]
#[diesel(table_name = user_roles)]
pub struct NewUserRoleRow<'a> {
    pub user_id: &'a str,
    pub role: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Randomness(#[from] super::NoRandomness),
}

impl From<diesel::result::Error> for AdminError {
    fn from(e: diesel::result::Error) -> Self {
        AdminError::Db(e.into())
    }
}

pub(super) fn insert_token(
    conn: &mut DbConn,
    kind: TokenKind,
    user_id: Option<&str>,
    partner_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(String, NewToken), AdminError> {
    let token = generate_token(kind)?;
    let id = uuid::Uuid::now_v7().to_string();
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::id.eq(&id),
            api_tokens::kind.eq(kind.as_str()),
            api_tokens::user_id.eq(user_id),
            api_tokens::partner_id.eq(partner_id),
            api_tokens::token_hash.eq(&token.hash),
            api_tokens::prefix.eq(&token.display_prefix),
            api_tokens::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok((id, token))
}

pub fn normalise_email(email: &str) -> Result<String, AdminError> {
    let email = email.trim().to_lowercase();
    if email.validate_email() {
        Ok(email)
    } else {
        Err(AdminError::Invalid(format!(
            "`{email}` is not an email address"
        )))
    }
}

pub(super) fn user_id_by_email(conn: &mut DbConn, email: &str) -> Result<String, AdminError> {
    users::table
        .filter(users::email.eq(email))
        .select(users::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| AdminError::NotFound(format!("no user {email}")))
}

#[derive(Debug, Clone, Serialize)]
pub struct UserSummary {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub roles: Vec<Role>,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::serialize_option")]
    pub disabled_at: Option<NaiveDateTime>,
}

/// A `users` row as an administrator lists it.
#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
struct UserRow {
    id: String,
    email: String,
    name: Option<String>,
    created_at: NaiveDateTime,
    disabled_at: Option<NaiveDateTime>,
}

pub fn list_users(conn: &mut DbConn) -> Result<Vec<UserSummary>, AdminError> {
    let rows: Vec<UserRow> = users::table
        .select(UserRow::as_select())
        .order(users::email.asc())
        .load(conn)?;
    let roles: Vec<(String, String)> = user_roles::table
        .select((user_roles::user_id, user_roles::role))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| UserSummary {
            roles: roles
                .iter()
                .filter(|(user, _)| *user == row.id)
                .filter_map(|(_, role)| Role::parse(role))
                .collect(),
            id: row.id,
            email: row.email,
            name: row.name,
            created_at: row.created_at,
            disabled_at: row.disabled_at,
        })
        .collect())
}

#[derive(Debug, Clone, Serialize)]
pub struct TokenSummary {
    pub id: String,
    pub kind: String,
    /// The user's email, or the partner's id.
    pub owner: String,
    pub prefix: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::serialize_option")]
    pub last_used_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::domain::utc::serialize_option")]
    pub revoked_at: Option<NaiveDateTime>,
}

/// A token with its user's email, in the order selected.
#[derive(Queryable)]
struct TokenRow {
    id: String,
    kind: String,
    email: Option<String>,
    partner_id: Option<String>,
    prefix: String,
    created_at: NaiveDateTime,
    last_used_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
}

fn token_rows(conn: &mut DbConn, partner: Option<&str>) -> Result<Vec<TokenSummary>, AdminError> {
    let mut query = api_tokens::table
        .left_join(users::table)
        .select((
            api_tokens::id,
            api_tokens::kind,
            users::email.nullable(),
            api_tokens::partner_id,
            api_tokens::prefix,
            api_tokens::created_at,
            api_tokens::last_used_at,
            api_tokens::revoked_at,
        ))
        .order(api_tokens::id.asc())
        .into_boxed();
    if let Some(partner) = partner {
        query = query.filter(api_tokens::partner_id.eq(partner.to_owned()));
    }
    let rows: Vec<TokenRow> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| TokenSummary {
            id: row.id,
            kind: row.kind,
            owner: row.email.or(row.partner_id).unwrap_or_default(),
            prefix: row.prefix,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        })
        .collect())
}

/// Every token and key, oldest first.
pub fn list_tokens(conn: &mut DbConn) -> Result<Vec<TokenSummary>, AdminError> {
    token_rows(conn, None)
}

pub fn list_partner_keys(
    conn: &mut DbConn,
    partner_id: &str,
) -> Result<Vec<TokenSummary>, AdminError> {
    token_rows(conn, Some(partner_id))
}

/// What authenticating a token needs of its row.
#[derive(Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
struct CredentialRow {
    id: String,
    kind: String,
    user_id: Option<String>,
    partner_id: Option<String>,
    token_hash: String,
    last_used_at: Option<NaiveDateTime>,
}

/// The principal a presented secret stands for, if it is valid: not
/// revoked, its user enabled, its partner still in the directory.
pub fn authenticate(
    conn: &mut DbConn,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Option<Authenticated>, DbError> {
    let presented = hash_token(secret);
    let row: Option<CredentialRow> = api_tokens::table
        .filter(api_tokens::token_hash.eq(&presented))
        .filter(api_tokens::revoked_at.is_null())
        .select(CredentialRow::as_select())
        .first(conn)
        .optional()?;
    let Some(CredentialRow {
        id: token_id,
        kind,
        user_id,
        partner_id,
        token_hash: stored,
        last_used_at: last_used,
    }) = row
    else {
        return Ok(None);
    };
    if !hashes_match(&stored, &presented) {
        return Ok(None);
    }
    let principal = match (kind.as_str(), user_id, partner_id) {
        ("staff", Some(user_id), None) => {
            let user: Option<(String, Option<NaiveDateTime>)> = users::table
                .find(&user_id)
                .select((users::email, users::disabled_at))
                .first(conn)
                .optional()?;
            let Some((email, None)) = user else {
                return Ok(None);
            };
            let mut roles: Vec<Role> = user_roles::table
                .filter(user_roles::user_id.eq(&user_id))
                .select(user_roles::role)
                .load::<String>(conn)?
                .iter()
                .filter_map(|r| Role::parse(r))
                .collect();
            roles.sort();
            Principal::Staff(Staff {
                user_id,
                email,
                roles,
            })
        }
        ("partner", None, Some(partner_id)) => {
            let status: Option<String> = partners::table
                .find(&partner_id)
                .select(partners::status)
                .first(conn)
                .optional()?;
            if status.as_deref().is_none_or(|s| s == "inactive") {
                return Ok(None);
            }
            Principal::Partner(PartnerCaller {
                partner_id,
                key_id: token_id.clone(),
            })
        }
        _ => return Ok(None),
    };
    // Recorded at most every ten minutes, so that most requests stay reads.
    let touch = last_used.is_none_or(|at| now.naive_utc() - at > chrono::Duration::minutes(10));
    Ok(Some(Authenticated {
        principal,
        token_id,
        touch,
    }))
}

/// A valid credential.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub principal: Principal,
    pub token_id: String,
    /// `last_used_at` is due an update ([`touch`]).
    pub touch: bool,
}

/// Records that a token was used now (inside a write transaction).
pub fn touch(conn: &mut DbConn, token_id: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::update(api_tokens::table.find(token_id))
        .set(api_tokens::last_used_at.eq(now.naive_utc()))
        .execute(conn)?;
    Ok(())
}

/// Whether the user may sign in, and their roles; `None` when there is no
/// such user.
pub fn standing(
    conn: &mut DbConn,
    user_id: &str,
) -> Result<Option<super::assignment::Standing>, DbError> {
    let disabled_at: Option<Option<NaiveDateTime>> = users::table
        .find(user_id)
        .select(users::disabled_at)
        .first(conn)
        .optional()?;
    let Some(disabled_at) = disabled_at else {
        return Ok(None);
    };
    let roles = user_roles::table
        .filter(user_roles::user_id.eq(user_id))
        .select(user_roles::role)
        .load::<String>(conn)?
        .iter()
        .filter_map(|r| Role::parse(r))
        .collect();
    Ok(Some(super::assignment::Standing {
        enabled: disabled_at.is_none(),
        roles,
    }))
}

pub fn user_exists(conn: &mut DbConn, user_id: &str) -> Result<bool, DbError> {
    let count: i64 = users::table.find(user_id).count().get_result(conn)?;
    Ok(count > 0)
}
