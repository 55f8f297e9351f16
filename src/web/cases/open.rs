//! `GET` and `POST /clients/{id}/return-cases/new`: opening a return case
//! for a client, with the API's input (`POST /api/v1/return-cases`) and
//! command.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;

use crate::audit::AuditContext;
use crate::cases::{Need, NewReturnCase, commands};
use crate::clients::store::ClientView;
use crate::domain::Outcome;
use crate::domain::page::PageRequest;
use crate::http::AppError;
use crate::talks::Intention;
use crate::talks::store::TalkView;
use crate::web::context::Ctx;
use crate::web::form::{As, FormData, Refused};
use crate::web::page::{self, Field, Kind, Layout};

#[derive(Template)]
#[template(path = "cases/new.html")]
struct NewCasePage {
    l: Layout,
    client: String,
    client_link: String,
    problem: Option<String>,
    /// Each bad field: its control's id and its message.
    errors: Vec<(String, String)>,
    /// The open case that stands in the way, when there is one.
    existing: Option<String>,
    destination_country: Field,
    destination_region: Field,
    needs: Field,
    planned_departure_on: Field,
    talk_id: Field,
    household_member_ids: Option<Field>,
}

/// The fields of the form, as the API names them.
const FIELDS: &[(&str, As)] = &[
    ("talk_id", As::Text),
    ("destination_country", As::Text),
    ("destination_region", As::Text),
    ("needs", As::List),
    ("household_member_ids", As::List),
    ("planned_departure_on", As::Text),
];

/// The client, their talks (newest first) and the others in their
/// household, read as the API reads them.
struct Who {
    client: ClientView,
    talks: Vec<TalkView>,
    others: Vec<ClientView>,
}

async fn who(ctx: &Ctx, audit: AuditContext, client_id: String) -> Result<Who, AppError> {
    let now = Utc::now();
    let read = crate::audit::read::audited(&ctx.state.db, audit, move |conn, by| {
        let client = crate::clients::queries::get(conn, by, &client_id, now)?;
        let page = PageRequest {
            limit: 50,
            after: None,
        };
        let mut talks = crate::talks::queries::for_client(conn, by, &client.id, &page, now)?;
        talks.truncate(50);
        let others = match &client.household_id {
            Some(household) => crate::clients::queries::household(conn, by, household, now)?
                .members
                .into_iter()
                .filter(|m| m.id != client.id)
                .collect(),
            None => Vec::new(),
        };
        Outcome::Ok(Who {
            client,
            talks,
            others,
        })
    })
    .await;
    read.map_err(AppError::from)
}

pub async fn new_case(ctx: Ctx, audit: AuditContext, id: web::Path<String>) -> HttpResponse {
    form_page(&ctx, audit, id.into_inner(), None, None).await
}

