//! Informed consent: purpose-bound, naming the data categories that may be
//! shared with one partner or with any partner in one country, revocable at
//! any time. No referral without it; after withdrawal nothing more is shared.

pub mod commands;
pub mod queries;
pub mod routes;
pub mod store;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

pub use crate::domain::categories::DataCategory;
use crate::domain::rules::field_rule;
use crate::domain::{CountryCode, LanguageCode, Refusal, text_enum};
use crate::partners::PartnerId;

text_enum! {
    pub enum ConsentPurpose {
        /// Sharing with a partner organisation for a referral.
        Referral => "referral",
    }
}

text_enum! {
    pub enum ConsentMethod {
        Written => "written",
        VerbalWitnessed => "verbal_witnessed",
    }
}

/// `active` until withdrawn or past `valid_until` (`expired`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsentStatus {
    Active,
    Withdrawn,
    Expired,
}

impl ConsentStatus {
    pub fn of(withdrawn: bool, valid_until: Option<NaiveDate>, today: NaiveDate) -> Self {
        if withdrawn {
            ConsentStatus::Withdrawn
        } else if valid_until.is_some_and(|until| until < today) {
            ConsentStatus::Expired
        } else {
            ConsentStatus::Active
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ConsentStatus::Active => "active",
            ConsentStatus::Withdrawn => "withdrawn",
            ConsentStatus::Expired => "expired",
        }
    }

    /// What may happen to a consent in this status (for 409s).
    pub fn allowed_transitions(self) -> &'static [&'static str] {
        match self {
            ConsentStatus::Active | ConsentStatus::Expired => &["withdraw"],
            ConsentStatus::Withdrawn => &[],
        }
    }

    /// Withdrawing a consent in this status, if the machine allows it; the
    /// one place a consent says "not allowed now".
    pub fn withdraw(self) -> Result<(), Refusal> {
        if self.allowed_transitions().contains(&"withdraw") {
            return Ok(());
        }
        Err(self.refusal(format!(
            "this consent is {} already; it cannot be withdrawn again.",
            self.as_str()
        )))
    }

    /// A withdrawal that another request made first.
    pub fn withdrawn_meanwhile() -> Refusal {
        ConsentStatus::Withdrawn.refusal("This consent was withdrawn meanwhile.".to_owned())
    }

    fn refusal(self, why: String) -> Refusal {
        Refusal::not_allowed_now(
            "consent",
            self.as_str(),
            "withdraw",
            self.allowed_transitions(),
        )
        .because(why)
    }
}

fn consent_rules(consent: &NewConsent) -> Result<(), ValidationError> {
    match (&consent.partner_id, &consent.country) {
        (Some(_), Some(_)) => {
            return Err(field_rule(
                "partner_id",
                "give partner_id or country, not both",
            ));
        }
        (None, None) => return Err(field_rule("partner_id", "give partner_id or country")),
        _ => {}
    }
    if let Some(until) = consent.valid_until {
        if until <= consent.given_on {
            return Err(field_rule("valid_until", "must be after given_on"));
        }
        if until < chrono::Utc::now().date_naive() {
            return Err(field_rule("valid_until", "must not be in the past"));
        }
    }
    Ok(())
}

/// `POST /api/v1/clients/{id}/consents`.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "consent_rules", skip_on_field_errors = false))]
pub struct NewConsent {
    pub purpose: ConsentPurpose,
    #[validate(length(min = 1, max = 6))]
    pub data_categories: Vec<DataCategory>,
    /// The one partner the consent covers…
    #[serde(default)]
    pub partner_id: Option<PartnerId>,
    /// …or every partner in this country.
    #[serde(default)]
    pub country: Option<CountryCode>,
    #[validate(custom(function = "crate::domain::rules::not_in_future"))]
    pub given_on: NaiveDate,
    pub method: ConsentMethod,
    /// The language the person was informed in.
    pub language: LanguageCode,
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
}

/// `POST /api/v1/consents/{id}/withdraw`; the body may be left out.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    #[serde(default)]
    #[validate(length(max = 2000))]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_withdrawal_and_expiry() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).expect("date");
        let yesterday = today.pred_opt();
        assert_eq!(ConsentStatus::of(false, None, today), ConsentStatus::Active);
        assert_eq!(
            ConsentStatus::of(false, Some(today), today),
            ConsentStatus::Active
        );
        assert_eq!(
            ConsentStatus::of(false, yesterday, today),
            ConsentStatus::Expired
        );
        assert_eq!(
            ConsentStatus::of(true, None, today),
            ConsentStatus::Withdrawn
        );
        assert!(ConsentStatus::Withdrawn.allowed_transitions().is_empty());
    }

    #[test]
    fn only_a_withdrawn_consent_refuses_withdrawal() {
        assert_eq!(ConsentStatus::Expired.withdraw(), Ok(()));
        let refused = ConsentStatus::Withdrawn.withdraw().expect_err("withdrawn");
        assert_eq!(
            refused.detail(),
            "this consent is withdrawn already; it cannot be withdrawn again."
        );
        assert!(matches!(
            refused,
            Refusal::NotAllowedNow { ref current, ref allowed, .. }
                if current == "withdrawn" && allowed.is_empty()
        ));
    }
}
