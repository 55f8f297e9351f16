//! Inzage / Export: everything Brug holds about a person, as a page to
//! print or hand over, and the same document as a JSON file
//! (`?format=json`). Both come from `rights::queries::export`, the API's
//! own audited read.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;

use super::cases::{decimal, moment};
use super::context::Ctx;
use super::i18n::Texts;
use super::page::{self, Layout};
use crate::audit::AuditContext;
use crate::auth::Role;
use crate::rights::disclosures::Disclosure;
use crate::rights::export::{CaseRecord, PersonExport, ReferralRecord, TalkRecord};

/// A label and what it says.
pub struct Fact {
    pub label: String,
    pub value: String,
}

pub struct TalkBlock {
    pub title: String,
    pub facts: Vec<Fact>,
    pub earlier: Vec<VersionLine>,
}

pub struct VersionLine {
    pub version: i32,
    pub recorded_at: String,
    pub held_on: String,
    pub intention: String,
    pub notes: String,
}

pub struct ConsentLine {
    pub with: String,
    pub categories: String,
    pub given_on: String,
    pub valid_until: String,
    pub status: String,
}

pub struct CaseBlock {
    pub title: String,
    pub facts: Vec<Fact>,
    /// When, what, detail.
    pub history: Vec<(String, String, String)>,
    pub referrals: Vec<ReferralBlock>,
}

pub struct ReferralBlock {
    pub title: String,
    pub facts: Vec<Fact>,
    /// When, status, reason.
    pub history: Vec<(String, String, String)>,
    /// Task, who, due, state, note.
    pub checklist: Vec<(String, String, String, String, String)>,
    /// Need, support, amount.
    pub plan: Vec<(String, String, String)>,
    /// Visit, due, state, held on, overall score.
    pub visits: Vec<(String, String, String, String, String)>,
}

pub struct DisclosureLine {
    pub when: String,
    pub partner: String,
    pub shown: String,
}

#[derive(Template)]
#[template(path = "clients/export.html")]
struct ExportPage {
    l: Layout,
    id: String,
    intro: String,
    erased: Option<String>,
    erased_reason: Option<String>,
    just_erased: bool,
    identity: Vec<Fact>,
    household: Vec<(String, String)>,
    talks: Vec<TalkBlock>,
    consents: Vec<ConsentLine>,
    cases: Vec<CaseBlock>,
    disclosures: Vec<DisclosureLine>,
    may_erase: bool,
}

#[derive(serde::Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
    erased: Option<String>,
}

/// `GET /clients/{id}/export`: the page, or with `?format=json` the file.
pub async fn show(
    ctx: Ctx,
    audit: AuditContext,
    id: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> HttpResponse {
    let id = id.into_inner();
    let found = crate::audit::read::audited(&ctx.state.db, audit, move |conn, by| {
        let export = crate::rights::queries::export(conn, by, &id, Utc::now())?;
        let names = crate::rights::store::partner_names(conn)?;
        Ok::<_, crate::domain::CommandError>((export, names))
    })
    .await;
    let (export, names) = match found {
        Ok(export) => export,
        Err(err) => return ctx.fail(err.into()).await,
    };
    if query.format.as_deref() == Some("json") {
        let file = format!(
            "attachment; filename=\"brug-{}.json\"",
            export.client.reference
        );
        return HttpResponse::Ok()
            .insert_header((header::CONTENT_DISPOSITION, file))
            .json(&export);
    }
    let may_erase = ctx
        .staff()
        .is_ok_and(|s| s.has_any(&[Role::Admin]) && export.erasure.is_none());
    let t = ctx.t;
    let body = ExportPage {
        l: ctx
            .layout(
                t.t1("export-title", "reference", &export.client.reference),
                "clients",
            )
            .await,
        id: export.client.id.clone(),
        intro: t.t1("export-intro", "when", moment(&t, export.generated_at)),
        erased: export.erasure.as_ref().map(|e| moment(&t, e.erased_at)),
        erased_reason: export.erasure.as_ref().and_then(|e| e.reason.clone()),
        just_erased: query.erased.is_some(),
        identity: identity(&t, &export),
        household: export
            .household
            .iter()
            .flat_map(|h| h.members.iter())
            .filter(|m| m.id != export.client.id)
            .map(|m| {
                let erased = m.erased_at.is_some();
                (
                    m.reference.clone(),
                    name(&t, erased, &m.given_name, &m.family_name),
                )
            })
            .collect(),
        talks: export.talks.iter().map(|r| talk(&t, r)).collect(),
        consents: export
            .consents
            .iter()
            .map(|c| consent(&t, c, &names))
            .collect(),
        cases: export
            .return_cases
            .iter()
            .map(|c| case(&t, c, &names))
            .collect(),
        disclosures: export
            .disclosures
            .iter()
            .map(|d| disclosure(&t, d))
            .collect(),
        may_erase,
    };
    page::render(StatusCode::OK, &body)
}

fn or_dash(value: Option<String>) -> String {
    value
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "–".to_owned())
}

