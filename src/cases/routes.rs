//! Opening and reading return cases; partner matches; the departure.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde_json::json;

use super::store;
use super::{Departure, NewReturnCase};
use crate::audit::AuditContext;
use crate::auth::Staff;
use crate::clients::store as clients;
use crate::domain::{CountryCode, LanguageCode, RegionCode};
use crate::http::{AppError, JsonBody, Problem, RouteSpec};
use crate::partners::matching::{self, MatchRequest};
use crate::partners::store as partners;
use crate::referrals::Action;
use crate::referrals::store as referrals;
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::post("/api/v1/return-cases", open_case).creates(),
        RouteSpec::get("/api/v1/return-cases/{id}", get_case),
        RouteSpec::get("/api/v1/return-cases/{id}/partner-matches", partner_matches),
        RouteSpec::get("/api/v1/return-cases/{id}/checklist", get_checklist),
        RouteSpec::post("/api/v1/return-cases/{id}/departure", record_departure),
    ]
}

async fn open_case(
    state: web::Data<AppState>,
    staff: Staff,
    audit: AuditContext,
    body: JsonBody<NewReturnCase>,
) -> Result<HttpResponse, AppError> {
    let input = body.into_inner();
    let case = state
        .db
        .write(move |conn| {
            let now = Utc::now();
            let case = store::open(conn, &staff.user_id, &input, now)?;
            audit.record(conn, "return_case", &case.id, now)?;
            Ok::<_, AppError>(case)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/return-cases/{}", case.id),
        ))
        .json(case))
}

async fn get_case(
    state: web::Data<AppState>,
    audit: AuditContext,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let after_days = state.settings.not_departed_after_days;
    let case = state
        .db
        .write(move |conn| {
            let today = Utc::now().date_naive();
            let case = store::view(conn, &id, today, after_days)?
                .ok_or_else(|| AppError::not_found("return case"))?;
            audit.record(conn, "return_case", &case.id, Utc::now())?;
            Ok::<_, AppError>(case)
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
    let checklist = state
        .db
        .write(move |conn| {
            let today = Utc::now().date_naive();
            let case = store::view(conn, &id, today, 0)?
                .ok_or_else(|| AppError::not_found("return case"))?;
            audit.record(conn, "return_case", &case.id, Utc::now())?;
            Ok::<_, AppError>(case.checklist)
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
    let ranked = state
        .db
        .write(move |conn| {
            let case = store::row(conn, &id)?.ok_or_else(|| AppError::not_found("return case"))?;
            let country = CountryCode::parse(&case.destination_country)
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
            let languages = clients::get(conn, &case.client_id)?
                .map(|c| {
                    c.languages
                        .iter()
                        .filter_map(|l| LanguageCode::parse(l).ok())
                        .collect()
                })
                .unwrap_or_default();
            let profiles = partners::profiles_for_country(conn, &country)?;
            let request = MatchRequest {
                country,
                region: case
                    .destination_region
                    .as_deref()
                    .and_then(|r| RegionCode::parse(r).ok()),
                needs: case.needs().into_iter().map(|n| n.as_service()).collect(),
                languages,
            };
            audit.record(conn, "return_case", &case.id, Utc::now())?;
            Ok::<_, AppError>(matching::rank(&profiles, &request))
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
            let now = Utc::now();
            store::row(conn, &case_id)?.ok_or_else(|| AppError::not_found("return case"))?;
            let Some(accepted) = referrals::accepted_for_case(conn, &case_id)? else {
                return Err(Problem::new(
                    actix_web::http::StatusCode::CONFLICT,
                    "no-accepted-referral",
                    "Conflict",
                    "A departure can be recorded once a partner has accepted the referral.",
                )
                .into());
            };
            let step = referrals::Move {
                action: Action::Depart,
                actor: audit.actor.clone(),
                reason: None,
                partner_scope: None,
                departed_on: Some(departure.departed_on),
                checklist: &[],
            };
            let moved = referrals::transition(conn, &accepted.id, step, now)?;
            audit.record(conn, "referral", &moved.id, now)?;
            Ok::<_, AppError>(referrals::view(conn, moved)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(referral))
}
