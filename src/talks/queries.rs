//! Audited reads of talks: a talk, or a client's list of them, is a read of
//! that person's data.

use chrono::{DateTime, Utc};

use super::store::{self, TalkVersion, TalkView};
use crate::audit::AuditContext;
use crate::clients::store as clients;
use crate::db::DbConn;
use crate::domain::page::PageRequest;
use crate::domain::{Outcome, Refusal};

/// A page of a client's talks, newest first (one more than the limit).
pub fn for_client(
    conn: &mut DbConn,
    by: &AuditContext,
    client_id: &str,
    page: &PageRequest,
    now: DateTime<Utc>,
) -> Outcome<Vec<TalkView>> {
    if !clients::exists(conn, client_id)? {
        return Err(Refusal::not_found("client").into());
    }
    let talks = store::list(conn, client_id, page)?;
    by.record(conn, "client", client_id, now)?;
    Ok(talks)
}

/// A talk with its earlier versions, newest first.
pub fn get(
    conn: &mut DbConn,
    by: &AuditContext,
    id: &str,
    now: DateTime<Utc>,
) -> Outcome<(TalkView, Vec<TalkVersion>)> {
    let talk = store::get(conn, id)?.ok_or(Refusal::not_found("talk"))?;
    let versions = store::versions(conn, id)?;
    by.record(conn, "talk", &talk.id, now)?;
    Ok((talk, versions))
}
