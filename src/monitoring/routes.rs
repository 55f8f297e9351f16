//! The partner's side of monitoring (`/partner/v1`): the scoring model, and
//! reporting a visit of its own referral.

use actix_web::{HttpResponse, web};
use chrono::Utc;

use super::MonitoringReport;
use crate::audit::AuditContext;
use crate::auth::PartnerCaller;
use crate::http::{AppError, JsonBody, RouteSpec};
use crate::referrals::commands::after_departure;
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::post("/partner/v1/referrals/{id}/monitoring", report_monitoring),
        RouteSpec::get("/partner/v1/monitoring-model", monitoring_model),
    ]
}

async fn monitoring_model(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.model.as_ref())
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
            after_departure::report_monitoring(
                conn,
                &audit,
                &caller.partner_id,
                &id,
                &report,
                &model,
                Utc::now(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(visit))
}
