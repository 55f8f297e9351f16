//! Demo data: a synthetic return programme over the shipped partner
//! directory, for trying Brug out and for benchmarks (`brug demo-data`).
//!
//! The generator here is pure and deterministic: the same seed, number of
//! years and last day (`until`) over the same partners give the same rows,
//! ids included (ids are UUID v7 built from each row's own time and the
//! seeded generator, not from the clock). Everyone in it is invented: names
//! come from short lists, never from real people. [`store`] writes the rows.
//!
//! Every step follows the rules that the API enforces (the referral state
//! machine, one open referral per case, consent before a referral, arrival
//! after departure, monitoring after arrival), and every row has the form
//! the stores write (stored lists, history rows, timestamps in whole
//! seconds), so the reports read it as they read real data. Each referral
//! step asks the machine itself (`ReferralStatus::after`) where it leads.
//!
//! The generator follows each client down the pipeline, a file per stage:
//! `people` (staff, clients, households), `counselling` (talks, consents),
//! `cases` (the case, its referrals, declines, re-routes, cancellations),
//! `preparation` (checklist, plan, departure) and `after_departure`
//! (arrival, monitoring, closure). The random draws happen in one fixed
//! order, so moving code between the stages must keep that order.

mod after_departure;
mod cases;
mod counselling;
mod people;
mod preparation;
mod rows;
pub mod store;

use std::collections::{BTreeMap, HashSet};

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use rand::Rng;
use rand::SeedableRng;
use rand_pcg::Pcg64;

use crate::config::SlaSettings;
use crate::monitoring::Model;
use crate::referrals::{Action, ChecklistTemplateItem, ReferralStatus};

pub use rows::{
    Alert, CaseHistory, ChecklistItem, Client, Consent, Household, Plan, PlanItem, Referral,
    ReferralHistory, ReturnCase, Talk, TalkContent, TalkVersion, User, Visit, VisitReport,
};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub years: u32,
    pub seed: u64,
    /// The programme's last day: nothing happens after it. Together with
    /// the seed and the years it fixes the data.
    pub until: NaiveDate,
}

/// Mixed into the seed for the generator of clients' sexes.
const SEXES: u64 = 0x5345_5845_5345_5845;

/// Most years one run may generate.
pub const MAX_YEARS: u32 = 30;

/// An active partner of the directory, as the generator needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerFacts {
    pub id: String,
    /// Countries served, each with its regions (empty: the whole country).
    pub areas: Vec<(String, Vec<String>)>,
    pub languages: Vec<String>,
    pub acknowledge_working_days: Option<i32>,
    pub decide_working_days: Option<i32>,
}

/// The programme's rules that shape the data (from the settings).
pub struct Rules<'a> {
    pub sla: &'a SlaSettings,
    pub checklist: &'a [ChecklistTemplateItem],
    pub monitoring_months: &'a [u32],
    pub model: &'a Model,
}

/// Every row of the generated programme, table by table.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Programme {
    pub users: Vec<User>,
    pub households: Vec<Household>,
    pub clients: Vec<Client>,
    pub talks: Vec<Talk>,
    pub talk_versions: Vec<TalkVersion>,
    pub consents: Vec<Consent>,
    pub return_cases: Vec<ReturnCase>,
    pub return_case_history: Vec<CaseHistory>,
    pub referrals: Vec<Referral>,
    pub referral_history: Vec<ReferralHistory>,
    pub checklist_items: Vec<ChecklistItem>,
    pub reintegration_plans: Vec<Plan>,
    pub reintegration_plan_items: Vec<PlanItem>,
    pub monitoring_visits: Vec<Visit>,
    pub sustainability_alerts: Vec<Alert>,
}

impl Programme {
    /// Rows per table, in the order they are written.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        vec![
            ("users", self.users.len()),
            ("user_roles", self.users.len()),
            ("households", self.households.len()),
            ("clients", self.clients.len()),
            ("talks", self.talks.len()),
            ("talk_versions", self.talk_versions.len()),
            ("consents", self.consents.len()),
            ("return_cases", self.return_cases.len()),
            ("return_case_history", self.return_case_history.len()),
            ("referrals", self.referrals.len()),
            ("referral_history", self.referral_history.len()),
            ("checklist_items", self.checklist_items.len()),
            ("reintegration_plans", self.reintegration_plans.len()),
            (
                "reintegration_plan_items",
                self.reintegration_plan_items.len(),
            ),
            ("monitoring_visits", self.monitoring_visits.len()),
            ("sustainability_alerts", self.sustainability_alerts.len()),
        ]
    }
}

/// A referral step the state machine does not allow from where the
/// referral stands: a bug in the generator, never in the data, so the run
/// fails rather than write a history the API could not have made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bug {
    from: ReferralStatus,
    action: Action,
}

/// What a generating step returns.
type Made<T> = Result<T, Bug>;

/// How a partner behaves, drawn once per partner.
#[derive(Clone, Copy)]
struct PartnerHabits {
    /// Typical hours to acknowledge.
    acknowledge_hours: f64,
    /// Typical days from acknowledgement to decision.
    decide_days: f64,
    decline_rate: f64,
    /// Share of monitoring visits the partner carries out.
    diligence: f64,
}

