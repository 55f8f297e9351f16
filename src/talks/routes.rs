//! Recording, listing and amending talks.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::{NewTalk, TalkAmendment, commands, queries, store};
use crate::audit::AuditContext;
use crate::http::{AppError, JsonBody, Page, PageRequest, Problem, QueryParams, RouteSpec};
use crate::state::AppState;
use actix_web::http::StatusCode;

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::post("/api/v1/clients/{id}/talks", record_talk).creates(),
        RouteSpec::get("/api/v1/clients/{id}/talks", list_talks).query::<ListQuery>(),
        RouteSpec::get("/api/v1/talks/{id}", get_talk),
        RouteSpec::new(
            actix_web::http::Method::PATCH,
            "/api/v1/talks/{id}",
            amend_talk,
        ),
    ]
}

async fn record_talk(
    state: web::Data<AppState>,
    audit: AuditContext,
    client_id: web::Path<String>,
    body: JsonBody<NewTalk>,
) -> Result<HttpResponse, AppError> {
    let client_id = client_id.into_inner();
    let talk = body.into_inner();
    let talk = state
        .db
        .write(move |conn| commands::record(conn, &audit, &client_id, &talk, Utc::now()))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/talks/{}", talk.id)))
        .json(talk))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// How many to answer: 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// From an earlier answer\'s `next_cursor`: the page after it.
    cursor: Option<String>,
}

async fn list_talks(
    state: web::Data<AppState>,
    audit: AuditContext,
    client_id: web::Path<String>,
    query: QueryParams<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let client_id = client_id.into_inner();
    let query = query.into_inner();
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let fetch = page.clone();
    let talks = crate::audit::read::audited(&state.db, audit, move |conn, by| {
        queries::for_client(conn, by, &client_id, &fetch, Utc::now())
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(talks, &page, store::cursor_key)))
}

async fn get_talk(
    state: web::Data<AppState>,
    audit: AuditContext,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (talk, versions) = crate::audit::read::audited(&state.db, audit, move |conn, by| {
        queries::get(conn, by, &id, Utc::now())
    })
    .await?;
    let mut body = serde_json::to_value(&talk).map_err(|e| AppError::Internal(e.into()))?;
    body["history"] = json!(versions);
    Ok(HttpResponse::Ok().json(body))
}

async fn amend_talk(
    state: web::Data<AppState>,
    audit: AuditContext,
    id: web::Path<String>,
    body: JsonBody<TalkAmendment>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let amendment = body.into_inner();
    if amendment.is_empty() {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-error",
            "Unprocessable Content",
            "The amendment changes nothing: name at least one field to change.",
        )
        .into());
    }
    let talk = state
        .db
        .write(move |conn| commands::amend(conn, &audit, &id, amendment, Utc::now()))
        .await?;
    Ok(HttpResponse::Ok().json(talk))
}
