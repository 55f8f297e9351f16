//! The validator crate's errors as the fields a person must fix: one
//! `FieldError` per broken rule, named by its path (`household.members[2]`),
//! with a sentence for each rule. Commands and the API's body parser both
//! use it.

use serde_json::Value;
use validator::{ValidationErrors, ValidationErrorsKind};

use super::FieldError;

/// validator's nested errors as a flat list of field paths.
pub fn field_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    field_errors_within(errors, true)
}

/// [`field_errors`], leaving out rules across fields unless
/// `across_fields` (they may compare with a stand-in value).
pub fn field_errors_within(errors: &ValidationErrors, across_fields: bool) -> Vec<FieldError> {
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
    use validator::Validate;

    use super::*;

    fn both_set(input: &Outer) -> Result<(), validator::ValidationError> {
        if input.from > input.to {
            return Err(crate::domain::rules::field_rule(
                "to",
                "must not be before from",
            ));
        }
        Ok(())
    }

    #[derive(Validate)]
    struct Inner {
        #[validate(length(min = 1, max = 3))]
        names: Vec<String>,
    }

    #[derive(Validate)]
    #[validate(schema(function = "both_set", skip_on_field_errors = false))]
    struct Outer {
        #[validate(range(min = 5, max = 480))]
        minutes: u32,
        #[validate(nested)]
        household: Inner,
        from: u32,
        to: u32,
    }

    #[test]
    fn nested_fields_are_named_by_path_and_rules_across_fields_by_their_field() {
        let bad = Outer {
            minutes: 2,
            household: Inner { names: Vec::new() },
            from: 9,
            to: 1,
        };
        let errors = bad.validate().expect_err("invalid");
        let named: Vec<(String, String)> = field_errors(&errors)
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect();
        assert_eq!(
            named,
            [
                (
                    "household.names".to_owned(),
                    "must have between 1 and 3 characters or items".to_owned()
                ),
                ("minutes".to_owned(), "must be between 5 and 480".to_owned()),
                ("to".to_owned(), "must not be before from".to_owned()),
            ]
        );
        let without: Vec<String> = field_errors_within(&errors, false)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(without, ["household.names", "minutes"]);
    }
}
