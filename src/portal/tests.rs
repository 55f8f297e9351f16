//! The portal's pages, policy and texts, checked from the files themselves.

use std::collections::BTreeSet;
use std::path::Path;

use crate::auth::policy::{Access, POLICY, PORTAL, PortalWho};
use crate::web::i18n::{Lang, Texts};

fn read_dir(dir: &Path, ext: &str, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            read_dir(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// Every `"portal-…"` text key named in the portal's code and templates.
fn named_keys() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    read_dir(&root.join("src/portal"), "rs", &mut files);
    read_dir(&root.join("templates/portal"), "html", &mut files);
    let mut keys = BTreeSet::new();
    for file in files {
        if file.ends_with("tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read");
        for (at, _) in text.match_indices("\"portal-") {
            let rest = &text[at + 1..];
            let end = rest.find('"').expect("end of key");
            let key = &rest[..end];
            if key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                keys.insert(key.to_owned());
            }
        }
    }
    keys
}

/// The prefixes the portal labels codes with (`code_label`, `codes`).
const CODE_PREFIXES: &[&str] = &[
    "portal-category",
    "portal-status",
    "portal-plan-status",
    "portal-task",
    "portal-task-status",
    "portal-need",
    "portal-role",
    "portal-user-state",
    "portal-draft",
    "portal-visit-status",
    "portal-done",
    "portal-field",
    "portal-mode",
    "portal-outcome",
    "portal-decline",
    "portal-service",
];

#[test]
fn every_key_the_portal_names_is_in_english() {
    let english = Texts::new(Lang::En);
    let named = named_keys();
    assert!(
        named.contains("portal-login-title"),
        "the portal was not read"
    );
    let missing: Vec<&String> = named
        .iter()
        .filter(|k| !CODE_PREFIXES.contains(&k.as_str()) && !english.has(k))
        .collect();
    assert!(
        missing.is_empty(),
        "named but not in locales/en/portal.ftl: {missing:?}"
    );
}

#[test]
fn every_code_the_portal_shows_has_a_label_in_every_portal_language() {
    use crate::referrals::{ChecklistStatus, Outcome, ReferralStatus};
    let mut codes: Vec<(&str, String)> = Vec::new();
    let mut add = |prefix: &'static str, values: Vec<&str>| {
        codes.extend(values.into_iter().map(|v| (prefix, v.to_owned())));
    };
    add(
        "portal-status",
        ReferralStatus::ALL.iter().map(|s| s.as_str()).collect(),
    );
    add(
        "portal-need",
        crate::cases::Need::ALL.iter().map(|s| s.as_str()).collect(),
    );
    add(
        "portal-outcome",
        Outcome::ALL.iter().map(|s| s.as_str()).collect(),
    );
    add(
        "portal-task-status",
        ChecklistStatus::ALL.iter().map(|s| s.as_str()).collect(),
    );
    add(
        "portal-mode",
        crate::talks::TalkMode::ALL
            .iter()
            .map(|s| s.as_str())
            .collect(),
    );
    add(
        "portal-category",
        crate::domain::categories::DataCategory::ALL
            .iter()
            .map(|s| s.as_str())
            .collect(),
    );
    add(
        "portal-role",
        crate::auth::partner_users::PartnerRole::ALL
            .iter()
            .map(|s| s.as_str())
            .collect(),
    );
    add(
        "portal-plan-status",
        crate::referrals::plan::PlanStatus::ALL
            .iter()
            .map(|s| s.as_str())
            .collect(),
    );
    add(
        "portal-draft",
        crate::referrals::store::drafts::DraftKind::ALL
            .iter()
            .map(|s| s.as_str())
            .collect(),
    );
    add("portal-decline", super::referral::DECLINE_CODES.to_vec());
    add("portal-visit-status", vec!["scheduled", "done", "missed"]);
    add(
        "portal-service",
        crate::partners::Service::ALL
            .iter()
            .map(|s| s.as_str())
            .collect(),
    );
    let tasks: Vec<String> = crate::domain::checklist::default_checklist()
        .into_iter()
        .map(|i| i.kind)
        .collect();
    add("portal-task", tasks.iter().map(String::as_str).collect());
    for lang in Lang::PORTAL {
        let t = Texts::new(lang);
        let missing: Vec<String> = codes
            .iter()
            .map(|(prefix, code)| format!("{prefix}-{}", code.replace('_', "-")))
            .filter(|key| !t.has(key))
            .collect();
        assert!(
            missing.is_empty(),
            "{}: no label for {missing:?}",
            lang.code()
        );
    }
}

#[test]
fn every_portal_page_is_in_the_policy_and_nothing_else() {
    let served: BTreeSet<(String, String)> = super::pages()
        .iter()
        .map(|p| (p.method.to_string(), p.path.to_owned()))
        .collect();
    let ruled: BTreeSet<(String, String)> = PORTAL
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    let unruled: Vec<_> = served.difference(&ruled).collect();
    let unserved: Vec<_> = ruled.difference(&served).collect();
    assert!(
        unruled.is_empty(),
        "portal pages without a rule: {unruled:?}"
    );
    assert!(
        unserved.is_empty(),
        "portal rules without a page: {unserved:?}"
    );
    assert!(PORTAL.iter().all(|r| r.path.starts_with("/portal")));
}

/// A portal form that does what a `/partner/v1` operation does carries its
/// name, and that operation is a partner's: the same audit entries, never
/// a staff operation under a partner's session.
#[test]
fn a_portal_form_named_after_an_api_operation_is_a_partner_operation() {
    let mut shared = 0;
    for page in PORTAL {
        if let Some(api) = POLICY.iter().find(|r| r.operation == page.operation) {
            shared += 1;
            assert_eq!(
                api.access,
                Access::Partner,
                "{} is {:?} in the API",
                page.operation,
                api.access
            );
            assert!(api.path.starts_with("/partner/v1/"), "{}", api.path);
            assert_ne!(
                page.access,
                Access::PartnerUser(PortalWho::SignedIn),
                "{} needs the second factor",
                page.path
            );
        } else {
            assert!(
                page.operation.starts_with("portal."),
                "{} names no API operation and is not a portal one",
                page.operation
            );
        }
    }
    assert!(
        shared >= 6,
        "only {shared} portal forms share an API operation"
    );
}
