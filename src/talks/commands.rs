//! Recording and amending talks: each one function, one transaction with
//! the client's latest intention and the audit entry.

use chrono::{DateTime, Utc};

use super::store::{self, NewTalkRow, TalkContent, TalkVersion, TalkView};
use super::{NewTalk, TalkAmendment, amend_rule};
use crate::audit::AuditContext;
use crate::clients::store as clients;
use crate::db::DbConn;
use crate::domain::{CommandError, Conflict, Outcome, Refusal};

/// Records a talk that the acting counsellor held with a client, and makes
/// its intention the client's latest when it is the latest talk.
pub fn record(
    conn: &mut DbConn,
    by: &AuditContext,
    client_id: &str,
    talk: &NewTalk,
    now: DateTime<Utc>,
) -> Outcome<TalkView> {
    if !clients::exists(conn, client_id)? {
        return Err(Refusal::not_found("client").into());
    }
    let id = uuid::Uuid::now_v7().to_string();
    store::insert(
        conn,
        &NewTalkRow::new(&id, client_id, &by.actor.id, talk, now.naive_utc()),
    )?;
    clients::refresh_latest_intention(conn, client_id, now)?;
    by.record(conn, "talk", &id, now)?;
    vanished(store::get(conn, &id)?, &id)
}

/// Amends a talk: only its author may; the version it replaces is kept.
pub fn amend(
    conn: &mut DbConn,
    by: &AuditContext,
    talk_id: &str,
    amendment: TalkAmendment,
    now: DateTime<Utc>,
) -> Outcome<TalkView> {
    let current = store::get(conn, talk_id)?.ok_or(Refusal::not_found("talk"))?;
    let amended = amend_rule(
        &current.counsellor_id,
        &by.actor.id,
        current.as_input(),
        amendment,
    )?;
    if !store::claim_version(conn, &current.id, current.version)? {
        return Err(Refusal::conflict(
            Conflict::ChangedMeanwhile,
            "The talk was amended while this request ran; fetch it and try again.",
        )
        .into());
    }
    store::replace(
        conn,
        &TalkVersion::of(&current),
        &TalkContent::of(&amended),
        now.naive_utc(),
    )?;
    clients::refresh_latest_intention(conn, &current.client_id, now)?;
    by.record(conn, "talk", talk_id, now)?;
    vanished(store::get(conn, talk_id)?, talk_id)
}

fn vanished(talk: Option<TalkView>, id: &str) -> Outcome<TalkView> {
    talk.ok_or_else(|| CommandError::Internal(format!("talk {id} vanished")))
}
