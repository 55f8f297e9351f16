//! A sustainability alert's reasons in words, for the case page and the
//! partner portal alike: each page's texts carry `{prefix}-alert-drop`,
//! `-below`, `-red-flag` and `{prefix}-score-*` (the dimensions).

use crate::monitoring::LocalIndicator;
use crate::monitoring::alerts::{AlertReason, AlertReasonKind};
use crate::web::i18n::{Lang, Texts};

/// A score as people read it: two decimals, the language's decimal sign.
fn score(t: &Texts, value: Option<f64>) -> String {
    let text = format!("{:.2}", value.unwrap_or_default());
    match t.lang {
        Lang::Nl | Lang::Fr => text.replace('.', ","),
        Lang::En | Lang::Ar => text,
    }
}

/// One line per reason; a red flag names the question and the answer in
/// the page's language where the model's texts have it (`indicators`).
pub fn reasons(
    t: &Texts,
    prefix: &str,
    reasons: &[AlertReason],
    indicators: &[LocalIndicator],
) -> Vec<String> {
    reasons
        .iter()
        .map(|r| {
            let dimension = t.t(&format!("{prefix}-score-{}", r.dimension.as_str()));
            match r.kind {
                AlertReasonKind::Drop => t.with(
                    &format!("{prefix}-alert-drop"),
                    &[
                        ("dimension", dimension),
                        ("previous", score(t, r.previous)),
                        ("current", score(t, r.current)),
                    ],
                ),
                AlertReasonKind::Below => t.with(
                    &format!("{prefix}-alert-below"),
                    &[("dimension", dimension), ("current", score(t, r.current))],
                ),
                AlertReasonKind::RedFlag => {
                    let id = r.indicator.clone().unwrap_or_default();
                    let value = r.answer.clone().unwrap_or_default();
                    let found = indicators.iter().find(|i| i.id == id);
                    let question = found.map_or(id.clone(), |i| i.question.clone());
                    let answer = found
                        .and_then(|i| i.answers.iter().find(|(v, _)| *v == value))
                        .map_or(value.clone(), |(_, label)| label.clone());
                    t.with(
                        &format!("{prefix}-alert-red-flag"),
                        &[
                            ("dimension", dimension),
                            ("question", question),
                            ("answer", answer),
                        ],
                    )
                }
            }
        })
        .collect()
}
