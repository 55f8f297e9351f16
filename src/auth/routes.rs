//! `GET /api/v1/me` and `GET /partner/v1/me`: who the credential belongs
//! to, so that a client can check its token before anything else.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::{PartnerCaller, Staff};
use crate::http::{AppError, RouteSpec};
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::get("/api/v1/me", staff_me),
        RouteSpec::get("/partner/v1/me", partner_me),
    ]
}

async fn staff_me(staff: Staff) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "id": staff.user_id,
        "email": staff.email,
        "roles": staff.roles,
    }))
}

async fn partner_me(
    state: web::Data<AppState>,
    caller: PartnerCaller,
) -> Result<HttpResponse, AppError> {
    let id = caller.partner_id.clone();
    let directory = state.directory.clone();
    let partner = state
        .db
        .read(move |conn| {
            crate::partners::directory::get(conn, &directory, &id).map_err(AppError::from)
        })
        .await?
        .ok_or_else(|| AppError::not_found("partner"))?;
    Ok(HttpResponse::Ok().json(json!({
        "partner_id": caller.partner_id,
        "key_id": caller.key_id,
        "name": partner.summary.name,
        "status": partner.summary.status,
        "countries": partner.summary.countries,
    })))
}
