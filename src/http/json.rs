//! The JSON body extractor: 415 unless the body is JSON, 413 over
//! [`MAX_BODY_BYTES`](super::MAX_BODY_BYTES), 400 for malformed JSON, and 422
//! naming every unknown field, bad value and failed rule.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::Value;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use super::problem::{AppError, FieldError, Problem};

/// A request body, parsed and validated: handlers only ever see a valid `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| {
            m.type_() == mime::APPLICATION
                && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
        })
}

/// Reads the body within the size limit: 413 above it.
async fn read(body: <Bytes as FromRequest>::Future) -> Result<Bytes, AppError> {
    body.await.map_err(|e| {
        if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Content Too Large",
                format!("The body may be at most {} bytes.", super::MAX_BODY_BYTES),
            )
            .into()
        } else {
            AppError::bad_request("The request body could not be read.")
        }
    })
}

impl<T> FromRequest for JsonBody<T>
where
    T: DeserializeOwned + Validate + 'static,
{
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = is_json(req);
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(Problem::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE).into());
            }
            parse_body(&read(body).await?).map(JsonBody)
        })
    }
}

/// A body that may be left out entirely (then `T::default()`); when sent, it
/// is checked like [`JsonBody`].
#[derive(Debug)]
pub struct OptionalJsonBody<T>(pub T);

impl<T> FromRequest for OptionalJsonBody<T>
where
    T: DeserializeOwned + Validate + Default + 'static,
{
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = is_json(req);
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = read(body).await?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJsonBody(T::default()));
            }
            if !is_json {
                return Err(Problem::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE).into());
            }
            parse_body(&bytes).map(OptionalJsonBody)
        })
    }
}

/// Parses and validates a body: what the extractor does once the bytes are in.
pub fn parse_body<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, AppError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        AppError::bad_request(format!(
            "The body is not valid JSON: {} (line {}, column {}).",
            syntax_message(&e),
            e.line(),
            e.column()
        ))
    })?;
    match deserialize_collecting::<T>(value) {
        Ok(parsed) => {
            parsed
                .validate()
                .map_err(|errors| AppError::validation(flatten_validation(&errors)))?;
            Ok(parsed)
        }
        Err(partial) => {
            // The rules still run on what did parse, so that one answer
            // names every bad field, not only those serde refused.
            let mut errors = partial.errors;
            if let Some(Err(rules)) = partial.parsed.map(|parsed| parsed.validate()) {
                // Rules across fields are left out: a field taken out for a
                // bad value (or stood in for) would make them say wrong things.
                for error in flatten_errors(&rules, false) {
                    let said = errors.iter().any(|e| covers(&e.field, &error.field));
                    let stood_in = partial.stand_ins.iter().any(|s| covers(s, &error.field));
                    if !said && !stood_in {
                        errors.push(error);
                    }
                }
            }
            Err(AppError::validation(errors))
        }
    }
}

/// True when an error on `outer` already speaks for `field` (the same field,
/// or a part of it).
fn covers(outer: &str, field: &str) -> bool {
    field == outer
        || field
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

fn syntax_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.find(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
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

/// validator's nested errors as a flat list of field paths.
pub fn flatten_validation(errors: &ValidationErrors) -> Vec<FieldError> {
    flatten_errors(errors, true)
}

/// [`flatten_validation`], leaving out rules across fields unless
/// `across_fields` (they may compare with a stand-in value).
fn flatten_errors(errors: &ValidationErrors, across_fields: bool) -> Vec<FieldError> {
    let mut out = Vec::new();
    flatten_into(errors, "", across_fields, &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

fn flatten_into(
    errors: &ValidationErrors,
    prefix: &str,
    across_fields: bool,
    out: &mut Vec<FieldError>,
) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        // Rules across fields (`#[validate(schema(...))]`) name their field
        // in a `field` parameter instead of `__all__`.
        if let ValidationErrorsKind::Field(list) = kind
            && field == "__all__"
        {
            if !across_fields {
                continue;
            }
            for error in list {
                let named = error
                    .params
                    .get("field")
                    .and_then(|v| v.as_str())
                    .unwrap_or("");
                let field = if prefix.is_empty() {
                    named.to_owned()
                } else {
                    format!("{prefix}.{named}")
                };
                let message = error
                    .message
                    .as_ref()
                    .map(|m| m.to_string())
                    .unwrap_or_default();
                out.push(FieldError::new(field, message));
            }
            continue;
        }
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    let message = error
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| default_message(&error.code, &error.params));
                    out.push(FieldError::new(path.clone(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten_into(inner, &path, across_fields, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten_into(inner, &format!("{path}[{index}]"), across_fields, out);
                }
            }
        }
    }
}

fn default_message(
    code: &str,
    params: &std::collections::HashMap<std::borrow::Cow<'static, str>, Value>,
) -> String {
    let bound = |name: &str| params.get(name).map(|v| v.to_string());
    match code {
        "length" => match (bound("min"), bound("max")) {
            (Some(min), Some(max)) => {
                format!("must have between {min} and {max} characters or items")
            }
            (Some(min), None) => format!("must have at least {min} characters or items"),
            (None, Some(max)) => format!("must have at most {max} characters or items"),
            _ => "has the wrong length".to_owned(),
        },
        "range" => match (bound("min"), bound("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".to_owned(),
        },
        "email" => "must be an email address".to_owned(),
        "url" => "must be a URL".to_owned(),
        "required" => "is required".to_owned(),
        other => format!("is not valid ({other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::ResponseError;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Talk {
        #[allow(dead_code)]
        held_on: chrono::NaiveDate,
        #[validate(range(min = 5, max = 480))]
        duration_minutes: u32,
        #[allow(dead_code)]
        topics: Vec<String>,
        #[allow(dead_code)]
        #[serde(default)]
        notes: Option<String>,
    }

    fn fields(err: AppError) -> Vec<String> {
        match err {
            AppError::Problem(p) => p.errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a problem, got {other:?}"),
        }
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
    fn rules_are_checked_after_parsing() {
        let body = br#"{"held_on": "2026-01-02", "duration_minutes": 2, "topics": []}"#;
        assert_eq!(
            fields(parse_body::<Talk>(body).expect_err("too short")),
            ["duration_minutes"]
        );
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        let err = parse_body::<Talk>(b"{\"held_on\": ").expect_err("truncated");
        assert_eq!(err.status_code(), StatusCode::BAD_REQUEST);
    }
}
