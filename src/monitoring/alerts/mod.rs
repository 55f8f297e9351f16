//! Early warning on sustainability: the rules that compare a monitoring
//! report with the returnee's previous one and name every reason for an
//! alert (a dimension that dropped by the model's `drop` or more, one that
//! fell below its `floor`, a red-flag answer). Pure: the store keeps the
//! alerts, the report's command raises them.

pub mod commands;
pub mod store;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Dimension, Model, Scores};

/// When a report raises an alert; set in the model file's `[alerts]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// A dimension that drops by this much or more since the previous
    /// report (0.2 by default).
    pub drop: f64,
    /// A dimension that falls below this (0.33 by default).
    pub floor: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            drop: 0.2,
            floor: 0.33,
        }
    }
}

impl Thresholds {
    /// A drop must be above 0 (else every report alerts) and at most 1; a
    /// floor between 0 and 1.
    pub fn check(&self) -> Result<(), String> {
        if !(self.drop > 0.0 && self.drop <= 1.0) {
            return Err("alerts: drop must be above 0 and at most 1".to_owned());
        }
        if !(0.0..=1.0).contains(&self.floor) {
            return Err("alerts: floor must be between 0 and 1".to_owned());
        }
        Ok(())
    }
}

/// Why a report raised an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertReasonKind {
    /// The dimension dropped by the threshold or more since the previous report.
    Drop,
    /// The dimension fell below the floor.
    Below,
    /// A red-flag answer was given.
    RedFlag,
}

impl AlertReasonKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertReasonKind::Drop => "drop",
            AlertReasonKind::Below => "below",
            AlertReasonKind::RedFlag => "red_flag",
        }
    }
}

/// One reason for an alert: scores and model ids only, never notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlertReason {
    pub kind: AlertReasonKind,
    pub dimension: Dimension,
    /// The dimension's score in the previous report (`drop`; `below`
    /// when there was one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<f64>,
    /// The dimension's score in this report (`drop`, `below`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<f64>,
    /// The flagged indicator and its answer (`red_flag`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

/// A report as the rules compare it: its scores and its answers.
#[derive(Debug, Clone, Copy)]
pub struct Reported<'a> {
    pub scores: &'a Scores,
    pub answers: &'a BTreeMap<String, String>,
}

/// Thousandths, as scores are kept: boundaries compare exactly.
fn milli(x: f64) -> i64 {
    (x * 1000.0).round() as i64
}

fn score_of(scores: &Scores, dimension: Dimension) -> f64 {
    match dimension {
        Dimension::Economic => scores.economic,
        Dimension::Social => scores.social,
        Dimension::Psychosocial => scores.psychosocial,
    }
}

/// Every reason `current` gives for an alert, beside `previous` (the
/// returnee's report before it, if any), under `model`'s thresholds and
/// flags: per dimension a drop, then a fall below the floor; then each
/// red-flag answer, in the model's order. None: no alert.
pub fn reasons(
    model: &Model,
    current: Reported<'_>,
    previous: Option<Reported<'_>>,
) -> Vec<AlertReason> {
    let (drop, floor) = (milli(model.alerts.drop), milli(model.alerts.floor));
    let mut reasons = Vec::new();
    for dimension in Dimension::ALL {
        let now = score_of(current.scores, *dimension);
        let before = previous.map(|p| score_of(p.scores, *dimension));
        if let Some(before) = before.filter(|b| milli(*b) - milli(now) >= drop) {
            reasons.push(AlertReason {
                kind: AlertReasonKind::Drop,
                dimension: *dimension,
                previous: Some(before),
                current: Some(now),
                indicator: None,
                answer: None,
            });
        }
        // Falls below: a dimension already below it alerted then.
        if milli(now) < floor && before.is_none_or(|b| milli(b) >= floor) {
            reasons.push(AlertReason {
                kind: AlertReasonKind::Below,
                dimension: *dimension,
                previous: before,
                current: Some(now),
                indicator: None,
                answer: None,
            });
        }
    }
    for indicator in &model.indicators {
        let Some(value) = current.answers.get(&indicator.id) else {
            continue;
        };
        let flagged = indicator
            .answers
            .iter()
            .any(|a| a.red_flag && &a.value == value);
        let repeated = previous.is_some_and(|p| p.answers.get(&indicator.id) == Some(value));
        if flagged && !repeated {
            reasons.push(AlertReason {
                kind: AlertReasonKind::RedFlag,
                dimension: indicator.dimension,
                previous: None,
                current: None,
                indicator: Some(indicator.id.clone()),
                answer: Some(value.clone()),
            });
        }
    }
    reasons
}

#[cfg(test)]
mod tests;
