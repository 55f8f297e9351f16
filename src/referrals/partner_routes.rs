//! The partner's side of referrals (`/partner/v1`): only its own, and of
//! them only what consent allows. Another partner's referral is "not found".

use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use super::plan::{self, NewPlan};
use super::store::{self, ItemChange, Move};
use super::{
    Action, Arrival, ChecklistOwner, ChecklistStatus, Closure, OptionalNote, Reason, ReferralStatus,
};
use crate::audit::AuditContext;
use crate::auth::PartnerCaller;
use crate::events::store as events;
use crate::http::{
    AppError, JsonBody, OptionalJsonBody, Page, PageRequest, Problem, QueryParams, RouteSpec,
};
use crate::monitoring::{self, MonitoringReport};
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::get("/partner/v1/referrals", list_referrals),
        RouteSpec::get("/partner/v1/referrals/{id}", get_referral),
        RouteSpec::post("/partner/v1/referrals/{id}/acknowledge", acknowledge),
        RouteSpec::post("/partner/v1/referrals/{id}/accept", accept),
        RouteSpec::post("/partner/v1/referrals/{id}/decline", decline),
        RouteSpec::post(
            "/partner/v1/referrals/{id}/checklist-items/{item_id}/complete",
            complete_item,
        ),
        RouteSpec::post("/partner/v1/referrals/{id}/arrival", confirm_arrival),
        RouteSpec::post("/partner/v1/referrals/{id}/reintegration-plan", submit_plan),
        RouteSpec::post("/partner/v1/referrals/{id}/monitoring", report_monitoring),
        RouteSpec::post("/partner/v1/referrals/{id}/close", close_referral),
        RouteSpec::get("/partner/v1/monitoring-model", monitoring_model),
    ]
}

/// 409 for a step that the referral's status does not allow now.
fn not_now(status: &str, why: &str) -> AppError {
    Problem::new(
        actix_web::http::StatusCode::CONFLICT,
        "transition-not-allowed",
        "Conflict",
        format!("The referral is {status}: {why}."),
    )
    .with_extension("current_status", status)
    .with_extension("allowed_transitions", serde_json::json!([]))
    .into()
}

async fn monitoring_model(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.model.as_ref())
}

