//! The database: one connection type over SQLite (the embedded default) and
//! PostgreSQL (production), a pool, and the only two ways in: [`Db::read`] and
//! [`Db::write`]. Nothing else opens a write transaction.

pub mod deferred;
mod locks;
pub mod migrations;
pub mod schema;
mod target;
pub mod writer;

pub use locks::{Locked, Named, lock_named, lock_row};
pub use target::Target;

use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;
use diesel::sqlite::SqliteConnection;

/// A connection to either backend. Backend-specific SQL matches on the
/// variant, in the store that needs it.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{0}")]
    Config(String),
    /// No connection could be had in time: the database is down or overloaded.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("migration failed: {0}")]
    Migration(String),
}

impl DbError {
    /// True when the database itself is out of reach, as opposed to a query
    /// that failed: the first is a 503, the second a 500.
    pub fn is_unavailable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            DbError::Unavailable(_) => true,
            DbError::Query(Error::DatabaseError(kind, info)) => {
                // SQLite still locked after the busy timeout: overloaded, not broken.
                let message = info.message();
                matches!(
                    kind,
                    DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand // PostgreSQL chose this write to break a deadlock between
                                                                                                 // two instances, or could not serialise it: trying again works.
                ) || matches!(kind, DatabaseErrorKind::SerializationFailure)
                    || message.contains("deadlock detected")
                    || message.contains("database is locked")
                    || message.contains("database is busy")
            }
            DbError::Query(Error::BrokenTransactionManager) => true,
            _ => false,
        }
    }
}

/// Hands out connections to one [`Target`].
#[derive(Debug)]
pub struct Manager {
    target: Target,
}

impl diesel::r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        self.target
            .establish()
            .map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.ping()
            .map(|_| ())
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

pub type Pool = diesel::r2d2::Pool<Manager>;
pub type PooledConn = diesel::r2d2::PooledConnection<Manager>;

/// The database handle shared by every request and worker.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    timeout: Duration,
    target: Target,
    /// The process's writers ([`writer`]): one on SQLite, which has one
    /// write lock; several on PostgreSQL, where each rule holds by its own
    /// row locks, so that their SQL runs side by side (each started on its
    /// first write, and again should it ever have stopped).
    writers: Arc<Vec<Mutex<Option<Sender<writer::Queued>>>>>,
    /// Which writer takes the next write (round robin).
    next_writer: Arc<std::sync::atomic::AtomicUsize>,
    /// Counts this process's commits that published events: the delivery
    /// worker waits on it instead of polling (other processes hear of them
    /// through PostgreSQL's `NOTIFY` on [`EVENTS_CHANNEL`]).
    published: Arc<tokio::sync::watch::Sender<u64>>,
    batching: writer::Batching,
    /// Seals the audit chain (see [`deferred::Seal`]).
    seal: deferred::Seal,
    /// Callers waiting for a pooled connection right now (for `/metrics`).
    waiting: Arc<std::sync::atomic::AtomicUsize>,
}

/// How the connection pool stands, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    pub max: u32,
    pub in_use: u32,
    pub idle: u32,
    pub waiting: usize,
}

/// Writers per process on PostgreSQL unless `pg_writers` says otherwise.
pub const DEFAULT_PG_WRITERS: usize = 1;

fn writer_slots(count: usize) -> Vec<Mutex<Option<Sender<writer::Queued>>>> {
    (0..count).map(|_| Mutex::new(None)).collect()
}

/// The PostgreSQL `NOTIFY` channel on which a commit that published events
/// is announced, to wake the delivery workers of every instance.
pub const EVENTS_CHANNEL: &str = "brug_events";

