//! Registering and finding clients; households; handing a client to
//! another counsellor.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use super::store::ClientFilter;
use super::{NewClient, NewHousehold};
use super::{commands, queries};
use crate::audit::AuditContext;
use crate::auth::Staff;
use crate::auth::assignment::Assignee;
use crate::domain::CountryCode;
use crate::http::{AppError, JsonBody, Page, PageRequest, QueryParams, RouteSpec};
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::post("/api/v1/clients", create_client).creates(),
        RouteSpec::get("/api/v1/clients", search_clients).query::<SearchQuery>(),
        RouteSpec::get("/api/v1/clients/{id}", get_client),
        RouteSpec::post("/api/v1/clients/{id}/assign", assign_client),
        RouteSpec::post("/api/v1/households", create_household).creates(),
        RouteSpec::get("/api/v1/households/{id}", get_household),
    ]
}

async fn create_client(
    state: web::Data<AppState>,
    audit: AuditContext,
    body: JsonBody<NewClient>,
) -> Result<HttpResponse, AppError> {
    let input = body.into_inner();
    let client = state
        .db
        .write(move |conn| commands::register(conn, &audit, &input, Utc::now()))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/clients/{}", client.id)))
        .json(client))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    /// A reference (`TO-7K3M9`) or the start of a given or family name.
    q: Option<String>,
    #[param(inline)]
    country: Option<CountryCode>,
    /// Only my caseload.
    mine: Option<bool>,
    /// How many to answer: 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// From an earlier answer\'s `next_cursor`: the page after it.
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
    let rows = crate::audit::read::audited(&state.db, audit, move |conn, by| {
        queries::search(conn, by, &filter, &fetch, Utc::now())
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
    let client = crate::audit::read::audited(&state.db, audit, move |conn, by| {
        queries::get(conn, by, &id, Utc::now())
    })
    .await?;
    Ok(HttpResponse::Ok().json(client))
}

async fn assign_client(
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

async fn create_household(
    state: web::Data<AppState>,
    audit: AuditContext,
    body: JsonBody<NewHousehold>,
) -> Result<HttpResponse, AppError> {
    let input = body.into_inner();
    let household = state
        .db
        .write(move |conn| commands::create_household(conn, &audit, &input, Utc::now()))
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
    let household = crate::audit::read::audited(&state.db, audit, move |conn, by| {
        queries::household(conn, by, &id, Utc::now())
    })
    .await?;
    Ok(HttpResponse::Ok().json(household))
}
