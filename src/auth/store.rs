//! Users, roles, tokens and partner keys: the administrator's commands and
//! the lookup behind every authenticated request. Every change is audited
//! in the same transaction.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use validator::ValidateEmail;

use super::{
    NewToken, PartnerCaller, Principal, Role, Staff, TokenKind, generate_token, hash_token,
    hashes_match,
};
use crate::audit::store::append as audit;
use crate::audit::{Actor, NewEntry};
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

fn insert_token(
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

fn normalise_email(email: &str) -> Result<String, AdminError> {
    let email = email.trim().to_lowercase();
    if email.validate_email() {
        Ok(email)
    } else {
        Err(AdminError::Invalid(format!(
            "`{email}` is not an email address"
        )))
    }
}

fn user_id_by_email(conn: &mut DbConn, email: &str) -> Result<String, AdminError> {
    users::table
        .filter(users::email.eq(email))
        .select(users::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| AdminError::NotFound(format!("no user {email}")))
}

/// Creates a staff user with its first token; the token is returned once.
pub fn add_user(
    conn: &mut DbConn,
    email: &str,
    name: Option<&str>,
    roles: &[Role],
    now: DateTime<Utc>,
) -> Result<NewToken, AdminError> {
    let email = normalise_email(email)?;
    if roles.is_empty() {
        return Err(AdminError::Invalid("a user needs at least one role".into()));
    }
    let exists: i64 = users::table
        .filter(users::email.eq(&email))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Err(AdminError::Conflict(format!(
            "{email} already exists; `brug user token {email}` issues a new token"
        )));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let user = NewUserRow {
        id: &id,
        email: &email,
        name,
        created_at: now.naive_utc(),
    };
    diesel::insert_into(users::table)
        .values(&user)
        .execute(conn)?;
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    for role in roles {
        let row = NewUserRoleRow {
            user_id: &id,
            role: role.as_str(),
        };
        diesel::insert_into(user_roles::table)
            .values(&row)
            .execute(conn)?;
    }
    let (token_id, token) = insert_token(conn, TokenKind::Staff, Some(&id), None, now)?;
    audit(
        conn,
        NewEntry::new(Actor::cli(), "users.add", "user", &id),
        now,
    )?;
    audit(
        conn,
        NewEntry::new(Actor::cli(), "tokens.issue", "token", &token_id),
        now,
    )?;
    Ok(token)
}

/// Issues another token for an existing, enabled user.
pub fn issue_user_token(
    conn: &mut DbConn,
    email: &str,
    now: DateTime<Utc>,
) -> Result<NewToken, AdminError> {
    let email = normalise_email(email)?;
    let (id, disabled): (String, Option<NaiveDateTime>) = users::table
        .filter(users::email.eq(&email))
        .select((users::id, users::disabled_at))
        .first(conn)
        .optional()?
        .ok_or_else(|| AdminError::NotFound(format!("no user {email}")))?;
    if disabled.is_some() {
        return Err(AdminError::Conflict(format!("{email} is disabled")));
    }
    let (token_id, token) = insert_token(conn, TokenKind::Staff, Some(&id), None, now)?;
    audit(
        conn,
        NewEntry::new(Actor::cli(), "tokens.issue", "token", &token_id),
        now,
    )?;
    Ok(token)
}

/// Disables a user: every token of theirs stops working at once.
pub fn disable_user(conn: &mut DbConn, email: &str, now: DateTime<Utc>) -> Result<(), AdminError> {
    let email = normalise_email(email)?;
    let id = user_id_by_email(conn, &email)?;
    let changed = diesel::update(users::table.find(&id).filter(users::disabled_at.is_null()))
        .set(users::disabled_at.eq(now.naive_utc()))
        .execute(conn)?;
    if changed == 0 {
        return Err(AdminError::Conflict(format!("{email} is disabled already")));
    }
    audit(
        conn,
        NewEntry::new(Actor::cli(), "users.disable", "user", &id),
        now,
    )?;
    Ok(())
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

/// id, email, name, created, disabled.
type UserRow = (
    String,
    String,
    Option<String>,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

pub fn list_users(conn: &mut DbConn) -> Result<Vec<UserSummary>, AdminError> {
    let rows: Vec<UserRow> = users::table
        .select((
            users::id,
            users::email,
            users::name,
            users::created_at,
            users::disabled_at,
        ))
        .order(users::email.asc())
        .load(conn)?;
    let roles: Vec<(String, String)> = user_roles::table
        .select((user_roles::user_id, user_roles::role))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, email, name, created_at, disabled_at)| UserSummary {
            roles: roles
                .iter()
                .filter(|(user, _)| *user == id)
                .filter_map(|(_, role)| Role::parse(role))
                .collect(),
            id,
            email,
            name,
            created_at,
            disabled_at,
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

type TokenRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

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
        .map(
            |(id, kind, email, partner_id, prefix, created_at, last_used_at, revoked_at)| {
                TokenSummary {
                    id,
                    kind,
                    owner: email.or(partner_id).unwrap_or_default(),
                    prefix,
                    created_at,
                    last_used_at,
                    revoked_at,
                }
            },
        )
        .collect())
}

/// Every token and key, oldest first.
pub fn list_tokens(conn: &mut DbConn) -> Result<Vec<TokenSummary>, AdminError> {
    token_rows(conn, None)
}

/// Revokes a token or key, named by its id or by the secret itself.
pub fn revoke_token(
    conn: &mut DbConn,
    id_or_secret: &str,
    only: Option<TokenKind>,
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    let by_secret = id_or_secret.starts_with("brug_");
    let mut query = api_tokens::table
        .select((api_tokens::id, api_tokens::kind))
        .into_boxed();
    query = if by_secret {
        query.filter(api_tokens::token_hash.eq(hash_token(id_or_secret)))
    } else {
        query.filter(api_tokens::id.eq(id_or_secret.to_owned()))
    };
    let (id, kind): (String, String) = query.first(conn).optional()?.ok_or_else(|| {
        AdminError::NotFound(format!(
            "no token {}",
            if by_secret {
                "with that secret"
            } else {
                id_or_secret
            }
        ))
    })?;
    if let Some(only) = only
        && kind != only.as_str()
    {
        return Err(AdminError::NotFound(format!(
            "{id} is not a {} key",
            only.as_str()
        )));
    }
    diesel::update(
        api_tokens::table
            .find(&id)
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now.naive_utc()))
    .execute(conn)?;
    audit(
        conn,
        NewEntry::new(Actor::cli(), "tokens.revoke", "token", &id),
        now,
    )?;
    Ok(())
}

/// A new key for a partner in the directory (not one marked inactive).
pub fn add_partner_key(
    conn: &mut DbConn,
    partner_id: &str,
    now: DateTime<Utc>,
) -> Result<NewToken, AdminError> {
    let status: String = partners::table
        .find(partner_id)
        .select(partners::status)
        .first(conn)
        .optional()?
        .ok_or_else(|| AdminError::NotFound(format!("no partner {partner_id} in the directory")))?;
    if status == "inactive" {
        return Err(AdminError::Conflict(format!(
            "{partner_id} is no longer in the partner directory"
        )));
    }
    let (key_id, token) = insert_token(conn, TokenKind::Partner, None, Some(partner_id), now)?;
    audit(
        conn,
        NewEntry::new(Actor::cli(), "partner_keys.add", "partner", partner_id),
        now,
    )?;
    audit(
        conn,
        NewEntry::new(Actor::cli(), "tokens.issue", "token", &key_id),
        now,
    )?;
    Ok(token)
}

pub fn list_partner_keys(
    conn: &mut DbConn,
    partner_id: &str,
) -> Result<Vec<TokenSummary>, AdminError> {
    token_rows(conn, Some(partner_id))
}

/// id, kind, user, partner, hash, last used.
type CredentialRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<NaiveDateTime>,
);

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
        .select((
            api_tokens::id,
            api_tokens::kind,
            api_tokens::user_id,
            api_tokens::partner_id,
            api_tokens::token_hash,
            api_tokens::last_used_at,
        ))
        .first(conn)
        .optional()?;
    let Some((token_id, kind, user_id, partner_id, stored, last_used)) = row else {
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

/// A refused attempt is worth a trace in the audit log.
pub fn record_denial(
    conn: &mut DbConn,
    user_id: &str,
    rule: &super::policy::Rule,
    request_id: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let entry = NewEntry::new(Actor::staff(user_id), rule.operation, "route", rule.path)
        .request(request_id)
        .outcome("denied");
    audit(conn, entry, now).map(|_| ())
}
