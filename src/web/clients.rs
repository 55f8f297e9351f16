//! Cliënten / Clients: find (mine by default), register (with the
//! duplicate warning), and the client page with identity, household,
//! talks, consents and return cases.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use diesel::prelude::*;

use super::context::Ctx;
use super::form::{As, FormData, Refused, summary};
use super::page::{self, Field, Kind, Layout};
use crate::audit::AuditContext;
use crate::auth::Role;
use crate::clients::store::{ClientFilter, ClientView};
use crate::clients::{NewClient, commands, queries};
use crate::consent::store::ConsentView;
use crate::db::schema::partners;
use crate::domain::{CommandError, Conflict, FieldError, Refusal};
use crate::http::PageRequest;
use crate::talks::store::TalkView;

/// Clients shown per page.
const PER_PAGE: u32 = 25;

pub struct ClientLine {
    pub id: String,
    pub reference: String,
    pub name: String,
    pub born: String,
    pub country: String,
    pub intention: String,
}

fn line(t: &super::i18n::Texts, c: &ClientView) -> ClientLine {
    ClientLine {
        id: c.id.clone(),
        reference: c.reference.clone(),
        name: if c.erased_at.is_some() {
            t.t("client-erased")
        } else {
            format!("{} {}", c.given_name, c.family_name)
        },
        born: page::date(t, c.date_of_birth),
        country: page::country_name(&c.country_of_origin),
        intention: c
            .latest_intention
            .as_deref()
            .map(|i| t.code_label("intention", i))
            .unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "clients/list.html")]
struct ListPage {
    l: Layout,
    q: Field,
    clients: Vec<ClientLine>,
    /// Only my caseload (the default), or everyone's.
    mine: bool,
    searched: bool,
    next_cursor: Option<String>,
    can_register: bool,
    /// Only counsellors have a caseload of clients to show first.
    counsellor: bool,
}

#[derive(serde::Deserialize)]
pub struct ListQuery {
    all: Option<String>,
    cursor: Option<String>,
}

async fn list(
    ctx: &Ctx,
    audit: AuditContext,
    q: String,
    mine: bool,
    cursor: Option<String>,
) -> HttpResponse {
    let staff = match ctx.staff() {
        Ok(staff) => staff.clone(),
        Err(err) => return ctx.fail(err).await,
    };
    // A caseload of clients is a counsellor's; a caseworker holds cases,
    // and finds clients among all of them.
    let counsellor = staff.has_any(&[Role::Counsellor]);
    let mine = mine && counsellor;
    let page_request = match PageRequest::parse(Some(PER_PAGE), cursor.as_deref()) {
        Ok(p) => p,
        Err(err) => return ctx.fail(err.into()).await,
    };
    let filter = ClientFilter {
        q: (!q.is_empty()).then(|| q.clone()),
        country: None,
        counsellor_id: mine.then(|| staff.user_id.clone()),
    };
    let fetch = page_request.clone();
    let rows = crate::audit::read::audited(&ctx.state.db, audit, move |conn, by| {
        queries::search(conn, by, &filter, &fetch, Utc::now())
    })
    .await;
    let rows = match rows {
        Ok(rows) => rows,
        Err(err) => return ctx.fail(err.into()).await,
    };
    let page = crate::http::Page::from_rows(rows, &page_request, |c| c.id.clone());
    let t = ctx.t;
    let l = ctx.layout(t.t("clients-title"), "clients").await;
    let body = ListPage {
        q: Field::new("q", t.t("clients-search"), Kind::Text)
            .value(q.clone())
            .hint(t.t("clients-search-hint")),
        clients: page.items.iter().map(|c| line(&t, c)).collect(),
        mine,
        searched: !q.is_empty(),
        next_cursor: page.next_cursor.clone(),
        can_register: staff.has_any(&[Role::Counsellor, Role::Caseworker]),
        counsellor,
        l,
    };
    page::render(StatusCode::OK, &body)
}

/// `GET /clients`: my caseload, or with `?all=1` everyone's, a page at a time.
pub async fn index(ctx: Ctx, audit: AuditContext, query: web::Query<ListQuery>) -> HttpResponse {
    let query = query.into_inner();
    list(
        &ctx,
        audit,
        String::new(),
        query.all.is_none(),
        query.cursor,
    )
    .await
}