struct Generator<'a> {
    rng: Pcg64,
    /// Clients' sexes, drawn apart from `rng` (see `people`).
    sexes: Pcg64,
    options: Options,
    rules: &'a Rules<'a>,
    /// The first moment after the programme's last day.
    end: NaiveDateTime,
    partners: &'a [PartnerFacts],
    habits: Vec<PartnerHabits>,
    /// Per country: the partners serving it (indexes into `partners`).
    by_country: BTreeMap<String, Vec<usize>>,
    countries: Vec<(String, u32)>,
    counsellors: Vec<String>,
    caseworkers: Vec<String>,
    references: HashSet<String>,
    out: Programme,
}

/// Generates the programme. Fails only without partners to refer to (or
/// on a bug in the generator).
pub fn generate(
    options: Options,
    partners: &[PartnerFacts],
    rules: &Rules<'_>,
) -> Result<Programme, String> {
    if options.years == 0 || options.years > MAX_YEARS {
        return Err(format!("years must be from 1 to {MAX_YEARS}"));
    }
    let mut by_country: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, partner) in partners.iter().enumerate() {
        for (country, _) in &partner.areas {
            by_country.entry(country.clone()).or_default().push(index);
        }
    }
    if by_country.is_empty() {
        return Err(
            "the partner directory has no active partner: sync it first (brug partners sync)"
                .to_owned(),
        );
    }
    let mut rng = Pcg64::seed_from_u64(options.seed);
    let habits = partners
        .iter()
        .map(|_| PartnerHabits {
            acknowledge_hours: rng.gen_range(3.0..60.0),
            decide_days: rng.gen_range(1.0..9.0),
            decline_rate: rng.gen_range(0.04..0.25),
            diligence: rng.gen_range(0.7..0.98),
        })
        .collect();
    // A few countries of origin dominate, as in any programme.
    let countries = by_country
        .iter()
        .map(|(country, serving)| {
            let weight = if rng.gen_bool(0.2) {
                rng.gen_range(15..40)
            } else {
                rng.gen_range(2..10)
            };
            (country.clone(), weight * serving.len() as u32)
        })
        .collect();
    let end = day_start(options.until + Duration::days(1));
    let mut generator = Generator {
        rng,
        sexes: Pcg64::seed_from_u64(options.seed ^ SEXES),
        options,
        rules,
        end,
        partners,
        habits,
        by_country,
        countries,
        counsellors: Vec::new(),
        caseworkers: Vec::new(),
        references: HashSet::new(),
        out: Programme::default(),
    };
    generator.staff();
    generator.clients().map_err(|bug| {
        format!(
            "the demo generator tried to {} a referral that is {}: a bug in the generator",
            bug.action, bug.from
        )
    })?;
    Ok(generator.out)
}

fn day_start(date: NaiveDate) -> NaiveDateTime {
    date.and_time(NaiveTime::MIN)
}

fn pick<'t, T>(rng: &mut Pcg64, weighted: &'t [(T, u32)]) -> &'t T {
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut roll = rng.gen_range(0..total.max(1));
    for (item, weight) in weighted {
        if roll < *weight {
            return item;
        }
        roll -= weight;
    }
    &weighted[weighted.len() - 1].0
}

