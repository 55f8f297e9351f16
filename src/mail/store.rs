//! The mail outbox's queries: who is told, the queue itself (claimed by a
//! worker's round under a lease, so that several workers may run), the
//! outcomes, the dead letters, and the staff's choice to be mailed.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::{MailKind, RecipientKind, case_link, portal_link};
use crate::audit::{Actor, NewEntry, stored_time};
use crate::auth::partner_users::PartnerRole;
use crate::db::schema::{mail_outbox, partner_users, referrals, return_cases, staff_mail};
use crate::db::{DbConn, DbError};

/// Queues `kind` about `referral_id` for every person at `partner_id` who
/// takes mail: opted in, not disabled, with a password set (and of `role`,
/// when given), each in their language.
pub fn enqueue_partner_users(
    conn: &mut DbConn,
    partner_id: &str,
    (role, except): (Option<PartnerRole>, Option<&str>),
    kind: MailKind,
    referral_id: &str,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    let mut query = partner_users::table
        .filter(partner_users::partner_id.eq(partner_id))
        .filter(partner_users::notify_by_email.eq(true))
        .filter(partner_users::disabled_at.is_null())
        .filter(partner_users::password_hash.is_not_null())
        .into_boxed();
    if let Some(role) = role {
        query = query.filter(partner_users::role.eq(role.as_str()));
    }
    if let Some(except) = except {
        query = query.filter(partner_users::id.ne(except.to_owned()));
    }
    let people: Vec<(String, String)> = query
        .order(partner_users::id.asc())
        .select((partner_users::id, partner_users::language))
        .load(conn)?;
    let link = portal_link(referral_id);
    for (id, language) in &people {
        insert(
            conn,
            (RecipientKind::PartnerUser, id),
            kind,
            referral_id,
            &link,
            language,
            now,
        )?;
    }
    Ok(people.len())
}

/// Queues `kind` about `referral_id` for its case's caseworker, if they
/// asked to be mailed and are not disabled.
pub fn enqueue_caseworker(
    conn: &mut DbConn,
    kind: MailKind,
    referral_id: &str,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    let case: Option<(String, String)> = referrals::table
        .inner_join(return_cases::table)
        .filter(referrals::id.eq(referral_id))
        .select((return_cases::id, return_cases::caseworker_id))
        .first(conn)
        .optional()?;
    let Some((case_id, caseworker)) = case else {
        return Ok(0);
    };
    let language: Option<String> = staff_mail::table
        .find(&caseworker)
        .filter(staff_mail::notify_by_email.eq(true))
        .filter(staff_mail::disabled_at.is_null())
        .select(staff_mail::language)
        .first(conn)
        .optional()?;
    let Some(language) = language else {
        return Ok(0);
    };
    insert(
        conn,
        (RecipientKind::Staff, &caseworker),
        kind,
        referral_id,
        &case_link(&case_id),
        &language,
        now,
    )?;
    Ok(1)
}

