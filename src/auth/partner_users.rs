//! People at a partner organisation: who they are, their role, their
//! password, and the one-time invitation that lets them set it. An
//! administrator invites the first (`brug partner user add`); a coordinator
//! invites and disables the others in the portal's settings.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::store::append as audit;
use crate::audit::{Actor, NewEntry};
use crate::auth::hash_token;
use crate::auth::sessions::{hash_password, password_problem, random_secret, verify_password};
use crate::auth::store::{AdminError, normalise_email};
use crate::db::schema::{partner_invitations, partner_sessions, partner_users, partners};
use crate::db::{DbConn, DbError};
use crate::domain::text_enum;

text_enum! {
    /// What a person at a partner may do in the portal.
    pub enum PartnerRole {
        /// Does the work: acknowledges, decides, drafts plans, reports and closures.
        FocalPoint => "focal_point",
        /// Also signs off: submits what a focal point drafted, manages
        /// keys, the webhook and the organisation's users.
        Coordinator => "coordinator",
    }
}

/// An invitation link works this long, as the staff's do.
pub const INVITATION_VALID: Duration = Duration::hours(72);

/// The actor of something a person at a partner did themselves.
pub fn actor(user_id: &str) -> Actor {
    Actor {
        kind: "partner_user",
        id: user_id.to_owned(),
    }
}

/// One person at a partner, as the settings page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartnerUser {
    pub id: String,
    pub partner_id: String,
    pub email: String,
    pub role: PartnerRole,
    pub language: String,
    pub notify_by_email: bool,
    /// A password was set (the invitation was taken up).
    pub active: bool,
    pub second_factor: bool,
    pub disabled: bool,
}

type UserRow = (
    String,
    String,
    String,
    PartnerRole,
    String,
    bool,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

fn user_of(row: UserRow) -> PartnerUser {
    let (id, partner_id, email, role, language, notify_by_email, set, enrolled, disabled) = row;
    PartnerUser {
        id,
        partner_id,
        email,
        role,
        language,
        notify_by_email,
        active: set.is_some(),
        second_factor: enrolled.is_some(),
        disabled: disabled.is_some(),
    }
}

macro_rules! user_columns {
    () => {
        (
            partner_users::id,
            partner_users::partner_id,
            partner_users::email,
            partner_users::role,
            partner_users::language,
            partner_users::notify_by_email,
            partner_users::password_set_at,
            partner_users::totp_enrolled_at,
            partner_users::disabled_at,
        )
    };
}

/// One person by id.
pub fn get(conn: &mut DbConn, id: &str) -> Result<Option<PartnerUser>, DbError> {
    let row: Option<UserRow> = partner_users::table
        .find(id)
        .select(user_columns!())
        .first(conn)
        .optional()?;
    Ok(row.map(user_of))
}

/// One person by email (normalised).
pub fn by_email(conn: &mut DbConn, email: &str) -> Result<Option<PartnerUser>, DbError> {
    let row: Option<UserRow> = partner_users::table
        .filter(partner_users::email.eq(email))
        .select(user_columns!())
        .first(conn)
        .optional()?;
    Ok(row.map(user_of))
}

/// The people of one partner, by email.
pub fn of_partner(conn: &mut DbConn, partner_id: &str) -> Result<Vec<PartnerUser>, DbError> {
    let rows: Vec<UserRow> = partner_users::table
        .filter(partner_users::partner_id.eq(partner_id))
        .order(partner_users::email)
        .select(user_columns!())
        .load(conn)?;
    Ok(rows.into_iter().map(user_of).collect())
}

/// A new person at a partner and their one-time invitation link's token.
pub fn add(
    conn: &mut DbConn,
    by: &Actor,
    partner_id: &str,
    email: &str,
    role: PartnerRole,
    language: &str,
    now: DateTime<Utc>,
) -> Result<(String, String), AdminError> {
    let email = normalise_email(email)?;
    let known: i64 = partners::table
        .filter(partners::id.eq(partner_id))
        .count()
        .get_result(conn)?;
    if known == 0 {
        return Err(AdminError::NotFound(format!("no partner {partner_id}")));
    }
    let taken: i64 = partner_users::table
        .filter(partner_users::email.eq(&email))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        // Said the same whichever partner has it: nothing is learnt of others.
        return Err(AdminError::Conflict(format!(
            "{email} cannot be invited: the address is in use"
        )));
    }
    let id = uuid::Uuid::now_v7().to_string();
    diesel::insert_into(partner_users::table)
        .values((
            partner_users::id.eq(&id),
            partner_users::partner_id.eq(partner_id),
            partner_users::email.eq(&email),
            partner_users::role.eq(role.as_str()),
            partner_users::language.eq(language),
            partner_users::notify_by_email.eq(true),
            partner_users::created_at.eq(now.naive_utc()),
            partner_users::created_by.eq(format!("{}:{}", by.kind, by.id)),
        ))
        .execute(conn)?;
    audit(
        conn,
        NewEntry::new(by.clone(), "partner_users.add", "partner_user", &id),
        now,
    )?;
    let token = invite(conn, by, &id, now)?;
    Ok((id, token))
}

