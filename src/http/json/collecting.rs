//! The error-collecting parser: deserializes a body and, rather than
//! stopping at the first bad field, names every one in a single walk.
//!
//! A good body is parsed once. A bad one is taken apart: each part of it
//! (each key of an object, each element of a list) is tried on its own,
//! placed in a minimal valid body of the same type (built from stand-in
//! values, and small), and only a part that fails is looked into further.
//! So every part of the body is parsed a bounded number of times (about
//! once per level of the type's nesting), whatever the body holds: the work
//! is linear in the body, not one more pass over it per bad field.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::domain::FieldError;

use super::path::{Segment, get, insert, join, remove, render, shape_of, starts_with, with};

/// At most this many errors are named; a body with more is answered with these.
const MAX_ERRORS: usize = 64;

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
/// at the first (see the module's text for how).
pub fn deserialize_collecting<T: DeserializeOwned>(value: Value) -> Result<T, Partial<T>> {
    let first = match parse::<T>(&value) {
        Ok(parsed) => return Ok(parsed),
        Err(err) => err,
    };
    let mut walk = Walk::<T> {
        errors: Vec::new(),
        bad: Vec::new(),
        shapes: HashMap::new(),
        kind: std::marker::PhantomData,
    };
    // A minimal body of this type, to try each part of this one in.
    match complete::<T>(Value::Object(Map::new())) {
        Some((base, _)) => {
            if let Value::Object(shape) = &base {
                walk.shapes.insert(String::new(), shape.clone());
            }
            walk.failed(&base, &[], &[], &value, first);
        }
        None => walk.note(&[], &[], first),
    }
    if walk.errors.is_empty() {
        // The parts were each good but not together: what serde says.
        if let Err(err) = parse::<T>(&value) {
            walk.note(&[], &[], err);
        }
    }
    // The rules run on what was good: bad parts taken out and stood in
    // for. A bad element of a list of objects gets the minimal element in
    // its place (so no index moves and the other elements keep their
    // rules); a bad element of any other list takes the list with it.
    let mut good = value;
    let mut stood_in: Vec<String> = Vec::new();
    for path in &walk.bad {
        let element = walk
            .shapes
            .get(&shape_of(path))
            .filter(|_| matches!(path.last(), Some(Segment::Index(_))));
        if let Some(shape) = element
            && insert(&mut good, path, Value::Object(shape.clone()))
        {
            stood_in.push(render(path));
            continue;
        }
        let mut cut = path.as_slice();
        while let Some((Segment::Index(_), parent)) = cut.split_last() {
            cut = parent;
        }
        if !cut.is_empty() {
            remove(&mut good, cut);
        }
    }
    let mut stand_ins = stood_in;
    fill(&mut good, &mut Vec::new(), &walk.shapes, &mut stand_ins);
    let parsed = match parse::<T>(&good) {
        Ok(parsed) => Some(parsed),
        // A part the walk did not reach (it stops after MAX_ERRORS):
        // stand-ins found by trying.
        Err(_) => complete::<T>(good).and_then(|(value, more)| {
            stand_ins.extend(more);
            parse::<T>(&value).ok()
        }),
    };
    Err(Partial {
        errors: walk.errors,
        parsed,
        stand_ins,
    })
}

/// A minimal body of `T`: every required field with a stand-in value.
pub fn minimal<T: DeserializeOwned>() -> Option<Value> {
    minimal_from::<T>(Value::Object(Map::new()))
}

/// `start` with a stand-in for every required field it lacks, at any depth.
pub fn minimal_from<T: DeserializeOwned>(start: Value) -> Option<Value> {
    complete::<T>(start).map(|(value, _)| value)
}

