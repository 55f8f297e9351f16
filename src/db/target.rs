//! Where the database is, and how one connection to it is opened.

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::{Backend, DbConn, DbError};

/// Where to connect, parsed from `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A file path (created if missing).
    Sqlite(String),
    Postgres(String),
}

impl Target {
    pub fn parse(url: &str) -> Result<Self, DbError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| {
                DbError::Config("DATABASE_URL must start with sqlite:// or postgres://".to_owned())
            })?;
        if path.is_empty() {
            return Err(DbError::Config(
                "DATABASE_URL names no SQLite file (sqlite://PATH)".to_owned(),
            ));
        }
        Ok(Target::Sqlite(path.to_owned()))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Target::Sqlite(_) => Backend::Sqlite,
            Target::Postgres(_) => Backend::Postgres,
        }
    }

    /// Opens one connection, with SQLite's durability and safety settings.
    pub fn establish(&self) -> ConnectionResult<DbConn> {
        match self {
            Target::Postgres(url) => {
                let mut conn = PgConnection::establish(url)?;
                // Diesel keeps statements prepared; after five runs PostgreSQL
                // would plan them once for any parameters, and a generic plan
                // guesses a date range matches a few rows: the reports over
                // ten years then walk indexes row by row (76 ms instead of
                // 18 ms, BENCHMARKS.md). Planning each run costs far less.
                conn.batch_execute("SET plan_cache_mode = force_custom_plan")
                    .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Pg(conn))
            }
            Target::Sqlite(path) => {
                create_private(path);
                let mut conn = SqliteConnection::establish(path)?;
                // WAL lets readers run beside the writer; synchronous=FULL makes
                // an acknowledged write survive a power loss; the busy timeout
                // makes a second writer wait instead of failing.
                // busy_timeout first, so that the pragmas after it wait too.
                // Reads are memory-mapped: a report over years of rows reads
                // the OS's page cache in place (shared by every connection)
                // instead of copying it through each connection's small
                // page cache; about a third faster (BENCHMARKS.md). After a
                // checkpoint the write-ahead log is cut back to 32 MiB, so a
                // burst of writes does not leave a large file behind.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                     PRAGMA mmap_size = 268435456; PRAGMA journal_size_limit = 33554432;",
                )
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

/// Creates the SQLite file readable by its owner only, before SQLite
/// creates it with the usual mode (its `-wal` and `-shm` files then take the
/// same mode). An existing file is left as it is; a file that cannot be
/// made here is left to SQLite, whose error says why.
fn create_private(path: &str) {
    if path == ":memory:" || path.starts_with("file:") || std::path::Path::new(path).exists() {
        return;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let _ = options.open(path);
}
