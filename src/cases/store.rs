//! Return cases' queries, rows and history.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::{CaseStatus, Need, NewReturnCase};
use crate::audit::Actor;
use crate::db::schema::{return_case_history, return_cases, talks};
use crate::db::{DbConn, DbError};
use crate::domain::{join_list, split_list};

/// One change in a case's history, as read.
#[derive(Debug, Clone, PartialEq, Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = return_case_history)]
pub struct CaseHistoryEntry {
    #[serde(skip)]
    pub seq: i32,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub at: NaiveDateTime,
    pub actor_type: String,
    pub actor_id: String,
    /// What changed: `opened`, `referral_sent`, `referral_declined`, `departed`, ...
    pub change: String,
    pub detail: Option<String>,
}

/// One change in a case's history, as written.
#[derive(Insertable)]
#[diesel(table_name = return_case_history, treat_none_as_default_value = false)]
pub struct NewCaseHistoryRow<'a> {
    pub return_case_id: &'a str,
    pub seq: i32,
    pub at: NaiveDateTime,
    pub actor_type: &'a str,
    pub actor_id: &'a str,
    pub change: &'a str,
    pub detail: Option<&'a str>,
}

/// The case itself and its history; its referrals and checklist are added
/// by `referrals`, the area that holds them.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    pub id: String,
    pub client_id: String,
    pub talk_id: Option<String>,
    pub destination_country: String,
    pub destination_region: Option<String>,
    pub needs: Vec<String>,
    pub household_member_ids: Vec<String>,
    pub planned_departure_on: NaiveDate,
    pub status: CaseStatus,
    /// The caseworker who holds the case now: who opened it, until a lead
    /// or administrator hands it to another.
    pub caseworker_id: String,
    pub opened_by: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub opened_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::serialize_option")]
    pub closed_at: Option<NaiveDateTime>,
    pub history: Vec<CaseHistoryEntry>,
}

/// A `return_cases` row as read.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = return_cases)]
pub struct CaseRow {
    pub id: String,
    pub client_id: String,
    pub talk_id: Option<String>,
    pub destination_country: String,
    pub destination_region: Option<String>,
    pub needs: String,
    pub household_member_ids: String,
    pub planned_departure_on: NaiveDate,
    pub status: CaseStatus,
    pub opened_by: String,
    pub opened_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    pub caseworker_id: String,
}

impl CaseRow {
    pub fn needs(&self) -> Vec<Need> {
        split_list(&self.needs, Need::parse)
    }

    fn view(self, history: Vec<CaseHistoryEntry>) -> CaseView {
        CaseView {
            needs: split_list(&self.needs, |s| Some(s.to_owned())),
            household_member_ids: split_list(&self.household_member_ids, |s| Some(s.to_owned())),
            id: self.id,
            client_id: self.client_id,
            talk_id: self.talk_id,
            destination_country: self.destination_country,
            destination_region: self.destination_region,
            planned_departure_on: self.planned_departure_on,
            status: self.status,
            caseworker_id: self.caseworker_id,
            opened_by: self.opened_by,
            opened_at: self.opened_at,
            closed_at: self.closed_at,
            history,
        }
    }
}

/// A `return_cases` row as written: the needs sorted, once each.
#[derive(Insertable)]
#[diesel(table_name = return_cases, treat_none_as_default_value = false)]
pub struct NewCaseRow<'a> {
    pub id: &'a str,
    pub client_id: &'a str,
    pub talk_id: Option<String>,
    pub destination_country: &'a str,
    pub destination_region: Option<&'a str>,
    pub needs: String,
    pub household_member_ids: String,
    pub planned_departure_on: NaiveDate,
    pub status: CaseStatus,
    pub opened_by: &'a str,
    pub opened_at: NaiveDateTime,
    /// Set on closing; none when opened.
    pub closed_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    /// Who opened it, until it is handed to another.
    pub caseworker_id: &'a str,
}

impl<'a> NewCaseRow<'a> {
    pub fn new(
        id: &'a str,
        client_id: &'a str,
        input: &'a NewReturnCase,
        opened_by: &'a str,
        now: NaiveDateTime,
    ) -> Self {
        let mut needs = input.needs.clone();
        needs.sort();
        needs.dedup();
        let members: Vec<String> = input
            .household_member_ids
            .iter()
            .map(ToString::to_string)
            .collect();
        Self {
            id,
            client_id,
            talk_id: input.talk_id.map(|t| t.to_string()),
            destination_country: input.destination_country.as_str(),
            destination_region: input.destination_region.as_ref().map(|r| r.as_str()),
            needs: join_list(&needs, |n: &Need| n.as_str()),
            household_member_ids: members.join(","),
            planned_departure_on: input.planned_departure_on,
            status: CaseStatus::Open,
            opened_by,
            opened_at: now,
            closed_at: None,
            updated_at: now,
            caseworker_id: opened_by,
        }
    }
}

