//! Monitoring after arrival: visits on a schedule (1, 3, 6 and 12 months by
//! default) and the reintegration sustainability model that scores them,
//! after IOM's approach (economic, social and psychosocial dimensions, each
//! 0 to 1, 1 the best). The model is data: a default ships with the binary
//! and a programme replaces it through configuration. Every report keeps
//! the version it was scored with. The model also says when a report raises
//! a sustainability alert ([`alerts`]).

pub mod alerts;
pub mod commands;
pub mod routes;
pub mod store;
pub mod texts;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::domain::{FieldError, text_enum};

pub use texts::{LocalIndicator, ModelTexts};

const DEFAULT_MODEL: &str = include_str!("default_model.toml");

text_enum! {
    pub enum Dimension {
        Economic => "economic",
        Social => "social",
        Psychosocial => "psychosocial",
    }
}

text_enum! {
    /// A monitoring visit as stored; a scheduled one past its grace period
    /// shows as `missed`.
    pub enum VisitStatus {
        Scheduled => "scheduled",
        Done => "done",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub value: String,
    pub label: String,
    /// From 1 (best) to 0 (worst).
    pub score: f64,
    /// A red flag: this answer raises a sustainability alert by itself.
    #[serde(default)]
    pub red_flag: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub id: String,
    pub dimension: Dimension,
    pub weight: f64,
    pub question: String,
    /// Listed from the best to the worst.
    pub answers: Vec<Answer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub version: String,
    /// False for the shipped default: it is to be calibrated.
    pub calibrated: bool,
    /// The weight of each dimension in the overall score.
    pub dimensions: BTreeMap<Dimension, f64>,
    pub indicators: Vec<Indicator>,
    /// When a report raises a sustainability alert; without an `[alerts]`
    /// table, a drop of 0.2 and a floor of 0.33.
    #[serde(default)]
    pub alerts: alerts::Thresholds,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Scores {
    pub economic: f64,
    pub social: f64,
    pub psychosocial: f64,
    pub overall: f64,
}

fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

impl Model {
    /// The shipped default, or the file named in the settings.
    pub fn load(path: Option<&Path>) -> Result<Self, String> {
        let (text, origin) = match path {
            Some(path) => (
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
                path.display().to_string(),
            ),
            None => (DEFAULT_MODEL.to_owned(), "the default model".to_owned()),
        };
        let model: Model = toml::from_str(&text).map_err(|e| format!("{origin}: {e}"))?;
        model.check().map_err(|e| format!("{origin}: {e}"))?;
        Ok(model)
    }

    /// A model must score the best answers 1 and the worst 0, in order,
    /// with positive weights, in every dimension; its alert thresholds must
    /// lie within the scores, and no best answer be a red flag.
    pub fn check(&self) -> Result<(), String> {
        self.alerts.check()?;
        let mut ids = HashSet::new();
        for dimension in Dimension::ALL {
            match self.dimensions.get(dimension) {
                Some(w) if *w > 0.0 => {}
                _ => return Err(format!("dimension {dimension} needs a positive weight")),
            }
            if !self.indicators.iter().any(|i| i.dimension == *dimension) {
                return Err(format!("dimension {dimension} has no indicator"));
            }
        }
        for indicator in &self.indicators {
            if !ids.insert(indicator.id.as_str()) {
                return Err(format!("indicator {} is listed twice", indicator.id));
            }
            if indicator.weight <= 0.0 {
                return Err(format!(
                    "indicator {} needs a positive weight",
                    indicator.id
                ));
            }
            let scores: Vec<f64> = indicator.answers.iter().map(|a| a.score).collect();
            if scores.len() < 2
                || scores.first() != Some(&1.0)
                || scores.last() != Some(&0.0)
                || scores.windows(2).any(|w| w[1] > w[0])
            {
                return Err(format!(
                    "indicator {}: answers must go from score 1 (best) down to 0 (worst)",
                    indicator.id
                ));
            }
            let mut values = HashSet::new();
            if !indicator
                .answers
                .iter()
                .all(|a| values.insert(a.value.as_str()))
            {
                return Err(format!("indicator {} lists an answer twice", indicator.id));
            }
            if let Some(best) = indicator.answers.first().filter(|a| a.red_flag) {
                return Err(format!(
                    "indicator {}: its best answer `{}` cannot be a red flag",
                    indicator.id, best.value
                ));
            }
        }
        Ok(())
    }

    /// Scores a full set of answers; every indicator must be answered with
    /// one of its values. Errors name each bad indicator as `answers.<id>`.
    pub fn score(&self, answers: &BTreeMap<String, String>) -> Result<Scores, Vec<FieldError>> {
        let mut errors = Vec::new();
        for id in answers.keys() {
            if !self.indicators.iter().any(|i| &i.id == id) {
                errors.push(FieldError::new(
                    format!("answers.{id}"),
                    "is not an indicator of the model",
                ));
            }
        }
        let mut sums: BTreeMap<Dimension, (f64, f64)> = BTreeMap::new();
        for indicator in &self.indicators {
            let field = format!("answers.{}", indicator.id);
            let Some(value) = answers.get(&indicator.id) else {
                errors.push(FieldError::new(
                    field,
                    "is required: every indicator is answered",
                ));
                continue;
            };
            let Some(answer) = indicator.answers.iter().find(|a| &a.value == value) else {
                let known: Vec<&str> = indicator.answers.iter().map(|a| a.value.as_str()).collect();
                errors.push(FieldError::new(
                    field,
                    format!(
                        "`{value}` is not an answer; use one of {}",
                        known.join(", ")
                    ),
                ));
                continue;
            };
            let entry = sums.entry(indicator.dimension).or_insert((0.0, 0.0));
            entry.0 += indicator.weight * answer.score;
            entry.1 += indicator.weight;
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let dimension = |d: Dimension| sums.get(&d).map(|(s, w)| s / w).unwrap_or(0.0);
        let (economic, social, psychosocial) = (
            dimension(Dimension::Economic),
            dimension(Dimension::Social),
            dimension(Dimension::Psychosocial),
        );
        let weight = |d: Dimension| self.dimensions.get(&d).copied().unwrap_or(0.0);
        let total = weight(Dimension::Economic)
            + weight(Dimension::Social)
            + weight(Dimension::Psychosocial);
        let overall = (economic * weight(Dimension::Economic)
            + social * weight(Dimension::Social)
            + psychosocial * weight(Dimension::Psychosocial))
            / total;
        Ok(Scores {
            economic: round(economic),
            social: round(social),
            psychosocial: round(psychosocial),
            overall: round(overall),
        })
    }
}

/// When the visits fall due: `months` after arrival.
pub fn schedule(arrived_on: NaiveDate, months: &[u32]) -> Vec<(u32, NaiveDate)> {
    months
        .iter()
        .filter_map(|m| {
            arrived_on
                .checked_add_months(Months::new(*m))
                .map(|due| (*m, due))
        })
        .collect()
}

/// `POST /partner/v1/referrals/{id}/monitoring`.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitoringReport {
    pub visit_id: uuid::Uuid,
    pub held_on: NaiveDate,
    pub mode: crate::talks::TalkMode,
    /// Indicator id to answer value, for every indicator of the model.
    pub answers: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        Model::load(None).expect("the default model is valid")
    }

    fn all(pick: impl Fn(&Indicator) -> &Answer) -> BTreeMap<String, String> {
        model()
            .indicators
            .iter()
            .map(|i| (i.id.clone(), pick(i).value.clone()))
            .collect()
    }

    #[test]
    fn the_default_model_has_at_least_twelve_indicators_in_three_dimensions() {
        let model = model();
        assert!(model.indicators.len() >= 12);
        assert!(!model.calibrated, "marked as a default to be calibrated");
        for dimension in Dimension::ALL {
            assert!(model.indicators.iter().any(|i| i.dimension == *dimension));
        }
    }

    #[test]
    fn best_answers_score_one_and_worst_zero_in_every_dimension() {
        let model = model();
        let best = model.score(&all(|i| &i.answers[0])).expect("complete");
        assert_eq!(
            (best.economic, best.social, best.psychosocial, best.overall),
            (1.0, 1.0, 1.0, 1.0)
        );
        let worst = model
            .score(&all(|i| i.answers.last().expect("answers")))
            .expect("complete");
        assert_eq!(
            (
                worst.economic,
                worst.social,
                worst.psychosocial,
                worst.overall
            ),
            (0.0, 0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn missing_and_unknown_answers_are_named() {
        let model = model();
        let mut answers = all(|i| &i.answers[0]);
        answers.remove("debt");
        answers.insert("housing".into(), "castle".into());
        answers.insert("horoscope".into(), "good".into());
        let errors = model.score(&answers).expect_err("three problems");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["answers.horoscope", "answers.debt", "answers.housing"]
        );
    }

    #[test]
    fn the_default_model_sets_the_alert_thresholds_and_flags_answers() {
        let model = model();
        assert_eq!((model.alerts.drop, model.alerts.floor), (0.2, 0.33));
        let flagged: Vec<String> = model
            .indicators
            .iter()
            .flat_map(|i| {
                i.answers
                    .iter()
                    .filter(|a| a.red_flag)
                    .map(move |a| format!("{}={}", i.id, a.value))
            })
            .collect();
        assert_eq!(
            flagged,
            [
                "food_security=often",
                "safety=unsafe",
                "psychological_distress=often",
                "wish_to_remigrate=yes"
            ]
        );
    }

    #[test]
    fn a_model_with_bad_thresholds_or_a_flagged_best_answer_is_refused() {
        let text = DEFAULT_MODEL.replace("drop = 0.2", "drop = 0");
        let err = toml::from_str::<Model>(&text)
            .map_err(|e| e.to_string())
            .and_then(|m| m.check())
            .expect_err("a drop of zero would alert on every report");
        assert!(err.contains("drop"), "{err}");
        let text = DEFAULT_MODEL.replace("floor = 0.33", "floor = 1.5");
        let high: Model = toml::from_str(&text).expect("parses");
        assert!(high.check().expect_err("out of range").contains("floor"));
        let mut flagged = model();
        flagged.indicators[0].answers[0].red_flag = true;
        let err = flagged.check().expect_err("the best answer flagged");
        assert!(err.contains("income_sources"), "{err}");
    }

    #[test]
    fn a_model_without_an_alerts_table_takes_the_issue_s_thresholds() {
        let start = DEFAULT_MODEL.find("[alerts]").expect("an alerts table");
        let end = start + DEFAULT_MODEL[start..].find("\n\n").expect("its end");
        let text = format!("{}{}", &DEFAULT_MODEL[..start], &DEFAULT_MODEL[end..]);
        let model: Model = toml::from_str(&text).expect("parses");
        assert_eq!((model.alerts.drop, model.alerts.floor), (0.2, 0.33));
    }

    #[test]
    fn a_model_with_misordered_answers_is_refused() {
        let mut model = model();
        model.indicators[0].answers.reverse();
        assert!(model.check().is_err());
    }

    #[test]
    fn visits_fall_due_months_after_arrival() {
        let arrived = NaiveDate::from_ymd_opt(2026, 1, 31).expect("date");
        let due: Vec<String> = schedule(arrived, &[1, 3, 6, 12])
            .iter()
            .map(|(_, d)| d.to_string())
            .collect();
        assert_eq!(
            due,
            ["2026-02-28", "2026-04-30", "2026-07-31", "2027-01-31"]
        );
    }
}
