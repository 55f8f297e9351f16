//! Assembling the service: prepare the database, build the App, bind, run
//! until SIGTERM or ctrl-c (requests in flight finish first).

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};
use tracing_actix_web::TracingLogger;

use crate::audit::Actor;
use crate::auth::throttle::FailedAuthThrottle;
use crate::config::Settings;
use crate::db::deferred::Seal;
use crate::db::{Db, DbError, Target, migrations};
use crate::http::{self, AppError, RouteSpec};
use crate::metrics::routes::MetricsServer;
use crate::monitoring::{Model, ModelTexts};
use crate::partners::commands as partner_commands;
use crate::partners::file::{LoadError, load_dir};
use crate::partners::store::SyncReport;
use crate::state::{ApiDocument, AppState};
use crate::webhooks::worker::Sender;

/// Every route of the service; `crate::auth::policy::POLICY` names each one.
pub fn routes() -> Vec<RouteSpec> {
    let mut routes = crate::health::routes();
    routes.extend(crate::auth::routes::routes());
    routes.extend(crate::audit::routes::routes());
    routes.extend(crate::partners::routes::routes());
    routes.extend(crate::clients::routes::routes());
    routes.extend(crate::talks::routes::routes());
    routes.extend(crate::consent::routes::routes());
    routes.extend(crate::cases::routes::routes());
    routes.extend(crate::referrals::routes::routes());
    routes.extend(crate::referrals::partner_routes::routes());
    routes.extend(crate::monitoring::routes::routes());
    routes.extend(crate::events::routes::routes());
    routes.extend(crate::webhooks::routes::routes());
    routes.extend(crate::reports::routes::routes());
    routes.extend(crate::rights::routes::routes());
    routes.extend(crate::openapi::routes::routes());
    routes
}

