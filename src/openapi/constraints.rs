//! The limits that `validator` checks on a request body (lengths, sizes,
//! ranges), read off the rules themselves and written into the body's
//! schema, so that the published contract states what the server enforces
//! without the numbers being written twice.
//!
//! How: starting from a minimal valid body of the type (the error-collecting
//! parser makes one), each field in turn is given values no rule could
//! allow (an empty and a huge string or list, a hugely negative and a huge
//! number); the `length` or `range` error that validator raises carries the
//! rule's own `min` and `max`. Fields inside the elements of a list of
//! objects are probed the same way, one element at a time. Rules written as
//! functions (a currency, a date not in the future) are not limits a schema
//! can state; their fields keep their description.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

/// What a rule allows, as schema keywords.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// `length` (of a string or a list) or `range` (of a number).
    pub code: String,
}

/// The limits of each field of `T` (`items.support` for a field of a
/// list's elements), given `T`'s schema and the document's schemas (to
/// follow `$ref`s).
pub fn of<T: DeserializeOwned + Validate>(
    schema: &Value,
    schemas: &Map<String, Value>,
) -> Vec<(Vec<String>, Limits)> {
    let Some(base) = crate::http::json::minimal::<T>() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (name, property) in properties(schema, schemas) {
        for probe in probes(&property, schemas) {
            let mut body = base.clone();
            body[name.as_str()] = probe;
            if let Some(limits) = limits_of::<T>(body, |errors| field(errors, &name)) {
                found.push((vec![name.clone()], limits));
                break;
            }
        }
        // A list of objects: each field of an element, in a list of one.
        let Some(element) = element_schema(&property, schemas) else {
            continue;
        };
        let mut one = base.clone();
        one[name.as_str()] = json!([{}]);
        let Some(filled) = crate::http::json::minimal_from::<T>(one) else {
            continue;
        };
        let first = filled[name.as_str()][0].clone();
        for (inner, inner_property) in properties(&element, schemas) {
            for probe in probes(&inner_property, schemas) {
                let mut element = first.clone();
                element[inner.as_str()] = probe;
                let mut body = filled.clone();
                body[name.as_str()] = json!([element]);
                let within = |errors: &ValidationErrors| match errors.errors().get(name.as_str()) {
                    Some(ValidationErrorsKind::List(list)) => {
                        list.get(&0).and_then(|e| field(e, &inner))
                    }
                    _ => None,
                };
                if let Some(limits) = limits_of::<T>(body, within) {
                    found.push((vec![name.clone(), inner.clone()], limits));
                    break;
                }
            }
        }
    }
    found
}

/// The limits in the first `length` or `range` error `pick` finds.
fn limits_of<T: DeserializeOwned + Validate>(
    body: Value,
    pick: impl Fn(&ValidationErrors) -> Option<Limits>,
) -> Option<Limits> {
    let parsed: T = serde_json::from_value(body).ok()?;
    let errors = parsed.validate().err()?;
    pick(&errors)
}

fn field(errors: &ValidationErrors, name: &str) -> Option<Limits> {
    let list = errors.field_errors().get(name).copied()?;
    list.iter()
        .filter(|e| e.code == "length" || e.code == "range")
        .find_map(|e| {
            let number = |key: &str| e.params.get(key).and_then(Value::as_f64);
            let (min, max) = (number("min"), number("max"));
            (min.is_some() || max.is_some()).then(|| Limits {
                min,
                max,
                code: e.code.to_string(),
            })
        })
}

/// `schema`'s own properties (after a `$ref`).
fn properties(schema: &Value, schemas: &Map<String, Value>) -> Vec<(String, Value)> {
    let schema = resolve(schema, schemas);
    schema["properties"]
        .as_object()
        .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn resolve<'s>(schema: &'s Value, schemas: &'s Map<String, Value>) -> &'s Value {
    schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .and_then(|name| schemas.get(name))
        .unwrap_or(schema)
}

fn types(schema: &Value) -> Vec<&str> {
    match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The schema of a list's elements, when they are objects.
fn element_schema(property: &Value, schemas: &Map<String, Value>) -> Option<Value> {
    if !types(property).contains(&"array") {
        return None;
    }
    let element = resolve(&property["items"], schemas);
    types(element).contains(&"object").then(|| element.clone())
}

/// A value of the list's element type, for a long list.
fn element_value(property: &Value, schemas: &Map<String, Value>) -> Option<Value> {
    let element = resolve(&property["items"], schemas);
    if let Some(first) = element["enum"].get(0) {
        return Some(first.clone());
    }
    match (types(element).first().copied(), element["format"].as_str()) {
        (Some("string"), Some("uuid")) => Some(json!("00000000-0000-0000-0000-000000000000")),
        (Some("string"), None) if element.get("pattern").is_none() => Some(json!("x")),
        _ => None,
    }
}

/// Values no length or range rule of such a field could allow.
fn probes(property: &Value, schemas: &Map<String, Value>) -> Vec<Value> {
    let kinds = types(property);
    let free_text = property.get("format").is_none()
        && property.get("pattern").is_none()
        && property.get("enum").is_none();
    if kinds.contains(&"string") && free_text {
        return vec![json!(""), json!("x".repeat(1_000_001))];
    }
    if kinds.contains(&"integer") || kinds.contains(&"number") {
        return vec![
            json!(-1_000_000_000_000_000_i64),
            json!(0),
            json!(u32::MAX),
            json!(1_000_000_000_000_000_i64),
        ];
    }
    if kinds.contains(&"array") {
        let mut out = vec![json!([])];
        if let Some(value) = element_value(property, schemas) {
            out.push(Value::Array(vec![value; 10_001]));
        }
        return out;
    }
    Vec::new()
}

/// Writes `limits` into the property it belongs to: a field of `root`, or
/// (a path of two) a field of the schema of `root`'s list elements.
pub fn apply(schemas: &mut Map<String, Value>, root: &str, path: &[String], limits: &Limits) {
    let (owner, name) = match path {
        [name] => (root.to_owned(), name),
        [list, name] => {
            let element = schemas
                .get(root)
                .and_then(|s| s["properties"][list.as_str()]["items"]["$ref"].as_str())
                .and_then(|r| r.strip_prefix("#/components/schemas/"));
            match element {
                Some(element) => (element.to_owned(), name),
                None => return,
            }
        }
        _ => return,
    };
    let Some(property) = schemas
        .get_mut(&owner)
        .and_then(|s| s["properties"].get_mut(name.as_str()))
    else {
        return;
    };
    let list = types(property).contains(&"array");
    let whole = limits.code == "length" || types(property).contains(&"integer");
    let (low, high) = match (limits.code.as_str(), list) {
        ("range", _) => ("minimum", "maximum"),
        (_, true) => ("minItems", "maxItems"),
        _ => ("minLength", "maxLength"),
    };
    // Lengths, and ranges of whole numbers, are whole numbers.
    let number = |n: f64| if whole { json!(n as i64) } else { json!(n) };
    if let Some(min) = limits.min {
        property[low] = number(min);
    }
    if let Some(max) = limits.max {
        property[high] = number(max);
    }
}
