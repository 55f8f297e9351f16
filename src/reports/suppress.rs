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

/// A count from 1 to 4: one that would describe a handful of people.
pub fn is_small(n: i64) -> bool {
    n > 0 && n < THRESHOLD
}

/// Small cells hidden; then, in a column where exactly one cell is hidden
/// but the column is totalled, the smallest other non-zero cell as well, so
/// that the total minus the others does not give the hidden one away.
pub fn suppress_column(values: &[i64]) -> Vec<Count> {
    suppress_column_with(values, &vec![false; values.len()])
}

/// [`suppress_column`] over the parts a filter splits a figure into (one
/// per partner, say), with `also` marking parts hidden for another reason
/// (see [`narrowed`]). A part is hidden when it is small, when all the
/// other parts together are (the total minus it would name them), or when
/// `also` says so; then, where exactly one part is hidden, the smallest
/// other non-zero part goes with it.
pub fn suppress_column_with(values: &[i64], also: &[bool]) -> Vec<Count> {
    let total: i64 = values.iter().sum();
    let mut counts: Vec<Count> = values
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let hide = *n > 0 && (also.get(i) == Some(&true) || is_small(total - n));
            if hide { Count::Hidden } else { Count::of(*n) }
        })
        .collect();
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

/// A figure narrowed by a filter (a partner, a country), beside the same
/// figure under each wider scope a lead can also ask for (that filter
/// dropped): hidden when it is small, or when what the filter left out of
/// a wider figure is, since the subtraction would show it. A zero stays 0:
/// the wider figure is then all left out, and shown (or hidden) as itself.
pub fn narrowed(value: i64, wider: &[i64]) -> Count {
    if value > 0 && wider.iter().any(|w| is_small(w - value)) {
        Count::Hidden
    } else {
        Count::of(value)
    }
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

/// The 90th percentile in a report (nearest rank, to one decimal): only of
/// ten values or more, so that it is never one of a handful of people's.
pub fn robust_p90(values: &[f64]) -> Value {
    if values.len() < 2 * THRESHOLD as usize {
        return Value::Null;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((values.len() as f64) * 0.9).ceil() as usize;
    let value = sorted[rank.clamp(1, sorted.len()) - 1];
    Value::from((value * 10.0).round() / 10.0)
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

/// A table whose rows and columns are both totalled (partners by kind of
/// breach, say): small cells hidden, then in every row and every column
/// where exactly one cell is hidden the smallest other non-zero one with
/// it, again until nothing more is hidden, so that no row's or column's
/// total less its shown cells gives one hidden cell away.
pub fn suppress_table(values: &[Vec<i64>]) -> Vec<Vec<Count>> {
    let mut hidden: Vec<Vec<bool>> = values
        .iter()
        .map(|row| row.iter().map(|n| is_small(*n)).collect())
        .collect();
    let width = values.iter().map(Vec::len).max().unwrap_or(0);
    loop {
        let mut changed = false;
        for (r, row) in values.iter().enumerate() {
            let shown = suppress_column_with(row, &hidden[r]);
            for (c, count) in shown.iter().enumerate() {
                if *count == Count::Hidden && !hidden[r][c] {
                    hidden[r][c] = true;
                    changed = true;
                }
            }
        }
        for c in 0..width {
            let column: Vec<i64> = values
                .iter()
                .map(|row| row.get(c).copied().unwrap_or(0))
                .collect();
            let also: Vec<bool> = hidden
                .iter()
                .map(|row| row.get(c).copied().unwrap_or(false))
                .collect();
            let shown = suppress_column_with(&column, &also);
            for (r, count) in shown.iter().enumerate() {
                if *count == Count::Hidden && hidden[r].get(c) == Some(&false) {
                    hidden[r][c] = true;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    values
        .iter()
        .zip(&hidden)
        .map(|(row, flags)| {
            row.iter()
                .zip(flags)
                .map(|(n, h)| if *h { Count::Hidden } else { Count::of(*n) })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ninetieth_percentile_needs_ten_values_and_is_the_nearest_rank() {
        let nine: Vec<f64> = (1..=9).map(f64::from).collect();
        assert_eq!(robust_p90(&nine), Value::Null);
        let ten: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        assert_eq!(robust_p90(&ten), json!(9.0));
        let twenty: Vec<f64> = (1..=20).map(|n| f64::from(n) * 1.5).collect();
        assert_eq!(robust_p90(&twenty), json!(27.0));
    }

    #[test]
    fn a_table_hides_a_second_cell_in_every_row_and_column_with_one_hidden() {
        // Partners by kind: A has 3 of the first kind and 9 of the second.
        let table = suppress_table(&[vec![3, 9, 0], vec![6, 8, 7], vec![10, 0, 12]]);
        let shown: Vec<Vec<Value>> = table.iter().map(|r| shown(r)).collect();
        // Row A: 3 hidden, 9 goes with it. Column 1: 3 hidden, 6 (the
        // smallest other) with it; column 2: 9 hidden, 8 with it. Row B
        // then has 6 and 8 hidden: two, enough.
        assert_eq!(
            shown,
            [
                vec![json!("<5"), json!("<5"), json!(0)],
                vec![json!("<5"), json!("<5"), json!(7)],
                vec![json!(10), json!(0), json!(12)],
            ]
        );
        // Every row and column has none or at least two hidden.
        for row in &table {
            assert_ne!(row.iter().filter(|c| **c == Count::Hidden).count(), 1);
        }
        for c in 0..3 {
            assert_ne!(table.iter().filter(|r| r[c] == Count::Hidden).count(), 1);
        }
    }

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
    fn a_part_is_hidden_when_the_rest_of_its_column_is_small() {
        // 10 beside 2 and 2: the total 14 minus 10 would say "4 elsewhere".
        assert_eq!(
            shown(&suppress_column(&[10, 2, 2])),
            [json!("<5"), json!("<5"), json!("<5")]
        );
        assert_eq!(
            shown(&suppress_column(&[10, 6, 0])),
            [json!(10), json!(6), json!(0)]
        );
        // Five, five and two: the two is not the only one hidden.
        assert_eq!(
            shown(&suppress_column(&[5, 5, 2])),
            [json!("<5"), json!(5), json!("<5")]
        );
        // Hidden for another reason: it takes a second cell with it.
        assert_eq!(
            shown(&suppress_column_with(&[9, 7, 20], &[true, false, false])),
            [json!("<5"), json!("<5"), json!(20)]
        );
    }

    #[test]
    fn a_narrowed_figure_hides_what_a_subtraction_would_show() {
        // Partner A's 5 of 7 cases: the other 2 would follow.
        assert_eq!(narrowed(5, &[7]).value(), json!("<5"));
        assert_eq!(narrowed(3, &[20]).value(), json!("<5"));
        assert_eq!(narrowed(5, &[5]).value(), json!(5), "nothing left out");
        assert_eq!(narrowed(5, &[10]).value(), json!(5), "five left out");
        assert_eq!(narrowed(12, &[30, 14]).value(), json!("<5"));
        assert_eq!(narrowed(0, &[3]).value(), json!(0));
        assert_eq!(narrowed(0, &[9]).value(), json!(0));
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
