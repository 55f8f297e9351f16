//! Keeping the departure checklist: the staff change any task, a partner
//! completes its own.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::super::store::checklist::{self, ChecklistItemView, ItemChange};
use super::super::store::partner_view::{PartnerChecklistItem, partner_item, shared_now};
use super::super::store::{self, ReferralRow};
use super::super::{ChecklistOwner, ChecklistStatus};
use crate::audit::AuditContext;
use crate::db::{DbConn, Locked, lock_row};
use crate::domain::{CommandError, Conflict, Denial, Outcome, Refusal};
use crate::events::store as events;

/// The staff change a checklist item; what is absent stays.
pub fn update_item(
    conn: &mut DbConn,
    by: &AuditContext,
    item_id: &str,
    change: &ItemChange,
    now: DateTime<Utc>,
) -> Outcome<ChecklistItemView> {
    let item = checklist::item(conn, item_id)?.ok_or(Refusal::not_found("checklist item"))?;
    lock_row(conn, Locked::Referrals, &item.referral_id)?;
    let referral = store::get_row(conn, &item.referral_id)?
        .ok_or_else(|| CommandError::Internal(format!("referral of item {} vanished", item.id)))?;
    change_item(conn, by, &referral, &item, change, now)
}

/// A partner completes one of its own tasks on its own referral; a task of
/// a category its consent does not share is not found, like any other
/// thing the partner may not see.
pub fn complete_item(
    conn: &mut DbConn,
    by: &AuditContext,
    partner: &str,
    referral_id: &str,
    item_id: &str,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Outcome<PartnerChecklistItem> {
    lock_row(conn, Locked::Referrals, referral_id)?;
    let referral = store::own(conn, by, referral_id, partner, now)?;
    // A closed referral says so (409) in `change_item`; an open one shows
    // only the tasks its consent shares.
    let shared = shared_now(conn, &referral, now.date_naive())?;
    let item = checklist::item(conn, item_id)?
        .filter(|item| item.referral_id == referral.id)
        .filter(|item| !referral.status.is_open() || shared.checklist_kind(&item.kind))
        .ok_or(Refusal::not_found("checklist item"))?;
    if item.owner != ChecklistOwner::Partner {
        return Err(Refusal::forbidden(
            Denial::NotYourTask,
            format!(
                "This task is the {}'s; a partner completes only its own tasks.",
                item.owner
            ),
        )
        .into());
    }
    let change = ItemChange {
        status: Some(ChecklistStatus::Done),
        note: note.map(Some),
        ..ItemChange::default()
    };
    let done = change_item(conn, by, &referral, &item, &change, now)?;
    partner_item(done, &shared).ok_or_else(|| Refusal::not_found("checklist item").into())
}

/// A checklist closes with its referral.
fn change_item(
    conn: &mut DbConn,
    by: &AuditContext,
    referral: &ReferralRow,
    item: &ChecklistItemView,
    change: &ItemChange,
    now: DateTime<Utc>,
) -> Outcome<ChecklistItemView> {
    if !referral.status.is_open() {
        return Err(Refusal::conflict(
            Conflict::ReferralClosed,
            format!(
                "The referral is {}; its checklist is closed.",
                referral.status
            ),
        )
        .into());
    }
    checklist::update(conn, &item.id, change, &by.actor, now)?;
    events::publish(
        conn,
        "checklist.updated",
        &referral.partner_id,
        Some(&referral.id),
        json!({"referral_id": referral.id, "checklist_item_id": item.id}),
        now,
    )?;
    by.record(conn, "checklist_item", &item.id, now)?;
    checklist::item(conn, &item.id)?
        .ok_or_else(|| CommandError::Internal(format!("item {} vanished", item.id)))
}