fn fact(label: String, value: String) -> Fact {
    Fact { label, value }
}

/// A person's name, or that they were erased.
fn name(t: &Texts, erased: bool, given: &str, family: &str) -> String {
    if erased {
        return t.t("client-erased");
    }
    format!("{given} {family}")
}

fn identity(t: &Texts, export: &PersonExport) -> Vec<Fact> {
    let c = &export.client;
    vec![
        fact(
            t.t("client-name"),
            name(t, c.erased_at.is_some(), &c.given_name, &c.family_name),
        ),
        fact(t.t("client-reference"), c.reference.clone()),
        fact(t.t("client-date-of-birth"), page::date(t, c.date_of_birth)),
        fact(t.t("client-sex"), t.code_label("sex", c.sex.as_str())),
        fact(
            t.t("client-country"),
            page::country_name(&c.country_of_origin),
        ),
        fact(
            t.t("client-languages"),
            or_dash(Some(
                c.languages
                    .iter()
                    .map(|l| page::language_name(l))
                    .collect::<Vec<_>>()
                    .join(", "),
            )),
        ),
        fact(t.t("client-v-number"), or_dash(c.v_number.clone())),
        fact(t.t("client-location"), or_dash(c.location.clone())),
        fact(
            t.t("client-intention"),
            c.latest_intention
                .as_deref()
                .map(|i| t.code_label("intention", i))
                .unwrap_or_else(|| t.t("client-no-intention")),
        ),
        fact(t.t("export-registered"), moment(t, c.created_at)),
    ]
}

