//! One referral in the portal: what the programme shares (exactly the
//! API's view of it), and every step the partner takes on it, each through
//! the command its `/partner/v1` operation runs. A refused step shows the
//! page again with the message beside the field.

mod view;

#[cfg(test)]
pub(super) use view::DECLINE_CODES;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use validator::Validate;

use super::context::Portal;
use super::once;
use super::page::PortalLayout;
use crate::audit::AuditContext;
use crate::db::DbConn;
use crate::domain::{CommandError, FieldError};
use crate::http::AppError;
use crate::referrals::commands::{self, after_departure, checklist};
use crate::referrals::store::drafts::{self, DraftKind};
use crate::referrals::vocabulary::{Decline, Hold};
use crate::referrals::{Arrival, OptionalNote, queries};
use crate::web::form::{As, FormData, Refused};
use crate::web::page;

#[derive(Template)]
#[template(path = "portal/referral.html")]
struct ReferralPage {
    l: PortalLayout,
    id: String,
    reference: String,
    country: String,
    status: String,
    row: super::inbox::Row,
    shared: Vec<String>,
    facts: Vec<view::Fact>,
    tasks: Vec<view::Task>,
    offers: view::Offers,
    forms: view::Forms,
    plan: Option<PlanShown>,
    visits: Vec<(String, String, String)>,
    /// Sustainability alerts: raised when, why, handled when.
    alerts: Vec<(String, Vec<String>, Option<String>)>,
    drafts: Vec<view::DraftRow>,
    history: Vec<(String, String, Option<String>)>,
    /// On hold: why, and when it is reviewed.
    hold: Option<(String, String)>,
    /// Declined: the coded reason in words, and the text beside it.
    declined: Option<(String, Option<String>)>,
    /// Which form was refused, and why, above everything.
    problem: Option<String>,
    done: Option<String>,
    key: String,
}

