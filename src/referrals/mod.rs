//! Referrals: a return case sent to one partner organisation, and what
//! happens to it, after the FHIR Task state machine. The machine is written
//! once, as a table; handlers and error messages read from it.

pub mod case_view;
pub mod commands;
pub mod partner_routes;
pub mod plan;
pub mod queries;
pub mod routes;
pub mod store;
pub mod vocabulary;

pub use vocabulary::{Decline, DeclineReason, Hold, OnHold, StatusReason};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::Deserialize;
use validator::Validate;

use crate::consent::store::ConsentView;
use crate::consent::{ConsentPurpose, ConsentStatus};
use crate::domain::{Refusal, text_enum};

text_enum! {
    pub enum ReferralStatus {
        Requested => "requested",
        /// Acknowledged by the partner.
        Received => "received",
        Accepted => "accepted",
        /// Accepted, and paused by the partner until it resumes (FHIR
        /// Task `on-hold`); SLA clocks pause.
        OnHold => "on_hold",
        /// Declined by the partner.
        Rejected => "rejected",
        /// The person departed.
        InProgress => "in_progress",
        Completed => "completed",
        Failed => "failed",
        Cancelled => "cancelled",
    }
}

text_enum! {
    pub enum Action {
        Acknowledge => "acknowledge",
        Accept => "accept",
        Decline => "decline",
        Depart => "depart",
        Complete => "complete",
        Fail => "fail",
        Cancel => "cancel",
        Hold => "hold",
        Resume => "resume",
    }
}

impl Action {
    /// Steps a partner takes itself (the rest are the organisation's).
    pub fn by_partner(self) -> bool {
        matches!(
            self,
            Action::Acknowledge
                | Action::Accept
                | Action::Decline
                | Action::Complete
                | Action::Fail
                | Action::Hold
                | Action::Resume
        )
    }
}

use Action as A;
use ReferralStatus as S;

/// Every allowed transition: from, by, to.
pub const TRANSITIONS: &[(ReferralStatus, Action, ReferralStatus)] = &[
    (S::Requested, A::Acknowledge, S::Received),
    (S::Received, A::Accept, S::Accepted),
    (S::Received, A::Decline, S::Rejected),
    (S::Accepted, A::Depart, S::InProgress),
    (S::Accepted, A::Hold, S::OnHold),
    (S::OnHold, A::Resume, S::Accepted),
    (S::InProgress, A::Complete, S::Completed),
    (S::InProgress, A::Fail, S::Failed),
    (S::Requested, A::Cancel, S::Cancelled),
    (S::Received, A::Cancel, S::Cancelled),
    (S::Accepted, A::Cancel, S::Cancelled),
    (S::OnHold, A::Cancel, S::Cancelled),
    (S::InProgress, A::Cancel, S::Cancelled),
];

impl ReferralStatus {
    pub fn after(self, action: Action) -> Option<ReferralStatus> {
        TRANSITIONS
            .iter()
            .find(|(from, by, _)| *from == self && *by == action)
            .map(|(_, _, to)| *to)
    }

    /// The actions allowed now, for a 409.
    pub fn allowed(self) -> Vec<Action> {
        TRANSITIONS
            .iter()
            .filter(|(from, _, _)| *from == self)
            .map(|(_, by, _)| *by)
            .collect()
    }

    /// The actions allowed now as the one who asks sees them: a partner is
    /// told only the steps it takes itself.
    pub fn allowed_to(self, partner: bool) -> Vec<Action> {
        self.allowed()
            .into_iter()
            .filter(|a| !partner || a.by_partner())
            .collect()
    }

    /// The next status, or the refusal that lists what is allowed now.
    pub fn step(self, action: Action, partner: bool) -> Result<ReferralStatus, Refusal> {
        self.after(action).ok_or_else(|| {
            let allowed = self.allowed_to(partner);
            not_allowed_now("referral", self.as_str(), action.as_str(), &allowed, None)
        })
    }

