//! Registering clients and making households: each one function, one
//! transaction with its audit entries, called by every door.

use chrono::{DateTime, Utc};

use super::store::{self, ClientView, HouseholdView, NewClientRow};
use super::{NewClient, NewHousehold, duplicate_check};
use crate::audit::AuditContext;
use crate::db::DbConn;
use crate::domain::{CommandError, FieldError, Outcome, Refusal};

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