/// `POST /clients`: a search; the term travels in the body, never in a URL
/// or a log line.
pub async fn search(ctx: Ctx, audit: AuditContext, form: FormData) -> HttpResponse {
    let q = form.get("q").to_owned();
    let mine = form.get("scope") != "all";
    let cursor = Some(form.get("cursor").to_owned()).filter(|c| !c.is_empty());
    list(&ctx, audit, q, mine, cursor).await
}

/// A client who may be the same person as the one being registered.
pub struct Possible {
    pub id: String,
    pub reference: String,
    pub name: String,
    pub born: String,
}

#[derive(Template)]
#[template(path = "clients/new.html")]
struct NewPage {
    l: Layout,
    fields: Vec<Field>,
    problem: Option<String>,
    errors: Vec<(String, String)>,
    duplicates: Vec<Possible>,
}

const NEW_FIELDS: &[(&str, As)] = &[
    ("given_name", As::Text),
    ("family_name", As::Text),
    ("date_of_birth", As::Text),
    ("sex", As::Text),
    ("country_of_origin", As::Text),
    ("languages", As::Commas),
    ("v_number", As::Text),
    ("location", As::Text),
    ("confirm_not_duplicate", As::Flag),
];

fn new_fields(
    t: &super::i18n::Texts,
    form: Option<&FormData>,
    refused: Option<&Refused>,
) -> Vec<Field> {
    vec![
        Field::new("given_name", t.t("client-given-name"), Kind::Text).required(),
        Field::new("family_name", t.t("client-family-name"), Kind::Text).required(),
        Field::new("date_of_birth", t.t("client-date-of-birth"), Kind::Date).required(),
        Field::new("sex", t.t("client-sex"), Kind::Select)
            .required()
            .codes(t, "sex", &SEXES)
            .hint(t.t("client-sex-hint")),
        Field::new("country_of_origin", t.t("client-country"), Kind::Text)
            .required()
            .hint(t.t("client-country-hint")),
        Field::new("languages", t.t("client-languages"), Kind::Text)
            .required()
            .hint(t.t("client-languages-hint")),
        Field::new("v_number", t.t("client-v-number"), Kind::Text)
            .hint(t.t("client-v-number-hint")),
        Field::new("location", t.t("client-location"), Kind::Text)
            .hint(t.t("client-location-hint")),
    ]
    .into_iter()
    .map(|f| f.from_form(form, refused))
    .collect()
}

pub async fn new_form(ctx: Ctx) -> HttpResponse {
    new_form_again(&ctx).await
}

async fn new_form_again(ctx: &Ctx) -> HttpResponse {
    let t = ctx.t;
    let l = ctx.layout(t.t("client-new-title"), "clients").await;
    page::render(
        StatusCode::OK,
        &NewPage {
            l,
            fields: new_fields(&t, None, None),
            problem: None,
            errors: Vec::new(),
            duplicates: Vec::new(),
        },
    )
}

/// The sexes a person picks from, in the order shown; none is chosen
/// beforehand.
const SEXES: [&str; 4] = ["female", "male", "other", "unknown"];

/// The form's answers as the API's input. The API takes a client without a
/// sex (as `unknown`, for integrations written before it); the form asks
/// for one, `unknown` being a choice like the others, and says so beside
/// the field with the API's other messages.
fn parse_new(form: &FormData) -> Result<NewClient, Refused> {
    let parsed = form.parse::<NewClient>(NEW_FIELDS);
    if !form.get("sex").is_empty() {
        return parsed;
    }
    let missing = FieldError::new("sex", "is required");
    let errors = match parsed {
        Ok(_) => vec![missing],
        Err(Refused::Fields { mut errors, .. }) => {
            errors.push(missing);
            errors
        }
        Err(other) => return Err(other),
    };
    Err(Refused::from(CommandError::from(Refusal::invalid(errors))))
}

