//! Registering and finding clients; households.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use super::store::{self, ClientFilter};
use super::{NewClient, NewHousehold};
use crate::audit::AuditContext;
use crate::auth::Staff;
use crate::domain::CountryCode;
use crate::http::{AppError, JsonBody, Page, PageRequest, QueryParams, RouteSpec};
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::post("/api/v1/clients", create_client).creates(),
        RouteSpec::get("/api/v1/clients", search_clients),
        RouteSpec::get("/api/v1/clients/{id}", get_client),
        RouteSpec::post("/api/v1/households", create_household).creates(),
        RouteSpec::get("/api/v1/households/{id}", get_household),
    ]
}

async fn create_client(
    state: web::Data<AppState>,
    staff: Staff,
    audit: AuditContext,
    body: JsonBody<NewClient>,
) -> Result<HttpResponse, AppError> {
    let input = body.into_inner();
    let client = state
        .db
        .write(move |conn| {
            let now = Utc::now();
            let client = store::create(conn, &staff.user_id, &input, now)?;
            audit.record(conn, "client", &client.id, now)?;
            Ok::<_, AppError>(client)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/clients/{}", client.id)))
        .json(client))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    /// A reference (`TO-7K3M9`) or the start of a given or family name.
    q: Option<String>,
    country: Option<CountryCode>,
    /// Only my caseload.
    mine: Option<bool>,
    limit: Option<u32>,
    cursor: Option<String>,
}

async fn search_clients(
    state: web::Data<AppState>,
    staff: Staff,
    audit: AuditContext,
    query: QueryParams<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = ClientFilter {
        q: query.q,
        country: query.country,
        counsellor_id: query.mine.unwrap_or(false).then(|| staff.user_id.clone()),
    };
    let fetch = page.clone();
    let rows = state
        .db
        .write(move |conn| {
            let rows = store::search(conn, &filter, &fetch)?;
            let now = Utc::now();
            // Each client shown is a read of personal data.
            for client in rows.iter().take(fetch.limit as usize) {
                audit.record(conn, "client", &client.id, now)?;
            }
            Ok::<_, AppError>(rows)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, &page, |c| c.id.clone())))
}

async fn get_client(
    state: web::Data<AppState>,
    audit: AuditContext,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let client = state
        .db
        .write(move |conn| {
            let client = store::get(conn, &id)?.ok_or_else(|| AppError::not_found("client"))?;
            audit.record(conn, "client", &client.id, Utc::now())?;
            Ok::<_, AppError>(client)
        })
        .await?;
    Ok(HttpResponse::Ok().json(client))
}

async fn create_household(
    state: web::Data<AppState>,
    staff: Staff,
    audit: AuditContext,
    body: JsonBody<NewHousehold>,
) -> Result<HttpResponse, AppError> {
    let input = body.into_inner();
    let household = state
        .db
        .write(move |conn| {
            let now = Utc::now();
            let household = store::create_household(conn, &staff.user_id, &input, now)?;
            audit.record(conn, "household", &household.id, now)?;
            for member in &household.members {
                audit.record(conn, "client", &member.id, now)?;
            }
            Ok::<_, AppError>(household)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/households/{}", household.id),
        ))
        .json(household))
}

async fn get_household(
    state: web::Data<AppState>,
    audit: AuditContext,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let household = state
        .db
        .write(move |conn| {
            let household =
                store::get_household(conn, &id)?.ok_or_else(|| AppError::not_found("household"))?;
            let now = Utc::now();
            audit.record(conn, "household", &household.id, now)?;
            for member in &household.members {
                audit.record(conn, "client", &member.id, now)?;
            }
            Ok::<_, AppError>(household)
        })
        .await?;
    Ok(HttpResponse::Ok().json(household))
}
