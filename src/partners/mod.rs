//! The partner directory: organisations in countries of origin that receive,
//! prepare and support returnees. Reviewed like code as one TOML file per
//! organisation under `partners/`, checked (`file`), synchronised into the
//! database (`commands::sync`, over `store`), served (`routes`) and ranked
//! for a return (`matching`).

pub mod capacity;
pub mod commands;
pub mod directory;
pub mod file;
pub mod matching;
pub mod routes;
pub mod store;

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::{CountryCode, LanguageCode, RegionCode};

/// A partner's id: a lower-case slug that is also its file name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PartnerId(String);

crate::domain::string_schema!(
    PartnerId,
    "^[a-z](-?[a-z0-9])+$",
    "A partner's id: a lower-case slug, 3 to 64 characters.",
    "accra-reintegration-network"
);

impl PartnerId {
    pub fn parse(id: &str) -> Result<Self, String> {
        let bytes = id.as_bytes();
        let valid = (3..=64).contains(&bytes.len())
            && bytes[0].is_ascii_lowercase()
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
            && !id.ends_with('-')
            && !id.contains("--");
        if valid {
            Ok(Self(id.to_owned()))
        } else {
            Err(format!(
                "`{id}` is not a partner id: 3 to 64 lower-case letters, digits and single hyphens, starting with a letter"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PartnerId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Self::parse(&value)
    }
}

impl From<PartnerId> for String {
    fn from(value: PartnerId) -> String {
        value.0
    }
}

impl fmt::Display for PartnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a partner offers: the programme's need kinds, plus reception services.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    Housing,
    Income,
    Education,
    Medical,
    Psychosocial,
    LegalDocuments,
    FamilyTracing,
    AirportPickup,
    TemporaryAccommodation,
}

impl Service {
    pub const ALL: [Service; 9] = [
        Service::Housing,
        Service::Income,
        Service::Education,
        Service::Medical,
        Service::Psychosocial,
        Service::LegalDocuments,
        Service::FamilyTracing,
        Service::AirportPickup,
        Service::TemporaryAccommodation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Service::Housing => "housing",
            Service::Income => "income",
            Service::Education => "education",
            Service::Medical => "medical",
            Service::Psychosocial => "psychosocial",
            Service::LegalDocuments => "legal_documents",
            Service::FamilyTracing => "family_tracing",
            Service::AirportPickup => "airport_pickup",
            Service::TemporaryAccommodation => "temporary_accommodation",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    pub fn list() -> String {
        Self::ALL.map(Service::as_str).join(", ")
    }
}

crate::domain::text_enum! {
    /// `active` takes referrals; `paused` is listed but takes none for now;
    /// `inactive` was removed from the directory (kept: referrals point at it).
    pub enum PartnerStatus {
        Active => "active",
        Paused => "paused",
        Inactive => "inactive",
    }
}

/// A country a partner works in; no regions means the whole country.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ServiceArea {
    pub country: CountryCode,
    pub regions: Vec<RegionCode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Contact {
    pub name: String,
    pub role: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A partner's own response times, where they differ from the programme's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SlaOverrides {
    pub acknowledge_working_days: Option<u32>,
    pub decide_working_days: Option<u32>,
}

/// One partner organisation as its directory file describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartnerRecord {
    pub id: PartnerId,
    pub name: String,
    pub description: String,
    pub website: Option<String>,
    pub email: String,
    pub services: Vec<Service>,
    pub service_areas: Vec<ServiceArea>,
    pub languages: Vec<LanguageCode>,
    pub contacts: Vec<Contact>,
    pub capacity: u32,
    pub status: PartnerStatus,
    pub sla: SlaOverrides,
    /// A webhook URL fixed by the directory; the partner can then only take
    /// a secret for it, not point its webhook elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
}

impl PartnerRecord {
    /// A digest of everything in the record, so that a sync rewrites only
    /// the partners whose file changed.
    pub fn digest(&self) -> String {
        let canonical = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(canonical))
    }

    pub fn countries(&self) -> impl Iterator<Item = &CountryCode> {
        self.service_areas.iter().map(|a| &a.country)
    }
}
