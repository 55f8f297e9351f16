//! The error-collecting parser's own tests.

use super::*;
use serde::Deserialize;
use serde_json::json;
use std::cell::Cell;

thread_local! {
    /// How many values (every object, list and scalar in them) were
    /// handed to serde on this thread.
    static PARSED: Cell<usize> = const { Cell::new(0) };
}

fn nodes(value: &Value) -> usize {
    1 + match value {
        Value::Object(map) => map.values().map(nodes).sum(),
        Value::Array(items) => items.iter().map(nodes).sum(),
        _ => 0,
    }
}

pub(super) fn count_parsed(value: &Value) {
    PARSED.with(|parsed| parsed.set(parsed.get() + nodes(value)));
}

fn parsed_while(work: impl FnOnce()) -> usize {
    PARSED.with(|parsed| parsed.set(0));
    work();
    PARSED.with(Cell::get)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Talk {
    held_on: chrono::NaiveDate,
    duration_minutes: u32,
    topics: Vec<String>,
    #[serde(default)]
    notes: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Item {
    need: Need,
    amount: f64,
    currency: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Need {
    Housing,
    Medical,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Plan {
    items: Vec<Item>,
    #[serde(default)]
    contact: Option<Contact>,
    answers: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Contact {
    phone: String,
    email: String,
}

fn named<T: DeserializeOwned + std::fmt::Debug>(body: Value) -> Vec<(String, String)> {
    let mut errors: Vec<(String, String)> = deserialize_all_errors::<T>(body)
        .expect_err("a bad body")
        .into_iter()
        .map(|e| (e.field, e.message))
        .collect();
    errors.sort();
    errors
}

#[test]
fn every_bad_field_is_named_at_every_depth_with_its_path_as_sent() {
    let errors = named::<Plan>(json!({
        "items": [
            {"need": "housing", "amount": 5, "currency": "GHS"},
            {"need": "spaceship", "amount": "lots", "currency": "GHS", "colour": 1},
            {"need": "medical", "amount": 1, "currency": "GHS"},
            {"need": "medical"},
        ],
        "contact": {"phone": 7, "fax": "x"},
        "answers": {"a": "yes", "b": 3},
        "zz": true,
    }));
    let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        [
            "answers.b",
            "contact.email",
            "contact.fax",
            "contact.phone",
            "items[1].amount",
            "items[1].colour",
            "items[1].need",
            "items[3].amount",
            "items[3].currency",
            "zz",
        ]
    );
    let said = |field: &str| &errors.iter().find(|(f, _)| f == field).expect(field).1;
    assert_eq!(said("items[3].amount"), "is required");
    assert_eq!(said("contact.email"), "is required");
    assert!(
        said("zz").starts_with("is not a known field"),
        "{}",
        said("zz")
    );
    assert!(said("items[1].colour").starts_with("is not a known field"));
    assert!(said("items[1].need").contains("expected `housing` or `medical`"));
    assert!(
        said("contact.phone").contains("expected a string"),
        "{}",
        said("contact.phone")
    );
}

#[test]
fn a_bad_body_is_parsed_a_bounded_number_of_times_over() {
    // A long list of good values beside many bad and unknown fields:
    // the old way parsed the list again for every one of them.
    let mut body = Map::new();
    body.insert("topics".into(), json!(vec!["return"; 5_000]));
    body.insert("held_on".into(), json!("yesterday"));
    body.insert("duration_minutes".into(), json!("long"));
    for i in 0..40 {
        body.insert(format!("zz{i:02}"), json!(i));
    }
    let body = Value::Object(body);
    let size = nodes(&body);
    let mut errors = Vec::new();
    let parsed = parsed_while(|| errors = deserialize_all_errors::<Talk>(body).expect_err("bad"));
    assert_eq!(errors.len(), 42, "{errors:?}");
    assert!(
        parsed <= 4 * size,
        "{parsed} values parsed for a body of {size}: more than a few times over"
    );
    // And a good body once.
    let good =
        json!({"held_on": "2026-01-02", "duration_minutes": 30, "topics": vec!["return"; 5_000]});
    let size = nodes(&good);
    let parsed = parsed_while(|| {
        deserialize_all_errors::<Talk>(good).expect("good");
    });
    assert_eq!(parsed, size);
}

#[test]
fn every_bad_and_unknown_field_is_named() {
    let err = deserialize_all_errors::<Talk>(json!({
        "held_on": "yesterday",
        "duration_minutes": "long",
        "topics": ["return", 7],
        "colour": "blue",
    }))
    .expect_err("four bad fields");
    let named: Vec<&str> = err.iter().map(|e| e.field.as_str()).collect();
    for field in ["held_on", "duration_minutes", "topics[1]", "colour"] {
        assert!(named.contains(&field), "{field} missing from {named:?}");
    }
}

#[test]
fn missing_fields_are_required() {
    let err = deserialize_all_errors::<Talk>(json!({"held_on": "2026-01-02", "topics": []}))
        .expect_err("duration is missing");
    assert_eq!(
        err,
        vec![FieldError::new("duration_minutes", "is required")]
    );
}

#[test]
fn a_bad_element_keeps_the_rules_of_the_others_and_odd_keys_are_named() {
    use validator::Validate;

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Line {
        #[validate(length(min = 1))]
        support: String,
        #[validate(range(min = 0.0))]
        amount: f64,
    }

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Lines {
        #[validate(nested)]
        items: Vec<Line>,
    }

    let partial = deserialize_collecting::<Lines>(json!({
        "items": [{"support": "", "amount": -5}, 5],
    }))
    .expect_err("a bad body");
    let named: Vec<&str> = partial.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(named, ["items[1]"]);
    // The first element still parsed, in its place, for the rules.
    let parsed = partial.parsed.expect("the rest parsed");
    let rules = parsed.validate().expect_err("the first element breaks two");
    let broken = crate::domain::validation::field_errors(&rules);
    let fields: Vec<&str> = broken.iter().map(|e| e.field.as_str()).collect();
    assert!(fields.contains(&"items[0].support"), "{fields:?}");
    assert!(fields.contains(&"items[0].amount"), "{fields:?}");

    // Keys holding a dot or a bracket are named as sent.
    let errors = named_of::<Talk>(json!({
        "held_on": "2026-01-02", "duration_minutes": 30, "topics": [],
        "a": 1, "a.b": 2, "a[0]": 3
    }));
    assert_eq!(errors, ["a", "a.b", "a[0]"]);
}

fn named_of<T: DeserializeOwned + std::fmt::Debug>(body: Value) -> Vec<String> {
    let mut named: Vec<String> = deserialize_all_errors::<T>(body)
        .expect_err("a bad body")
        .into_iter()
        .map(|e| e.field)
        .collect();
    named.sort();
    named
}
