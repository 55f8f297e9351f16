//! Future-orientation talks: what was discussed, and the intention the
//! person stated. A talk can be amended by its author; every earlier
//! version is kept.

pub mod commands;
pub mod queries;
pub mod routes;
pub mod store;

use chrono::NaiveDate;
use serde::Deserialize;
use validator::{Validate, ValidationError};

use crate::domain::rules::field_rule;
use crate::domain::validation::field_errors;
use crate::domain::{Denial, LanguageCode, Refusal, text_enum};

text_enum! {
    pub enum TalkMode {
        InPerson => "in_person",
        Phone => "phone",
        Video => "video",
    }
}

text_enum! {
    pub enum Topic {
        Return => "return",
        LegalOptions => "legal_options",
        OnwardMigration => "onward_migration",
        StayWithoutStatus => "stay_without_status",
        Housing => "housing",
        Health => "health",
        Family => "family",
        WorkAndIncome => "work_and_income",
        Documents => "documents",
        Wellbeing => "wellbeing",
        Other => "other",
    }
}

text_enum! {
    /// What the person said they want; tracked over time, the latest counts.
    pub enum Intention {
        Return => "return",
        ContinueProcedure => "continue_procedure",
        OnwardMigration => "onward_migration",
        StayWithoutStatus => "stay_without_status",
        Undecided => "undecided",
        DeclinedToSay => "declined_to_say",
    }
}

fn next_after_held(talk: &NewTalk) -> Result<(), ValidationError> {
    match talk.next_talk_on {
        Some(next) if next <= talk.held_on => {
            Err(field_rule("next_talk_on", "must be after held_on"))
        }
        _ => Ok(()),
    }
}

/// `POST /api/v1/clients/{id}/talks`, and a talk after an amendment.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "next_after_held", skip_on_field_errors = false))]
pub struct NewTalk {
    #[validate(custom(function = "crate::domain::rules::not_in_future"))]
    pub held_on: NaiveDate,
    pub mode: TalkMode,
    #[validate(length(min = 1, max = 11))]
    pub topics: Vec<Topic>,
    pub intention: Intention,
    #[serde(default)]
    pub interpreter_language: Option<LanguageCode>,
    #[validate(range(min = 5, max = 480))]
    pub duration_minutes: u32,
    #[serde(default)]
    #[validate(length(max = 20000))]
    pub notes: Option<String>,
    #[serde(default)]
    pub next_talk_on: Option<NaiveDate>,
}

/// `PATCH /api/v1/talks/{id}`: the fields to change.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TalkAmendment {
    #[serde(default)]
    pub held_on: Option<NaiveDate>,
    #[serde(default)]
    pub mode: Option<TalkMode>,
    #[serde(default)]
    pub topics: Option<Vec<Topic>>,
    #[serde(default)]
    pub intention: Option<Intention>,
    #[serde(default, deserialize_with = "crate::domain::rules::present")]
    pub interpreter_language: Option<Option<LanguageCode>>,
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    #[serde(default, deserialize_with = "crate::domain::rules::present")]
    pub notes: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::domain::rules::present")]
    pub next_talk_on: Option<Option<NaiveDate>>,
}

impl TalkAmendment {
    pub fn is_empty(&self) -> bool {
        self.held_on.is_none()
            && self.mode.is_none()
            && self.topics.is_none()
            && self.intention.is_none()
            && self.interpreter_language.is_none()
            && self.duration_minutes.is_none()
            && self.notes.is_none()
            && self.next_talk_on.is_none()
    }

    /// The talk as it will be; validated again as a whole by the caller.
    pub fn apply(self, current: NewTalk) -> NewTalk {
        NewTalk {
            held_on: self.held_on.unwrap_or(current.held_on),
            mode: self.mode.unwrap_or(current.mode),
            topics: self.topics.unwrap_or(current.topics),
            intention: self.intention.unwrap_or(current.intention),
            interpreter_language: self
                .interpreter_language
                .unwrap_or(current.interpreter_language),
            duration_minutes: self.duration_minutes.unwrap_or(current.duration_minutes),
            notes: self.notes.unwrap_or(current.notes),
            next_talk_on: self.next_talk_on.unwrap_or(current.next_talk_on),
        }
    }
}

/// An amendment to a talk: only its author (`author_id`) may make it
/// (`by` is who tries), and the talk it makes must be valid as a whole.
pub fn amend_rule(
    author_id: &str,
    by: &str,
    current: NewTalk,
    amendment: TalkAmendment,
) -> Result<NewTalk, Refusal> {
    if author_id != by {
        return Err(Refusal::forbidden(
            Denial::NotTheAuthor,
            "Only the counsellor who recorded a talk may amend it.",
        ));
    }
    let amended = amendment.apply(current);
    amended
        .validate()
        .map_err(|errors| Refusal::invalid(field_errors(&errors)))?;
    Ok(amended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumerations_round_trip() {
        for topic in Topic::ALL {
            assert_eq!(Topic::parse(topic.as_str()), Some(*topic));
        }
        assert_eq!(Intention::parse("return"), Some(Intention::Return));
        assert_eq!(Intention::parse("leave"), None);
        assert_eq!(
            serde_json::to_string(&TalkMode::InPerson).ok().as_deref(),
            Some("\"in_person\"")
        );
    }

    #[test]
    fn an_amendment_changes_only_what_it_names() {
        let talk: NewTalk = serde_json::from_value(serde_json::json!({
            "held_on": "2026-10-01", "mode": "phone", "topics": ["return"],
            "intention": "undecided", "duration_minutes": 30, "notes": "first"
        }))
        .expect("valid");
        let amendment: TalkAmendment =
            serde_json::from_value(serde_json::json!({"intention": "return", "notes": null}))
                .expect("valid");
        let amended = amendment.apply(talk);
        assert_eq!(amended.intention, Intention::Return);
        assert_eq!(amended.notes, None, "null clears");
        assert_eq!(amended.mode, TalkMode::Phone, "absent stays");
    }

    #[test]
    fn only_the_author_amends_and_the_result_must_hold_together() {
        let talk = || -> NewTalk {
            serde_json::from_value(serde_json::json!({
                "held_on": "2026-10-01", "mode": "phone", "topics": ["return"],
                "intention": "undecided", "duration_minutes": 30
            }))
            .expect("valid")
        };
        let late: TalkAmendment =
            serde_json::from_value(serde_json::json!({"next_talk_on": "2026-09-01"}))
                .expect("valid");
        assert!(matches!(
            amend_rule("anna", "ben", talk(), late.clone()),
            Err(Refusal::Forbidden {
                denial: Denial::NotTheAuthor,
                ..
            })
        ));
        match amend_rule("anna", "anna", talk(), late) {
            Err(Refusal::Invalid(errors)) => {
                assert_eq!(errors.len(), 1);
                assert_eq!(errors[0].field, "next_talk_on");
                assert_eq!(errors[0].message, "must be after held_on");
            }
            other => panic!("expected the next talk to be refused, got {other:?}"),
        }
        let fine: TalkAmendment =
            serde_json::from_value(serde_json::json!({"intention": "return"})).expect("valid");
        assert_eq!(
            amend_rule("anna", "anna", talk(), fine).map(|t| t.intention),
            Ok(Intention::Return)
        );
    }
}
