//! Reading and checking the partner directory: one TOML file per partner,
//! shaped after Open Referral HSDS 3.0. Every problem is reported, each as
//! `file:line: field: message`, so that a reviewer can fix a whole pull
//! request in one pass.

mod check;

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use check::{Check, Fields};

use super::{Contact, PartnerId, PartnerRecord, PartnerStatus, Service, ServiceArea, SlaOverrides};
use crate::domain::{CountryCode, LanguageCode, RegionCode};

/// Most places a partner can list; a guard against typos such as 2500.
pub const MAX_CAPACITY: i64 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryProblem {
    pub file: PathBuf,
    /// 1-based line; 1 for problems of the file as a whole.
    pub line: usize,
    pub field: String,
    pub message: String,
}

impl fmt::Display for DirectoryProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file.display(),
            self.line,
            self.field,
            self.message
        )
    }
}

#[derive(Debug)]
pub enum LoadError {
    /// The directory does not exist (a warning at start-up, not an error).
    Missing(PathBuf),
    Invalid(Vec<DirectoryProblem>),
}

/// Reads and checks every `*.toml` file in `dir`, in name order. Either every
/// file is valid and all records come back, or every problem does.
pub fn load_dir(dir: &Path) -> Result<Vec<PartnerRecord>, LoadError> {
    if !dir.is_dir() {
        return Err(LoadError::Missing(dir.to_path_buf()));
    }
    let unreadable = |e: std::io::Error| {
        LoadError::Invalid(vec![DirectoryProblem {
            file: dir.to_path_buf(),
            line: 1,
            field: "(directory)".into(),
            message: format!("cannot be read: {e}"),
        }])
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();

    let mut problems = Vec::new();
    let mut records = Vec::new();
    let mut seen: BTreeMap<PartnerId, PathBuf> = BTreeMap::new();
    for path in paths {
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                problems.push(DirectoryProblem {
                    file: path.clone(),
                    line: 1,
                    field: "(file)".into(),
                    message: format!("cannot be read: {e}"),
                });
                continue;
            }
        };
        match parse_file(&path, &text) {
            Ok((record, id_line)) => {
                if let Some(first) = seen.get(&record.id) {
                    problems.push(DirectoryProblem {
                        file: path.clone(),
                        line: id_line,
                        field: "id".into(),
                        message: format!(
                            "`{}` is already the id of {}",
                            record.id,
                            first.display()
                        ),
                    });
                } else {
                    seen.insert(record.id.clone(), path.clone());
                    records.push(record);
                }
            }
            Err(mut file_problems) => problems.append(&mut file_problems),
        }
    }
    if records.is_empty() && problems.is_empty() {
        // Most likely a wrong path or a botched checkout: syncing it would
        // mark every partner inactive and stop every partner key.
        problems.push(DirectoryProblem {
            file: dir.to_path_buf(),
            line: 1,
            field: "(directory)".into(),
            message: "holds no partner files (*.toml)".into(),
        });
    }
    if problems.is_empty() {
        Ok(records)
    } else {
        Err(LoadError::Invalid(problems))
    }
}

/// Parses one partner file; on success also returns the line of its `id`.
pub fn parse_file(
    path: &Path,
    text: &str,
) -> Result<(PartnerRecord, usize), Vec<DirectoryProblem>> {
    let mut check = Check {
        file: path,
        text,
        problems: Vec::new(),
    };
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let line = e.span().map(|s| check.line(s.start)).unwrap_or(1);
            check.report_line(line, "(toml)", e.message().trim().to_owned());
            return Err(check.problems);
        }
    };
    let table = Fields::new(root.get_ref(), root.span(), "");
    let record = check.partner(&table);
    let id_line = table
        .get("id")
        .map(|v| check.line(v.span().start))
        .unwrap_or(1);
    match record {
        Some(record) if check.problems.is_empty() => {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            if stem != record.id.as_str() {
                check.report_line(
                    id_line,
                    "id",
                    format!("`{}` differs from the file name `{stem}.toml`", record.id),
                );
                return Err(check.problems);
            }
            Ok((record, id_line))
        }
        _ => Err(check.problems),
    }
}

