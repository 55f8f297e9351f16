//! Audited reads of clients: every client shown is a read of personal data,
//! recorded in the audit log in the same transaction.

use chrono::{DateTime, Utc};

use super::store::{self, ClientFilter, ClientView, HouseholdView};
use crate::audit::AuditContext;
use crate::db::DbConn;
use crate::domain::page::PageRequest;
use crate::domain::{Outcome, Refusal};

/// Clients named in a list (My work): reference and name, each a read.
pub fn labels(
    conn: &mut DbConn,
    by: &AuditContext,
    ids: &[String],
    now: DateTime<Utc>,
) -> Outcome<std::collections::HashMap<String, String>> {
    let labels = store::labels(conn, ids)?;
    for id in labels.keys() {
        by.record(conn, "client", id, now)?;
    }
    Ok(labels)
}

pub fn get(
    conn: &mut DbConn,
    by: &AuditContext,
    id: &str,
    now: DateTime<Utc>,
) -> Outcome<ClientView> {
    let client = store::get(conn, id)?.ok_or(Refusal::not_found("client"))?;
    by.record(conn, "client", &client.id, now)?;
    Ok(client)
}

/// A page of clients (one more than the page's limit, to tell whether
/// another follows; only those on the page are recorded as read).
pub fn search(
    conn: &mut DbConn,
    by: &AuditContext,
    filter: &ClientFilter,
    page: &PageRequest,
    now: DateTime<Utc>,
) -> Outcome<Vec<ClientView>> {
    let rows = store::search(conn, filter, page)?;
    for client in rows.iter().take(page.limit as usize) {
        by.record(conn, "client", &client.id, now)?;
    }
    Ok(rows)
}

pub fn household(
    conn: &mut DbConn,
    by: &AuditContext,
    id: &str,
    now: DateTime<Utc>,
) -> Outcome<HouseholdView> {
    let household = store::get_household(conn, id)?.ok_or(Refusal::not_found("household"))?;
    record_household(conn, by, &household, now)?;
    Ok(household)
}

/// A household shown is a read of each member.
pub(super) fn record_household(
    conn: &mut DbConn,
    by: &AuditContext,
    household: &HouseholdView,
    now: DateTime<Utc>,
) -> Outcome<()> {
    by.record(conn, "household", &household.id, now)?;
    for member in &household.members {
        by.record(conn, "client", &member.id, now)?;
    }
    Ok(())
}