    /// A step beside the machine (arrival, a plan, monitoring, closure)
    /// that this status does not allow; nothing is offered instead.
    pub fn refuse(self, step: &str, why: &str) -> Refusal {
        let why = format!("The referral is {self}: {why}.");
        not_allowed_now::<&str>("referral", self.as_str(), step, &[], Some(why))
    }

    /// Arrival, monitoring and closure are for a referral after departure.
    pub fn after_departure(self, step: &str) -> Result<(), Refusal> {
        if self == ReferralStatus::InProgress {
            return Ok(());
        }
        Err(self.refuse(step, "this is for a referral after departure"))
    }

    /// Still running: counts against the partner's capacity, and blocks
    /// another referral for the same case.
    pub fn is_open(self) -> bool {
        !self.allowed().is_empty() && self.allowed().contains(&Action::Cancel)
    }

    /// The statuses in which a referral is open.
    pub fn open() -> Vec<ReferralStatus> {
        Self::ALL.iter().copied().filter(|s| s.is_open()).collect()
    }

    pub fn open_statuses() -> Vec<&'static str> {
        Self::ALL
            .iter()
            .filter(|s| s.is_open())
            .map(|s| s.as_str())
            .collect()
    }

    /// The event a partner receives when a referral reaches this status.
    pub fn event_type(self) -> &'static str {
        match self {
            S::Requested => "referral.requested",
            S::Received => "referral.acknowledged",
            S::Accepted => "referral.accepted",
            S::OnHold => "referral.on_hold",
            S::Rejected => "referral.declined",
            S::InProgress => "referral.departed",
            S::Completed => "referral.completed",
            S::Failed => "referral.failed",
            S::Cancelled => "referral.cancelled",
        }
    }
}

/// "Not allowed now" for the state machines of the referral pipeline (the
/// referral, its reintegration plan): the one place it is built, from the
/// current state, the step asked for and the steps allowed instead.
pub(crate) fn not_allowed_now<T: ToString>(
    what: &'static str,
    current: &str,
    step: &str,
    allowed: &[T],
    why: Option<String>,
) -> Refusal {
    let refusal = Refusal::not_allowed_now(what, current, step, allowed.iter().map(T::to_string));
    match why {
        Some(why) => refusal.because(why),
        None => refusal,
    }
}

/// The fixed reason of a cancellation by consent withdrawal; partners see
/// it in the history, where staff's own reasons are left out.
pub const CONSENT_WITHDRAWN: &str = "consent withdrawn";

/// A reason in a referral's history as a partner may read it: its own
/// reasons, and the fixed reason of a consent withdrawal.
pub fn reason_for_partner(by_type: &str, reason: Option<String>) -> Option<String> {
    reason.filter(|r| by_type == "partner" || r == CONSENT_WITHDRAWN)
}

/// A partner's own referral; another partner's, or none, is "not found"
/// (never which).
pub fn own<R>(row: Option<R>, partner: &str, of: impl Fn(&R) -> &str) -> Result<R, Refusal> {
    row.filter(|row| of(row) == partner)
        .ok_or(Refusal::not_found("referral"))
}

/// What a consent lacks to cover a referral to `partner_id` in `country`:
/// nothing when it is active, for referral, and names the partner or the
/// country.
pub fn consent_gaps(consent: &ConsentView, partner_id: &str, country: &str) -> Vec<String> {
    let mut missing = Vec::new();
    if consent.status != ConsentStatus::Active {
        missing.push(format!("the consent is {}", consent.status.as_str()));
    }
    if consent.purpose != ConsentPurpose::Referral {
        missing.push("the consent is not for referral".to_owned());
    }
    let covers = consent.partner_id.as_deref() == Some(partner_id)
        || consent.country.as_deref() == Some(country);
    if !covers {
        let scope = consent
            .partner_id
            .clone()
            .or(consent.country.clone().map(|c| format!("partners in {c}")))
            .unwrap_or_default();
        missing.push(format!("the consent covers {scope}, not {partner_id}"));
    }
    missing
}