/// The clock and the ids: every moment and id comes from the seeded
/// generator, never from the machine's clock.
impl Generator<'_> {
    fn start(&self) -> NaiveDate {
        self.options.until - Duration::days(365 * i64::from(self.options.years) - 1)
    }

    /// A UUID v7 for a row made at `at`: ordered by time like real ids,
    /// random bits from the seeded generator.
    fn id(&mut self, at: NaiveDateTime) -> String {
        let millis = u64::try_from(at.and_utc().timestamp_millis()).unwrap_or(0);
        let bytes: [u8; 10] = self.rng.r#gen();
        uuid::Builder::from_unix_timestamp_millis(millis, &bytes)
            .into_uuid()
            .to_string()
    }

    /// A moment in office hours on `date`, in whole seconds.
    fn office(&mut self, date: NaiveDate) -> NaiveDateTime {
        let seconds = self.rng.gen_range(8 * 3600..18 * 3600);
        day_start(date) + Duration::seconds(seconds)
    }

    /// A moment `min..max` hours after `at`, moved into office hours.
    fn after_hours(&mut self, at: NaiveDateTime, min: f64, max: f64) -> NaiveDateTime {
        let hours = self.rng.gen_range(min..max);
        let raw = at + Duration::seconds((hours * 3600.0) as i64);
        if raw.date() == at.date()
            && raw.time().signed_duration_since(NaiveTime::MIN).num_hours() < 18
        {
            return raw;
        }
        let office = self.office(raw.date());
        office.max(at + Duration::seconds(60))
    }

    fn after_days(&mut self, at: NaiveDateTime, min: i64, max: i64) -> NaiveDateTime {
        let days = self.rng.gen_range(min..=max);
        let date = at.date() + Duration::days(days);
        let moment = self.office(date);
        moment.max(at + Duration::seconds(60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partners() -> Vec<PartnerFacts> {
        let partner = |id: &str, country: &str, regions: &[&str]| PartnerFacts {
            id: id.to_owned(),
            areas: vec![(
                country.to_owned(),
                regions.iter().map(|r| (*r).to_owned()).collect(),
            )],
            languages: vec!["en".to_owned(), "tw".to_owned()],
            acknowledge_working_days: None,
            decide_working_days: Some(5),
        };
        vec![
            partner("accra", "GH", &["GH-AA"]),
            partner("kumasi", "GH", &[]),
            partner("kabul", "AF", &[]),
        ]
    }

    fn run(seed: u64) -> Programme {
        let model = Model::load(None).expect("model");
        let sla = SlaSettings::default();
        let checklist = crate::referrals::default_checklist();
        let rules = Rules {
            sla: &sla,
            checklist: &checklist,
            monitoring_months: &[1, 3, 6, 12],
            model: &model,
        };
        let options = Options {
            years: 2,
            seed,
            until: NaiveDate::from_ymd_opt(2026, 6, 30).expect("date"),
        };
        generate(options, &partners(), &rules).expect("generated")
    }

    #[test]
    fn the_same_seed_gives_the_same_programme_and_another_seed_another() {
        let first = run(7);
        assert_eq!(first, run(7));
        assert_ne!(first.clients, run(8).clients);
    }

    #[test]
    fn the_programme_keeps_the_rules() {
        let p = run(3);
        let until = NaiveDate::from_ymd_opt(2026, 6, 30).expect("date");
        assert!(p.clients.len() > 3000);
        let ids: HashSet<&str> = p.clients.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids.len(), p.clients.len(), "ids are unique");
        assert!(p.talks.iter().all(|t| t.content.held_on <= until));
        assert!(
            p.talks
                .iter()
                .all(|t| t.content.next_talk_on.is_none_or(|n| n > t.content.held_on))
        );
        // One open referral per case at most, and history that follows the machine.
        let mut open: BTreeMap<&str, usize> = BTreeMap::new();
        for r in &p.referrals {
            if r.status.is_open() {
                *open.entry(r.return_case_id.as_str()).or_default() += 1;
            }
            assert!(r.arrived_on.is_none_or(|a| Some(a) >= r.departed_on));
        }
        assert!(open.values().all(|n| *n == 1));
        let mut last: BTreeMap<&str, ReferralStatus> = BTreeMap::new();
        for h in &p.referral_history {
            let next = match last.get(h.referral_id.as_str()) {
                None => {
                    assert_eq!(h.status, ReferralStatus::Requested);
                    continue_with(&mut last, h);
                    continue;
                }
                Some(from) => *from,
            };
            assert!(
                crate::referrals::TRANSITIONS
                    .iter()
                    .any(|(f, _, t)| *f == next && *t == h.status),
                "{next:?} -> {:?}",
                h.status
            );
            continue_with(&mut last, h);
        }
        for r in &p.referrals {
            assert_eq!(last.get(r.id.as_str()), Some(&r.status));
        }
        // History never goes back in time, and each step is taken by whom it belongs to.
        let mut at: BTreeMap<&str, NaiveDateTime> = BTreeMap::new();
        for h in &p.referral_history {
            if let Some(before) = at.insert(h.referral_id.as_str(), h.at) {
                assert!(h.at >= before, "{h:?}");
            }
            let by = match h.status {
                ReferralStatus::Received | ReferralStatus::Accepted | ReferralStatus::Rejected => {
                    "partner"
                }
                ReferralStatus::Requested => "staff",
                _ => h.by_type,
            };
            assert_eq!(h.by_type, by, "{h:?}");
        }
        // A plan comes after acceptance and before the referral was cancelled.
        let by_id: BTreeMap<&str, &Referral> =
            p.referrals.iter().map(|r| (r.id.as_str(), r)).collect();
        for plan in &p.reintegration_plans {
            let referral = by_id[plan.referral_id.as_str()];
            assert!(referral.decided_at.is_some_and(|d| plan.submitted_at > d));
            if referral.status == ReferralStatus::Cancelled {
                let closed = referral.closed_at.expect("a cancelled referral is closed");
                assert!(plan.submitted_at <= closed, "{plan:?}");
                assert!(plan.decided_at.is_none_or(|d| d <= closed), "{plan:?}");
            }
        }
        // Declines are re-routed to another partner.
        assert!(
            p.referrals
                .iter()
                .any(|r| r.status == ReferralStatus::Rejected)
        );
        assert!(p.referrals.len() > p.return_cases.len() / 2);
        let done: Vec<&VisitReport> = p
            .monitoring_visits
            .iter()
            .filter_map(|v| v.done.as_ref())
            .collect();
        assert!(!done.is_empty());
        assert!(
            done.iter()
                .all(|v| (0.0..=1.0).contains(&v.overall) && v.held_on <= until)
        );
    }

    fn continue_with<'p>(last: &mut BTreeMap<&'p str, ReferralStatus>, h: &'p ReferralHistory) {
        last.insert(h.referral_id.as_str(), h.status);
    }
}