fn insert(
    conn: &mut DbConn,
    (recipient_kind, recipient_id): (RecipientKind, &str),
    kind: MailKind,
    reference: &str,
    link_path: &str,
    language: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let at = stored_time(now);
    diesel::insert_into(mail_outbox::table)
        .values((
            mail_outbox::id.eq(uuid::Uuid::now_v7().to_string()),
            mail_outbox::recipient_kind.eq(recipient_kind),
            mail_outbox::recipient_id.eq(recipient_id),
            mail_outbox::kind.eq(kind),
            mail_outbox::reference.eq(reference),
            mail_outbox::item_count.eq(1),
            mail_outbox::link_path.eq(link_path),
            mail_outbox::language.eq(language),
            mail_outbox::created_at.eq(at),
            mail_outbox::attempts.eq(0),
            mail_outbox::next_attempt_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// A queued mail as the worker sends it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = mail_outbox)]
pub struct Queued {
    pub id: String,
    pub recipient_kind: RecipientKind,
    pub recipient_id: String,
    pub kind: MailKind,
    pub reference: String,
    pub item_count: i32,
    pub link_path: String,
    pub language: String,
    pub attempts: i32,
}

/// Not sent, not given up on.
macro_rules! open {
    () => {
        mail_outbox::sent_at
            .is_null()
            .and(mail_outbox::dead_at.is_null())
    };
}

/// Claims up to `limit` mails that are due and held by no other round, for
/// `round` until `lease` from now, and answers them. On PostgreSQL a
/// round that waited on another's claim finds the rows claimed when it
/// re-reads them, and leaves them.
pub fn claim(
    conn: &mut DbConn,
    round: &str,
    now: DateTime<Utc>,
    lease: std::time::Duration,
    limit: i64,
) -> Result<Vec<Queued>, DbError> {
    let at = stored_time(now);
    let until = stored_time(now + chrono::Duration::from_std(lease).unwrap_or_default());
    let free = || {
        mail_outbox::claimed_until
            .is_null()
            .or(mail_outbox::claimed_until.lt(at))
    };
    let due: Vec<String> = mail_outbox::table
        .filter(open!())
        .filter(mail_outbox::next_attempt_at.le(at))
        .filter(free())
        .order(mail_outbox::next_attempt_at.asc())
        .limit(limit)
        .select(mail_outbox::id)
        .load(conn)?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(
        mail_outbox::table
            .filter(mail_outbox::id.eq_any(&due))
            .filter(open!())
            .filter(free()),
    )
    .set((
        mail_outbox::claimed_by.eq(round),
        mail_outbox::claimed_until.eq(until),
    ))
    .execute(conn)?;
    Ok(mail_outbox::table
        .filter(mail_outbox::id.eq_any(&due))
        .filter(mail_outbox::claimed_by.eq(round))
        .order(mail_outbox::next_attempt_at.asc())
        .select(Queued::as_select())
        .load(conn)?)
}

/// A recipient's address and language, if they still take mail.
pub fn address(
    conn: &mut DbConn,
    kind: RecipientKind,
    id: &str,
) -> Result<Option<String>, DbError> {
    Ok(match kind {
        RecipientKind::PartnerUser => partner_users::table
            .find(id)
            .filter(partner_users::notify_by_email.eq(true))
            .filter(partner_users::disabled_at.is_null())
            .select(partner_users::email)
            .first(conn)
            .optional()?,
        RecipientKind::Staff => staff_mail::table
            .find(id)
            .filter(staff_mail::notify_by_email.eq(true))
            .filter(staff_mail::disabled_at.is_null())
            .select(staff_mail::email)
            .first(conn)
            .optional()?,
    })
}

/// What came of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Tried again at this time.
    Retry {
        error: String,
        at: DateTime<Utc>,
    },
    /// Given up on: the schedule is spent, or nobody takes it any more.
    Dead {
        error: String,
    },
}

/// Writes what came of a claimed mail, if `round` still holds it; answers
/// whether it did.
pub fn record(
    conn: &mut DbConn,
    round: &str,
    id: &str,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let at = stored_time(now);
    let held = mail_outbox::table
        .filter(mail_outbox::id.eq(id))
        .filter(mail_outbox::claimed_by.eq(round))
        .filter(open!());
    let release = (
        mail_outbox::attempts.eq(mail_outbox::attempts + 1),
        mail_outbox::claimed_by.eq(None::<String>),
        mail_outbox::claimed_until.eq(None::<NaiveDateTime>),
    );
    let changed = match outcome {
        Outcome::Sent => diesel::update(held)
            .set((
                release,
                mail_outbox::sent_at.eq(Some(at)),
                mail_outbox::last_error.eq(None::<String>),
            ))
            .execute(conn)?,
        Outcome::Retry { error, at: next } => diesel::update(held)
            .set((
                release,
                mail_outbox::next_attempt_at.eq(stored_time(*next)),
                mail_outbox::last_error.eq(Some(error)),
            ))
            .execute(conn)?,
        Outcome::Dead { error } => diesel::update(held)
            .set((
                release,
                mail_outbox::dead_at.eq(Some(at)),
                mail_outbox::last_error.eq(Some(error)),
            ))
            .execute(conn)?,
    };
    Ok(changed == 1)
}

/// A mail given up on, as `brug mail dead` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct DeadMail {
    pub id: String,
    pub recipient_kind: RecipientKind,
    pub recipient_id: String,
    pub kind: MailKind,
    pub reference: String,
    pub attempts: i32,
    pub dead_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
}

pub fn dead(conn: &mut DbConn) -> Result<Vec<DeadMail>, DbError> {
    Ok(mail_outbox::table
        .filter(mail_outbox::dead_at.is_not_null())
        .order((mail_outbox::dead_at.asc(), mail_outbox::id.asc()))
        .select((
            mail_outbox::id,
            mail_outbox::recipient_kind,
            mail_outbox::recipient_id,
            mail_outbox::kind,
            mail_outbox::reference,
            mail_outbox::attempts,
            mail_outbox::dead_at,
            mail_outbox::last_error,
        ))
        .load(conn)?)
}

/// How many mails are in the dead letters (for `/metrics`).
pub fn dead_count(conn: &mut DbConn) -> Result<i64, DbError> {
    Ok(mail_outbox::table
        .filter(mail_outbox::dead_at.is_not_null())
        .count()
        .get_result(conn)?)
}

/// Where a queued mail stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable)]
pub struct MailState {
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub dead_at: Option<NaiveDateTime>,
}

/// A queued mail's attempts and next attempt (for tests and operators).
pub fn state(conn: &mut DbConn, id: &str) -> Result<Option<MailState>, DbError> {
    Ok(mail_outbox::table
        .find(id)
        .select((
            mail_outbox::attempts,
            mail_outbox::next_attempt_at,
            mail_outbox::sent_at,
            mail_outbox::dead_at,
        ))
        .first(conn)
        .optional()?)
}

/// Every queued mail, oldest first.
pub fn all(conn: &mut DbConn) -> Result<Vec<Queued>, DbError> {
    Ok(mail_outbox::table
        .order(mail_outbox::id.asc())
        .select(Queued::as_select())
        .load(conn)?)
}

/// Queues dead mails again, due now, with a fresh set of retries; answers
/// those that were dead. Kept in the audit log.
pub fn replay(
    conn: &mut DbConn,
    by: &Actor,
    ids: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<String>, DbError> {
    let dead: Vec<String> = mail_outbox::table
        .filter(mail_outbox::id.eq_any(ids))
        .filter(mail_outbox::dead_at.is_not_null())
        .select(mail_outbox::id)
        .load(conn)?;
    if dead.is_empty() {
        return Ok(dead);
    }
    diesel::update(mail_outbox::table.filter(mail_outbox::id.eq_any(&dead)))
        .set((
            mail_outbox::dead_at.eq(None::<NaiveDateTime>),
            mail_outbox::attempts.eq(0),
            mail_outbox::next_attempt_at.eq(stored_time(now)),
            mail_outbox::claimed_by.eq(None::<String>),
            mail_outbox::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    for id in &dead {
        crate::audit::store::append(
            conn,
            NewEntry::new(by.clone(), "mail.replay", "mail", id),
            now,
        )?;
    }
    Ok(dead)
}

/// Turns a staff user's mail on or off (and sets its language, when
/// given), by their (normalised) email; false when there is no such user.
pub fn set_staff_notify(
    conn: &mut DbConn,
    by: &Actor,
    email: &str,
    on: bool,
    language: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let id: Option<String> = staff_mail::table
        .filter(staff_mail::email.eq(email))
        .select(staff_mail::id)
        .first(conn)
        .optional()?;
    let Some(id) = id else {
        return Ok(false);
    };
    diesel::update(staff_mail::table.find(&id))
        .set(staff_mail::notify_by_email.eq(on))
        .execute(conn)?;
    if let Some(language) = language {
        diesel::update(staff_mail::table.find(&id))
            .set(staff_mail::language.eq(language))
            .execute(conn)?;
    }
    crate::audit::store::append(
        conn,
        NewEntry::new(by.clone(), "users.notify", "user", &id),
        now,
    )?;
    Ok(true)
}
