//! Reading and replacing a partner's capacity answers: one function each,
//! for the API and the portal, each recorded in the audit log.

use chrono::{DateTime, Utc};
use validator::Validate;

use super::{CapacityInput, CapacityView, directory_errors, store};
use crate::audit::AuditContext;
use crate::db::DbConn;
use crate::domain::validation::field_errors;
use crate::domain::{Outcome, Refusal};

/// The partner's own answers; no partner sees another's.
pub fn get(
    conn: &mut DbConn,
    by: &AuditContext,
    partner_id: &str,
    now: DateTime<Utc>,
) -> Outcome<CapacityView> {
    let items = store::answers(conn, partner_id)?;
    by.record(conn, "partner_capacity", partner_id, now)?;
    Ok(CapacityView { items })
}

/// Replaces the partner's whole set, once every item holds: a country it
/// serves, one of its services, weeks only for a waitlist, no pair twice.
pub fn set(
    conn: &mut DbConn,
    by: &AuditContext,
    partner_id: &str,
    input: &CapacityInput,
    now: DateTime<Utc>,
) -> Outcome<CapacityView> {
    let mut errors = match input.validate() {
        Ok(()) => Vec::new(),
        Err(errors) => field_errors(&errors),
    };
    let (countries, services) = store::served(conn, partner_id)?;
    errors.extend(directory_errors(input, &countries, &services));
    if !errors.is_empty() {
        return Err(Refusal::invalid(errors).into());
    }
    store::replace(conn, partner_id, input, now.naive_utc())?;
    by.record(conn, "partner_capacity", partner_id, now)?;
    Ok(CapacityView {
        items: store::answers(conn, partner_id)?,
    })
}
