//! Syncing the partner directory into the database: one command, with an
//! audit entry for every partner added, updated or marked inactive.

use chrono::{DateTime, Utc};

use super::PartnerRecord;
use super::store::{self, SyncReport};
use crate::audit::{self, Actor, NewEntry};
use crate::db::{DbConn, DbError};

/// Brings the database in line with the directory's `records` (see
/// [`store::sync`]) and records each change for `actor`, inside the
/// caller's write transaction.
pub fn sync(
    conn: &mut DbConn,
    actor: &Actor,
    records: &[PartnerRecord],
    now: DateTime<Utc>,
) -> Result<SyncReport, DbError> {
    // Instances starting together sync one after the other.
    crate::db::lock_named(conn, crate::db::Named::DirectorySync)?;
    let report = store::sync(conn, records, now.naive_utc())?;
    let changes = [
        ("partners.add", &report.added),
        ("partners.update", &report.updated),
        ("partners.deactivate", &report.deactivated),
    ];
    for (operation, ids) in changes {
        for id in ids {
            let entry = NewEntry::new(actor.clone(), operation, "partner", id);
            audit::store::append(conn, entry, now)?;
        }
    }
    Ok(report)
}
