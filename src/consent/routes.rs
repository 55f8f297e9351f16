//! Recording, listing and withdrawing consent.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;

use super::{NewConsent, Withdrawal};
use super::{commands, queries};
use crate::audit::AuditContext;
use crate::auth::Staff;
use crate::http::{AppError, JsonBody, OptionalJsonBody, RouteSpec};
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::post("/api/v1/clients/{id}/consents", record_consent).creates(),
        RouteSpec::get("/api/v1/clients/{id}/consents", list_consents),
        RouteSpec::post("/api/v1/consents/{id}/withdraw", withdraw_consent),
    ]
}

async fn record_consent(
    state: web::Data<AppState>,
    _staff: Staff,
    audit: AuditContext,
    client_id: web::Path<String>,
    body: JsonBody<NewConsent>,
) -> Result<HttpResponse, AppError> {
    let client_id = client_id.into_inner();
    let input = body.into_inner();
    let consent = state
        .db
        .write(move |conn| commands::record(conn, &audit, &client_id, &input, Utc::now()))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/clients/{}/consents", consent.client_id),
        ))
        .json(consent))
}

async fn list_consents(
    state: web::Data<AppState>,
    audit: AuditContext,
    client_id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let client_id = client_id.into_inner();
    let consents = crate::audit::read::audited(&state.db, audit, move |conn, by| {
        queries::for_client(conn, by, &client_id, Utc::now())
    })
    .await?;
    // A client has a handful of consents: one page.
    Ok(HttpResponse::Ok().json(serde_json::json!({"items": consents, "next_cursor": null})))
}

/// Nothing more is shared: open referrals under this consent end now, and
/// their partners are told (a command of `referrals`, the higher area).
async fn withdraw_consent(
    state: web::Data<AppState>,
    _staff: Staff,
    audit: AuditContext,
    id: web::Path<String>,
    body: OptionalJsonBody<Withdrawal>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let withdrawal = body.0;
    let consent = state
        .db
        .write(move |conn| {
            crate::referrals::commands::withdraw_consent(
                conn,
                &audit,
                &id,
                withdrawal.reason.as_deref(),
                Utc::now(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(consent))
}
