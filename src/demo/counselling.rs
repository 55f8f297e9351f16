//! Counselling: the talks in which a client's intention takes shape, and
//! the consent to share data with a partner once a case is opened.

use chrono::{Duration, NaiveDateTime};
use rand::Rng;

use super::{Client, Consent, Generator, Talk, TalkContent, TalkVersion, pick};
use crate::cases::Need;
use crate::consent::{ConsentMethod, DataCategory};
use crate::talks::{Intention, TalkMode, Topic};

/// How talks (and monitoring visits) are held, and how often.
pub(super) const TALK_MODES: &[(TalkMode, u32)] = &[
    (TalkMode::InPerson, 60),
    (TalkMode::Phone, 25),
    (TalkMode::Video, 15),
];
const FINAL_INTENTIONS: &[(Intention, u32)] = &[
    (Intention::Return, 42),
    (Intention::ContinueProcedure, 22),
    (Intention::StayWithoutStatus, 11),
    (Intention::OnwardMigration, 8),
    (Intention::Undecided, 12),
    (Intention::DeclinedToSay, 5),
];
const EARLY_INTENTIONS: &[(Intention, u32)] = &[
    (Intention::Undecided, 55),
    (Intention::ContinueProcedure, 30),
    (Intention::DeclinedToSay, 15),
];
/// Topics that come up besides the one the intention brings.
const OTHER_TOPICS: [Topic; 7] = [
    Topic::Housing,
    Topic::Health,
    Topic::Family,
    Topic::WorkAndIncome,
    Topic::Documents,
    Topic::LegalOptions,
    Topic::Return,
];

/// Whom a consent lets the caseworker refer to.
pub(super) enum Scope<'s> {
    Country(&'s str),
    Partner(&'s str),
}

impl Generator<'_> {
    /// The client's talks; returns the talk where a lasting wish to return
    /// was stated, if any.
    pub(super) fn talks(
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
        let reverts = last == Intention::Return && count >= 3 && self.rng.gen_bool(0.08);
        let mut intentions: Vec<Intention> = (0..count)
            .map(|_| *pick(&mut self.rng, EARLY_INTENTIONS))
            .collect();
        intentions[count - 1] = last;
        if last == Intention::Return && count >= 3 && self.rng.gen_bool(0.4) {
            intentions[count - 2] = Intention::Return;
        }
        if reverts {
            intentions[count - 2] = Intention::Return;
            intentions[count - 1] = Intention::ContinueProcedure;
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
            let mut topics: Vec<Topic> = Vec::new();
            topics.push(match *intention {
                Intention::Return => Topic::Return,
                Intention::ContinueProcedure => Topic::LegalOptions,
                Intention::OnwardMigration => Topic::OnwardMigration,
                Intention::StayWithoutStatus => Topic::StayWithoutStatus,
                Intention::Undecided | Intention::DeclinedToSay => Topic::Wellbeing,
            });
            for _ in 0..self.rng.gen_range(0..3) {
                let extra = OTHER_TOPICS[self.rng.gen_range(0..OTHER_TOPICS.len())];
                if !topics.contains(&extra) {
                    topics.push(extra);
                }
            }
            let topics: Vec<&str> = topics.iter().map(|t| t.as_str()).collect();
            let content = TalkContent {
                held_on: *held_on,
                mode,
                topics: topics.join(","),
                intention: *intention,
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
            client.latest_intention = Some(intention.as_str());
            client.latest_intention_on = Some(*held_on);
            client.updated_at = client.updated_at.max(talk.updated_at);
            if *intention == Intention::Return && first_return.is_none() && !reverts {
                first_return = Some((id, created_at));
            }
            self.out.talks.push(talk);
        }
        first_return
    }

    /// The consent the caseworker records before a referral: to share the
    /// client's data with one partner, or with any partner in a country.
    pub(super) fn consent(
        &mut self,
        client: &Client,
        members: &[String],
        needs: &[Need],
        scope: Scope<'_>,
        caseworker: &str,
        at: NaiveDateTime,
    ) -> usize {
        // In the store's order (sorted as the enum is declared).
        let mut categories = vec![DataCategory::Identity, DataCategory::Contact];
        if !members.is_empty() {
            categories.push(DataCategory::Family);
        }
        if needs.contains(&Need::Medical) || self.rng.gen_bool(0.3) {
            categories.push(DataCategory::Health);
        }
        categories.push(DataCategory::Needs);
        if self.rng.gen_bool(0.6) {
            categories.push(DataCategory::TravelDocuments);
        }
        let categories: Vec<&str> = categories.iter().map(|c| c.as_str()).collect();
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
        // The id is drawn before the method, as the rows always were.
        let id = self.id(at);
        let method = if self.rng.gen_bool(0.75) {
            ConsentMethod::Written
        } else {
            ConsentMethod::VerbalWitnessed
        };
        let consent = Consent {
            id,
            client_id: client.id.clone(),
            data_categories: categories.join(","),
            partner_id,
            country,
            given_on: at.date(),
            method,
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
}
