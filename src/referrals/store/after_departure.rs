//! After departure: the arrival, the outcome, and the reintegration plan's
//! rows.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use serde::Serialize;

use super::super::plan::{NewPlan, PlanStatus};
use super::super::{Arrival, Outcome as Ending};
use crate::db::schema::{referrals, reintegration_plan_items, reintegration_plans};
use crate::db::{DbConn, DbError};

/// Records the arrival the partner confirmed.
pub fn set_arrival(
    conn: &mut DbConn,
    id: &str,
    arrival: &Arrival,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::update(referrals::table.find(id))
        .set((
            referrals::arrived_on.eq(arrival.arrived_on),
            referrals::arrival_received.eq(arrival.received),
            referrals::arrival_note.eq(arrival.note.as_deref().map(str::trim)),
            referrals::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_outcome(conn: &mut DbConn, id: &str, outcome: Ending) -> Result<(), DbError> {
    diesel::update(referrals::table.find(id))
        .set(referrals::outcome.eq(outcome))
        .execute(conn)?;
    Ok(())
}

/// A `reintegration_plans` row as read.
#[derive(Queryable, Selectable)]
#[diesel(table_name = reintegration_plans)]
struct PlanRow {
    status: PlanStatus,
    version: i32,
    submitted_at: NaiveDateTime,
    decided_at: Option<NaiveDateTime>,
    comment: Option<String>,
}

/// A `reintegration_plans` row as written (undecided when first submitted).
#[derive(Insertable)]
#[diesel(table_name = reintegration_plans, treat_none_as_default_value = false)]
pub struct NewPlanRow<'a> {
    pub referral_id: &'a str,
    pub status: PlanStatus,
    pub version: i32,
    pub submitted_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<&'a str>,
    pub comment: Option<&'a str>,
}

/// A `reintegration_plan_items` row as written.
#[derive(Insertable)]
#[diesel(table_name = reintegration_plan_items)]
pub struct NewPlanItemRow<'a> {
    pub referral_id: &'a str,
    pub position: i32,
    pub need: &'a str,
    pub support: &'a str,
    pub amount: f64,
    pub currency: &'a str,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    pub status: PlanStatus,
    pub version: i32,
    pub items: Vec<PlanItemView>,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub submitted_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::serialize_option")]
    pub decided_at: Option<NaiveDateTime>,
    /// The caseworker's comment on a returned plan.
    pub comment: Option<String>,
}

/// One item of a plan, as read and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = reintegration_plan_items)]
pub struct PlanItemView {
    pub need: String,
    pub support: String,
    pub amount: f64,
    pub currency: String,
}

/// The referral's reintegration plan, if one was submitted.
pub fn plan(conn: &mut DbConn, referral_id: &str) -> Result<Option<PlanView>, DbError> {
    let row: Option<PlanRow> = reintegration_plans::table
        .find(referral_id)
        .select(PlanRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    let items = reintegration_plan_items::table
        .filter(reintegration_plan_items::referral_id.eq(referral_id))
        .order(reintegration_plan_items::position.asc())
        .select(PlanItemView::as_select())
        .load(conn)?;
    Ok(Some(PlanView {
        status: row.status,
        version: row.version,
        items,
        submitted_at: row.submitted_at,
        decided_at: row.decided_at,
        comment: row.comment,
    }))
}

/// Writes a plan as `version`, submitted now, in place of what was there.
pub fn replace_plan(
    conn: &mut DbConn,
    referral_id: &str,
    plan: &NewPlan,
    version: i32,
    first: bool,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::delete(
        reintegration_plan_items::table
            .filter(reintegration_plan_items::referral_id.eq(referral_id)),
    )
    .execute(conn)?;
    if first {
        let row = NewPlanRow {
            referral_id,
            status: PlanStatus::Submitted,
            version,
            submitted_at: now.naive_utc(),
            decided_at: None,
            decided_by: None,
            comment: None,
        };
        diesel::insert_into(reintegration_plans::table)
            .values(&row)
            .execute(conn)?;
    } else {
        diesel::update(reintegration_plans::table.find(referral_id))
            .set((
                reintegration_plans::status.eq(PlanStatus::Submitted),
                reintegration_plans::version.eq(version),
                reintegration_plans::submitted_at.eq(now.naive_utc()),
                reintegration_plans::decided_at.eq(None::<NaiveDateTime>),
                reintegration_plans::decided_by.eq(None::<String>),
            ))
            .execute(conn)?;
    }
    for (position, item) in plan.items.iter().enumerate() {
        let row = NewPlanItemRow {
            referral_id,
            position: i32::try_from(position).unwrap_or(i32::MAX),
            need: item.need.as_str(),
            support: item.support.trim(),
            amount: item.amount,
            currency: &item.currency,
        };
        diesel::insert_into(reintegration_plan_items::table)
            .values(&row)
            .execute(conn)?;
    }
    Ok(())
}

/// Approves a plan, or returns it with a comment.
pub fn decide_plan(
    conn: &mut DbConn,
    referral_id: &str,
    staff_id: &str,
    returned_with: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let status = if returned_with.is_some() {
        PlanStatus::Returned
    } else {
        PlanStatus::Approved
    };
    diesel::update(reintegration_plans::table.find(referral_id))
        .set((
            reintegration_plans::status.eq(status),
            reintegration_plans::decided_at.eq(now.naive_utc()),
            reintegration_plans::decided_by.eq(staff_id),
            reintegration_plans::comment.eq(returned_with.map(str::trim)),
        ))
        .execute(conn)?;
    Ok(())
}
