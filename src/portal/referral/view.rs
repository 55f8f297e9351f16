//! The referral page's model: what the programme shares, drawn from the
//! very view `/partner/v1/referrals/{id}` answers with (serialised, so
//! that the portal shows exactly the API's fields), and the forms the
//! status allows.

use chrono::NaiveDate;
use serde_json::Value;

use crate::auth::partner_users::PartnerRole;
use crate::referrals::store::drafts::Draft;
use crate::referrals::store::partner_view::PartnerReferralView;
use crate::referrals::{ChecklistOwner, ChecklistStatus, ReferralStatus};
use crate::web::form::{FormData, Refused};
use crate::web::i18n::Texts;
use crate::web::page::{self, Field, Kind};

/// One shared fact: the field's name (as the API names it), its label and
/// its value in words.
pub struct Fact {
    pub name: String,
    pub label: String,
    pub value: String,
}

/// A value of the API's JSON in words: lists joined, codes labelled.
fn words(t: &Texts, name: &str, value: &Value) -> String {
    match value {
        Value::Null => t.t("portal-unknown"),
        Value::String(s) if name == "date_of_birth" || name.ends_with("_on") => {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_or_else(|_| s.clone(), |d| page::date(t, d))
        }
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|item| match (name, item) {
                ("languages", Value::String(code)) => page::language_name(code),
                ("needs", Value::String(code)) => t.code_label("portal-need", code),
                (_, Value::Object(o)) => o
                    .get("reference")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                (_, other) => words(t, name, other),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// Every fact of the client and the journey the API shares, in its order.
pub fn facts(t: &Texts, view: &PartnerReferralView) -> Vec<Fact> {
    let mut facts = Vec::new();
    for (name, value) in &view.client {
        facts.push(Fact {
            label: t.code_label("portal-field", name),
            value: words(t, name, value),
            name: name.clone(),
        });
    }
    let json = serde_json::to_value(view).unwrap_or(Value::Null);
    for name in ["destination_region", "planned_departure_on"] {
        if let Some(value) = json.get(name) {
            facts.push(Fact {
                name: name.to_owned(),
                label: t.code_label("portal-field", name),
                value: words(t, name, value),
            });
        }
    }
    facts
}

/// A partner's own checklist task that is still open.
pub struct Task {
    pub id: String,
    pub label: String,
    pub due: Option<String>,
    pub open: bool,
    pub mine: bool,
    pub status: String,
}

pub fn tasks(t: &Texts, view: &PartnerReferralView) -> Vec<Task> {
    view.checklist
        .iter()
        .map(|item| Task {
            id: item.id.clone(),
            label: t.code_label("portal-task", &item.kind),
            due: item.due_on.map(|d| page::date(t, d)),
            open: item.status == ChecklistStatus::Open,
            mine: item.owner == ChecklistOwner::Partner,
            status: t.code_label("portal-task-status", item.status.as_str()),
        })
        .collect()
}

/// Which forms the page offers now.
pub struct Offers {
    pub acknowledge: bool,
    pub decide: bool,
    pub hold: bool,
    pub resume: bool,
    pub arrival: bool,
    pub plan: bool,
    pub monitoring: bool,
    pub closure: bool,
}

pub fn offers(view: &PartnerReferralView) -> Offers {
    let departed = view.status == ReferralStatus::InProgress;
    let plan_open = view
        .reintegration_plan
        .as_ref()
        .is_none_or(|p| p.status != crate::referrals::plan::PlanStatus::Approved);
    Offers {
        acknowledge: view.status == ReferralStatus::Requested,
        decide: view.status == ReferralStatus::Received,
        hold: view.status == ReferralStatus::Accepted,
        resume: view.status == ReferralStatus::OnHold,
        arrival: departed && view.arrived_on.is_none(),
        plan: plan_open
            && matches!(
                view.status,
                ReferralStatus::Accepted | ReferralStatus::InProgress
            ),
        monitoring: departed
            && view.arrived_on.is_some()
            && view.monitoring_visits.iter().any(|v| v.status != "done"),
        closure: departed,
    }
}

/// A draft waiting for sign-off, as the page lists it.
pub struct DraftRow {
    pub id: String,
    /// `plan`, `monitoring` or `closure`: its form's path.
    pub kind: &'static str,
    pub what: String,
    pub by: String,
    pub on: String,
    /// This person may submit it (a coordinator who did not draft it).
    pub may_submit: bool,
}

pub fn draft_rows(t: &Texts, drafts: &[Draft], user_id: &str, role: PartnerRole) -> Vec<DraftRow> {
    drafts
        .iter()
        .map(|d| DraftRow {
            id: d.id.clone(),
            kind: d.kind.as_str(),
            what: t.code_label("portal-draft", d.kind.as_str()),
            by: d.drafted_by_email.clone(),
            on: format!(
                "{} {}",
                page::date(t, d.drafted_at.date()),
                d.drafted_at.format("%H:%M UTC")
            ),
            may_submit: role == PartnerRole::Coordinator && d.drafted_by != user_id,
        })
        .collect()
}

/// The fields of the step forms on the page, with what was typed into the
/// one posted and its errors.
pub struct Forms {
    pub note_ack: Field,
    pub note_accept: Field,
    pub reason_code: Field,
    pub reason: Field,
    pub hold_reason: Field,
    pub review_on: Field,
    pub arrived_on: Field,
    pub received: Field,
    pub arrival_note: Field,
}

/// Decline's coded reasons, in the order a partner thinks of them.
pub const DECLINE_CODES: &[&str] = &[
    "no_capacity",
    "not_in_area",
    "not_eligible",
    "client_unreachable",
    "security_concern",
    "other",
];

pub fn forms(t: &Texts, posted: Option<(&str, &FormData, &Refused)>) -> Forms {
    let take = |form: &str, field: Field| match posted {
        Some((which, data, refused)) if which == form => field.from_form(Some(data), Some(refused)),
        _ => field,
    };
    Forms {
        note_ack: take(
            "acknowledge",
            Field::new("ack_note", t.t("portal-note"), Kind::Text),
        ),
        note_accept: take(
            "accept",
            Field::new("accept_note", t.t("portal-note"), Kind::Text),
        ),
        reason_code: take(
            "decline",
            Field::new("reason_code", t.t("portal-decline-code"), Kind::Select)
                .required()
                .codes(t, "portal-decline", DECLINE_CODES),
        ),
        reason: take(
            "decline",
            Field::new(
                "decline_reason",
                t.t("portal-decline-reason"),
                Kind::TextArea,
            )
            .hint(t.t("portal-decline-reason-hint")),
        ),
        hold_reason: take(
            "hold",
            Field::new("hold_reason", t.t("portal-hold-reason"), Kind::Text).required(),
        ),
        review_on: take(
            "hold",
            Field::new("review_on", t.t("portal-hold-review-on"), Kind::Date).required(),
        ),
        arrived_on: take(
            "arrival",
            Field::new("arrived_on", t.t("portal-arrived-on"), Kind::Date).required(),
        ),
        received: take(
            "arrival",
            Field::new("received", t.t("portal-arrival-received"), Kind::Check),
        ),
        arrival_note: take(
            "arrival",
            Field::new("arrival_note", t.t("portal-note"), Kind::Text),
        ),
    }
}
