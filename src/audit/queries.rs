//! Reading the audit log, which is itself recorded, with the subject asked
//! about (`*` for the whole log).

use chrono::{DateTime, Utc};

use super::store::{self, AuditFilter};
use super::{AuditContext, Entry};
use crate::db::{DbConn, DbError};

/// Entries before `before` (newest first), at most `fetch`.
pub fn list(
    conn: &mut DbConn,
    by: &AuditContext,
    filter: &AuditFilter,
    before: Option<i64>,
    fetch: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Entry>, DbError> {
    let entries = store::list(conn, filter, before, fetch)?;
    let subject = filter.subject_id.as_deref().unwrap_or("*");
    by.record(conn, "audit_log", subject, now)?;
    Ok(entries)
}
