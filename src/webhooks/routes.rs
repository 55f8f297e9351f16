//! `/partner/v1/webhook`: a partner sets its webhook (and receives the
//! signing secret), reads how its deliveries stand, and sends itself a test.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use validator::Validate;

use super::store::{self, Counts, Endpoint};
use super::worker::check_url;
use crate::audit::AuditContext;
use crate::auth::PartnerCaller;
use crate::db::DbError;
use crate::domain::utc;
use crate::http::{AppError, FieldError, OptionalJsonBody, Problem, RouteSpec};
use crate::startup::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::get("/partner/v1/webhook", get_webhook),
        RouteSpec::new(
            actix_web::http::Method::PUT,
            "/partner/v1/webhook",
            set_webhook,
        ),
        RouteSpec::post("/partner/v1/webhook/test", test_webhook),
    ]
}

/// `PUT /partner/v1/webhook`.
#[derive(Debug, Clone, Default, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// Where to deliver: `https://` and a public address. May be left out
    /// when the partner directory fixes the URL.
    #[serde(default)]
    pub url: Option<String>,
}

fn view(endpoint: &Endpoint, preset: bool, counts: Option<&Counts>) -> Value {
    let mut body = json!({
        "url": endpoint.url,
        "status": endpoint.status,
        "disabled_reason": endpoint.disabled_reason,
        "set_by_directory": preset,
        "created_at": utc::format(&endpoint.created_at),
        "updated_at": utc::format(&endpoint.updated_at),
    });
    if let Some(counts) = counts {
        body["deliveries"] = json!({
            "pending": counts.pending,
            "delivered": counts.delivered,
            "dead": counts.dead,
        });
    }
    body
}

async fn get_webhook(
    state: web::Data<AppState>,
    caller: PartnerCaller,
) -> Result<HttpResponse, AppError> {
    let body = state
        .db
        .read(move |conn| {
            let Some(endpoint) = store::endpoint(conn, &caller.partner_id)? else {
                return Err(AppError::not_found("webhook"));
            };
            let preset = store::preset_url(conn, &caller.partner_id)?.is_some();
            let counts = store::counts(conn, &caller.partner_id)?;
            Ok(view(&endpoint, preset, Some(&counts)))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn set_webhook(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
    body: OptionalJsonBody<WebhookInput>,
) -> Result<HttpResponse, AppError> {
    let allow_local = state.settings.webhook_allow_local;
    let partner = caller.partner_id.clone();
    let preset = state
        .db
        .read(move |conn| store::preset_url(conn, &partner).map_err(AppError::from))
        .await?;
    let url = match (body.0.url, &preset) {
        (None, None) => {
            return Err(AppError::validation(vec![FieldError::new(
                "url",
                "is required: the partner directory sets no webhook URL for you",
            )]));
        }
        (None, Some(preset)) => preset.clone(),
        (Some(url), Some(preset)) if url.trim() != preset => {
            return Err(AppError::validation(vec![FieldError::new(
                "url",
                format!("is fixed by the partner directory as {preset}; leave it out"),
            )]));
        }
        (Some(url), _) => url.trim().to_owned(),
    };
    let url = check_url(&url, allow_local)
        .await
        .map_err(|message| AppError::validation(vec![FieldError::new("url", message)]))?
        .to_string();
    let secret = super::new_secret()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness for a secret: {e}")))?;
    let is_preset = preset.is_some();
    let body = state
        .db
        .write(move |conn| {
            let now = Utc::now();
            let endpoint = store::set_endpoint(conn, &caller.partner_id, &url, &secret, now)?;
            audit.record(conn, "webhook", &caller.partner_id, now)?;
            let mut body = view(&endpoint, is_preset, None);
            body["secret"] = json!(endpoint.secret);
            Ok::<_, DbError>(body)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn test_webhook(
    state: web::Data<AppState>,
    caller: PartnerCaller,
    audit: AuditContext,
) -> Result<HttpResponse, AppError> {
    let partner = caller.partner_id.clone();
    let endpoint = state
        .db
        .write(move |conn| {
            let endpoint = store::endpoint(conn, &partner)?;
            audit.record(conn, "webhook", &partner, Utc::now())?;
            Ok::<_, DbError>(endpoint)
        })
        .await?
        .ok_or_else(|| {
            AppError::from(Problem::new(
                actix_web::http::StatusCode::CONFLICT,
                "webhook-not-set",
                "No Webhook",
                "Set a webhook with PUT /partner/v1/webhook first.",
            ))
        })?;
    let id = uuid::Uuid::now_v7().to_string();
    let now = Utc::now();
    let payload = json!({
        "type": "webhook.test",
        "timestamp": utc::format(&crate::audit::stored_time(now)),
        "data": {"partner_id": caller.partner_id},
    })
    .to_string();
    let attempt = state
        .webhooks
        .send(&endpoint.url, &endpoint.secret, &id, &payload)
        .await;
    let (delivered, status, error) = match attempt {
        super::Attempt::Delivered { status } => (true, Some(status), None),
        super::Attempt::Gone => (
            false,
            Some(410),
            Some("the webhook answered 410 Gone".to_owned()),
        ),
        super::Attempt::Failed { status, error, .. } => (false, status, Some(error)),
    };
    Ok(HttpResponse::Ok().json(json!({
        "webhook_id": id,
        "url": endpoint.url,
        "delivered": delivered,
        "response_status": status,
        "error": error,
    })))
}
