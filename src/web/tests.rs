//! The texts and the page policy, checked from the files themselves.

use std::collections::BTreeSet;
use std::path::Path;

use super::i18n::{Lang, Texts};

fn files(dir: &str, ext: &str) -> Vec<std::path::PathBuf> {
    fn walk(dir: &Path, ext: &str, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, ext, out);
            } else if path.extension().is_some_and(|e| e == ext) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(dir),
        ext,
        &mut out,
    );
    out
}

/// The keys a language's `.ftl` files define.
fn defined(lang: Lang) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for file in files(&format!("locales/{}", lang.code()), "ftl") {
        for key in keys_of(&file) {
            assert!(
                keys.insert(key.clone()),
                "{key} is defined twice in {}",
                lang.code()
            );
        }
    }
    keys
}

/// The keys one `.ftl` file defines.
fn keys_of(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).expect("read ftl");
    text.lines()
        .filter_map(|line| {
            let (key, _) = line.split_once('=')?;
            let key = key.trim_end();
            (!line.starts_with([' ', '#', '*', '['])
                && !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
            .then(|| key.to_owned())
        })
        .collect()
}

/// The files only the partner portal reads: in English and the portal's
/// other languages, not in Dutch.
const PORTAL_ONLY: &[&str] = &["portal.ftl"];

/// The keys the templates and the page code look up by name.
fn used() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut sources = files("templates", "html");
    sources.extend(files("src/web", "rs"));
    for file in sources {
        // The portal's pages are checked against its own languages
        // (`crate::portal::tests`).
        if file.ends_with("tests.rs") || file.components().any(|c| c.as_os_str() == "portal") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read source");
        for call in ["t(\"", "t1(\"", "count(\"", "with(\""] {
            for (at, _) in text.match_indices(call) {
                // `t("` of `l.t("`, not of `get("`.
                let before = text[..at].chars().next_back().unwrap_or(' ');
                if before.is_ascii_alphanumeric() || before == '_' {
                    continue;
                }
                let rest = &text[at + call.len()..];
                if let Some(end) = rest.find('"') {
                    keys.insert(rest[..end].to_owned());
                }
            }
        }
        // Keys handed to a helper that looks them up (`"error-…-title"`).
        for (at, _) in text.match_indices('"') {
            let rest = &text[at + 1..];
            if let Some(end) = rest.find('"') {
                let word = &rest[..end];
                if (word.starts_with("error-") || word.starts_with("invite-gone"))
                    && word.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                {
                    keys.insert(word.to_owned());
                }
            }
        }
    }
    keys
}

#[test]
fn every_key_is_in_every_language() {
    let dutch = defined(Lang::Nl);
    let english: BTreeSet<String> = files("locales/en", "ftl")
        .iter()
        .filter(|f| !PORTAL_ONLY.iter().any(|p| f.ends_with(p)))
        .flat_map(|f| keys_of(f))
        .collect();
    assert!(dutch.len() > 100, "the Dutch texts were not found");
    let only_dutch: Vec<_> = dutch.difference(&english).collect();
    let only_english: Vec<_> = english.difference(&dutch).collect();
    assert!(only_dutch.is_empty(), "missing in English: {only_dutch:?}");
    assert!(
        only_english.is_empty(),
        "missing in Dutch: {only_english:?}"
    );
}

/// The portal's other languages have each English file they have, with
/// the same keys, and every file the portal reads.
#[test]
fn every_portal_language_has_the_english_keys() {
    for lang in Lang::PORTAL.into_iter().filter(|l| *l != Lang::En) {
        let dir = format!("locales/{}", lang.code());
        let present = files(&dir, "ftl");
        for only in PORTAL_ONLY {
            assert!(
                present.iter().any(|f| f.ends_with(only)),
                "{dir} has no {only}"
            );
        }
        for file in present {
            let name = file.file_name().expect("name");
            let english = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("locales/en")
                .join(name);
            let ours: BTreeSet<String> = keys_of(&file).into_iter().collect();
            let theirs: BTreeSet<String> = keys_of(&english).into_iter().collect();
            let missing: Vec<_> = theirs.difference(&ours).collect();
            let extra: Vec<_> = ours.difference(&theirs).collect();
            assert!(
                missing.is_empty(),
                "{}: missing {missing:?}",
                file.display()
            );
            assert!(
                extra.is_empty(),
                "{}: not in English {extra:?}",
                file.display()
            );
        }
    }
}

