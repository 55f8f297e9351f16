//! Recording and withdrawing consent: each one function, one transaction
//! with its audit entry. Withdrawal as the staff see it also ends the
//! referrals that relied on the consent: that is `referrals`' command.

use chrono::{DateTime, Utc};

use super::store::{self, ConsentView, NewConsentRow};
use super::{ConsentStatus, NewConsent};
use crate::audit::AuditContext;
use crate::clients::store as clients;
use crate::db::DbConn;
use crate::domain::{CommandError, Outcome, Refusal};

/// Records a client's consent, given to one partner in the directory or to
/// the partners in one country.
pub fn record(
    conn: &mut DbConn,
    by: &AuditContext,
    client_id: &str,
    input: &NewConsent,
    now: DateTime<Utc>,
) -> Outcome<ConsentView> {
    if !clients::exists(conn, client_id)? {
        return Err(Refusal::not_found("client").into());
    }
    if let Some(partner) = &input.partner_id
        && store::partner_status(conn, partner.as_str())?.is_none_or(|s| s == "inactive")
    {
        return Err(Refusal::field("partner_id", "is not a partner in the directory").into());
    }
    let id = uuid::Uuid::now_v7().to_string();
    let row = NewConsentRow::new(&id, client_id, input, &by.actor.id, now.naive_utc());
    store::insert(conn, &row)?;
    by.record(conn, "consent", &id, now)?;
    vanished(store::get(conn, &id, now.date_naive())?, &id)
}

/// Withdraws a consent at once; a withdrawn one cannot be withdrawn again.
pub fn withdraw(
    conn: &mut DbConn,
    by: &AuditContext,
    id: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Outcome<ConsentView> {
    let current = store::get(conn, id, now.date_naive())?.ok_or(Refusal::not_found("consent"))?;
    current.status.withdraw()?;
    if !store::mark_withdrawn(conn, id, &by.actor.id, reason, now.naive_utc())? {
        return Err(ConsentStatus::withdrawn_meanwhile().into());
    }
    by.record(conn, "consent", id, now)?;
    vanished(store::get(conn, id, now.date_naive())?, id)
}

fn vanished(consent: Option<ConsentView>, id: &str) -> Outcome<ConsentView> {
    consent.ok_or_else(|| CommandError::Internal(format!("consent {id} vanished")))
}
