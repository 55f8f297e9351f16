//! `GET /metrics` on a listener of its own (`metrics_addr`), for operators:
//! the process's counters and histograms, and gauges read from the
//! database at each scrape (the pool, each partner's webhook queue, dead
//! letters, sessions in use). Also the middleware that counts requests.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use ::metrics::{Unit, describe_gauge, gauge};
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServerHandle, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{App, HttpResponse, HttpServer, web};
use chrono::{DateTime, Utc};
use metrics_exporter_prometheus::PrometheusBuilder;

use crate::db::{Db, DbError, PoolState};
use crate::webhooks::store::Backlog;

/// The one path the metrics listener answers.
pub const PATH: &str = "/metrics";

/// Histograms are folded into their buckets at least this often, whether or
/// not anyone scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

pub const DB_UP: &str = "brug_db_up";
pub const POOL_CONNECTIONS: &str = "brug_db_pool_connections";
pub const POOL_MAX: &str = "brug_db_pool_max_connections";
pub const POOL_WAITING: &str = "brug_db_pool_waiting";
pub const OUTBOX_LAG: &str = "brug_outbox_lag_seconds";
pub const OUTBOX_PENDING: &str = "brug_outbox_pending";
pub const WEBHOOK_DEAD_LETTERS: &str = "brug_webhook_dead_letters";
pub const MAIL_DEAD_LETTERS: &str = "brug_mail_dead_letters";
pub const SESSIONS_ACTIVE: &str = "brug_sessions_active";

/// Counts every answered request by its route's pattern, method and status,
/// and times it (to the response's head).
pub async fn record_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let result = next.call(req).await;
    let (route, status) = match &result {
        Ok(res) => (res.request().match_pattern(), res.status()),
        Err(e) => (None, e.as_response_error().status_code()),
    };
    super::http_request(
        method.as_str(),
        route.as_deref().unwrap_or(super::UNMATCHED),
        status.as_u16(),
        started.elapsed(),
    );
    result
}

/// What a scrape reads from the database.
struct Snapshot {
    backlog: BTreeMap<String, Backlog>,
    staff_sessions: i64,
    portal_sessions: i64,
    mail_dead: i64,
}

impl Snapshot {
    fn read(conn: &mut crate::db::DbConn, now: DateTime<Utc>) -> Result<Self, DbError> {
        Ok(Self {
            backlog: crate::webhooks::store::backlog(conn)?,
            staff_sessions: crate::auth::sessions::active_count(conn, now)?,
            portal_sessions: crate::auth::portal_sessions::active_count(conn, now)?,
            mail_dead: crate::mail::store::dead_count(conn)?,
        })
    }
}

/// The gauges of this database, in a recorder of their own made for this
/// scrape: a partner that is gone leaves no stale line behind, and two
/// instances in one process (the tests) do not mix their databases.
fn gauges(pool: PoolState, snapshot: Option<&Snapshot>, now: DateTime<Utc>) -> String {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    ::metrics::with_local_recorder(&recorder, || {
        describe_gauge!(DB_UP, "1 when the database answered this scrape, else 0.");
        describe_gauge!(
            POOL_CONNECTIONS,
            "Pooled database connections, by state (in_use, idle)."
        );
        describe_gauge!(POOL_MAX, "Most pooled database connections (db_pool_size).");
        describe_gauge!(POOL_WAITING, "Callers waiting for a pooled connection.");
        gauge!(DB_UP).set(if snapshot.is_some() { 1.0 } else { 0.0 });
        gauge!(POOL_CONNECTIONS, "state" => "in_use").set(f64::from(pool.in_use));
        gauge!(POOL_CONNECTIONS, "state" => "idle").set(f64::from(pool.idle));
        gauge!(POOL_MAX).set(f64::from(pool.max));
        gauge!(POOL_WAITING).set(pool.waiting as f64);
        let Some(snapshot) = snapshot else {
            return;
        };
        describe_gauge!(
            OUTBOX_LAG,
            Unit::Seconds,
            "Age of the oldest event not yet delivered to the partner's webhook; 0 when none waits."
        );
        describe_gauge!(
            OUTBOX_PENDING,
            "Events waiting for delivery to the partner's webhook."
        );
        describe_gauge!(
            WEBHOOK_DEAD_LETTERS,
            "Webhook deliveries given up on, by partner (brug events dead)."
        );
        describe_gauge!(
            MAIL_DEAD_LETTERS,
            "Email notifications given up on (brug mail dead)."
        );
        describe_gauge!(
            SESSIONS_ACTIVE,
            "Web sessions in use, by kind (staff, portal)."
        );
        let now = now.naive_utc();
        for (partner, backlog) in &snapshot.backlog {
            let lag = backlog
                .oldest_pending
                .map(|oldest| (now - oldest).as_seconds_f64().max(0.0))
                .unwrap_or(0.0);
            gauge!(OUTBOX_LAG, "partner" => partner.clone()).set(lag);
            gauge!(OUTBOX_PENDING, "partner" => partner.clone()).set(backlog.pending as f64);
            gauge!(WEBHOOK_DEAD_LETTERS, "partner" => partner.clone()).set(backlog.dead as f64);
        }
        gauge!(MAIL_DEAD_LETTERS).set(snapshot.mail_dead as f64);
        gauge!(SESSIONS_ACTIVE, "kind" => "staff").set(snapshot.staff_sessions as f64);
        gauge!(SESSIONS_ACTIVE, "kind" => "portal").set(snapshot.portal_sessions as f64);
    });
    handle.render()
}

async fn scrape(db: web::Data<Db>) -> HttpResponse {
    let now = Utc::now();
    // Before the scrape takes a connection of its own.
    let pool = db.pool_state();
    let snapshot = match db.read(move |conn| Snapshot::read(conn, now)).await {
        Ok(snapshot) => Some(snapshot),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot read the database");
            None
        }
    };
    let mut body = super::handle().map(|h| h.render()).unwrap_or_default();
    body.push_str(&gauges(pool, snapshot.as_ref(), now));
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// The metrics listener: bound at once (so that a bad address stops the
/// start), served by [`MetricsServer::run`].
pub struct MetricsServer {
    port: u16,
    server: Server,
}

impl MetricsServer {
    /// Installs the recorder (once per process) and binds `addr` (port 0
    /// picks a free one).
    pub fn bind(addr: &str, db: Db) -> std::io::Result<Self> {
        super::install();
        let listener = TcpListener::bind(addr)?;
        let port = listener.local_addr()?.port();
        let db = web::Data::new(db);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(db.clone())
                .route(PATH, web::get().to(scrape))
        })
        .workers(1)
        // Stopped with the service it reports on, not by signals itself.
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)?
        .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped through its [`ServerHandle`].
    pub async fn run(self) -> std::io::Result<()> {
        let upkeep = async {
            loop {
                tokio::time::sleep(UPKEEP_EVERY).await;
                if let Some(handle) = super::handle() {
                    handle.run_upkeep();
                }
            }
        };
        tokio::select! {
            served = self.server => served,
            () = upkeep => Ok(()),
        }
    }
}