/// The reintegration plan as the page shows it.
pub struct PlanShown {
    pub status: String,
    pub items: Vec<(String, String, String)>,
    pub comment: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn show(
    portal: Portal,
    audit: AuditContext,
    id: web::Path<String>,
    query: web::Query<Done>,
) -> HttpResponse {
    let done = query.done.clone();
    referral_page(&portal, audit, &id, None, done).await
}

/// The page, fresh or with a refused form.
async fn referral_page(
    portal: &Portal,
    audit: AuditContext,
    id: &str,
    posted: Option<(&str, FormData, Refused)>,
    done: Option<String>,
) -> HttpResponse {
    let (partner, user_id, role) = match portal.session() {
        Ok(s) => (s.user.partner_id.clone(), s.user.id.clone(), s.user.role),
        Err(err) => return portal.fail(err),
    };
    let now = Utc::now();
    let (mine, wanted) = (partner.clone(), id.to_owned());
    let found = crate::audit::read::audited(&portal.state.db, audit, move |conn, by| {
        let view = queries::partner_referral(conn, by, &mine, &wanted, now)?;
        let mut open = Vec::new();
        for kind in DraftKind::ALL {
            if let Some(draft) = drafts::current(conn, &view.id, *kind)? {
                open.push(draft);
            }
        }
        Ok::<_, CommandError>((view, open))
    })
    .await;
    let (view, open_drafts) = match found {
        Ok(found) => found,
        Err(err) => return portal.fail(AppError::from(err)),
    };
    let t = portal.t;
    let today = now.date_naive();
    let (status, problem) = match &posted {
        Some((_, _, refused)) => match crate::web::form::shown(Some(refused.for_page())) {
            Ok((status, refused)) => (status, refused.as_ref().and_then(Refused::detail)),
            Err(err) => return portal.fail(err),
        },
        None => (StatusCode::OK, None),
    };
    let row = super::inbox::row_of(&t, &view, today);
    let body = ReferralPage {
        l: portal.layout(row.reference.clone(), "inbox"),
        id: view.id.clone(),
        reference: row.reference.clone(),
        country: row.country.clone(),
        status: row.status.clone(),
        shared: view
            .shared_categories
            .iter()
            .map(|c| t.code_label("portal-category", c))
            .collect(),
        facts: view::facts(&t, &view),
        tasks: view::tasks(&t, &view),
        offers: view::offers(&view),
        forms: view::forms(
            &t,
            posted
                .as_ref()
                .map(|(which, form, refused)| (*which, form, refused)),
        ),
        plan: view.reintegration_plan.as_ref().map(|plan| PlanShown {
            status: t.code_label("portal-plan-status", plan.status.as_str()),
            items: plan
                .items
                .iter()
                .map(|i| {
                    (
                        t.code_label("portal-need", &i.need),
                        i.support.clone(),
                        format!("{:.2} {}", i.amount, i.currency),
                    )
                })
                .collect(),
            comment: plan.comment.clone(),
        }),
        visits: view
            .monitoring_visits
            .iter()
            .map(|v| {
                (
                    t.t1("portal-visit-months", "n", v.months_after_arrival),
                    page::date(&t, v.held_on.unwrap_or(v.due_on)),
                    t.code_label("portal-visit-status", &v.status),
                )
            })
            .collect(),
        alerts: {
            let indicators = portal
                .state
                .model
                .in_language(&portal.state.model_texts, t.code());
            view.monitoring_visits
                .iter()
                .filter_map(|v| v.alert.as_ref())
                .map(|a| {
                    (
                        page::date(&t, a.raised_at.date()),
                        crate::web::alerts::reasons(&t, "portal", &a.reasons, &indicators),
                        a.handled_at.map(|at| {
                            t.t1("portal-alert-handled", "date", page::date(&t, at.date()))
                        }),
                    )
                })
                .collect()
        },
        drafts: view::draft_rows(&t, &open_drafts, &user_id, role),
        history: view
            .history
            .iter()
            .map(|h| {
                (
                    page::date(&t, h.at.date()),
                    t.code_label("portal-status", h.status.as_str()),
                    h.reason.clone(),
                )
            })
            .collect(),
        hold: view
            .on_hold
            .as_ref()
            .map(|h| (h.reason.clone(), page::date(&t, h.review_on))),
        declined: view.status_reason.map(|code| {
            let text = view
                .history
                .iter()
                .rev()
                .find(|h| h.status == crate::referrals::ReferralStatus::Rejected)
                .and_then(|h| h.reason.clone());
            (t.code_label("portal-decline", code.as_str()), text)
        }),
        row,
        problem,
        // Only a notice the portal has words for: nothing typed into a URL.
        done: done
            .map(|d| format!("portal-done-{d}"))
            .filter(|key| t.has(key))
            .map(|key| t.t(&key)),
        key: once::new_key(),
    };
    page::render(status, &body)
}

/// Parses form fields as the API parses its body, the API's names mapped
/// from the form's (`(api, form, how)`), and its field errors mapped back.
pub(super) fn parse_as<T: DeserializeOwned + Validate>(
    form: &FormData,
    fields: &[(&str, &str, As)],
) -> Result<T, Refused> {
    let shaped: Vec<(&str, As)> = fields.iter().map(|(_, f, how)| (*f, *how)).collect();
    let Value::Object(by_form) = form.json(&shaped) else {
        return Err(Refused::Other(AppError::Internal(anyhow::anyhow!(
            "not an object"
        ))));
    };
    let mut body = Map::new();
    for (api, name, _) in fields {
        if let Some(value) = by_form.get(*name) {
            body.insert((*api).to_owned(), value.clone());
        }
    }
    let bytes = serde_json::to_vec(&Value::Object(body))
        .map_err(|e| Refused::Other(AppError::Internal(anyhow::anyhow!(e))))?;
    crate::http::json::parse_body::<T>(&bytes)
        .map_err(Refused::from)
        .map_err(|refused| rename(refused, fields))
}

/// The API's field names in a refusal, as the form's.
pub(super) fn rename(refused: Refused, fields: &[(&str, &str, As)]) -> Refused {
    match refused {
        Refused::Fields { detail, errors } => Refused::Fields {
            detail,
            errors: errors
                .into_iter()
                .map(|e| {
                    let field = fields
                        .iter()
                        .find(|(api, _, _)| e.field == *api)
                        .map_or(e.field.clone(), |(_, form, _)| (*form).to_owned());
                    FieldError::new(field, e.message)
                })
                .collect(),
        },
        other => other,
    }
}

/// Runs one step through its command; done, back to the page (303);
/// refused, the page again with the form and why.
async fn step<F>(
    portal: Portal,
    audit: AuditContext,
    id: String,
    which: &'static str,
    form: FormData,
    fields: &[(&str, &str, As)],
    run: F,
) -> HttpResponse
where
    F: FnOnce(&mut DbConn, &AuditContext, &str, &str) -> Result<(), CommandError> + Send + 'static,
{
    let partner = match portal.partner_id() {
        Ok(partner) => partner,
        Err(err) => return portal.fail(err),
    };
    let (by, referral) = (audit.clone(), id.clone());
    let result = portal
        .state
        .db
        .write(move |conn| run(conn, &by, &partner, &referral))
        .await;
    match result {
        Ok(()) => page::see_other(&format!("/portal/referrals/{id}?done={which}")),
        Err(err) => {
            let refused = rename(Refused::from(AppError::from(err)), fields);
            refused_form(portal, audit, id, which, form, refused).await
        }
    }
}

/// The page again with a refused form (or an error page).
async fn refused_form(
    portal: Portal,
    audit: AuditContext,
    id: String,
    which: &'static str,
    form: FormData,
    refused: Refused,
) -> HttpResponse {
    match refused {
        Refused::Other(err) => portal.fail(err),
        refused => referral_page(&portal, audit, &id, Some((which, form, refused)), None).await,
    }
}

/// Reads the form as the API reads its body (`T`, its rules, its field
/// errors beside the form's fields), then runs the step with it.
#[allow(clippy::too_many_arguments)]
async fn parsed_step<T, F>(
    portal: Portal,
    audit: AuditContext,
    id: String,
    which: &'static str,
    form: FormData,
    fields: &'static [(&'static str, &'static str, As)],
    run: F,
) -> HttpResponse
where
    T: serde::de::DeserializeOwned + Validate + Send + 'static,
    F: FnOnce(&mut DbConn, &AuditContext, &str, &str, &T) -> Result<(), CommandError>
        + Send
        + 'static,
{
    let body: T = match parse_as(&form, fields) {
        Ok(body) => body,
        Err(refused) => return refused_form(portal, audit, id, which, form, refused).await,
    };
    step(
        portal,
        audit,
        id,
        which,
        form,
        fields,
        move |conn, by, partner, id| run(conn, by, partner, id, &body),
    )
    .await
}

pub async fn acknowledge(
    portal: Portal,
    audit: AuditContext,
    id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    const FIELDS: &[(&str, &str, As)] = &[("note", "ack_note", As::Text)];
    let id = id.into_inner();
    parsed_step(
        portal,
        audit,
        id,
        "acknowledge",
        form,
        FIELDS,
        |conn, by, partner, id, body: &OptionalNote| {
            commands::acknowledge(conn, by, partner, id, body.note.as_deref(), Utc::now())
                .map(|_| ())
        },
    )
    .await
}

pub async fn accept(
    portal: Portal,
    audit: AuditContext,
    id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    const FIELDS: &[(&str, &str, As)] = &[("note", "accept_note", As::Text)];
    let template = portal.state.settings.checklist.clone();
    let id = id.into_inner();
    parsed_step(
        portal,
        audit,
        id,
        "accept",
        form,
        FIELDS,
        move |conn, by, partner, id, body: &OptionalNote| {
            let note = body.note.as_deref();
            commands::accept(conn, by, partner, id, note, &template, Utc::now()).map(|_| ())
        },
    )
    .await
}

pub async fn decline(
    portal: Portal,
    audit: AuditContext,
    id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    const FIELDS: &[(&str, &str, As)] = &[
        ("reason_code", "reason_code", As::Text),
        ("reason", "decline_reason", As::Text),
    ];
    let id = id.into_inner();
    parsed_step(
        portal,
        audit,
        id,
        "decline",
        form,
        FIELDS,
        |conn, by, partner, id, body: &Decline| {
            commands::decline(conn, by, partner, id, body, Utc::now()).map(|_| ())
        },
    )
    .await
}

pub async fn hold(
    portal: Portal,
    audit: AuditContext,
    id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    const FIELDS: &[(&str, &str, As)] = &[
        ("reason", "hold_reason", As::Text),
        ("review_on", "review_on", As::Text),
    ];
    let id = id.into_inner();
    parsed_step(
        portal,
        audit,
        id,
        "hold",
        form,
        FIELDS,
        |conn, by, partner, id, body: &Hold| {
            commands::hold(conn, by, partner, id, body, Utc::now()).map(|_| ())
        },
    )
    .await
}

pub async fn resume(
    portal: Portal,
    audit: AuditContext,
    id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    let id = id.into_inner();
    parsed_step(
        portal,
        audit,
        id,
        "resume",
        form,
        &[],
        |conn, by, partner, id, body: &OptionalNote| {
            commands::resume(conn, by, partner, id, body, Utc::now()).map(|_| ())
        },
    )
    .await
}

pub async fn complete_task(
    portal: Portal,
    audit: AuditContext,
    path: web::Path<(String, String)>,
    form: FormData,
) -> HttpResponse {
    const FIELDS: &[(&str, &str, As)] = &[("note", "task_note", As::Text)];
    let (id, item) = path.into_inner();
    parsed_step(
        portal,
        audit,
        id,
        "task",
        form,
        FIELDS,
        move |conn, by, partner, id, body: &OptionalNote| {
            let note = body.note.clone();
            checklist::complete_item(conn, by, partner, id, &item, note, Utc::now()).map(|_| ())
        },
    )
    .await
}

pub async fn arrival(
    portal: Portal,
    audit: AuditContext,
    id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    const FIELDS: &[(&str, &str, As)] = &[
        ("arrived_on", "arrived_on", As::Text),
        ("received", "received", As::Bool),
        ("note", "arrival_note", As::Text),
    ];
    let months = portal.state.settings.monitoring_schedule_months.clone();
    let id = id.into_inner();
    parsed_step(
        portal,
        audit,
        id,
        "arrival",
        form,
        FIELDS,
        move |conn, by, partner, id, body: &Arrival| {
            after_departure::arrive(conn, by, partner, id, body, &months, Utc::now()).map(|_| ())
        },
    )
    .await
}
