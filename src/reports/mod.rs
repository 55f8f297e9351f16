//! Programme monitoring for leads: aggregates only, never notes or
//! identities. Every count from 1 to 4 is shown as `"<5"`; where one cell of
//! a column is hidden and a total would reveal it, a second cell is hidden
//! too. Every report also answers `Accept: text/csv`.

pub mod routes;
pub mod store;

use serde::Serialize;
use serde_json::{Map, Value, json};

/// Counts below this (and above zero) are not shown.
pub const THRESHOLD: i64 = 5;

/// A count as a report shows it: an integer, or `"<5"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Shown(i64),
    Hidden,
}

impl Count {
    pub fn of(n: i64) -> Self {
        if n > 0 && n < THRESHOLD {
            Count::Hidden
        } else {
            Count::Shown(n)
        }
    }

    pub fn value(self) -> Value {
        match self {
            Count::Shown(n) => json!(n),
            Count::Hidden => json!("<5"),
        }
    }
}

impl Serialize for Count {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

/// Small cells hidden; then, in a column where exactly one cell is hidden
/// but the column is totalled, the smallest other non-zero cell as well, so
/// that the total minus the others does not give the hidden one away.
pub fn suppress_column(values: &[i64]) -> Vec<Count> {
    let mut counts: Vec<Count> = values.iter().map(|n| Count::of(*n)).collect();
    let hidden = counts.iter().filter(|c| **c == Count::Hidden).count();
    if hidden == 1 {
        let second = values
            .iter()
            .enumerate()
            .filter(|(i, n)| **n > 0 && counts[*i] != Count::Hidden)
            .min_by_key(|(_, n)| **n)
            .map(|(i, _)| i);
        if let Some(i) = second {
            counts[i] = Count::Hidden;
        }
    }
    counts
}

/// A rate only when both its counts are shown and large enough.
pub fn rate(part: i64, whole: i64) -> Value {
    if whole >= THRESHOLD
        && (part == 0 || part >= THRESHOLD)
        && (whole - part == 0 || whole - part >= THRESHOLD)
    {
        json!(((part as f64 / whole as f64) * 1000.0).round() / 1000.0)
    } else {
        Value::Null
    }
}

/// A median in a report: only of five values or more (fewer would
/// describe a handful of people), else `null`.
pub fn robust_median(values: &[f64]) -> Value {
    if (values.len() as i64) < THRESHOLD {
        return Value::Null;
    }
    store::median(values)
        .map(Value::from)
        .unwrap_or(Value::Null)
}

/// Rows of objects as CSV, with these columns in this order.
pub fn to_csv(columns: &[&str], rows: &[Map<String, Value>]) -> Result<String, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(columns)?;
    for row in rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|key| match row.get(*key) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            })
            .collect();
        writer.write_record(&cells)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_one_to_four_are_hidden() {
        assert_eq!(Count::of(0).value(), json!(0));
        assert_eq!(Count::of(1).value(), json!("<5"));
        assert_eq!(Count::of(4).value(), json!("<5"));
        assert_eq!(Count::of(5).value(), json!(5));
    }

    #[test]
    fn a_lone_hidden_cell_takes_a_second_one_with_it() {
        let counts = suppress_column(&[20, 3, 7, 0, 12]);
        assert_eq!(
            counts,
            [
                Count::Shown(20),
                Count::Hidden,
                Count::Hidden,
                Count::Shown(0),
                Count::Shown(12)
            ]
        );
        let two = suppress_column(&[20, 3, 2, 12]);
        assert_eq!(
            two,
            [
                Count::Shown(20),
                Count::Hidden,
                Count::Hidden,
                Count::Shown(12)
            ]
        );
        assert_eq!(suppress_column(&[9, 8]), [Count::Shown(9), Count::Shown(8)]);
    }

    #[test]
    fn rates_need_large_enough_counts() {
        assert_eq!(rate(6, 12), json!(0.5));
        assert_eq!(rate(6, 10), Value::Null, "the 4 declined would show");
        assert_eq!(rate(2, 10), Value::Null);
        assert_eq!(rate(8, 10), Value::Null, "the 2 declined would show");
        assert_eq!(rate(10, 10), json!(1.0));
    }

    #[test]
    fn csv_has_a_header_and_quotes_what_needs_it() {
        let mut row = Map::new();
        row.insert("partner_id".into(), json!("a, b"));
        row.insert("referrals".into(), json!("<5"));
        let text = to_csv(&["partner_id", "referrals"], &[row]).expect("csv");
        assert_eq!(text, "partner_id,referrals\n\"a, b\",<5\n");
    }
}
