//! Sustainability alerts as kept: one per report that raised one, with its
//! reasons, until a caseworker marks it handled.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::AlertReason;
use crate::db::schema::{monitoring_visits, sustainability_alerts};
use crate::db::{DbConn, DbError};
use crate::monitoring::{Scores, VisitStatus};

/// An alert as the partner, the API and the pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AlertView {
    pub id: String,
    pub referral_id: String,
    /// The monitoring visit whose report raised it.
    pub visit_id: String,
    /// Every reason, in the order the rules found them.
    pub reasons: Vec<AlertReason>,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub raised_at: NaiveDateTime,
    /// When the caseworker marked it handled; `null` while open.
    #[serde(serialize_with = "crate::domain::utc::serialize_option")]
    pub handled_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = sustainability_alerts)]
struct AlertRow {
    id: String,
    referral_id: String,
    visit_id: String,
    reasons: String,
    raised_at: NaiveDateTime,
    handled_at: Option<NaiveDateTime>,
}

impl AlertRow {
    fn view(self) -> AlertView {
        AlertView {
            // Written by `insert` from the same type; an unreadable row
            // (edited by hand) shows without reasons rather than failing.
            reasons: serde_json::from_str(&self.reasons).unwrap_or_default(),
            id: self.id,
            referral_id: self.referral_id,
            visit_id: self.visit_id,
            raised_at: self.raised_at,
            handled_at: self.handled_at,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = sustainability_alerts)]
struct NewAlertRow<'a> {
    id: &'a str,
    referral_id: &'a str,
    visit_id: &'a str,
    reasons: &'a str,
    raised_at: NaiveDateTime,
}

/// A report as kept, for the comparison: its scores and answers.
pub struct PastReport {
    pub scores: Scores,
    pub answers: BTreeMap<String, String>,
}

/// The returnee's report before this visit's on the same referral: the
/// done visit held last on or before `held_on` (the latest reported of a
/// day), other than `visit_id`.
pub fn previous_report(
    conn: &mut DbConn,
    referral_id: &str,
    visit_id: &str,
    held_on: NaiveDate,
) -> Result<Option<PastReport>, DbError> {
    type Kept = (
        Option<f64>,
        Option<f64>,
        Option<f64>,
        Option<f64>,
        Option<String>,
    );
    let row: Option<Kept> = monitoring_visits::table
        .filter(monitoring_visits::referral_id.eq(referral_id))
        .filter(monitoring_visits::id.ne(visit_id))
        .filter(monitoring_visits::status.eq(VisitStatus::Done))
        .filter(monitoring_visits::held_on.le(held_on))
        .order((
            monitoring_visits::held_on.desc(),
            monitoring_visits::reported_at.desc(),
        ))
        .select((
            monitoring_visits::economic,
            monitoring_visits::social,
            monitoring_visits::psychosocial,
            monitoring_visits::overall,
            monitoring_visits::answers,
        ))
        .first(conn)
        .optional()?;
    Ok(
        row.and_then(|(economic, social, psychosocial, overall, answers)| {
            Some(PastReport {
                scores: Scores {
                    economic: economic?,
                    social: social?,
                    psychosocial: psychosocial?,
                    overall: overall?,
                },
                answers: answers
                    .and_then(|a| serde_json::from_str(&a).ok())
                    .unwrap_or_default(),
            })
        }),
    )
}

/// Keeps a new alert; `reasons` is its reasons as JSON.
pub fn insert(
    conn: &mut DbConn,
    id: &str,
    referral_id: &str,
    visit_id: &str,
    reasons: &str,
    at: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::insert_into(sustainability_alerts::table)
        .values(NewAlertRow {
            id,
            referral_id,
            visit_id,
            reasons,
            raised_at: at,
        })
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut DbConn, id: &str) -> Result<Option<AlertView>, DbError> {
    Ok(sustainability_alerts::table
        .find(id)
        .select(AlertRow::as_select())
        .first(conn)
        .optional()?
        .map(AlertRow::view))
}

/// A referral's alerts, oldest first.
pub fn for_referral(conn: &mut DbConn, referral_id: &str) -> Result<Vec<AlertView>, DbError> {
    Ok(sustainability_alerts::table
        .filter(sustainability_alerts::referral_id.eq(referral_id))
        .order((
            sustainability_alerts::raised_at.asc(),
            sustainability_alerts::id.asc(),
        ))
        .select(AlertRow::as_select())
        .load(conn)?
        .into_iter()
        .map(AlertRow::view)
        .collect())
}

/// Marks an open alert handled by `user_id`; false when it was handled
/// already (by someone else, say).
pub fn mark_handled(
    conn: &mut DbConn,
    id: &str,
    user_id: &str,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    let marked = diesel::update(
        sustainability_alerts::table
            .find(id)
            .filter(sustainability_alerts::handled_at.is_null()),
    )
    .set((
        sustainability_alerts::handled_at.eq(at),
        sustainability_alerts::handled_by.eq(user_id),
    ))
    .execute(conn)?;
    Ok(marked == 1)
}
