//! Opening and reading return cases; partner matches; the departure;
//! handing a case, or a whole caseload, to another member of staff (a
//! caseload move touches clients too, and `cases` is the higher area).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde_json::json;

use super::{Caseload, CaseloadMove, Departure, NewReturnCase};
use super::{commands, queries};
use crate::audit::AuditContext;
use crate::auth::Staff;
use crate::auth::assignment::Assignee;
use crate::http::{AppError, JsonBody, RouteSpec};
use crate::referrals::case_view::{self, ReturnCaseView};
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::post("/api/v1/return-cases", open_case).creates(),
        RouteSpec::get("/api/v1/return-cases/{id}", get_case),
        RouteSpec::get("/api/v1/return-cases/{id}/partner-matches", partner_matches),
        RouteSpec::get("/api/v1/return-cases/{id}/checklist", get_checklist),
        RouteSpec::post("/api/v1/return-cases/{id}/departure", record_departure),
        RouteSpec::post("/api/v1/return-cases/{id}/assign", assign_case),
        RouteSpec::post("/api/v1/assignments", move_caseload),
    ]
}

async fn open_case(
    state: web::Data<AppState>,
    _staff: Staff,
    audit: AuditContext,
    body: JsonBody<NewReturnCase>,
) -> Result<HttpResponse, AppError> {
    let input = body.into_inner();
    let case = state
        .db
        .write(move |conn| commands::open(conn, &audit, &input, Utc::now()))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/return-cases/{}", case.id),
        ))
        .json(ReturnCaseView::opened(case)))
}

async fn get_case(
    state: web::Data<AppState>,
    audit: AuditContext,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let after_days = state.settings.not_departed_after_days;
    let case = crate::audit::read::audited(&state.db, audit, move |conn, by| {
        case_view::get(conn, by, &id, after_days, Utc::now())
    })
    .await?;
    Ok(HttpResponse::Ok().json(case))
}

async fn get_checklist(
    state: web::Data<AppState>,
    audit: AuditContext,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let checklist = crate::audit::read::audited(&state.db, audit, move |conn, by| {
        case_view::checklist(conn, by, &id, Utc::now())
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({"items": checklist, "next_cursor": null})))
}

async fn partner_matches(
    state: web::Data<AppState>,
    audit: AuditContext,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let directory = state.directory.clone();
    let ranked = crate::audit::read::audited(&state.db, audit, move |conn, by| {
        queries::partner_matches(conn, by, &directory, &id, Utc::now())
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({"items": ranked})))
}

async fn record_departure(
    state: web::Data<AppState>,
    audit: AuditContext,
    id: web::Path<String>,
    body: JsonBody<Departure>,
) -> Result<HttpResponse, AppError> {
    let case_id = id.into_inner();
    let departure = body.into_inner();
    let referral = state
        .db
        .write(move |conn| {
            crate::referrals::commands::record_departure(
                conn,
                &audit,
                &case_id,
                departure.departed_on,
                Utc::now(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(referral))
}

async fn assign_case(
    state: web::Data<AppState>,
    audit: AuditContext,
    id: web::Path<String>,
    body: JsonBody<Assignee>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let to = body.into_inner().user_id.to_string();
    let assignment = state
        .db
        .write(move |conn| commands::assign(conn, &audit, &id, &to, Utc::now()))
        .await?;
    Ok(HttpResponse::Ok().json(assignment))
}

async fn move_caseload(
    state: web::Data<AppState>,
    audit: AuditContext,
    body: JsonBody<CaseloadMove>,
) -> Result<HttpResponse, AppError> {
    let input = body.into_inner();
    let (from, to) = (input.from_user_id.to_string(), input.to_user_id.to_string());
    let moved = state
        .db
        .write(move |conn| match input.kind {
            Caseload::Clients => {
                crate::clients::commands::move_caseload(conn, &audit, &from, &to, Utc::now())
            }
            Caseload::ReturnCases => commands::move_caseload(conn, &audit, &from, &to, Utc::now()),
        })
        .await?;
    Ok(HttpResponse::Ok().json(moved))
}
