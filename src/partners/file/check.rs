//! Walking a partner file's TOML with its spans: each value read with the
//! line it stands on, and every problem reported as `file:line: field:
//! message`. What a partner file holds is in the module above.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};
use validator::ValidateEmail;

use super::DirectoryProblem;

/// One TOML table with the path that leads to it, for messages.
pub(super) struct Fields<'t, 'i> {
    pub(super) table: &'t DeTable<'i>,
    pub(super) span: Range<usize>,
    pub(super) prefix: String,
}

impl<'t, 'i> Fields<'t, 'i> {
    pub(super) fn new(table: &'t DeTable<'i>, span: Range<usize>, prefix: &str) -> Self {
        Self {
            table,
            span,
            prefix: prefix.to_owned(),
        }
    }

    pub(super) fn get(&self, key: &str) -> Option<&'t Spanned<DeValue<'i>>> {
        self.table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| v)
    }

    pub(super) fn path(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }
}

pub(super) struct Check<'a> {
    pub(super) file: &'a Path,
    pub(super) text: &'a str,
    pub(super) problems: Vec<DirectoryProblem>,
}

impl Check<'_> {
    pub(super) fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    pub(super) fn report_line(
        &mut self,
        line: usize,
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.problems.push(DirectoryProblem {
            file: self.file.to_path_buf(),
            line,
            field: field.into(),
            message: message.into(),
        });
    }

    pub(super) fn report(
        &mut self,
        span: &Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        let line = self.line(span.start);
        self.report_line(line, field, message);
    }

    /// Reports unknown keys, and required keys that are absent.
    pub(super) fn keys(&mut self, fields: &Fields, known: &[&str], required: &[&str]) {
        for (key, _) in fields.table.iter() {
            let name = key.get_ref().as_ref();
            if !known.contains(&name) {
                self.report(
                    &key.span(),
                    fields.path(name),
                    format!("is not a known field (known: {})", known.join(", ")),
                );
            }
        }
        for name in required {
            if fields.get(name).is_none() {
                self.report(&fields.span, fields.path(name), "is required");
            }
        }
    }

    pub(super) fn string(&mut self, fields: &Fields, key: &str) -> Option<(String, Range<usize>)> {
        let value = fields.get(key)?;
        match value.get_ref() {
            DeValue::String(s) if s.trim().is_empty() => {
                self.report(&value.span(), fields.path(key), "must not be empty");
                None
            }
            DeValue::String(s) => Some((s.to_string(), value.span())),
            _ => {
                self.report(&value.span(), fields.path(key), "must be a string");
                None
            }
        }
    }

    pub(super) fn integer(&mut self, fields: &Fields, key: &str, range: Range<i64>) -> Option<i64> {
        let value = fields.get(key)?;
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => i.as_str().replace('_', "").parse::<i64>().ok(),
            _ => None,
        };
        match parsed {
            Some(n) if range.contains(&n) => Some(n),
            _ => {
                self.report(
                    &value.span(),
                    fields.path(key),
                    format!(
                        "must be a whole number from {} to {}",
                        range.start,
                        range.end - 1
                    ),
                );
                None
            }
        }
    }

    /// A list of strings; each element with its span.
    pub(super) fn strings(
        &mut self,
        fields: &Fields,
        key: &str,
        non_empty: bool,
    ) -> Option<Vec<(String, Range<usize>)>> {
        let value = fields.get(key)?;
        let DeValue::Array(items) = value.get_ref() else {
            self.report(&value.span(), fields.path(key), "must be a list of strings");
            return None;
        };
        if non_empty && items.is_empty() {
            self.report(&value.span(), fields.path(key), "must not be empty");
            return None;
        }
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::String(s) => out.push((s.to_string(), item.span())),
                _ => self.report(
                    &item.span(),
                    format!("{}[{i}]", fields.path(key)),
                    "must be a string",
                ),
            }
        }
        Some(out)
    }

    /// An array of tables (`[[key]]`).
    pub(super) fn tables<'t, 'i>(
        &mut self,
        fields: &Fields<'t, 'i>,
        key: &str,
    ) -> Option<Vec<Fields<'t, 'i>>> {
        let value = fields.get(key)?;
        let DeValue::Array(items) = value.get_ref() else {
            self.report(
                &value.span(),
                fields.path(key),
                format!("must be a list of tables ([[{key}]])"),
            );
            return None;
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}[{i}]", fields.path(key));
            match item.get_ref() {
                DeValue::Table(table) => out.push(Fields::new(table, item.span(), &path)),
                _ => self.report(&item.span(), path, "must be a table"),
            }
        }
        Some(out)
    }

    pub(super) fn email(&mut self, fields: &Fields, key: &str) -> Option<String> {
        let (email, span) = self.string(fields, key)?;
        if email.validate_email() {
            Some(email)
        } else {
            self.report(
                &span,
                fields.path(key),
                format!("`{email}` is not an email address"),
            );
            None
        }
    }
}
