//! Four eyes in the portal: the reintegration plan, a monitoring report and
//! the closure are drafted here by anyone at the partner (checked as the
//! API checks them) and submitted by a coordinator who did not draft them.

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde_json::{Value, json};

use super::context::Portal;
use super::once;
use super::page::PortalLayout;
use crate::audit::AuditContext;
use crate::domain::CommandError;
use crate::http::AppError;
use crate::referrals::commands::drafts as commands;
use crate::referrals::plan::NewPlan;
use crate::referrals::store::drafts::{self, Draft, DraftKind};
use crate::referrals::store::partner_view::PartnerReferralView;
use crate::referrals::{Closure, Outcome, queries};
use crate::web::form::{FormData, Refused};
use crate::web::page::{self, Field, Kind};

/// Rows of the plan form (a plan has at most 30 items; a form without
/// script offers this many at once, and a saved draft gets more).
const PLAN_ROWS: usize = 8;

/// The plan form's field names, row by row: the API's own paths, so that
/// its errors (`items[2].amount`) land beside the right field.
const ROW_NAMES: [[&str; 4]; PLAN_ROWS] = [
    [
        "items[0].need",
        "items[0].support",
        "items[0].amount",
        "items[0].currency",
    ],
    [
        "items[1].need",
        "items[1].support",
        "items[1].amount",
        "items[1].currency",
    ],
    [
        "items[2].need",
        "items[2].support",
        "items[2].amount",
        "items[2].currency",
    ],
    [
        "items[3].need",
        "items[3].support",
        "items[3].amount",
        "items[3].currency",
    ],
    [
        "items[4].need",
        "items[4].support",
        "items[4].amount",
        "items[4].currency",
    ],
    [
        "items[5].need",
        "items[5].support",
        "items[5].amount",
        "items[5].currency",
    ],
    [
        "items[6].need",
        "items[6].support",
        "items[6].amount",
        "items[6].currency",
    ],
    [
        "items[7].need",
        "items[7].support",
        "items[7].amount",
        "items[7].currency",
    ],
];

