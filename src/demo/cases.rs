//! Return cases and their referrals: opening the case, the consent it
//! needs, sending to a partner, the partner's acknowledgement and decision,
//! re-routing after a decline, and cancellation. Every referral step goes
//! through the referral state machine (`ReferralStatus::after`), and the
//! history rows are numbered as the stores number them.

use chrono::{Duration, NaiveDateTime};
use rand::Rng;
use rand::seq::SliceRandom;

use super::counselling::Scope;
use super::{
    Bug, CaseHistory, Generator, Made, PartnerHabits, Referral, ReferralHistory, ReturnCase,
};
use crate::cases::{CaseStatus, Need};
use crate::referrals::plan::PlanStatus;
use crate::referrals::{Action, ReferralStatus, add_working_days};

/// The needs a case can name, in the order the draws go through them.
const NEEDS: &[Need] = Need::ALL;
const DECLINE_REASONS: &[&str] = &[
    "No capacity in the region at the moment.",
    "The destination region is outside our service area.",
    "We cannot meet the medical needs described.",
    "Our reintegration budget for this quarter is spent.",
];

impl Generator<'_> {
    /// The return case of client `index`, its consent and referrals.
    pub(super) fn case(
        &mut self,
        index: usize,
        talk_id: &str,
        said_at: NaiveDateTime,
        serving: &[usize],
    ) -> Made<()> {
        // Most who want to return get a case; some drop out before.
        if !self.rng.gen_bool(0.88) {
            return Ok(());
        }
        let opened_at = self.after_days(said_at, 2, 20);
        if opened_at >= self.end {
            return Ok(());
        }
        let caseworker = self.caseworkers[self.rng.gen_range(0..self.caseworkers.len())].clone();
        let client = self.out.clients[index].clone();
        let members = self.household(index, &client, opened_at);
        let country = client.country_of_origin.clone();
        let mut regions: Vec<String> = serving
            .iter()
            .flat_map(|p| {
                self.partners[*p]
                    .areas
                    .iter()
                    .filter(|(c, _)| *c == country)
                    .flat_map(|(_, r)| r.iter().cloned())
            })
            .collect();
        regions.sort();
        regions.dedup();
        let region = if self.rng.gen_bool(0.5) {
            regions.choose(&mut self.rng).cloned()
        } else {
            None
        };
        let mut needs: Vec<Need> = NEEDS
            .iter()
            .copied()
            .filter(|_| self.rng.gen_bool(0.35))
            .collect();
        if needs.is_empty() {
            needs.push(NEEDS[self.rng.gen_range(0..2)]);
        }
        let planned = opened_at.date() + Duration::days(self.rng.gen_range(40..120));
        let case_id = self.id(opened_at);
        let case = ReturnCase {
            id: case_id.clone(),
            client_id: client.id.clone(),
            talk_id: Some(talk_id.to_owned()),
            destination_country: country.clone(),
            destination_region: region,
            needs: needs
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(","),
            household_member_ids: members.join(","),
            planned_departure_on: planned,
            status: CaseStatus::Open,
            opened_by: caseworker.clone(),
            opened_at,
            closed_at: None,
            updated_at: opened_at,
        };
        let mut trail = Trail::new(&case_id);
        trail.case("staff", &caseworker, "opened", None, opened_at);
        let case_index = self.out.return_cases.len();
        self.out.return_cases.push(case);
        // Some change their mind before consenting: the case stays open
        // without a referral.
        if !self.rng.gen_bool(0.93) {
            self.out.return_case_history.extend(trail.case_rows);
            return Ok(());
        }
        let mut order: Vec<usize> = serving.to_vec();
        order.shuffle(&mut self.rng);
        let consent_at = self.after_hours(opened_at, 0.2, 3.0);
        if consent_at >= self.end {
            self.out.return_case_history.extend(trail.case_rows);
            return Ok(());
        }
        let by_country = self.rng.gen_bool(0.65);
        let mut consent_index = self.consent(
            &client,
            &members,
            &needs,
            if by_country {
                Scope::Country(&country)
            } else {
                Scope::Partner(&self.partners[order[0]].id)
            },
            &caseworker,
            consent_at,
        );
        let mut previous = consent_at;
        for (attempt, partner) in order.iter().take(3).enumerate() {
            let partner_id = self.partners[*partner].id.clone();
            let covers = self.out.consents[consent_index].country.is_some()
                || self.out.consents[consent_index].partner_id.as_deref() == Some(&partner_id);
            let sent_at = self.after_days(previous, if attempt == 0 { 1 } else { 2 }, 8);
            if sent_at >= self.end {
                break;
            }
            if !covers {
                let at = sent_at - Duration::seconds(self.rng.gen_range(600..7200));
                consent_index = self.consent(
                    &client,
                    &members,
                    &needs,
                    Scope::Partner(&partner_id),
                    &caseworker,
                    at,
                );
            }
            let consent_id = self.out.consents[consent_index].id.clone();
            let ended = self.referral(
                &mut trail,
                case_index,
                *partner,
                &consent_id,
                consent_index,
                &caseworker,
                sent_at,
            )?;
            match ended {
                Ended::Declined(at) => previous = at,
                Ended::Stopped => break,
            }
        }
        self.out.return_case_history.extend(trail.case_rows);
        Ok(())
    }

    /// One referral from sending to closure, as far as the last day allows.
    #[allow(clippy::too_many_arguments)]
    fn referral(
        &mut self,
        trail: &mut Trail,
        case_index: usize,
        partner: usize,
        consent_id: &str,
        consent_index: usize,
        caseworker: &str,
        sent_at: NaiveDateTime,
    ) -> Made<Ended> {
        let facts = &self.partners[partner];
        let habits = self.habits[partner];
        let partner_id = facts.id.clone();
        let days =
            |n: Option<i32>, default: u32| n.and_then(|n| u32::try_from(n).ok()).unwrap_or(default);
        let acknowledge_due_on = add_working_days(
            sent_at.date(),
            days(
                facts.acknowledge_working_days,
                self.rules.sla.acknowledge_working_days,
            ),
        );
        let decide_due_on = add_working_days(
            sent_at.date(),
            days(
                facts.decide_working_days,
                self.rules.sla.decide_working_days,
            ),
        );
        let id = self.id(sent_at);
        let case = self.out.return_cases[case_index].clone();
        let mut referral = Referral {
            id: id.clone(),
            return_case_id: case.id.clone(),
            partner_id: partner_id.clone(),
            consent_id: consent_id.to_owned(),
            status: ReferralStatus::Requested,
            sent_at,
            sent_by: caseworker.to_owned(),
            acknowledge_due_on,
            decide_due_on,
            acknowledged_at: None,
            decided_at: None,
            departed_on: None,
            arrived_on: None,
            closed_at: None,
            updated_at: sent_at,
            arrival_received: None,
            outcome: None,
        };
        trail.start_referral(&id);
        trail.referral(
            ReferralStatus::Requested,
            "staff",
            caseworker,
            None,
            sent_at,
        );
        trail.case(
            "staff",
            caseworker,
            "referral_sent",
            Some(&partner_id),
            sent_at,
        );
        let ended = self.follow(
            trail,
            &mut referral,
            &case,
            habits,
            consent_index,
            caseworker,
        )?;
        self.out.referrals.push(referral);
        self.out.referral_history.append(&mut trail.referral_rows);
        Ok(ended)
    }

    /// Moves a sent referral on through the state machine: the partner
    /// acknowledges and decides; an accepted referral is prepared for
    /// departure.
    fn follow(
        &mut self,
        trail: &mut Trail,
        referral: &mut Referral,
        case: &ReturnCase,
        habits: PartnerHabits,
        consent_index: usize,
        caseworker: &str,
    ) -> Made<Ended> {
        let partner_id = referral.partner_id.clone();
        let acknowledged_at = {
            let typical = habits.acknowledge_hours;
            self.after_hours(referral.sent_at, typical * 0.2, typical * 3.0)
        };
        if acknowledged_at >= self.end {
            return Ok(Ended::Stopped);
        }
        trail.step(
            referral,
            Action::Acknowledge,
            "partner",
            &partner_id,
            None,
            acknowledged_at,
        )?;
        referral.acknowledged_at = Some(acknowledged_at);
        trail.case(
            "partner",
            &partner_id,
            "referral_received",
            None,
            acknowledged_at,
        );
        let decided_at = {
            let typical = habits.decide_days * 24.0;
            self.after_hours(acknowledged_at, typical * 0.2, typical * 2.5)
        };
        if decided_at >= self.end {
            return Ok(Ended::Stopped);
        }
        referral.decided_at = Some(decided_at);
        if self.rng.gen_bool(habits.decline_rate) {
            let reason = DECLINE_REASONS[self.rng.gen_range(0..DECLINE_REASONS.len())];
            trail.step(
                referral,
                Action::Decline,
                "partner",
                &partner_id,
                Some(reason),
                decided_at,
            )?;
            trail.case(
                "partner",
                &partner_id,
                "referral_rejected",
                Some(reason),
                decided_at,
            );
            return Ok(Ended::Declined(decided_at));
        }
        trail.step(
            referral,
            Action::Accept,
            "partner",
            &partner_id,
            None,
            decided_at,
        )?;
        trail.case(
            "partner",
            &partner_id,
            "referral_accepted",
            None,
            decided_at,
        );
        self.prepare(
            trail,
            referral,
            case,
            habits,
            consent_index,
            caseworker,
            decided_at,
        )?;
        Ok(Ended::Stopped)
    }

    /// The caseworker cancels the referral, closing it, with the case's history.
    pub(super) fn cancel(
        &mut self,
        trail: &mut Trail,
        referral: &mut Referral,
        caseworker: &str,
        reason: &str,
        at: NaiveDateTime,
    ) -> Made<()> {
        trail.step(
            referral,
            Action::Cancel,
            "staff",
            caseworker,
            Some(reason),
            at,
        )?;
        referral.closed_at = Some(at);
        trail.case("staff", caseworker, "referral_cancelled", Some(reason), at);
        // A plan cannot come, or be decided, after the referral was cancelled.
        let plans = &mut self.out.reintegration_plans;
        if let Some(index) = plans.iter().rposition(|p| p.referral_id == referral.id) {
            if plans[index].submitted_at > at {
                plans.remove(index);
                self.out
                    .reintegration_plan_items
                    .retain(|item| item.referral_id != referral.id);
            } else if plans[index].decided_at.is_some_and(|decided| decided > at) {
                let plan = &mut plans[index];
                plan.status = PlanStatus::Submitted;
                plan.decided_at = None;
                plan.decided_by = None;
                plan.comment = None;
            }
        }
        Ok(())
    }
}

