//! What a partner sees of a referral: the client's reference and
//! destination always; the rest only as far as a valid consent allows.
//! Never talk notes, never staff's own free text.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::super::{ChecklistOwner, Outcome as Ending, ReferralStatus, Visibility};
use super::after_departure::{self, PlanView};
use super::checklist::{self, ChecklistItemView};
use super::{ReferralRow, history};
use crate::cases::store as cases;
use crate::consent::store as consents;
use crate::consent::{ConsentStatus, DataCategory};
use crate::db::schema::clients;
use crate::db::{DbConn, DbError};
use crate::domain::{CommandError, Outcome, split_list};
use crate::monitoring::store::VisitView;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartnerReferralView {
    pub id: String,
    pub status: ReferralStatus,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub sent_at: NaiveDateTime,
    pub acknowledge_due_on: NaiveDate,
    pub decide_due_on: NaiveDate,
    pub destination_country: String,
    pub destination_region: Option<String>,
    pub planned_departure_on: NaiveDate,
    pub departed_on: Option<NaiveDate>,
    pub arrived_on: Option<NaiveDate>,
    /// The data categories shared now; empty once consent is withdrawn or expired.
    pub shared_categories: Vec<String>,
    pub client: Map<String, Value>,
    pub checklist: Vec<ChecklistItemView>,
    pub monitoring_visits: Vec<VisitView>,
    pub reintegration_plan: Option<PlanView>,
    pub outcome: Option<Ending>,
    pub history: Vec<PartnerHistoryEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartnerHistoryEntry {
    pub status: ReferralStatus,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub at: NaiveDateTime,
    /// `staff`, `partner` or `system`: staff members are not named to partners.
    pub by_type: String,
    pub reason: Option<String>,
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
/// the reference and destination alone.
fn shared_now(
    conn: &mut DbConn,
    row: &ReferralRow,
    today: NaiveDate,
) -> Result<Vec<DataCategory>, DbError> {
    Ok(match consents::get(conn, &row.consent_id, today)? {
        Some(consent) if consent.status == ConsentStatus::Active && row.status.is_open() => consent
            .data_categories
            .iter()
            .filter_map(|c| DataCategory::parse(c))
            .collect(),
        _ => Vec::new(),
    })
}

pub fn partner_view(
    conn: &mut DbConn,
    row: ReferralRow,
    today: NaiveDate,
) -> Outcome<PartnerReferralView> {
    let case = cases::row(conn, &row.return_case_id)?
        .ok_or_else(|| CommandError::Internal(format!("case of {} vanished", row.id)))?;
    let categories = shared_now(conn, &row, today)?;
    let can = Visibility::from_categories(&categories);
    let person = client_fields(conn, &case.client_id)?
        .ok_or_else(|| CommandError::Internal(format!("client of {} vanished", case.id)))?;
    let mut client = Map::new();
    client.insert("reference".into(), json!(person.reference));
    if can.identity {
        client.insert("given_name".into(), json!(person.given_name));
        client.insert("family_name".into(), json!(person.family_name));
        client.insert("date_of_birth".into(), json!(person.date_of_birth));
    }
    if can.contact {
        client.insert(
            "languages".into(),
            json!(split_list(&person.languages, |s| Some(s.to_owned()))),
        );
        client.insert("location".into(), json!(person.location));
    }
    if can.family {
        let members: Vec<String> = split_list(&case.household_member_ids, |s| Some(s.to_owned()));
        let mut household = Vec::new();
        for member in members {
            // Members have consents of their own: under this client's
            // consent a partner learns only who travels along.
            if let Some(member) = client_fields(conn, &member)? {
                household.push(json!({"reference": member.reference}));
            }
        }
        client.insert("household".into(), json!(household));
    }
    if can.needs {
        client.insert(
            "needs".into(),
            json!(split_list(&case.needs, |s| Some(s.to_owned()))),
        );
    }
    let history = history(conn, &row.id)?
        .into_iter()
        .map(|h| PartnerHistoryEntry {
            reason: super::super::reason_for_partner(&h.by_type, h.reason),
            status: h.status,
            at: h.at,
            by_type: h.by_type,
        })
        .collect();
    let monitoring_visits = crate::monitoring::store::visits(conn, &row.id, today)?;
    let reintegration_plan = after_departure::plan(conn, &row.id)?;
    let checklist = checklist::checklist(conn, &row.id)?
        .into_iter()
        .map(|mut item| {
            if item.owner != ChecklistOwner::Partner {
                item.note = None;
            }
            item
        })
        .collect();
    Ok(PartnerReferralView {
        id: row.id,
        status: row.status,
        sent_at: row.sent_at,
        acknowledge_due_on: row.acknowledge_due_on,
        decide_due_on: row.decide_due_on,
        destination_country: case.destination_country,
        destination_region: case.destination_region,
        planned_departure_on: case.planned_departure_on,
        departed_on: row.departed_on,
        arrived_on: row.arrived_on,
        shared_categories: categories.iter().map(|c| c.as_str().to_owned()).collect(),
        client,
        checklist,
        monitoring_visits,
        reintegration_plan,
        outcome: row.outcome,
        history,
    })
}
