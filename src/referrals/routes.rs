//! The caseworker's side of referrals: send, cancel, keep the departure
//! checklist, and decide on the reintegration plan.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use validator::Validate;

use super::commands::{self, after_departure, checklist, send};
use super::plan::Rejection;
use super::store::checklist::ItemChange;
use super::{ChecklistOwner, ChecklistStatus, NewReferral, Reason};
use crate::audit::AuditContext;
use crate::auth::Staff;
use crate::http::{AppError, JsonBody, RouteSpec};
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::post("/api/v1/return-cases/{id}/referrals", send_referral).creates(),
        RouteSpec::post("/api/v1/referrals/{id}/cancel", cancel_referral),
        RouteSpec::new(
            actix_web::http::Method::PATCH,
            "/api/v1/checklist-items/{id}",
            update_checklist_item,
        ),
        RouteSpec::post(
            "/api/v1/referrals/{id}/reintegration-plan/approve",
            approve_plan,
        ),
        RouteSpec::post(
            "/api/v1/referrals/{id}/reintegration-plan/reject",
            reject_plan,
        ),
    ]
}

async fn decide_plan(
    state: web::Data<AppState>,
    audit: AuditContext,
    id: String,
    returned_with: Option<String>,
) -> Result<HttpResponse, AppError> {
    let plan = state
        .db
        .write(move |conn| {
            after_departure::decide_plan(conn, &audit, &id, returned_with.as_deref(), Utc::now())
        })
        .await?;
    Ok(HttpResponse::Ok().json(plan))
}

async fn approve_plan(
    state: web::Data<AppState>,
    _staff: Staff,
    audit: AuditContext,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    decide_plan(state, audit, id.into_inner(), None).await
}

async fn reject_plan(
    state: web::Data<AppState>,
    _staff: Staff,
    audit: AuditContext,
    id: web::Path<String>,
    body: JsonBody<Rejection>,
) -> Result<HttpResponse, AppError> {
    let comment = body.into_inner().comment;
    decide_plan(state, audit, id.into_inner(), Some(comment)).await
}

async fn send_referral(
    state: web::Data<AppState>,
    _staff: Staff,
    audit: AuditContext,
    case_id: web::Path<String>,
    body: JsonBody<NewReferral>,
) -> Result<HttpResponse, AppError> {
    let case_id = case_id.into_inner();
    let input = body.into_inner();
    let sla = state.settings.sla.clone();
    let referral = state
        .db
        .write(move |conn| send::send(conn, &audit, &case_id, &input, &sla, Utc::now()))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/return-cases/{}", referral.return_case_id),
        ))
        .json(referral))
}

async fn cancel_referral(
    state: web::Data<AppState>,
    audit: AuditContext,
    id: web::Path<String>,
    body: JsonBody<Reason>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let reason = body.into_inner().reason;
    let referral = state
        .db
        .write(move |conn| commands::cancel(conn, &audit, &id, &reason, Utc::now()))
        .await?;
    Ok(HttpResponse::Ok().json(referral))
}

/// `PATCH /api/v1/checklist-items/{id}`: what is absent stays.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemPatch {
    #[serde(default)]
    status: Option<ChecklistStatus>,
    #[serde(default, deserialize_with = "crate::domain::rules::present")]
    #[validate(length(max = 2000))]
    note: Option<Option<String>>,
    #[serde(default)]
    due_on: Option<NaiveDate>,
    #[serde(default)]
    owner: Option<ChecklistOwner>,
}

impl ItemPatch {
    /// The change the command makes (the staff page posts the same patch).
    pub fn into_change(self) -> ItemChange {
        ItemChange {
            status: self.status,
            note: self.note,
            due_on: self.due_on,
            owner: self.owner,
        }
    }
}

async fn update_checklist_item(
    state: web::Data<AppState>,
    audit: AuditContext,
    id: web::Path<String>,
    body: JsonBody<ItemPatch>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let change = body.into_inner().into_change();
    let item = state
        .db
        .write(move |conn| checklist::update_item(conn, &audit, &id, &change, Utc::now()))
        .await?;
    Ok(HttpResponse::Ok().json(item))
}
