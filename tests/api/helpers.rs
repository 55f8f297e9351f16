//! `spawn_app()`: the real server on port 0 over its own fresh database,
//! removed again when the test ends.

use std::path::{Path, PathBuf};
use std::time::Duration;

use actix_web::{HttpResponse, web};
use brug::auth::Role;
use brug::auth::commands as auth_commands;
use brug::auth::store::AdminError;
use brug::config::{DatabaseUrl, Settings};
use brug::db::Db;
use brug::db::DbConn;
use brug::domain::CountryCode;
use brug::http::{AppError, JsonBody};
use brug::startup::{self, Application};
use chrono::{DateTime, Utc};
use diesel::{Connection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use validator::Validate;

pub fn partners_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("partners")
}

/// A fresh, empty database that disappears with the guard.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    pub fn is_postgres(&self) -> bool {
        matches!(self.cleanup, Cleanup::Postgres { .. })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            match diesel::PgConnection::establish(admin_url) {
                Ok(mut conn) => {
                    if let Err(e) = diesel::sql_query(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    ))
                    .execute(&mut conn)
                    {
                        eprintln!("could not drop test database {name}: {e}");
                    }
                }
                Err(e) => eprintln!("could not drop test database {name}: {e}"),
            }
        }
    }
}

/// PostgreSQL when `TEST_DATABASE_URL` names a server, else an SQLite file in a temp dir.
pub fn test_database() -> TestDatabase {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("brug_test_{}", uuid::Uuid::now_v7().simple());
            let mut conn = diesel::PgConnection::establish(&admin_url)
                .unwrap_or_else(|e| panic!("TEST_DATABASE_URL {admin_url} does not answer: {e}"));
            diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .expect("create the test database");
            let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
            url.set_path(&name);
            TestDatabase {
                url: url.to_string(),
                cleanup: Cleanup::Postgres { admin_url, name },
            }
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("brug.sqlite").display());
            TestDatabase {
                url,
                cleanup: Cleanup::Sqlite(dir),
            }
        }
    }
}

pub fn test_settings(database_url: &str) -> Settings {
    Settings {
        database_url: DatabaseUrl::new(database_url),
        addr: "127.0.0.1:0".into(),
        partners_dir: partners_dir(),
        db_pool_size: 4,
        db_timeout_secs: 2,
        workers: 2,
        ..Settings::default()
    }
}

pub struct TestApp {
    pub address: String,
    /// `http://127.0.0.1:PORT` of `/metrics`, when `metrics_addr` is set.
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    pub db: Db,
    pub settings: Settings,
    /// A caseworker's token, sent by `get` and `post_json`.
    pub token: String,
    // Dropped last: the database goes once the app is gone.
    pub database: TestDatabase,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.get_as(Some(&self.token), path).await
    }

    /// GET with this token, or with none.
    pub async fn get_as(&self, token: Option<&str>, path: &str) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request sent")
    }

    /// A report as CSV (`Accept: text/csv`), asserted to be answered.
    pub async fn get_as_csv(&self, token: Option<&str>, path: &str) -> String {
        let mut request = self.client.get(self.url(path)).header("accept", "text/csv");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request sent");
        assert_eq!(response.status().as_u16(), 200, "{path}");
        response.text().await.expect("text")
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// POSTs JSON with this token (a staff token or a partner key) and
    /// answers the JSON of the success it must be.
    pub async fn post_ok(
        &self,
        token: &str,
        path: &str,
        body: serde_json::Value,
    ) -> serde_json::Value {
        let response = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request sent");
        let status = response.status();
        let text = response.text().await.expect("body");
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
    }

    /// Runs a store function in one write transaction, at the current time.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConn, DateTime<Utc>) -> Result<T, AdminError> + Send + 'static,
    ) -> T {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || db.write_blocking(|conn| f(conn, Utc::now())))
            .await
            .expect("ran")
            .unwrap_or_else(|e| panic!("store call failed: {e}"))
    }

    /// A new user with these roles; returns their token.
    pub async fn staff_token(&self, roles: &[Role]) -> String {
        let email = format!("{}@example.org", uuid::Uuid::now_v7().simple());
        let roles = roles.to_vec();
        self.write(move |conn, now| auth_commands::add_user(conn, &email, None, &roles, now))
            .await
            .secret
    }

    /// A new key for a partner of the shipped directory.
    pub async fn partner_key(&self, partner_id: &str) -> String {
        let partner_id = partner_id.to_owned();
        self.write(move |conn, now| auth_commands::add_partner_key(conn, &partner_id, now))
            .await
            .secret
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent")
    }
}

