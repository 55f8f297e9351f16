//! The return case as the staff see it: the case, its referrals with their
//! SLA flags, the checklist of its current referral, and its history. It
//! shows referrals, so it lives here rather than in `cases`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::store::checklist::{self, ChecklistItemView};
use super::store::{self, ReferralView};
use crate::audit::AuditContext;
use crate::cases::store::{self as cases, CaseView};
use crate::db::{DbConn, DbError};
use crate::domain::{Outcome, Refusal};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReturnCaseView {
    #[serde(flatten)]
    pub case: CaseView,
    pub referrals: Vec<ReferralView>,
    pub checklist: Vec<ChecklistItemView>,
}

impl ReturnCaseView {
    /// A case just opened: no referrals yet, so no checklist.
    pub fn opened(case: CaseView) -> Self {
        Self {
            case,
            referrals: Vec::new(),
            checklist: Vec::new(),
        }
    }
}

/// The flag of an open referral whose consent has ended: the partner sees
/// nothing of what it covered until the caseworker acts.
pub const CONSENT_EXPIRED: &str = "consent_expired";

/// The case with its referrals (and their SLA flags on `today`) and the
/// checklist of its current referral: the open one that has a checklist.
fn build(
    conn: &mut DbConn,
    id: &str,
    today: NaiveDate,
    not_departed_after_days: u32,
) -> Result<Option<ReturnCaseView>, DbError> {
    let Some(case) = cases::view(conn, id)? else {
        return Ok(None);
    };
    let mut referrals = store::for_case(conn, &case.id, today)?;
    for referral in &mut referrals {
        referral.flags = referral
            .clock(case.planned_departure_on)
            .flags(today, not_departed_after_days);
        if referral.consent_expired_at.is_some() && referral.status.is_open() {
            referral.flags.push(CONSENT_EXPIRED);
        }
    }
    let current = referrals
        .iter()
        .find(|r| r.has_checklist() && r.status.is_open());
    let checklist = match current {
        Some(current) => checklist::checklist(conn, &current.id)?,
        None => Vec::new(),
    };
    Ok(Some(ReturnCaseView {
        case,
        referrals,
        checklist,
    }))
}

/// The case, read by the staff.
pub fn get(
    conn: &mut DbConn,
    by: &AuditContext,
    id: &str,
    not_departed_after_days: u32,
    now: DateTime<Utc>,
) -> Outcome<ReturnCaseView> {
    let view = build(conn, id, now.date_naive(), not_departed_after_days)?
        .ok_or(Refusal::not_found("return case"))?;
    by.record(conn, "return_case", &view.case.id, now)?;
    Ok(view)
}

/// The checklist of the case's current referral, read by the staff.
pub fn checklist(
    conn: &mut DbConn,
    by: &AuditContext,
    id: &str,
    now: DateTime<Utc>,
) -> Outcome<Vec<ChecklistItemView>> {
    let view = build(conn, id, now.date_naive(), 0)?.ok_or(Refusal::not_found("return case"))?;
    by.record(conn, "return_case", &view.case.id, now)?;
    Ok(view.checklist)
}