impl Db {
    /// Builds the pool without connecting yet: the first use connects, so a
    /// database that is briefly down does not stop the process from starting.
    pub fn new(url: &str, pool_size: u32, timeout: Duration) -> Result<Self, DbError> {
        let target = Target::parse(url)?;
        if let Target::Sqlite(path) = &target
            && let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
            && !dir.exists()
        {
            return Err(DbError::Config(format!(
                "the folder {} for the SQLite database does not exist",
                dir.display()
            )));
        }
        let backend = target.backend();
        let pool = diesel::r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(0))
            .connection_timeout(timeout)
            .test_on_check_out(false)
            .build_unchecked(Manager {
                target: target.clone(),
            });
        Ok(Self {
            pool,
            backend,
            timeout,
            target,
            writers: Arc::new(writer_slots(match backend {
                Backend::Sqlite => 1,
                Backend::Postgres => DEFAULT_PG_WRITERS,
            })),
            next_writer: Arc::default(),
            published: Arc::new(tokio::sync::watch::Sender::new(0)),
            batching: writer::Batching::default(),
            seal: deferred::Seal::default(),
            waiting: Arc::default(),
        })
    }

    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            max: self.pool.max_size(),
            in_use: state.connections.saturating_sub(state.idle_connections),
            idle: state.idle_connections,
            waiting: self.waiting.load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The key that seals the audit chain, set before the first write.
    pub fn with_seal(mut self, seal: deferred::Seal) -> Self {
        self.seal = seal;
        self
    }

    pub fn seal(&self) -> &deferred::Seal {
        &self.seal
    }

    /// How many writers run on PostgreSQL (SQLite has one, always); set
    /// before the first write.
    pub fn with_pg_writers(mut self, count: usize) -> Self {
        if self.backend == Backend::Postgres {
            self.writers = Arc::new(writer_slots(count.max(1)));
        }
        self
    }

    /// How the writer batches: at most `max` writes in one transaction,
    /// waiting up to `wait` for more after the first.
    pub fn with_batching(mut self, max: usize, wait: Duration) -> Self {
        self.batching = writer::Batching {
            max: max.max(1),
            wait,
        };
        self
    }

    /// Changes after every commit of this process that published events.
    pub fn published(&self) -> tokio::sync::watch::Receiver<u64> {
        self.published.subscribe()
    }

    /// Tells this process's delivery workers that events were committed.
    pub fn announce_published(&self) {
        self.published.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A connection of its own, outside the pool, for a task that holds one
    /// for good (the delivery worker's `LISTEN` on [`EVENTS_CHANNEL`]).
    pub fn dedicated(&self) -> ConnectionResult<DbConn> {
        self.target.establish()
    }

    /// A connection for synchronous callers (the CLI and blocking workers).
    pub fn conn(&self) -> Result<PooledConn, DbError> {
        self.conn_within(self.timeout)
    }

    pub fn conn_within(&self, timeout: Duration) -> Result<PooledConn, DbError> {
        use std::sync::atomic::Ordering;
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let conn = self.pool.get_timeout(timeout);
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        conn.map_err(|e| DbError::Unavailable(e.to_string()))
    }

    /// Runs `f` on a pooled connection, off the async workers. For reads: no
    /// transaction is opened.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let db = self.clone();
        run_blocking(move || {
            let mut conn = db.conn()?;
            f(&mut conn)
        })
        .await
    }

    /// Runs `f` in a write transaction, on one of the process's writers (see
    /// [`writer`]): the change, its history, its audit entry and its event
    /// commit together or not at all, and the answer comes only once they
    /// are durable. `f` shares its transaction with the other writes waiting
    /// at the same moment, each in its own savepoint: when `f` fails, only
    /// its own changes are rolled back and only its caller gets the error.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel::<Result<T, E>>();
        let job: writer::Job = Box::new(move |conn| match conn {
            Err(cause) => {
                let cause = cause.to_owned();
                let finish: writer::Finish = Box::new(move |_| {
                    let _ = answer.send(Err(E::from(DbError::Unavailable(cause))));
                });
                (false, finish)
            }
            Ok(conn) => {
                let result = f(conn);
                let ok = result.is_ok();
                let finish: writer::Finish = Box::new(move |committed| {
                    let result = match (committed, result) {
                        (Ok(()), result) => result,
                        (Err(_), Err(own)) => Err(own),
                        (Err(cause), Ok(_)) => Err(E::from(DbError::Unavailable(cause))),
                    };
                    let _ = answer.send(result);
                });
                (ok, finish)
            }
        });
        let queued = writer::Queued {
            job,
            since: std::time::Instant::now(),
            deadline: self.timeout,
        };
        if let Err(cause) = self.submit(queued) {
            return Err(E::from(DbError::Unavailable(cause)));
        }
        answered.await.unwrap_or_else(|_| {
            Err(E::from(DbError::Unavailable(
                "the write was abandoned".to_owned(),
            )))
        })
    }

    /// Hands a write to the writer, starting one if there is none (or the
    /// last one stopped).
    fn submit(&self, queued: writer::Queued) -> Result<(), String> {
        let turn = self
            .next_writer
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(slot) = self.writers.get(turn % self.writers.len().max(1)) else {
            return Err("no writer".to_owned());
        };
        let mut slot = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let queued = match slot.as_ref() {
            Some(sender) => match sender.send(queued) {
                Ok(()) => return Ok(()),
                Err(std::sync::mpsc::SendError(back)) => {
                    tracing::error!("the database writer had stopped; starting another");
                    back
                }
            },
            None => queued,
        };
        let published = self.published.clone();
        let sender = writer::spawn(
            self.target.clone(),
            self.batching,
            self.seal.clone(),
            move || {
                published.send_modify(|n| *n = n.wrapping_add(1));
            },
        )
        .map_err(|e| e.to_string())?;
        let sent = sender
            .send(queued)
            .map_err(|_| "the writer has stopped".to_owned());
        *slot = Some(sender);
        sent
    }

    /// [`Db::write`] for synchronous callers.
    pub fn write_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<DbError>,
    {
        let mut conn = self.conn()?;
        let value = in_transaction(&mut conn, &self.seal, f)?;
        if deferred::take_published() {
            self.announce_published();
        }
        Ok(value)
    }
}

