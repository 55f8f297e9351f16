//! Appends kept for the end of the transaction: the audit chain and the
//! event outbox each take the next number after the last one committed, so
//! they must be appended in commit order. Rather than making every write
//! take turns for that (one lock over everything), a write hands its
//! appends here; the transaction runs them last, after every row lock it
//! needed, under one lock on the chain's head row ([`lock_head`]), and
//! commits straight after. Writers on several instances then wait for
//! each other only for those few inserts and the commit.
//!
//! The appends are kept per thread: a transaction runs on one thread from
//! begin to commit (the writer's, or a blocking task's). Outside any
//! transaction opened by [`super::Db`] an append runs at once, under the
//! same lock.

use std::cell::{Cell, RefCell};

use diesel::prelude::*;

use super::{DbConn, DbError};

/// One append, run at the end of its transaction.
pub type Append = Box<dyn FnOnce(&mut DbConn) -> Result<(), DbError>>;

thread_local! {
    static PENDING: RefCell<Option<Vec<Append>>> = const { RefCell::new(None) };
    static PUBLISHED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `append` at the end of the current transaction, or now when there
/// is none.
pub fn defer(conn: &mut DbConn, append: Append) -> Result<(), DbError> {
    let append = PENDING.with_borrow_mut(|pending| match pending {
        Some(list) => {
            list.push(append);
            None
        }
        None => Some(append),
    });
    match append {
        None => Ok(()),
        Some(now) => {
            lock_head(conn)?;
            now(conn)
        }
    }
}

/// Notes that the current transaction publishes events: once it commits,
/// the delivery workers are woken.
pub fn note_published() {
    PUBLISHED.set(true);
}

/// Keeps appends while it lives: the transaction's owner holds it, and
/// whatever was not flushed is forgotten when it is dropped (a failure, a
/// panic), so nothing leaks into the thread's next transaction.
pub(super) struct Keeping {
    owner: bool,
}

impl Drop for Keeping {
    fn drop(&mut self) {
        if self.owner {
            discard();
        }
    }
}

/// Starts keeping appends for a transaction. A transaction of this thread
/// that keeps them already stays their owner.
pub(super) fn open() -> Keeping {
    let owner = PENDING.with_borrow_mut(|pending| {
        if pending.is_some() {
            false
        } else {
            *pending = Some(Vec::new());
            true
        }
    });
    if owner {
        PUBLISHED.set(false);
    }
    Keeping { owner }
}

/// How many appends are kept so far: a savepoint's starting mark.
pub(super) fn mark() -> usize {
    PENDING.with_borrow(|pending| pending.as_ref().map_or(0, Vec::len))
}

/// Forgets the appends kept after `mark` (their savepoint rolled back).
pub(super) fn truncate(mark: usize) {
    PENDING.with_borrow_mut(|pending| {
        if let Some(list) = pending {
            list.truncate(mark);
        }
    });
}

/// Runs the kept appends, in order, under the head lock; the caller commits
/// straight after. Stops keeping appends either way.
pub(super) fn flush(keeping: &Keeping, conn: &mut DbConn) -> Result<(), DbError> {
    if !keeping.owner {
        return Ok(());
    }
    let appends = PENDING.with_borrow_mut(Option::take).unwrap_or_default();
    if appends.is_empty() {
        return Ok(());
    }
    lock_head(conn)?;
    for append in appends {
        append(conn)?;
    }
    if PUBLISHED.get()
        && let DbConn::Pg(pg) = conn
    {
        // Delivered by PostgreSQL at commit, to every instance listening.
        diesel::sql_query(format!("NOTIFY {}", super::EVENTS_CHANNEL)).execute(pg)?;
    }
    Ok(())
}

/// Stops keeping appends without running them (the transaction failed).
/// What was flushed stays published: only a transaction that ends before
/// its flush unpublishes.
fn discard() {
    if PENDING.with_borrow_mut(Option::take).is_some() {
        PUBLISHED.set(false);
    }
}

/// Whether the transaction that just ended published events; resets it.
pub(super) fn take_published() -> bool {
    PUBLISHED.replace(false)
}

/// Locks the chain's head row until the transaction ends (PostgreSQL; on
/// SQLite the one writer holds the database's write lock already).
fn lock_head(conn: &mut DbConn) -> Result<(), DbError> {
    if let DbConn::Pg(pg) = conn {
        diesel::sql_query("SELECT id FROM chain_head WHERE id = 1 FOR UPDATE").execute(pg)?;
    }
    Ok(())
}
