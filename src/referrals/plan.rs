//! The reintegration plan: the support a partner will give, with its
//! budget; the caseworker approves it or returns it with a comment, and a
//! returned plan can be submitted again.

use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

use crate::cases::Need;
use crate::domain::{Refusal, text_enum};

text_enum! {
    pub enum PlanStatus {
        Submitted => "submitted",
        Approved => "approved",
        Returned => "returned",
    }
}

impl PlanStatus {
    /// A plan can be submitted again until it is approved.
    pub fn resubmit(self) -> Result<(), Refusal> {
        if self != PlanStatus::Approved {
            return Ok(());
        }
        Err(self.refuse(
            "submit",
            "The reintegration plan is approved already.".to_owned(),
        ))
    }

    /// Only a submitted plan is approved or returned.
    pub fn decide(self, step: &str) -> Result<(), Refusal> {
        if self == PlanStatus::Submitted {
            return Ok(());
        }
        Err(self.refuse(
            step,
            format!("The plan is {self}; only a submitted plan is approved or returned."),
        ))
    }

    fn refuse(self, step: &str, why: String) -> Refusal {
        super::not_allowed_now::<&str>("reintegration plan", self.as_str(), step, &[], Some(why))
    }
}

fn currency(code: &str) -> Result<(), ValidationError> {
    if code.len() == 3 && iso_currency::Currency::from_code(code).is_some() {
        return Ok(());
    }
    let mut error = ValidationError::new("currency");
    error.message = Some("must be an ISO 4217 currency code (e.g. EUR, GHS)".into());
    Err(error)
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanItem {
    pub need: Need,
    #[validate(
        length(min = 1, max = 500),
        custom(function = "crate::domain::rules::not_blank")
    )]
    pub support: String,
    #[validate(range(min = 0.0, max = 10_000_000.0))]
    pub amount: f64,
    #[validate(custom(function = "currency"))]
    pub currency: String,
}

/// `POST /partner/v1/referrals/{id}/reintegration-plan`.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    #[validate(length(min = 1, max = 30), nested)]
    pub items: Vec<PlanItem>,
}

/// `POST /api/v1/referrals/{id}/reintegration-plan/reject`.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    #[validate(length(min = 3, max = 2000))]
    pub comment: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_approved_plan_stands_and_only_a_submitted_one_is_decided() {
        assert_eq!(PlanStatus::Returned.resubmit(), Ok(()));
        assert_eq!(
            PlanStatus::Approved.resubmit().map_err(|r| r.detail()),
            Err("The reintegration plan is approved already.".to_owned())
        );
        assert_eq!(PlanStatus::Submitted.decide("approve"), Ok(()));
        assert_eq!(
            PlanStatus::Returned
                .decide("approve")
                .map_err(|r| r.detail()),
            Err("The plan is returned; only a submitted plan is approved or returned.".to_owned())
        );
    }
}
