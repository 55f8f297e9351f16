use std::collections::BTreeMap;

use super::*;

fn model() -> Model {
    Model::load(None).expect("the default model is valid")
}

fn scores(economic: f64, social: f64, psychosocial: f64) -> Scores {
    Scores {
        economic,
        social,
        psychosocial,
        overall: 0.0,
    }
}

fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The reasons as `kind:dimension`, or `red_flag:indicator=answer`.
fn said(model: &Model, now: &Scores, before: Option<&Scores>) -> Vec<String> {
    said_with(
        model,
        now,
        &BTreeMap::new(),
        before.map(|b| (b, BTreeMap::new())),
    )
}

fn said_with(
    model: &Model,
    now: &Scores,
    now_answers: &BTreeMap<String, String>,
    before: Option<(&Scores, BTreeMap<String, String>)>,
) -> Vec<String> {
    let previous = before.as_ref().map(|(s, a)| Reported {
        scores: s,
        answers: a,
    });
    reasons(
        model,
        Reported {
            scores: now,
            answers: now_answers,
        },
        previous,
    )
    .into_iter()
    .map(|r| match (r.kind, r.indicator, r.answer) {
        (AlertReasonKind::RedFlag, Some(i), Some(a)) => format!("red_flag:{i}={a}"),
        (kind, _, _) => format!("{}:{}", kind.as_str(), r.dimension),
    })
    .collect()
}

#[test]
fn a_drop_of_exactly_the_threshold_alerts_and_a_thousandth_less_does_not() {
    let model = model();
    let before = scores(0.7, 0.9, 0.8);
    // 0.7 - 0.5 is 0.19999999999999996 in floating point: still a drop of 0.2.
    assert_eq!(
        said(&model, &scores(0.5, 0.9, 0.8), Some(&before)),
        ["drop:economic"]
    );
    assert!(said(&model, &scores(0.501, 0.9, 0.8), Some(&before)).is_empty());
    assert_eq!(
        said(&model, &scores(0.7, 0.9, 0.6), Some(&before)),
        ["drop:psychosocial"]
    );
    assert!(said(&model, &scores(0.7, 0.701, 0.601), Some(&before)).is_empty());
}

#[test]
fn a_score_of_exactly_the_floor_does_not_alert_and_a_thousandth_below_does() {
    let model = model();
    assert!(said(&model, &scores(0.33, 0.33, 0.33), None).is_empty());
    assert_eq!(
        said(&model, &scores(0.329, 0.33, 0.5), None),
        ["below:economic"]
    );
    // Below from 0.33 itself: a fall, though not a drop of 0.2.
    assert_eq!(
        said(
            &model,
            &scores(0.5, 0.329, 0.5),
            Some(&scores(0.5, 0.33, 0.5))
        ),
        ["below:social"]
    );
    // Already below in the previous report: it alerted then.
    assert!(said(&model, &scores(0.2, 0.5, 0.5), Some(&scores(0.3, 0.5, 0.5))).is_empty());
}

#[test]
fn a_first_report_alerts_on_the_floor_and_red_flags_without_an_earlier_one() {
    let model = model();
    assert_eq!(
        said(&model, &scores(0.1, 0.1, 0.1), None),
        ["below:economic", "below:social", "below:psychosocial"]
    );
    let flagged = answers(&[("safety", "unsafe"), ("wish_to_remigrate", "undecided")]);
    assert_eq!(
        said_with(&model, &scores(1.0, 0.9, 0.9), &flagged, None),
        ["red_flag:safety=unsafe"]
    );
}

#[test]
fn a_fall_crossing_both_thresholds_names_both() {
    let model = model();
    let now = scores(0.3, 0.9, 0.9);
    let before = scores(0.6, 0.9, 0.9);
    let found = reasons(
        &model,
        Reported {
            scores: &now,
            answers: &BTreeMap::new(),
        },
        Some(Reported {
            scores: &before,
            answers: &BTreeMap::new(),
        }),
    );
    let drop = serde_json::to_value(&found[0]).expect("json");
    assert_eq!(
        drop,
        serde_json::json!({"kind": "drop", "dimension": "economic", "previous": 0.6, "current": 0.3})
    );
    let below = serde_json::to_value(&found[1]).expect("json");
    assert_eq!(
        below,
        serde_json::json!({"kind": "below", "dimension": "economic", "previous": 0.6, "current": 0.3})
    );
    assert_eq!(found.len(), 2);
}

#[test]
fn a_red_flag_alerts_when_it_appears_not_when_it_stays() {
    let model = model();
    let s = scores(0.9, 0.9, 0.9);
    let flagged = answers(&[("food_security", "often")]);
    assert_eq!(
        said_with(
            &model,
            &s,
            &flagged,
            Some((&s, answers(&[("food_security", "sometimes")])))
        ),
        ["red_flag:food_security=often"]
    );
    assert!(said_with(&model, &s, &flagged, Some((&s, flagged.clone()))).is_empty());
    // The worst answer of an indicator without a flag is no red flag.
    let unflagged = answers(&[("housing", "inadequate")]);
    assert!(said_with(&model, &s, &unflagged, None).is_empty());
}

#[test]
fn thresholds_from_the_model_file_are_the_ones_applied() {
    let mut model = model();
    model.alerts = Thresholds {
        drop: 0.5,
        floor: 0.1,
    };
    let before = scores(0.9, 0.9, 0.9);
    assert!(said(&model, &scores(0.41, 0.45, 0.9), Some(&before)).is_empty());
    assert_eq!(
        said(&model, &scores(0.4, 0.09, 0.9), Some(&before)),
        ["drop:economic", "drop:social", "below:social"]
    );
}