#[test]
fn every_key_the_pages_use_exists() {
    let dutch = defined(Lang::Nl);
    let used = used();
    assert!(used.contains("login-title"), "the templates were not read");
    let missing: Vec<_> = used.difference(&dutch).collect();
    assert!(missing.is_empty(), "used but not defined: {missing:?}");
}

#[test]
fn every_code_shown_has_a_label_in_both_languages() {
    use crate::domain::categories::DataCategory;
    use crate::talks::{Intention, TalkMode, Topic};
    let mut codes: Vec<(&str, &str)> = Vec::new();
    codes.extend(Intention::ALL.iter().map(|c| ("intention", c.as_str())));
    codes.extend(TalkMode::ALL.iter().map(|c| ("mode", c.as_str())));
    codes.extend(Topic::ALL.iter().map(|c| ("topic", c.as_str())));
    codes.extend(DataCategory::ALL.iter().map(|c| ("category", c.as_str())));
    codes.extend(
        DataCategory::ALL
            .iter()
            .map(|c| ("category-explained", c.as_str())),
    );
    codes.extend(
        crate::consent::ConsentMethod::ALL
            .iter()
            .map(|c| ("method", c.as_str())),
    );
    codes.extend(
        crate::cases::CaseStatus::ALL
            .iter()
            .map(|c| ("case-status", c.as_str())),
    );
    for kind in [
        "talk_due",
        "consent_expiring",
        "acknowledge_overdue",
        "decision_overdue",
        "declined",
        "plan_waiting",
        "checklist_due",
        "not_departed",
        "monitoring_missed",
        "sustainability_alert",
        "consent_expired",
    ] {
        codes.push(("work", kind));
    }
    codes.push(("case-flag", crate::referrals::case_view::CONSENT_EXPIRED));
    for lang in Lang::ALL {
        let keys = defined(lang);
        let missing: Vec<String> = codes
            .iter()
            .map(|(prefix, code)| format!("{prefix}-{}", code.replace('_', "-")))
            .filter(|key| !keys.contains(key))
            .collect();
        assert!(
            missing.is_empty(),
            "{}: no label for {missing:?}",
            lang.code()
        );
    }
}

#[test]
fn the_two_languages_differ_where_they_should() {
    let (nl, en) = (Texts::new(Lang::Nl), Texts::new(Lang::En));
    assert_eq!(nl.t("nav-work"), "Mijn werk");
    assert_eq!(en.t("nav-work"), "My work");
    assert_eq!(nl.count("work-intro", 1), "Er wacht één ding op u.");
    assert_eq!(en.count("work-intro", 3), "3 things are waiting for you.");
    assert_eq!(
        nl.t1("consent-any-partner-in", "country", "IQ"),
        "elke partner in IQ"
    );
}

#[test]
fn every_page_is_in_the_page_policy_and_nothing_else() {
    use crate::auth::policy::PAGES;
    let served: BTreeSet<(String, String)> = super::pages()
        .iter()
        .map(|p| (p.method.to_string(), p.path.to_owned()))
        .collect();
    let ruled: BTreeSet<(String, String)> = PAGES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    let unruled: Vec<_> = served.difference(&ruled).collect();
    let unserved: Vec<_> = ruled.difference(&served).collect();
    assert!(unruled.is_empty(), "pages without a rule: {unruled:?}");
    assert!(unserved.is_empty(), "rules without a page: {unserved:?}");
}

#[test]
fn a_page_that_does_what_an_api_operation_does_admits_the_same_roles() {
    use crate::auth::policy::{PAGES, POLICY};
    let mut shared = 0;
    for page in PAGES {
        if let Some(api) = POLICY.iter().find(|r| r.operation == page.operation) {
            shared += 1;
            assert_eq!(
                page.access, api.access,
                "{} {} and {} {} are both `{}`",
                page.method, page.path, api.method, api.path, page.operation
            );
        }
    }
    assert!(shared >= 15, "only {shared} pages share an API operation");
}
