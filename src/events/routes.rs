//! `GET /partner/v1/events`: a partner's own events in commit order, for
//! partners that poll instead of (or besides) receiving webhooks.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::store;
use crate::auth::PartnerCaller;
use crate::http::pagination::{decode_cursor, encode_cursor};
use crate::http::{AppError, FieldError, PageRequest, QueryParams, RouteSpec};
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![RouteSpec::get("/partner/v1/events", list_events).query::<FeedQuery>()]
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct FeedQuery {
    /// A cursor from an earlier answer: the events after it.
    after: Option<String>,
    /// How many to answer: 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// One event as a partner reads it, in the feed and (without `cursor` and
/// `referral_id`) as a webhook message's body.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedItem {
    /// The event's id; a webhook carries it as `webhook-id`.
    pub id: String,
    /// `referral.requested`, `referral.acknowledged`, `referral.accepted`,
    /// `referral.on_hold`, `referral.resumed`, `referral.cancelled`,
    /// `consent.withdrawn`, `consent.expiring`, `consent.expired`,
    /// `sustainability.alert`, ...
    #[serde(rename = "type")]
    pub event_type: String,
    /// When it happened (RFC 3339, UTC).
    pub timestamp: String,
    pub referral_id: Option<String>,
    /// Ids only (besides a hold's `review_on`, a decline's
    /// `status_reason` code, an expiring consent's `valid_until` and a
    /// sustainability alert's `reasons`: scores and model ids, never
    /// notes); fetch details through the API.
    #[schema(value_type = Object)]
    pub data: Value,
    /// Pass as `after` to read the events after this one.
    pub cursor: String,
}

/// A page of the feed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedPage {
    pub items: Vec<FeedItem>,
    /// Set while more events are waiting now.
    pub next_cursor: Option<String>,
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
    let items: Vec<FeedItem> = events
        .iter()
        .take(page.limit as usize)
        .map(|event| {
            let payload: Value = serde_json::from_str(&event.payload).unwrap_or(Value::Null);
            FeedItem {
                id: event.id.clone(),
                event_type: event.event_type.clone(),
                timestamp: payload["timestamp"].as_str().unwrap_or_default().to_owned(),
                referral_id: event.referral_id.clone(),
                data: payload["data"].clone(),
                cursor: encode_cursor(&event.seq.to_string()),
            }
        })
        .collect();
    let next_cursor = if more {
        items.last().map(|item| item.cursor.clone())
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(FeedPage { items, next_cursor }))
}
