//! Setting a webhook and preparing its test: each one function with its
//! audit entry. The URL is checked (and its host resolved) by the caller
//! before the transaction; the test message is sent after it.

use chrono::{DateTime, Utc};

use super::store::{self, Endpoint};
use super::{WebhookView, new_secret, view};
use crate::audit::{Actor, AuditContext, NewEntry};
use crate::db::{DbConn, DbError};
use crate::domain::{CommandError, Conflict, Outcome, Refusal};

/// Sets the acting partner's webhook to `url` with a new signing secret,
/// shown once in the answer. The secret it replaces goes on signing beside
/// it for a day.
pub fn set(
    conn: &mut DbConn,
    by: &AuditContext,
    url: &str,
    preset: bool,
    now: DateTime<Utc>,
) -> Outcome<WebhookView> {
    let secret = new_secret()
        .map_err(|e| CommandError::Internal(format!("no randomness for a secret: {e}")))?;
    let partner = &by.actor.id;
    // The secret it replaces is read and kept: a second change waits.
    crate::db::lock_row(conn, crate::db::Locked::Partners, partner)?;
    let endpoint = store::set_endpoint(conn, partner, url, &secret, now)?;
    by.record(conn, "webhook", partner, now)?;
    let mut body = view(&endpoint, preset, None);
    body.secret = Some(endpoint.secret.clone());
    Ok(body)
}

/// The partner's webhook, to send a test message to; recorded as used.
pub fn prepare_test(
    conn: &mut DbConn,
    by: &AuditContext,
    partner_id: &str,
    now: DateTime<Utc>,
) -> Outcome<Endpoint> {
    let endpoint = store::endpoint(conn, partner_id)?;
    by.record(conn, "webhook", partner_id, now)?;
    endpoint.ok_or_else(|| {
        Refusal::conflict(
            Conflict::WebhookNotSet,
            "Set a webhook with PUT /partner/v1/webhook first.",
        )
        .into()
    })
}

/// Puts dead letters back in the delivery queue (an administrator at the
/// command line), each recorded in the audit log. Returns the event ids
/// requeued.
pub fn replay(
    conn: &mut DbConn,
    actor: &Actor,
    which: &store::Replay,
    now: DateTime<Utc>,
) -> Result<Vec<String>, DbError> {
    let ids = store::replay(conn, which, now)?;
    for id in &ids {
        let entry = NewEntry::new(actor.clone(), "events.replay", "event", id);
        crate::audit::store::append(conn, entry, now)?;
    }
    Ok(ids)
}

/// A webhook answered 410 Gone: disables it (if it is still the one that
/// answered, `answered` being its URL and secret), dead-letters what waits
/// for it, and records the change. Returns how many deliveries moved, or
/// `None` when the partner set another webhook meanwhile.
pub fn disable_gone(
    conn: &mut DbConn,
    partner: &str,
    answered: (&str, &str),
    why: &str,
    now: DateTime<Utc>,
) -> Result<Option<usize>, DbError> {
    let moved = store::disable_endpoint(conn, partner, answered, why, now)?;
    if moved.is_some() {
        let entry = NewEntry::new(
            Actor::system("webhook-worker"),
            "webhook.disable",
            "partner",
            partner,
        );
        crate::audit::store::append(conn, entry, now)?;
    }
    Ok(moved)
}
