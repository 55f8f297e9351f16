//! Liveness and readiness for load balancers and orchestrators.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::db::{DbError, migrations};
use crate::http::{AppError, Problem, RouteSpec};
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::get("/healthz", healthz),
        RouteSpec::get("/readyz", readyz),
    ]
}

/// 200 while the process is up: it checks nothing else on purpose.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "up"}))
}

/// 200 when the database answers and every migration is applied, else 503.
async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let db = state.db.clone();
    let backend = db.backend().name();
    let checked = tokio::task::spawn_blocking(move || -> Result<usize, DbError> {
        let mut conn = db.conn_within(Duration::from_secs(2))?;
        migrations::pending_count(&mut conn)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    match checked {
        Ok(0) => Ok(HttpResponse::Ok().json(json!({
            "status": "ready",
            "database": backend,
            "migrations": "current",
        }))),
        Ok(pending) => Err(not_ready(format!(
            "{pending} database migrations are pending."
        ))),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            Err(not_ready("The database does not answer.".to_owned()))
        }
    }
}

fn not_ready(detail: String) -> AppError {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "not-ready",
        "Service Unavailable",
        detail,
    )
    .with_header(actix_web::http::header::RETRY_AFTER, "5")
    .into()
}
