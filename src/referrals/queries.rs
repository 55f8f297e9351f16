//! Audited reads of referrals by their partner: every referral shown is a
//! read of personal data, recorded in the same transaction.

use chrono::{DateTime, Utc};

use super::ReferralStatus;
use super::store::partner_view::{PartnerReferralView, partner_view};
use super::store::{self};
use crate::audit::AuditContext;
use crate::db::DbConn;
use crate::domain::Outcome;
use crate::domain::page::PageRequest;

/// The partner's own referral, as far as consent allows.
pub fn partner_referral(
    conn: &mut DbConn,
    by: &AuditContext,
    partner: &str,
    id: &str,
    now: DateTime<Utc>,
) -> Outcome<PartnerReferralView> {
    let row = store::own(conn, by, id, partner, now)?;
    let view = partner_view(conn, row, now.date_naive())?;
    by.record(conn, "referral", &view.id, now)?;
    Ok(view)
}

/// A page of the partner's referrals, newest first (one more than the
/// page's limit, to tell whether another follows; only those on the page
/// are recorded as read).
pub fn partner_referrals(
    conn: &mut DbConn,
    by: &AuditContext,
    partner: &str,
    status: Option<ReferralStatus>,
    page: &PageRequest,
    now: DateTime<Utc>,
) -> Outcome<Vec<PartnerReferralView>> {
    let rows = store::for_partner(conn, partner, status, page.after.as_deref(), page.fetch())?;
    let mut views = Vec::new();
    for row in rows {
        let view = partner_view(conn, row, now.date_naive())?;
        if views.len() < page.limit as usize {
            by.record(conn, "referral", &view.id, now)?;
        }
        views.push(view);
    }
    Ok(views)
}

/// The partner's open referrals (or its closed ones), newest first: the
/// portal's inbox. Only those shown are recorded as read.
pub fn partner_inbox(
    conn: &mut DbConn,
    by: &AuditContext,
    partner: &str,
    closed: bool,
    limit: i64,
    now: DateTime<Utc>,
) -> Outcome<Vec<PartnerReferralView>> {
    let rows = store::for_partner_by_openness(conn, partner, !closed, limit)?;
    let mut views = Vec::new();
    for row in rows {
        let view = partner_view(conn, row, now.date_naive())?;
        by.record(conn, "referral", &view.id, now)?;
        views.push(view);
    }
    Ok(views)
}
