//! Opening a return case: one function, one transaction with its history
//! and audit entry. The departure is a step of the case's referral, so it
//! is a command of `referrals`.

use chrono::{DateTime, Utc};

use super::NewReturnCase;
use super::store::{self, CaseView, NewCaseRow};
use crate::audit::AuditContext;
use crate::clients::store as clients;
use crate::db::{DbConn, Locked, lock_row};
use crate::domain::{CommandError, Conflict, FieldError, Outcome, Refusal};

/// Opens a return case; a client has at most one open case.
pub fn open(
    conn: &mut DbConn,
    by: &AuditContext,
    input: &NewReturnCase,
    now: DateTime<Utc>,
) -> Outcome<CaseView> {
    let client_id = input.client_id.to_string();
    // A second case for the same client waits for this one.
    lock_row(conn, Locked::Clients, &client_id)?;
    let mut errors = Vec::new();
    if !clients::exists(conn, &client_id)? {
        errors.push(FieldError::new("client_id", "is not a client"));
    }
    if let Some(talk) = input.talk_id
        && store::talk_client(conn, &talk.to_string())?.as_deref() != Some(client_id.as_str())
    {
        errors.push(FieldError::new("talk_id", "is not a talk with this client"));
    }
    for (i, member) in input.household_member_ids.iter().enumerate() {
        if !clients::exists(conn, &member.to_string())? {
            errors.push(FieldError::new(
                format!("household_member_ids[{i}]"),
                "is not a client",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Refusal::invalid(errors).into());
    }
    if let Some(existing) = store::open_case_of(conn, &client_id)? {
        return Err(Refusal::conflict(
            Conflict::OpenCaseExists,
            "This client has an open return case already.",
        )
        .with("existing_id", existing)
        .into());
    }
    let id = uuid::Uuid::now_v7().to_string();
    let row = NewCaseRow::new(&id, &client_id, input, &by.actor.id, now.naive_utc());
    store::insert(conn, &row)?;
    store::add_history(conn, &id, &by.actor, "opened", None, now)?;
    by.record(conn, "return_case", &id, now)?;
    store::view(conn, &id)?.ok_or_else(|| CommandError::Internal(format!("case {id} vanished")))
}
