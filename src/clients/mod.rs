//! Clients of the programme, pseudonymous by default: a short reference
//! that staff say aloud, beside the identity fields; and households, the
//! people who return together.

pub mod commands;
pub mod queries;
pub mod routes;
pub mod store;

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

use crate::domain::{Conflict, CountryCode, LanguageCode, Refusal};

/// The immigration service's alien number: exactly 10 digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VNumber(String);

crate::domain::string_schema!(
    VNumber,
    "^[0-9]{10}$",
    "The immigration service's alien number: exactly 10 digits.",
    "0123456789"
);

impl VNumber {
    pub fn parse(value: &str) -> Result<Self, String> {
        if value.len() == 10 && value.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(value.to_owned()))
        } else {
            Err("a V-number is exactly 10 digits".to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for VNumber {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Self::parse(&value)
    }
}

impl From<VNumber> for String {
    fn from(value: VNumber) -> String {
        value.0
    }
}

/// The characters of a client reference: no 0/O, 1/I/L, or U/V look-alikes.
pub const REFERENCE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTWXYZ";
const REFERENCE_LENGTH: usize = 5;
pub const REFERENCE_PREFIX: &str = "TO-";

/// A short human reference, `TO-7K3M9`: said on the phone, written on a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientRef(String);

impl ClientRef {
    /// A random reference; the store retries on the rare collision.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; REFERENCE_LENGTH];
        getrandom::fill(&mut bytes)?;
        let code: String = bytes
            .iter()
            .map(|b| REFERENCE_ALPHABET[usize::from(*b) % REFERENCE_ALPHABET.len()] as char)
            .collect();
        Ok(Self(format!("{REFERENCE_PREFIX}{code}")))
    }

    /// Recognises a reference as typed in a search box (any case).
    pub fn parse(value: &str) -> Option<Self> {
        let upper = value.trim().to_ascii_uppercase();
        let code = upper.strip_prefix(REFERENCE_PREFIX)?;
        (code.len() == REFERENCE_LENGTH && code.bytes().all(|b| REFERENCE_ALPHABET.contains(&b)))
            .then_some(Self(upper))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn plausible_birth_date(date: &NaiveDate) -> Result<(), ValidationError> {
    let today = chrono::Utc::now().date_naive();
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
    if *date > today || *date < earliest {
        let mut error = ValidationError::new("date_of_birth");
        error.message = Some("must be a date between 1900-01-01 and today".into());
        return Err(error);
    }
    Ok(())
}

crate::domain::text_enum! {
    /// A client's sex as recorded: `unknown` when not known or not said.
    /// Reports count people by it (hidden below five, as every count).
    pub enum Sex {
        Female => "female",
        Male => "male",
        Other => "other",
        Unknown => "unknown",
    }
}

/// What a client registered without a sex is: `unknown`.
fn unknown_sex() -> Sex {
    Sex::Unknown
}

/// `POST /api/v1/clients`.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    #[validate(
        length(min = 1, max = 100),
        custom(function = "crate::domain::rules::not_blank")
    )]
    pub given_name: String,
    #[validate(
        length(min = 1, max = 100),
        custom(function = "crate::domain::rules::not_blank")
    )]
    pub family_name: String,
    #[validate(custom(function = "plausible_birth_date"))]
    pub date_of_birth: NaiveDate,
    /// `female`, `male`, `other` or `unknown` (the default, for
    /// integrations written before it).
    #[serde(default = "unknown_sex")]
    #[schema(default = "unknown")]
    pub sex: Sex,
    pub country_of_origin: CountryCode,
    #[validate(length(min = 1, max = 12))]
    pub languages: Vec<LanguageCode>,
    #[serde(default)]
    pub v_number: Option<VNumber>,
    /// The reception centre or municipality where the client lives now.
    #[serde(default)]
    #[validate(length(max = 200))]
    pub location: Option<String>,
    #[serde(default)]
    pub household_id: Option<uuid::Uuid>,
    /// Set after checking the possible duplicates a 409 listed.
    #[serde(default)]
    pub confirm_not_duplicate: bool,
}

/// The key that duplicate detection and name search compare on.
pub fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// `POST /api/v1/households`.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHousehold {
    /// A label staff recognise, e.g. the family name. Optional.
    #[serde(default)]
    #[validate(length(max = 100))]
    pub label: Option<String>,
    /// Clients to place in the household now.
    #[serde(default)]
    #[validate(length(max = 30))]
    pub member_ids: Vec<uuid::Uuid>,
}

/// A client with the same names, date of birth and country (`existing`) is
/// a possible duplicate: refused, listing them, unless `confirmed`.
pub fn duplicate_check(existing: Vec<String>, confirmed: bool) -> Result<(), Refusal> {
    if existing.is_empty() || confirmed {
        return Ok(());
    }
    Err(Refusal::conflict(
        Conflict::PossibleDuplicate,
        "A client with the same names, date of birth and country of origin exists. \
         Check the existing ids; if this is someone else, send again with \
         `confirm_not_duplicate: true`.",
    )
    .with("code", "possible_duplicate")
    .with("existing_ids", existing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_short_and_unambiguous() {
        let reference = ClientRef::generate().expect("random");
        assert_eq!(reference.as_str().len(), 8);
        assert!(reference.as_str().starts_with("TO-"));
        assert!(!reference.as_str()[3..].contains(['0', 'O', '1', 'I', 'L']));
        assert_eq!(
            ClientRef::parse(&reference.as_str().to_lowercase()),
            Some(reference)
        );
        assert_eq!(ClientRef::parse("TO-7K3M0"), None, "0 is never used");
        assert_eq!(ClientRef::parse("Amina"), None);
    }

    #[test]
    fn v_numbers_are_ten_digits() {
        assert!(VNumber::parse("1234567890").is_ok());
        for bad in ["123456789", "12345678901", "12345abcde", ""] {
            assert!(VNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn name_keys_ignore_case_and_spacing() {
        assert_eq!(name_key("  Amina   Example "), "amina example");
        assert_eq!(name_key("ÉLISE"), "élise");
    }
}
