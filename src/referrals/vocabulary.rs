//! The referral's shared vocabulary, for the API and the portal alike: why a
//! partner declines (coded, after FHIR `Task.statusReason`) and what it
//! gives to put an accepted referral on hold.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize, Serializer};
use validator::{Validate, ValidationError};

use crate::domain::validation::field_errors;
use crate::domain::{Refusal, text_enum};

text_enum! {
    /// Why a partner declines a referral.
    pub enum DeclineReason {
        NoCapacity => "no_capacity",
        NotInArea => "not_in_area",
        NotEligible => "not_eligible",
        ClientUnreachable => "client_unreachable",
        SecurityConcern => "security_concern",
        /// Anything else; the free-text `reason` says what.
        Other => "other",
    }
}

impl DeclineReason {
    /// The code's display text (FHIR `CodeableConcept.text`), in English;
    /// the staff UI and the portal show their own translations.
    pub fn text(self) -> &'static str {
        match self {
            DeclineReason::NoCapacity => "No capacity",
            DeclineReason::NotInArea => "Not in the partner's area",
            DeclineReason::NotEligible => "Not eligible",
            DeclineReason::ClientUnreachable => "Client unreachable",
            DeclineReason::SecurityConcern => "Security concern",
            DeclineReason::Other => "Other",
        }
    }
}

/// Why a referral reached its status, as FHIR writes `Task.statusReason`
/// (a CodeableConcept): the code and its display text.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(
    description = "Why the referral reached its status, after FHIR `Task.statusReason` (a CodeableConcept): `code` is the `coding.code` (system: Brug's decline reasons) and `text` its English display. Set on a declined referral (`rejected`) and on the history entry of the decline; `null` otherwise."
)]
pub struct StatusReason {
    pub code: DeclineReason,
    pub text: String,
}

impl From<DeclineReason> for StatusReason {
    fn from(code: DeclineReason) -> Self {
        StatusReason {
            code,
            text: code.text().to_owned(),
        }
    }
}

/// Serializes a stored decline code as its [`StatusReason`].
pub fn serialize_status_reason<S: Serializer>(
    code: &Option<DeclineReason>,
    s: S,
) -> Result<S::Ok, S::Error> {
    code.map(StatusReason::from).serialize(s)
}

fn decline_rules(decline: &Decline) -> Result<(), ValidationError> {
    let words = decline.reason.as_deref().map(str::trim).unwrap_or_default();
    let blank = words.is_empty();
    match decline.reason_code {
        None if blank => Err(crate::domain::rules::field_rule(
            "reason_code",
            "is required: one of no_capacity, not_in_area, not_eligible, client_unreachable, security_concern, other",
        )),
        Some(DeclineReason::Other) if blank => Err(crate::domain::rules::field_rule(
            "reason",
            "is required when reason_code is other",
        )),
        _ if !blank && words.chars().count() < 3 => Err(crate::domain::rules::field_rule(
            "reason",
            "must have at least 3 characters",
        )),
        _ if decline.reason.is_some() && blank => Err(crate::domain::rules::field_rule(
            "reason",
            "must not be blank",
        )),
        _ => Ok(()),
    }
}

/// `POST /partner/v1/referrals/{id}/decline`.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "decline_rules", skip_on_field_errors = false))]
#[schema(
    description = "Why the partner declines. `reason_code` is required; `reason` is free text beside it, required for `other`. A body with `reason` alone (the first version of this API) is read as `reason_code: other` with that text. The code is shown back as `status_reason` (FHIR `Task.statusReason`)."
)]
pub struct Decline {
    #[serde(default)]
    pub reason_code: Option<DeclineReason>,
    /// Free text beside the code: at least 3 characters when given,
    /// required for `other`.
    #[serde(default)]
    #[validate(length(max = 2000))]
    pub reason: Option<String>,
}

impl Decline {
    /// The code and the text, once the rules hold; `reason` alone is `other`.
    pub fn resolved(&self) -> Result<(DeclineReason, Option<&str>), Refusal> {
        self.validate()
            .map_err(|errors| Refusal::invalid(field_errors(&errors)))?;
        let code = self.reason_code.unwrap_or(DeclineReason::Other);
        let text = self
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        Ok((code, text))
    }
}