/// A question of the monitoring form, from the published model, in the
/// page's language.
pub struct Question {
    pub name: String,
    pub question: String,
    pub answers: Vec<(String, String, bool)>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/draft.html")]
struct DraftPage {
    l: PortalLayout,
    id: String,
    kind: &'static str,
    intro: String,
    comment: Option<String>,
    drafted: Option<String>,
    fields: Vec<Field>,
    rows: Vec<[Field; 4]>,
    questions: Vec<Question>,
    problem: Option<String>,
    errors: Vec<(String, String)>,
    key: String,
    /// The open draft shown above, for a coordinator who did not write it
    /// to submit (four eyes: they submit what they read here).
    sign_off: Option<String>,
}

fn kind_of(path: &str) -> DraftKind {
    if path.ends_with("/monitoring") {
        DraftKind::Monitoring
    } else if path.ends_with("/closure") {
        DraftKind::Closure
    } else {
        DraftKind::Plan
    }
}

/// The referral (an audited read, as the API's) and its open draft.
async fn load(
    portal: &Portal,
    audit: AuditContext,
    id: &str,
    kind: DraftKind,
) -> Result<(PartnerReferralView, Option<Draft>), AppError> {
    let partner = portal.partner_id()?;
    let id = id.to_owned();
    let now = Utc::now();
    crate::audit::read::audited(&portal.state.db, audit, move |conn, by| {
        let view = queries::partner_referral(conn, by, &partner, &id, now)?;
        let draft = drafts::current(conn, &view.id, kind)?;
        Ok::<_, CommandError>((view, draft))
    })
    .await
    .map_err(AppError::from)
}

/// The draft form, fresh (from the draft or the returned plan) or as posted.
async fn draft_page(
    portal: &Portal,
    audit: AuditContext,
    id: &str,
    kind: DraftKind,
    posted: Option<(&FormData, Refused)>,
) -> HttpResponse {
    let (view, draft) = match load(portal, audit, id, kind).await {
        Ok(found) => found,
        Err(err) => return portal.fail(err),
    };
    let (status, refused) =
        match crate::web::form::shown(posted.as_ref().map(|(_, r)| r.for_page())) {
            Ok(shown) => shown,
            Err(err) => return portal.fail(err),
        };
    let form = posted.as_ref().map(|(f, _)| *f);
    let t = portal.t;
    // What the form starts from: what was typed, else the open draft, else
    // (for a plan) the plan as submitted or returned.
    let start: Value = match (&draft, kind) {
        (Some(d), _) => d.body.clone(),
        (None, DraftKind::Plan) => view
            .reintegration_plan
            .as_ref()
            .map(|p| json!({"items": p.items}))
            .unwrap_or(Value::Null),
        _ => Value::Null,
    };
    let value = |name: &str| -> String {
        let pointer = format!(
            "/{}",
            name.replace("items[", "items/")
                .replace("].", "/")
                .replace('.', "/")
        );
        match start.pointer(&pointer) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    };
    let needs: Vec<&str> = crate::cases::Need::ALL.iter().map(|n| n.as_str()).collect();
    let rows: Vec<[Field; 4]> = if kind == DraftKind::Plan {
        ROW_NAMES
            .iter()
            .map(|[need, support, amount, currency]| {
                [
                    Field::new(need, t.t("portal-plan-need"), Kind::Select)
                        .codes(&t, "portal-need", &needs)
                        .value(value(need)),
                    Field::new(support, t.t("portal-plan-support"), Kind::Text)
                        .value(value(support)),
                    Field::new(amount, t.t("portal-plan-amount"), Kind::Text).value(value(amount)),
                    Field::new(currency, t.t("portal-plan-currency"), Kind::Text)
                        .value(value(currency))
                        .hint(t.t("portal-plan-currency-hint")),
                ]
                .map(|f| f.from_form(form, refused.as_ref()))
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut fields = Vec::new();
    let mut questions = Vec::new();
    match kind {
        DraftKind::Plan => {}
        DraftKind::Monitoring => {
            let visits: Vec<(String, String)> = view
                .monitoring_visits
                .iter()
                .filter(|v| v.status != "done")
                .map(|v| {
                    (
                        v.id.clone(),
                        format!(
                            "{} · {}",
                            t.t1("portal-visit-months", "n", v.months_after_arrival),
                            page::date(&t, v.due_on)
                        ),
                    )
                })
                .collect();
            let modes: Vec<&str> = crate::talks::TalkMode::ALL
                .iter()
                .map(|m| m.as_str())
                .collect();
            fields.push(
                Field::new("visit_id", t.t("portal-visit"), Kind::Select)
                    .required()
                    .choices(visits)
                    .value(value("visit_id")),
            );
            fields.push(
                Field::new("held_on", t.t("portal-visit-held-on"), Kind::Date)
                    .required()
                    .value(value("held_on")),
            );
            fields.push(
                Field::new("mode", t.t("portal-visit-mode"), Kind::Select)
                    .required()
                    .codes(&t, "portal-mode", &modes)
                    .value(value("mode")),
            );
            // Each question in the page's language, from the texts beside
            // the model.
            let local = portal
                .state
                .model
                .in_language(&portal.state.model_texts, t.lang.code());
            for indicator in local {
                let name = format!("answers.{}", indicator.id);
                let chosen = form.map_or_else(|| value(&name), |f| f.get(&name).to_owned());
                questions.push(Question {
                    question: indicator.question.clone(),
                    answers: indicator
                        .answers
                        .into_iter()
                        .map(|(v, label)| {
                            let picked = v == chosen;
                            (v, label, picked)
                        })
                        .collect(),
                    error: refused.as_ref().and_then(|r| r.error_for(&name)),
                    name,
                });
            }
        }
        DraftKind::Closure => {
            let outcomes: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
            fields.push(
                Field::new("outcome", t.t("portal-closure-outcome"), Kind::Select)
                    .required()
                    .codes(&t, "portal-outcome", &outcomes)
                    .value(value("outcome")),
            );
            fields
                .push(Field::new("note", t.t("portal-note"), Kind::TextArea).value(value("note")));
        }
    }
    let fields: Vec<Field> = fields
        .into_iter()
        .map(|f| f.from_form(form, refused.as_ref()))
        .collect();
    let all: Vec<Field> = fields
        .iter()
        .cloned()
        .chain(rows.iter().flatten().cloned())
        .collect();
    let mut errors = crate::web::form::summary(&all, refused.as_ref());
    for q in &questions {
        if let Some(e) = &q.error {
            errors.push((format!("{}: {e}", q.question), q.name.clone()));
        }
    }
    let reference = view
        .client
        .get("reference")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let title = t.t1(
        match kind {
            DraftKind::Plan => "portal-plan-form-title",
            DraftKind::Monitoring => "portal-visit-form-title",
            DraftKind::Closure => "portal-closure-form-title",
        },
        "reference",
        &reference,
    );
    let body = DraftPage {
        l: portal.layout(title, "inbox"),
        id: view.id.clone(),
        kind: kind.as_str(),
        intro: t.t("portal-draft-intro"),
        comment: view
            .reintegration_plan
            .as_ref()
            .filter(|_| kind == DraftKind::Plan)
            .and_then(|p| p.comment.clone()),
        sign_off: draft
            .as_ref()
            .filter(|d| {
                posted.is_none()
                    && portal.session.as_ref().is_some_and(|s| {
                        s.user.role == crate::auth::partner_users::PartnerRole::Coordinator
                            && s.user.id != d.drafted_by
                    })
            })
            .map(|d| d.id.clone()),
        drafted: draft.map(|d| {
            t.with(
                "portal-draft-saved",
                &[
                    ("email", d.drafted_by_email),
                    (
                        "date",
                        format!(
                            "{} {}",
                            page::date(&t, d.drafted_at.date()),
                            d.drafted_at.format("%H:%M UTC")
                        ),
                    ),
                ],
            )
        }),
        fields,
        rows,
        questions,
        problem: refused.as_ref().and_then(Refused::detail),
        errors,
        key: once::new_key(),
    };
    page::render(status, &body)
}

pub async fn show(
    portal: Portal,
    audit: AuditContext,
    req: actix_web::HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    draft_page(&portal, audit, &id, kind_of(req.path()), None).await
}

/// The posted form as the API's request body, checked by the API's rules.
fn body_of(portal: &Portal, kind: DraftKind, form: &FormData) -> Result<Value, Refused> {
    let parsed = |body: Value| -> Result<Value, AppError> {
        let bytes =
            serde_json::to_vec(&body).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
        match kind {
            DraftKind::Plan => crate::http::json::parse_body::<NewPlan>(&bytes).map(|_| body),
            DraftKind::Closure => crate::http::json::parse_body::<Closure>(&bytes).map(|_| body),
            DraftKind::Monitoring => {
                let report =
                    crate::http::json::parse_body::<crate::monitoring::MonitoringReport>(&bytes)?;
                portal
                    .state
                    .model
                    .score(&report.answers)
                    .map_err(AppError::validation)?;
                Ok(body)
            }
        }
    };
    let body = match kind {
        DraftKind::Plan => {
            let items: Vec<Value> = ROW_NAMES
                .iter()
                .filter(|names| names.iter().any(|n| !form.get(n).is_empty()))
                .map(|[need, support, amount, currency]| {
                    let amount = form.get(amount).replace(',', ".");
                    json!({
                        "need": form.get(need),
                        "support": form.get(support),
                        "amount": amount.parse::<f64>().map(Value::from).unwrap_or(Value::from(amount)),
                        "currency": form.get(currency).to_uppercase(),
                    })
                })
                .collect();
            json!({ "items": items })
        }
        DraftKind::Monitoring => {
            let answers: serde_json::Map<String, Value> = portal
                .state
                .model
                .indicators
                .iter()
                .filter_map(|i| {
                    let value = form.get(&format!("answers.{}", i.id));
                    (!value.is_empty()).then(|| (i.id.clone(), Value::from(value)))
                })
                .collect();
            let mut body = form.json(&[
                ("visit_id", crate::web::form::As::Text),
                ("held_on", crate::web::form::As::Text),
                ("mode", crate::web::form::As::Text),
            ]);
            if let Value::Object(o) = &mut body {
                o.insert("answers".into(), Value::Object(answers));
            }
            body
        }
        DraftKind::Closure => form.json(&[
            ("outcome", crate::web::form::As::Text),
            ("note", crate::web::form::As::Text),
        ]),
    };
    parsed(body).map_err(Refused::from)
}

pub async fn save(
    portal: Portal,
    audit: AuditContext,
    req: actix_web::HttpRequest,
    id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    let kind = kind_of(req.path());
    let id = id.into_inner();
    let body = match body_of(&portal, kind, &form) {
        Ok(body) => body,
        Err(refused) => return draft_page(&portal, audit, &id, kind, Some((&form, refused))).await,
    };
    let (partner, user_id) = match portal.session() {
        Ok(s) => (s.user.partner_id.clone(), s.user.id.clone()),
        Err(err) => return portal.fail(err),
    };
    let (by, referral) = (audit.clone(), id.clone());
    let now = Utc::now();
    let saved = portal
        .state
        .db
        .write(move |conn| {
            commands::save(conn, &by, &partner, &user_id, &referral, kind, &body, now)
        })
        .await;
    match saved {
        Ok(_) => page::see_other(&format!("/portal/referrals/{id}?done=drafted#drafts")),
        Err(err) => {
            let refused = Refused::from(AppError::from(err));
            draft_page(&portal, audit, &id, kind, Some((&form, refused))).await
        }
    }
}

pub async fn submit(
    portal: Portal,
    audit: AuditContext,
    id: web::Path<String>,
    _form: FormData,
) -> HttpResponse {
    let (partner, user_id) = match portal.session() {
        Ok(s) => (s.user.partner_id.clone(), s.user.id.clone()),
        Err(err) => return portal.fail(err),
    };
    let model = portal.state.model.clone();
    let id = id.into_inner();
    let now = Utc::now();
    let submitted = portal
        .state
        .db
        .write(move |conn| commands::submit(conn, &audit, &partner, &user_id, &id, &model, now))
        .await;
    match submitted {
        Ok(done) => page::see_other(&format!(
            "/portal/referrals/{}?done=submitted-{}",
            done.referral_id,
            done.kind.as_str()
        )),
        Err(err) => portal.fail(AppError::from(err)),
    }
}

pub async fn discard(
    portal: Portal,
    audit: AuditContext,
    id: web::Path<String>,
    _form: FormData,
) -> HttpResponse {
    let (partner, user_id) = match portal.session() {
        Ok(s) => (s.user.partner_id.clone(), s.user.id.clone()),
        Err(err) => return portal.fail(err),
    };
    let id = id.into_inner();
    let now = Utc::now();
    let discarded = portal
        .state
        .db
        .write(move |conn| commands::discard(conn, &audit, &partner, &user_id, &id, now))
        .await;
    match discarded {
        Ok(referral) => page::see_other(&format!("/portal/referrals/{referral}?done=discarded")),
        Err(err) => portal.fail(AppError::from(err)),
    }
}
