//! The person's export as an audited read: it shows the person (and the
//! members of their household) to whoever asked, and says so in the log.

use chrono::{DateTime, Utc};

use super::export::{self, PersonExport};
use crate::audit::AuditContext;
use crate::db::DbConn;
use crate::domain::{Outcome, Refusal};

/// Everything held about the client `id`.
pub fn export(
    conn: &mut DbConn,
    by: &AuditContext,
    id: &str,
    now: DateTime<Utc>,
) -> Outcome<PersonExport> {
    let export = export::build(conn, id, crate::audit::stored_time(now), now.date_naive())?
        .ok_or(Refusal::not_found("client"))?;
    by.record(conn, "client", &export.client.id, now)?;
    if let Some(household) = &export.household {
        by.record(conn, "household", &household.id, now)?;
        for member in household
            .members
            .iter()
            .filter(|m| m.id != export.client.id)
        {
            by.record(conn, "client", &member.id, now)?;
        }
    }
    Ok(export)
}
