//! Sustainability: the scores of the monitoring visits done in the period,
//! grouped by country, by partner and by months since arrival. A mean is
//! shown only over five returnees or more (not visits: one returnee has
//! several), and under a filter only where the returnees it leaves out of
//! the same group are none or five or more. Beside them, the
//! sustainability alerts those visits raised ([`alert_counts`]).

pub mod alert_counts;

pub use alert_counts::{AlertCount, alerts};

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use serde_json::{Map, Value, json};

use super::scope::{Scope, visits_with_cases};
use super::suppress::{Count, narrowed, suppress_column_with};
use crate::db::schema::{monitoring_visits, referrals, return_cases};
use crate::db::{DbConn, DbError};
use crate::monitoring::VisitStatus;

pub const COLUMNS: [&str; 9] = [
    "group_by",
    "group",
    "visits",
    "economic",
    "social",
    "psychosocial",
    "overall",
    "overall_distribution",
    "alerts",
];

/// How visits are grouped.
type GroupKey = fn(&ScoredVisit) -> String;

/// Done visits in the period, for the sustainability distribution.
pub struct ScoredVisit {
    /// The returnee's referral: who the visit was about.
    pub referral_id: String,
    pub country: String,
    pub partner_id: String,
    pub months_after_arrival: i32,
    pub economic: f64,
    pub social: f64,
    pub psychosocial: f64,
    pub overall: f64,
}

/// A done visit's group keys and scores; the fields in the order of the
/// select.
#[derive(Queryable)]
struct VisitFacts {
    referral_id: String,
    country: String,
    partner_id: String,
    months_after_arrival: i32,
    economic: Option<f64>,
    social: Option<f64>,
    psychosocial: Option<f64>,
    overall: Option<f64>,
}

/// Done visits in the scope's period, of every partner and country: the
/// filters are applied by [`rows`], which compares with what they leave out.
pub fn scored_visits(conn: &mut DbConn, scope: &Scope) -> Result<Vec<ScoredVisit>, DbError> {
    let rows: Vec<VisitFacts> = visits_with_cases!()
        .filter(monitoring_visits::status.eq(VisitStatus::Done))
        .filter(monitoring_visits::held_on.ge(scope.from))
        .filter(monitoring_visits::held_on.le(scope.to))
        .select((
            referrals::id,
            return_cases::destination_country,
            referrals::partner_id,
            monitoring_visits::months_after_arrival,
            monitoring_visits::economic,
            monitoring_visits::social,
            monitoring_visits::psychosocial,
            monitoring_visits::overall,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            Some(ScoredVisit {
                referral_id: row.referral_id,
                country: row.country,
                partner_id: row.partner_id,
                months_after_arrival: row.months_after_arrival,
                economic: row.economic?,
                social: row.social?,
                psychosocial: row.psychosocial?,
                overall: row.overall?,
            })
        })
        .collect())
}

const BANDS: [&str; 4] = ["0-0.25", "0.25-0.5", "0.5-0.75", "0.75-1"];

fn band(visit: &ScoredVisit) -> usize {
    ((visit.overall * 4.0).floor() as usize).min(3)
}

/// How many returnees these visits are about.
fn people<'v>(visits: impl IntoIterator<Item = &'v &'v ScoredVisit>) -> i64 {
    visits
        .into_iter()
        .map(|v| v.referral_id.as_str())
        .collect::<BTreeSet<_>>()
        .len() as i64
}

/// The visits in each band of the overall score; a band is hidden like a
/// group, by the returnees in it.
fn distribution(members: &[&ScoredVisit], wider: &[&[&ScoredVisit]]) -> Map<String, Value> {
    let band_people = |visits: &[&ScoredVisit]| -> Vec<i64> {
        (0..BANDS.len())
            .map(|b| people(visits.iter().filter(|v| band(v) == b)))
            .collect()
    };
    let ours = band_people(members);
    let beside: Vec<Vec<i64>> = wider.iter().map(|w| band_people(w)).collect();
    let shown = suppress_column_with(&ours, &left_out_small(&ours, &beside));
    BANDS
        .iter()
        .enumerate()
        .map(|(b, name)| {
            let visits = members.iter().filter(|v| band(v) == b).count() as i64;
            let count = match shown.get(b) {
                Some(Count::Hidden) | None => Count::Hidden,
                Some(_) => Count::of(visits),
            };
            ((*name).to_owned(), count.value())
        })
        .collect()
}