pub fn add_history(
    conn: &mut DbConn,
    case_id: &str,
    actor: &Actor,
    change: &str,
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let last: Option<i32> = return_case_history::table
        .filter(return_case_history::return_case_id.eq(case_id))
        .select(diesel::dsl::max(return_case_history::seq))
        .first(conn)?;
    let row = NewCaseHistoryRow {
        return_case_id: case_id,
        seq: last.unwrap_or(0) + 1,
        at: now.naive_utc(),
        actor_type: actor.kind,
        actor_id: &actor.id,
        change,
        detail,
    };
    diesel::insert_into(return_case_history::table)
        .values(&row)
        .execute(conn)?;
    Ok(())
}

/// The client a talk was with, if the talk exists.
pub fn talk_client(conn: &mut DbConn, talk_id: &str) -> Result<Option<String>, DbError> {
    Ok(talks::table
        .find(talk_id)
        .select(talks::client_id)
        .first(conn)
        .optional()?)
}

/// The client's open case, if any.
pub fn open_case_of(conn: &mut DbConn, client_id: &str) -> Result<Option<String>, DbError> {
    Ok(return_cases::table
        .filter(return_cases::client_id.eq(client_id))
        .filter(return_cases::status.eq(CaseStatus::Open))
        .select(return_cases::id)
        .first(conn)
        .optional()?)
}

pub fn insert(conn: &mut DbConn, row: &NewCaseRow<'_>) -> Result<(), DbError> {
    diesel::insert_into(return_cases::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Closes a case.
pub fn close(conn: &mut DbConn, id: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    diesel::update(return_cases::table.find(id))
        .set((
            return_cases::status.eq(CaseStatus::Closed),
            return_cases::closed_at.eq(now.naive_utc()),
            return_cases::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn row(conn: &mut DbConn, id: &str) -> Result<Option<CaseRow>, DbError> {
    Ok(return_cases::table
        .find(id)
        .select(CaseRow::as_select())
        .first(conn)
        .optional()?)
}

/// The case and its history.
pub fn view(conn: &mut DbConn, id: &str) -> Result<Option<CaseView>, DbError> {
    let Some(case) = row(conn, id)? else {
        return Ok(None);
    };
    let history = return_case_history::table
        .filter(return_case_history::return_case_id.eq(&case.id))
        .order(return_case_history::seq.asc())
        .select(CaseHistoryEntry::as_select())
        .load(conn)?;
    Ok(Some(case.view(history)))
}

/// A client's return cases, newest first: what the client page lists.
pub fn for_client(conn: &mut DbConn, client_id: &str) -> Result<Vec<CaseSummary>, DbError> {
    Ok(return_cases::table
        .filter(return_cases::client_id.eq(client_id))
        .order((return_cases::opened_at.desc(), return_cases::id.desc()))
        .select((
            return_cases::id,
            return_cases::status,
            return_cases::destination_country,
            return_cases::planned_departure_on,
            return_cases::opened_at,
        ))
        .load(conn)?)
}

/// One line of a client's return cases.
#[derive(Debug, Clone, Queryable)]
pub struct CaseSummary {
    pub id: String,
    pub status: String,
    pub destination_country: String,
    pub planned_departure_on: NaiveDate,
    pub opened_at: NaiveDateTime,
}

/// Who holds a return case after a handover: ids only, for the leads who
/// hand cases over see no names and no notes.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CaseAssignment {
    /// The return case.
    pub id: String,
    pub status: CaseStatus,
    /// The caseworker who holds the case now.
    pub caseworker_id: String,
    /// Who held it before: the same when it was theirs already.
    pub previous_caseworker_id: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub updated_at: NaiveDateTime,
}

impl CaseAssignment {
    pub fn of(case: CaseRow, previous_caseworker_id: String) -> Self {
        Self {
            id: case.id,
            status: case.status,
            caseworker_id: case.caseworker_id,
            previous_caseworker_id,
            updated_at: case.updated_at,
        }
    }
}

/// Hands the case to `to` if `from` holds it still (and, with
/// `open_only`, it is open); whether it moved.
pub fn move_case(
    conn: &mut DbConn,
    id: &str,
    from: &str,
    to: &str,
    open_only: bool,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let statuses: &[CaseStatus] = if open_only {
        &[CaseStatus::Open]
    } else {
        CaseStatus::ALL
    };
    let moved = diesel::update(
        return_cases::table
            .find(id)
            .filter(return_cases::caseworker_id.eq(from))
            .filter(return_cases::status.eq_any(statuses)),
    )
    .set((
        return_cases::caseworker_id.eq(to),
        return_cases::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    Ok(moved == 1)
}

/// The open cases the caseworker holds, in id order.
pub fn open_caseload(conn: &mut DbConn, caseworker_id: &str) -> Result<Vec<String>, DbError> {
    Ok(return_cases::table
        .filter(return_cases::caseworker_id.eq(caseworker_id))
        .filter(return_cases::status.eq(CaseStatus::Open))
        .select(return_cases::id)
        .order(return_cases::id.asc())
        .load(conn)?)
}
