//! Erasing a person at their request: one transaction that anonymises
//! their identity and every free text about them, keeps what the reports
//! count in coarse form, forgets the kept answers of requests about them,
//! tells each partner that holds an open referral (`client.erased`, ids
//! only), and records who did it. The audit log, which holds ids only,
//! stays whole, and its chain with it.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::ErasureRequest;
use super::store::erase::{self, Remains};
use crate::audit::AuditContext;
use crate::clients::store as clients;
use crate::db::{DbConn, Locked, lock_row};
use crate::domain::{Outcome, Refusal};

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Erased {
    pub client_id: String,
    /// When the person was first erased.
    pub erased_at: NaiveDateTime,
    /// False when they had been erased before: it was done again (anything
    /// written since is gone too), and nobody was told twice.
    pub first: bool,
    /// The partners told, one per open referral.
    pub partners_told: Vec<String>,
    /// Kept answers of requests about the person that were forgotten.
    pub idempotency_keys_purged: usize,
}

/// Erases the client `id`.
pub fn erase(
    conn: &mut DbConn,
    by: &AuditContext,
    id: &str,
    request: &ErasureRequest,
    now: DateTime<Utc>,
) -> Outcome<Erased> {
    if let Err(errors) = validator::Validate::validate(request) {
        return Err(Refusal::invalid(crate::domain::validation::field_errors(&errors)).into());
    }
    let reason = request.reason.trim();
    lock_row(conn, Locked::Clients, id)?;
    let client = clients::get(conn, id)?.ok_or(Refusal::not_found("client"))?;
    let first = client.erased_at.is_none();
    let erased_at = client
        .erased_at
        .unwrap_or_else(|| crate::audit::stored_time(now));
    let earlier_reason = super::store::erasure(conn, id)?.and_then(|e| e.reason);
    let reason = earlier_reason.as_deref().unwrap_or(reason);
    let reference = if first {
        clients::unused_reference(conn)?.as_str().to_owned()
    } else {
        client.reference.clone()
    };
    let date_of_birth =
        super::coarse_birth_date(client.date_of_birth, &erase::departures(conn, id)?);
    let rows = erase::person_rows(conn, id)?;
    let household = client.household_id.as_deref();
    let remains = Remains {
        reference: &reference,
        date_of_birth,
        erased_at,
        reason,
    };
    erase::anonymise_client(conn, id, household, &remains, now.naive_utc())?;
    erase::remove_free_text(conn, id, &rows)?;
    if reference != client.reference {
        erase::rename_in_mail(conn, &client.reference, &reference)?;
    }
    let purged = erase::purge_idempotency(conn, id, household, &rows)?;
    let mut told = Vec::new();
    if first {
        for (referral, partner, status) in &rows.referrals {
            if status.is_open() {
                crate::events::store::publish(
                    conn,
                    "client.erased",
                    partner,
                    Some(referral),
                    json!({"referral_id": referral}),
                    now,
                )?;
                told.push(partner.clone());
            }
        }
    }
    by.record(conn, "client", id, now)?;
    Ok(Erased {
        client_id: client.id,
        erased_at,
        first,
        partners_told: told,
        idempotency_keys_purged: purged,
    })
}
