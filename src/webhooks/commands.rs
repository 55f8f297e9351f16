//! Setting a webhook and preparing its test: each one function with its
//! audit entry. The URL is checked (and its host resolved) by the caller
//! before the transaction; the test message is sent after it.

use chrono::{DateTime, Utc};

use super::store::{self, Endpoint};
use super::{WebhookView, new_secret, view};
use crate::audit::AuditContext;
use crate::db::DbConn;
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
