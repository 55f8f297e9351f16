//! The partner directory in the staff UI: the list with filters (country,
//! service, language) as a form that works without JavaScript, and one
//! partner's page; from the same queries as `GET /api/v1/partners`.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::context::Ctx;
use super::form::Refused;
use super::i18n::Texts;
use super::page::{self, Field, Kind, Layout};
use crate::domain::page::{Page, PageRequest};
use crate::domain::{CountryCode, FieldError, LanguageCode};
use crate::http::AppError;
use crate::partners::directory;
use crate::partners::store::{PartnerDetail, PartnerFilter, PartnerSummary};
use crate::partners::{PartnerStatus, Service};

/// Partners on one page of the list.
const PAGE_SIZE: u32 = 50;

pub struct Row {
    pub id: String,
    pub name: String,
    pub countries: String,
    pub services: String,
    pub languages: String,
    pub places: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "partners/list.html")]
struct ListPage {
    l: Layout,
    country: Field,
    need: Field,
    language: Field,
    filtered: bool,
    problem: Option<String>,
    rows: Vec<Row>,
    next: Option<String>,
}

use super::page::{country_name, language_name};

fn services(t: &Texts, codes: &[String]) -> String {
    codes
        .iter()
        .map(|s| t.code_label("case-service", s))
        .collect::<Vec<_>>()
        .join(", ")
}

fn row(t: &Texts, p: PartnerSummary) -> Row {
    Row {
        countries: p
            .countries
            .iter()
            .map(|c| country_name(c))
            .collect::<Vec<_>>()
            .join(", "),
        services: services(t, &p.services),
        languages: p
            .languages
            .iter()
            .map(|l| language_name(l))
            .collect::<Vec<_>>()
            .join(", "),
        places: t.with(
            "partners-places",
            &[
                ("open", p.open_referrals.to_string()),
                ("capacity", p.capacity.to_string()),
            ],
        ),
        status: t.code_label("partners-status", &p.status),
        id: p.id,
        name: p.name,
    }
}

/// The query's values, by name.
struct Asked(Vec<(String, String)>);

impl Asked {
    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.trim())
    }
}

