//! The administrator's commands (users, roles, tokens, partner keys) and
//! the trace of a refused request: each one function that writes its change
//! and its audit entry in the caller's transaction.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::store::{
    AdminError, NewUserRoleRow, NewUserRow, insert_token, normalise_email, user_id_by_email,
};
use super::{NewToken, Role, TokenKind, hash_token};
use crate::audit::store::append as audit;
use crate::audit::{Actor, NewEntry};
use crate::db::schema::{api_tokens, partners, user_roles, users};
use crate::db::{DbConn, DbError};

/// Creates a staff user with its first token; the token is returned once.
pub fn add_user(
    conn: &mut DbConn,
    email: &str,
    name: Option<&str>,
    roles: &[Role],
    now: DateTime<Utc>,
) -> Result<NewToken, AdminError> {
    let id = create_user(conn, &Actor::cli(), email, name, roles, now)?;
    let (token_id, token) = insert_token(conn, TokenKind::Staff, Some(&id), None, now)?;
    audit(
        conn,
        NewEntry::new(Actor::cli(), "tokens.issue", "token", &token_id),
        now,
    )?;
    Ok(token)
}

/// Creates a staff user without a token, with a one-time invitation to
/// set their password in the web UI; the invitation's secret is returned once.
pub fn invite_user(
    conn: &mut DbConn,
    email: &str,
    name: Option<&str>,
    roles: &[Role],
    now: DateTime<Utc>,
) -> Result<String, AdminError> {
    invite_user_by(conn, &Actor::cli(), email, name, roles, now)
}

/// [`invite_user`], by an administrator in the web UI (`actor`).
pub fn invite_user_by(
    conn: &mut DbConn,
    actor: &Actor,
    email: &str,
    name: Option<&str>,
    roles: &[Role],
    now: DateTime<Utc>,
) -> Result<String, AdminError> {
    let id = create_user(conn, actor, email, name, roles, now)?;
    super::sessions::invite(conn, actor, &id, now)
}

/// A new invitation for an existing, enabled user (the last one expired,
/// or they forgot their password).
pub fn reinvite_user(
    conn: &mut DbConn,
    email: &str,
    now: DateTime<Utc>,
) -> Result<String, AdminError> {
    let id = enabled_user(conn, email)?;
    super::sessions::invite(conn, &Actor::cli(), &id, now)
}

/// The id of the enabled user with this email.
fn enabled_user(conn: &mut DbConn, email: &str) -> Result<String, AdminError> {
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
    Ok(id)
}

fn create_user(
    conn: &mut DbConn,
    actor: &Actor,
    email: &str,
    name: Option<&str>,
    roles: &[Role],
    now: DateTime<Utc>,
) -> Result<String, AdminError> {
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
    audit(
        conn,
        NewEntry::new(actor.clone(), "users.add", "user", &id),
        now,
    )?;
    Ok(id)
}

/// Issues another token for an existing, enabled user.
pub fn issue_user_token(
    conn: &mut DbConn,
    email: &str,
    now: DateTime<Utc>,
) -> Result<NewToken, AdminError> {
    let id = enabled_user(conn, email)?;
    let (token_id, token) = insert_token(conn, TokenKind::Staff, Some(&id), None, now)?;
    audit(
        conn,
        NewEntry::new(Actor::cli(), "tokens.issue", "token", &token_id),
        now,
    )?;
    Ok(token)
}

/// Disables a user: every token and session of theirs stops working at once.
pub fn disable_user(conn: &mut DbConn, email: &str, now: DateTime<Utc>) -> Result<(), AdminError> {
    let email = normalise_email(email)?;
    let id = user_id_by_email(conn, &email)?;
    disable_user_by(conn, &Actor::cli(), &id, now)
}

/// [`disable_user`] by id, by an administrator in the web UI (`actor`).
pub fn disable_user_by(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    let changed = diesel::update(users::table.find(id).filter(users::disabled_at.is_null()))
        .set(users::disabled_at.eq(now.naive_utc()))
        .execute(conn)?;
    if changed == 0 {
        let exists: i64 = users::table.find(id).count().get_result(conn)?;
        return Err(if exists == 0 {
            AdminError::NotFound("no such user".into())
        } else {
            AdminError::Conflict("this user is disabled already".into())
        });
    }
    super::sessions::end_sessions_of(conn, id, now)?;
    audit(
        conn,
        NewEntry::new(actor.clone(), "users.disable", "user", id),
        now,
    )?;
    Ok(())
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
    add_partner_key_as(conn, &Actor::cli(), partner_id, now)
}

/// A new key for a partner, by whoever asked (the CLI, or a coordinator in
/// the portal).
pub fn add_partner_key_as(
    conn: &mut DbConn,
    actor: &Actor,
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
        NewEntry::new(actor.clone(), "partner_keys.add", "partner", partner_id),
        now,
    )?;
    audit(
        conn,
        NewEntry::new(actor.clone(), "tokens.issue", "token", &key_id),
        now,
    )?;
    Ok(token)
}

/// Revokes one of a partner's own keys (a coordinator in the portal); a
/// key of another partner is "not found".
pub fn revoke_partner_key(
    conn: &mut DbConn,
    actor: &Actor,
    partner_id: &str,
    key_id: &str,
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    let revoked = diesel::update(
        api_tokens::table
            .find(key_id)
            .filter(api_tokens::kind.eq(TokenKind::Partner.as_str()))
            .filter(api_tokens::partner_id.eq(partner_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now.naive_utc()))
    .execute(conn)?;
    if revoked != 1 {
        return Err(AdminError::NotFound("no such key of this partner".into()));
    }
    audit(
        conn,
        NewEntry::new(actor.clone(), "tokens.revoke", "token", key_id),
        now,
    )?;
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
