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
                    visit.done = Some(self.visit_report(wellbeing, held_on, reported_at));
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
