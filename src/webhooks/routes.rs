//! `/partner/v1/webhook`: a partner sets its webhook (and receives the
//! signing secret), reads how its deliveries stand, and sends itself a test.

use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde_json::json;

use super::worker::check_url;
use super::{WebhookInput, WebhookTestResult, chosen_url, commands, queries, store};
use crate::audit::AuditContext;
use crate::auth::PartnerCaller;
use crate::domain::{Refusal, utc};
use crate::http::{AppError, OptionalJsonBody, Problem, RouteSpec};
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

async fn get_webhook(
    state: web::Data<AppState>,
    caller: PartnerCaller,
) -> Result<HttpResponse, AppError> {
    let body = state
        .db
        .read(move |conn| queries::settings(conn, &caller.partner_id))
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
    let url = chosen_url(body.0.url, preset.as_deref())?;
    // Resolving the host takes time: done before the transaction.
    let url = check_url(&url, allow_local)
        .await
        .map_err(|message| Refusal::field("url", message))?
        .to_string();
    let is_preset = preset.is_some();
    let body = state
        .db
        .write(move |conn| commands::set(conn, &audit, &url, is_preset, Utc::now()))
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
    if let Some(wait) = state.webhooks.test_wait(&partner) {
        return Err(Problem::new(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            "too-many-webhook-tests",
            "Too Many Requests",
            format!(
                "At most {} test calls a minute; try again later.",
                super::sender::TESTS_PER_MINUTE
            ),
        )
        .with_header(
            actix_web::http::header::RETRY_AFTER,
            wait.as_secs().max(1).to_string(),
        )
        .into());
    }
    let endpoint = state
        .db
        .write(move |conn| commands::prepare_test(conn, &audit, &partner, Utc::now()))
        .await?;
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
        super::Attempt::Failed { status, error, .. } => {
            (false, status, Some(super::failure_class(status, &error)))
        }
    };
    Ok(HttpResponse::Ok().json(WebhookTestResult {
        webhook_id: id,
        url: endpoint.url,
        delivered,
        response_status: status,
        error,
    }))
}
