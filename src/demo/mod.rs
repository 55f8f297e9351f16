//! Demo data: a synthetic return programme over the shipped partner
//! directory, for trying Brug out and for benchmarks (`brug demo-data`).
//!
//! The generator here is pure and deterministic: the same seed, number of
//! years and last day (`until`) over the same partners give the same rows,
//! ids included (ids are UUID v7 built from each row's own time and the
//! seeded generator, not from the clock). Everyone in it is invented: names
//! come from the short lists below, never from real people. [`store`]
//! writes the rows.
//!
//! Every step follows the rules that the API enforces (the referral state
//! machine, one open referral per case, consent before a referral, arrival
//! after departure, monitoring after arrival), and every row has the form
//! the stores write (stored lists, history rows, timestamps in whole
//! seconds), so the reports read it as they read real data.

pub mod store;

use std::collections::{BTreeMap, HashSet};

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use rand::Rng;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_pcg::Pcg64;

use crate::config::SlaSettings;
use crate::monitoring::store::GRACE_DAYS;
use crate::monitoring::{Model, schedule};
use crate::referrals::{ChecklistOwner, ChecklistTemplateItem, ReferralStatus, add_working_days};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub years: u32,
    pub seed: u64,
    /// The programme's last day: nothing happens after it. Together with
    /// the seed and the years it fixes the data.
    pub until: NaiveDate,
}

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

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: &'static str,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Household {
    pub id: String,
    pub label: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub id: String,
    pub reference: String,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: NaiveDate,
    pub country_of_origin: String,
    /// Stored list (comma-separated).
    pub languages: String,
    pub v_number: Option<String>,
    pub location: Option<String>,
    pub household_id: Option<String>,
    pub counsellor_id: String,
    pub latest_intention: Option<&'static str>,
    pub latest_intention_on: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A talk's content, as in `talks` and in `talk_versions`.