/// Visits by group.
fn grouped<'v>(
    visits: &[&'v ScoredVisit],
    key: GroupKey,
) -> BTreeMap<String, Vec<&'v ScoredVisit>> {
    let mut groups: BTreeMap<String, Vec<&ScoredVisit>> = BTreeMap::new();
    for visit in visits {
        groups.entry(key(visit)).or_default().push(visit);
    }
    groups
}

/// For each part (a group, or a band of one group): whether what
/// the filters leave out of the same part, in each wider scope, is small.
fn left_out_small(ours: &[i64], wider: &[Vec<i64>]) -> Vec<bool> {
    ours.iter()
        .enumerate()
        .map(|(i, n)| {
            let beside: Vec<i64> = wider
                .iter()
                .map(|w| w.get(i).copied().unwrap_or(0))
                .collect();
            narrowed(*n, &beside) == Count::Hidden
        })
        .collect()
}

/// Whether `group`, less the shown groups of another grouping that lie
/// wholly inside it, leaves 1 to 4 returnees over: its figures minus
/// theirs would describe those few.
fn leaves_few_over(
    group: &[&ScoredVisit],
    others: &BTreeMap<String, Vec<&ScoredVisit>>,
    shown: &[Count],
) -> bool {
    let key = |v: &&ScoredVisit| std::ptr::from_ref::<ScoredVisit>(*v);
    let mut over: BTreeSet<*const ScoredVisit> = group.iter().map(key).collect();
    let inside: BTreeSet<*const ScoredVisit> = over.clone();
    for (other, count) in others.values().zip(shown) {
        if *count != Count::Hidden && other.iter().all(|v| inside.contains(&key(v))) {
            for v in other {
                over.remove(&key(v));
            }
        }
    }
    let left: Vec<&ScoredVisit> = group
        .iter()
        .filter(|v| over.contains(&key(v)))
        .copied()
        .collect();
    super::suppress::is_small(people(left.iter()))
}

/// The visits of one grouping, by group.
type Groups<'v> = BTreeMap<String, Vec<&'v ScoredVisit>>;

/// The groupings of the report, in order.
const GROUPINGS: [(&str, GroupKey); 3] = [
    ("country", |v| v.country.clone()),
    ("partner_id", |v| v.partner_id.clone()),
    ("months_since_arrival", |v| {
        v.months_after_arrival.to_string()
    }),
];

/// What one answer shows: per grouping, its groups, the same groups under
/// each wider scope, and which are shown.
struct Decided<'v> {
    groups: Vec<Groups<'v>>,
    wider: Vec<Vec<Groups<'v>>>,
    shown: Vec<Vec<Count>>,
}

/// The groups an answer hides, per grouping.
type Hidden = Vec<BTreeSet<String>>;

/// Answers already decided in one request, by their filters (country,
/// partner): a scope with both filters reaches the unfiltered answer
/// through each of its wider ones.
type Decisions = std::collections::HashMap<(Option<String>, Option<String>), Hidden>;

impl Decided<'_> {
    fn hidden(&self) -> Hidden {
        self.groups
            .iter()
            .zip(&self.shown)
            .map(|(groups, shown)| {
                groups
                    .keys()
                    .zip(shown)
                    .filter(|(_, count)| **count == Count::Hidden)
                    .map(|(group, _)| group.clone())
                    .collect()
            })
            .collect()
    }
}

