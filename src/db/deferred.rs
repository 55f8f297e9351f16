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
//! transaction opened by [`super::Db`] an append is refused.

use std::cell::{Cell, RefCell};

use diesel::prelude::*;

use super::{DbConn, DbError};

/// One append, run at the end of its transaction, given the key that seals
/// what it appends.
pub type Append = Box<dyn FnOnce(&mut DbConn, &Seal) -> Result<(), DbError>>;

/// The secret key that seals appended records (the audit chain's HMAC key):
/// it lives outside the database, so that someone who can change the
/// database cannot forge what it seals. `None` only where no key was set up
/// (unit tests of the database layer).
///
/// It also carries what else this instance does as an event is written:
/// queue the email notifications it calls for, when it mails (`smtp_url`
/// is set). Kept per database handle, not per process, since one process
/// may hold several (the tests do); set by the assembly, so that the
/// outbox need not know the mail.
#[derive(Clone, Default)]
pub struct Seal(Option<std::sync::Arc<[u8]>>, bool, Option<OnEvent>);

/// Run as each event is written, in its transaction: the event's type, its
/// partner, its referral, and when it happened.
pub type OnEvent = fn(
    &mut DbConn,
    &str,
    &str,
    Option<&str>,
    chrono::DateTime<chrono::Utc>,
) -> Result<usize, DbError>;

impl Seal {
    pub fn new(key: &[u8]) -> Self {
        Self(Some(key.into()), false, None)
    }

    /// The key was made by this process, just now.
    pub fn made_now(self) -> Self {
        Self(self.0, true, self.2)
    }

    /// This instance mails: `queue` queues an event's notifications.
    pub fn with_mail(self, queue: Option<OnEvent>) -> Self {
        Self(self.0, self.1, queue)
    }

    /// Whether this instance mails: when not, no notification is queued.
    pub fn mails(&self) -> bool {
        self.2.is_some()
    }

    /// What queues an event's notifications, when this instance mails.
    pub fn on_event(&self) -> Option<OnEvent> {
        self.2
    }

    pub fn key(&self) -> Option<&[u8]> {
        self.0.as_deref()
    }

    pub fn is_new(&self) -> bool {
        self.1
    }
}

impl std::fmt::Debug for Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Seal(..)"
        } else {
            "Seal(none)"
        })
    }
}

/// An append, and whether it stays when its write fails (a record of the
/// refusal itself).
type Kept = (Append, bool);

thread_local! {
    static PENDING: RefCell<Option<Vec<Kept>>> = const { RefCell::new(None) };
    static PUBLISHED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `append` at the end of the current transaction, which must be one
/// that [`super::Db`] opened.
pub fn defer(append: Append) -> Result<(), DbError> {
    push(append, false)
}

/// [`defer`] for a record that stays even when the write it belongs to
/// fails: what a refused attempt leaves in the audit log.
pub fn defer_kept(append: Append) -> Result<(), DbError> {
    push(append, true)
}

fn push(append: Append, kept: bool) -> Result<(), DbError> {
    PENDING.with_borrow_mut(|pending| match pending {
        Some(list) => {
            list.push((append, kept));
            Ok(())
        }
        None => Err(DbError::Config(
            "an audit entry or event was written outside a transaction of Db".to_owned(),
        )),
    })
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

/// Forgets the appends made after `mark` (their savepoint rolled back),
/// but for those that stay when their write fails.
pub(super) fn truncate(mark: usize) {
    PENDING.with_borrow_mut(|pending| {
        if let Some(list) = pending {
            let mut index = 0;
            list.retain(|(_, kept)| {
                index += 1;
                index <= mark || *kept
            });
        }
    });
}

/// Runs the kept appends, in order, under the head lock; the caller commits
/// straight after. Stops keeping appends either way.
pub(super) fn flush(keeping: &Keeping, conn: &mut DbConn, seal: &Seal) -> Result<(), DbError> {
    if !keeping.owner {
        return Ok(());
    }
    let appends = PENDING.with_borrow_mut(Option::take).unwrap_or_default();
    if appends.is_empty() {
        return Ok(());
    }
    lock_head(conn)?;
    for (append, _) in appends {
        append(conn, seal)?;
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