/// Extra routes mounted beside the real ones (tests use it for probes).
pub type ExtraRoutes = fn(&mut web::ServiceConfig);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the partner directory {dir} has {count} problem(s):\n{list}")]
    InvalidPartners {
        dir: String,
        count: usize,
        list: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the monitoring model is not valid: {0}")]
    Model(String),
    #[error("cannot set up webhook delivery: {0}")]
    Webhooks(String),
    #[error(transparent)]
    Mail(#[from] crate::mailer::worker::MailerError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    /// The async runtime could not start, or the server stopped with an error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The webhook worker's task ended in a panic.
    #[error(transparent)]
    Worker(#[from] tokio::task::JoinError),
}

/// Where the audit key is: `audit_key_file`, else beside the SQLite
/// database, else `brug-audit.key` in the working directory.
pub fn audit_key_path(settings: &Settings) -> Result<PathBuf, DbError> {
    if let Some(path) = &settings.audit_key_file {
        return Ok(path.clone());
    }
    Ok(match Target::parse(settings.database_url.expose())? {
        Target::Sqlite(path) => PathBuf::from(format!("{path}.audit-key")),
        Target::Postgres(_) => PathBuf::from("brug-audit.key"),
    })
}

/// Who may make the audit key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKey {
    /// `serve` and the commands that prepare the database as it does:
    /// made when there is none.
    MakeIfMissing,
    /// Commands that write to a running database: the key must exist, so
    /// that nothing is ever sealed with a key made up on the spot.
    MustExist,
    /// Commands that write no audit entry (`migrate`).
    IfAny,
}

/// The audit key, created on first start when there is none.
fn audit_seal(settings: &Settings, rule: AuditKey) -> Result<Seal, DbError> {
    let path = audit_key_path(settings)?;
    let config = |e: crate::audit::key::KeyError| DbError::Config(e.to_string());
    let (key, created) = match rule {
        AuditKey::MakeIfMissing => crate::audit::key::load_or_create(&path).map_err(config)?,
        AuditKey::MustExist => match crate::audit::key::load(&path) {
            Ok(key) => (key, false),
            Err(crate::audit::key::KeyError::Missing { path }) => {
                return Err(DbError::Config(format!(
                    "no audit key at {path}: start `brug serve` once (it makes one), or set \
                     audit_key_file to this database's key"
                )));
            }
            Err(other) => return Err(config(other)),
        },
        AuditKey::IfAny => match crate::audit::key::load(&path) {
            Ok(key) => (key, false),
            Err(crate::audit::key::KeyError::Missing { .. }) => return Ok(Seal::default()),
            Err(other) => return Err(config(other)),
        },
    };
    if created {
        tracing::warn!(
            path = %path.display(),
            "generated a new audit key: keep a copy apart from the database and its backups; \
             every instance on this database needs the same key (audit_key_file)"
        );
    }
    let seal = Seal::new(&key);
    Ok(if created { seal.made_now() } else { seal })
}

/// Opens the database from the settings, with the audit key (made if there
/// is none): for `serve` and what prepares the database as it does.
pub fn open_db(settings: &Settings) -> Result<Db, DbError> {
    open_db_with(settings, AuditKey::MakeIfMissing)
}

/// Opens the database from the settings, with the audit key as `rule` says.
pub fn open_db_with(settings: &Settings, rule: AuditKey) -> Result<Db, DbError> {
    // Mail is queued only by an instance that sends it.
    let mail: Option<crate::db::deferred::OnEvent> = Some(crate::mail::enqueue_for_event);
    let seal = audit_seal(settings, rule)?.with_mail(mail.filter(|_| settings.smtp_url.is_some()));
    Db::new(
        settings.database_url.expose(),
        settings.db_pool_size,
        Duration::from_secs(settings.db_timeout_secs),
    )
    .map(|db| {
        db.with_batching(
            settings.write_batch_max,
            Duration::from_micros(settings.write_batch_wait_us),
        )
        .with_seal(seal)
        .with_pg_writers(settings.pg_writers)
    })
}

/// Everything `serve` does before it listens: check the partner directory
/// (before touching the database, so that an invalid one changes nothing),
/// apply pending migrations, then sync the directory in one transaction.
pub fn prepare(settings: &Settings, db: &Db) -> Result<Option<SyncReport>, StartError> {
    let records = match load_dir(&settings.partners_dir) {
        Ok(records) => Some(records),
        Err(LoadError::Missing(dir)) => {
            tracing::warn!(dir = %dir.display(), "partner directory not found; partners are not synced");
            None
        }
        Err(LoadError::Invalid(problems)) => {
            return Err(StartError::InvalidPartners {
                dir: settings.partners_dir.display().to_string(),
                count: problems.len(),
                list: problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n"),
            });
        }
    };
    let applied = migrations::run_pending(&mut *db.conn()?)?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "database migrated");
    }
    if let Some(key) = db.seal().key() {
        let key = key.to_vec();
        let made_now = db.seal().is_new();
        let sealed = db.write_blocking(|conn| {
            crate::audit::anchor::seal_chain(conn, &key, made_now, chrono::Utc::now())
        })?;
        if sealed == crate::audit::anchor::HeadSeal::Plain {
            tracing::info!("the audit chain is sealed with the audit key from here on");
        }
    }
    let Some(records) = records else {
        return Ok(None);
    };
    let report = db.write_blocking(|conn| {
        partner_commands::sync(
            conn,
            &Actor::system("partner-sync"),
            &records,
            chrono::Utc::now(),
        )
    })?;
    tracing::info!(%report, dir = %settings.partners_dir.display(), "partner directory synced");
    Ok(Some(report))
}

/// The client that signs and sends webhook messages.
pub fn webhook_sender(settings: &Settings) -> Result<Sender, StartError> {
    Sender::new(settings).map_err(|e| StartError::Webhooks(e.to_string()))
}

