//! Every operation that moves a referral: each one function that checks the
//! rules, writes the change with its history, the case's history, the audit
//! entry and the outbox event, in the caller's transaction. Sending, the
//! checklist and what follows departure are beside this file.

pub mod after_departure;
pub mod checklist;
pub mod consent_expiry;
pub mod drafts;
pub mod send;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::store::partner_view::{PartnerReferralView, partner_view};
use super::store::{self, ReferralRow, ReferralView, StepNote};
use super::vocabulary::{Decline, DeclineReason, Hold, StatusReason};
use super::{Action, CONSENT_WITHDRAWN, ChecklistTemplateItem, OptionalNote, ReferralStatus};
use crate::audit::AuditContext;
use crate::cases::store as cases;
use crate::consent::store::ConsentView;
use crate::db::{DbConn, Locked, lock_row};
use crate::domain::{CommandError, Conflict, Outcome, Refusal};
use crate::events::store as events;

/// What a transition needs besides the action.
struct Move<'a> {
    action: Action,
    reason: Option<&'a str>,
    /// A partner moves only its own referrals; others are "not found".
    partner_scope: Option<&'a str>,
    departed_on: Option<NaiveDate>,
    /// The checklist an accepted referral starts with.
    checklist: &'a [ChecklistTemplateItem],
    /// A decline's code.
    decline_code: Option<DeclineReason>,
    /// A hold's reason and review date.
    hold: Option<&'a Hold>,
}

impl<'a> Move<'a> {
    fn new(action: Action, reason: Option<&'a str>) -> Self {
        Self {
            action,
            reason,
            partner_scope: None,
            departed_on: None,
            checklist: &[],
            decline_code: None,
            hold: None,
        }
    }

    fn by_partner(self, partner: &'a str) -> Self {
        Self {
            partner_scope: Some(partner),
            ..self
        }
    }
}

/// Moves a referral by the state machine: the step must be allowed from the
/// status read, and still be the status when written.
fn transition(
    conn: &mut DbConn,
    by: &AuditContext,
    id: &str,
    step: Move<'_>,
    now: DateTime<Utc>,
) -> Outcome<ReferralRow> {
    lock_row(conn, Locked::Referrals, id)?;
    let row = match step.partner_scope {
        Some(partner) => store::own(conn, by, id, partner, now)?,
        None => store::any(conn, id)?,
    };
    let current = row.status;
    let next = current.step(step.action, step.partner_scope.is_some())?;
    if !store::move_status(
        conn,
        &row.id,
        current,
        next,
        step.action,
        step.departed_on,
        now,
    )? {
        return Err(Refusal::conflict(
            Conflict::ChangedMeanwhile,
            "The referral changed while this request ran; fetch it and try again.",
        )
        .into());
    }
    let note = StepNote {
        reason: step.reason,
        reason_code: step.decline_code,
        resumed: step.action == Action::Resume,
    };
    store::push_history(conn, &row.id, next, &by.actor, note, now)?;
    match (step.action, step.decline_code, step.hold) {
        (Action::Decline, Some(code), _) => store::set_decline_code(conn, &row.id, code)?,
        (Action::Hold, _, Some(hold)) => {
            store::set_hold(conn, &row.id, hold.reason.trim(), hold.review_on, now)?
        }
        (Action::Resume, _, _) => store::clear_hold(conn, &row, now)?,
        _ => {}
    }
    // A resume returns to `accepted` but is told as what it is.
    let change = match step.action {
        Action::Resume => "referral_resumed".to_owned(),
        _ => format!("referral_{next}"),
    };
    cases::add_history(
        conn,
        &row.return_case_id,
        &by.actor,
        &change,
        step.reason,
        now,
    )?;
    if step.action == Action::Accept {
        let case = cases::row(conn, &row.return_case_id)?
            .ok_or_else(|| CommandError::Internal(format!("case of {} vanished", row.id)))?;
        store::checklist::create(
            conn,
            &row.id,
            case.planned_departure_on,
            step.checklist,
            &by.actor,
            now,
        )?;
    }
    // A referral that ends takes its portal drafts with it: nothing of it
    // waits for a sign-off any more.
    if !next.is_open() {
        store::drafts::discard_open(conn, &row.id, now.naive_utc())?;
    }
    let moved = store::reread(conn, &row.id)?;
    announce(conn, &moved, Some(step.action), next, now)?;
    Ok(moved)
}

/// Tells the partner, through the outbox, that its referral reached a
/// status: `referral.resumed` for a resume (back to `accepted`), the
/// status's own event otherwise; a hold says its review date, a decline its
/// code.
fn announce(
    conn: &mut DbConn,
    row: &ReferralRow,
    action: Option<Action>,
    status: ReferralStatus,
    now: DateTime<Utc>,
) -> Outcome<()> {
    let event_type = match action {
        Some(Action::Resume) => "referral.resumed",
        _ => status.event_type(),
    };
    let mut payload = json!({"referral_id": row.id, "return_case_id": row.return_case_id, "status": status.as_str()});
    if status == ReferralStatus::OnHold {
        payload["review_on"] = json!(row.hold_review_on);
    }
    if let (ReferralStatus::Rejected, Some(code)) = (status, row.decline_reason_code) {
        payload["status_reason"] = json!(StatusReason::from(code));
    }
    events::publish(
        conn,
        event_type,
        &row.partner_id,
        Some(&row.id),
        payload,
        now,
    )?;
    Ok(())
}

