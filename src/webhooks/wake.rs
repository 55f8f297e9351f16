//! What wakes an idle delivery worker: a commit of this process that
//! published events ([`Db::published`]), and on PostgreSQL a `NOTIFY` on
//! [`EVENTS_CHANNEL`] from any instance, heard on a connection of its own.
//! Polling goes on beside them: when the listener is down, events are still
//! delivered, a poll later.

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use tokio::sync::watch;

use crate::db::{Backend, Db, DbConn, EVENTS_CHANNEL};

/// How often the listener looks at what its connection has received:
/// libpq only reads on request, and diesel does not hand out the socket to
/// wait on. A look reads a local socket, with no round trip.
const LOOK_EVERY: Duration = Duration::from_millis(10);

/// How often the listener asks the server whether the connection is alive,
/// since a connection that died silently would only ever hear nothing.
const PING_EVERY: Duration = Duration::from_secs(30);

/// The longest wait before connecting again.
const MOST_BACKOFF: Duration = Duration::from_secs(30);

/// Counts the wake-ups; every lane of the worker watches it.
pub type Wake = Arc<watch::Sender<u64>>;

pub fn ring(wake: &Wake) {
    wake.send_modify(|n| *n = n.wrapping_add(1));
}

/// Passes this process's commits on to `wake` until `stop`.
pub async fn forward_published(db: Db, wake: Wake, mut stop: watch::Receiver<bool>) {
    let mut published = db.published();
    loop {
        tokio::select! {
            changed = published.changed() => {
                if changed.is_err() {
                    break;
                }
                ring(&wake);
            }
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
        }
    }
}

/// On PostgreSQL, listens on [`EVENTS_CHANNEL`] on a blocking thread and
/// rings `wake` for what it hears, connecting again (with backoff) after
/// any error, until `stop`. Nothing to do on SQLite: one machine, one
/// process's signal.
pub fn spawn_listener(
    db: Db,
    wake: Wake,
    stop: watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    (db.backend() == Backend::Postgres)
        .then(|| tokio::task::spawn_blocking(move || listen(&db, &wake, &stop)))
}

fn stopped(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow() || stop.has_changed().is_err()
}

/// Sleeps `wait` in short steps; false when told to stop meanwhile.
fn pause(wait: Duration, stop: &watch::Receiver<bool>) -> bool {
    let until = Instant::now() + wait;
    while Instant::now() < until {
        if stopped(stop) {
            return false;
        }
        std::thread::sleep(LOOK_EVERY.min(until.saturating_duration_since(Instant::now())));
    }
    !stopped(stop)
}

fn listen(db: &Db, wake: &Wake, stop: &watch::Receiver<bool>) {
    let mut backoff = Duration::from_millis(100);
    while !stopped(stop) {
        match listen_once(db, wake, stop) {
            Ok(()) => return,
            Err(e) => tracing::warn!(
                error = %e,
                retry_in_ms = backoff.as_millis() as u64,
                "the webhook worker cannot listen for new events; polling meanwhile"
            ),
        }
        if !pause(backoff, stop) {
            return;
        }
        backoff = (backoff * 2).min(MOST_BACKOFF);
    }
}

/// One connection's life: `LISTEN`, then ring for every notification until
/// `stop` (`Ok`) or an error.
fn listen_once(db: &Db, wake: &Wake, stop: &watch::Receiver<bool>) -> Result<(), String> {
    let mut conn = db.dedicated().map_err(|e| e.to_string())?;
    let DbConn::Pg(pg) = &mut conn else {
        return Ok(());
    };
    diesel::sql_query(format!("LISTEN {EVENTS_CHANNEL}"))
        .execute(pg)
        .map_err(|e| e.to_string())?;
    tracing::debug!("the webhook worker listens for new events");
    // What was committed while nobody listened is due now.
    ring(wake);
    let mut pinged = Instant::now();
    loop {
        let mut heard = false;
        for notification in pg.notifications_iter() {
            notification.map_err(|e| e.to_string())?;
            heard = true;
        }
        if heard {
            ring(wake);
        }
        if pinged.elapsed() >= PING_EVERY {
            diesel::sql_query("SELECT 1")
                .execute(pg)
                .map_err(|e| e.to_string())?;
            pinged = Instant::now();
        }
        if !pause(LOOK_EVERY, stop) {
            return Ok(());
        }
    }
}
