//! Consent over time, run by the worker: the partner of each open referral
//! hears once that the consent it shares under ends soon
//! (`consent.expiring`), and once that it has ended (`consent.expired`),
//! which also flags the referral for its caseworker. Sharing itself stops
//! when `valid_until` has passed, on the partner's next read, through the
//! same check as a withdrawal (`store::partner_view::shared_now`); this
//! only tells people. Events carry ids (and the consent's last day), as
//! `consent.withdrawn` does.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::super::store::consent_expiry as store;
use crate::audit::{Actor, AuditContext};
use crate::db::{DbConn, DbError};
use crate::events::store as events;

/// What one look did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpiryRound {
    /// Partners told their consent ends within the warning days.
    pub warned: usize,
    /// Referrals whose consent had ended, flagged and their partners told.
    pub ended: usize,
}

impl ExpiryRound {
    pub fn total(self) -> usize {
        self.warned + self.ended
    }
}

/// Looks at the consents that open referrals share under, as of `now`:
/// an ended one flags its referrals and tells their partners; one ending
/// within `warning_days` (today included) warns them. Each happens once per
/// referral, whichever instance's worker gets there first; a consent
/// already ended when first seen (after a long stop, say) is not warned of,
/// only ended. Inside the caller's write transaction.
pub fn look(
    conn: &mut DbConn,
    warning_days: u32,
    now: DateTime<Utc>,
) -> Result<ExpiryRound, DbError> {
    let today = now.date_naive();
    let at = crate::audit::stored_time(now);
    let by = |operation| AuditContext::new(Actor::system("consent-expiry"), operation, None);
    let mut round = ExpiryRound::default();
    let ended = by("referrals.consent_expired");
    for sharing in store::ended_unflagged(conn, today)? {
        if !store::mark_ended(conn, &sharing.referral_id, at)? {
            continue;
        }
        round.ended += 1;
        events::publish(
            conn,
            "consent.expired",
            &sharing.partner_id,
            Some(&sharing.referral_id),
            json!({"consent_id": sharing.consent_id, "referral_id": sharing.referral_id}),
            now,
        )?;
        ended.record(conn, "referral", &sharing.referral_id, now)?;
    }
    let warned = by("referrals.consent_expiring");
    let last_day = today + Duration::days(i64::from(warning_days));
    for sharing in store::ending_unwarned(conn, today, last_day)? {
        if !store::mark_warned(conn, &sharing.referral_id, at)? {
            continue;
        }
        round.warned += 1;
        events::publish(
            conn,
            "consent.expiring",
            &sharing.partner_id,
            Some(&sharing.referral_id),
            json!({
                "consent_id": sharing.consent_id,
                "referral_id": sharing.referral_id,
                "valid_until": sharing.valid_until,
            }),
            now,
        )?;
        warned.record(conn, "referral", &sharing.referral_id, now)?;
    }
    Ok(round)
}