pub async fn create(ctx: Ctx, audit: AuditContext, form: FormData) -> HttpResponse {
    let t = ctx.t;
    let input: NewClient = match parse_new(&form) {
        Ok(input) => input,
        Err(refused) => return new_refused(&ctx, &form, refused, Vec::new()).await,
    };
    let reader = audit.clone();
    let made = ctx
        .state
        .db
        .write(move |conn| commands::register(conn, &audit, &input, Utc::now()))
        .await;
    match made {
        Ok(client) => page::see_other(&format!("/clients/{}?registered=1", client.id)),
        Err(CommandError::Refused(Refusal::Conflict {
            kind: Conflict::PossibleDuplicate,
            extensions,
            ..
        })) => {
            let ids: Vec<String> = extensions
                .get("existing_ids")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default();
            // Showing them is reading them: audited as the API's reads are.
            let found = crate::audit::read::audited(&ctx.state.db, reader, move |conn, by| {
                ids.iter()
                    .map(|id| queries::get(conn, by, id, Utc::now()))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await;
            let possible = match found {
                Ok(found) => found
                    .iter()
                    .map(|c| Possible {
                        id: c.id.clone(),
                        reference: c.reference.clone(),
                        name: format!("{} {}", c.given_name, c.family_name),
                        born: page::date(&t, c.date_of_birth),
                    })
                    .collect(),
                Err(err) => return ctx.fail(err.into()).await,
            };
            let refused = Refused::Said {
                status: StatusCode::CONFLICT,
                detail: t.t("client-duplicate-warning"),
            };
            new_refused(&ctx, &form, refused, possible).await
        }
        Err(err) => new_refused(&ctx, &form, Refused::from(err), Vec::new()).await,
    }
}

async fn new_refused(
    ctx: &Ctx,
    form: &FormData,
    refused: Refused,
    duplicates: Vec<Possible>,
) -> HttpResponse {
    let (status, refused) = match super::form::shown(Some(refused)) {
        Ok((status, Some(refused))) => (status, refused),
        Ok((_, None)) => return new_form_again(ctx).await,
        Err(err) => return ctx.fail(err).await,
    };
    let t = ctx.t;
    let fields = new_fields(&t, Some(form), Some(&refused));
    let errors = summary(&fields, Some(&refused));
    let l = ctx.layout(t.t("client-new-title"), "clients").await;
    page::render(
        status,
        &NewPage {
            l,
            problem: refused.detail(),
            errors,
            fields,
            duplicates,
        },
    )
}

pub struct TalkLine {
    pub id: String,
    pub held_on: String,
    pub mode: String,
    pub intention: String,
    pub topics: String,
    pub version: i32,
}

pub struct ConsentLine {
    pub id: String,
    pub categories: String,
    pub with: String,
    pub given_on: String,
    pub valid_until: String,
    pub status: String,
    pub active: bool,
    /// The partners whose open referrals withdrawal would cancel.
    pub cancels: Vec<String>,
}

pub struct CaseLine {
    pub id: String,
    pub status: String,
    pub destination: String,
    pub planned: String,
}

#[derive(Template)]
#[template(path = "clients/show.html")]
struct ShowPage {
    l: Layout,
    client: ClientView,
    country: String,
    languages: String,
    born: String,
    sex: String,
    intention: String,
    household: Vec<(String, String, String)>,
    talks: Vec<TalkLine>,
    consents: Vec<ConsentLine>,
    cases: Vec<CaseLine>,
    may_talk: bool,
    may_open_case: bool,
    sees_cases: bool,
    registered: bool,
    csrf: String,
}

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    registered: Option<String>,
}

struct ClientFile {
    client: ClientView,
    household: Vec<(String, String, String)>,
    talks: Vec<TalkView>,
    consents: Vec<(ConsentView, Vec<String>)>,
    cases: Vec<crate::cases::store::CaseSummary>,
    partner_names: std::collections::HashMap<String, String>,
}

pub async fn show(
    ctx: Ctx,
    audit: AuditContext,
    id: web::Path<String>,
    query: web::Query<ShowQuery>,
) -> HttpResponse {
    let id = id.into_inner();
    // Return cases are the caseworkers' (as `cases.get` in the API): only
    // they see the list, and each case shown is a read.
    let sees_cases = ctx.staff().is_ok_and(|s| s.has_any(&[Role::Caseworker]));
    let found = crate::audit::read::audited(&ctx.state.db, audit, move |conn, by| {
        let now = Utc::now();
        let client = queries::get(conn, by, &id, now)?;
        let household = match &client.household_id {
            Some(h) => crate::clients::queries::household(conn, by, h, now)?
                .members
                .into_iter()
                .filter(|m| m.id != client.id)
                .map(|m| {
                    (
                        m.id,
                        m.reference,
                        format!("{} {}", m.given_name, m.family_name),
                    )
                })
                .collect(),
            None => Vec::new(),
        };
        let talks = crate::talks::queries::for_client(
            conn,
            by,
            &id,
            &PageRequest::parse(Some(200), None)
                .map_err(|_| CommandError::Internal("page".into()))?,
            now,
        )?;
        let consents = crate::consent::queries::for_client(conn, by, &id, now)?
            .into_iter()
            .map(|c| {
                let open = crate::referrals::store::open_under_consent(conn, &c.id)?
                    .into_iter()
                    .map(|r| r.partner_id)
                    .collect();
                Ok((c, open))
            })
            .collect::<Result<Vec<_>, CommandError>>()?;
        let cases = if sees_cases {
            crate::cases::queries::for_client(conn, by, &id, now)?
        } else {
            Vec::new()
        };
        let partner_names: std::collections::HashMap<String, String> = partners::table
            .select((partners::id, partners::name))
            .load(conn)?
            .into_iter()
            .collect();
        Ok::<_, CommandError>(ClientFile {
            client,
            household,
            talks,
            consents,
            cases,
            partner_names,
        })
    })
    .await;
    let file = match found {
        Ok(file) => file,
        Err(err) => return ctx.fail(err.into()).await,
    };
    let t = ctx.t;
    let staff = match ctx.staff() {
        Ok(staff) => staff.clone(),
        Err(err) => return ctx.fail(err).await,
    };
    let name_of = |id: &str| {
        file.partner_names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    };
    let open_case = file.cases.iter().any(|c| c.status == "open");
    let body = ShowPage {
        country: format!(
            "{} ({})",
            page::country_name(&file.client.country_of_origin),
            file.client.country_of_origin
        ),
        languages: file
            .client
            .languages
            .iter()
            .map(|l| page::language_name(l))
            .collect::<Vec<_>>()
            .join(", "),
        born: page::date(&t, file.client.date_of_birth),
        sex: t.code_label("sex", file.client.sex.as_str()),
        intention: file
            .client
            .latest_intention
            .as_deref()
            .map(|i| t.code_label("intention", i))
            .unwrap_or_else(|| t.t("client-no-intention")),
        household: file.household.clone(),
        talks: file
            .talks
            .iter()
            .map(|talk| TalkLine {
                id: talk.id.clone(),
                held_on: page::date(&t, talk.held_on),
                mode: t.code_label("mode", talk.mode.as_str()),
                intention: t.code_label("intention", talk.intention.as_str()),
                topics: talk
                    .topics
                    .iter()
                    .map(|topic| t.code_label("topic", topic))
                    .collect::<Vec<_>>()
                    .join(", "),
                version: talk.version,
            })
            .collect(),
        consents: file
            .consents
            .iter()
            .map(|(c, open)| ConsentLine {
                id: c.id.clone(),
                categories: c
                    .data_categories
                    .iter()
                    .map(|cat| t.code_label("category", cat))
                    .collect::<Vec<_>>()
                    .join(", "),
                with: match (&c.partner_id, &c.country) {
                    (Some(p), _) => name_of(p),
                    (None, Some(country)) => t.t1(
                        "consent-any-partner-in",
                        "country",
                        super::page::country_name(country),
                    ),
                    _ => String::new(),
                },
                given_on: page::date(&t, c.given_on),
                valid_until: c
                    .valid_until
                    .map(|d| page::date(&t, d))
                    .unwrap_or_else(|| t.t("consent-until-withdrawn")),
                status: t.code_label("consent-status", c.status.as_str()),
                active: c.status != crate::consent::ConsentStatus::Withdrawn,
                cancels: open.iter().map(|p| name_of(p)).collect(),
            })
            .collect(),
        cases: file
            .cases
            .iter()
            .map(|c| CaseLine {
                id: c.id.clone(),
                status: t.code_label("case-status", &c.status),
                destination: page::country_name(&c.destination_country),
                planned: page::date(&t, c.planned_departure_on),
            })
            .collect(),
        may_talk: staff.has_any(&[Role::Counsellor]),
        sees_cases,
        may_open_case: staff.has_any(&[Role::Caseworker])
            && !open_case
            && file.client.latest_intention.as_deref() == Some("return"),
        registered: query.registered.is_some(),
        csrf: ctx.csrf(),
        l: ctx
            .layout(
                format!("{} · {}", file.client.reference, t.t("client-title")),
                "clients",
            )
            .await,
        client: file.client,
    };
    page::render(StatusCode::OK, &body)
}
