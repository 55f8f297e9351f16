//! The rows the generator makes, one struct per table, in the form the
//! stores write them (stored lists, statuses as the areas' text enums).
//! The writer in [`super::store`] turns each into its area's `Insertable`
//! row type, column for column, and inserts that.

use chrono::{NaiveDate, NaiveDateTime};

use crate::cases::CaseStatus;
use crate::consent::ConsentMethod;
use crate::referrals::plan::PlanStatus;
use crate::referrals::{ChecklistOwner, ChecklistStatus, Outcome, ReferralStatus};
use crate::talks::{Intention, TalkMode};

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: &'static str,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Household {
    pub id: String,
    pub label: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub id: String,
    pub reference: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: NaiveDate,
    pub sex: crate::clients::Sex,
    pub country_of_origin: String,
    /// Stored list (comma-separated).
    pub languages: String,
    pub v_number: Option<String>,
    pub location: Option<String>,
    pub household_id: Option<String>,
    pub counsellor_id: String,
    pub latest_intention: Option<&'static str>,
    pub latest_intention_on: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A talk's content, as in `talks` and in `talk_versions`.
#[derive(Debug, Clone, PartialEq)]
pub struct TalkContent {
    pub held_on: NaiveDate,
    pub mode: TalkMode,
    /// Stored list, in the order given.
    pub topics: String,
    pub intention: Intention,
    pub interpreter_language: Option<String>,
    pub duration_minutes: i32,
    pub notes: Option<&'static str>,
    pub next_talk_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Talk {
    pub id: String,
    pub client_id: String,
    pub counsellor_id: String,
    pub content: TalkContent,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TalkVersion {
    pub talk_id: String,
    pub version: i32,
    pub content: TalkContent,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Consent {
    pub id: String,
    pub client_id: String,
    /// Stored list, sorted as the store sorts it.
    pub data_categories: String,
    pub partner_id: Option<String>,
    pub country: Option<String>,
    pub given_on: NaiveDate,
    pub method: ConsentMethod,
    pub language: String,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawn_by: Option<String>,
    pub withdrawal_reason: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReturnCase {
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
}

#[derive(Debug, Clone, PartialEq)]
pub struct CaseHistory {
    pub return_case_id: String,
    pub seq: i32,
    pub at: NaiveDateTime,
    pub actor_type: &'static str,
    pub actor_id: String,
    pub change: String,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Referral {
    pub id: String,
    pub return_case_id: String,
    pub partner_id: String,
    pub consent_id: String,
    pub status: ReferralStatus,
    pub sent_at: NaiveDateTime,
    pub sent_by: String,
    pub acknowledge_due_on: NaiveDate,
    pub decide_due_on: NaiveDate,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub departed_on: Option<NaiveDate>,
    pub arrived_on: Option<NaiveDate>,
    pub closed_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    pub arrival_received: Option<bool>,
    pub outcome: Option<Outcome>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReferralHistory {
    pub referral_id: String,
    pub seq: i32,
    pub status: ReferralStatus,
    pub at: NaiveDateTime,
    pub by_type: &'static str,
    pub by_id: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistItem {
    pub id: String,
    pub referral_id: String,
    pub position: i32,
    pub kind: String,
    pub owner: ChecklistOwner,
    pub due_on: NaiveDate,
    pub status: ChecklistStatus,
    pub updated_at: NaiveDateTime,
    pub updated_by_type: &'static str,
    pub updated_by_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub referral_id: String,
    pub status: PlanStatus,
    pub version: i32,
    pub submitted_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<String>,
    pub comment: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanItem {
    pub referral_id: String,
    pub position: i32,
    pub need: &'static str,
    pub support: &'static str,
    pub amount: f64,
    pub currency: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    pub id: String,
    pub referral_id: String,
    pub months_after_arrival: i32,
    pub due_on: NaiveDate,
    pub done: Option<VisitReport>,
    /// When the partner was told the visit was due: on its due date, for
    /// every visit due by `until` (history, not news for the worker).
    pub due_announced_at: Option<NaiveDateTime>,
}

/// An early-warning alert a monitoring report raised.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub id: String,
    pub referral_id: String,
    pub visit_id: String,
    /// Its reasons as the store keeps them: JSON.
    pub reasons: String,
    pub raised_at: NaiveDateTime,
    pub handled_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VisitReport {
    pub held_on: NaiveDate,
    pub mode: &'static str,
    pub model_version: String,
    /// The answers as the store keeps them: a JSON object.
    pub answers: String,
    pub economic: f64,
    pub social: f64,
    pub psychosocial: f64,
    pub overall: f64,
    pub reported_at: NaiveDateTime,
}