impl Check<'_> {
    fn partner(&mut self, root: &Fields) -> Option<PartnerRecord> {
        const KNOWN: &[&str] = &[
            "id",
            "name",
            "description",
            "website",
            "email",
            "services",
            "service_areas",
            "languages",
            "contacts",
            "capacity",
            "status",
            "sla",
            "webhook_url",
        ];
        const REQUIRED: &[&str] = &[
            "id",
            "name",
            "description",
            "email",
            "services",
            "service_areas",
            "languages",
            "capacity",
            "status",
        ];
        self.keys(root, KNOWN, REQUIRED);

        let id = self
            .string(root, "id")
            .and_then(|(id, span)| match PartnerId::parse(&id) {
                Ok(id) => Some(id),
                Err(message) => {
                    self.report(&span, "id", message);
                    None
                }
            });
        let name = self.string(root, "name").map(|(s, _)| s);
        let description = self.string(root, "description").map(|(s, _)| s);
        let website =
            self.string(root, "website")
                .and_then(|(url, span)| match url::Url::parse(&url) {
                    Ok(parsed)
                        if matches!(parsed.scheme(), "https" | "http")
                            && parsed.host().is_some() =>
                    {
                        Some(url)
                    }
                    _ => {
                        self.report(&span, "website", format!("`{url}` is not an http(s) URL"));
                        None
                    }
                });
        let webhook_url = self.string(root, "webhook_url").and_then(|(url, span)| {
            // The form only: whether it must be https and public depends on
            // `webhook_allow_local`, checked when the partner takes a secret
            // for it and again at every delivery.
            match crate::webhooks::check_url_form(&url, true) {
                Ok(_) => Some(url),
                Err(message) => {
                    self.report(&span, "webhook_url", message);
                    None
                }
            }
        });
        let email = self.email(root, "email");
        let services = self.services(root);
        let service_areas = self.service_areas(root);
        let languages = self.languages(root);
        let contacts = self.contacts(root);
        let capacity = self.integer(root, "capacity", 0..MAX_CAPACITY + 1);
        let status = self
            .string(root, "status")
            .and_then(|(status, span)| match status.as_str() {
                "active" => Some(PartnerStatus::Active),
                "paused" => Some(PartnerStatus::Paused),
                other => {
                    self.report(
                        &span,
                        "status",
                        format!("`{other}` is not a status; use active or paused"),
                    );
                    None
                }
            });
        let sla = self.sla(root);

        Some(PartnerRecord {
            id: id?,
            name: name?,
            description: description?,
            website,
            email: email?,
            services: services?,
            service_areas: service_areas?,
            languages: languages?,
            contacts: contacts.unwrap_or_default(),
            capacity: u32::try_from(capacity?).ok()?,
            status: status?,
            sla,
            webhook_url,
        })
    }

    fn services(&mut self, root: &Fields) -> Option<Vec<Service>> {
        let items = self.strings(root, "services", true)?;
        let mut out = Vec::new();
        for (i, (value, span)) in items.iter().enumerate() {
            match Service::parse(value) {
                Some(s) if out.contains(&s) => self.report(
                    span,
                    format!("services[{i}]"),
                    format!("`{value}` is listed twice"),
                ),
                Some(s) => out.push(s),
                None => self.report(
                    span,
                    format!("services[{i}]"),
                    format!("`{value}` is not a service (known: {})", Service::list()),
                ),
            }
        }
        Some(out)
    }

    fn languages(&mut self, root: &Fields) -> Option<Vec<LanguageCode>> {
        let items = self.strings(root, "languages", true)?;
        let mut out: Vec<LanguageCode> = Vec::new();
        for (i, (value, span)) in items.iter().enumerate() {
            match LanguageCode::parse(value) {
                Ok(code) if out.iter().any(|c| c.same_language(&code)) => self.report(
                    span,
                    format!("languages[{i}]"),
                    format!("`{value}` is listed twice"),
                ),
                Ok(code) => out.push(code),
                Err(message) => self.report(span, format!("languages[{i}]"), message),
            }
        }
        Some(out)
    }

    fn service_areas(&mut self, root: &Fields) -> Option<Vec<ServiceArea>> {
        let tables = self.tables(root, "service_areas")?;
        if tables.is_empty() {
            self.report(
                &root.span,
                "service_areas",
                "must list at least one country",
            );
            return None;
        }
        let mut out: Vec<ServiceArea> = Vec::new();
        let mut complete = true;
        for area in &tables {
            self.keys(area, &["country", "regions"], &["country"]);
            let country = self.string(area, "country").and_then(|(code, span)| {
                match CountryCode::parse(&code) {
                    Ok(c) if out.iter().any(|a| a.country == c) => {
                        self.report(
                            &span,
                            area.path("country"),
                            format!("`{code}` is listed twice"),
                        );
                        None
                    }
                    Ok(c) => Some(c),
                    Err(message) => {
                        self.report(&span, area.path("country"), message);
                        None
                    }
                }
            });
            let regions = self.strings(area, "regions", false).unwrap_or_default();
            let Some(country) = country else {
                complete = false;
                continue;
            };
            let mut parsed: Vec<RegionCode> = Vec::new();
            let mut seen = HashSet::new();
            for (i, (code, span)) in regions.iter().enumerate() {
                let field = format!("{}[{i}]", area.path("regions"));
                match RegionCode::parse_in(code, &country) {
                    Ok(r) if !seen.insert(r.clone()) => {
                        self.report(span, field, format!("`{code}` is listed twice"))
                    }
                    Ok(r) => parsed.push(r),
                    Err(message) => self.report(span, field, message),
                }
            }
            out.push(ServiceArea {
                country,
                regions: parsed,
            });
        }
        complete.then_some(out)
    }

    fn contacts(&mut self, root: &Fields) -> Option<Vec<Contact>> {
        let tables = self.tables(root, "contacts")?;
        let mut out = Vec::new();
        for contact in &tables {
            self.keys(
                contact,
                &["name", "role", "email", "phone"],
                &["name", "role"],
            );
            let name = self.string(contact, "name").map(|(s, _)| s);
            let role = self.string(contact, "role").map(|(s, _)| s);
            let email = self.email(contact, "email");
            let phone = self.string(contact, "phone").and_then(|(phone, span)| {
                let digits = phone.chars().filter(char::is_ascii_digit).count();
                let allowed = phone
                    .chars()
                    .enumerate()
                    .all(|(i, c)| c.is_ascii_digit() || " -()".contains(c) || (i == 0 && c == '+'));
                if allowed && (6..=16).contains(&digits) {
                    Some(phone)
                } else {
                    self.report(
                        &span,
                        contact.path("phone"),
                        format!(
                            "`{phone}` is not a phone number (digits, spaces, - ( ), a leading +)"
                        ),
                    );
                    None
                }
            });
            if let (Some(name), Some(role)) = (name, role) {
                out.push(Contact {
                    name,
                    role,
                    email,
                    phone,
                });
            }
        }
        Some(out)
    }

    fn sla(&mut self, root: &Fields) -> SlaOverrides {
        let Some(value) = root.get("sla") else {
            return SlaOverrides::default();
        };
        let DeValue::Table(table) = value.get_ref() else {
            self.report(&value.span(), "sla", "must be a table ([sla])");
            return SlaOverrides::default();
        };
        let sla = Fields::new(table, value.span(), "sla");
        self.keys(
            &sla,
            &["acknowledge_working_days", "decide_working_days"],
            &[],
        );
        let acknowledge = self.integer(&sla, "acknowledge_working_days", 1..31);
        let decide = self.integer(&sla, "decide_working_days", 1..61);
        if let (Some(a), Some(d)) = (acknowledge, decide)
            && d < a
        {
            self.report(
                &value.span(),
                "sla.decide_working_days",
                "must not be shorter than acknowledge_working_days",
            );
        }
        SlaOverrides {
            acknowledge_working_days: acknowledge.and_then(|n| u32::try_from(n).ok()),
            decide_working_days: decide.and_then(|n| u32::try_from(n).ok()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r#"# Fictional example organisation.
id = "test-partner"
name = "Test Partner"
description = "Receives returnees."
website = "https://test-partner.example.org"
email = "referrals@test-partner.example.org"
services = ["housing", "airport_pickup"]
languages = ["en", "tw"]
capacity = 10
status = "active"

[[service_areas]]
country = "GH"
regions = ["GH-AA"]

[[contacts]]
name = "Abena Example"
role = "Referral coordinator"
email = "abena@test-partner.example.org"
phone = "+233 30 000 0000"

[sla]
acknowledge_working_days = 3
decide_working_days = 12
"#;

    fn parse(text: &str) -> Result<PartnerRecord, Vec<String>> {
        parse_file(Path::new("partners/test-partner.toml"), text)
            .map(|(record, _)| record)
            .map_err(|problems| problems.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn a_valid_file_gives_a_record() {
        let record = parse(VALID).expect("valid");
        assert_eq!(record.id.as_str(), "test-partner");
        assert_eq!(record.services, [Service::Housing, Service::AirportPickup]);
        assert_eq!(record.service_areas[0].regions[0].as_str(), "GH-AA");
        assert_eq!(record.sla.decide_working_days, Some(12));
        assert_eq!(record.contacts.len(), 1);
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let text = VALID
            .replace("country = \"GH\"", "country = \"XX\"")
            .replace("\"tw\"", "\"klingon\"")
            .replace("capacity = 10", "capacity = -1\ncolour = \"blue\"")
            .replace("email = \"referrals@", "email = \"referrals-at-");
        let problems = parse(&text).expect_err("four problems");
        let expected = [
            "partners/test-partner.toml:6: email: `referrals-at-test-partner.example.org` is not an email address",
            "partners/test-partner.toml:8: languages[1]: `klingon` is not an ISO 639-1 or 639-3 language code (e.g. ar, prs)",
            "partners/test-partner.toml:9: capacity: must be a whole number from 0 to 10000",
            "partners/test-partner.toml:14: service_areas[0].country: `XX` is not an ISO 3166-1 alpha-2 country code (two capital letters, e.g. GH)",
        ];
        for line in expected {
            assert!(
                problems.iter().any(|p| p == line),
                "missing {line:?} in {problems:#?}"
            );
        }
        assert!(
            problems
                .iter()
                .any(|p| p
                    .starts_with("partners/test-partner.toml:10: colour: is not a known field")),
            "{problems:#?}"
        );
    }

    #[test]
    fn missing_fields_and_wrong_regions() {
        let text = VALID
            .replace("name = \"Test Partner\"\n", "")
            .replace("regions = [\"GH-AA\"]", "regions = [\"AF-KAB\"]");
        let problems = parse(&text).expect_err("two problems");
        assert!(
            problems
                .iter()
                .any(|p| p == "partners/test-partner.toml:1: name: is required"),
            "{problems:#?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p
                    .contains(":13: service_areas[0].regions[0]: `AF-KAB` is not a region of GH")),
            "{problems:#?}"
        );
    }

    #[test]
    fn the_id_must_match_the_file_name() {
        let problems = parse_file(Path::new("partners/other.toml"), VALID).expect_err("mismatch");
        assert_eq!(problems[0].line, 2);
        assert!(problems[0].message.contains("differs from the file name"));
    }

    #[test]
    fn syntax_errors_name_their_line() {
        let problems = parse("id = \"test-partner\"\nname = \n").expect_err("broken");
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("partners/test-partner.toml:2: (toml):"),
            "{problems:?}"
        );
    }
}
