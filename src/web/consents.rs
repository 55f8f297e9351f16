//! Toestemming / Consent: record informed consent with each data category
//! in plain words, print the person's receipt, and withdraw.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use diesel::prelude::*;

use super::context::Ctx;
use super::form::{As, FormData, Refused};
use super::i18n::{Lang, Texts};
use super::page::{self, Field, Kind, Layout};
use crate::audit::AuditContext;
use crate::consent::store::ConsentView;
use crate::consent::{ConsentMethod, NewConsent, commands};
use crate::db::schema::partners;
use crate::domain::categories::DataCategory;
use crate::domain::{CommandError, Refusal};
use crate::http::AppError;

const CONSENT_FIELDS: &[(&str, As)] = &[
    ("purpose", As::Text),
    ("data_categories", As::List),
    ("partner_id", As::Text),
    ("country", As::Text),
    ("given_on", As::Text),
    ("method", As::Text),
    ("language", As::Text),
    ("valid_until", As::Text),
];

fn consent_fields(
    t: &Texts,
    partners: Vec<(String, String)>,
    form: Option<&FormData>,
    refused: Option<&Refused>,
) -> Vec<Field> {
    let categories: Vec<&str> = DataCategory::ALL.iter().map(|c| c.as_str()).collect();
    let methods: Vec<&str> = ConsentMethod::ALL.iter().map(|m| m.as_str()).collect();
    let mut category_field = Field::new(
        "data_categories",
        t.t("consent-categories"),
        Kind::Checkboxes,
    )
    .required()
    .hint(t.t("consent-categories-hint"));
    category_field.choices = categories
        .iter()
        .map(|c| page::Choice {
            value: (*c).to_owned(),
            label: format!(
                "{}: {}",
                t.code_label("category", c),
                t.code_label("category-explained", c)
            ),
            selected: false,
        })
        .collect();
    vec![
        category_field,
        Field::new("partner_id", t.t("consent-partner"), Kind::Select)
            .hint(t.t("consent-partner-hint"))
            .choices(partners),
        Field::new("country", t.t("consent-country"), Kind::Text).hint(t.t("consent-country-hint")),
        Field::new("given_on", t.t("consent-given-on"), Kind::Date)
            .required()
            .value(Utc::now().date_naive().to_string()),
        Field::new("method", t.t("consent-method"), Kind::Radios)
            .required()
            .codes(t, "method", &methods),
        Field::new("language", t.t("consent-language"), Kind::Text)
            .required()
            .hint(t.t("consent-language-hint")),
        Field::new("valid_until", t.t("consent-valid-until"), Kind::Date)
            .hint(t.t("consent-valid-until-hint")),
    ]
    .into_iter()
    .map(|f| f.from_form(form, refused))
    .collect()
}

async fn active_partners(ctx: &Ctx) -> Result<Vec<(String, String)>, AppError> {
    ctx.state
        .db
        .read(|conn| {
            partners::table
                .filter(partners::status.ne("inactive"))
                .order(partners::name.asc())
                .select((partners::id, partners::name))
                .load::<(String, String)>(conn)
                .map_err(AppError::from)
        })
        .await
}

async fn render_new(
    ctx: &Ctx,
    client_id: String,
    form: Option<&FormData>,
    refused: Option<Refused>,
) -> HttpResponse {
    let partners = match active_partners(ctx).await {
        Ok(p) => p,
        Err(err) => return ctx.fail(err).await,
    };
    let t = ctx.t;
    let spec = super::context::FormSpec {
        title: t.t("consent-new-title"),
        action: format!("/clients/{client_id}/consents/new"),
        intro: Some(t.t("consent-new-intro")),
        back: Some((format!("/clients/{client_id}"), t.t("back-to-client"))),
        hidden: vec![("purpose".into(), "referral".into())],
        submit: t.t("consent-submit"),
    };
    ctx.form_page(spec, refused, |r| consent_fields(&t, partners, form, r))
        .await
}

pub async fn new_form(ctx: Ctx, client_id: web::Path<String>) -> HttpResponse {
    render_new(&ctx, client_id.into_inner(), None, None).await
}

pub async fn create(
    ctx: Ctx,
    audit: AuditContext,
    client_id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    let client_id = client_id.into_inner();
    let input: NewConsent = match form.parse(CONSENT_FIELDS) {
        Ok(input) => input,
        Err(refused) => return render_new(&ctx, client_id, Some(&form), Some(refused)).await,
    };
    let target = client_id.clone();
    let made = ctx
        .state
        .db
        .write(move |conn| commands::record(conn, &audit, &target, &input, Utc::now()))
        .await;
    match made {
        Ok(consent) => page::see_other(&format!("/consents/{}/receipt?recorded=1", consent.id)),
        Err(err) => render_new(&ctx, client_id, Some(&form), Some(Refused::from(err))).await,
    }
}

