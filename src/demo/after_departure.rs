//! After departure: the partner confirms the arrival, carries out (most
//! of) the monitoring visits, whose scores develop over the months, and
//! closes the referral with an outcome; the case closes with it.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rand::Rng;
use rand::seq::SliceRandom;

use super::cases::Trail;
use super::counselling::TALK_MODES;
use super::{Generator, Made, PartnerHabits, Referral, Visit, VisitReport, day_start, pick};
use crate::cases::CaseStatus;
use crate::monitoring::schedule;
use crate::monitoring::store::GRACE_DAYS;
use crate::referrals::Outcome;

/// How referrals end after arrival, and how often.
const OUTCOMES: &[(Outcome, u32)] = &[
    (Outcome::Completed, 78),
    (Outcome::LostContact, 10),
    (Outcome::ReMigrated, 6),
    (Outcome::Withdrew, 5),
    (Outcome::Deceased, 1),
];

impl Generator<'_> {
    /// The arrival the partner confirms, then monitoring and closure.
    pub(super) fn arrive(
        &mut self,
        trail: &mut Trail,
        referral: &mut Referral,
        habits: PartnerHabits,
        departed_on: NaiveDate,
        departed_at: NaiveDateTime,
    ) -> Made<()> {
        let partner_id = referral.partner_id.clone();
        let arrived_on =
            departed_on + Duration::days(*pick(&mut self.rng, &[(0i64, 70), (1, 28), (2, 2)]));
        let confirmed_at = self
            .after_days(day_start(arrived_on), 0, 4)
            .max(departed_at + Duration::hours(1));
        if confirmed_at >= self.end {
            return Ok(());
        }
        referral.arrived_on = Some(arrived_on);
        referral.arrival_received = Some(self.rng.gen_bool(0.96));
        referral.updated_at = confirmed_at;
        trail.case("partner", &partner_id, "arrived", None, confirmed_at);
        self.monitoring(trail, referral, habits, arrived_on, confirmed_at)
    }

    /// Visits after arrival with scores that develop over the months, and
    /// the closure.
    fn monitoring(
        &mut self,
        trail: &mut Trail,
        referral: &mut Referral,
        habits: PartnerHabits,
        arrived_on: NaiveDate,
        confirmed_at: NaiveDateTime,
    ) -> Made<()> {
        let outcome = *pick(&mut self.rng, OUTCOMES);
        // Wellbeing from 0 to 1: where the person starts, and how it moves
        // per month; those who leave again or lose contact fare worse.
        let base: f64 = self.rng.gen_range(0.25..0.6);
        let trend = match outcome {
            Outcome::Completed => self.rng.gen_range(0.01..0.04),
            Outcome::ReMigrated | Outcome::Deceased => self.rng.gen_range(-0.04..-0.005),
            Outcome::LostContact | Outcome::Withdrew => self.rng.gen_range(-0.015..0.015),
        };
        // When the path ends, in months after arrival.
        let ends_after = match outcome {
            Outcome::Completed if self.rng.gen_bool(0.2) => 6,
            Outcome::Completed => 12,
            Outcome::LostContact => *[1u32, 3, 6].choose(&mut self.rng).unwrap_or(&3),
            Outcome::ReMigrated | Outcome::Withdrew => {
                *[3u32, 6].choose(&mut self.rng).unwrap_or(&3)
            }
            Outcome::Deceased => self.rng.gen_range(1..12),
        };
        let partner_id = referral.partner_id.clone();
        // The path ends some weeks after the last visit it reaches (or
        // after that visit's grace period, when it did not take place).
        let mut anchor = day_start(
            arrived_on
                .checked_add_months(chrono::Months::new(ends_after))
                .unwrap_or(arrived_on)
                + Duration::days(GRACE_DAYS),
        );
        // The last report held, for the early warning on the next one.
        let mut last: Option<VisitReport> = None;
        for (month, due_on) in schedule(arrived_on, self.rules.monitoring_months) {
            let id = self.id(confirmed_at);
            let mut visit = Visit {
                id,
                referral_id: referral.id.clone(),
                months_after_arrival: i32::try_from(month).unwrap_or(i32::MAX),
                due_on,
                done: None,
                due_announced_at: (due_on <= self.options.until).then(|| day_start(due_on)),
            };
            let carried_out = month <= ends_after
                && !(outcome == Outcome::LostContact && month == ends_after)
                && self.rng.gen_bool(habits.diligence);
            if carried_out {
                let held_on = (due_on + Duration::days(self.rng.gen_range(-7..12))).max(arrived_on);
                let reported_at = self
                    .after_days(day_start(held_on), 0, 5)
                    .max(confirmed_at + Duration::hours(1));
                if held_on <= self.options.until && reported_at < self.end {
                    let wellbeing = (base + trend * f64::from(month)).clamp(0.0, 1.0);
                    let report = self.visit_report(wellbeing, held_on, reported_at);
                    self.alert(&visit, &report, last.as_ref());
                    last = Some(report.clone());
                    visit.done = Some(report);
                    anchor = anchor.max(reported_at);
                }
            }
            self.out.monitoring_visits.push(visit);
        }
        let closed_at = match outcome {
            Outcome::LostContact => self.after_days(anchor, 20, 60),
            _ => self.after_days(anchor, 1, 20),
        };
        if closed_at >= self.end {
            return Ok(());
        }
        // The partner closes with the outcome; the outcome names the step
        // (complete, fail, or cancel when the person withdrew).
        let action = outcome.action();
        let (ending, outcome) = (outcome, outcome.as_str());
        trail.step(
            referral,
            action,
            "partner",
            &partner_id,
            Some(outcome),
            closed_at,
        )?;
        referral.closed_at = Some(closed_at);
        referral.outcome = Some(ending);
        trail.case(
            "partner",
            &partner_id,
            &format!("referral_{}", referral.status.as_str()),
            Some(outcome),
            closed_at,
        );
        trail.case("partner", &partner_id, "closed", Some(outcome), closed_at);
        if let Some(case) = self
            .out
            .return_cases
            .iter_mut()
            .rev()
            .find(|c| c.id == referral.return_case_id)
        {
            case.status = CaseStatus::Closed;
            case.closed_at = Some(closed_at);
            case.updated_at = closed_at;
        }
        Ok(())
    }

    /// Answers every indicator of the model near the person's wellbeing and
    /// scores them with the model itself, as the API would.
    /// The early-warning alert a report would have raised beside the one
    /// before it (the model's thresholds and red flags), as the command
    /// raises it; handled a fortnight later when that is in the past. Its
    /// id comes from the visit's, so the rest of the seed's data is as it
    /// was without alerts.
    fn alert(&mut self, visit: &Visit, report: &VisitReport, previous: Option<&VisitReport>) {
        use crate::monitoring::Scores;
        use crate::monitoring::alerts::{Reported, reasons};
        use sha2::Digest;
        let parse = |r: &VisitReport| -> (Scores, BTreeMap<String, String>) {
            (
                Scores {
                    economic: r.economic,
                    social: r.social,
                    psychosocial: r.psychosocial,
                    overall: r.overall,
                },
                serde_json::from_str(&r.answers).unwrap_or_default(),
            )
        };
        let now = parse(report);
        let before = previous.map(parse);
        let found = reasons(
            self.rules.model,
            Reported {
                scores: &now.0,
                answers: &now.1,
            },
            before.as_ref().map(|b| Reported {
                scores: &b.0,
                answers: &b.1,
            }),
        );
        if found.is_empty() {
            return;
        }
        let digest = sha2::Sha256::digest(visit.id.as_bytes());
        let mut bytes = [0u8; 10];
        bytes.copy_from_slice(&digest[..10]);
        let millis = u64::try_from(report.reported_at.and_utc().timestamp_millis()).unwrap_or(0);
        let id = uuid::Builder::from_unix_timestamp_millis(millis, &bytes)
            .into_uuid()
            .to_string();
        let handled_at = Some(report.reported_at + Duration::days(14)).filter(|at| *at < self.end);
        self.out.sustainability_alerts.push(super::Alert {
            id,
            referral_id: visit.referral_id.clone(),
            visit_id: visit.id.clone(),
            reasons: serde_json::to_string(&found).unwrap_or_default(),
            raised_at: report.reported_at,
            handled_at,
        });
    }

    fn visit_report(
        &mut self,
        wellbeing: f64,
        held_on: NaiveDate,
        reported_at: NaiveDateTime,
    ) -> VisitReport {
        let model = self.rules.model;
        let mut answers = BTreeMap::new();
        for indicator in &model.indicators {
            let spread = self.rng.gen_range(-0.25..0.25);
            let level = (wellbeing + spread).clamp(0.0, 1.0);
            let worst = indicator.answers.len().saturating_sub(1);
            let index = ((1.0 - level) * worst as f64).round() as usize;
            if let Some(answer) = indicator.answers.get(index.min(worst)) {
                answers.insert(indicator.id.clone(), answer.value.clone());
            }
        }
        let scores = model.score(&answers).unwrap_or(crate::monitoring::Scores {
            economic: 0.0,
            social: 0.0,
            psychosocial: 0.0,
            overall: 0.0,
        });
        let mode = *pick(&mut self.rng, TALK_MODES);
        VisitReport {
            held_on,
            mode: mode.as_str(),
            model_version: model.version.clone(),
            answers: serde_json::to_string(&answers).unwrap_or_default(),
            economic: scores.economic,
            social: scores.social,
            psychosocial: scores.psychosocial,
            overall: scores.overall,
            reported_at,
        }
    }
}