impl Db {
    /// A write to the webhook delivery queue. On PostgreSQL it does not go
    /// through the writer: its rows are kept apart by row locks and leases
    /// (`FOR UPDATE SKIP LOCKED`), so several instances deliver side by
    /// side, each on its own connection. Nothing else may use it. On SQLite
    /// it is [`Db::write`].
    pub async fn write_queue<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        if self.backend == Backend::Sqlite {
            return self.write(f).await;
        }
        let db = self.clone();
        run_blocking(move || db.write_blocking(f)).await
    }
}

/// Opens a write transaction: on SQLite it takes the write lock up front
/// (`BEGIN IMMEDIATE`), so that a second writer (another process) queues
/// instead of failing on upgrade. On PostgreSQL writers do not take turns:
/// each rule holds by what it needs (a row lock on the case or referral it
/// changes, a unique index, an update that names the status it expects),
/// and the audit chain and the outbox are appended last under the lock of
/// one head row ([`deferred`]).
pub fn begin_write(conn: &mut DbConn) -> diesel::QueryResult<()> {
    match conn {
        DbConn::Sqlite(sqlite) => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")
        }
        DbConn::Pg(_) => DbConn::begin_transaction(conn),
    }
}

/// Opens a write transaction on `conn`, runs `f`, appends what it deferred
/// ([`deferred`]), commits on `Ok` and rolls back on `Err`.
pub fn in_transaction<T, E, F>(conn: &mut DbConn, seal: &deferred::Seal, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<DbError>,
{
    begin_write(conn).map_err(|e| E::from(DbError::from(e)))?;
    let keeping = deferred::open();
    let done = f(conn).and_then(|value| {
        deferred::flush(&keeping, conn, seal).map_err(E::from)?;
        Ok(value)
    });
    match done {
        Ok(value) => {
            DbConn::commit_transaction(conn).map_err(|e| E::from(DbError::from(e)))?;
            Ok(value)
        }
        Err(err) => {
            drop(keeping);
            if let Err(rollback) = DbConn::rollback_transaction(conn) {
                tracing::error!(error = %rollback, "rollback failed");
            }
            Err(err)
        }
    }
}

async fn run_blocking<T, E, F>(f: F) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(join) => Err(E::from(DbError::Unavailable(format!(
            "database task failed: {join}"
        )))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_follows_the_url_scheme() {
        assert_eq!(
            Target::parse("sqlite://brug.sqlite").ok(),
            Some(Target::Sqlite("brug.sqlite".into()))
        );
        assert_eq!(
            Target::parse("sqlite:///var/lib/brug/brug.sqlite").ok(),
            Some(Target::Sqlite("/var/lib/brug/brug.sqlite".into()))
        );
        assert_eq!(
            Target::parse("postgres://postgres@127.0.0.1/brug")
                .map(|t| t.backend())
                .ok(),
            Some(Backend::Postgres)
        );
        assert!(Target::parse("mysql://localhost/brug").is_err());
        assert!(Target::parse("sqlite://").is_err());
    }

    #[test]
    fn text_enums_are_stored_as_text_and_an_unknown_value_is_an_error() {
        use crate::domain::checklist::ChecklistOwner;
        use diesel::sql_types::Text;

        #[derive(QueryableByName)]
        struct Owner {
            #[diesel(sql_type = Text)]
            owner: ChecklistOwner,
        }

        let mut conn = Target::Sqlite(":memory:".into())
            .establish()
            .expect("in-memory SQLite");
        conn.batch_execute("CREATE TABLE t (owner TEXT NOT NULL)")
            .expect("table");
        diesel::sql_query("INSERT INTO t (owner) VALUES (?)")
            .bind::<Text, _>(ChecklistOwner::Authority)
            .execute(&mut conn)
            .expect("insert");
        let stored: Vec<Owner> = diesel::sql_query("SELECT owner FROM t")
            .load(&mut conn)
            .expect("read");
        assert_eq!(stored[0].owner, ChecklistOwner::Authority);
        let raw: Vec<String> = diesel::sql_query("SELECT owner FROM t")
            .load::<Owner>(&mut conn)
            .expect("read")
            .into_iter()
            .map(|o| o.owner.as_str().to_owned())
            .collect();
        assert_eq!(raw, ["authority"]);

        conn.batch_execute("INSERT INTO t (owner) VALUES ('the_neighbour')")
            .expect("a stray value");
        let err = diesel::sql_query("SELECT owner FROM t")
            .load::<Owner>(&mut conn)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("`the_neighbour` is not a stored ChecklistOwner"),
            "{err}"
        );
    }
}