async fn confirm_arrival(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
    id: web::Path<String>,
    body: JsonBody<Arrival>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let arrival = body.into_inner();
    let months = state.settings.monitoring_schedule_months.clone();
    let view = state
        .db
        .write(move |conn| {
            let now = Utc::now();
            let row = store::own(conn, &id, &caller.partner_id)?;
            let row = store::arrive(conn, &row, &arrival, &months, &audit.actor, now)?;
            audit.record(conn, "referral", &row.id, now)?;
            store::partner_view(conn, row, now.date_naive())
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn submit_plan(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
    id: web::Path<String>,
    body: JsonBody<NewPlan>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let plan = body.into_inner();
    let view = state
        .db
        .write(move |conn| {
            let now = Utc::now();
            let row = store::own(conn, &id, &caller.partner_id)?;
            if !matches!(
                row.status(),
                ReferralStatus::Accepted | ReferralStatus::InProgress
            ) {
                return Err(not_now(&row.status, "a plan is for an accepted referral"));
            }
            let view = plan::submit(conn, &row.id, &plan, now)?;
            events::publish(
                conn,
                "reintegration_plan.submitted",
                &row.partner_id,
                Some(&row.id),
                serde_json::json!({"referral_id": row.id, "version": view.version}),
                now,
            )?;
            audit.record(conn, "referral", &row.id, now)?;
            Ok::<_, AppError>(view)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn report_monitoring(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
    id: web::Path<String>,
    body: JsonBody<MonitoringReport>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let report = body.into_inner();
    let model = state.model.clone();
    let visit = state
        .db
        .write(move |conn| {
            let now = Utc::now();
            let row = store::own(conn, &id, &caller.partner_id)?;
            if row.status() != ReferralStatus::InProgress {
                return Err(not_now(&row.status, "nothing more can be reported"));
            }
            let Some(arrived_on) = row.arrived_on else {
                return Err(Problem::new(
                    actix_web::http::StatusCode::CONFLICT,
                    "not-arrived",
                    "Conflict",
                    "Confirm the arrival before reporting a monitoring visit.",
                )
                .into());
            };
            let visit = monitoring::store::report(conn, &row.id, arrived_on, &report, &model, now)?;
            events::publish(
                conn,
                "monitoring.reported",
                &row.partner_id,
                Some(&row.id),
                serde_json::json!({"referral_id": row.id, "visit_id": visit.id}),
                now,
            )?;
            audit.record(conn, "monitoring_visit", &visit.id, now)?;
            Ok::<_, AppError>(visit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(visit))
}

async fn close_referral(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
    id: web::Path<String>,
    body: JsonBody<Closure>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let closure = body.into_inner();
    let view = state
        .db
        .write(move |conn| {
            let now = Utc::now();
            let row = store::own(conn, &id, &caller.partner_id)?;
            let row = store::close(conn, &row, closure.outcome, &audit.actor, now)?;
            audit.record(conn, "referral", &row.id, now)?;
            store::partner_view(conn, row, now.date_naive())
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    status: Option<ReferralStatus>,
    limit: Option<u32>,
    cursor: Option<String>,
}

async fn list_referrals(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
    query: QueryParams<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let fetch = page.clone();
    let views = state
        .db
        .write(move |conn| {
            let now = Utc::now();
            let rows = store::for_partner(
                conn,
                &caller.partner_id,
                query.status,
                fetch.after.as_deref(),
                fetch.fetch(),
            )?;
            let mut views = Vec::new();
            for row in rows {
                let view = store::partner_view(conn, row, now.date_naive())?;
                if views.len() < fetch.limit as usize {
                    audit.record(conn, "referral", &view.id, now)?;
                }
                views.push(view);
            }
            Ok::<_, AppError>(views)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(views, &page, |v| v.id.clone())))
}

async fn get_referral(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let view = state
        .db
        .write(move |conn| {
            let now = Utc::now();
            let row = store::get_row(conn, &id)?
                .filter(|row| row.partner_id == caller.partner_id)
                .ok_or_else(|| AppError::not_found("referral"))?;
            let view = store::partner_view(conn, row, now.date_naive())?;
            audit.record(conn, "referral", &view.id, now)?;
            Ok::<_, AppError>(view)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Moves the caller's own referral and answers with its new view.
async fn step(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
    id: String,
    action: Action,
    reason: Option<String>,
) -> Result<HttpResponse, AppError> {
    let checklist = state.settings.checklist.clone();
    let view = state
        .db
        .write(move |conn| {
            let now = Utc::now();
            let step = Move {
                action,
                actor: audit.actor.clone(),
                reason: reason.as_deref().map(str::trim),
                partner_scope: Some(&caller.partner_id),
                departed_on: None,
                checklist: &checklist,
            };
            let moved = store::transition(conn, &id, step, now)?;
            audit.record(conn, "referral", &moved.id, now)?;
            store::partner_view(conn, moved, now.date_naive())
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn acknowledge(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
    id: web::Path<String>,
    body: OptionalJsonBody<OptionalNote>,
) -> Result<HttpResponse, AppError> {
    step(
        state,
        caller,
        audit,
        id.into_inner(),
        Action::Acknowledge,
        body.0.note,
    )
    .await
}

async fn accept(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
    id: web::Path<String>,
    body: OptionalJsonBody<OptionalNote>,
) -> Result<HttpResponse, AppError> {
    step(
        state,
        caller,
        audit,
        id.into_inner(),
        Action::Accept,
        body.0.note,
    )
    .await
}

async fn decline(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
    id: web::Path<String>,
    body: JsonBody<Reason>,
) -> Result<HttpResponse, AppError> {
    step(
        state,
        caller,
        audit,
        id.into_inner(),
        Action::Decline,
        Some(body.into_inner().reason),
    )
    .await
}

async fn complete_item(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
    path: web::Path<(String, String)>,
    body: OptionalJsonBody<OptionalNote>,
) -> Result<HttpResponse, AppError> {
    let (referral_id, item_id) = path.into_inner();
    let note = body.0.note;
    let item = state
        .db
        .write(move |conn| {
            let now = Utc::now();
            let referral = store::get_row(conn, &referral_id)?
                .filter(|row| row.partner_id == caller.partner_id)
                .ok_or_else(|| AppError::not_found("referral"))?;
            let item = store::checklist_item(conn, &item_id)?
                .filter(|item| item.referral_id == referral.id)
                .ok_or_else(|| AppError::not_found("checklist item"))?;
            if item.owner != ChecklistOwner::Partner.as_str() {
                return Err(Problem::new(
                    actix_web::http::StatusCode::FORBIDDEN,
                    "not-your-task",
                    "Forbidden",
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
            let item = store::update_item(conn, &item, &change, &audit.actor, now)?;
            audit.record(conn, "checklist_item", &item.id, now)?;
            Ok::<_, AppError>(item)
        })
        .await?;
    Ok(HttpResponse::Ok().json(item))
}
