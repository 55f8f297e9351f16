//! Recording, listing and withdrawing consent.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;

use super::store;
use super::{NewConsent, Withdrawal};
use crate::audit::AuditContext;
use crate::auth::Staff;
use crate::clients::store as clients;
use crate::http::{AppError, JsonBody, OptionalJsonBody, RouteSpec};
use crate::referrals::store as referrals;
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
    staff: Staff,
    audit: AuditContext,
    client_id: web::Path<String>,
    body: JsonBody<NewConsent>,
) -> Result<HttpResponse, AppError> {
    let client_id = client_id.into_inner();
    let consent = body.into_inner();
    let consent = state
        .db
        .write(move |conn| {
            let now = Utc::now();
            let consent = store::record(conn, &client_id, &staff.user_id, &consent, now)?;
            audit.record(conn, "consent", &consent.id, now)?;
            Ok::<_, AppError>(consent)
        })
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
    let consents = state
        .db
        .write(move |conn| {
            if !clients::exists(conn, &client_id)? {
                return Err(AppError::not_found("client"));
            }
            let now = Utc::now();
            let consents = store::for_client(conn, &client_id, now.date_naive())?;
            audit.record(conn, "client", &client_id, now)?;
            Ok(consents)
        })
        .await?;
    // A client has a handful of consents: one page.
    Ok(HttpResponse::Ok().json(serde_json::json!({"items": consents, "next_cursor": null})))
}

async fn withdraw_consent(
    state: web::Data<AppState>,
    staff: Staff,
    audit: AuditContext,
    id: web::Path<String>,
    body: OptionalJsonBody<Withdrawal>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let withdrawal = body.0;
    let consent = state
        .db
        .write(move |conn| {
            let now = Utc::now();
            let consent =
                store::withdraw(conn, &id, &staff.user_id, withdrawal.reason.as_deref(), now)?;
            audit.record(conn, "consent", &consent.id, now)?;
            // Nothing more is shared: open referrals under this consent end now,
            // and their partners are told.
            for cancelled in referrals::cancel_for_consent(conn, &consent.id, &audit.actor, now)? {
                audit.record(conn, "referral", &cancelled.id, now)?;
            }
            Ok::<_, AppError>(consent)
        })
        .await?;
    Ok(HttpResponse::Ok().json(consent))
}
