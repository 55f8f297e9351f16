//! Row and named locks for the rules that read, then write: on PostgreSQL
//! two instances changing the same thing take turns, others do not wait.
//! On SQLite the one writer holds the database's write lock already, so
//! these do nothing there.

use diesel::prelude::*;

use super::{DbConn, DbError};

/// Locks the row `id` of `table` until the transaction ends, so that a
/// check made after it still holds when the write is made: two instances
/// changing the same case or referral take turns, others do not wait.
/// `FOR NO KEY UPDATE`, so that rows pointing at it (history, events) can
/// still be inserted by others. On SQLite the one writer holds the
/// database's write lock already.
pub fn lock_row(conn: &mut DbConn, table: Locked, id: &str) -> Result<(), DbError> {
    if let DbConn::Pg(pg) = conn {
        diesel::sql_query(format!(
            "SELECT 1 FROM {} WHERE id = $1 FOR NO KEY UPDATE",
            table.name()
        ))
        .bind::<diesel::sql_types::Text, _>(id)
        .execute(pg)?;
    }
    Ok(())
}

/// Locks `name` until the transaction ends (PostgreSQL; on SQLite the one
/// writer holds the database's write lock already): for work that has no
/// one row to lock, such as syncing the whole partner directory.
pub fn lock_named(conn: &mut DbConn, name: Named) -> Result<(), DbError> {
    if let DbConn::Pg(pg) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({})", name.key())).execute(pg)?;
    }
    Ok(())
}

/// What [`lock_named`] locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    DirectorySync,
}

impl Named {
    /// The advisory lock's key: fixed, and apart from the migrations' one.
    fn key(self) -> i64 {
        match self {
            Named::DirectorySync => 0x6272_7567_7379_6e63, // "brugsync"
        }
    }
}

/// The tables whose rows a command locks ([`lock_row`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locked {
    /// A user about to be handed work: a concurrent disabling waits.
    Users,
    Clients,
    ReturnCases,
    Referrals,
    Consents,
    Partners,
}

impl Locked {
    fn name(self) -> &'static str {
        match self {
            Locked::Users => "users",
            Locked::Clients => "clients",
            Locked::ReturnCases => "return_cases",
            Locked::Referrals => "referrals",
            Locked::Consents => "consents",
            Locked::Partners => "partners",
        }
    }
}