#[derive(Debug, Clone, PartialEq)]
pub struct TalkContent {
    pub held_on: NaiveDate,
    pub mode: &'static str,
    /// Stored list, in the order given.
    pub topics: String,
    pub intention: &'static str,
    pub interpreter_language: Option<String>,
    pub duration_minutes: i32,
    pub notes: Option<&'static str>,
    pub next_talk_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Talk {
    pub id: String,
    pub client_id: String,
    pub counsellor_id: String,
    pub content: TalkContent,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TalkVersion {
    pub talk_id: String,
    pub version: i32,
    pub content: TalkContent,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Consent {
    pub id: String,
    pub client_id: String,
    /// Stored list, sorted as the store sorts it.
    pub data_categories: String,
    pub partner_id: Option<String>,
    pub country: Option<String>,
    pub given_on: NaiveDate,
    pub method: &'static str,
    pub language: String,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawn_by: Option<String>,
    pub withdrawal_reason: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReturnCase {
    pub id: String,
    pub client_id: String,
    pub talk_id: Option<String>,
    pub destination_country: String,
    pub destination_region: Option<String>,
    pub needs: String,
    pub household_member_ids: String,
    pub planned_departure_on: NaiveDate,
    pub status: &'static str,
    pub opened_by: String,
    pub opened_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CaseHistory {
    pub return_case_id: String,
    pub seq: i32,
    pub at: NaiveDateTime,
    pub actor_type: &'static str,
    pub actor_id: String,
    pub change: String,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Referral {
    pub id: String,
    pub return_case_id: String,
    pub partner_id: String,
    pub consent_id: String,
    pub status: ReferralStatus,
    pub sent_at: NaiveDateTime,
    pub sent_by: String,
    pub acknowledge_due_on: NaiveDate,
    pub decide_due_on: NaiveDate,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub departed_on: Option<NaiveDate>,
    pub arrived_on: Option<NaiveDate>,
    pub closed_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    pub arrival_received: Option<bool>,
    pub outcome: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReferralHistory {
    pub referral_id: String,
    pub seq: i32,
    pub status: ReferralStatus,
    pub at: NaiveDateTime,
    pub by_type: &'static str,
    pub by_id: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistItem {
    pub id: String,
    pub referral_id: String,
    pub position: i32,
    pub kind: String,
    pub owner: &'static str,
    pub due_on: NaiveDate,
    pub status: &'static str,
    pub updated_at: NaiveDateTime,
    pub updated_by_type: &'static str,
    pub updated_by_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub referral_id: String,
    pub status: &'static str,
    pub version: i32,
    pub submitted_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<String>,
    pub comment: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanItem {
    pub referral_id: String,
    pub position: i32,
    pub need: &'static str,
    pub support: &'static str,
    pub amount: f64,
    pub currency: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    pub id: String,
    pub referral_id: String,
    pub months_after_arrival: i32,
    pub due_on: NaiveDate,
    pub done: Option<VisitReport>,
    /// When the partner was told the visit was due: on its due date, for
    /// every visit due by `until` (history, not news for the worker).
    pub due_announced_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VisitReport {
    pub held_on: NaiveDate,
    pub mode: &'static str,
    pub model_version: String,
    /// The answers as the store keeps them: a JSON object.
    pub answers: String,
    pub economic: f64,
    pub social: f64,
    pub psychosocial: f64,
    pub overall: f64,
    pub reported_at: NaiveDateTime,
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
        ]
    }
}

// Invented names: common given names and made-up family names, so that no
// row describes a real person.
const GIVEN_NAMES: &[&str] = &[
    "Amina", "Yusuf", "Fatima", "Omar", "Mariam", "Ali", "Leila", "Samir", "Nadia", "Karim",
    "Aisha", "Hassan", "Zainab", "Ibrahim", "Sara", "Ahmed", "Hana", "Tariq", "Layla", "Bilal",
    "Grace", "Kwame", "Esi", "Kofi", "Abena", "Tesfaye", "Meron", "Dawit", "Selam", "Nino",
    "Giorgi", "Ana", "Levan", "Arben", "Drita", "Elira", "Besnik", "Farid", "Parisa", "Reza",
];
const FAMILY_NAMES: &[&str] = &[
    "Voorbeeld",
    "Testerada",
    "Demovanger",
    "Samplewala",
    "Fictivi",
    "Exemplo",
    "Proefmans",
    "Placeholda",
    "Mockaru",
    "Dummani",
    "Synthezon",
    "Invento",
    "Imaginar",
    "Modelbeeld",
    "Specimo",
    "Patronel",
    "Typeerda",
    "Fictaveld",
    "Kladaro",
    "Ontwerpi",
    "Schetsani",
    "Probaro",
    "Essaiprobe",
    "Monsterveld",
    "Vormani",
];
const STAFF_GIVEN: &[&str] = &[
    "Anouk",
    "Bram",
    "Charlotte",
    "Daan",
    "Eva",
    "Floor",
    "Gijs",
    "Hanneke",
    "Ilse",
    "Joris",
    "Karlijn",
    "Lars",
    "Merel",
    "Niels",
    "Olga",
    "Pieter",
    "Roos",
    "Sander",
    "Tamara",
    "Wouter",
];
const STAFF_FAMILY: &[&str] = &[
    "Demo",
    "Voorbeeld",
    "Proef",
    "Model",
    "Schets",
    "Ontwerp",
    "Patroon",
    "Oefen",
];
const LOCATIONS: &[&str] = &[
    "Ter Apel",
    "Budel",
    "Zweeloo",
    "Amsterdam",
    "Utrecht",
    "Rotterdam",
    "Den Haag",
    "Groningen",
    "Zwolle",
    "Arnhem",
];

const TALK_MODES: &[(&str, u32)] = &[("in_person", 60), ("phone", 25), ("video", 15)];
const FINAL_INTENTIONS: &[(&str, u32)] = &[
    ("return", 42),
    ("continue_procedure", 22),
    ("stay_without_status", 11),
    ("onward_migration", 8),
    ("undecided", 12),
    ("declined_to_say", 5),
];
const EARLY_INTENTIONS: &[(&str, u32)] = &[
    ("undecided", 55),
    ("continue_procedure", 30),
    ("declined_to_say", 15),
];
const NEEDS: &[&str] = &[
    "housing",
    "income",
    "education",
    "medical",
    "psychosocial",
    "legal_documents",
    "family_tracing",
];
const DECLINE_REASONS: &[&str] = &[
    "No capacity in the region at the moment.",
    "The destination region is outside our service area.",
    "We cannot meet the medical needs described.",
    "Our reintegration budget for this quarter is spent.",
];
const OUTCOMES: &[(&str, u32)] = &[
    ("completed", 78),
    ("lost_contact", 10),
    ("re_migrated", 6),
    ("withdrew", 5),
    ("deceased", 1),
];

/// The support a partner offers for a need, and the budget range in EUR.
fn support_for(need: &str) -> (&'static str, f64, f64) {
    match need {
        "housing" => ("Rent support for the first six months", 600.0, 1800.0),
        "income" => ("Start-up grant for a small business", 800.0, 2500.0),
        "education" => ("Vocational training course", 300.0, 1200.0),
        "medical" => ("Medical follow-up and medication", 200.0, 1500.0),
        "psychosocial" => ("Counselling sessions", 150.0, 600.0),
        "legal_documents" => ("Help to obtain civil documents", 50.0, 300.0),
        _ => ("Family tracing and mediation", 100.0, 400.0),
    }
}

/// What a client ends up wanting, and how a referral ends after arrival.
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

/// Generates the programme. Fails only without partners to refer to.
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
    generator.clients();
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

    fn staff(&mut self) {
        let created = self.office(self.start() - Duration::days(7));
        let roles: [(&'static str, usize); 3] =
            [("counsellor", 14), ("caseworker", 8), ("lead", 2)];
        let mut n = 0;
        for (role, count) in roles {
            for _ in 0..count {
                n += 1;
                let given = STAFF_GIVEN[self.rng.gen_range(0..STAFF_GIVEN.len())];
                let family = STAFF_FAMILY[self.rng.gen_range(0..STAFF_FAMILY.len())];
                let id = self.id(created);
                let email = format!(
                    "{}.{}.{n:02}@example.org",
                    given.to_lowercase(),
                    family.to_lowercase()
                );
                match role {
                    "counsellor" => self.counsellors.push(id.clone()),
                    "caseworker" => self.caseworkers.push(id.clone()),
                    _ => {}
                }
                self.out.users.push(User {
                    id,
                    email,
                    name: format!("{given} {family}"),
                    role,
                    created_at: created,
                });
            }
        }
    }

    fn reference(&mut self) -> String {
        const ALPHABET: &[u8] = crate::clients::REFERENCE_ALPHABET;
        loop {
            let code: String = (0..5)
                .map(|_| ALPHABET[self.rng.gen_range(0..ALPHABET.len())] as char)
                .collect();
            let reference = format!("{}{code}", crate::clients::REFERENCE_PREFIX);
            if self.references.insert(reference.clone()) {
                return reference;
            }
        }
    }

    fn clients(&mut self) {
        let start = self.start();
        // Registrations per year vary and grow a little; sorted by date so
        // that ids follow time.
        let mut registrations = Vec::new();
        for year in 0..self.options.years {
            let count = self.rng.gen_range(1500..2000) + year * 20;
            for _ in 0..count {
                let offset = i64::from(year) * 365 + self.rng.gen_range(0..365);
                registrations.push(start + Duration::days(offset));
            }
        }
        registrations.sort();
        for date in registrations {
            if date <= self.options.until {
                self.client(date);
            }
        }
    }

    fn person(
        &mut self,
        registered: NaiveDateTime,
        country: &str,
        family: &str,
        age: std::ops::Range<i64>,
        languages: &str,
        counsellor: &str,
    ) -> Client {
        let given = GIVEN_NAMES[self.rng.gen_range(0..GIVEN_NAMES.len())];
        let born =
            registered.date() - Duration::days(self.rng.gen_range(age.start * 365..age.end * 365));
        let v_number = self.rng.gen_bool(0.7).then(|| {
            format!(
                "{:010}",
                self.rng.gen_range(1_000_000_000u64..9_999_999_999)
            )
        });
        let location = self
            .rng
            .gen_bool(0.8)
            .then(|| LOCATIONS[self.rng.gen_range(0..LOCATIONS.len())].to_owned());
        Client {
            id: self.id(registered),
            reference: self.reference(),
            given_name: given.to_owned(),
            family_name: family.to_owned(),
            date_of_birth: born,
            country_of_origin: country.to_owned(),
            languages: languages.to_owned(),
            v_number,
            location,
            household_id: None,
            counsellor_id: counsellor.to_owned(),
            latest_intention: None,
            latest_intention_on: None,
            created_at: registered,
            updated_at: registered,
        }
    }

    /// One client's path through the programme, cut off at the last day.
    fn client(&mut self, date: NaiveDate) {
        let country = pick(&mut self.rng, &self.countries).clone();
        let serving = self.by_country.get(&country).cloned().unwrap_or_default();
        let mut spoken: Vec<String> = serving
            .iter()
            .flat_map(|p| self.partners[*p].languages.iter().cloned())
            .collect();
        spoken.sort();
        spoken.dedup();
        let mut languages = Vec::new();
        if let Some(first) = spoken.choose(&mut self.rng) {
            languages.push(first.clone());
        }
        if self.rng.gen_bool(0.4) {
            let second = if self.rng.gen_bool(0.5) { "en" } else { "nl" };
            if !languages.iter().any(|l| l == second) {
                languages.push(second.to_owned());
            }
        }
        if languages.is_empty() {
            languages.push("en".to_owned());
        }
        let counsellor = self.counsellors[self.rng.gen_range(0..self.counsellors.len())].clone();
        let family = FAMILY_NAMES[self.rng.gen_range(0..FAMILY_NAMES.len())];
        let registered = self.office(date);
        let mut client = self.person(
            registered,
            &country,
            family,
            18..60,
            &languages.join(","),
            &counsellor,
        );
        let return_talk = self.talks(&mut client, &languages);
        let index = self.out.clients.len();
        self.out.clients.push(client);
        if let Some((talk_id, said_on)) = return_talk {
            self.case(index, &talk_id, said_on, &serving);
        }
    }

    /// The client's talks; returns the talk where a lasting wish to return
    /// was stated, if any.
    fn talks(
        &mut self,
        client: &mut Client,
        languages: &[String],
    ) -> Option<(String, NaiveDateTime)> {
        let count = *pick(
            &mut self.rng,
            &[(1usize, 20), (2, 25), (3, 22), (4, 15), (5, 10), (6, 8)],
        );
        let last = *pick(&mut self.rng, FINAL_INTENTIONS);
        // Some say they want to return, then change their mind.
        let reverts = last == "return" && count >= 3 && self.rng.gen_bool(0.08);
        let mut intentions: Vec<&'static str> = (0..count)
            .map(|_| *pick(&mut self.rng, EARLY_INTENTIONS))
            .collect();
        intentions[count - 1] = last;
        if last == "return" && count >= 3 && self.rng.gen_bool(0.4) {
            intentions[count - 2] = "return";
        }
        if reverts {
            intentions[count - 2] = "return";
            intentions[count - 1] = "continue_procedure";
        }
        let mut dates = vec![client.created_at.date()];
        for _ in 1..count {
            let previous = dates[dates.len() - 1];
            dates.push(previous + Duration::days(self.rng.gen_range(10..43)));
        }
        let interpreter = languages
            .iter()
            .find(|l| l.as_str() != "nl" && l.as_str() != "en")
            .cloned();
        let mut first_return = None;
        for (i, (held_on, intention)) in dates.iter().zip(&intentions).enumerate() {
            if *held_on > self.options.until {
                break;
            }
            let next = dates.get(i + 1).copied();
            let mode = *pick(&mut self.rng, TALK_MODES);
            let mut topics: Vec<&str> = Vec::new();
            topics.push(match *intention {
                "return" => "return",
                "continue_procedure" => "legal_options",
                "onward_migration" => "onward_migration",
                "stay_without_status" => "stay_without_status",
                _ => "wellbeing",
            });
            for _ in 0..self.rng.gen_range(0..3) {
                let extra = [
                    "housing",
                    "health",
                    "family",
                    "work_and_income",
                    "documents",
                    "legal_options",
                    "return",
                ][self.rng.gen_range(0..7)];
                if !topics.contains(&extra) {
                    topics.push(extra);
                }
            }
            let content = TalkContent {
                held_on: *held_on,
                mode,
                topics: topics.join(","),
                intention,
                interpreter_language: interpreter.clone().filter(|_| self.rng.gen_bool(0.6)),
                duration_minutes: 5 * self.rng.gen_range(6..19),
                notes: None,
                next_talk_on: next.filter(|n| *n > *held_on),
            };
            let created_at = if i == 0 {
                client.created_at + Duration::seconds(self.rng.gen_range(300..3600))
            } else {
                self.office(*held_on)
            };
            let id = self.id(created_at);
            let mut talk = Talk {
                id: id.clone(),
                client_id: client.id.clone(),
                counsellor_id: client.counsellor_id.clone(),
                content,
                version: 1,
                created_at,
                updated_at: created_at,
            };
            // A few talks are amended the next day (a longer talk than
            // first written down); the version replaced is kept.
            let amended_at = self.office(*held_on + Duration::days(1));
            if self.rng.gen_bool(0.05) && amended_at < self.end {
                self.out.talk_versions.push(TalkVersion {
                    talk_id: id.clone(),
                    version: 1,
                    content: talk.content.clone(),
                    recorded_by: talk.counsellor_id.clone(),
                    recorded_at: talk.updated_at,
                });
                talk.content.duration_minutes = (talk.content.duration_minutes + 15).min(480);
                talk.version = 2;
                talk.updated_at = amended_at;
            }
            client.latest_intention = Some(intention);
            client.latest_intention_on = Some(*held_on);
            client.updated_at = client.updated_at.max(talk.updated_at);
            if *intention == "return" && first_return.is_none() && !reverts {
                first_return = Some((id, created_at));
            }
            self.out.talks.push(talk);
        }
        first_return
    }

    /// The return case of client `index`, its consent and referrals.
    fn case(&mut self, index: usize, talk_id: &str, said_at: NaiveDateTime, serving: &[usize]) {
        // Most who want to return get a case; some drop out before.
        if !self.rng.gen_bool(0.88) {
            return;
        }
        let opened_at = self.after_days(said_at, 2, 20);
        if opened_at >= self.end {
            return;
        }
        let caseworker = self.caseworkers[self.rng.gen_range(0..self.caseworkers.len())].clone();
        let client = self.out.clients[index].clone();
        // Families return together: the household members are clients too.
        let mut members = Vec::new();
        if self.rng.gen_bool(0.12) {
            let household_at = opened_at - Duration::seconds(self.rng.gen_range(600..7200));
            let household_id = self.id(household_at);
            self.out.households.push(Household {
                id: household_id.clone(),
                label: format!("Household {}", client.family_name),
                created_by: client.counsellor_id.clone(),
                created_at: household_at,
            });
            for _ in 0..self.rng.gen_range(1..5) {
                let age = if self.rng.gen_bool(0.7) {
                    1..17
                } else {
                    18..60
                };
                let at = household_at - Duration::seconds(self.rng.gen_range(600..3600));
                let mut member = self.person(
                    at,
                    &client.country_of_origin,
                    &client.family_name,
                    age,
                    &client.languages,
                    &client.counsellor_id,
                );
                member.household_id = Some(household_id.clone());
                member.updated_at = household_at;
                members.push(member.id.clone());
                self.out.clients.push(member);
            }
            let owner = &mut self.out.clients[index];
            owner.household_id = Some(household_id);
            owner.updated_at = owner.updated_at.max(household_at);
        }
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
        let mut needs: Vec<&'static str> = NEEDS
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
            needs: needs.join(","),
            household_member_ids: members.join(","),
            planned_departure_on: planned,
            status: "open",
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
            return;
        }
        let mut order: Vec<usize> = serving.to_vec();
        order.shuffle(&mut self.rng);
        let consent_at = self.after_hours(opened_at, 0.2, 3.0);
        if consent_at >= self.end {
            self.out.return_case_history.extend(trail.case_rows);
            return;
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
            );
            match ended {
                Ended::Declined(at) => previous = at,
                Ended::Stopped => break,
            }
        }
        self.out.return_case_history.extend(trail.case_rows);
    }

    fn consent(
        &mut self,
        client: &Client,
        members: &[String],
        needs: &[&str],
        scope: Scope<'_>,
        caseworker: &str,
        at: NaiveDateTime,
    ) -> usize {
        // In the store's order (sorted as the enum is declared).
        let mut categories = vec!["identity", "contact"];
        if !members.is_empty() {
            categories.push("family");
        }
        if needs.contains(&"medical") || self.rng.gen_bool(0.3) {
            categories.push("health");
        }
        categories.push("needs");
        if self.rng.gen_bool(0.6) {
            categories.push("travel_documents");
        }
        let (partner_id, country) = match scope {
            Scope::Country(c) => (None, Some(c.to_owned())),
            Scope::Partner(p) => (Some(p.to_owned()), None),
        };
        let language = client
            .languages
            .split(',')
            .next()
            .unwrap_or("en")
            .to_owned();
        let consent = Consent {
            id: self.id(at),
            client_id: client.id.clone(),
            data_categories: categories.join(","),
            partner_id,
            country,
            given_on: at.date(),
            method: if self.rng.gen_bool(0.75) {
                "written"
            } else {
                "verbal_witnessed"
            },
            language,
            recorded_by: caseworker.to_owned(),
            recorded_at: at,
            withdrawn_at: None,
            withdrawn_by: None,
            withdrawal_reason: None,
        };
        self.out.consents.push(consent);
        self.out.consents.len() - 1
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
    ) -> Ended {
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
        );
        self.out.referrals.push(referral);
        self.out.referral_history.append(&mut trail.referral_rows);
        ended
    }

    /// Moves a sent referral on through the state machine.
    #[allow(clippy::too_many_arguments)]
    fn follow(
        &mut self,
        trail: &mut Trail,
        referral: &mut Referral,
        case: &ReturnCase,
        habits: PartnerHabits,
        consent_index: usize,
        caseworker: &str,
    ) -> Ended {
        let partner_id = referral.partner_id.clone();
        let acknowledged_at = {
            let typical = habits.acknowledge_hours;
            self.after_hours(referral.sent_at, typical * 0.2, typical * 3.0)
        };
        if acknowledged_at >= self.end {
            return Ended::Stopped;
        }
        self.step(
            trail,
            referral,
            ReferralStatus::Received,
            "partner",
            &partner_id,
            None,
            acknowledged_at,
        );
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
            return Ended::Stopped;
        }
        referral.decided_at = Some(decided_at);
        if self.rng.gen_bool(habits.decline_rate) {
            let reason = DECLINE_REASONS[self.rng.gen_range(0..DECLINE_REASONS.len())];
            self.step(
                trail,
                referral,
                ReferralStatus::Rejected,
                "partner",
                &partner_id,
                Some(reason),
                decided_at,
            );
            trail.case(
                "partner",
                &partner_id,
                "referral_rejected",
                Some(reason),
                decided_at,
            );
            return Ended::Declined(decided_at);
        }
        self.step(
            trail,
            referral,
            ReferralStatus::Accepted,
            "partner",
            &partner_id,
            None,
            decided_at,
        );
        trail.case(
            "partner",
            &partner_id,
            "referral_accepted",
            None,
            decided_at,
        );
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
                owner: item.owner.as_str(),
                due_on,
                status: "open",
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
                self.cancel(trail, referral, caseworker, reason, at);
                return Ended::Stopped;
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
                self.cancel(trail, referral, caseworker, reason, at);
            }
            return Ended::Stopped;
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
            return Ended::Stopped;
        }
        referral.departed_on = Some(departed_on);
        self.step(
            trail,
            referral,
            ReferralStatus::InProgress,
            "staff",
            caseworker,
            None,
            departed_at,
        );
        trail.case(
            "staff",
            caseworker,
            "referral_in_progress",
            None,
            departed_at,
        );

        let arrived_on =
            departed_on + Duration::days(*pick(&mut self.rng, &[(0i64, 70), (1, 28), (2, 2)]));
        let confirmed_at = self
            .after_days(day_start(arrived_on), 0, 4)
            .max(departed_at + Duration::hours(1));
        if confirmed_at >= self.end {
            return Ended::Stopped;
        }
        referral.arrived_on = Some(arrived_on);
        referral.arrival_received = Some(self.rng.gen_bool(0.96));
        referral.updated_at = confirmed_at;
        trail.case("partner", &partner_id, "arrived", None, confirmed_at);
        self.monitoring(trail, referral, habits, arrived_on, confirmed_at);
        Ended::Stopped
    }

    /// The caseworker cancels the referral, closing it, with the case's history.
    fn cancel(
        &mut self,
        trail: &mut Trail,
        referral: &mut Referral,
        caseworker: &str,
        reason: &str,
        at: NaiveDateTime,
    ) {
        self.step(
            trail,
            referral,
            ReferralStatus::Cancelled,
            "staff",
            caseworker,
            Some(reason),
            at,
        );
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
                plan.status = "submitted";
                plan.decided_at = None;
                plan.decided_by = None;
                plan.comment = None;
            }
        }
    }

    /// Appends a referral history row and moves the status.
    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        trail: &mut Trail,
        referral: &mut Referral,
        to: ReferralStatus,
        by_type: &'static str,
        by: &str,
        reason: Option<&str>,
        at: NaiveDateTime,
    ) {
        referral.status = to;
        referral.updated_at = at;
        trail.referral(to, by_type, by, reason, at);
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
                "not_applicable"
            } else {
                "done"
            };
            item.updated_at = at;
            if item.owner == ChecklistOwner::Partner.as_str() {
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
            let (support, low, high) = support_for(need);
            let amount = (self.rng.gen_range(low..high) / 10.0).round() * 10.0;
            let need = NEEDS
                .iter()
                .copied()
                .find(|n| *n == need)
                .unwrap_or("housing");
            self.out.reintegration_plan_items.push(PlanItem {
                referral_id: referral.id.clone(),
                position: i32::try_from(position).unwrap_or(i32::MAX),
                need,
                support,
                amount,
                currency: "EUR",
            });
        }
        let mut plan = Plan {
            referral_id: referral.id.clone(),
            status: "submitted",
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
                plan.status = "returned";
                plan.decided_at = Some(decided_at);
                plan.decided_by = Some(caseworker.to_owned());
                plan.comment = Some("Please add the budget breakdown per month.");
                let again = self.after_days(decided_at, 2, 10);
                if again < self.end {
                    plan.status = "submitted";
                    plan.version = 2;
                    plan.submitted_at = again;
                    plan.decided_at = None;
                    plan.decided_by = None;
                    let approved = self.after_days(again, 1, 5);
                    if approved < self.end {
                        plan.status = "approved";
                        plan.decided_at = Some(approved);
                        plan.decided_by = Some(caseworker.to_owned());
                        plan.comment = None;
                    }
                }
            } else if self.rng.gen_bool(0.97) {
                plan.status = "approved";
                plan.decided_at = Some(decided_at);
                plan.decided_by = Some(caseworker.to_owned());
            }
        }
        self.out.reintegration_plans.push(plan);
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
    ) {
        let outcome = *pick(&mut self.rng, OUTCOMES);
        // Wellbeing from 0 to 1: where the person starts, and how it moves
        // per month; those who leave again or lose contact fare worse.
        let base: f64 = self.rng.gen_range(0.25..0.6);
        let trend = match outcome {
            "completed" => self.rng.gen_range(0.01..0.04),
            "re_migrated" | "deceased" => self.rng.gen_range(-0.04..-0.005),
            _ => self.rng.gen_range(-0.015..0.015),
        };
        // When the path ends, in months after arrival.
        let ends_after = match outcome {
            "completed" if self.rng.gen_bool(0.2) => 6,
            "completed" => 12,
            "lost_contact" => *[1u32, 3, 6].choose(&mut self.rng).unwrap_or(&3),
            "re_migrated" | "withdrew" => *[3u32, 6].choose(&mut self.rng).unwrap_or(&3),
            _ => self.rng.gen_range(1..12),
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
                && !(outcome == "lost_contact" && month == ends_after)
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
            "lost_contact" => self.after_days(anchor, 20, 60),
            _ => self.after_days(anchor, 1, 20),
        };
        if closed_at >= self.end {
            return;
        }
        let status = match outcome {
            "completed" => ReferralStatus::Completed,
            "withdrew" => ReferralStatus::Cancelled,
            _ => ReferralStatus::Failed,
        };
        self.step(
            trail,
            referral,
            status,
            "partner",
            &partner_id,
            Some(outcome),
            closed_at,
        );
        referral.closed_at = Some(closed_at);
        referral.outcome = Some(outcome);
        trail.case(
            "partner",
            &partner_id,
            &format!("referral_{}", status.as_str()),
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
            case.status = "closed";
            case.closed_at = Some(closed_at);
            case.updated_at = closed_at;
        }
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
            mode,
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

enum Scope<'s> {
    Country(&'s str),
    Partner(&'s str),
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
struct Trail {
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

    fn case(
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
