//! `GET /api/v1/audit` for administrators: who did what to a subject.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::Entry;
use super::queries;
use super::store::AuditFilter;
use crate::http::{AppError, FieldError, Page, PageRequest, QueryParams, RouteSpec};
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![RouteSpec::get("/api/v1/audit", list_audit).query::<AuditQuery>()]
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    subject_type: Option<String>,
    subject_id: Option<String>,
    /// The acting user's or partner's id.
    actor: Option<String>,
    /// How many to answer: 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// From an earlier answer\'s `next_cursor`: the page after it.
    cursor: Option<String>,
}

async fn list_audit(
    state: web::Data<AppState>,
    audit: super::AuditContext,
    query: QueryParams<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let before = match &page.after {
        None => None,
        Some(key) => Some(key.parse::<i64>().map_err(|_| {
            AppError::validation(vec![FieldError::new(
                "cursor",
                "is not a cursor this service gave out",
            )])
        })?),
    };
    let filter = AuditFilter {
        subject_type: query.subject_type,
        subject_id: query.subject_id,
        actor: query.actor,
    };
    let fetch = page.fetch();
    let entries: Vec<Entry> = crate::audit::read::audited(&state.db, audit, move |conn, by| {
        queries::list(conn, by, &filter, before, fetch, chrono::Utc::now())
    })
    .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(entries, &page, |e| e.seq.to_string())))
}
