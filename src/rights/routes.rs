//! The person's export over the API.

use actix_web::{HttpResponse, web};
use chrono::Utc;

use super::queries;
use crate::audit::AuditContext;
use crate::http::{AppError, RouteSpec};
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![RouteSpec::get("/api/v1/clients/{id}/export", export_client)]
}

async fn export_client(
    state: web::Data<AppState>,
    audit: AuditContext,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let export = crate::audit::read::audited(&state.db, audit, move |conn, by| {
        queries::export(conn, by, &id, Utc::now())
    })
    .await?;
    Ok(HttpResponse::Ok().json(export))
}
