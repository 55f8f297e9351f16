//! Appending to the audit log, reading it, and verifying the chain.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::{Break, ChainCheck, Entry, GENESIS, NewEntry, stored_time};
use crate::db::schema::audit_log;
use crate::db::{DbConn, DbError};

/// Appends one entry. Call it inside the write transaction of the change it
/// records ([`crate::db::Db::write`]), so that both commit or neither does:
/// it is written at the end of that transaction, under the chain's head
/// lock, so that `seq` and the chain follow commit order
/// ([`crate::db::deferred`]).
pub fn append(conn: &mut DbConn, entry: NewEntry, now: DateTime<Utc>) -> Result<(), DbError> {
    let _ = conn;
    crate::db::deferred::defer(Box::new(move |conn, seal| {
        write(conn, entry, now, seal.key())
    }))
}

/// Appends an entry that stays even when the write it belongs to fails: the
/// record of a refused attempt.
pub fn append_refused(entry: NewEntry, now: DateTime<Utc>) -> Result<(), DbError> {
    crate::db::deferred::defer_kept(Box::new(move |conn, seal| {
        write(conn, entry, now, seal.key())
    }))
}

/// Writes one entry after the last one, sealed with `key`; the caller holds
/// the head lock.
fn write(
    conn: &mut DbConn,
    entry: NewEntry,
    now: DateTime<Utc>,
    key: Option<&[u8]>,
) -> Result<(), DbError> {
    let last: Option<(i64, String)> = audit_log::table
        .select((audit_log::seq, audit_log::hash))
        .order(audit_log::seq.desc())
        .first(conn)
        .optional()?;
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    let mut stored = Entry {
        seq,
        id: uuid::Uuid::now_v7().to_string(),
        at: stored_time(now),
        actor_type: entry.actor.kind.to_owned(),
        actor_id: entry.actor.id,
        operation: entry.operation,
        subject_type: entry.subject_type,
        subject_id: entry.subject_id,
        request_id: entry.request_id,
        outcome: entry.outcome,
        prev_hash,
        hash: String::new(),
    };
    stored.hash = stored.expected_hash(key);
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::seq.eq(stored.seq),
            audit_log::id.eq(&stored.id),
            audit_log::at.eq(stored.at),
            audit_log::actor_type.eq(&stored.actor_type),
            audit_log::actor_id.eq(&stored.actor_id),
            audit_log::operation.eq(&stored.operation),
            audit_log::subject_type.eq(&stored.subject_type),
            audit_log::subject_id.eq(&stored.subject_id),
            audit_log::request_id.eq(&stored.request_id),
            audit_log::outcome.eq(&stored.outcome),
            audit_log::prev_hash.eq(&stored.prev_hash),
            audit_log::hash.eq(&stored.hash),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    pub actor: Option<String>,
}

/// Entries newest first, `before` a sequence number when paging.
pub fn list(
    conn: &mut DbConn,
    filter: &AuditFilter,
    before: Option<i64>,
    fetch: i64,
) -> Result<Vec<Entry>, DbError> {
    let mut query = audit_log::table.select(Entry::as_select()).into_boxed();
    if let Some(subject_type) = &filter.subject_type {
        query = query.filter(audit_log::subject_type.eq(subject_type.clone()));
    }
    if let Some(subject_id) = &filter.subject_id {
        query = query.filter(audit_log::subject_id.eq(subject_id.clone()));
    }
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_log::actor_id.eq(actor.clone()));
    }
    if let Some(before) = before {
        query = query.filter(audit_log::seq.lt(before));
    }
    Ok(query.order(audit_log::seq.desc()).limit(fetch).load(conn)?)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub checked: u64,
    /// The hash of the last entry: record it elsewhere to detect truncation.
    pub head: String,
    pub first_break: Option<Break>,
    /// Whether the last entry is sealed with the audit key.
    pub sealed: bool,
}

/// Recomputes the whole chain under the audit `key`, in batches, and stops
/// at the first break.
pub fn verify(conn: &mut DbConn, key: Option<&[u8]>) -> Result<Verification, DbError> {
    const BATCH: i64 = 1000;
    let mut check = ChainCheck::keyed(key);
    let mut after = 0i64;
    loop {
        let batch: Vec<Entry> = audit_log::table
            .filter(audit_log::seq.gt(after))
            .order(audit_log::seq.asc())
            .limit(BATCH)
            .select(Entry::as_select())
            .load(conn)?;
        for entry in &batch {
            if let Err(broken) = check.check(entry) {
                return Ok(Verification {
                    checked: check.checked,
                    head: check.prev_hash,
                    first_break: Some(broken),
                    sealed: check.sealed,
                });
            }
        }
        match batch.last() {
            Some(last) if batch.len() as i64 == BATCH => after = last.seq,
            _ => break,
        }
    }
    Ok(Verification {
        checked: check.checked,
        head: check.prev_hash,
        first_break: None,
        sealed: check.sealed,
    })
}

/// The last entry, if any.
pub fn head(conn: &mut DbConn) -> Result<Option<Entry>, DbError> {
    Ok(audit_log::table
        .select(Entry::as_select())
        .order(audit_log::seq.desc())
        .first(conn)
        .optional()?)
}

/// The entry `seq`, if it is still there.
pub fn at(conn: &mut DbConn, seq: i64) -> Result<Option<Entry>, DbError> {
    Ok(audit_log::table
        .find(seq)
        .select(Entry::as_select())
        .first(conn)
        .optional()?)
}
