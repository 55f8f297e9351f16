//! The partner's side of referrals (`/partner/v1`): only its own, and of
//! them only what consent allows. Another partner's referral is "not found".

use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use super::store::{self, ItemChange, Move};
use super::{Action, ChecklistOwner, ChecklistStatus, OptionalNote, Reason, ReferralStatus};
use crate::audit::AuditContext;
use crate::auth::PartnerCaller;
use crate::http::{
    AppError, JsonBody, OptionalJsonBody, Page, PageRequest, Problem, QueryParams, RouteSpec,
};
use crate::startup::AppState;

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
    ]
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