/// What the worker does every minute besides delivering webhooks and
/// announcing monitoring visits: the jobs of areas above `webhooks`.
pub fn worker_chores(settings: &Settings) -> Vec<crate::webhooks::worker::Chore> {
    let warning_days = settings.consent_warning_days;
    vec![crate::webhooks::worker::Chore {
        name: "consent-expiry",
        run: Arc::new(move |conn, now| {
            crate::referrals::commands::consent_expiry::look(conn, warning_days, now)
                .map(|round| round.total())
        }),
    }]
}

/// Starts the delivery worker, with its chores, on the current runtime;
/// send `true` to stop it.
pub fn spawn_worker(
    db: Db,
    settings: &Settings,
    sender: Arc<Sender>,
) -> (
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<()>,
) {
    crate::webhooks::worker::spawn_with(db, settings, sender, worker_chores(settings))
}

/// `brug serve`: prepares the database, then serves HTTP (and, unless
/// `with_worker` is false, delivers webhooks) until SIGTERM or ctrl-c.
pub fn serve(settings: Settings, with_worker: bool) -> Result<(), StartError> {
    tracing::info!(
        database = %settings.database_url,
        addr = %settings.addr,
        partners_dir = %settings.partners_dir.display(),
        "starting brug {}",
        env!("CARGO_PKG_VERSION")
    );
    let db = open_db(&settings)?;
    prepare(&settings, &db)?;
    runtime()?.block_on(async move {
        let worker_settings = settings.clone();
        let worker_db = db.clone();
        let app = Application::build(settings, db, None)?;
        let (worker, mailer) = if with_worker {
            let sender = Arc::new(webhook_sender(&worker_settings)?);
            let mailer = crate::mailer::worker::spawn(worker_db.clone(), &worker_settings)?;
            let worker = spawn_worker(worker_db, &worker_settings, sender);
            (Some(worker), mailer)
        } else {
            (None, None)
        };
        tracing::info!(
            port = app.port(),
            metrics_port = app.metrics_port(),
            "listening"
        );
        app.run_until_stopped().await?;
        for (stop, running) in worker.into_iter().chain(mailer) {
            let _ = stop.send(true);
            running.await?;
        }
        tracing::info!("stopped");
        Ok(())
    })
}