/// The staff cancel a referral, with a reason.
pub fn cancel(
    conn: &mut DbConn,
    by: &AuditContext,
    id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Outcome<ReferralView> {
    let moved = transition(
        conn,
        by,
        id,
        Move::new(Action::Cancel, Some(reason.trim())),
        now,
    )?;
    by.record(conn, "referral", &moved.id, now)?;
    Ok(store::view(conn, moved, now.date_naive())?)
}

/// A partner moves its own referral (acknowledge, decline) and sees it.
fn partner_step(
    conn: &mut DbConn,
    by: &AuditContext,
    partner: &str,
    id: &str,
    step: Move<'_>,
    now: DateTime<Utc>,
) -> Outcome<PartnerReferralView> {
    let moved = transition(conn, by, id, step.by_partner(partner), now)?;
    by.record(conn, "referral", &moved.id, now)?;
    partner_view(conn, moved, now.date_naive())
}

/// The partner acknowledges that it received the referral.
pub fn acknowledge(
    conn: &mut DbConn,
    by: &AuditContext,
    partner: &str,
    id: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Outcome<PartnerReferralView> {
    let step = Move::new(Action::Acknowledge, note.map(str::trim));
    partner_step(conn, by, partner, id, step, now)
}

/// The partner accepts the referral; its departure checklist starts from
/// `checklist`.
pub fn accept(
    conn: &mut DbConn,
    by: &AuditContext,
    partner: &str,
    id: &str,
    note: Option<&str>,
    checklist: &[ChecklistTemplateItem],
    now: DateTime<Utc>,
) -> Outcome<PartnerReferralView> {
    let step = Move {
        checklist,
        ..Move::new(Action::Accept, note.map(str::trim))
    };
    partner_step(conn, by, partner, id, step, now)
}

/// The partner declines the referral, with a coded reason (and words
/// beside it, required for `other`).
pub fn decline(
    conn: &mut DbConn,
    by: &AuditContext,
    partner: &str,
    id: &str,
    decline: &Decline,
    now: DateTime<Utc>,
) -> Outcome<PartnerReferralView> {
    let (code, reason) = decline.resolved()?;
    let step = Move {
        decline_code: Some(code),
        ..Move::new(Action::Decline, reason)
    };
    partner_step(conn, by, partner, id, step, now)
}

/// The partner puts its accepted referral on hold, with a reason and the
/// date it reviews the hold; SLA clocks stand still until it resumes.
pub fn hold(
    conn: &mut DbConn,
    by: &AuditContext,
    partner: &str,
    id: &str,
    hold: &Hold,
    now: DateTime<Utc>,
) -> Outcome<PartnerReferralView> {
    hold.check(now.date_naive())?;
    let step = Move {
        hold: Some(hold),
        ..Move::new(Action::Hold, Some(hold.reason.trim()))
    };
    partner_step(conn, by, partner, id, step, now)
}

/// The partner resumes a referral it put on hold: it is accepted again,
/// and its not-departed deadline moves back by the days held.
pub fn resume(
    conn: &mut DbConn,
    by: &AuditContext,
    partner: &str,
    id: &str,
    body: &OptionalNote,
    now: DateTime<Utc>,
) -> Outcome<PartnerReferralView> {
    let note = body
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let step = Move::new(Action::Resume, note);
    partner_step(conn, by, partner, id, step, now)
}

/// Records that the person departed: the case's accepted referral moves on.
pub fn record_departure(
    conn: &mut DbConn,
    by: &AuditContext,
    case_id: &str,
    departed_on: NaiveDate,
    now: DateTime<Utc>,
) -> Outcome<ReferralView> {
    cases::row(conn, case_id)?.ok_or(Refusal::not_found("return case"))?;
    let Some(accepted) = store::accepted_for_case(conn, case_id)? else {
        return Err(Refusal::conflict(
            Conflict::NoAcceptedReferral,
            "A departure can be recorded once a partner has accepted the referral.",
        )
        .into());
    };
    let step = Move {
        departed_on: Some(departed_on),
        ..Move::new(Action::Depart, None)
    };
    let moved = transition(conn, by, &accepted.id, step, now)?;
    by.record(conn, "referral", &moved.id, now)?;
    Ok(store::view(conn, moved, now.date_naive())?)
}

/// Withdraws a consent; nothing more is shared, so every open referral
/// that relies on it is cancelled now and its partner told.
pub fn withdraw_consent(
    conn: &mut DbConn,
    by: &AuditContext,
    consent_id: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Outcome<ConsentView> {
    let consent = crate::consent::commands::withdraw(conn, by, consent_id, reason, now)?;
    for row in store::open_under_consent(conn, &consent.id)? {
        let step = Move::new(Action::Cancel, Some(CONSENT_WITHDRAWN));
        let moved = transition(conn, by, &row.id, step, now)?;
        events::publish(
            conn,
            "consent.withdrawn",
            &moved.partner_id,
            Some(&moved.id),
            json!({"consent_id": consent.id, "referral_id": moved.id}),
            now,
        )?;
        by.record(conn, "referral", &moved.id, now)?;
    }
    Ok(consent)
}
