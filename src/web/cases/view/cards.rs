//! The case page's referrals, and what followed each departure (the
//! arrival, the reintegration plan, the monitoring visits), as shown.

use super::super::load::Names;
use super::super::{Form, Trouble, decimal, moment};
use super::Fact;
use crate::monitoring::LocalIndicator;
use crate::referrals::store::ReferralView;
use crate::referrals::store::after_departure::PlanView;
use crate::web::i18n::Texts;
use crate::web::page::{Field, Kind, date};

pub struct Step {
    pub status: String,
    pub when: String,
    pub who: String,
    pub reason: Option<String>,
}

pub struct ReferralCard {
    pub id: String,
    pub partner: String,
    pub partner_id: String,
    pub status: String,
    pub facts: Vec<Fact>,
    pub flags: Vec<String>,
    pub history: Vec<Step>,
    pub cancel: Option<Field>,
}

pub struct PlanItemRow {
    pub need: String,
    pub support: String,
    pub amount: String,
    pub currency: String,
}

pub struct PlanBox {
    pub referral_id: String,
    pub status: String,
    pub facts: Vec<Fact>,
    pub items: Vec<PlanItemRow>,
    pub totals: Vec<String>,
    /// The approve and return forms, while the plan waits for a decision.
    pub reject: Option<Field>,
}

pub struct VisitRow {
    pub when: String,
    pub due: String,
    pub status: String,
    pub held: String,
    /// Economic, social, psychosocial, overall.
    pub scores: Option<Vec<String>>,
}

/// A sustainability alert a report raised: its reasons, and the form to
/// mark it handled while it is open.
pub struct AlertBox {
    pub id: String,
    pub raised: String,
    pub reasons: Vec<String>,
    /// When it was handled, in words; `None` while open.
    pub handled: Option<String>,
}

/// What followed the departure for one referral.
pub struct AfterCard {
    pub partner: String,
    pub facts: Vec<Fact>,
    pub plan: Option<PlanBox>,
    pub visits: Vec<VisitRow>,
    pub alerts: Vec<AlertBox>,
}

fn who(t: &Texts, names: &Names, by_type: &str, by: &str) -> String {
    match by_type {
        "staff" => names.staff(by),
        "partner" => names.partner(by),
        _ => t.t("case-by-system"),
    }
}

pub fn referral_card(
    t: &Texts,
    r: &ReferralView,
    names: &Names,
    trouble: Option<&Trouble>,
) -> ReferralCard {
    let mut facts = vec![
        Fact::text(t.t("case-sent-at"), moment(t, r.sent_at)),
        Fact::text(
            t.t("case-acknowledge-due"),
            match r.acknowledged_at {
                Some(at) => t.t1("case-done-at", "when", moment(t, at)),
                None => date(t, r.acknowledge_due_on),
            },
        ),
        Fact::text(
            t.t("case-decide-due"),
            match r.decided_at {
                Some(at) => t.t1("case-done-at", "when", moment(t, at)),
                None => date(t, r.decide_due_on),
            },
        ),
    ];
    if let Some(closed) = r.closed_at {
        facts.push(Fact::text(t.t("case-referral-ended"), moment(t, closed)));
    }
    if let Some(code) = r.status_reason {
        let label = t.code_label("case-decline", code.as_str());
        facts.push(Fact::text(t.t("case-decline-reason"), label));
    }
    if let Some(hold) = &r.on_hold {
        let values = [
            ("review_on", date(t, hold.review_on)),
            ("reason", hold.reason.clone()),
        ];
        facts.push(Fact::text(
            t.t("case-on-hold"),
            t.with("case-on-hold-until", &values),
        ));
    }
    let cancel = r.status.is_open().then(|| {
        let (typed, refused) = trouble.map_or((None, None), |tr| tr.of(&Form::Cancel));
        Field::new("reason", t.t("case-cancel-reason"), Kind::Text)
            .required()
            .from_form(typed, refused)
    });
    ReferralCard {
        id: r.id.clone(),
        partner: names.partner(&r.partner_id),
        partner_id: r.partner_id.clone(),
        status: t.code_label("case-referral", r.status.as_str()),
        facts,
        flags: r
            .flags
            .iter()
            .map(|f| t.code_label("case-flag", f))
            .collect(),
        history: r
            .history
            .iter()
            .map(|h| Step {
                status: t.code_label("case-referral", h.status.as_str()),
                when: moment(t, h.at),
                who: who(t, names, &h.by_type, &h.by),
                // A decline's code in words, before the partner's own.
                reason: match (h.status_reason, &h.reason) {
                    (Some(code), Some(text)) => Some(format!(
                        "{}: {text}",
                        t.code_label("case-decline", code.as_str())
                    )),
                    (Some(code), None) => Some(t.code_label("case-decline", code.as_str())),
                    (None, reason) => reason.clone(),
                },
            })
            .collect(),
        cancel,
    }
}

