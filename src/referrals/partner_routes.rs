//! The partner's side of referrals (`/partner/v1`): only its own, and of
//! them only what consent allows. Another partner's referral is "not found".
//! Monitoring's routes are in `monitoring::routes`.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use super::commands::{self, after_departure, checklist};
use super::plan::NewPlan;
use super::vocabulary::{Decline, Hold};
use super::{Arrival, Closure, OptionalNote, ReferralStatus, queries};
use crate::audit::AuditContext;
use crate::auth::PartnerCaller;
use crate::http::{
    AppError, JsonBody, OptionalJsonBody, Page, PageRequest, QueryParams, RouteSpec,
};
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::get("/partner/v1/referrals", list_referrals).query::<ListQuery>(),
        RouteSpec::get("/partner/v1/referrals/{id}", get_referral),
        RouteSpec::post("/partner/v1/referrals/{id}/acknowledge", acknowledge),
        RouteSpec::post("/partner/v1/referrals/{id}/accept", accept),
        RouteSpec::post("/partner/v1/referrals/{id}/decline", decline),
        RouteSpec::post("/partner/v1/referrals/{id}/hold", hold),
        RouteSpec::post("/partner/v1/referrals/{id}/resume", resume),
        RouteSpec::post(
            "/partner/v1/referrals/{id}/checklist-items/{item_id}/complete",
            complete_item,
        ),
        RouteSpec::post("/partner/v1/referrals/{id}/arrival", confirm_arrival),
        RouteSpec::post("/partner/v1/referrals/{id}/reintegration-plan", submit_plan),
        RouteSpec::post("/partner/v1/referrals/{id}/close", close_referral),
    ]
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
            let partner = &caller.partner_id;
            after_departure::arrive(conn, &audit, partner, &id, &arrival, &months, Utc::now())
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
            let partner = &caller.partner_id;
            after_departure::submit_plan(conn, &audit, partner, &id, &plan, Utc::now())
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn close_referral(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
    id: web::Path<String>,
    body: JsonBody<Closure>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let outcome = body.into_inner().outcome;
    let view = state
        .db
        .write(move |conn| {
            let partner = &caller.partner_id;
            after_departure::close(conn, &audit, partner, &id, outcome, Utc::now())
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[param(inline)]
    status: Option<ReferralStatus>,
    /// How many to answer: 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// From an earlier answer\'s `next_cursor`: the page after it.
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
    let views = crate::audit::read::audited(&state.db, audit, move |conn, by| {
        let partner = &caller.partner_id;
        queries::partner_referrals(conn, by, partner, query.status, &fetch, Utc::now())
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
    let view = crate::audit::read::audited(&state.db, audit, move |conn, by| {
        queries::partner_referral(conn, by, &caller.partner_id, &id, Utc::now())
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
    let id = id.into_inner();
    let note = body.0.note;
    let view = state
        .db
        .write(move |conn| {
            let partner = &caller.partner_id;
            commands::acknowledge(conn, &audit, partner, &id, note.as_deref(), Utc::now())
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn accept(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
    id: web::Path<String>,
    body: OptionalJsonBody<OptionalNote>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let note = body.0.note;
    let template = state.settings.checklist.clone();
    let view = state
        .db
        .write(move |conn| {
            let partner = &caller.partner_id;
            let now = Utc::now();
            commands::accept(conn, &audit, partner, &id, note.as_deref(), &template, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn decline(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
    id: web::Path<String>,
    body: JsonBody<Decline>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let decline = body.into_inner();
    let view = state
        .db
        .write(move |conn| {
            commands::decline(conn, &audit, &caller.partner_id, &id, &decline, Utc::now())
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn hold(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
    id: web::Path<String>,
    body: JsonBody<Hold>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let hold = body.into_inner();
    let view = state
        .db
        .write(move |conn| commands::hold(conn, &audit, &caller.partner_id, &id, &hold, Utc::now()))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn resume(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
    id: web::Path<String>,
    body: OptionalJsonBody<OptionalNote>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let note = body.0;
    let view = state
        .db
        .write(move |conn| {
            commands::resume(conn, &audit, &caller.partner_id, &id, &note, Utc::now())
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
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
            let partner = &caller.partner_id;
            let now = Utc::now();
            checklist::complete_item(conn, &audit, partner, &referral_id, &item_id, note, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(item))
}
