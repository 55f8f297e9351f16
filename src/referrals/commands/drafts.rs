//! Four eyes: a person at a partner drafts a reintegration plan, a
//! monitoring report or a closure; a coordinator (someone else) submits it,
//! through the very command the API's single-step submission runs.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::after_departure;
use crate::audit::store::append as audit;
use crate::audit::{AuditContext, NewEntry};
use crate::auth::partner_users::actor;
use crate::db::{DbConn, Locked, lock_row};
use crate::domain::{Conflict, Outcome, Refusal};
use crate::monitoring::{Model, MonitoringReport};
use crate::referrals::plan::NewPlan;
use crate::referrals::store::drafts::{self, Draft, DraftKind, DraftStatus};
use crate::referrals::store::{self as referral_store};
use crate::referrals::{Closure, ReferralStatus};

/// Keeps a draft (already parsed as the API would parse it) for the
/// partner's own referral, while that step can still be taken.
#[allow(clippy::too_many_arguments)]
pub fn save(
    conn: &mut DbConn,
    by: &AuditContext,
    partner: &str,
    user_id: &str,
    referral_id: &str,
    kind: DraftKind,
    body: &Value,
    now: DateTime<Utc>,
) -> Outcome<String> {
    lock_row(conn, Locked::Referrals, referral_id)?;
    let row = referral_store::own(conn, by, referral_id, partner, now)?;
    match kind {
        DraftKind::Plan
            if !matches!(
                row.status,
                ReferralStatus::Accepted | ReferralStatus::InProgress
            ) =>
        {
            return Err(row
                .status
                .refuse("draft a plan", "a plan is for an accepted referral")
                .into());
        }
        DraftKind::Monitoring | DraftKind::Closure => row.status.after_departure("draft")?,
        _ => {}
    }
    let id = drafts::insert(conn, &row.id, kind, body, user_id, now.naive_utc())?;
    // The coordinators hear that something waits for their sign-off (the
    // one who drafted it excepted: another must sign).
    crate::mail::notify_colleagues(
        conn,
        partner,
        Some(crate::auth::partner_users::PartnerRole::Coordinator),
        crate::mail::MailKind::DraftWaiting,
        &row.id,
        Some(user_id),
        now,
    )?;
    let entry = NewEntry::new(actor(user_id), "portal.drafts.save", "referral", &row.id)
        .request(by.request_id.clone());
    audit(conn, entry, now)?;
    Ok(id)
}

/// The draft of the partner's own referral, or "not found".
fn own_draft(
    conn: &mut DbConn,
    by: &AuditContext,
    partner: &str,
    draft_id: &str,
    now: DateTime<Utc>,
) -> Outcome<Draft> {
    let draft = drafts::get(conn, draft_id)?.ok_or(Refusal::not_found("draft"))?;
    referral_store::own(conn, by, &draft.referral_id, partner, now)
        .map_err(|_| Refusal::not_found("draft"))?;
    if draft.status != DraftStatus::Draft {
        return Err(Refusal::conflict(
            Conflict::DraftDecided,
            format!("This draft was {} already.", draft.status),
        )
        .into());
    }
    Ok(draft)
}

/// What a submission did, for the page that follows.
pub struct Submitted {
    pub referral_id: String,
    pub kind: DraftKind,
}

/// A coordinator submits a colleague's draft: the API's own command runs
/// with the draft's body (with its rules, audit entry and event), the
/// draft marked submitted in the same transaction. Whoever drafted it may
/// not submit it.
#[allow(clippy::too_many_arguments)]
pub fn submit(
    conn: &mut DbConn,
    by: &AuditContext,
    partner: &str,
    user_id: &str,
    draft_id: &str,
    model: &Model,
    now: DateTime<Utc>,
) -> Outcome<Submitted> {
    let draft = own_draft(conn, by, partner, draft_id, now)?;
    if draft.drafted_by == user_id {
        return Err(Refusal::conflict(
            Conflict::FourEyes,
            "Four eyes: a colleague must submit what you drafted.",
        )
        .into());
    }
    // Marked submitted first: the step it runs may end the referral, and
    // with it every draft still open (all of it is one transaction).
    if !drafts::decide(
        conn,
        &draft.id,
        DraftStatus::Submitted,
        user_id,
        now.naive_utc(),
    )? {
        return Err(
            Refusal::conflict(Conflict::DraftDecided, "This draft was decided already.").into(),
        );
    }
    let parse = |what: &str| Refusal::field("body", format!("the draft is not a valid {what}"));
    match draft.kind {
        DraftKind::Plan => {
            let plan: NewPlan =
                serde_json::from_value(draft.body.clone()).map_err(|_| parse("plan"))?;
            after_departure::submit_plan(conn, by, partner, &draft.referral_id, &plan, now)?;
        }
        DraftKind::Monitoring => {
            let report: MonitoringReport =
                serde_json::from_value(draft.body.clone()).map_err(|_| parse("report"))?;
            after_departure::report_monitoring(
                conn,
                by,
                partner,
                &draft.referral_id,
                &report,
                model,
                now,
            )?;
        }
        DraftKind::Closure => {
            let closure: Closure =
                serde_json::from_value(draft.body.clone()).map_err(|_| parse("closure"))?;
            after_departure::close(conn, by, partner, &draft.referral_id, closure.outcome, now)?;
        }
    }
    let entry = NewEntry::new(
        actor(user_id),
        "portal.drafts.submit",
        "referral",
        &draft.referral_id,
    )
    .request(by.request_id.clone());
    audit(conn, entry, now)?;
    Ok(Submitted {
        referral_id: draft.referral_id,
        kind: draft.kind,
    })
}

/// Discards a draft of the partner's own referral.
pub fn discard(
    conn: &mut DbConn,
    by: &AuditContext,
    partner: &str,
    user_id: &str,
    draft_id: &str,
    now: DateTime<Utc>,
) -> Outcome<String> {
    let draft = own_draft(conn, by, partner, draft_id, now)?;
    drafts::decide(
        conn,
        &draft.id,
        DraftStatus::Discarded,
        user_id,
        now.naive_utc(),
    )?;
    let entry = NewEntry::new(
        actor(user_id),
        "portal.drafts.discard",
        "referral",
        &draft.referral_id,
    )
    .request(by.request_id.clone());
    audit(conn, entry, now)?;
    Ok(draft.referral_id)
}
