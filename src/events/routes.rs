//! `GET /partner/v1/events`: a partner's own events in commit order, for
//! partners that poll instead of (or besides) receiving webhooks.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::store;
use crate::auth::PartnerCaller;
use crate::http::pagination::{decode_cursor, encode_cursor};
use crate::http::{AppError, FieldError, PageRequest, QueryParams, RouteSpec};
use crate::startup::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![RouteSpec::get("/partner/v1/events", list_events)]
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedQuery {
    /// A cursor from an earlier answer: the events after it.
    after: Option<String>,
    limit: Option<u32>,
}

async fn list_events(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    query: QueryParams<FeedQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let page = PageRequest::parse(query.limit, None)?;
    let after = match query.after.as_deref() {
        None => 0,
        Some(cursor) => decode_cursor(cursor)
            .and_then(|seq| seq.parse::<i64>().ok())
            .ok_or_else(|| {
                AppError::validation(vec![FieldError::new(
                    "after",
                    "is not a cursor this service gave out",
                )])
            })?,
    };
    let fetch = page.fetch();
    let events = state
        .db
        .read(move |conn| {
            store::for_partner(conn, &caller.partner_id, after, fetch).map_err(AppError::from)
        })
        .await?;
    let more = events.len() > page.limit as usize;
    let items: Vec<Value> = events
        .iter()
        .take(page.limit as usize)
        .map(|event| {
            let payload: Value = serde_json::from_str(&event.payload).unwrap_or(Value::Null);
            json!({
                "id": event.id,
                "type": event.event_type,
                "timestamp": payload["timestamp"],
                "referral_id": event.referral_id,
                "data": payload["data"],
                "cursor": encode_cursor(&event.seq.to_string()),
            })
        })
        .collect();
    let next_cursor = if more {
        items.last().map(|item| item["cursor"].clone())
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": next_cursor})))
}
