//! Small-cell suppression, pure: every count from 1 to 4 is shown as
//! `"<5"`, and where a hidden cell could be worked out from the cells and
//! totals beside it, more is hidden with it.

use serde::Serialize;
use serde_json::{Value, json};

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

/// A column's total: hidden when any cell of the column is, since the total
/// would give the hidden cells' sum away.
pub fn suppress_total(values: &[i64]) -> Count {
    if suppress_column(values).contains(&Count::Hidden) {
        Count::Hidden
    } else {
        Count::of(values.iter().sum())
    }
}

/// Figures where one follows from the others (returnees = departures +
/// household members): when any of them is small, every non-zero one is
/// hidden, or the hidden one could be worked out.
pub fn suppress_linked(values: &[i64]) -> Vec<Count> {
    let any_hidden = values.iter().any(|n| Count::of(*n) == Count::Hidden);
    values
        .iter()
        .map(|n| {
            if any_hidden && *n > 0 {
                Count::Hidden
            } else {
                Count::of(*n)
            }
        })
        .collect()
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
    median(values).map(Value::from).unwrap_or(Value::Null)
}

/// The median, to one decimal.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    let value = if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    };
    Some((value * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(counts: &[Count]) -> Vec<Value> {
        counts.iter().map(|c| c.value()).collect()
    }

    #[test]
    fn counts_from_one_to_four_are_hidden_and_five_is_shown() {
        let row: Vec<Value> = [0, 1, 4, 5, 6]
            .iter()
            .map(|n| Count::of(*n).value())
            .collect();
        assert_eq!(
            row,
            [json!(0), json!("<5"), json!("<5"), json!(5), json!(6)]
        );
        assert_eq!(serde_json::to_value(Count::of(3)).ok(), Some(json!("<5")));
    }

    #[test]
    fn a_lone_hidden_cell_takes_the_smallest_other_with_it() {
        assert_eq!(
            shown(&suppress_column(&[20, 3, 7, 0, 12])),
            [json!(20), json!("<5"), json!("<5"), json!(0), json!(12)]
        );
        // Two hidden already: nothing more to hide.
        assert_eq!(
            shown(&suppress_column(&[20, 3, 2, 12])),
            [json!(20), json!("<5"), json!("<5"), json!(12)]
        );
        // A lone 4 takes the 5 beside it; a lone 5 would stand.
        assert_eq!(
            shown(&suppress_column(&[4, 5, 9])),
            [json!("<5"), json!("<5"), json!(9)]
        );
        assert_eq!(shown(&suppress_column(&[9, 8])), [json!(9), json!(8)]);
    }

    #[test]
    fn a_total_over_a_hidden_cell_is_hidden() {
        assert_eq!(suppress_total(&[20, 3, 7]).value(), json!("<5"));
        assert_eq!(suppress_total(&[20, 5, 7]).value(), json!(32));
        assert_eq!(suppress_total(&[0, 0]).value(), json!(0));
    }

    #[test]
    fn linked_figures_are_hidden_together() {
        // returnees, departures, household members.
        assert_eq!(
            shown(&suppress_linked(&[7, 4, 3])),
            [json!("<5"), json!("<5"), json!("<5")]
        );
        assert_eq!(
            shown(&suppress_linked(&[5, 5, 0])),
            [json!(5), json!(5), json!(0)]
        );
        assert_eq!(
            shown(&suppress_linked(&[12, 6, 6])),
            [json!(12), json!(6), json!(6)]
        );
    }

    #[test]
    fn rates_need_large_enough_counts() {
        assert_eq!(rate(6, 12), json!(0.5));
        assert_eq!(rate(6, 10), Value::Null, "the 4 declined would show");
        assert_eq!(rate(2, 10), Value::Null);
        assert_eq!(rate(8, 10), Value::Null, "the 2 declined would show");
        assert_eq!(rate(10, 10), json!(1.0));
        assert_eq!(rate(5, 10), json!(0.5));
    }

    #[test]
    fn medians_need_five_values() {
        assert_eq!(robust_median(&[1.0, 2.0, 3.0, 4.0]), Value::Null);
        assert_eq!(robust_median(&[5.0, 1.0, 4.0, 2.0, 3.0]), json!(3.0));
        assert_eq!(median(&[1.0, 2.0, 4.0, 8.0]), Some(3.0));
        assert_eq!(median(&[]), None);
    }
}
