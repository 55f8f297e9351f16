//! Registering clients, making households and handing clients to another
//! counsellor: each one function, one transaction with its audit entries,
//! called by every door.

use chrono::{DateTime, Utc};

use super::store::{self, ClientAssignment, ClientView, HouseholdView, NewClientRow};
use super::{NewClient, NewHousehold, duplicate_check};
use crate::audit::AuditContext;
use crate::auth::Role;
use crate::auth::assignment::{CaseloadMoved, caseload_move_errors, may_take_on};
use crate::auth::store as auth;
use crate::db::{DbConn, Locked, lock_row};
use crate::domain::{CommandError, Conflict, FieldError, Outcome, Refusal};

/// Registers a client for the counsellor or caseworker who acts. Someone
/// with the same names, date of birth and country is a possible duplicate,
/// refused unless the input confirms it is someone else.
pub fn register(
    conn: &mut DbConn,
    by: &AuditContext,
    input: &NewClient,
    now: DateTime<Utc>,
) -> Outcome<ClientView> {
    if let Some(household) = input.household_id.map(|id| id.to_string())
        && !store::household_exists(conn, &household)?
    {
        return Err(Refusal::field("household_id", "is not a household").into());
    }
    duplicate_check(
        store::same_person(conn, input)?,
        input.confirm_not_duplicate,
    )?;
    let reference = store::unused_reference(conn)?;
    let id = uuid::Uuid::now_v7().to_string();
    let row = NewClientRow::new(
        &id,
        reference.as_str(),
        input,
        &by.actor.id,
        now.naive_utc(),
    );
    store::insert(conn, &row)?;
    by.record(conn, "client", &id, now)?;
    store::get(conn, &id)?.ok_or_else(|| CommandError::Internal(format!("client {id} vanished")))
}

/// Makes a household of existing clients.
pub fn create_household(
    conn: &mut DbConn,
    by: &AuditContext,
    input: &NewHousehold,
    now: DateTime<Utc>,
) -> Outcome<HouseholdView> {
    let members: Vec<String> = input.member_ids.iter().map(ToString::to_string).collect();
    let mut errors = Vec::new();
    for (i, member) in members.iter().enumerate() {
        if !store::exists(conn, member)? {
            errors.push(FieldError::new(
                format!("member_ids[{i}]"),
                "is not a client",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Refusal::invalid(errors).into());
    }
    let id = uuid::Uuid::now_v7().to_string();
    store::insert_household(conn, &id, &by.actor.id, input, &members, now)?;
    let household = store::get_household(conn, &id)?
        .ok_or_else(|| CommandError::Internal(format!("household {id} vanished")))?;
    super::queries::record_household(conn, by, &household, now)?;
    Ok(household)
}

/// Hands a client to another counsellor, who then holds the record and
/// finds it under `?mine=true`. Handing it to the counsellor who holds it
/// already changes nothing, and is recorded all the same.
pub fn assign(
    conn: &mut DbConn,
    by: &AuditContext,
    client_id: &str,
    to: &str,
    now: DateTime<Utc>,
) -> Outcome<ClientAssignment> {
    // The user first, then the client (as every handover locks): a user
    // disabled meanwhile is seen disabled, and is never handed the client.
    lock_row(conn, Locked::Users, to)?;
    lock_row(conn, Locked::Clients, client_id)?;
    let (previous, _) =
        store::counsellor_of(conn, client_id)?.ok_or(Refusal::not_found("client"))?;
    may_take_on(auth::standing(conn, to)?.as_ref(), Role::Counsellor)
        .map_err(|message| Refusal::field("user_id", message))?;
    if previous != to && !store::move_client(conn, client_id, &previous, to, now)? {
        return Err(Refusal::conflict(
            Conflict::ChangedMeanwhile,
            "The client changed hands while this request ran; fetch it and try again.",
        )
        .into());
    }
    by.record(conn, "client", client_id, now)?;
    let (counsellor_id, updated_at) = store::counsellor_of(conn, client_id)?
        .ok_or_else(|| CommandError::Internal(format!("client {client_id} vanished")))?;
    Ok(ClientAssignment {
        id: client_id.to_owned(),
        counsellor_id,
        previous_counsellor_id: previous,
        updated_at,
    })
}

/// Hands every client `from` holds to another counsellor, all in the
/// caller's one transaction: every client or, should one fail, none. Each
/// client moved is recorded.
pub fn move_caseload(
    conn: &mut DbConn,
    by: &AuditContext,
    from: &str,
    to: &str,
    now: DateTime<Utc>,
) -> Outcome<CaseloadMoved> {
    lock_row(conn, Locked::Users, to)?;
    let errors = caseload_move_errors(
        (from, auth::user_exists(conn, from)?),
        (to, auth::standing(conn, to)?.as_ref()),
        Role::Counsellor,
    );
    if !errors.is_empty() {
        return Err(Refusal::invalid(errors).into());
    }
    let mut moved = Vec::new();
    for id in store::caseload(conn, from)? {
        // One that another request handed on meanwhile is not `from`'s now.
        if store::move_client(conn, &id, from, to, now)? {
            by.record(conn, "client", &id, now)?;
            moved.push(id);
        }
    }
    Ok(CaseloadMoved::of(moved))
}
