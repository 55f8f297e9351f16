//! Sending a return case to a partner, under a consent that covers it.

use chrono::{DateTime, Utc};

use super::super::store::send::{partner_terms, serves};
use super::super::store::{self, NewReferralRow, ReferralView};
use super::super::{NewReferral, ReferralStatus, add_working_days, consent_gaps};
use super::announce;
use crate::audit::AuditContext;
use crate::cases::CaseStatus;
use crate::cases::store as cases;
use crate::config::SlaSettings;
use crate::consent::store as consents;
use crate::db::{DbConn, Locked, lock_row};
use crate::domain::{Conflict, Outcome, Refusal};

/// Sends a case to a partner that works in its destination, under a
/// consent of the client that covers it; one open referral per case. The
/// partner's own SLA, where it has one, sets the due dates.
pub fn send(
    conn: &mut DbConn,
    by: &AuditContext,
    case_id: &str,
    input: &NewReferral,
    sla: &SlaSettings,
    now: DateTime<Utc>,
) -> Outcome<ReferralView> {
    // A withdrawal of the consent, a second referral of the case: each
    // waits for this one (consent before case, as withdrawing does).
    lock_row(conn, Locked::Consents, &input.consent_id.to_string())?;
    lock_row(conn, Locked::ReturnCases, case_id)?;
    let case = cases::row(conn, case_id)?.ok_or(Refusal::not_found("return case"))?;
    if case.status != CaseStatus::Open {
        return Err(Refusal::conflict(Conflict::CaseClosed, "This return case is closed.").into());
    }
    let partner_id = input.partner_id.as_str();
    let Some(terms) = partner_terms(conn, partner_id)? else {
        return Err(Refusal::field("partner_id", "is not a partner in the directory").into());
    };
    let consent_id = input.consent_id.to_string();
    let today = now.date_naive();
    let consent = match consents::get(conn, &consent_id, today)? {
        Some(consent) if consent.client_id == case.client_id => consent,
        _ => return Err(Refusal::field("consent_id", "is not a consent of this client").into()),
    };
    if !serves(conn, partner_id, &case.destination_country)? {
        return Err(Refusal::field(
            "partner_id",
            format!("does not work in {}", case.destination_country),
        )
        .into());
    }
    if terms.status != "active" {
        return Err(Refusal::conflict(
            Conflict::PartnerNotActive,
            format!(
                "{partner_id} is {} and takes no new referrals.",
                terms.status
            ),
        )
        .into());
    }
    let missing = consent_gaps(&consent, partner_id, &case.destination_country);
    if !missing.is_empty() {
        return Err(Refusal::conflict(
            Conflict::ConsentMissing,
            format!(
                "No valid consent covers this referral: {}.",
                missing.join("; ")
            ),
        )
        .with("missing", missing)
        .into());
    }
    if let Some(existing) = store::open_on_case(conn, case_id)? {
        return Err(Refusal::conflict(
            Conflict::ReferralOpen,
            "This case has an open referral; cancel it, or wait for the partner's decision, first.",
        )
        .with("open_referral_id", existing)
        .into());
    }
    let days =
        |n: Option<i32>, default: u32| n.and_then(|n| u32::try_from(n).ok()).unwrap_or(default);
    let id = uuid::Uuid::now_v7().to_string();
    let stamp = now.naive_utc();
    let row = NewReferralRow {
        id: &id,
        return_case_id: case_id,
        partner_id,
        consent_id: &consent_id,
        status: ReferralStatus::Requested,
        sent_at: stamp,
        sent_by: &by.actor.id,
        acknowledge_due_on: add_working_days(
            today,
            days(
                terms.sla_acknowledge_working_days,
                sla.acknowledge_working_days,
            ),
        ),
        decide_due_on: add_working_days(
            today,
            days(terms.sla_decide_working_days, sla.decide_working_days),
        ),
        acknowledged_at: None,
        decided_at: None,
        departed_on: None,
        arrived_on: None,
        closed_at: None,
        updated_at: stamp,
        arrival_received: None,
        outcome: None,
    };
    store::insert(conn, &row)?;
    let note = store::StepNote::default();
    store::push_history(conn, &id, ReferralStatus::Requested, &by.actor, note, now)?;
    cases::add_history(
        conn,
        case_id,
        &by.actor,
        "referral_sent",
        Some(partner_id),
        now,
    )?;
    let row = store::reread(conn, &id)?;
    announce(conn, &row, None, ReferralStatus::Requested, now)?;
    by.record(conn, "referral", &id, now)?;
    Ok(store::view(conn, row, today)?)
}
