//! The reintegration plan: the support a partner will give, with its
//! budget; the caseworker approves it or returns it with a comment, and a
//! returned plan can be submitted again.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

use crate::cases::Need;
use crate::db::schema::{reintegration_plan_items, reintegration_plans};
use crate::db::{DbConn, DbError};
use crate::http::{AppError, Problem};

fn currency(code: &str) -> Result<(), ValidationError> {
    if code.len() == 3 && iso_currency::Currency::from_code(code).is_some() {
        return Ok(());
    }
    let mut error = ValidationError::new("currency");
    error.message = Some("must be an ISO 4217 currency code (e.g. EUR, GHS)".into());
    Err(error)
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanItem {
    pub need: Need,
    #[validate(
        length(min = 1, max = 500),
        custom(function = "crate::domain::rules::not_blank")
    )]
    pub support: String,
    #[validate(range(min = 0.0, max = 10_000_000.0))]
    pub amount: f64,
    #[validate(custom(function = "currency"))]
    pub currency: String,
}

/// `POST /partner/v1/referrals/{id}/reintegration-plan`.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    #[validate(length(min = 1, max = 30), nested)]
    pub items: Vec<PlanItem>,
}

/// `POST /api/v1/referrals/{id}/reintegration-plan/reject`.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    #[validate(length(min = 3, max = 2000))]
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanView {
    /// `submitted`, `approved` or `returned`.
    pub status: String,
    pub version: i32,
    pub items: Vec<PlanItemView>,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub submitted_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::serialize_option")]
    pub decided_at: Option<NaiveDateTime>,
    /// The caseworker's comment on a returned plan.
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Queryable)]
pub struct PlanItemView {
    pub need: String,
    pub support: String,
    pub amount: f64,
    pub currency: String,
}

/// status, version, submitted, decided, comment.
type PlanRow = (
    String,
    i32,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<String>,
);

pub fn get(conn: &mut DbConn, referral_id: &str) -> Result<Option<PlanView>, DbError> {
    let plan: Option<PlanRow> = reintegration_plans::table
        .find(referral_id)
        .select((
            reintegration_plans::status,
            reintegration_plans::version,
            reintegration_plans::submitted_at,
            reintegration_plans::decided_at,
            reintegration_plans::comment,
        ))
        .first(conn)
        .optional()?;
    let Some((status, version, submitted_at, decided_at, comment)) = plan else {
        return Ok(None);
    };
    let items = reintegration_plan_items::table
        .filter(reintegration_plan_items::referral_id.eq(referral_id))
        .order(reintegration_plan_items::position.asc())
        .select((
            reintegration_plan_items::need,
            reintegration_plan_items::support,
            reintegration_plan_items::amount,
            reintegration_plan_items::currency,
        ))
        .load(conn)?;
    Ok(Some(PlanView {
        status,
        version,
        items,
        submitted_at,
        decided_at,
        comment,
    }))
}

fn conflict(detail: &str, allowed: &[&str]) -> AppError {
    Problem::new(
        actix_web::http::StatusCode::CONFLICT,
        "transition-not-allowed",
        "Conflict",
        detail,
    )
    .with_extension("allowed_transitions", serde_json::json!(allowed))
    .into()
}

/// Submits a plan, or resubmits one that is still awaiting a decision or
/// was returned; an approved plan stands.
pub fn submit(
    conn: &mut DbConn,
    referral_id: &str,
    plan: &NewPlan,
    now: DateTime<Utc>,
) -> Result<PlanView, AppError> {
    let current = get(conn, referral_id)?;
    let version = match &current {
        Some(plan) if plan.status == "approved" => {
            return Err(conflict("The reintegration plan is approved already.", &[]));
        }
        Some(plan) => plan.version + 1,
        None => 1,
    };
    diesel::delete(
        reintegration_plan_items::table
            .filter(reintegration_plan_items::referral_id.eq(referral_id)),
    )
    .execute(conn)?;
    if current.is_some() {
        diesel::update(reintegration_plans::table.find(referral_id))
            .set((
                reintegration_plans::status.eq("submitted"),
                reintegration_plans::version.eq(version),
                reintegration_plans::submitted_at.eq(now.naive_utc()),
                reintegration_plans::decided_at.eq(None::<NaiveDateTime>),
                reintegration_plans::decided_by.eq(None::<String>),
            ))
            .execute(conn)?;
    } else {
        diesel::insert_into(reintegration_plans::table)
            .values((
                reintegration_plans::referral_id.eq(referral_id),
                reintegration_plans::status.eq("submitted"),
                reintegration_plans::version.eq(version),
                reintegration_plans::submitted_at.eq(now.naive_utc()),
            ))
            .execute(conn)?;
    }
    for (position, item) in plan.items.iter().enumerate() {
        diesel::insert_into(reintegration_plan_items::table)
            .values((
                reintegration_plan_items::referral_id.eq(referral_id),
                reintegration_plan_items::position.eq(i32::try_from(position).unwrap_or(i32::MAX)),
                reintegration_plan_items::need.eq(item.need.as_str()),
                reintegration_plan_items::support.eq(item.support.trim()),
                reintegration_plan_items::amount.eq(item.amount),
                reintegration_plan_items::currency.eq(&item.currency),
            ))
            .execute(conn)?;
    }
    get(conn, referral_id)?.ok_or_else(|| AppError::Internal(anyhow::anyhow!("plan vanished")))
}

/// Approves a submitted plan, or returns it with a comment.
pub fn decide(
    conn: &mut DbConn,
    referral_id: &str,
    staff_id: &str,
    returned_with: Option<&str>,
    now: DateTime<Utc>,
) -> Result<PlanView, AppError> {
    let current =
        get(conn, referral_id)?.ok_or_else(|| AppError::not_found("reintegration plan"))?;
    if current.status != "submitted" {
        return Err(conflict(
            &format!(
                "The plan is {}; only a submitted plan is approved or returned.",
                current.status
            ),
            &[],
        ));
    }
    diesel::update(reintegration_plans::table.find(referral_id))
        .set((
            reintegration_plans::status.eq(if returned_with.is_some() {
                "returned"
            } else {
                "approved"
            }),
            reintegration_plans::decided_at.eq(now.naive_utc()),
            reintegration_plans::decided_by.eq(staff_id),
            reintegration_plans::comment.eq(returned_with.map(str::trim)),
        ))
        .execute(conn)?;
    get(conn, referral_id)?.ok_or_else(|| AppError::Internal(anyhow::anyhow!("plan vanished")))
}