/// Which groups the answer for `scope` may show. The wider answers (a
/// filter dropped) are decided first, the same way: when the filter's own
/// cell (the country, or the partner) is hidden there, this answer shows
/// nothing, since each of its groupings adds up to that cell.
fn decide<'v>(visits: &'v [ScoredVisit], scope: &Scope, decisions: &mut Decisions) -> Decided<'v> {
    let within = |s: &Scope| -> Vec<&'v ScoredVisit> {
        visits
            .iter()
            .filter(|v| s.covers(&v.partner_id, &v.country))
            .collect()
    };
    let ours = within(scope);
    let wider_scopes = scope.wider();
    let wider: Vec<Vec<&ScoredVisit>> = wider_scopes.iter().map(within).collect();
    let mut cell_hidden = false;
    for w in &wider_scopes {
        let key = (w.country.clone(), w.partner_id.clone());
        let hidden = match decisions.get(&key) {
            Some(hidden) => hidden.clone(),
            None => {
                let hidden = decide(visits, w, decisions).hidden();
                decisions.insert(key, hidden.clone());
                hidden
            }
        };
        let country = scope.country.as_ref().filter(|_| w.country.is_none());
        let partner = scope.partner_id.as_ref().filter(|_| w.partner_id.is_none());
        cell_hidden |= country.is_some_and(|c| hidden[0].contains(c))
            || partner.is_some_and(|p| hidden[1].contains(p));
    }
    let groups: Vec<Groups<'v>> = GROUPINGS
        .iter()
        .map(|(_, key)| grouped(&ours, *key))
        .collect();
    let all_wider: Vec<Vec<Groups<'v>>> = GROUPINGS
        .iter()
        .map(|(_, key)| wider.iter().map(|w| grouped(w, *key)).collect())
        .collect();
    // One grouping splits the same visits: a hidden group must not be
    // recoverable from the others, so suppression runs across it; and a
    // group shown in one grouping must not, less the groups of another
    // grouping that lie wholly inside it, leave a few returnees over.
    let sizes: Vec<Vec<i64>> = groups
        .iter()
        .map(|groups| groups.values().map(people).collect())
        .collect();
    let mut also: Vec<Vec<bool>> = groups
        .iter()
        .zip(&all_wider)
        .zip(&sizes)
        .map(|((groups, wider_groups), sizes)| {
            let wider_sizes: Vec<Vec<i64>> = wider_groups
                .iter()
                .map(|w| groups.keys().map(|g| w.get(g).map_or(0, people)).collect())
                .collect();
            left_out_small(sizes, &wider_sizes)
                .into_iter()
                .map(|small| small || cell_hidden)
                .collect()
        })
        .collect();
    let shown: Vec<Vec<Count>> = loop {
        let shown: Vec<Vec<Count>> = sizes
            .iter()
            .zip(&also)
            .map(|(sizes, also)| suppress_column_with(sizes, also))
            .collect();
        let mut more = false;
        for (y, grouping) in groups.iter().enumerate() {
            for (j, group) in grouping.values().enumerate() {
                if shown[y][j] == Count::Hidden {
                    continue;
                }
                let others = (0..groups.len()).filter(|x| *x != y);
                if others
                    .into_iter()
                    .any(|x| leaves_few_over(group, &groups[x], &shown[x]))
                {
                    also[y][j] = true;
                    more = true;
                }
            }
        }
        if !more {
            break shown;
        }
    };
    Decided {
        groups,
        wider: all_wider,
        shown,
    }
}

