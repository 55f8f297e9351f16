//! Who reaches each stage: the funnel ([`super::funnel`], the same stages
//! and definitions) broken down by the client's sex and by their age band
//! (0–17, 18–34, 35–59, 60+, age on the last day of the period). A stage
//! counts what it counts in the funnel (talks' clients, cases, referrals,
//! visits), each in the group of the client whose case it is.
//!
//! Suppression, as everywhere in reports and more: every count from 1 to 4
//! is `"<5"`; a group's count is judged as the funnel judges a filtered one
//! (against the same group without each filter, and among the other
//! partners' and countries'); the groups of a stage add up to the funnel's
//! count, so where one is hidden a second is too, and a part is hidden when
//! the rest are 1 to 4. Where the funnel hides the stage, every group of it
//! is hidden. Under a filter, a stage with any group hidden, or with a
//! group the whole programme's breakdown hides, shows no group but zeros:
//! a second hidden cell that another answer gives away would not hide the
//! first.

use serde_json::{Map, Value, json};

use super::funnel::Groups;
use super::group::{Group, Grouping};
use super::scope::Scope;
use super::suppress::{Count, suppress_column_with};
use crate::db::{DbConn, DbError};

/// The CSV's columns: one row per grouping, stage and group; the group
/// `all` is the stage's count over every group, as the funnel shows it.
pub const CSV_COLUMNS: [&str; 4] = ["grouping", "group", "stage", "count"];

/// The breakdowns of the funnel, as a lead may see them.
#[derive(Debug, Clone, PartialEq)]
pub struct Who {
    pub breakdowns: Vec<Breakdown>,
}

