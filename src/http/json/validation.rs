//! validator's rules as field errors: the nested `ValidationErrors` as a
//! flat list of field paths with messages in API words.

use serde_json::Value;
use validator::{ValidationErrors, ValidationErrorsKind};

use crate::domain::FieldError;

/// validator's nested errors as a flat list of field paths.
pub fn flatten_validation(errors: &ValidationErrors) -> Vec<FieldError> {
    flatten_errors(errors, true)
}

/// [`flatten_validation`], leaving out rules across fields unless
/// `across_fields` (they may compare with a stand-in value).
pub(super) fn flatten_errors(errors: &ValidationErrors, across_fields: bool) -> Vec<FieldError> {
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