/// How a referral left the loop over partners.
enum Ended {
    /// Declined at this moment: re-route to the next partner.
    Declined(NaiveDateTime),
    /// Anything else: no further referral for this case.
    Stopped,
}

/// The history rows of one case and its current referral, numbered as the
/// stores number them.
pub(super) struct Trail {
    case_id: String,
    case_rows: Vec<CaseHistory>,
    referral_id: String,
    referral_rows: Vec<ReferralHistory>,
}

impl Trail {
    fn new(case_id: &str) -> Self {
        Self {
            case_id: case_id.to_owned(),
            case_rows: Vec::new(),
            referral_id: String::new(),
            referral_rows: Vec::new(),
        }
    }

    pub(super) fn case(
        &mut self,
        actor_type: &'static str,
        actor_id: &str,
        change: &str,
        detail: Option<&str>,
        at: NaiveDateTime,
    ) {
        let seq = i32::try_from(self.case_rows.len()).unwrap_or(i32::MAX - 1) + 1;
        self.case_rows.push(CaseHistory {
            return_case_id: self.case_id.clone(),
            seq,
            at,
            actor_type,
            actor_id: actor_id.to_owned(),
            change: change.to_owned(),
            detail: detail.map(str::to_owned),
        });
    }

    fn start_referral(&mut self, referral_id: &str) {
        self.referral_id = referral_id.to_owned();
        self.referral_rows.clear();
    }