/// One language's half of the receipt.
pub struct ReceiptText {
    pub lang: &'static str,
    pub heading: String,
    pub intro: String,
    pub categories: Vec<String>,
    pub with_label: String,
    pub with: String,
    pub until_label: String,
    pub until: String,
    pub withdraw: String,
}

#[derive(Template)]
#[template(path = "consents/receipt.html")]
struct ReceiptPage {
    l: Layout,
    reference: String,
    name: String,
    given_on: String,
    texts: Vec<ReceiptText>,
    recorded: bool,
    client_id: String,
    withdrawn: bool,
}

#[derive(serde::Deserialize)]
pub struct ReceiptQuery {
    recorded: Option<String>,
}

/// `GET /consents/{id}/receipt`: for the person to keep, in Dutch and in
/// English whatever the page's language: what is shared, with whom, until
/// when, and how to withdraw.
pub async fn receipt(
    ctx: Ctx,
    audit: AuditContext,
    id: web::Path<String>,
    query: web::Query<ReceiptQuery>,
) -> HttpResponse {
    let id = id.into_inner();
    let found = crate::audit::read::audited(&ctx.state.db, audit, move |conn, by| {
        let now = Utc::now();
        let consent: ConsentView = crate::consent::store::get(conn, &id, now.date_naive())?
            .ok_or(Refusal::not_found("consent"))?;
        let client = crate::clients::queries::get(conn, by, &consent.client_id, now)?;
        let partner = match &consent.partner_id {
            Some(p) => partners::table
                .find(p)
                .select(partners::name)
                .first::<String>(conn)
                .optional()?,
            None => None,
        };
        Ok::<_, CommandError>((consent, client, partner))
    })
    .await;
    let (consent, client, partner) = match found {
        Ok(found) => found,
        Err(err) => return ctx.fail(err.into()).await,
    };
    let texts = Lang::ALL
        .into_iter()
        .map(|lang| {
            let t = Texts::new(lang);
            ReceiptText {
                lang: lang.code(),
                heading: t.t("receipt-heading"),
                intro: t.t("receipt-intro"),
                categories: consent
                    .data_categories
                    .iter()
                    .map(|c| {
                        format!(
                            "{}: {}",
                            t.code_label("category", c),
                            t.code_label("category-explained", c)
                        )
                    })
                    .collect(),
                with_label: t.t("receipt-with"),
                with: match (&partner, &consent.country) {
                    (Some(name), _) => name.clone(),
                    (None, Some(country)) => t.t1(
                        "consent-any-partner-in",
                        "country",
                        super::page::country_name(country),
                    ),
                    _ => String::new(),
                },
                until_label: t.t("receipt-until"),
                until: consent
                    .valid_until
                    .map(|d| page::date(&t, d))
                    .unwrap_or_else(|| t.t("consent-until-withdrawn")),
                withdraw: t.t("receipt-withdraw"),
            }
        })
        .collect();
    let t = ctx.t;
    let body = ReceiptPage {
        l: ctx.layout(t.t("receipt-title"), "clients").await,
        reference: client.reference.clone(),
        name: format!("{} {}", client.given_name, client.family_name),
        given_on: page::date(&t, consent.given_on),
        texts,
        recorded: query.recorded.is_some(),
        client_id: client.id,
        withdrawn: consent.withdrawn_at.is_some(),
    };
    page::render(StatusCode::OK, &body)
}

/// `POST /consents/{id}/withdraw`: the same command as the API; open
/// referrals under the consent are cancelled and their partners told.
pub async fn withdraw(
    ctx: Ctx,
    audit: AuditContext,
    id: web::Path<String>,
    form: FormData,
) -> HttpResponse {
    let id = id.into_inner();
    let reason = Some(form.get("reason").to_owned()).filter(|r| !r.is_empty());
    let done = ctx
        .state
        .db
        .write(move |conn| {
            crate::referrals::commands::withdraw_consent(
                conn,
                &audit,
                &id,
                reason.as_deref(),
                Utc::now(),
            )
        })
        .await;
    match done {
        Ok(consent) => page::see_other(&format!("/clients/{}#consents", consent.client_id)),
        Err(err) => ctx.fail(err.into()).await,
    }
}