async fn form_page(
    ctx: &Ctx,
    audit: AuditContext,
    client_id: String,
    form: Option<&FormData>,
    refused: Option<(Refused, Option<String>)>,
) -> HttpResponse {
    let who = match who(ctx, audit, client_id).await {
        Ok(who) => who,
        Err(err) => return ctx.fail(err).await,
    };
    let t = ctx.t;
    let (refused, existing) = match refused {
        Some((refused, existing)) => (Some(refused), existing),
        None => (None, None),
    };
    let r = refused.as_ref();
    let need_codes: Vec<&str> = Need::ALL.iter().map(|n| n.as_str()).collect();
    let latest_return = who
        .talks
        .iter()
        .find(|talk| talk.intention == Intention::Return)
        .map(|talk| talk.id.clone())
        .unwrap_or_default();
    let talks = who
        .talks
        .iter()
        .map(|talk| {
            (
                talk.id.clone(),
                format!(
                    "{} · {}",
                    page::date(&t, talk.held_on),
                    t.code_label("intention", talk.intention.as_str())
                ),
            )
        })
        .collect();
    let household_member_ids = (!who.others.is_empty()).then(|| {
        Field::new(
            "household_member_ids",
            t.t("case-new-members"),
            Kind::Checkboxes,
        )
        .choices(
            who.others
                .iter()
                .map(|m| {
                    (
                        m.id.clone(),
                        format!("{} · {} {}", m.reference, m.given_name, m.family_name),
                    )
                })
                .collect(),
        )
        .from_form(form, r)
    });
    let errors = r
        .map(|r| {
            r.field_errors()
                .iter()
                .map(|e| {
                    let name = e.field.split(['[', '.']).next().unwrap_or_default();
                    (
                        format!("f-{name}"),
                        format!("{}: {}", e.field, crate::web::messages::say(&e.message)),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let status = match r {
        Some(Refused::Fields { .. }) => StatusCode::UNPROCESSABLE_ENTITY,
        Some(Refused::Said { status, .. }) => *status,
        _ => StatusCode::OK,
    };
    let name = format!("{} {}", who.client.given_name, who.client.family_name);
    let mut l = ctx
        .layout(t.t1("case-new-title", "name", &name), "clients")
        .await;
    l.tab = Some(t.t1("case-new-title", "name", &who.client.reference));
    let page = NewCasePage {
        client: format!("{} · {name}", who.client.reference),
        client_link: format!("/clients/{}", who.client.id),
        problem: r.and_then(Refused::detail),
        errors,
        existing,
        destination_country: Field::new("destination_country", t.t("case-new-country"), Kind::Text)
            .required()
            .hint(t.t("case-new-country-hint"))
            .value(who.client.country_of_origin.clone())
            .from_form(form, r),
        destination_region: Field::new("destination_region", t.t("case-new-region"), Kind::Text)
            .hint(t.t("case-new-region-hint"))
            .from_form(form, r),
        needs: Field::new("needs", t.t("case-needs"), Kind::Checkboxes)
            .codes(&t, "case-service", &need_codes)
            .from_form(form, r),
        planned_departure_on: Field::new(
            "planned_departure_on",
            t.t("case-planned-departure"),
            Kind::Date,
        )
        .required()
        .from_form(form, r),
        talk_id: Field::new("talk_id", t.t("case-new-talk"), Kind::Select)
            .hint(t.t("case-new-talk-hint"))
            .choices(talks)
            .value(latest_return)
            .from_form(form, r),
        household_member_ids,
        l,
    };
    page::render(status, &page)
}

pub async fn open_case(
    ctx: Ctx,
    audit: AuditContext,
    id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    let client_id = id.into_inner();
    // Showing the form again is reading the client for it.
    let reread = AuditContext {
        operation: "web.cases.new",
        ..audit.clone()
    };
    let mut json = form.json(FIELDS);
    if let Some(object) = json.as_object_mut() {
        object.insert("client_id".into(), client_id.clone().into());
    }
    let parsed = serde_json::to_vec(&json)
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))
        .and_then(|bytes| crate::http::json::parse_body::<NewReturnCase>(&bytes));
    let input = match parsed {
        Ok(input) => input,
        Err(err) => return again(&ctx, reread, client_id, &form, err).await,
    };
    let opened = ctx
        .state
        .db
        .write(move |conn| commands::open(conn, &audit, &input, Utc::now()).map_err(AppError::from))
        .await;
    match opened {
        Ok(case) => page::see_other(&format!("/return-cases/{}", case.id)),
        Err(err) => again(&ctx, reread, client_id, &form, err).await,
    }
}

/// The form again with what was wrong; an error page for the rest.
async fn again(
    ctx: &Ctx,
    audit: AuditContext,
    client_id: String,
    form: &FormData,
    err: AppError,
) -> HttpResponse {
    let existing = match &err {
        AppError::Problem(problem) => problem
            .extensions
            .get("existing_id")
            .and_then(|v| v.as_str())
            .map(|id| format!("/return-cases/{id}")),
        _ => None,
    };
    match Refused::from(err) {
        Refused::Other(err) => ctx.fail(err).await,
        refused => form_page(ctx, audit, client_id, Some(form), Some((refused, existing))).await,
    }
}
