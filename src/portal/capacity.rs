//! The partner's capacity answer in the portal (as `PUT /partner/v1/capacity`):
//! per country it serves and service it offers, can it take new referrals
//! now: yes, no, or a waitlist of some weeks. Matching shows it to the
//! caseworker and ranks by it.

use actix_web::HttpResponse;
use chrono::Utc;
use serde_json::{Value, json};

use super::context::Portal;
use crate::audit::AuditContext;
use crate::http::AppError;
use crate::partners::capacity::{CapacityInput, CapacityItem, commands, store};
use crate::web::form::{FormData, Refused};
use crate::web::i18n::Texts;
use crate::web::page;

/// One country and service of the partner, with its answer.
pub struct Row {
    pub key: String,
    pub label: String,
    pub answer: String,
    pub weeks: String,
    pub error: Option<String>,
}

/// Every country the partner serves and service it offers, with the answer
/// stated (or typed, when a form was refused).
pub fn rows(
    t: &Texts,
    served: &(
        Vec<crate::domain::CountryCode>,
        Vec<crate::partners::Service>,
    ),
    answers: &[CapacityItem],
    posted: Option<(&FormData, &Refused)>,
) -> Vec<Row> {
    let (countries, services) = served;
    let mut rows = Vec::new();
    for country in countries {
        for service in services {
            let key = format!("{}.{}", country.as_str(), service.as_str());
            let stated = answers
                .iter()
                .find(|a| a.country == *country && a.need == *service);
            let (answer, weeks) = match posted {
                Some((form, _)) => (
                    form.get(&format!("capacity.{key}")).to_owned(),
                    form.get(&format!("weeks.{key}")).to_owned(),
                ),
                None => (
                    stated
                        .map(|a| a.answer.as_str().to_owned())
                        .unwrap_or_default(),
                    stated
                        .and_then(|a| a.waitlist_weeks)
                        .map(|w| w.to_string())
                        .unwrap_or_default(),
                ),
            };
            rows.push(Row {
                label: format!(
                    "{} · {}",
                    page::country_name(country.as_str()),
                    t.code_label("portal-service", service.as_str())
                ),
                error: posted
                    .and_then(|(_, refused)| refused.error_for(&format!("capacity.{key}"))),
                key,
                answer,
                weeks,
            });
        }
    }
    rows
}

/// The partner's countries and services, and its answers (its own settings,
/// no personal data).
pub async fn load(
    portal: &Portal,
    partner: String,
) -> Result<
    (
        (
            Vec<crate::domain::CountryCode>,
            Vec<crate::partners::Service>,
        ),
        Vec<CapacityItem>,
    ),
    AppError,
> {
    portal
        .state
        .db
        .read(move |conn| {
            let served = store::served(conn, &partner)?;
            let answers = store::answers(conn, &partner)?;
            Ok::<_, crate::db::DbError>((served, answers))
        })
        .await
        .map_err(AppError::from)
}

pub async fn set(portal: Portal, audit: AuditContext, form: FormData) -> HttpResponse {
    let partner = match portal.partner_id() {
        Ok(partner) => partner,
        Err(err) => return portal.fail(err),
    };
    let (served, _) = match load(&portal, partner.clone()).await {
        Ok(loaded) => loaded,
        Err(err) => return portal.fail(err),
    };
    // The rows answered, in order, and which row each item came from.
    let mut items = Vec::new();
    let mut keys = Vec::new();
    for country in &served.0 {
        for service in &served.1 {
            let key = format!("{}.{}", country.as_str(), service.as_str());
            let answer = form.get(&format!("capacity.{key}"));
            if answer.is_empty() {
                continue;
            }
            let weeks = form.get(&format!("weeks.{key}"));
            let mut item =
                json!({"country": country.as_str(), "need": service.as_str(), "answer": answer});
            if !weeks.is_empty() {
                item["waitlist_weeks"] = weeks
                    .parse::<u32>()
                    .map(Value::from)
                    .unwrap_or(Value::from(weeks));
            }
            items.push(item);
            keys.push(key);
        }
    }
    let rename = |refused: Refused| match refused {
        Refused::Fields { detail, errors } => Refused::Fields {
            detail,
            errors: errors
                .into_iter()
                .map(|e| {
                    let row = e
                        .field
                        .strip_prefix("items[")
                        .and_then(|rest| rest.split(']').next())
                        .and_then(|i| i.parse::<usize>().ok())
                        .and_then(|i| keys.get(i));
                    match row {
                        Some(key) => {
                            crate::domain::FieldError::new(format!("capacity.{key}"), e.message)
                        }
                        None => e,
                    }
                })
                .collect(),
        },
        other => other,
    };
    let bytes = match serde_json::to_vec(&json!({ "items": items })) {
        Ok(bytes) => bytes,
        Err(e) => return portal.fail(AppError::Internal(anyhow::anyhow!(e))),
    };
    let input = match crate::http::json::parse_body::<CapacityInput>(&bytes) {
        Ok(input) => input,
        Err(err) => {
            return super::settings::refused_page(&portal, &form, rename(Refused::from(err))).await;
        }
    };
    let now = Utc::now();
    let set = portal
        .state
        .db
        .write(move |conn| commands::set(conn, &audit, &partner, &input, now))
        .await;
    match set {
        Ok(_) => page::see_other("/portal/settings?done=capacity#capacity"),
        Err(err) => {
            let refused = rename(Refused::from(AppError::from(err)));
            super::settings::refused_page(&portal, &form, refused).await
        }
    }
}