/// Puts in `value`, at any depth, each required key that the walk's
/// minimal body of the same place holds and `value` lacks.
fn fill(
    value: &mut Value,
    at: &mut Vec<Segment>,
    shapes: &HashMap<String, Map<String, Value>>,
    stand_ins: &mut Vec<String>,
) {
    match value {
        Value::Object(map) => {
            if let Some(shape) = shapes.get(&shape_of(at)) {
                for (key, stand_in) in shape {
                    if !map.contains_key(key) {
                        map.insert(key.clone(), stand_in.clone());
                        stand_ins.push(render(&join(at, Segment::Key(key.clone()))));
                    }
                }
            }
            for (key, inner) in map.iter_mut() {
                at.push(Segment::Key(key.clone()));
                fill(inner, at, shapes, stand_ins);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                at.push(Segment::Index(i));
                fill(item, at, shapes, stand_ins);
                at.pop();
            }
        }
        _ => {}
    }
}

type ParseError = serde_path_to_error::Error<serde_json::Error>;

/// Parses `T` from `value`, with the path to where it stopped.
fn parse<T: DeserializeOwned>(value: &Value) -> Result<T, ParseError> {
    #[cfg(test)]
    tests::count_parsed(value);
    serde_path_to_error::deserialize::<_, T>(value)
}