/// How far ahead a hold may be reviewed.
pub const HOLD_REVIEW_WITHIN_DAYS: i64 = 365;

/// A review date from `today` to a year ahead.
pub fn review_window(review_on: NaiveDate, today: NaiveDate) -> Result<(), &'static str> {
    if review_on < today {
        return Err("must not be in the past");
    }
    if review_on > today + Duration::days(HOLD_REVIEW_WITHIN_DAYS) {
        return Err("must be within a year from today");
    }
    Ok(())
}

fn review_on_rule(review_on: &NaiveDate) -> Result<(), ValidationError> {
    review_window(*review_on, chrono::Utc::now().date_naive()).map_err(|message| {
        let mut error = ValidationError::new("review_on");
        error.message = Some(message.into());
        error
    })
}

/// `POST /partner/v1/referrals/{id}/hold`.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Hold {
    /// Why the referral is paused; the caseworker reads it.
    #[validate(
        length(min = 3, max = 2000),
        custom(function = "crate::domain::rules::not_blank")
    )]
    pub reason: String,
    /// When the partner reviews the hold: from today to a year ahead.
    #[validate(custom(function = "review_on_rule"))]
    pub review_on: NaiveDate,
}

impl Hold {
    /// The rules, with the review date judged on `today`.
    pub fn check(&self, today: NaiveDate) -> Result<(), Refusal> {
        let mut errors = match self.validate() {
            Ok(()) => Vec::new(),
            Err(errors) => field_errors(&errors),
        };
        errors.retain(|e| e.field != "review_on");
        if let Err(message) = review_window(self.review_on, today) {
            errors.push(crate::domain::FieldError::new("review_on", message));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Refusal::invalid(errors))
        }
    }
}

/// A referral on hold, as the staff and the partner see it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OnHold {
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub since: NaiveDateTime,
    pub reason: String,
    pub review_on: NaiveDate,
}

impl OnHold {
    /// The hold of a row's columns, when all are set.
    pub fn of(
        since: Option<NaiveDateTime>,
        reason: Option<String>,
        review_on: Option<NaiveDate>,
    ) -> Option<OnHold> {
        Some(OnHold {
            since: since?,
            reason: reason?,
            review_on: review_on?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decline(code: Option<DeclineReason>, reason: Option<&str>) -> Decline {
        Decline {
            reason_code: code,
            reason: reason.map(str::to_owned),
        }
    }

    fn fields(refusal: Refusal) -> Vec<String> {
        match refusal {
            Refusal::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("not invalid: {other:?}"),
        }
    }

    #[test]
    fn a_decline_is_coded_and_other_needs_words() {
        assert_eq!(
            decline(Some(DeclineReason::NoCapacity), None).resolved(),
            Ok((DeclineReason::NoCapacity, None))
        );
        assert_eq!(
            decline(None, Some("  full until May ")).resolved(),
            Ok((DeclineReason::Other, Some("full until May"))),
            "the first version's body is read as other"
        );
        let refused = decline(Some(DeclineReason::Other), None)
            .resolved()
            .map(|_| ());
        assert_eq!(
            fields(refused.expect_err("other without words")),
            ["reason"]
        );
        let refused = decline(None, None).resolved().map(|_| ());
        assert_eq!(fields(refused.expect_err("nothing")), ["reason_code"]);
        let refused = decline(Some(DeclineReason::Other), Some("no"))
            .resolved()
            .map(|_| ());
        assert_eq!(fields(refused.expect_err("too short")), ["reason"]);
        assert_eq!(
            serde_json::to_value(StatusReason::from(DeclineReason::NotInArea)).expect("json"),
            serde_json::json!({"code": "not_in_area", "text": "Not in the partner's area"})
        );
    }

    #[test]
    fn a_hold_is_reviewed_within_a_year() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 17).expect("date");
        let hold = |days: i64, reason: &str| Hold {
            reason: reason.to_owned(),
            review_on: today + Duration::days(days),
        };
        assert_eq!(hold(0, "flooding").check(today), Ok(()));
        assert_eq!(hold(365, "flooding").check(today), Ok(()));
        assert_eq!(
            fields(hold(-1, "flooding").check(today).expect_err("past")),
            ["review_on"]
        );
        assert_eq!(
            fields(hold(366, "x").check(today).expect_err("far and short")),
            ["reason", "review_on"]
        );
    }
}
