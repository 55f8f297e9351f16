//! The error-collecting parser: deserializes a body and, rather than
//! stopping at the first bad field, notes it, takes it out (or stands in for
//! a missing one) and goes on, so that one 422 names every bad field.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::domain::FieldError;

/// True when an error on `outer` already speaks for `field` (the same field,
/// or a part of it).
pub(super) fn covers(outer: &str, field: &str) -> bool {
    field == outer
        || field
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// Deserializes `T`, collecting one error per bad field rather than stopping
/// at the first. See [`deserialize_collecting`].
pub fn deserialize_all_errors<T: DeserializeOwned>(value: Value) -> Result<T, Vec<FieldError>> {
    deserialize_collecting(value).map_err(|partial| partial.errors)
}

/// What parsing a bad body came to.
pub struct Partial<T> {
    /// One error per bad, unknown or missing field.
    pub errors: Vec<FieldError>,
    /// The value once the bad fields were taken out (and missing required
    /// ones stood in for), if it then parsed: the rules can still be checked
    /// on the fields that were good.
    pub parsed: Option<T>,
    /// The fields given a stand-in value; their own rules mean nothing.
    pub stand_ins: Vec<String>,
}

/// Values tried, in turn, in place of a required field that is missing or
/// was bad, so that parsing can go on to the fields after it.
const STAND_INS: &[&str] = &[
    r#""placeholder""#,
    "0",
    "false",
    "[]",
    "{}",
    r#""2000-01-01""#,
    r#""2000-01-01T00:00:00Z""#,
    r#""00000000-0000-0000-0000-000000000000""#,
    r#""GH""#,
    r#""en""#,
    r#""0123456789""#,
];

/// Deserializes `T`, collecting one error per bad field rather than stopping
/// at the first: each bad or unknown field is noted, taken out, and the rest
/// tried again. A required field that is missing (or was taken out) gets a
/// stand-in value, so that serde goes on to the fields after it.
pub fn deserialize_collecting<T: DeserializeOwned>(mut value: Value) -> Result<T, Partial<T>> {
    const MAX_ERRORS: usize = 64;
    let mut errors: Vec<FieldError> = Vec::new();
    let mut stand_ins: Vec<String> = Vec::new();
    // Each pass parses the whole body again: a bad body gets a bounded
    // amount of work, whatever it holds.
    let mut budget: usize = 120;
    while errors.len() < MAX_ERRORS && budget > 0 {
        budget -= 1;
        let err = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(parsed) if errors.is_empty() => return Ok(parsed),
            Ok(parsed) => {
                return Err(Partial {
                    errors,
                    parsed: Some(parsed),
                    stand_ins,
                });
            }
            Err(err) => err,
        };
        let mut path: Vec<Segment> = err.path().iter().filter_map(Segment::from_serde).collect();
        let message = err.into_inner().to_string();
        if let Some(name) = between_backticks(&message, "unknown field `") {
            // The path may or may not end at the unknown key already.
            if !matches!(path.last(), Some(Segment::Key(last)) if last == name) {
                path.push(Segment::Key(name.to_owned()));
            }
            errors.push(FieldError::new(
                render(&path),
                format!("is not a known field{}", expected_suffix(&message)),
            ));
            if !remove(&mut value, &path) {
                break;
            }
        } else if let Some(name) = between_backticks(&message, "missing field `") {
            path.push(Segment::Key(name.to_owned()));
            let field = render(&path);
            if stand_ins.contains(&field) {
                break;
            }
            // A field taken out for a bad value (or a bad element) is not also "required".
            let already = errors.iter().any(|e| covers(&field, &e.field));
            if !already {
                errors.push(FieldError::new(field.clone(), "is required"));
            }
            match stand_in::<T>(&value, &path, &mut budget) {
                Some(filled) => {
                    value = filled;
                    stand_ins.push(field);
                }
                None => break,
            }
        } else {
            errors.push(FieldError::new(render(&path), value_message(&message)));
            // A bad element condemns its whole list: drop the list, not the element,
            // so that later indices keep meaning what the client sent.
            let cut = path
                .iter()
                .position(|s| matches!(s, Segment::Index(_)))
                .unwrap_or(path.len());
            if cut == 0 || !remove(&mut value, &path[..cut]) {
                break;
            }
        }
    }
    Err(Partial {
        errors,
        parsed: None,
        stand_ins,
    })
}

