//! The caseworker's side of referrals: send, cancel, and keep the
//! departure checklist.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use validator::Validate;

use super::plan::{self, Rejection};
use super::store::{self, ItemChange, Move};
use super::{Action, ChecklistOwner, ChecklistStatus, NewReferral, Reason};
use crate::audit::AuditContext;
use crate::auth::Staff;
use crate::events::store as events;
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
    staff: Staff,
    audit: AuditContext,
    id: String,
    returned_with: Option<String>,
) -> Result<HttpResponse, AppError> {
    let plan = state
        .db
        .write(move |conn| {
            let now = Utc::now();
            let row = store::get_row(conn, &id)?.ok_or_else(|| AppError::not_found("referral"))?;
            let plan = plan::decide(conn, &row.id, &staff.user_id, returned_with.as_deref(), now)?;
            let event = if returned_with.is_some() {
                "reintegration_plan.returned"
            } else {
                "reintegration_plan.approved"
            };
            events::publish(
                conn,
                event,
                &row.partner_id,
                Some(&row.id),
                serde_json::json!({"referral_id": row.id, "version": plan.version}),
                now,
            )?;
            audit.record(conn, "referral", &row.id, now)?;
            Ok::<_, AppError>(plan)
        })
        .await?;
    Ok(HttpResponse::Ok().json(plan))
}

async fn approve_plan(
    state: web::Data<AppState>,
    staff: Staff,
    audit: AuditContext,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    decide_plan(state, staff, audit, id.into_inner(), None).await
}

async fn reject_plan(
    state: web::Data<AppState>,
    staff: Staff,
    audit: AuditContext,
    id: web::Path<String>,
    body: JsonBody<Rejection>,
) -> Result<HttpResponse, AppError> {
    decide_plan(
        state,
        staff,
        audit,
        id.into_inner(),
        Some(body.into_inner().comment),
    )
    .await
}

async fn send_referral(
    state: web::Data<AppState>,
    staff: Staff,
    audit: AuditContext,
    case_id: web::Path<String>,
    body: JsonBody<NewReferral>,
) -> Result<HttpResponse, AppError> {
    let case_id = case_id.into_inner();
    let input = body.into_inner();
    let sla = state.settings.sla.clone();
    let referral = state
        .db
        .write(move |conn| {
            let now = Utc::now();
            let referral = store::send(conn, &case_id, &staff.user_id, &input, &sla, now)?;
            audit.record(conn, "referral", &referral.id, now)?;
            Ok::<_, AppError>(referral)
        })
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
        .write(move |conn| {
            let now = Utc::now();
            let step = Move {
                action: Action::Cancel,
                actor: audit.actor.clone(),
                reason: Some(reason.trim()),
                partner_scope: None,
                departed_on: None,
                checklist: &[],
            };
            let moved = store::transition(conn, &id, step, now)?;
            audit.record(conn, "referral", &moved.id, now)?;
            Ok::<_, AppError>(store::view(conn, moved)?)
        })
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

async fn update_checklist_item(
    state: web::Data<AppState>,
    audit: AuditContext,
    id: web::Path<String>,
    body: JsonBody<ItemPatch>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let patch = body.into_inner();
    let change = ItemChange {
        status: patch.status,
        note: patch.note,
        due_on: patch.due_on,
        owner: patch.owner,
    };
    let item = state
        .db
        .write(move |conn| {
            let now = Utc::now();
            let item = store::checklist_item(conn, &id)?
                .ok_or_else(|| AppError::not_found("checklist item"))?;
            let item = store::update_item(conn, &item, &change, &audit.actor, now)?;
            audit.record(conn, "checklist_item", &item.id, now)?;
            Ok::<_, AppError>(item)
        })
        .await?;
    Ok(HttpResponse::Ok().json(item))
}