/// A webhook delivery worker on the test's runtime, stopped when dropped.
pub struct RunningWorker {
    stop: tokio::sync::watch::Sender<bool>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl RunningWorker {
    /// Stops the worker and waits for its round in progress to end.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(handle) = self.handle.take() {
            handle.await.expect("the worker ends cleanly");
        }
    }
}

impl Drop for RunningWorker {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl TestApp {
    /// Starts a delivery worker over this app's database and settings.
    pub fn start_worker(&self) -> RunningWorker {
        let sender =
            std::sync::Arc::new(startup::webhook_sender(&self.settings).expect("a webhook client"));
        let (stop, handle) = startup::spawn_worker(self.db.clone(), &self.settings, sender);
        RunningWorker {
            stop,
            handle: Some(handle),
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Prepares a fresh database as `brug serve` does, then serves it on port 0.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_configured(adjust, probe_routes).await
}

/// [`spawn_app_with`], with `extra` configuring the app instead of the
/// probe routes (tests use it to inject app data, such as a clock).
pub async fn spawn_app_configured(
    adjust: impl FnOnce(&mut Settings),
    extra: startup::ExtraRoutes,
) -> TestApp {
    let database = test_database();
    let mut settings = test_settings(&database.url);
    adjust(&mut settings);
    let db = startup::open_db(&settings).expect("open the database");
    let prepared = settings.clone();
    let prepare_db = db.clone();
    tokio::task::spawn_blocking(move || startup::prepare(&prepared, &prepare_db))
        .await
        .expect("prepare ran")
        .expect("prepare the database");
    let mut app = serve_with(settings, db, database, extra);
    app.token = app.staff_token(&[Role::Caseworker]).await;
    app
}

/// Serves an already prepared (or deliberately unprepared) database.
pub fn serve(settings: Settings, db: Db, database: TestDatabase) -> TestApp {
    serve_with(settings, db, database, probe_routes)
}

fn serve_with(
    settings: Settings,
    db: Db,
    database: TestDatabase,
    extra: startup::ExtraRoutes,
) -> TestApp {
    // Every answer is held to the OpenAPI document (see `contract`).
    let app = Application::build_checked(
        settings.clone(),
        db.clone(),
        Some(extra),
        Some(crate::contract::check()),
    )
    .expect("build the app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        metrics_address,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client"),
        db,
        settings,
        token: String::new(),
        database,
    }
}

/// Test-only routes that exercise the shared machinery (extractors, errors)
/// through the real middleware stack.
fn probe_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/test/echo", web::post().to(echo))
        .route("/test/internal-error", web::get().to(internal_error))
        .route("/test/database-error", web::get().to(database_error));
}

#[derive(Debug, Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct EchoInput {
    held_on: chrono::NaiveDate,
    #[validate(range(min = 5, max = 480))]
    duration_minutes: u32,
    #[validate(length(min = 1))]
    topics: Vec<String>,
    country: CountryCode,
    #[serde(default)]
    notes: Option<String>,
}

async fn echo(body: JsonBody<EchoInput>) -> HttpResponse {
    HttpResponse::Ok().json(body.into_inner())
}

async fn internal_error() -> Result<HttpResponse, AppError> {
    Err(AppError::Internal(anyhow::anyhow!(
        "secret internal detail: password=hunter2"
    )))
}

async fn database_error(state: web::Data<brug::state::AppState>) -> Result<HttpResponse, AppError> {
    state
        .db
        .read(|conn| {
            diesel::sql_query("SELECT no_such_column FROM no_such_table_hunter2")
                .execute(conn)
                .map_err(AppError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().finish())
}

/// Asserts a problem+json response and returns its body.
pub async fn problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: serde_json::Value = response.json().await.expect("a JSON problem");
    assert_eq!(body["status"], status);
    for member in ["type", "title", "detail"] {
        assert!(body[member].is_string(), "problem lacks {member}: {body}");
    }
    body
}

/// The fields named in a 422 problem.
pub fn named_fields(body: &serde_json::Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
