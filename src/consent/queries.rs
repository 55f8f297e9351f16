//! Audited reads of consents: a client's consents shown is a read of the
//! client.

use chrono::{DateTime, Utc};

use super::store::{self, ConsentView};
use crate::audit::AuditContext;
use crate::clients::store as clients;
use crate::db::DbConn;
use crate::domain::{Outcome, Refusal};

/// A client's consents, newest first.
pub fn for_client(
    conn: &mut DbConn,
    by: &AuditContext,
    client_id: &str,
    now: DateTime<Utc>,
) -> Outcome<Vec<ConsentView>> {
    if !clients::exists(conn, client_id)? {
        return Err(Refusal::not_found("client").into());
    }
    let consents = store::for_client(conn, client_id, now.date_naive())?;
    by.record(conn, "client", client_id, now)?;
    Ok(consents)
}
