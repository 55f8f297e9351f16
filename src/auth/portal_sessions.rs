//! Portal sessions: as the staff UI's (random id shown once, stored as a
//! hash; 30 minutes idle, 12 hours at most; a CSRF token per session), with
//! one step more. A session starts when the password is right, but opens
//! nothing but the second-factor page until a TOTP code is given
//! (`verified_at`).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::partner_users::{self as people, PartnerUser};
use crate::audit::NewEntry;
use crate::audit::store::append as audit;
use crate::auth::hash_token;
use crate::auth::sessions::{IDLE, LONGEST, random_secret};
use crate::auth::store::AdminError;
use crate::db::schema::{partner_sessions, partners};
use crate::db::{DbConn, DbError};

/// `last_seen_at` is written at most this often.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// How many portal sessions are in use now: past the second factor, not
/// ended, seen within [`IDLE`] and younger than [`LONGEST`] (a count for
/// `/metrics`, nobody named).
pub fn active_count(conn: &mut DbConn, now: DateTime<Utc>) -> Result<i64, DbError> {
    let now = now.naive_utc();
    Ok(partner_sessions::table
        .filter(partner_sessions::verified_at.is_not_null())
        .filter(partner_sessions::ended_at.is_null())
        .filter(partner_sessions::last_seen_at.ge(now - IDLE))
        .filter(partner_sessions::created_at.ge(now - LONGEST))
        .count()
        .get_result(conn)?)
}

/// A session that is still good, with its person.
#[derive(Debug, Clone)]
pub struct PortalSession {
    pub id_hash: String,
    pub user: PartnerUser,
    /// The partner organisation's name, for the header.
    pub partner_name: String,
    pub csrf_token: String,
    /// The second factor was given in this session.
    pub verified: bool,
    pub touch: bool,
}

/// A new session: the cookie's value (shown once) and the form token.
pub struct NewSession {
    pub secret: String,
    pub csrf_token: String,
}

/// Starts a session after the password was checked: not yet verified.
pub fn start(
    conn: &mut DbConn,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<NewSession, AdminError> {
    let secret = random_secret()?;
    let csrf_token = random_secret()?;
    let stale = (now - LONGEST).naive_utc();
    diesel::delete(
        partner_sessions::table
            .filter(partner_sessions::partner_user_id.eq(user_id))
            .filter(
                partner_sessions::ended_at
                    .is_not_null()
                    .or(partner_sessions::created_at.lt(stale)),
            ),
    )
    .execute(conn)?;
    diesel::insert_into(partner_sessions::table)
        .values((
            partner_sessions::id_hash.eq(hash_token(&secret)),
            partner_sessions::partner_user_id.eq(user_id),
            partner_sessions::csrf_token.eq(&csrf_token),
            partner_sessions::created_at.eq(now.naive_utc()),
            partner_sessions::last_seen_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    audit(
        conn,
        NewEntry::new(
            people::actor(user_id),
            "portal.session.start",
            "partner_user",
            user_id,
        ),
        now,
    )?;
    Ok(NewSession { secret, csrf_token })
}

/// The session behind a cookie's value, unless it ended, expired, or its
/// person was disabled.
pub fn find(
    conn: &mut DbConn,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Option<PortalSession>, DbError> {
    let id_hash = hash_token(secret);
    type Row = (
        String,
        String,
        Option<NaiveDateTime>,
        NaiveDateTime,
        NaiveDateTime,
        Option<NaiveDateTime>,
    );
    let row: Option<Row> = partner_sessions::table
        .find(&id_hash)
        .select((
            partner_sessions::partner_user_id,
            partner_sessions::csrf_token,
            partner_sessions::verified_at,
            partner_sessions::created_at,
            partner_sessions::last_seen_at,
            partner_sessions::ended_at,
        ))
        .first(conn)
        .optional()?;
    let Some((user_id, csrf_token, verified, created, seen, ended)) = row else {
        return Ok(None);
    };
    let now = now.naive_utc();
    if ended.is_some() || now - seen > IDLE || now - created > LONGEST {
        return Ok(None);
    }
    let Some(user) = people::get(conn, &user_id)?.filter(|u| !u.disabled) else {
        return Ok(None);
    };
    // A partner no longer in the directory has no portal, as its keys stop.
    let (partner_name, status): (String, String) = partners::table
        .find(&user.partner_id)
        .select((partners::name, partners::status))
        .first(conn)?;
    if status == "inactive" {
        return Ok(None);
    }
    Ok(Some(PortalSession {
        id_hash,
        user,
        partner_name,
        csrf_token,
        verified: verified.is_some(),
        touch: now - seen > TOUCH_EVERY,
    }))
}

/// The second factor was given: the session opens the portal, under a new
/// id and form token (what was known of it before the code is worth
/// nothing after).
pub fn verify(
    conn: &mut DbConn,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<NewSession, AdminError> {
    let secret = random_secret()?;
    let csrf_token = random_secret()?;
    diesel::update(partner_sessions::table.find(id_hash))
        .set((
            partner_sessions::id_hash.eq(hash_token(&secret)),
            partner_sessions::csrf_token.eq(&csrf_token),
            partner_sessions::verified_at.eq(Some(now.naive_utc())),
        ))
        .execute(conn)?;
    Ok(NewSession { secret, csrf_token })
}

pub fn touch(conn: &mut DbConn, id_hash: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::update(partner_sessions::table.find(id_hash))
        .set(partner_sessions::last_seen_at.eq(now.naive_utc()))
        .execute(conn)?;
    Ok(())
}

/// Signs out, audited.
pub fn end(conn: &mut DbConn, session: &PortalSession, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::update(partner_sessions::table.find(&session.id_hash))
        .set(partner_sessions::ended_at.eq(Some(now.naive_utc())))
        .execute(conn)?;
    let id = &session.user.id;
    audit(
        conn,
        NewEntry::new(people::actor(id), "portal.session.end", "partner_user", id),
        now,
    )?;
    Ok(())
}
