//! What the monitoring area does on its own: telling partners of the visits
//! that fall due.

use chrono::{DateTime, Utc};

use super::store;
use crate::db::{DbConn, DbError};

/// Tells partners, through the outbox, of the visits that have fallen due
/// (`monitoring.due`), each once, inside the caller's write transaction.
/// Visits already past their grace period when first seen (after a long
/// stop, say) are not announced: they show as missed instead. Returns how
/// many were announced.
pub fn announce_due(conn: &mut DbConn, now: DateTime<Utc>) -> Result<usize, DbError> {
    let due = store::due_unannounced(conn, now.date_naive())?;
    let stamp = crate::audit::stored_time(now);
    let mut announced = 0;
    for visit in &due {
        // Marked first: a worker of another instance that read the same
        // visit waits for this mark, then finds it taken.
        if !store::mark_announced(conn, &visit.visit_id, stamp)? {
            continue;
        }
        announced += 1;
        crate::events::store::publish(
            conn,
            "monitoring.due",
            &visit.partner_id,
            Some(&visit.referral_id),
            serde_json::json!({"referral_id": visit.referral_id, "visit_id": visit.visit_id}),
            now,
        )?;
    }
    Ok(announced)
}
