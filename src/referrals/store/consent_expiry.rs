//! The open referrals whose consent ends: those to warn, those whose
//! consent has ended, and the marks that make each happen once.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::super::ReferralStatus;
use crate::db::schema::{consents, referrals};
use crate::db::{DbConn, DbError};

/// An open referral sharing under a consent that ends.
#[derive(Debug, Clone, Queryable)]
pub struct Sharing {
    pub referral_id: String,
    pub partner_id: String,
    pub consent_id: String,
    pub valid_until: NaiveDate,
}

/// Open referrals under a consent, not withdrawn, whose `valid_until` lies
/// within `from..=to`.
fn sharing_until(
    conn: &mut DbConn,
    from: Option<NaiveDate>,
    to: NaiveDate,
    unwarned: bool,
) -> Result<Vec<Sharing>, DbError> {
    let mut query = referrals::table
        .inner_join(consents::table.on(consents::id.eq(referrals::consent_id)))
        .filter(consents::withdrawn_at.is_null())
        .filter(consents::valid_until.le(to))
        .filter(referrals::status.eq_any(ReferralStatus::open()))
        .filter(referrals::consent_expired_at.is_null())
        .into_boxed();
    if let Some(from) = from {
        query = query.filter(consents::valid_until.ge(from));
    }
    if unwarned {
        query = query.filter(referrals::consent_expiring_at.is_null());
    }
    Ok(query
        .order(referrals::id.asc())
        .select((
            referrals::id,
            referrals::partner_id,
            consents::id,
            consents::valid_until.assume_not_null(),
        ))
        .load(conn)?)
}

/// Open referrals whose consent ended before `today` and that are not
/// flagged yet.
pub fn ended_unflagged(conn: &mut DbConn, today: NaiveDate) -> Result<Vec<Sharing>, DbError> {
    match today.pred_opt() {
        Some(yesterday) => sharing_until(conn, None, yesterday, false),
        None => Ok(Vec::new()),
    }
}

/// Open referrals whose consent ends from `today` to `last_day` and whose
/// partner was not warned yet.
pub fn ending_unwarned(
    conn: &mut DbConn,
    today: NaiveDate,
    last_day: NaiveDate,
) -> Result<Vec<Sharing>, DbError> {
    sharing_until(conn, Some(today), last_day, true)
}

/// Marks the partner of `referral_id` warned, unless it was already;
/// whether this did. Another instance's worker that read the same referral
/// waits for this mark, then finds it taken.
pub fn mark_warned(
    conn: &mut DbConn,
    referral_id: &str,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    let changed = diesel::update(
        referrals::table
            .find(referral_id)
            .filter(referrals::consent_expiring_at.is_null()),
    )
    .set(referrals::consent_expiring_at.eq(at))
    .execute(conn)?;
    Ok(changed > 0)
}

/// Flags `referral_id` as sharing under an ended consent, unless it is
/// already; whether this did.
pub fn mark_ended(
    conn: &mut DbConn,
    referral_id: &str,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    let changed = diesel::update(
        referrals::table
            .find(referral_id)
            .filter(referrals::consent_expired_at.is_null()),
    )
    .set(referrals::consent_expired_at.eq(at))
    .execute(conn)?;
    Ok(changed > 0)
}
