//! Raising a sustainability alert when a report crosses a threshold (inside
//! the report's own transaction), and a caseworker marking one handled.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use super::store::{self, AlertView};
use super::{Reported, reasons};
use crate::audit::AuditContext;
use crate::db::DbConn;
use crate::domain::{CommandError, Outcome, Refusal};
use crate::monitoring::{Model, Scores};

/// A report just recorded, as the alert rules need it.
pub struct Report<'a> {
    pub partner_id: &'a str,
    pub referral_id: &'a str,
    pub visit_id: &'a str,
    pub held_on: NaiveDate,
    pub scores: &'a Scores,
    pub answers: &'a BTreeMap<String, String>,
}

/// Compares the report with the returnee's previous one on the same
/// referral and, when it crosses any threshold of `model`, keeps one alert
/// with every reason and tells the partner (`sustainability.alert`), in the
/// caller's write transaction. None when nothing crossed.
pub fn raise(
    conn: &mut DbConn,
    model: &Model,
    report: &Report<'_>,
    now: DateTime<Utc>,
) -> Result<Option<AlertView>, CommandError> {
    let previous =
        store::previous_report(conn, report.referral_id, report.visit_id, report.held_on)?;
    let found = reasons(
        model,
        Reported {
            scores: report.scores,
            answers: report.answers,
        },
        previous.as_ref().map(|p| Reported {
            scores: &p.scores,
            answers: &p.answers,
        }),
    );
    if found.is_empty() {
        return Ok(None);
    }
    let id = uuid::Uuid::now_v7().to_string();
    let text = serde_json::to_string(&found)
        .map_err(|e| CommandError::Internal(format!("reasons of alert {id}: {e}")))?;
    let at = crate::audit::stored_time(now);
    store::insert(conn, &id, report.referral_id, report.visit_id, &text, at)?;
    crate::events::store::publish(
        conn,
        "sustainability.alert",
        report.partner_id,
        Some(report.referral_id),
        json!({
            "referral_id": report.referral_id,
            "visit_id": report.visit_id,
            "alert_id": id,
            "reasons": found,
        }),
        now,
    )?;
    store::get(conn, &id)?
        .map(Some)
        .ok_or_else(|| CommandError::Internal(format!("alert {id} vanished")))
}

/// A caseworker marks an alert handled (the plan revisited): it leaves
/// their queue. Handled already (by a colleague, say), it stays as it was.
pub fn handle(
    conn: &mut DbConn,
    by: &AuditContext,
    id: &str,
    now: DateTime<Utc>,
) -> Outcome<AlertView> {
    if store::get(conn, id)?.is_none() {
        return Err(Refusal::not_found("sustainability alert").into());
    }
    store::mark_handled(conn, id, &by.actor.id, crate::audit::stored_time(now))?;
    by.record(conn, "sustainability_alert", id, now)?;
    store::get(conn, id)?.ok_or_else(|| CommandError::Internal(format!("alert {id} vanished")))
}
