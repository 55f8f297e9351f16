//! The case page as the template shows it: every text in the page's
//! language, every date as people read it, every form with what was typed
//! and what was wrong with it.

mod cards;

use askama::Template;
use chrono::NaiveDate;

use super::load::Loaded;
use super::{Form, Trouble, decimal, moment};
use crate::consent::store::ConsentView;
use crate::referrals::ReferralStatus;
use crate::referrals::consent_gaps;
use crate::web::form::Refused;
use crate::web::i18n::Texts;
use crate::web::page::{Field, Kind, Layout, date};
pub use cards::{AfterCard, ReferralCard, after_card, referral_card};

/// A term and its values, for a `dl`: a value may be a link.
pub struct Fact {
    pub label: String,
    pub values: Vec<(String, Option<String>)>,
}

impl Fact {
    pub fn text(label: String, value: String) -> Self {
        Self {
            label,
            values: vec![(value, None)],
        }
    }

    pub fn link(label: String, value: String, href: String) -> Self {
        Self {
            label,
            values: vec![(value, Some(href))],
        }
    }
}

/// What went wrong, above everything else on the page.
pub struct ProblemBox {
    pub title: String,
    pub lead: String,
    /// The API's own sentence (in English).
    pub detail: Option<String>,
    /// Each bad field: where it is on the page (if shown) and its message.
    pub errors: Vec<(Option<String>, String)>,
    pub consent_link: Option<String>,
}

pub struct MatchRow {
    pub partner_id: String,
    pub name: String,
    pub score: String,
    /// The matching's reasons, as the API gives them (in English).
    pub reasons: Vec<String>,
    /// The consent the referral is sent under: one that covers it, else
    /// the client's latest (the server then says what it lacks).
    pub consent_id: String,
    pub consent_text: String,
    pub covered: bool,
    /// How an earlier referral to this partner ended.
    pub earlier: Option<String>,
    pub button: String,
}

pub struct ItemRow {
    pub id: String,
    pub task: String,
    pub owner: String,
    pub due: String,
    pub late: bool,
    pub status: String,
    pub open: bool,
    pub note: Option<String>,
    pub editable: bool,
    pub note_value: String,
    pub note_error: Option<String>,
}

#[derive(Template)]
#[template(path = "cases/show.html")]
pub struct CasePage {
    pub l: Layout,
    pub id: String,
    pub problem: Option<ProblemBox>,
    pub facts: Vec<Fact>,
    pub consent_link: String,
    pub can_send: bool,
    /// A referral waits for the partner or the departure: cancel it to
    /// send the case elsewhere.
    pub waiting: bool,
    pub rerouting: bool,
    pub matches: Vec<MatchRow>,
    pub referrals: Vec<ReferralCard>,
    pub checklist: Vec<ItemRow>,
    pub departure: Option<Field>,
    pub departed_on: Option<String>,
    pub after: Vec<AfterCard>,
}

/// The page's parts, from what was read and what was refused.
pub fn case_page(
    t: Texts,
    l: Layout,
    data: Loaded,
    trouble: Option<&Trouble>,
    today: NaiveDate,
    indicators: &[crate::monitoring::LocalIndicator],
) -> CasePage {
    let case = &data.case.case;
    let consent_link = format!("/clients/{}/consents/new", case.client_id);
    let can_send = Loaded::can_send(&data.case);
    let referrals: Vec<ReferralCard> = data
        .case
        .referrals
        .iter()
        .rev()
        .map(|r| referral_card(&t, r, &data.names, trouble))
        .collect();
    let matches = data
        .matches
        .iter()
        .map(|m| {
            let earlier = data
                .case
                .referrals
                .iter()
                .rev()
                .find(|r| r.partner_id == m.partner_id.as_str())
                .map(|r| t.code_label("case-referral", r.status.as_str()));
            let (consent_id, consent_text, covered) = consent_for(
                &t,
                &data.consents,
                m.partner_id.as_str(),
                &case.destination_country,
            );
            MatchRow {
                partner_id: m.partner_id.to_string(),
                button: t.t1("case-send-button", "partner", &m.name),
                name: m.name.clone(),
                score: decimal(&t, m.score * 100.0, 0),
                reasons: m.reasons.clone(),
                consent_id,
                consent_text,
                covered,
                earlier,
            }
        })
        .collect();
    let accepted = data
        .case
        .referrals
        .iter()
        .any(|r| r.status == ReferralStatus::Accepted);
    let departure = accepted.then(|| {
        let (typed, refused) = trouble.map_or((None, None), |tr| tr.of(&Form::Depart));
        Field::new("departed_on", t.t("case-departed-on"), Kind::Date)
            .required()
            .value(today.to_string())
            .from_form(typed, refused)
    });
    let departed_on = data
        .case
        .referrals
        .iter()
        .find_map(|r| r.departed_on)
        .map(|d| date(&t, d));
    let checklist_open = data.case.referrals.iter().any(|r| r.status.is_open());
    let checklist = data
        .case
        .checklist
        .iter()
        .map(|item| {
            let (typed, refused) =
                trouble.map_or((None, None), |tr| tr.of(&Form::Item(item.id.clone())));
            let editable =
                checklist_open && item.owner == crate::referrals::ChecklistOwner::Organisation;
            ItemRow {
                id: item.id.clone(),
                task: t.code_label("case-task", &item.kind),
                owner: t.code_label("case-owner", item.owner.as_str()),
                due: date(&t, item.due_on),
                late: item.status == crate::referrals::ChecklistStatus::Open && item.due_on < today,
                status: t.code_label("case-item-state", item.status.as_str()),
                open: item.status == crate::referrals::ChecklistStatus::Open,
                note: item.note.clone(),
                editable,
                note_value: typed.map(|f| f.get("note").to_owned()).unwrap_or_default(),
                note_error: refused.and_then(|r| r.error_for("note")),
            }
        })
        .collect();
    let after = data
        .case
        .referrals
        .iter()
        .rev()
        .filter(|r| {
            r.departed_on.is_some()
                || r.reintegration_plan.is_some()
                || !r.monitoring_visits.is_empty()
        })
        .map(|r| after_card(&t, r, &data.names, trouble, indicators))
        .collect();
    CasePage {
        problem: trouble.map(|tr| problem_box(&t, tr, &consent_link)),
        facts: case_facts(&t, &data),
        id: case.id.clone(),
        consent_link,
        can_send,
        waiting: data.case.referrals.iter().any(|r| {
            matches!(
                r.status,
                ReferralStatus::Requested
                    | ReferralStatus::Received
                    | ReferralStatus::Accepted
                    | ReferralStatus::OnHold
            )
        }),
        rerouting: can_send && !data.case.referrals.is_empty(),
        matches,
        referrals,
        checklist,
        departure,
        departed_on,
        after,
        l,
    }
}