/// The walk over a bad body: what it found so far.
struct Walk<T> {
    errors: Vec<FieldError>,
    /// Where each error is, as the client's body has it.
    bad: Vec<Vec<Segment>>,
    /// The minimal object made for each place looked into (by `shape_of`).
    shapes: HashMap<String, Map<String, Value>>,
    kind: std::marker::PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Walk<T> {
    fn full(&self) -> bool {
        self.errors.len() >= MAX_ERRORS
    }

    fn push(&mut self, path: Vec<Segment>, message: String) {
        if self.full() {
            return;
        }
        // An error already named at this path, or at a part holding it,
        // speaks for it (compared by segments: a key may hold a dot).
        if self.bad.iter().any(|b| path.starts_with(b)) {
            return;
        }
        self.errors.push(FieldError::new(render(&path), message));
        self.bad.push(path);
    }

    /// Tries `part` (the client's value at `real`) at `at` in `base`, a body
    /// that is valid once a good value is put at `at`; when it fails, looks
    /// into its keys or elements, or names it.
    fn part(&mut self, base: &Value, at: &[Segment], real: &[Segment], part: &Value) {
        if self.full() {
            return;
        }
        let Some(probe) = with(base, at, part.clone()) else {
            return;
        };
        if let Err(err) = parse::<T>(&probe) {
            self.failed(base, at, real, part, err);
        }
    }

    /// `part` failed with `err`: looks into its keys or elements, or names it.
    fn failed(
        &mut self,
        base: &Value,
        at: &[Segment],
        real: &[Segment],
        part: &Value,
        err: ParseError,
    ) {
        let path: Vec<Segment> = err.path().iter().filter_map(Segment::from_serde).collect();
        let message = err.inner().to_string();
        let deeper = path.len() > at.len() && starts_with(&path, at);
        // This part is itself a key that the type does not know.
        if let (Some(name), Some((Segment::Key(last), parent))) = (
            between_backticks(&message, "unknown field `"),
            at.split_last(),
        ) {
            let here = render(&path) == render(at) || render(&path) == render(parent);
            if name == last && here {
                let said = format!("is not a known field{}", expected_suffix(&message));
                return self.push(real.to_vec(), said);
            }
        }
        match part {
            Value::Object(map)
                if deeper
                    || message.starts_with("unknown field `")
                    || message.starts_with("missing field `") =>
            {
                let Some((inner, _)) =
                    with(base, at, Value::Object(Map::new())).and_then(complete::<T>)
                else {
                    return self.note(at, real, err);
                };
                if let Some(Value::Object(shape)) = get(&inner, at) {
                    self.shapes
                        .entry(render(at))
                        .or_insert_with(|| shape.clone());
                }
                for (key, value) in map {
                    let key = Segment::Key(key.clone());
                    self.part(&inner, &join(at, key.clone()), &join(real, key), value);
                }
                // What the minimal body needed and this part left out.
                if let Some(Value::Object(needed)) = get(&inner, at) {
                    for key in needed.keys().filter(|k| !map.contains_key(*k)) {
                        let field = join(real, Segment::Key(key.clone()));
                        self.push(field, "is required".to_owned());
                    }
                }
            }
            Value::Array(items) if deeper => {
                let Some(inner) = with(base, at, Value::Array(vec![Value::Null])) else {
                    return self.note(at, real, err);
                };
                let element = join(at, Segment::Index(0));
                // The minimal element, to stand in for a bad one later.
                if let Some((filled, _)) =
                    with(&inner, &element, Value::Object(Map::new())).and_then(complete::<T>)
                    && let Some(Value::Object(shape)) = get(&filled, &element)
                {
                    self.shapes
                        .entry(render(&element))
                        .or_insert_with(|| shape.clone());
                }
                for (i, item) in items.iter().enumerate() {
                    self.part(&inner, &element, &join(real, Segment::Index(i)), item);
                }
            }
            _ => self.note(at, real, err),
        }
    }

    /// Names the error serde stopped at, with its path as the client sent it.
    fn note(&mut self, at: &[Segment], real: &[Segment], err: ParseError) {
        let mut path: Vec<Segment> = err.path().iter().filter_map(Segment::from_serde).collect();
        if starts_with(&path, at) {
            path = [real, &path[at.len()..]].concat();
        }
        let message = err.into_inner().to_string();
        if let Some(name) = between_backticks(&message, "unknown field `") {
            if !matches!(path.last(), Some(Segment::Key(last)) if last == name) {
                path.push(Segment::Key(name.to_owned()));
            }
            let said = format!("is not a known field{}", expected_suffix(&message));
            self.push(path, said);
        } else if let Some(name) = between_backticks(&message, "missing field `") {
            path.push(Segment::Key(name.to_owned()));
            self.push(path, "is required".to_owned());
        } else {
            self.push(path, value_message(&message));
        }
    }
}

/// `value` with a stand-in for every required field it lacks, at any depth,
/// and the fields stood in for; `None` when it fails for another reason (or
/// no stand-in will do). Bounded: the work depends on the type, not on
/// `value`, beyond parsing it once per field stood in for.
fn complete<T: DeserializeOwned>(mut value: Value) -> Option<(Value, Vec<String>)> {
    let mut stand_ins: Vec<String> = Vec::new();
    let mut budget: usize = 120;
    while budget > 0 {
        budget -= 1;
        let err = match parse::<T>(&value) {
            Ok(_) => return Some((value, stand_ins)),
            Err(err) => err,
        };
        let mut path: Vec<Segment> = err.path().iter().filter_map(Segment::from_serde).collect();
        let message = err.into_inner().to_string();
        let name = between_backticks(&message, "missing field `")?;
        path.push(Segment::Key(name.to_owned()));
        let field = render(&path);
        if stand_ins.contains(&field) {
            return None;
        }
        value = stand_in::<T>(&value, &path, &mut budget)?;
        stand_ins.push(field);
    }
    None
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
        match parse::<T>(&filled) {
            Ok(_) => return Some(filled),
            Err(err) => {
                let at: Vec<Segment> = err.path().iter().filter_map(Segment::from_serde).collect();
                if render(&at) != render(path) {
                    // Parsing got past the stand-in (and stopped elsewhere, if at all).
                    return Some(filled);
                }
                let message = err.into_inner().to_string();
                // An enum names what it takes ("expected `a` or `b`",
                // "expected one of `a`, `b`, `c`"): try its first variant.
                if message.starts_with("unknown variant `") {
                    let variant = message
                        .split_once("expected ")
                        .and_then(|(_, expected)| expected.split('`').nth(1));
                    if let Some(variant) = variant {
                        candidates.push(Value::String(variant.to_owned()));
                    }
                }
            }
        }
    }
    None
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
mod tests;