/// `GET /partners?country=GH&need=housing&language=tw`.
pub async fn list(ctx: Ctx, req: HttpRequest) -> HttpResponse {
    let query: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let asked = Asked(query);
    let mut errors = Vec::new();
    let country = match asked.get("country") {
        "" => None,
        code => CountryCode::parse(&code.to_uppercase())
            .map_err(|e| errors.push(FieldError::new("country", e)))
            .ok(),
    };
    let need = match asked.get("need") {
        "" => None,
        code => {
            let found = Service::parse(code);
            if found.is_none() {
                errors.push(FieldError::new(
                    "need",
                    format!("must be one of: {}", Service::list()),
                ));
            }
            found
        }
    };
    let language = match asked.get("language") {
        "" => None,
        code => LanguageCode::parse(&code.to_lowercase())
            .map_err(|e| errors.push(FieldError::new("language", e)))
            .ok(),
    };
    let cursor = Some(asked.get("cursor")).filter(|c| !c.is_empty());
    let request = PageRequest::parse(Some(PAGE_SIZE), cursor).unwrap_or(PageRequest {
        limit: PAGE_SIZE,
        after: None,
    });
    let filter = PartnerFilter {
        country,
        need,
        language,
        status: None,
    };
    let valid = errors.is_empty();
    let directory = ctx.state.directory.clone();
    let fetch = request.clone();
    let read = ctx
        .state
        .db
        .read(move |conn| {
            let everyone = PageRequest {
                limit: crate::domain::page::MAX_LIMIT,
                after: None,
            };
            let all = directory::list(conn, &directory, &PartnerFilter::default(), &everyone)?;
            let shown = if valid {
                directory::list(conn, &directory, &filter, &fetch)?
            } else {
                Vec::new()
            };
            Ok::<_, AppError>((all, shown))
        })
        .await;
    let (all, shown) = match read {
        Ok(read) => read,
        Err(err) => return ctx.fail(err).await,
    };
    let t = ctx.t;
    let mut countries = BTreeMap::new();
    let mut languages = BTreeMap::new();
    for p in &all {
        for c in &p.countries {
            countries.insert(format!("{} ({c})", country_name(c)), c.clone());
        }
        for code in &p.languages {
            languages.insert(format!("{} ({code})", language_name(code)), code.clone());
        }
    }
    let flip =
        |m: BTreeMap<String, String>| m.into_iter().map(|(label, code)| (code, label)).collect();
    let refused = (!valid).then(|| Refused::Fields {
        detail: String::new(),
        errors,
    });
    let service_codes: Vec<&str> = Service::ALL.iter().map(|s| s.as_str()).collect();
    let page = Page::from_rows(shown, &request, |p| p.id.clone());
    let next = page.next_cursor.map(|cursor| {
        let mut pairs: Vec<(&str, &str)> = ["country", "need", "language"]
            .into_iter()
            .map(|k| (k, asked.get(k)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        pairs.push(("cursor", &cursor));
        format!(
            "/partners?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    });
    let l = ctx.layout(t.t("partners-title"), "partners").await;
    let page = ListPage {
        country: Field::new("country", t.t("partners-filter-country"), Kind::Select)
            .choices(flip(countries))
            .value(asked.get("country").to_uppercase())
            .from_form(None, refused.as_ref()),
        need: Field::new("need", t.t("partners-filter-need"), Kind::Select)
            .codes(&t, "case-service", &service_codes)
            .value(asked.get("need"))
            .from_form(None, refused.as_ref()),
        language: Field::new("language", t.t("partners-filter-language"), Kind::Select)
            .choices(flip(languages))
            .value(asked.get("language").to_lowercase())
            .from_form(None, refused.as_ref()),
        filtered: ["country", "need", "language"]
            .iter()
            .any(|k| !asked.get(k).is_empty()),
        problem: (!valid).then(|| t.t("partners-filter-problem")),
        rows: page.items.into_iter().map(|p| row(&t, p)).collect(),
        next,
        l,
    };
    let status = if valid {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page::render(status, &page)
}

#[derive(Template)]
#[template(path = "partners/show.html")]
struct PartnerPage {
    l: Layout,
    description: String,
    facts: Vec<(String, String)>,
    website: Option<String>,
    email: String,
    areas: Vec<(String, String)>,
    contacts: Vec<crate::partners::Contact>,
}

fn partner_page(
    t: &Texts,
    l: Layout,
    p: PartnerDetail,
    sla: &crate::config::SlaSettings,
) -> PartnerPage {
    let days = |own: Option<u32>, default: u32| match own {
        Some(n) => t.count("partners-working-days", n as usize),
        None => t.t1(
            "partners-sla-default",
            "days",
            t.count("partners-working-days", default as usize),
        ),
    };
    let active = PartnerStatus::parse(&p.summary.status) == Some(PartnerStatus::Active);
    let mut facts = vec![(
        t.t("partners-status"),
        t.code_label("partners-status", &p.summary.status),
    )];
    if !active {
        facts.push((t.t("partners-referrals"), t.t("partners-no-referrals")));
    }
    facts.extend([
        (t.t("partners-services"), services(t, &p.summary.services)),
        (
            t.t("partners-languages"),
            p.summary
                .languages
                .iter()
                .map(|l| format!("{} ({l})", language_name(l)))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            t.t("partners-capacity"),
            t.with(
                "partners-places",
                &[
                    ("open", p.summary.open_referrals.to_string()),
                    ("capacity", p.summary.capacity.to_string()),
                ],
            ),
        ),
        (
            t.t("partners-sla-acknowledge"),
            days(p.sla.acknowledge_working_days, sla.acknowledge_working_days),
        ),
        (
            t.t("partners-sla-decide"),
            days(p.sla.decide_working_days, sla.decide_working_days),
        ),
        (
            t.t("partners-updated"),
            super::cases::moment(t, p.updated_at),
        ),
    ]);
    let areas = p
        .service_areas
        .iter()
        .map(|a| {
            let regions = if a.regions.is_empty() {
                t.t("partners-whole-country")
            } else {
                a.regions
                    .iter()
                    .map(|r| r.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            (format!("{} ({})", a.country.name(), a.country), regions)
        })
        .collect();
    PartnerPage {
        description: p.description,
        facts,
        website: p.website,
        email: p.email,
        areas,
        contacts: p.contacts,
        l,
    }
}

/// `GET /partners/{id}`.
pub async fn show(ctx: Ctx, id: web::Path<String>) -> HttpResponse {
    let id = id.into_inner();
    let directory = ctx.state.directory.clone();
    let found = ctx
        .state
        .db
        .read(move |conn| directory::get(conn, &directory, &id).map_err(AppError::from))
        .await;
    let partner = match found {
        Ok(Some(partner)) => partner,
        Ok(None) => return ctx.fail(AppError::not_found("partner")).await,
        Err(err) => return ctx.fail(err).await,
    };
    let t = ctx.t;
    let l = ctx.layout(partner.summary.name.clone(), "partners").await;
    let page = partner_page(&t, l, partner, &ctx.state.settings.sla);
    page::render(StatusCode::OK, &page)
}