/// `brug worker`: delivers webhooks (and, with `smtp_url`, sends mail)
/// from `db` (already migrated) until SIGTERM or ctrl-c, without serving HTTP.
pub fn run_worker(settings: Settings, db: Db) -> Result<(), StartError> {
    let sender = Arc::new(webhook_sender(&settings)?);
    runtime()?.block_on(async move {
        let metrics = bind_metrics(&settings, &db)?.map(|metrics| {
            tracing::info!(port = metrics.port(), "metrics listening");
            let handle = metrics.handle();
            (handle, tokio::spawn(metrics.run()))
        });
        let mailer = crate::mailer::worker::spawn(db.clone(), &settings)?;
        let worker = spawn_worker(db, &settings, sender);
        shutdown_signal().await;
        if let Some((handle, running)) = metrics {
            handle.stop(true).await;
            running.await??;
        }
        for (stop, running) in std::iter::once(worker).chain(mailer) {
            let _ = stop.send(true);
            running.await?;
        }
        Ok(())
    })
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// Resolves on SIGTERM or ctrl-c.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

pub struct Application {
    port: u16,
    server: Server,
    /// `GET /metrics`, when `metrics_addr` is set.
    metrics: Option<MetricsServer>,
}

/// Binds the metrics listener when `metrics_addr` is set.
fn bind_metrics(settings: &Settings, db: &Db) -> Result<Option<MetricsServer>, StartError> {
    settings
        .metrics_listen_addr()
        .map(|addr| {
            MetricsServer::bind(addr, db.clone()).map_err(|source| StartError::Bind {
                addr: addr.to_owned(),
                source,
            })
        })
        .transpose()
}

impl Application {
    /// Binds the listener (port 0 picks a free one) and builds the server.
    pub fn build(
        settings: Settings,
        db: Db,
        extra: Option<ExtraRoutes>,
    ) -> Result<Self, StartError> {
        Self::build_checked(settings, db, extra, None)
    }

    /// [`Application::build`], with every answer shown to `check` (the
    /// test suite holds each to the OpenAPI document).
    pub fn build_checked(
        settings: Settings,
        db: Db,
        extra: Option<ExtraRoutes>,
        check: Option<http::contract::Check>,
    ) -> Result<Self, StartError> {
        let listener = TcpListener::bind(&settings.addr).map_err(|source| StartError::Bind {
            addr: settings.addr.clone(),
            source,
        })?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
        let metrics = bind_metrics(&settings, &db)?;
        let model =
            Arc::new(Model::load(settings.monitoring_model.as_deref()).map_err(StartError::Model)?);
        let model_texts = Arc::new(
            ModelTexts::load(settings.monitoring_model.as_deref(), &model)
                .map_err(StartError::Model)?,
        );
        let webhooks = Arc::new(webhook_sender(&settings)?);
        let settings = Arc::new(settings);
        // The middleware of `http` reach the database and the throttle on
        // their own, without the whole state.
        let db_data = web::Data::new(db.clone());
        let document = web::Data::new(ApiDocument(crate::openapi::document(&routes())));
        let throttle = web::Data::new(FailedAuthThrottle::<std::net::IpAddr>::default());
        // The web sign-in's second throttle, per account.
        let accounts = web::Data::new(FailedAuthThrottle::<String>::per_minute(
            crate::auth::throttle::ACCOUNT_FAILURES_PER_MINUTE,
        ));
        let proxies = web::Data::new(settings.trusted_proxies.clone());
        let state = web::Data::new(AppState {
            db,
            settings: settings.clone(),
            model,
            model_texts,
            webhooks,
            directory: Arc::default(),
        });
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(db_data.clone())
                .app_data(document.clone())
                .app_data(throttle.clone())
                .app_data(accounts.clone())
                .app_data(proxies.clone())
                .app_data(web::PayloadConfig::new(http::MAX_BODY_BYTES))
                .wrap(ErrorHandlers::new().default_handler(http::problem::render_bare_error))
                // Answers carry personal data: no cache, shared or private,
                // may keep them.
                .wrap(
                    actix_web::middleware::DefaultHeaders::new()
                        .add((actix_web::http::header::CACHE_CONTROL, "no-store")),
                )
                .wrap(from_fn(http::request_id::add_request_id_header))
                .wrap({
                    let check = check.clone();
                    from_fn(move |req, next| http::contract::checked(check.clone(), req, next))
                })
                .wrap(from_fn(crate::metrics::routes::record_request))
                .wrap(TracingLogger::<crate::telemetry::RequestSpan>::new())
                .configure(|cfg| http::register(cfg, routes()))
                .configure(crate::portal::config)
                .configure(crate::web::config)
                .configure(|cfg| {
                    if let Some(extra) = extra {
                        extra(cfg);
                    }
                })
                .default_service(web::to(|| async {
                    Err::<(), _>(AppError::not_found("route"))
                }))
        })
        .shutdown_timeout(settings.shutdown_timeout_secs);
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        let server = server
            .listen(listener)
            .map_err(|source| StartError::Bind {
                addr: settings.addr.clone(),
                source,
            })?
            .run();
        Ok(Self {
            port,
            server,
            metrics,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics listener's port, when `metrics_addr` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(MetricsServer::port)
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM or ctrl-c; actix lets requests in flight finish
    /// within the shutdown timeout.
    /// The metrics listener stops with the service.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(|metrics| {
            let handle = metrics.handle();
            (handle, tokio::spawn(metrics.run()))
        });
        let served = self.server.await;
        if let Some((handle, running)) = metrics {
            handle.stop(true).await;
            if let Ok(Err(e)) = running.await {
                tracing::warn!(error = %e, "the metrics listener stopped with an error");
            }
        }
        served
    }
}