    fn referral(
        &mut self,
        status: ReferralStatus,
        by_type: &'static str,
        by_id: &str,
        reason: Option<&str>,
        at: NaiveDateTime,
    ) {
        let seq = i32::try_from(self.referral_rows.len()).unwrap_or(i32::MAX - 1) + 1;
        self.referral_rows.push(ReferralHistory {
            referral_id: self.referral_id.clone(),
            seq,
            status,
            at,
            by_type,
            by_id: by_id.to_owned(),
            reason: reason.map(str::to_owned),
        });
    }

    /// Takes one step of the referral machine: the transition table says
    /// where `action` leads from the referral's status; a step it does not
    /// allow is a bug in the generator.
    pub(super) fn step(
        &mut self,
        referral: &mut Referral,
        action: Action,
        by_type: &'static str,
        by: &str,
        reason: Option<&str>,
        at: NaiveDateTime,
    ) -> Made<()> {
        let from = referral.status;
        let to = from.after(action).ok_or(Bug { from, action })?;
        referral.status = to;
        referral.updated_at = at;
        self.referral(to, by_type, by, reason, at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn a_step_the_machine_does_not_allow_is_a_bug_and_writes_nothing() {
        let at = NaiveDate::from_ymd_opt(2026, 3, 2)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("moment");
        let mut referral = Referral {
            id: "r".to_owned(),
            return_case_id: "c".to_owned(),
            partner_id: "p".to_owned(),
            consent_id: "k".to_owned(),
            status: ReferralStatus::Requested,
            sent_at: at,
            sent_by: "s".to_owned(),
            acknowledge_due_on: at.date(),
            decide_due_on: at.date(),
            acknowledged_at: None,
            decided_at: None,
            departed_on: None,
            arrived_on: None,
            closed_at: None,
            updated_at: at,
            arrival_received: None,
            outcome: None,
        };
        let mut trail = Trail::new("c");
        trail.start_referral("r");
        let refused = trail.step(&mut referral, Action::Accept, "partner", "p", None, at);
        assert_eq!(
            refused,
            Err(Bug {
                from: ReferralStatus::Requested,
                action: Action::Accept
            }),
            "acknowledge first"
        );
        assert_eq!(referral.status, ReferralStatus::Requested);
        assert!(trail.referral_rows.is_empty());
        let later = at + Duration::hours(2);
        let taken = trail.step(
            &mut referral,
            Action::Acknowledge,
            "partner",
            "p",
            None,
            later,
        );
        assert_eq!(taken, Ok(()));
        assert_eq!(referral.status, ReferralStatus::Received);
        assert_eq!(referral.updated_at, later);
        assert_eq!(trail.referral_rows.len(), 1);
    }
}
