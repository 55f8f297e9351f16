use chrono::NaiveDate;

use super::*;

/// An alert about returnee `person`, of `partner` in `country`.
fn alert(person: usize, partner: &str, country: &str) -> ScoredVisit {
    ScoredVisit {
        referral_id: format!("r{person}"),
        country: country.into(),
        partner_id: partner.into(),
        months_after_arrival: 1,
        economic: 0.0,
        social: 0.0,
        psychosocial: 0.0,
        overall: 0.0,
    }
}

fn scope(country: Option<&str>, partner: Option<&str>) -> Scope {
    Scope {
        from: NaiveDate::MIN,
        to: NaiveDate::MAX,
        country: country.map(str::to_owned),
        partner_id: partner.map(str::to_owned),
        requested: None,
    }
}

fn shown(cells: &[BTreeMap<String, Count>], grouping: usize, group: &str) -> Value {
    cells[grouping]
        .get(group)
        .copied()
        .unwrap_or(Count::Shown(0))
        .value()
}

#[test]
fn alerts_of_fewer_than_five_returnees_are_hidden_and_five_are_counted() {
    // Partner a: six alerts of four returnees; b: five of five; c: seven of six.
    let mut facts: Vec<ScoredVisit> = (0..6).map(|i| alert(i % 4, "a", "GH")).collect();
    facts.extend((10..15).map(|i| alert(i, "b", "GH")));
    facts.extend((20..27).map(|i| alert(20 + (i % 6), "c", "AF")));
    let cells = cells(&facts, &scope(None, None));
    assert_eq!(
        shown(&cells, 1, "a"),
        json!("<5"),
        "six alerts, four people"
    );
    // With a hidden, the smallest other partner goes with it.
    assert_eq!(shown(&cells, 1, "b"), json!("<5"));
    assert_eq!(shown(&cells, 1, "c"), json!(7));
    assert_eq!(shown(&cells, 0, "GH"), json!(11));
    assert_eq!(shown(&cells, 0, "AF"), json!(7));
    assert_eq!(shown(&cells, 2, "1"), json!(18));
}

#[test]
fn a_filter_that_leaves_out_a_few_returnees_hides_the_count() {
    // GH: partner a's six returnees and b's two; asking for a alone would
    // give b's two away, less from GH's eight.
    let mut facts: Vec<ScoredVisit> = (0..6).map(|i| alert(i, "a", "GH")).collect();
    facts.extend((10..12).map(|i| alert(i, "b", "GH")));
    let whole = cells(&facts, &scope(None, None));
    assert_eq!(shown(&whole, 0, "GH"), json!(8));
    let narrowed = cells(&facts, &scope(None, Some("a")));
    assert_eq!(shown(&narrowed, 0, "GH"), json!("<5"));
    assert_eq!(shown(&narrowed, 1, "a"), json!("<5"));
}

#[test]
fn each_row_of_the_report_gets_its_group_s_alerts_or_zero() {
    let facts: Vec<ScoredVisit> = (0..2).map(|i| alert(i, "a", "GH")).collect();
    let cells = cells(&facts, &scope(None, None));
    let mut rows: Vec<Map<String, Value>> = [("country", "GH"), ("partner_id", "b")]
        .iter()
        .map(|(by, group)| {
            let mut row = Map::new();
            row.insert("group_by".into(), json!(by));
            row.insert("group".into(), json!(group));
            row
        })
        .collect();
    add_alerts(&mut rows, &cells);
    assert_eq!(rows[0]["alerts"], json!("<5"));
    assert_eq!(rows[1]["alerts"], json!(0));
}
