//! Return cases: the trajectory of one client (or household) from the
//! decision to return to closure, and the changes along the way.

pub mod commands;
pub mod queries;
pub mod routes;
pub mod store;

use chrono::NaiveDate;
use serde::Deserialize;
use validator::{Validate, ValidationError};

use crate::domain::rules::field_rule;
use crate::domain::{CountryCode, RegionCode, text_enum};
use crate::partners::Service;

text_enum! {
    /// A return case runs until its referral after departure is closed.
    pub enum CaseStatus {
        Open => "open",
        Closed => "closed",
    }
}

text_enum! {
    /// What the person will need after return: the partner services that
    /// a reintegration plan can cover.
    pub enum Need {
        Housing => "housing",
        Income => "income",
        Education => "education",
        Medical => "medical",
        Psychosocial => "psychosocial",
        LegalDocuments => "legal_documents",
        FamilyTracing => "family_tracing",
    }
}

impl Need {
    pub fn as_service(self) -> Service {
        match self {
            Need::Housing => Service::Housing,
            Need::Income => Service::Income,
            Need::Education => Service::Education,
            Need::Medical => Service::Medical,
            Need::Psychosocial => Service::Psychosocial,
            Need::LegalDocuments => Service::LegalDocuments,
            Need::FamilyTracing => Service::FamilyTracing,
        }
    }
}

fn case_rules(case: &NewReturnCase) -> Result<(), ValidationError> {
    if let Some(region) = &case.destination_region
        && region.country_part() != case.destination_country.as_str()
    {
        return Err(field_rule(
            "destination_region",
            "must be a region of destination_country",
        ));
    }
    if case.planned_departure_on < chrono::Utc::now().date_naive() {
        return Err(field_rule(
            "planned_departure_on",
            "must not be in the past",
        ));
    }
    if case.household_member_ids.contains(&case.client_id) {
        return Err(field_rule(
            "household_member_ids",
            "must not include the client",
        ));
    }
    Ok(())
}

/// `POST /api/v1/return-cases`.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "case_rules", skip_on_field_errors = false))]
pub struct NewReturnCase {
    pub client_id: uuid::Uuid,
    /// The talk where the person said they want to return.
    #[serde(default)]
    pub talk_id: Option<uuid::Uuid>,
    pub destination_country: CountryCode,
    #[serde(default)]
    pub destination_region: Option<RegionCode>,
    #[validate(length(max = 7))]
    pub needs: Vec<Need>,
    /// Other clients who return with this one.
    #[serde(default)]
    #[validate(length(max = 30))]
    pub household_member_ids: Vec<uuid::Uuid>,
    pub planned_departure_on: NaiveDate,
}

/// `POST /api/v1/return-cases/{id}/departure`.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Departure {
    #[validate(custom(function = "crate::domain::rules::not_in_future"))]
    pub departed_on: NaiveDate,
}

text_enum! {
    /// Whose work a caseload's move hands on: a counsellor's clients, or a
    /// caseworker's open return cases.
    pub enum Caseload {
        Clients => "clients",
        ReturnCases => "return_cases",
    }
}

/// `POST /api/v1/assignments`: hand one user's whole caseload to another.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseloadMove {
    /// Whose caseload moves: any user, disabled or not.
    pub from_user_id: uuid::Uuid,
    /// Who takes it on: an enabled counsellor for `clients`, an enabled
    /// caseworker for `return_cases`; not `from_user_id`.
    pub to_user_id: uuid::Uuid,
    /// `clients`: every client `from_user_id` holds; `return_cases`: every
    /// open return case they hold (closed ones stay theirs).
    pub kind: Caseload,
}
