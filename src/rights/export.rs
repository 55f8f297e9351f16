//! Everything Brug holds about one person, in one document: identity,
//! household, every talk with its earlier versions, consents, return cases
//! with their referrals (history, checklist, plan, monitoring, closure,
//! what the partner wrote), and the disclosure record. The JSON answer and
//! the staff UI's page are both this.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use super::disclosures::{self, Disclosure};
use super::store::{self, DraftRecord, ErasureRecord, MonitoringAnswers};
use crate::cases::store::{self as cases, CaseView};
use crate::clients::store::{self as clients, ClientView, HouseholdView};

use crate::consent::store::{self as consents, ConsentView};
use crate::db::{DbConn, DbError};
use crate::referrals::store::checklist::{self, ChecklistItemView};
use crate::referrals::store::{self as referrals, ReferralView};
use crate::talks::store::{self as talks, TalkVersion, TalkView};

/// The person's export.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonExport {
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub generated_at: NaiveDateTime,
    /// Set once the person was erased: what is left is anonymous.
    pub erasure: Option<ErasureRecord>,
    pub client: ClientView,
    pub household: Option<HouseholdRecord>,
    /// Newest first, each with its earlier versions.
    pub talks: Vec<TalkRecord>,
    pub consents: Vec<ConsentView>,
    /// Newest first.
    pub return_cases: Vec<CaseRecord>,
    /// Every time a partner was shown the person's data, oldest first.
    pub disclosures: Vec<Disclosure>,
}

/// The person's household: who is in it, each by reference and name only.
/// The other members' own details (date of birth, V-number, where they
/// stay) are theirs, not the person's, and are left out.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HouseholdRecord {
    pub id: String,
    pub label: Option<String>,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub created_at: NaiveDateTime,
    pub members: Vec<HouseholdMember>,
}

/// A member of the person's household, as the person's export names them.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HouseholdMember {
    pub id: String,
    pub reference: String,
    pub given_name: String,
    pub family_name: String,
    /// Set when that member was erased (their names are then empty).
    #[serde(serialize_with = "crate::domain::utc::serialize_option")]
    pub erased_at: Option<NaiveDateTime>,
}

impl From<HouseholdView> for HouseholdRecord {
    fn from(h: HouseholdView) -> Self {
        HouseholdRecord {
            id: h.id,
            label: h.label,
            created_at: h.created_at,
            members: h
                .members
                .into_iter()
                .map(|m: ClientView| HouseholdMember {
                    id: m.id,
                    reference: m.reference,
                    given_name: m.given_name,
                    family_name: m.family_name,
                    erased_at: m.erased_at,
                })
                .collect(),
        }
    }
}

/// A talk as it is now, and as it was before each amendment.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TalkRecord {
    #[serde(flatten)]
    pub talk: TalkView,
    /// Newest first; empty for a talk never amended.
    pub earlier_versions: Vec<TalkVersion>,
}

/// A return case with all of its referrals.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CaseRecord {
    #[serde(flatten)]
    pub case: CaseView,
    /// In the order they were sent.
    pub referrals: Vec<ReferralRecord>,
}

/// A referral with its history, plan, monitoring and closure (in the
/// staff's view of it), its checklist, and what the partner wrote.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReferralRecord {
    #[serde(flatten)]
    pub referral: ReferralView,
    pub checklist: Vec<ChecklistItemView>,
    /// The partner's note on arrival.
    pub arrival_note: Option<String>,
    /// The answers of each monitoring visit reported.
    pub monitoring_answers: Vec<MonitoringAnswers>,
    /// Drafts made in the partner portal.
    pub partner_drafts: Vec<DraftRecord>,
}

/// The person's export, as of `today`; `None` when there is no such client.
pub fn build(
    conn: &mut DbConn,
    id: &str,
    now: NaiveDateTime,
    today: NaiveDate,
) -> Result<Option<PersonExport>, DbError> {
    let Some(client) = clients::get(conn, id)? else {
        return Ok(None);
    };
    let erasure = store::erasure(conn, id)?;
    let household = match &client.household_id {
        Some(household) => clients::get_household(conn, household)?.map(HouseholdRecord::from),
        None => None,
    };
    let mut talk_records = Vec::new();
    for talk in talks::all_of_client(conn, id)? {
        let earlier_versions = talks::versions(conn, &talk.id)?;
        talk_records.push(TalkRecord {
            talk,
            earlier_versions,
        });
    }
    let consents = consents::for_client(conn, id, today)?;
    let mut case_records = Vec::new();
    for summary in cases::for_client(conn, id)? {
        let Some(case) = cases::view(conn, &summary.id)? else {
            continue;
        };
        let mut referral_records = Vec::new();
        for referral in referrals::for_case(conn, &case.id, today)? {
            referral_records.push(ReferralRecord {
                checklist: checklist::checklist(conn, &referral.id)?,
                arrival_note: store::arrival_note(conn, &referral.id)?,
                monitoring_answers: store::monitoring_answers(conn, &referral.id)?,
                partner_drafts: store::drafts(conn, &referral.id)?,
                referral,
            });
        }
        case_records.push(CaseRecord {
            case,
            referrals: referral_records,
        });
    }
    let referrals_of_client = store::referrals_of_client(conn, id)?;
    let disclosures = disclosures::record(
        conn,
        &referrals_of_client,
        erasure.as_ref().map(|e| e.erased_at),
    )?;
    Ok(Some(PersonExport {
        generated_at: now,
        erasure,
        client,
        household,
        talks: talk_records,
        consents,
        return_cases: case_records,
        disclosures,
    }))
}