/// `value` with a stand-in at `path` that lets parsing get past it: the
/// first of [`STAND_INS`] (or of the variants an enum names) after which
/// serde no longer stops at `path`.
fn stand_in<T: DeserializeOwned>(
    value: &Value,
    path: &[Segment],
    budget: &mut usize,
) -> Option<Value> {
    let mut candidates: Vec<Value> = STAND_INS
        .iter()
        .filter_map(|text| serde_json::from_str(text).ok())
        .collect();
    let mut tried = 0;
    while tried < candidates.len() && *budget > 0 {
        *budget -= 1;
        let mut filled = value.clone();
        if !insert(&mut filled, path, candidates[tried].clone()) {
            return None;
        }
        tried += 1;
        match serde_path_to_error::deserialize::<_, T>(&filled) {
            Ok(_) => return Some(filled),
            Err(err) => {
                let at: Vec<Segment> = err.path().iter().filter_map(Segment::from_serde).collect();
                if render(&at) != render(path) {
                    // Parsing got past the stand-in (and stopped elsewhere, if at all).
                    return Some(filled);
                }
                let message = err.into_inner().to_string();
                // An enum names what it takes: try its first variant.
                if let Some(at) = message.find("expected one of `") {
                    let variant = message[at + "expected one of `".len()..]
                        .split('`')
                        .next()
                        .unwrap_or_default();
                    candidates.push(Value::String(variant.to_owned()));
                }
            }
        }
    }
    None
}

/// The value that holds the last segment of `path`, with that segment.
fn parent_of<'v, 'p>(
    value: &'v mut Value,
    path: &'p [Segment],
) -> Option<(&'p Segment, &'v mut Value)> {
    let (last, parents) = path.split_last()?;
    let mut node = value;
    for segment in parents {
        node = match (segment, node) {
            (Segment::Key(k), Value::Object(map)) => map.get_mut(k)?,
            (Segment::Index(i), Value::Array(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some((last, node))
}

/// Sets the value at `path` (whose parents exist); false when it cannot.
fn insert(value: &mut Value, path: &[Segment], new: Value) -> bool {
    let Some((last, node)) = parent_of(value, path) else {
        return false;
    };
    match (last, node) {
        (Segment::Key(k), Value::Object(map)) => {
            map.insert(k.clone(), new);
            true
        }
        _ => false,
    }
}

#[derive(Debug, Clone)]
enum Segment {
    Key(String),
    Index(usize),
}

impl Segment {
    fn from_serde(segment: &serde_path_to_error::Segment) -> Option<Self> {
        match segment {
            serde_path_to_error::Segment::Map { key } => Some(Segment::Key(key.clone())),
            serde_path_to_error::Segment::Seq { index } => Some(Segment::Index(*index)),
            _ => None,
        }
    }
}

fn render(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Removes the value at `path`; false when there is nothing to remove.
fn remove(value: &mut Value, path: &[Segment]) -> bool {
    let Some((last, node)) = parent_of(value, path) else {
        return false;
    };
    match (last, node) {
        (Segment::Key(k), Value::Object(map)) => map.remove(k).is_some(),
        (Segment::Index(i), Value::Array(items)) if *i < items.len() => {
            items.remove(*i);
            true
        }
        _ => false,
    }
}

fn between_backticks<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?;
    rest.split('`').next()
}

fn expected_suffix(message: &str) -> String {
    match message.find("expected one of ") {
        Some(at) => format!("; {}", &message[at..]),
        None => String::new(),
    }
}

/// serde's messages name Rust types ("expected u32"); say it in API words.
fn value_message(message: &str) -> String {
    message
        .replace("expected u32", "expected a whole number")
        .replace("expected u16", "expected a whole number")
        .replace("expected i32", "expected a whole number")
        .replace("expected i64", "expected a whole number")
        .replace("expected a borrowed string", "expected a string")
        .replace("expected struct ", "expected an object ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

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
}