/// The SLA clock of one referral on `today`: what a programme lead and the
/// caseworker should look at. Pure, so that it is tested on its own.
pub struct SlaClock {
    pub status: ReferralStatus,
    pub acknowledged: bool,
    pub decided: bool,
    pub acknowledge_due_on: NaiveDate,
    pub decide_due_on: NaiveDate,
    pub planned_departure_on: NaiveDate,
    pub departed: bool,
    /// Whole days the referral spent on hold, summed at each resume: the
    /// not-departed deadline moves back by as much. While on hold the
    /// clock stands still (the status is not `accepted`).
    pub held_days: i64,
}

impl SlaClock {
    /// `acknowledge_overdue`, `decision_overdue`, `not_departed`.
    pub fn flags(&self, today: NaiveDate, not_departed_after_days: u32) -> Vec<&'static str> {
        let mut flags = Vec::new();
        if !self.status.is_open() {
            return flags;
        }
        if !self.acknowledged && today > self.acknowledge_due_on {
            flags.push("acknowledge_overdue");
        }
        if !self.decided && today > self.decide_due_on {
            flags.push("decision_overdue");
        }
        let departure_deadline = self.not_departed_due_on(not_departed_after_days);
        if self.status == ReferralStatus::Accepted && !self.departed && today > departure_deadline {
            flags.push("not_departed");
        }
        flags
    }
}

impl SlaClock {
    /// The day after which an accepted referral not departed is late: the
    /// planned departure, the programme's grace, and the days held.
    pub fn not_departed_due_on(&self, not_departed_after_days: u32) -> NaiveDate {
        self.planned_departure_on
            + Duration::days(i64::from(not_departed_after_days))
            + Duration::days(self.held_days.max(0))
    }
}

/// `days` working days (Monday to Friday) after `from`.
pub fn add_working_days(from: NaiveDate, days: u32) -> NaiveDate {
    let mut date = from;
    let mut left = days;
    while left > 0 {
        date += Duration::days(1);
        if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    date
}

pub use crate::domain::checklist::{ChecklistOwner, ChecklistTemplateItem, default_checklist};

text_enum! {
    pub enum ChecklistStatus {
        Open => "open",
        Done => "done",
        NotApplicable => "not_applicable",
        Blocked => "blocked",
    }
}

/// `POST /api/v1/return-cases/{id}/referrals`.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReferral {
    pub partner_id: crate::partners::PartnerId,
    pub consent_id: uuid::Uuid,
}

/// A reason, required (the staff's cancel; a decline is a
/// [`vocabulary::Decline`]).
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    #[validate(length(min = 3, max = 2000))]
    pub reason: String,
}

/// A note, optional (acknowledge, accept, complete a task).
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionalNote {
    #[serde(default)]
    #[validate(length(max = 2000))]
    pub note: Option<String>,
}

/// `POST /partner/v1/referrals/{id}/arrival`.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Arrival {
    pub arrived_on: NaiveDate,
    /// Whether the partner received the person (at the airport, or after).
    pub received: bool,
    #[serde(default)]
    #[validate(length(max = 2000))]
    pub note: Option<String>,
}

text_enum! {
    /// How a referral ends after departure.
    pub enum Outcome {
        Completed => "completed",
        LostContact => "lost_contact",
        ReMigrated => "re_migrated",
        Withdrew => "withdrew",
        Deceased => "deceased",
    }
}

impl Outcome {
    /// `completed` completes, `withdrew` cancels, the rest fail.
    pub fn action(self) -> Action {
        match self {
            Outcome::Completed => Action::Complete,
            Outcome::Withdrew => Action::Cancel,
            Outcome::LostContact | Outcome::ReMigrated | Outcome::Deceased => Action::Fail,
        }
    }
}

