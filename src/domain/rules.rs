//! Validation rules shared by the input types of several areas, for
//! `#[validate(custom(function = ...))]` and `#[serde(deserialize_with = ...)]`.

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer};
use validator::ValidationError;

fn error(code: &'static str, message: &'static str) -> ValidationError {
    let mut error = ValidationError::new(code);
    error.message = Some(message.into());
    error
}

pub fn not_in_future(date: &NaiveDate) -> Result<(), ValidationError> {
    if *date > chrono::Utc::now().date_naive() {
        return Err(error("future", "must not be in the future"));
    }
    Ok(())
}

pub fn not_blank(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(error("blank", "must not be blank"));
    }
    Ok(())
}

/// A rule across fields (`#[validate(schema(...))]`) that names the field
/// it is about, so that the 422 names it instead of `__all__`.
pub fn field_rule(field: &'static str, message: &'static str) -> ValidationError {
    let mut error = error("invalid", message);
    error.add_param("field".into(), &field);
    error
}

/// For optional fields of a change: absent stays `None`, `null` becomes
/// `Some(None)` (clear it), a value `Some(Some(v))`.
pub fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
