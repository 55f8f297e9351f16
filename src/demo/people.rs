//! The people of the programme: staff, clients and the households that
//! return together. Everyone is invented: names come from the short lists
//! below, never from real people.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rand::Rng;
use rand::seq::SliceRandom;

use super::{Client, Generator, Household, Made, User, pick};
use crate::auth::Role;
use crate::clients::Sex;

// Invented names: common given names and made-up family names, so that no
// row describes a real person.
const FEMALE_NAMES: &[&str] = &[
    "Amina", "Fatima", "Mariam", "Leila", "Nadia", "Aisha", "Zainab", "Sara", "Hana", "Layla",
    "Grace", "Esi", "Abena", "Meron", "Selam", "Nino", "Ana", "Drita", "Elira", "Parisa",
];
const MALE_NAMES: &[&str] = &[
    "Yusuf", "Omar", "Ali", "Samir", "Karim", "Hassan", "Ibrahim", "Ahmed", "Tariq", "Bilal",
    "Kwame", "Kofi", "Tesfaye", "Dawit", "Giorgi", "Levan", "Arben", "Besnik", "Farid", "Reza",
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

impl Generator<'_> {
    pub(super) fn staff(&mut self) {
        let created = self.office(self.start() - Duration::days(7));
        let roles = [
            (Role::Counsellor, 14),
            (Role::Caseworker, 8),
            (Role::Lead, 2),
        ];
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
                    Role::Counsellor => self.counsellors.push(id.clone()),
                    Role::Caseworker => self.caseworkers.push(id.clone()),
                    Role::Lead | Role::Admin => {}
                }
                self.out.users.push(User {
                    id,
                    email,
                    name: format!("{given} {family}"),
                    role: role.as_str(),
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

    pub(super) fn clients(&mut self) -> Made<()> {
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
                self.client(date)?;
            }
        }
        Ok(())
    }

    fn person(
        &mut self,
        registered: NaiveDateTime,
        country: &str,
        family: &str,
        (age, sex): (std::ops::Range<i64>, Sex),
        languages: &str,
        counsellor: &str,
    ) -> Client {
        // A name that goes with the sex; either kind when it is not said.
        let names = match sex {
            Sex::Female => FEMALE_NAMES.to_vec(),
            Sex::Male => MALE_NAMES.to_vec(),
            Sex::Other | Sex::Unknown => [FEMALE_NAMES, MALE_NAMES].concat(),
        };
        let given = names[self.rng.gen_range(0..names.len())];
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
            sex,
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

    /// A sex, `male` with the given share and `female` with most of the
    /// rest; a few `other` and `unknown`. Drawn from a generator of its own,
    /// so that the rest of the programme is what the seed gave before.
    fn sex(&mut self, male: f64) -> Sex {
        let roll: f64 = self.sexes.r#gen();
        if roll < male {
            Sex::Male
        } else if roll < 0.95 {
            Sex::Female
        } else if roll < 0.96 {
            Sex::Other
        } else {
            Sex::Unknown
        }
    }

    /// One client's path through the programme, cut off at the last day:
    /// registration, talks and, for those who want to return, a case.
    fn client(&mut self, date: NaiveDate) -> Made<()> {
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
        // Most who come alone are men.
        let sex = self.sex(0.72);
        let mut client = self.person(
            registered,
            &country,
            family,
            (18..60, sex),
            &languages.join(","),
            &counsellor,
        );
        let return_talk = self.talks(&mut client, &languages);
        let index = self.out.clients.len();
        self.out.clients.push(client);
        if let Some((talk_id, said_on)) = return_talk {
            self.case(index, &talk_id, said_on, &serving)?;
        }
        Ok(())
    }

    /// Families return together: with some cases the client's household
    /// is registered, its members clients too. Returns the members' ids.
    pub(super) fn household(
        &mut self,
        index: usize,
        client: &Client,
        opened_at: NaiveDateTime,
    ) -> Vec<String> {
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
                // A family's members: as many girls and women as boys and men.
                let sex = self.sex(0.48);
                let mut member = self.person(
                    at,
                    &client.country_of_origin,
                    &client.family_name,
                    (age, sex),
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
        members
    }
}