fn talk(t: &Texts, r: &TalkRecord) -> TalkBlock {
    let talk = &r.talk;
    TalkBlock {
        title: format!("{} {}", t.t("talk-title"), page::date(t, talk.held_on)),
        facts: vec![
            fact(t.t("talk-mode"), t.code_label("mode", talk.mode.as_str())),
            fact(t.t("talk-duration"), talk.duration_minutes.to_string()),
            fact(
                t.t("talk-interpreter"),
                or_dash(talk.interpreter_language.clone()),
            ),
            fact(
                t.t("talk-topics"),
                talk.topics
                    .iter()
                    .map(|topic| t.code_label("topic", topic))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            fact(
                t.t("talk-intention"),
                t.code_label("intention", talk.intention.as_str()),
            ),
            fact(t.t("talk-notes"), or_dash(talk.notes.clone())),
            fact(
                t.t("talk-next"),
                or_dash(talk.next_talk_on.map(|d| page::date(t, d))),
            ),
            fact(t.t("talk-recorded-at"), moment(t, talk.updated_at)),
            fact(t.t("talk-version"), talk.version.to_string()),
        ],
        earlier: r
            .earlier_versions
            .iter()
            .map(|v| VersionLine {
                version: v.version,
                recorded_at: moment(t, v.recorded_at),
                held_on: page::date(t, v.held_on),
                intention: t.code_label("intention", v.intention.as_str()),
                notes: or_dash(v.notes.clone()),
            })
            .collect(),
    }
}

/// Partners' names by id.
type Names = std::collections::HashMap<String, String>;

fn partner(names: &Names, id: &str) -> String {
    names.get(id).cloned().unwrap_or_else(|| id.to_owned())
}

fn consent(t: &Texts, c: &crate::consent::store::ConsentView, names: &Names) -> ConsentLine {
    ConsentLine {
        with: match (&c.partner_id, &c.country) {
            (Some(p), _) => partner(names, p),
            (None, Some(country)) => t.t1(
                "consent-any-partner-in",
                "country",
                page::country_name(country),
            ),
            _ => String::new(),
        },
        categories: c
            .data_categories
            .iter()
            .map(|cat| t.code_label("category", cat))
            .collect::<Vec<_>>()
            .join(", "),
        given_on: page::date(t, c.given_on),
        valid_until: c
            .valid_until
            .map(|d| page::date(t, d))
            .unwrap_or_else(|| t.t("consent-until-withdrawn")),
        status: t.code_label("consent-status", c.status.as_str()),
    }
}

fn case(t: &Texts, r: &CaseRecord, names: &Names) -> CaseBlock {
    let c = &r.case;
    CaseBlock {
        title: format!(
            "{} · {}",
            page::country_name(&c.destination_country),
            page::date(t, c.planned_departure_on)
        ),
        facts: vec![
            fact(
                t.t("case-destination"),
                page::country_name(&c.destination_country),
            ),
            fact(t.t("case-region"), or_dash(c.destination_region.clone())),
            fact(
                t.t("case-needs"),
                or_dash(Some(
                    c.needs
                        .iter()
                        .map(|n| t.code_label("case-service", n))
                        .collect::<Vec<_>>()
                        .join(", "),
                )),
            ),
            fact(
                t.t("case-planned-departure"),
                page::date(t, c.planned_departure_on),
            ),
            fact(
                t.t("case-status"),
                t.code_label("case-status", c.status.as_str()),
            ),
            fact(t.t("case-opened"), moment(t, c.opened_at)),
            fact(
                t.t("case-closed"),
                or_dash(c.closed_at.map(|at| moment(t, at))),
            ),
        ],
        history: c
            .history
            .iter()
            .map(|h| {
                (
                    moment(t, h.at),
                    h.change.replace('_', " "),
                    h.detail.clone().unwrap_or_default(),
                )
            })
            .collect(),
        referrals: r.referrals.iter().map(|x| referral(t, x, names)).collect(),
    }
}

fn referral(t: &Texts, r: &ReferralRecord, names: &Names) -> ReferralBlock {
    let v = &r.referral;
    let status = |s: &str| t.code_label("case-referral", s);
    ReferralBlock {
        title: format!(
            "{} · {}",
            partner(names, &v.partner_id),
            status(v.status.as_str())
        ),
        facts: vec![
            fact(t.t("case-sent-at"), moment(t, v.sent_at)),
            fact(
                t.t("case-departed-on"),
                or_dash(v.departed_on.map(|d| page::date(t, d))),
            ),
            fact(
                t.t("case-arrival"),
                or_dash(v.arrived_on.map(|d| page::date(t, d))),
            ),
            fact(t.t("export-arrival-note"), or_dash(r.arrival_note.clone())),
            fact(
                t.t("case-outcome"),
                or_dash(v.outcome.map(|o| t.code_label("case-outcome", o.as_str()))),
            ),
            fact(
                t.t("case-referral-ended"),
                or_dash(v.closed_at.map(|at| moment(t, at))),
            ),
            fact(t.t("export-drafts"), r.partner_drafts.len().to_string()),
        ],
        history: v
            .history
            .iter()
            .map(|h| {
                (
                    moment(t, h.at),
                    status(h.status.as_str()),
                    h.reason.clone().unwrap_or_default(),
                )
            })
            .collect(),
        checklist: r
            .checklist
            .iter()
            .map(|i| {
                (
                    t.code_label("case-task", &i.kind),
                    t.code_label("case-owner", i.owner.as_str()),
                    page::date(t, i.due_on),
                    t.code_label("case-item-state", i.status.as_str()),
                    i.note.clone().unwrap_or_default(),
                )
            })
            .collect(),
        plan: v
            .reintegration_plan
            .iter()
            .flat_map(|p| p.items.iter())
            .map(|i| {
                (
                    t.code_label("case-service", &i.need),
                    i.support.clone(),
                    format!("{} {}", decimal(t, i.amount, 2), i.currency),
                )
            })
            .collect(),
        visits: v
            .monitoring_visits
            .iter()
            .map(|visit| {
                (
                    t.count(
                        "case-visit-months",
                        visit.months_after_arrival.max(0) as usize,
                    ),
                    page::date(t, visit.due_on),
                    t.code_label("case-visit", &visit.status),
                    or_dash(visit.held_on.map(|d| page::date(t, d))),
                    or_dash(visit.scores.as_ref().map(|s| decimal(t, s.overall, 2))),
                )
            })
            .collect(),
    }
}

fn disclosure(t: &Texts, d: &Disclosure) -> DisclosureLine {
    DisclosureLine {
        when: moment(t, d.at),
        partner: d.partner_name.clone(),
        shown: if d.categories.is_empty() {
            t.t("export-only-reference")
        } else {
            d.categories
                .iter()
                .map(|c| t.code_label("category", c.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        },
    }
}
