//! Audited reads beside each other: the query runs on a read connection
//! (on SQLite, next to the writer, never waiting for it), the audit entries
//! it records are kept aside, then written through the one writer with
//! everything else in its batch. The answer leaves only once they are
//! durable, so "every read of personal data is audited" holds after a
//! crash too.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::{AuditContext, NewEntry, store};
use crate::db::{Db, DbConn, DbError};

/// The entries a read recorded, with when.
pub type Deferred = Arc<Mutex<Vec<(NewEntry, DateTime<Utc>)>>>;

pub(super) fn defer(deferred: &Deferred, entry: NewEntry, now: DateTime<Utc>) {
    deferred
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push((entry, now));
}

/// Runs `f` (an audited query: it reads, and records what it showed) on a
/// read connection, then makes its audit entries durable.
pub async fn audited<T, E, F>(db: &Db, by: AuditContext, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn, &AuditContext) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    let deferred: Deferred = Arc::default();
    let reader = AuditContext {
        deferred: Some(deferred.clone()),
        ..by
    };
    let read = db.read(move |conn| f(conn, &reader)).await;
    let mut entries = std::mem::take(
        &mut *deferred
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
    );
    match read {
        Ok(value) => {
            write_entries(db, entries).await.map_err(E::from)?;
            Ok(value)
        }
        Err(err) => {
            // Nothing was shown; only refused attempts are recorded.
            entries.retain(|(entry, _)| entry.outcome == super::REFUSED);
            if let Err(e) = write_entries(db, entries).await {
                tracing::warn!(error = %e, "could not record a refused read");
            }
            Err(err)
        }
    }
}

/// Makes a read's entries durable, through the writer.
async fn write_entries(db: &Db, entries: Vec<(NewEntry, DateTime<Utc>)>) -> Result<(), DbError> {
    if entries.is_empty() {
        return Ok(());
    }
    db.write(move |conn| {
        for (entry, at) in entries {
            store::append(conn, entry, at)?;
        }
        Ok::<_, DbError>(())
    })
    .await
}