/// One row per group of each grouping, for the visits in the scope: the
/// number of visits, the mean scores and the distribution of the overall
/// score; a group of fewer than five returnees hidden, with a second where
/// one alone would follow from the others.
pub fn rows(visits: &[ScoredVisit], scope: &Scope) -> Vec<Map<String, Value>> {
    let decided = decide(visits, scope, &mut Decisions::new());
    let mut rows = Vec::new();
    for (((name, _), groups), (wider_groups, shown_sizes)) in GROUPINGS
        .iter()
        .zip(&decided.groups)
        .zip(decided.wider.iter().zip(decided.shown.iter().cloned()))
    {
        for ((group, members), size) in groups.iter().zip(shown_sizes) {
            let visible = size != Count::Hidden;
            let mut row = Map::new();
            row.insert("group_by".into(), json!(name));
            row.insert("group".into(), json!(group));
            let visits = if visible {
                Count::of(members.len() as i64)
            } else {
                Count::Hidden
            };
            row.insert("visits".into(), visits.value());
            // Scores of a hidden group would describe its few people: not shown.
            let mean = |pick: fn(&ScoredVisit) -> f64| {
                if visible {
                    let sum: f64 = members.iter().map(|v| pick(v)).sum();
                    json!(((sum / members.len() as f64) * 1000.0).round() / 1000.0)
                } else {
                    Value::Null
                }
            };
            row.insert("economic".into(), mean(|v| v.economic));
            row.insert("social".into(), mean(|v| v.social));
            row.insert("psychosocial".into(), mean(|v| v.psychosocial));
            row.insert("overall".into(), mean(|v| v.overall));
            let distribution = if visible {
                let beside: Vec<&[&ScoredVisit]> = wider_groups
                    .iter()
                    .map(|w| w.get(group).map_or(&[][..], |m| m.as_slice()))
                    .collect();
                Value::Object(distribution(members, &beside))
            } else {
                Value::Null
            };
            row.insert("overall_distribution".into(), distribution);
            rows.push(row);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn visit(referral: usize, partner: &str, overall: f64) -> ScoredVisit {
        ScoredVisit {
            referral_id: format!("r{referral}"),
            country: "GH".into(),
            partner_id: partner.into(),
            months_after_arrival: 1,
            economic: overall,
            social: overall,
            psychosocial: overall,
            overall,
        }
    }

    fn scope(partner: Option<&str>) -> Scope {
        Scope {
            from: NaiveDate::MIN,
            to: NaiveDate::MAX,
            country: None,
            partner_id: partner.map(str::to_owned),
            requested: None,
        }
    }

    fn group<'r>(rows: &'r [Map<String, Value>], by: &str, name: &str) -> &'r Map<String, Value> {
        rows.iter()
            .find(|r| r["group_by"] == by && r["group"] == name)
            .expect("a row")
    }

    #[test]
    fn a_mean_needs_five_returnees_not_five_visits() {
        // Two returnees with three visits each.
        let visits: Vec<ScoredVisit> = (0..6).map(|i| visit(i % 2, "a", 0.5)).collect();
        let shown = rows(&visits, &scope(None));
        let row = group(&shown, "country", "GH");
        assert_eq!(row["visits"], json!("<5"));
        assert_eq!(row["overall"], Value::Null);
        assert_eq!(row["overall_distribution"], Value::Null);
        // Five returnees: shown, with the exact mean.
        let visits: Vec<ScoredVisit> = (0..5).map(|i| visit(i, "a", 0.2 * i as f64)).collect();
        let shown = rows(&visits, &scope(None));
        let row = group(&shown, "country", "GH");
        assert_eq!(row["visits"], json!(5));
        assert_eq!(row["overall"], json!(0.4));
    }

    #[test]
    fn a_partner_s_mean_is_hidden_when_it_leaves_out_a_few_returnees() {
        // Partner a's five of seven: b's two would follow from the means.
        let visits: Vec<ScoredVisit> = (0..7)
            .map(|i| visit(i, if i < 5 { "a" } else { "b" }, 1.0))
            .collect();
        // The whole shows GH's seven; a's five are hidden there (b's two
        // beside them), so a's own answer shows nothing: its five under the
        // filter, less from GH's seven, would give b's two.
        let whole = rows(&visits, &scope(None));
        assert_eq!(group(&whole, "country", "GH")["visits"], json!(7));
        assert_eq!(group(&whole, "partner_id", "a")["visits"], json!("<5"));
        let shown = rows(&visits, &scope(Some("a")));
        for row in &shown {
            assert_eq!(row["visits"], json!("<5"), "{row:?}");
            assert_eq!(row["overall"], Value::Null, "{row:?}");
        }
        assert_eq!(shown.len(), 3, "one group in each grouping");
    }

    #[test]
    fn a_country_less_the_partners_wholly_inside_it_does_not_leave_one_returnee() {
        // Partner a: 6 returnees, all in GH; b: 1, in GH; c: 5 and d: 7 in AF.
        // b is hidden and c with it; GH (7) less a (6) would be b's one.
        let mut visits = Vec::new();
        let mut n = 0;
        for (partner, country, people, overall) in [
            ("a", "GH", 6, 0.5),
            ("b", "GH", 1, 0.1),
            ("c", "AF", 5, 0.5),
            ("d", "AF", 7, 0.5),
        ] {
            for _ in 0..people {
                let mut v = visit(n, partner, overall);
                v.country = country.into();
                visits.push(v);
                n += 1;
            }
        }
        let shown = rows(&visits, &scope(None));
        assert_eq!(group(&shown, "partner_id", "b")["overall"], Value::Null);
        assert_eq!(group(&shown, "partner_id", "a")["visits"], json!(6));
        assert_eq!(group(&shown, "country", "GH")["visits"], json!("<5"));
        assert_eq!(group(&shown, "country", "GH")["overall"], Value::Null);
        // And AF goes with it, or GH would follow from the total.
        assert_eq!(group(&shown, "country", "AF")["overall"], Value::Null);
        // The months grouping (everyone at one month) leaves six over: shown.
        assert_eq!(
            group(&shown, "months_since_arrival", "1")["visits"],
            json!(19)
        );

        // Nor does a filter undo it: GH (or AF) alone would show the hidden
        // country's figures, and 19 less AF's 12 would give GH's 7 again.
        for country in ["GH", "AF"] {
            let filtered = Scope {
                country: Some(country.to_owned()),
                ..scope(None)
            };
            for row in rows(&visits, &filtered) {
                assert_eq!(row["overall"], Value::Null, "{country}: {row:?}");
                assert_eq!(row["visits"], json!("<5"), "{country}: {row:?}");
            }
        }
        // A partner shown in the whole shows under its own filter, but not
        // its GH (six of GH's seven: the one left over is b's).
        let first = rows(&visits, &scope(Some("a")));
        assert_eq!(group(&first, "partner_id", "a")["visits"], json!(6));
        assert_eq!(group(&first, "country", "GH")["overall"], Value::Null);
        let months = group(&first, "months_since_arrival", "1");
        assert_eq!(months["overall"], json!(0.5));
    }
}
