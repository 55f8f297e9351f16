//! What a partner sees of a referral: the client's reference and
//! destination country always; every other field and checklist task only
//! while the referral is open and a valid consent names its category
//! (`domain::categories`). Never talk notes, never staff's own free text.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::super::vocabulary::{DeclineReason, OnHold, StatusReason, serialize_status_reason};
use super::super::{ChecklistOwner, ChecklistStatus, Outcome as Ending, ReferralStatus};
use super::after_departure::{self, PlanView};
use super::checklist::{self, ChecklistItemView};
use super::{ReferralRow, history};
use crate::cases::store as cases;
use crate::consent::store as consents;
use crate::consent::{ConsentStatus, DataCategory};
use crate::db::schema::clients;
use crate::db::{DbConn, DbError};
use crate::domain::categories::{PartnerField, Shared, checklist_category};
use crate::domain::{CommandError, Outcome, split_list};
use crate::monitoring::store::VisitView;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PartnerReferralView {
    pub id: String,
    pub status: ReferralStatus,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub sent_at: NaiveDateTime,
    pub acknowledge_due_on: NaiveDate,
    pub decide_due_on: NaiveDate,
    pub destination_country: String,
    /// Left out unless `contact` is shared; `null` when shared but not known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_region: Option<Option<String>>,
    /// Left out unless `travel_documents` is shared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planned_departure_on: Option<NaiveDate>,
    pub departed_on: Option<NaiveDate>,
    pub arrived_on: Option<NaiveDate>,
    /// The data categories shared now; empty once consent is withdrawn or expired.
    pub shared_categories: Vec<String>,
    pub client: Map<String, Value>,
    pub checklist: Vec<PartnerChecklistItem>,
    pub monitoring_visits: Vec<VisitView>,
    pub reintegration_plan: Option<PlanView>,
    pub outcome: Option<Ending>,
    /// Why the partner declined, once `rejected` (FHIR `Task.statusReason`).
    #[serde(serialize_with = "serialize_status_reason")]
    #[schema(value_type = Option<StatusReason>)]
    pub status_reason: Option<DeclineReason>,
    /// While `on_hold`: since when, why, and when the partner reviews it;
    /// `null` otherwise.
    pub on_hold: Option<OnHold>,
    pub history: Vec<PartnerHistoryEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PartnerHistoryEntry {
    pub status: ReferralStatus,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub at: NaiveDateTime,
    /// `staff`, `partner` or `system`: staff members are not named to partners.
    pub by_type: String,
    pub reason: Option<String>,
    /// The decline's code on the entry that reached `rejected` (FHIR
    /// `Task.statusReason`); `null` on every other.
    #[serde(serialize_with = "serialize_status_reason")]
    #[schema(value_type = Option<StatusReason>)]
    pub status_reason: Option<DeclineReason>,
}

/// A checklist task as its partner sees it: only tasks whose category is
/// shared, due dates only with the departure plan, and a note only when the
/// partner wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PartnerChecklistItem {
    pub id: String,
    pub kind: String,
    pub category: DataCategory,
    pub owner: ChecklistOwner,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_on: Option<NaiveDate>,
    pub status: ChecklistStatus,
    pub note: Option<String>,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub updated_at: NaiveDateTime,
}

/// The item as the partner may see it, or `None` when its category is not
/// shared now.
pub fn partner_item(item: ChecklistItemView, shared: &Shared) -> Option<PartnerChecklistItem> {
    let category = checklist_category(&item.kind).filter(|c| shared.covers(*c))?;
    let partners_note = item.note_by_type.as_deref() == Some("partner");
    Some(PartnerChecklistItem {
        id: item.id,
        kind: item.kind,
        category,
        owner: item.owner,
        due_on: shared
            .field(PartnerField::ChecklistDueOn)
            .then_some(item.due_on),
        status: item.status,
        note: item.note.filter(|_| partners_note),
        updated_at: item.updated_at,
    })
}

/// The parts of a `clients` row a consent may share.
#[derive(Queryable, Selectable)]
#[diesel(table_name = clients)]
struct ClientFields {
    reference: String,
    given_name: String,
    family_name: String,
    date_of_birth: NaiveDate,
    languages: String,
    location: Option<String>,
    erased_at: Option<NaiveDateTime>,
}