pub fn after_card(
    t: &Texts,
    r: &ReferralView,
    names: &Names,
    trouble: Option<&Trouble>,
    indicators: &[LocalIndicator],
) -> AfterCard {
    let mut facts = Vec::new();
    if let Some(departed) = r.departed_on {
        facts.push(Fact::text(t.t("case-departed"), date(t, departed)));
    }
    let arrival = match (r.arrived_on, r.arrival_received) {
        (Some(on), Some(true)) => t.t1("case-arrived-received", "when", date(t, on)),
        (Some(on), _) => t.t1("case-arrived-not-received", "when", date(t, on)),
        (None, _) => t.t("case-not-arrived"),
    };
    facts.push(Fact::text(t.t("case-arrival"), arrival));
    if let Some(outcome) = r.outcome {
        facts.push(Fact::text(
            t.t("case-outcome"),
            t.code_label("case-outcome", outcome.as_str()),
        ));
    }
    AfterCard {
        partner: names.partner(&r.partner_id),
        facts,
        plan: r
            .reintegration_plan
            .as_ref()
            .map(|p| plan_box(t, &r.id, r.status.is_open(), p, trouble)),
        visits: r
            .monitoring_visits
            .iter()
            .map(|v| VisitRow {
                when: t.count("case-visit-months", v.months_after_arrival.max(0) as usize),
                due: date(t, v.due_on),
                status: t.code_label("case-visit", &v.status),
                held: v.held_on.map(|d| date(t, d)).unwrap_or_default(),
                scores: v.scores.as_ref().map(|s| {
                    [s.economic, s.social, s.psychosocial, s.overall]
                        .iter()
                        .map(|x| decimal(t, *x, 2))
                        .collect()
                }),
            })
            .collect(),
        alerts: r
            .monitoring_visits
            .iter()
            .filter_map(|v| v.alert.as_ref())
            .map(|a| AlertBox {
                id: a.id.clone(),
                raised: moment(t, a.raised_at),
                reasons: crate::web::alerts::reasons(t, "case", &a.reasons, indicators),
                handled: a
                    .handled_at
                    .map(|at| t.t1("case-alert-handled", "when", moment(t, at))),
            })
            .collect(),
    }
}

fn plan_box(
    t: &Texts,
    referral_id: &str,
    open: bool,
    plan: &PlanView,
    trouble: Option<&Trouble>,
) -> PlanBox {
    let mut facts = vec![Fact::text(
        t.t("case-plan-submitted"),
        t.with(
            "case-plan-version",
            &[
                ("version", plan.version.to_string()),
                ("when", moment(t, plan.submitted_at)),
            ],
        ),
    )];
    if let Some(decided) = plan.decided_at {
        facts.push(Fact::text(t.t("case-plan-decided"), moment(t, decided)));
    }
    if let Some(comment) = &plan.comment {
        facts.push(Fact::text(t.t("case-plan-comment"), comment.clone()));
    }
    let mut totals: Vec<(String, f64)> = Vec::new();
    for item in &plan.items {
        match totals.iter_mut().find(|(c, _)| *c == item.currency) {
            Some((_, sum)) => *sum += item.amount,
            None => totals.push((item.currency.clone(), item.amount)),
        }
    }
    let waiting = open && plan.status == crate::referrals::plan::PlanStatus::Submitted;
    PlanBox {
        referral_id: referral_id.to_owned(),
        status: t.code_label("case-plan-state", plan.status.as_str()),
        facts,
        items: plan
            .items
            .iter()
            .map(|i| PlanItemRow {
                need: t.code_label("case-service", &i.need),
                support: i.support.clone(),
                amount: decimal(t, i.amount, 2),
                currency: i.currency.clone(),
            })
            .collect(),
        totals: totals
            .into_iter()
            .map(|(currency, sum)| format!("{} {currency}", decimal(t, sum, 2)))
            .collect(),
        reject: waiting.then(|| {
            let (typed, refused) = trouble.map_or((None, None), |tr| tr.of(&Form::Reject));
            Field::new("comment", t.t("case-plan-return-comment"), Kind::TextArea)
                .required()
                .hint(t.t("case-plan-return-hint"))
                .from_form(typed, refused)
        }),
    }
}
