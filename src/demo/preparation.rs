//! Between acceptance and departure: the partner's checklist and
//! reintegration plan, the few who withdraw consent or decide to stay
//! (the caseworker cancels), and the departure itself.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rand::Rng;

use super::cases::Trail;
use super::{ChecklistItem, Generator, Made, PartnerHabits, Plan, PlanItem, Referral, ReturnCase};
use crate::cases::Need;
use crate::referrals::plan::PlanStatus;
use crate::referrals::{Action, ChecklistOwner, ChecklistStatus};

/// The support a partner offers for a need, and the budget range in EUR.
fn support_for(need: Need) -> (&'static str, f64, f64) {
    match need {
        Need::Housing => ("Rent support for the first six months", 600.0, 1800.0),
        Need::Income => ("Start-up grant for a small business", 800.0, 2500.0),
        Need::Education => ("Vocational training course", 300.0, 1200.0),
        Need::Medical => ("Medical follow-up and medication", 200.0, 1500.0),
        Need::Psychosocial => ("Counselling sessions", 150.0, 600.0),
        Need::LegalDocuments => ("Help to obtain civil documents", 50.0, 300.0),
        Need::FamilyTracing => ("Family tracing and mediation", 100.0, 400.0),
    }
}

impl Generator<'_> {
    /// An accepted referral up to departure (and on, after arrival).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn prepare(
        &mut self,
        trail: &mut Trail,
        referral: &mut Referral,
        case: &ReturnCase,
        habits: PartnerHabits,
        consent_index: usize,
        caseworker: &str,
        decided_at: NaiveDateTime,
    ) -> Made<()> {
        let partner_id = referral.partner_id.clone();
        let first_item = self.out.checklist_items.len();
        for (position, item) in self.rules.checklist.iter().enumerate() {
            let due_on =
                case.planned_departure_on - Duration::days(i64::from(item.days_before_departure));
            let id = self.id(decided_at);
            self.out.checklist_items.push(ChecklistItem {
                id,
                referral_id: referral.id.clone(),
                position: i32::try_from(position).unwrap_or(i32::MAX),
                kind: item.kind.clone(),
                owner: item.owner,
                due_on,
                status: ChecklistStatus::Open,
                updated_at: decided_at,
                updated_by_type: "partner",
                updated_by_id: partner_id.clone(),
            });
        }
        self.plan(referral, &case.needs, decided_at, caseworker);

        // Before departure: a few withdraw consent, a few more stop.
        let planned = case.planned_departure_on;
        if self.rng.gen_bool(0.01) {
            let at = self.after_days(decided_at, 3, 30);
            if at < self.end {
                self.tick_checklist(first_item, at.date(), &partner_id, caseworker);
                let consent = &mut self.out.consents[consent_index];
                consent.withdrawn_at = Some(at);
                consent.withdrawn_by = Some(caseworker.to_owned());
                consent.withdrawal_reason = Some("The client no longer wishes to share data.");
                let reason = crate::referrals::CONSENT_WITHDRAWN;
                self.cancel(trail, referral, caseworker, reason, at)?;
                return Ok(());
            }
        }
        if self.rng.gen_bool(0.05) {
            let wait = self.rng.gen_range(5..40);
            let at = self
                .office(planned + Duration::days(wait))
                .max(decided_at + Duration::hours(1));
            self.tick_checklist(
                first_item,
                at.date().min(self.options.until),
                &partner_id,
                caseworker,
            );
            if at < self.end {
                let reason = "The client decided to stay for now.";
                self.cancel(trail, referral, caseworker, reason, at)?;
            }
            return Ok(());
        }
        let delay = match self.rng.gen_range(0..10) {
            0..=6 => 0,
            7 | 8 => self.rng.gen_range(1..20),
            _ => self.rng.gen_range(20..60),
        };
        let departed_on =
            planned.max(decided_at.date() + Duration::days(3)) + Duration::days(delay);
        let departed_at = self.office(departed_on);
        self.tick_checklist(
            first_item,
            departed_on.min(self.options.until),
            &partner_id,
            caseworker,
        );
        if departed_at >= self.end {
            return Ok(());
        }
        referral.departed_on = Some(departed_on);
        trail.step(
            referral,
            Action::Depart,
            "staff",
            caseworker,
            None,
            departed_at,
        )?;
        trail.case(
            "staff",
            caseworker,
            "referral_in_progress",
            None,
            departed_at,
        );
        self.arrive(trail, referral, habits, departed_on, departed_at)
    }

    /// Marks the checklist items of a referral due by `on` as done (some
    /// not applicable), by their owner.
    fn tick_checklist(&mut self, first: usize, on: NaiveDate, partner_id: &str, caseworker: &str) {
        for index in first..self.out.checklist_items.len() {
            let due_on = self.out.checklist_items[index].due_on;
            if due_on > on {
                continue;
            }
            let not_applicable = matches!(
                self.out.checklist_items[index].kind.as_str(),
                "medical_fitness_to_fly" | "luggage"
            ) && self.rng.gen_bool(0.1);
            let early = self.rng.gen_range(0..4);
            let at = self.office(due_on.min(on) - Duration::days(early));
            let item = &mut self.out.checklist_items[index];
            let at = at.max(item.updated_at + Duration::seconds(60));
            if at >= self.end {
                continue;
            }
            item.status = if not_applicable {
                ChecklistStatus::NotApplicable
            } else {
                ChecklistStatus::Done
            };
            item.updated_at = at;
            if item.owner == ChecklistOwner::Partner {
                item.updated_by_type = "partner";
                item.updated_by_id = partner_id.to_owned();
            } else {
                item.updated_by_type = "staff";
                item.updated_by_id = caseworker.to_owned();
            }
        }
    }

    /// The partner's reintegration plan and the caseworker's decision.
    fn plan(
        &mut self,
        referral: &Referral,
        needs: &str,
        accepted_at: NaiveDateTime,
        caseworker: &str,
    ) {
        let submitted_at = self.after_days(accepted_at, 3, 20);
        if submitted_at >= self.end {
            return;
        }
        for (position, need) in needs.split(',').enumerate() {
            // The case's needs were written from `Need`, so they parse.
            let need = Need::parse(need).unwrap_or(Need::Housing);
            let (support, low, high) = support_for(need);
            let amount = (self.rng.gen_range(low..high) / 10.0).round() * 10.0;
            self.out.reintegration_plan_items.push(PlanItem {
                referral_id: referral.id.clone(),
                position: i32::try_from(position).unwrap_or(i32::MAX),
                need: need.as_str(),
                support,
                amount,
                currency: "EUR",
            });
        }
        let mut plan = Plan {
            referral_id: referral.id.clone(),
            status: PlanStatus::Submitted,
            version: 1,
            submitted_at,
            decided_at: None,
            decided_by: None,
            comment: None,
        };
        let decided_at = self.after_days(submitted_at, 1, 6);
        if decided_at < self.end {
            if self.rng.gen_bool(0.1) {
                // Returned with a comment, submitted again, then approved.
                plan.status = PlanStatus::Returned;
                plan.decided_at = Some(decided_at);
                plan.decided_by = Some(caseworker.to_owned());
                plan.comment = Some("Please add the budget breakdown per month.");
                let again = self.after_days(decided_at, 2, 10);
                if again < self.end {
                    plan.status = PlanStatus::Submitted;
                    plan.version = 2;
                    plan.submitted_at = again;
                    plan.decided_at = None;
                    plan.decided_by = None;
                    let approved = self.after_days(again, 1, 5);
                    if approved < self.end {
                        plan.status = PlanStatus::Approved;
                        plan.decided_at = Some(approved);
                        plan.decided_by = Some(caseworker.to_owned());
                        plan.comment = None;
                    }
                }
            } else if self.rng.gen_bool(0.97) {
                plan.status = PlanStatus::Approved;
                plan.decided_at = Some(decided_at);
                plan.decided_by = Some(caseworker.to_owned());
            }
        }
        self.out.reintegration_plans.push(plan);
    }
}