fn client_fields(conn: &mut DbConn, id: &str) -> Result<Option<ClientFields>, DbError> {
    Ok(clients::table
        .find(id)
        .select(ClientFields::as_select())
        .first(conn)
        .optional()?)
}

/// The data categories a partner may see now: only while the referral runs
/// and its consent holds; a declined, cancelled or closed referral shows
/// the reference and destination country alone.
pub fn shared_now(
    conn: &mut DbConn,
    row: &ReferralRow,
    today: NaiveDate,
) -> Result<Shared, DbError> {
    Ok(match consents::get(conn, &row.consent_id, today)? {
        Some(consent) => Shared::now(
            consent
                .data_categories
                .iter()
                .filter_map(|c| DataCategory::parse(c))
                .collect(),
            consent.status == ConsentStatus::Active,
            row.status.is_open(),
        ),
        None => Shared::default(),
    })
}

pub fn partner_view(
    conn: &mut DbConn,
    row: ReferralRow,
    today: NaiveDate,
) -> Outcome<PartnerReferralView> {
    let case = cases::row(conn, &row.return_case_id)?
        .ok_or_else(|| CommandError::Internal(format!("case of {} vanished", row.id)))?;
    let person = client_fields(conn, &case.client_id)?
        .ok_or_else(|| CommandError::Internal(format!("client of {} vanished", case.id)))?;
    // An erased person's referral shows what it would once ended: the
    // reference and destination country alone.
    let shared = match person.erased_at {
        Some(_) => Shared::default(),
        None => shared_now(conn, &row, today)?,
    };
    let mut client = Map::new();
    client.insert("reference".into(), json!(person.reference));
    let mut put = |field: PartnerField, value: Value| {
        if shared.field(field) {
            client.insert(field.name().into(), value);
        }
    };
    put(PartnerField::GivenName, json!(person.given_name));
    put(PartnerField::FamilyName, json!(person.family_name));
    put(PartnerField::DateOfBirth, json!(person.date_of_birth));
    put(
        PartnerField::Languages,
        json!(split_list(&person.languages, |s| Some(s.to_owned()))),
    );
    put(PartnerField::Location, json!(person.location));
    put(
        PartnerField::Needs,
        json!(split_list(&case.needs, |s| Some(s.to_owned()))),
    );
    if shared.field(PartnerField::Household) {
        let members: Vec<String> = split_list(&case.household_member_ids, |s| Some(s.to_owned()));
        let mut household = Vec::new();
        for member in members {
            // Members have consents of their own: under this client's
            // consent a partner learns only who travels along.
            if let Some(member) = client_fields(conn, &member)? {
                household.push(json!({"reference": member.reference}));
            }
        }
        client.insert(PartnerField::Household.name().into(), json!(household));
    }
    let history = history(conn, &row.id)?
        .into_iter()
        .map(|h| PartnerHistoryEntry {
            reason: super::super::reason_for_partner(&h.by_type, h.reason),
            status: h.status,
            at: h.at,
            by_type: h.by_type,
            status_reason: h.status_reason,
        })
        .collect();
    let monitoring_visits = crate::monitoring::store::visits(conn, &row.id, today)?;
    let reintegration_plan = after_departure::plan(conn, &row.id)?;
    let on_hold = row.on_hold();
    let checklist = checklist::checklist(conn, &row.id)?
        .into_iter()
        .filter_map(|item| partner_item(item, &shared))
        .collect();
    Ok(PartnerReferralView {
        id: row.id,
        status: row.status,
        sent_at: row.sent_at,
        acknowledge_due_on: row.acknowledge_due_on,
        decide_due_on: row.decide_due_on,
        destination_country: case.destination_country,
        destination_region: shared
            .field(PartnerField::DestinationRegion)
            .then_some(case.destination_region),
        planned_departure_on: shared
            .field(PartnerField::PlannedDepartureOn)
            .then_some(case.planned_departure_on),
        departed_on: row.departed_on,
        arrived_on: row.arrived_on,
        shared_categories: shared
            .categories()
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect(),
        client,
        checklist,
        monitoring_visits,
        reintegration_plan,
        outcome: row.outcome,
        status_reason: row.decline_reason_code,
        on_hold,
        history,
    })
}