/// `POST /partner/v1/referrals/{id}/close`.
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    pub outcome: Outcome,
    #[serde(default)]
    #[validate(length(max = 2000))]
    pub note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machine_follows_fhir_task() {
        assert_eq!(S::Requested.after(A::Acknowledge), Some(S::Received));
        assert_eq!(S::Requested.after(A::Accept), None, "acknowledge first");
        assert_eq!(S::Received.after(A::Decline), Some(S::Rejected));
        assert_eq!(S::Accepted.after(A::Depart), Some(S::InProgress));
        for open in [
            S::Requested,
            S::Received,
            S::Accepted,
            S::OnHold,
            S::InProgress,
        ] {
            assert_eq!(open.after(A::Cancel), Some(S::Cancelled));
            assert!(open.is_open());
        }
        for closed in [S::Rejected, S::Completed, S::Failed, S::Cancelled] {
            assert!(closed.allowed().is_empty());
            assert!(!closed.is_open());
        }
        assert_eq!(S::Received.allowed(), [A::Accept, A::Decline, A::Cancel]);
    }

    #[test]
    fn an_accepted_referral_can_be_held_resumed_and_cancelled_on_hold() {
        assert_eq!(S::Accepted.after(A::Hold), Some(S::OnHold));
        assert_eq!(S::OnHold.after(A::Resume), Some(S::Accepted));
        assert_eq!(S::OnHold.after(A::Cancel), Some(S::Cancelled));
        assert_eq!(S::OnHold.after(A::Depart), None, "resume first");
        assert_eq!(S::Received.after(A::Hold), None, "accept first");
        assert_eq!(S::OnHold.after(A::Hold), None);
        assert_eq!(S::Accepted.allowed(), [A::Depart, A::Hold, A::Cancel]);
        assert_eq!(S::OnHold.allowed(), [A::Resume, A::Cancel]);
        assert!(A::Hold.by_partner() && A::Resume.by_partner());
        assert_eq!(S::OnHold.event_type(), "referral.on_hold");
        assert!(ReferralStatus::open().contains(&S::OnHold));
        let refused = S::Received.step(A::Hold, true).expect_err("not accepted");
        assert!(matches!(
            refused,
            Refusal::NotAllowedNow { ref allowed, .. } if allowed == &["accept", "decline"]
        ));
        let refused = S::Accepted.step(A::Resume, true).expect_err("not held");
        assert!(matches!(
            refused,
            Refusal::NotAllowedNow { ref allowed, .. } if allowed == &["hold"]
        ));
    }

    #[test]
    fn a_partner_is_told_only_its_own_steps() {
        assert_eq!(S::Received.allowed_to(true), [A::Accept, A::Decline]);
        assert_eq!(S::Received.allowed_to(false), S::Received.allowed());
        assert_eq!(S::Accepted.allowed_to(true), [A::Hold]);
        assert_eq!(S::OnHold.allowed_to(true), [A::Resume]);
        assert!(S::InProgress.allowed_to(true).contains(&A::Complete));
        let refused = S::Requested
            .step(A::Accept, true)
            .expect_err("acknowledge first");
        assert_eq!(
            refused,
            Refusal::NotAllowedNow {
                what: "referral",
                current: "requested".into(),
                step: "accept".into(),
                allowed: vec!["acknowledge".into()],
                detail: None,
            }
        );
        assert_eq!(
            refused.detail(),
            "A referral that is requested cannot accept now."
        );
        assert_eq!(S::Received.step(A::Accept, true), Ok(S::Accepted));
    }

    #[test]
    fn steps_after_departure_name_the_status_and_offer_nothing() {
        assert_eq!(S::InProgress.after_departure("arrive"), Ok(()));
        let refused = S::Accepted
            .after_departure("close")
            .expect_err("not departed");
        assert_eq!(
            refused.detail(),
            "The referral is accepted: this is for a referral after departure."
        );
        assert!(matches!(
            refused,
            Refusal::NotAllowedNow { ref current, ref allowed, .. }
                if current == "accepted" && allowed.is_empty()
        ));
    }

    #[test]
    fn only_the_partners_own_referral_is_found() {
        let mine = || Some(("r1", "p1"));
        assert_eq!(own(mine(), "p1", |r| r.1), Ok(("r1", "p1")));
        assert_eq!(
            own(mine(), "p2", |r| r.1),
            Err(Refusal::not_found("referral"))
        );
        assert_eq!(
            own(None::<(&str, &str)>, "p1", |r| r.1),
            Err(Refusal::not_found("referral"))
        );
        assert_eq!(reason_for_partner("staff", Some("private".into())), None);
        assert_eq!(
            reason_for_partner("staff", Some(CONSENT_WITHDRAWN.into())).as_deref(),
            Some(CONSENT_WITHDRAWN)
        );
    }

    #[test]
    fn the_sla_clock_flags_what_is_late() {
        let date = |d| NaiveDate::from_ymd_opt(2026, 3, d).expect("date");
        let clock = SlaClock {
            status: S::Requested,
            acknowledged: false,
            decided: false,
            acknowledge_due_on: date(3),
            decide_due_on: date(13),
            planned_departure_on: date(1),
            departed: false,
            held_days: 0,
        };
        assert!(clock.flags(date(3), 30).is_empty(), "due today is not late");
        assert_eq!(clock.flags(date(4), 30), ["acknowledge_overdue"]);
        assert_eq!(
            clock.flags(date(14), 30),
            ["acknowledge_overdue", "decision_overdue"]
        );
        let accepted = SlaClock {
            status: S::Accepted,
            acknowledged: true,
            decided: true,
            ..clock
        };
        assert!(accepted.flags(date(31), 30).is_empty());
        assert_eq!(
            accepted.flags(NaiveDate::from_ymd_opt(2026, 4, 1).expect("date"), 30),
            ["not_departed"]
        );
        let cancelled = SlaClock {
            status: S::Cancelled,
            ..accepted
        };
        assert!(
            cancelled.flags(date(31), 0).is_empty(),
            "closed referrals are never late"
        );
    }

    #[test]
    fn the_sla_clock_stands_still_on_hold_and_resumes_later() {
        let date = |m, d| NaiveDate::from_ymd_opt(2026, m, d).expect("date");
        let accepted = SlaClock {
            status: S::Accepted,
            acknowledged: true,
            decided: true,
            acknowledge_due_on: date(3, 3),
            decide_due_on: date(3, 13),
            planned_departure_on: date(3, 1),
            departed: false,
            held_days: 0,
        };
        assert_eq!(accepted.not_departed_due_on(30), date(3, 31));
        assert_eq!(accepted.flags(date(4, 1), 30), ["not_departed"]);
        let held = SlaClock {
            status: S::OnHold,
            ..accepted
        };
        assert!(
            held.flags(date(6, 1), 30).is_empty(),
            "nothing is late while on hold"
        );
        let resumed = SlaClock {
            status: S::Accepted,
            held_days: 10,
            ..held
        };
        assert_eq!(resumed.not_departed_due_on(30), date(4, 10));
        assert!(resumed.flags(date(4, 10), 30).is_empty(), "pushed back");
        assert_eq!(resumed.flags(date(4, 11), 30), ["not_departed"]);
    }

    #[test]
    fn working_days_skip_weekends() {
        let friday = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
        assert_eq!(
            add_working_days(friday, 1),
            NaiveDate::from_ymd_opt(2026, 11, 30).expect("date")
        );
        assert_eq!(
            add_working_days(friday, 2),
            NaiveDate::from_ymd_opt(2026, 12, 1).expect("date")
        );
        assert_eq!(
            add_working_days(friday, 10),
            NaiveDate::from_ymd_opt(2026, 12, 11).expect("date")
        );
        assert_eq!(add_working_days(friday, 0), friday);
    }
}
