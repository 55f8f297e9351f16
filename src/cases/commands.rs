//! Opening a return case and handing cases to another caseworker: one
//! function each, one transaction with its history and audit entries. The
//! departure is a step of the case's referral, so it is a command of
//! `referrals`.

use chrono::{DateTime, Utc};

use super::NewReturnCase;
use super::store::{self, CaseAssignment, CaseView, NewCaseRow};
use crate::audit::AuditContext;
use crate::auth::Role;
use crate::auth::assignment::{CaseloadMoved, caseload_move_errors, may_take_on};
use crate::auth::store as auth;
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

/// Hands a return case to another caseworker, noted in its history. Handing
/// it to the caseworker who holds it already changes nothing, and is
/// recorded all the same. A closed case may be handed on too (someone has
/// to answer for it); a whole caseload's move takes open cases only.
pub fn assign(
    conn: &mut DbConn,
    by: &AuditContext,
    case_id: &str,
    to: &str,
    now: DateTime<Utc>,
) -> Outcome<CaseAssignment> {
    // The user first, then the case (as every handover locks): a user
    // disabled meanwhile is seen disabled, and is never handed the case.
    lock_row(conn, Locked::Users, to)?;
    lock_row(conn, Locked::ReturnCases, case_id)?;
    let case = store::row(conn, case_id)?.ok_or(Refusal::not_found("return case"))?;
    may_take_on(auth::standing(conn, to)?.as_ref(), Role::Caseworker)
        .map_err(|message| Refusal::field("user_id", message))?;
    let previous = case.caseworker_id;
    if previous != to {
        if !store::move_case(conn, case_id, &previous, to, false, now)? {
            return Err(Refusal::conflict(
                Conflict::ChangedMeanwhile,
                "The case changed hands while this request ran; fetch it and try again.",
            )
            .into());
        }
        store::add_history(conn, case_id, &by.actor, "reassigned", Some(to), now)?;
    }
    by.record(conn, "return_case", case_id, now)?;
    let case = store::row(conn, case_id)?
        .ok_or_else(|| CommandError::Internal(format!("case {case_id} vanished")))?;
    Ok(CaseAssignment::of(case, previous))
}

/// Hands every open case `from` holds to another caseworker, all in the
/// caller's one transaction: every case or, should one fail, none. Each
/// case moved is noted in its history and recorded.
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
        Role::Caseworker,
    );
    if !errors.is_empty() {
        return Err(Refusal::invalid(errors).into());
    }
    let mut moved = Vec::new();
    for id in store::open_caseload(conn, from)? {
        // One handed on or closed meanwhile is not in `from`'s caseload now.
        if store::move_case(conn, &id, from, to, true, now)? {
            store::add_history(conn, &id, &by.actor, "reassigned", Some(to), now)?;
            by.record(conn, "return_case", &id, now)?;
            moved.push(id);
        }
    }
    Ok(CaseloadMoved::of(moved))
}
