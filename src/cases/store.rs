//! Return cases' queries and their history.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::{Need, NewReturnCase};
use crate::audit::Actor;
use crate::clients::store as clients;
use crate::db::schema::{return_case_history, return_cases, talks};
use crate::db::{DbConn, DbError};
use crate::domain::{join_list, split_list};
use crate::http::{AppError, FieldError, Problem};
use crate::referrals::store::{self as referrals, ChecklistItemView, ReferralView};

#[derive(Debug, Clone, PartialEq, Serialize, Queryable)]
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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseView {
    pub id: String,
    pub client_id: String,
    pub talk_id: Option<String>,
    pub destination_country: String,
    pub destination_region: Option<String>,
    pub needs: Vec<String>,
    pub household_member_ids: Vec<String>,
    pub planned_departure_on: NaiveDate,
    pub status: String,
    pub opened_by: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub opened_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::serialize_option")]
    pub closed_at: Option<NaiveDateTime>,
    pub referrals: Vec<ReferralView>,
    pub checklist: Vec<ChecklistItemView>,
    pub history: Vec<CaseHistoryEntry>,
}

#[derive(Debug, Clone, Queryable)]
pub struct CaseRow {
    pub id: String,
    pub client_id: String,
    pub talk_id: Option<String>,
    pub destination_country: String,
    pub destination_region: Option<String>,
    pub needs: String,
    pub household_member_ids: String,
    pub planned_departure_on: NaiveDate,
    pub status: String,
    pub opened_by: String,
    pub opened_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

impl CaseRow {
    pub fn needs(&self) -> Vec<Need> {
        split_list(&self.needs, Need::parse)
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
    diesel::insert_into(return_case_history::table)
        .values((
            return_case_history::return_case_id.eq(case_id),
            return_case_history::seq.eq(last.unwrap_or(0) + 1),
            return_case_history::at.eq(now.naive_utc()),
            return_case_history::actor_type.eq(actor.kind),
            return_case_history::actor_id.eq(&actor.id),
            return_case_history::change.eq(change),
            return_case_history::detail.eq(detail),
        ))
        .execute(conn)?;
    Ok(())
}

/// Opens a return case; a client has at most one open case.
pub fn open(
    conn: &mut DbConn,
    staff_id: &str,
    input: &NewReturnCase,
    now: DateTime<Utc>,
) -> Result<CaseView, AppError> {
    let client_id = input.client_id.to_string();
    let mut errors = Vec::new();
    if !clients::exists(conn, &client_id)? {
        errors.push(FieldError::new("client_id", "is not a client"));
    }
    if let Some(talk) = input.talk_id {
        let owner: Option<String> = talks::table
            .find(talk.to_string())
            .select(talks::client_id)
            .first(conn)
            .optional()?;
        if owner.as_deref() != Some(client_id.as_str()) {
            errors.push(FieldError::new("talk_id", "is not a talk with this client"));
        }
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
        return Err(AppError::validation(errors));
    }
    let open: Option<String> = return_cases::table
        .filter(return_cases::client_id.eq(&client_id))
        .filter(return_cases::status.eq("open"))
        .select(return_cases::id)
        .first(conn)
        .optional()?;
    if let Some(existing) = open {
        return Err(Problem::new(
            actix_web::http::StatusCode::CONFLICT,
            "open-case-exists",
            "Conflict",
            "This client has an open return case already.",
        )
        .with_extension("existing_id", existing)
        .into());
    }
    let id = uuid::Uuid::now_v7().to_string();
    let mut needs = input.needs.clone();
    needs.sort();
    needs.dedup();
    let members: Vec<String> = input
        .household_member_ids
        .iter()
        .map(ToString::to_string)
        .collect();
    let stamp = now.naive_utc();
    diesel::insert_into(return_cases::table)
        .values((
            return_cases::id.eq(&id),
            return_cases::client_id.eq(&client_id),
            return_cases::talk_id.eq(input.talk_id.map(|t| t.to_string())),
            return_cases::destination_country.eq(input.destination_country.as_str()),
            return_cases::destination_region
                .eq(input.destination_region.as_ref().map(|r| r.as_str())),
            return_cases::needs.eq(join_list(&needs, |n: &Need| n.as_str())),
            return_cases::household_member_ids.eq(members.join(",")),
            return_cases::planned_departure_on.eq(input.planned_departure_on),
            return_cases::status.eq("open"),
            return_cases::opened_by.eq(staff_id),
            return_cases::opened_at.eq(stamp),
            return_cases::updated_at.eq(stamp),
        ))
        .execute(conn)?;
    add_history(conn, &id, &Actor::staff(staff_id), "opened", None, now)?;
    view(conn, &id, now.date_naive(), 0)?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("case {id} vanished")))
}

pub fn row(conn: &mut DbConn, id: &str) -> Result<Option<CaseRow>, DbError> {
    Ok(return_cases::table.find(id).first(conn).optional()?)
}

/// The case with its referrals (and their SLA flags on `today`), the
/// checklist of its current referral, and its history.
pub fn view(
    conn: &mut DbConn,
    id: &str,
    today: NaiveDate,
    not_departed_after_days: u32,
) -> Result<Option<CaseView>, DbError> {
    let Some(case) = row(conn, id)? else {
        return Ok(None);
    };
    let mut referrals = referrals::for_case(conn, &case.id)?;
    for referral in &mut referrals {
        referral.flags = referrals::clock(referral, case.planned_departure_on)
            .flags(today, not_departed_after_days);
    }
    let current = |r: &&ReferralView| {
        r.has_checklist()
            && crate::referrals::ReferralStatus::parse(&r.status).is_some_and(|s| s.is_open())
    };
    let checklist = match referrals.iter().find(current) {
        Some(current) => referrals::checklist(conn, &current.id)?,
        None => Vec::new(),
    };
    let history = return_case_history::table
        .filter(return_case_history::return_case_id.eq(&case.id))
        .order(return_case_history::seq.asc())
        .select((
            return_case_history::seq,
            return_case_history::at,
            return_case_history::actor_type,
            return_case_history::actor_id,
            return_case_history::change,
            return_case_history::detail,
        ))
        .load(conn)?;
    Ok(Some(CaseView {
        needs: split_list(&case.needs, |s| Some(s.to_owned())),
        household_member_ids: split_list(&case.household_member_ids, |s| Some(s.to_owned())),
        id: case.id,
        client_id: case.client_id,
        talk_id: case.talk_id,
        destination_country: case.destination_country,
        destination_region: case.destination_region,
        planned_departure_on: case.planned_departure_on,
        status: case.status,
        opened_by: case.opened_by,
        opened_at: case.opened_at,
        closed_at: case.closed_at,
        referrals,
        checklist,
        history,
    }))
}