/// A new one-time link for a person (older ones stop working).
pub fn invite(
    conn: &mut DbConn,
    by: &Actor,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<String, AdminError> {
    let secret = random_secret()?;
    use_up_invitations(conn, user_id, now)?;
    diesel::insert_into(partner_invitations::table)
        .values((
            partner_invitations::token_hash.eq(hash_token(&secret)),
            partner_invitations::partner_user_id.eq(user_id),
            partner_invitations::created_at.eq(now.naive_utc()),
            partner_invitations::expires_at.eq((now + INVITATION_VALID).naive_utc()),
        ))
        .execute(conn)?;
    audit(
        conn,
        NewEntry::new(by.clone(), "partner_users.invite", "partner_user", user_id),
        now,
    )?;
    Ok(secret)
}

fn use_up_invitations(conn: &mut DbConn, user_id: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::update(
        partner_invitations::table
            .filter(partner_invitations::partner_user_id.eq(user_id))
            .filter(partner_invitations::used_at.is_null()),
    )
    .set(partner_invitations::used_at.eq(Some(now.naive_utc())))
    .execute(conn)?;
    Ok(())
}

/// The person an unused, unexpired invitation is for.
pub fn invitation(
    conn: &mut DbConn,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Option<PartnerUser>, DbError> {
    let id: Option<String> = partner_invitations::table
        .inner_join(partner_users::table)
        .filter(partner_invitations::token_hash.eq(hash_token(secret)))
        .filter(partner_invitations::used_at.is_null())
        .filter(partner_invitations::expires_at.gt(now.naive_utc()))
        .filter(partner_users::disabled_at.is_null())
        .select(partner_users::id)
        .first(conn)
        .optional()?;
    match id {
        Some(id) => get(conn, &id),
        None => Ok(None),
    }
}

/// Sets the password through an invitation, which is then used up. A new
/// password ends the person's sessions and asks for a second factor again
/// only if none was enrolled.
pub fn accept_invitation(
    conn: &mut DbConn,
    secret: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<PartnerUser, AdminError> {
    let user = invitation(conn, secret, now)?.ok_or_else(|| {
        AdminError::NotFound("this invitation is used, expired or unknown".into())
    })?;
    if let Some(problem) = password_problem(password, &user.email) {
        return Err(AdminError::Invalid(format!("the password {problem}")));
    }
    let used = diesel::update(
        partner_invitations::table
            .find(hash_token(secret))
            .filter(partner_invitations::used_at.is_null()),
    )
    .set(partner_invitations::used_at.eq(Some(now.naive_utc())))
    .execute(conn)?;
    if used != 1 {
        return Err(AdminError::NotFound(
            "this invitation is used, expired or unknown".into(),
        ));
    }
    let hash = hash_password(password)?;
    diesel::update(partner_users::table.find(&user.id))
        .set((
            partner_users::password_hash.eq(Some(hash)),
            partner_users::password_set_at.eq(Some(now.naive_utc())),
        ))
        .execute(conn)?;
    end_sessions_of(conn, &user.id, now)?;
    audit(
        conn,
        NewEntry::new(
            actor(&user.id),
            "partner_users.password",
            "partner_user",
            &user.id,
        ),
        now,
    )?;
    Ok(user)
}

/// Ends every open session of a person.
pub fn end_sessions_of(
    conn: &mut DbConn,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::update(
        partner_sessions::table
            .filter(partner_sessions::partner_user_id.eq(user_id))
            .filter(partner_sessions::ended_at.is_null()),
    )
    .set(partner_sessions::ended_at.eq(Some(now.naive_utc())))
    .execute(conn)?;
    Ok(())
}

/// What a sign-in attempt found: the person when the password is right.
pub enum PasswordCheck {
    Right(PartnerUser),
    /// Wrong, disabled, or no password; the person's id when the address is
    /// one of theirs (for the audit log, never for the page).
    Wrong(Option<String>),
}

/// Checks an email and password, running argon2 once whatever the outcome.
pub fn check_password(
    conn: &mut DbConn,
    email: &str,
    password: &str,
) -> Result<PasswordCheck, DbError> {
    let email = email.trim().to_lowercase();
    // A partner no longer in the directory signs in no one.
    let found: Option<(String, Option<String>, Option<NaiveDateTime>)> = partner_users::table
        .inner_join(partners::table)
        .filter(partner_users::email.eq(&email))
        .filter(partners::status.ne("inactive"))
        .select((
            partner_users::id,
            partner_users::password_hash,
            partner_users::disabled_at,
        ))
        .first(conn)
        .optional()?;
    Ok(match found {
        Some((id, Some(hash), None)) if verify_password(password, &hash) => match get(conn, &id)? {
            Some(user) => PasswordCheck::Right(user),
            None => PasswordCheck::Wrong(Some(id)),
        },
        Some((id, Some(_), None)) => PasswordCheck::Wrong(Some(id)),
        other => {
            verify_password(password, crate::auth::sessions::decoy_hash());
            PasswordCheck::Wrong(other.map(|(id, _, _)| id))
        }
    })
}

/// Disables a person of the same partner: their sessions end at once.
pub fn disable(
    conn: &mut DbConn,
    by: &Actor,
    partner_id: &str,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    let user = get(conn, user_id)?
        .filter(|u| u.partner_id == partner_id)
        .ok_or_else(|| AdminError::NotFound("no such person at this partner".into()))?;
    diesel::update(partner_users::table.find(&user.id))
        .set(partner_users::disabled_at.eq(Some(now.naive_utc())))
        .execute(conn)?;
    end_sessions_of(conn, &user.id, now)?;
    audit(
        conn,
        NewEntry::new(
            by.clone(),
            "partner_users.disable",
            "partner_user",
            &user.id,
        ),
        now,
    )?;
    Ok(())
}

/// A person's own preferences: the portal's language and whether to mail.
pub fn set_preferences(
    conn: &mut DbConn,
    user_id: &str,
    language: &str,
    notify_by_email: bool,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::update(partner_users::table.find(user_id))
        .set((
            partner_users::language.eq(language),
            partner_users::notify_by_email.eq(notify_by_email),
        ))
        .execute(conn)?;
    audit(
        conn,
        NewEntry::new(
            actor(user_id),
            "partner_users.preferences",
            "partner_user",
            user_id,
        ),
        now,
    )?;
    Ok(())
}

/// Something refused to a person at a partner (a wrong password or code, a
/// page their role does not open), in the audit log as `denied`.
pub fn record_denied(
    conn: &mut DbConn,
    user_id: &str,
    operation: &str,
    request_id: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let entry = NewEntry::new(actor(user_id), operation, "partner_user", user_id)
        .request(request_id)
        .outcome("denied");
    audit(conn, entry, now).map(|_| ())
}

/// A form a person at a partner sent that did something: the command wrote
/// its entry as the partner's (as for an API key); this one says who it
/// was, under the same request id.
pub fn record_act(
    conn: &mut DbConn,
    user_id: &str,
    operation: &str,
    path: &str,
    request_id: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let entry = NewEntry::new(actor(user_id), operation, "portal_form", path).request(request_id);
    audit(conn, entry, now).map(|_| ())
}

/// How many wrong second-factor codes a person gave since `since` (from
/// the audit log, so that it holds across restarts and instances).
pub fn code_failures_since(
    conn: &mut DbConn,
    user_id: &str,
    since: DateTime<Utc>,
) -> Result<i64, DbError> {
    use crate::db::schema::audit_log;
    Ok(audit_log::table
        .filter(audit_log::actor_type.eq("partner_user"))
        .filter(audit_log::actor_id.eq(user_id))
        .filter(audit_log::operation.eq_any(["partner_users.second_factor", "partner_users.enrol"]))
        .filter(audit_log::outcome.eq("denied"))
        .filter(audit_log::at.ge(since.naive_utc()))
        .count()
        .get_result(conn)?)
}