/// The funnel by one grouping: per stage, a count per group.
#[derive(Debug, Clone, PartialEq)]
pub struct Breakdown {
    pub grouping: Grouping,
    /// The groups, in the order of each stage's `counts`.
    pub groups: Vec<Group>,
    /// The funnel's stages in order.
    pub stages: Vec<StageCounts>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageCounts {
    pub stage: &'static str,
    /// The stage over every group, as the funnel shows it.
    pub total: Count,
    /// Per group, in the order of the breakdown's `groups`.
    pub counts: Vec<Count>,
}

/// The funnel by sex and by age band.
pub fn who(conn: &mut DbConn, scope: &Scope) -> Result<Who, DbError> {
    who_by(conn, scope, &Grouping::ALL)
}

/// The funnel by the groupings asked for, in that order. Every group's
/// counts, in the scope and in each wider one, come from one read
/// ([`Groups`]): about a query per stage, not a funnel per group and scope.
pub fn who_by(conn: &mut DbConn, scope: &Scope, groupings: &[Grouping]) -> Result<Who, DbError> {
    let counts = Groups::read(conn, scope)?;
    let total = shown(&counts);
    let breakdowns = groupings
        .iter()
        .map(|grouping| breakdown(&counts, *grouping, &total))
        .collect();
    Ok(Who { breakdowns })
}

/// The funnel of every client, as [`super::funnel::shown`] shows it.
fn shown(counts: &Groups) -> Vec<(&'static str, Count)> {
    counts
        .judged(None)
        .into_iter()
        .map(|(stage, _, count)| (stage, count))
        .collect()
}

fn breakdown(counts: &Groups, grouping: Grouping, total: &[(&'static str, Count)]) -> Breakdown {
    let groups = grouping.groups();
    let judged: Vec<_> = groups.iter().map(|g| counts.judged(Some(*g))).collect();
    // Under a filter, what the whole programme's breakdown hides.
    let whole = if counts.scope().wider().is_empty() {
        None
    } else {
        let unfiltered = counts.unfiltered();
        let whole_total = shown(&unfiltered);
        Some(breakdown(&unfiltered, grouping, &whole_total))
    };
    let stages = total
        .iter()
        .enumerate()
        .map(|(i, (stage, total))| {
            let values: Vec<i64> = judged.iter().map(|j| j[i].1).collect();
            let also: Vec<bool> = judged.iter().map(|j| j[i].2 == Count::Hidden).collect();
            let whole = whole
                .as_ref()
                .and_then(|w| w.stages.get(i))
                .map(|s| s.counts.as_slice());
            StageCounts {
                stage,
                total: *total,
                counts: column(&values, &also, *total, whole),
            }
        })
        .collect();
    Breakdown {
        grouping,
        groups,
        stages,
    }
}

/// One stage's groups as shown: `values` the groups' counts, `also` those
/// hidden on their own (see [`super::funnel::judged`]), `total` the stage as the
/// funnel shows it, and `whole` (under a filter) the same stage's groups
/// as the whole programme's breakdown shows them.
pub fn column(values: &[i64], also: &[bool], total: Count, whole: Option<&[Count]>) -> Vec<Count> {
    let mut counts = suppress_column_with(values, also);
    let hide_all = total == Count::Hidden
        || whole.is_some_and(|whole| {
            counts.contains(&Count::Hidden)
                || whole
                    .iter()
                    .zip(values)
                    .any(|(shown, n)| *shown == Count::Hidden && *n > 0)
        });
    if hide_all {
        for (count, n) in counts.iter_mut().zip(values) {
            if *n > 0 {
                *count = Count::Hidden;
            }
        }
    }
    counts
}

/// One row per grouping, stage and group (first `all`, the stage's own
/// count), for the CSV.
pub fn rows(who: &Who) -> Vec<Map<String, Value>> {
    let mut rows = Vec::new();
    for b in &who.breakdowns {
        for s in &b.stages {
            let all = std::iter::once(("all", s.total));
            let groups = b
                .groups
                .iter()
                .map(|g| g.as_str())
                .zip(s.counts.iter().copied());
            for (group, count) in all.chain(groups) {
                let mut row = Map::new();
                row.insert("grouping".into(), json!(b.grouping.as_str()));
                row.insert("group".into(), json!(group));
                row.insert("stage".into(), json!(s.stage));
                row.insert("count".into(), count.value());
                rows.push(row);
            }
        }
    }
    rows
}

/// The JSON answer for one breakdown: its groups, and per stage its count
/// and each group's, with the period.
pub fn body(breakdown: &Breakdown, scope: &Scope) -> Value {
    let items: Vec<Value> = breakdown
        .stages
        .iter()
        .map(|s| {
            let counts: Map<String, Value> = breakdown
                .groups
                .iter()
                .zip(&s.counts)
                .map(|(g, c)| (g.as_str().to_owned(), c.value()))
                .collect();
            json!({"stage": s.stage, "total": s.total.value(), "counts": counts})
        })
        .collect();
    let groups: Vec<&str> = breakdown.groups.iter().map(|g| g.as_str()).collect();
    json!({
        "by": breakdown.grouping.as_str(),
        "groups": groups,
        "items": items,
        "period": scope.period(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(counts: &[Count]) -> Vec<Value> {
        counts.iter().map(|c| c.value()).collect()
    }

    #[test]
    fn a_hidden_group_takes_a_second_with_it() {
        // 7 women, 6 men, 2 other, none unknown: the 2 and the 6 go.
        let none = [false; 4];
        assert_eq!(
            shown(&column(&[7, 6, 2, 0], &none, Count::of(15), None)),
            [json!(7), json!("<5"), json!("<5"), json!(0)]
        );
        assert_eq!(
            shown(&column(&[7, 6, 0, 0], &none, Count::of(13), None)),
            [json!(7), json!(6), json!(0), json!(0)]
        );
    }

    #[test]
    fn a_hidden_stage_hides_its_groups() {
        let none = [false; 2];
        assert_eq!(
            shown(&column(&[9, 0], &none, Count::Hidden, None)),
            [json!("<5"), json!(0)]
        );
    }

    #[test]
    fn under_a_filter_one_hidden_group_hides_every_group() {
        let none = [false; 3];
        let whole = [Count::of(20), Count::of(10), Count::of(0)];
        assert_eq!(
            shown(&column(
                &[9, 6, 0],
                &[true, false, false],
                Count::of(15),
                Some(&whole)
            )),
            [json!("<5"), json!("<5"), json!(0)]
        );
        // The whole programme hides its women: no group of a partner shows.
        let whole = [Count::Hidden, Count::Hidden, Count::of(30)];
        assert_eq!(
            shown(&column(&[0, 6, 9], &none, Count::of(15), Some(&whole))),
            [json!(0), json!("<5"), json!("<5")]
        );
        let whole = [Count::of(20), Count::of(10), Count::of(0)];
        assert_eq!(
            shown(&column(&[9, 6, 0], &none, Count::of(15), Some(&whole))),
            [json!(9), json!(6), json!(0)]
        );
    }
}
