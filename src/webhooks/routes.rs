//! `/partner/v1/webhook`: a partner sets its webhook (and receives the
//! signing secret), reads how its deliveries stand, and sends itself a test.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;
use validator::Validate;

use super::store::{self, Counts, Endpoint};
use super::worker::check_url;
use crate::audit::AuditContext;
use crate::auth::PartnerCaller;
use crate::db::DbError;
use crate::domain::utc;
use crate::http::{AppError, FieldError, OptionalJsonBody, Problem, RouteSpec};
use crate::state::AppState;

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
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// Where to deliver: `https://` and a public address. May be left out
    /// when the partner directory fixes the URL.
    #[serde(default)]
    pub url: Option<String>,
}

/// A partner's webhook.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookView {
    pub url: String,
    /// `active`, or `disabled` after the webhook answered 410 Gone.
    pub status: String,
    pub disabled_reason: Option<String>,
    /// True when the partner directory fixes the URL.
    pub set_by_directory: bool,
    pub created_at: String,
    pub updated_at: String,
    /// How the deliveries stand (`GET` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliveries: Option<DeliveryCounts>,
    /// The signing secret (`whsec_...`), shown once, when the webhook is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryCounts {
    /// Waiting for their first attempt or a retry.
    pub pending: i64,
    pub delivered: i64,
    /// Given up after the last retry, or when the webhook answered 410.
    pub dead: i64,
}

/// What `POST /partner/v1/webhook/test` came to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookTestResult {
    /// The test message's `webhook-id`.
    pub webhook_id: String,
    pub url: String,
    /// True when the webhook answered 2xx.
    pub delivered: bool,
    pub response_status: Option<u16>,
    pub error: Option<String>,
}

fn view(endpoint: &Endpoint, preset: bool, counts: Option<&Counts>) -> WebhookView {
    WebhookView {
        url: endpoint.url.clone(),
        status: endpoint.status.clone(),
        disabled_reason: endpoint.disabled_reason.clone(),
        set_by_directory: preset,
        created_at: utc::format(&endpoint.created_at),
        updated_at: utc::format(&endpoint.updated_at),
        deliveries: counts.map(|c| DeliveryCounts {
            pending: c.pending,
            delivered: c.delivered,
            dead: c.dead,
        }),
        secret: None,
    }
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
            body.secret = Some(endpoint.secret.clone());
            Ok::<_, DbError>(body)
        })
        .await?;
    // The secret is in this answer: no cache may keep it.
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(body))
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
    let payload = crate::events::store::Message {
        event_type: "webhook.test".to_owned(),
        timestamp: utc::format(&crate::audit::stored_time(now)),
        data: json!({"partner_id": caller.partner_id}),
    }
    .to_json();
    let secrets = endpoint.signing_secrets(now.naive_utc());
    let attempt = state
        .webhooks
        .send(&endpoint.url, &secrets, &id, &payload)
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
    Ok(HttpResponse::Ok().json(WebhookTestResult {
        webhook_id: id,
        url: endpoint.url,
        delivered,
        response_status: status,
        error,
    }))
}