fn case_facts(t: &Texts, data: &Loaded) -> Vec<Fact> {
    let case = &data.case.case;
    let client = &data.client;
    let mut facts = vec![Fact::link(
        t.t("case-client"),
        format!(
            "{} · {} {}",
            client.reference, client.given_name, client.family_name
        ),
        format!("/clients/{}", client.id),
    )];
    if !data.members.is_empty() {
        facts.push(Fact {
            label: t.t("case-members"),
            values: data
                .members
                .iter()
                .map(|m| {
                    (
                        format!("{} · {} {}", m.reference, m.given_name, m.family_name),
                        Some(format!("/clients/{}", m.id)),
                    )
                })
                .collect(),
        });
    }
    let country = crate::web::page::country_name(&case.destination_country);
    facts.push(Fact::text(
        t.t("case-destination"),
        format!("{country} ({})", case.destination_country),
    ));
    if let Some(region) = &case.destination_region {
        let name = crate::domain::RegionCode::parse(region)
            .map(|r| r.name())
            .unwrap_or_else(|_| region.clone());
        facts.push(Fact::text(t.t("case-region"), format!("{name} ({region})")));
    }
    let needs: Vec<String> = case
        .needs
        .iter()
        .map(|n| t.code_label("case-service", n))
        .collect();
    facts.push(Fact::text(
        t.t("case-needs"),
        if needs.is_empty() {
            t.t("case-needs-none")
        } else {
            needs.join(", ")
        },
    ));
    facts.push(Fact::text(
        t.t("case-planned-departure"),
        date(t, case.planned_departure_on),
    ));
    facts.push(Fact::text(
        t.t("case-status"),
        t.code_label("case-status", case.status.as_str()),
    ));
    facts.push(Fact::text(
        t.t("case-opened"),
        t.with(
            "case-by-at",
            &[
                ("who", data.names.staff(&case.opened_by)),
                ("when", moment(t, case.opened_at)),
            ],
        ),
    ));
    facts.push(Fact::text(
        t.t("case-caseworker"),
        data.names.staff(&case.caseworker_id),
    ));
    if let Some(talk) = &case.talk_id {
        facts.push(Fact::link(
            t.t("case-talk"),
            t.t("case-talk-link"),
            format!("/talks/{talk}"),
        ));
    }
    if let Some(closed) = case.closed_at {
        let outcome = data
            .case
            .referrals
            .iter()
            .rev()
            .find_map(|r| r.outcome)
            .map(|o| t.code_label("case-outcome", o.as_str()));
        let value = match outcome {
            Some(outcome) => format!("{} · {outcome}", moment(t, closed)),
            None => moment(t, closed),
        };
        facts.push(Fact::text(t.t("case-closed"), value));
    }
    facts
}

/// The consent a referral to `partner` would go under, in words.
fn consent_for(
    t: &Texts,
    consents: &[ConsentView],
    partner: &str,
    country: &str,
) -> (String, String, bool) {
    let covering = consents
        .iter()
        .find(|c| consent_gaps(c, partner, country).is_empty());
    match (covering, consents.first()) {
        (Some(c), _) => (
            c.id.clone(),
            t.t1("case-consent-covers", "given", date(t, c.given_on)),
            true,
        ),
        (None, Some(latest)) => (latest.id.clone(), t.t("case-consent-not-covered"), false),
        (None, None) => (String::new(), t.t("case-consent-none"), false),
    }
}

fn problem_box(t: &Texts, trouble: &Trouble, consent_link: &str) -> ProblemBox {
    let anchor = |field: &str| -> Option<String> {
        match (&trouble.form, field) {
            (Form::Cancel, "reason")
            | (Form::Reject, "comment")
            | (Form::Depart, "departed_on") => Some(format!("f-{field}")),
            (Form::Item(id), "note") => Some(format!("note-{id}")),
            _ => None,
        }
    };
    let errors = trouble
        .refused
        .field_errors()
        .iter()
        .map(|e| (anchor(&e.field), format!("{}: {}", e.field, e.message)))
        .collect();
    let lead = if trouble.consent_missing {
        t.t("case-problem-consent")
    } else if matches!(trouble.refused, Refused::Fields { .. }) {
        t.t("case-problem-fields")
    } else {
        t.t("case-problem-step")
    };
    ProblemBox {
        title: t.t("case-problem-title"),
        lead,
        detail: trouble.refused.detail().filter(|d| !d.is_empty()),
        errors,
        consent_link: trouble.consent_missing.then(|| consent_link.to_owned()),
    }
}
