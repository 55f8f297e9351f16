//! Consents' queries.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::{ConsentStatus, DataCategory, NewConsent};
use crate::clients::store as clients;
use crate::db::schema::{consents, partners};
use crate::db::{DbConn, DbError};
use crate::domain::{join_list, split_list};
use crate::http::{AppError, FieldError, Problem};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsentView {
    pub id: String,
    pub client_id: String,
    pub purpose: String,
    pub data_categories: Vec<String>,
    pub partner_id: Option<String>,
    pub country: Option<String>,
    pub given_on: NaiveDate,
    pub method: String,
    pub language: String,
    pub valid_until: Option<NaiveDate>,
    pub status: ConsentStatus,
    pub recorded_by: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub recorded_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::serialize_option")]
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawn_by: Option<String>,
    pub withdrawal_reason: Option<String>,
}

#[derive(Queryable)]
struct ConsentRow {
    id: String,
    client_id: String,
    purpose: String,
    data_categories: String,
    partner_id: Option<String>,
    country: Option<String>,
    given_on: NaiveDate,
    method: String,
    language: String,
    valid_until: Option<NaiveDate>,
    recorded_by: String,
    recorded_at: NaiveDateTime,
    withdrawn_at: Option<NaiveDateTime>,
    withdrawn_by: Option<String>,
    withdrawal_reason: Option<String>,
}

impl ConsentRow {
    fn view(self, today: NaiveDate) -> ConsentView {
        ConsentView {
            status: ConsentStatus::of(self.withdrawn_at.is_some(), self.valid_until, today),
            data_categories: split_list(&self.data_categories, |s| Some(s.to_owned())),
            id: self.id,
            client_id: self.client_id,
            purpose: self.purpose,
            partner_id: self.partner_id,
            country: self.country,
            given_on: self.given_on,
            method: self.method,
            language: self.language,
            valid_until: self.valid_until,
            recorded_by: self.recorded_by,
            recorded_at: self.recorded_at,
            withdrawn_at: self.withdrawn_at,
            withdrawn_by: self.withdrawn_by,
            withdrawal_reason: self.withdrawal_reason,
        }
    }
}

pub fn record(
    conn: &mut DbConn,
    client_id: &str,
    recorded_by: &str,
    consent: &NewConsent,
    now: DateTime<Utc>,
) -> Result<ConsentView, AppError> {
    if !clients::exists(conn, client_id)? {
        return Err(AppError::not_found("client"));
    }
    if let Some(partner) = &consent.partner_id {
        let status: Option<String> = partners::table
            .find(partner.as_str())
            .select(partners::status)
            .first(conn)
            .optional()?;
        if status.is_none_or(|s| s == "inactive") {
            return Err(AppError::validation(vec![FieldError::new(
                "partner_id",
                "is not a partner in the directory",
            )]));
        }
    }
    let id = uuid::Uuid::now_v7().to_string();
    let mut categories = consent.data_categories.clone();
    categories.sort();
    categories.dedup();
    diesel::insert_into(consents::table)
        .values((
            consents::id.eq(&id),
            consents::client_id.eq(client_id),
            consents::purpose.eq(consent.purpose.as_str()),
            consents::data_categories.eq(join_list(&categories, |c: &DataCategory| c.as_str())),
            consents::partner_id.eq(consent.partner_id.as_ref().map(|p| p.as_str())),
            consents::country.eq(consent.country.as_ref().map(|c| c.as_str())),
            consents::given_on.eq(consent.given_on),
            consents::method.eq(consent.method.as_str()),
            consents::language.eq(consent.language.as_str()),
            consents::valid_until.eq(consent.valid_until),
            consents::recorded_by.eq(recorded_by),
            consents::recorded_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    get(conn, &id, now.date_naive())?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("consent {id} vanished")))
}

pub fn get(conn: &mut DbConn, id: &str, today: NaiveDate) -> Result<Option<ConsentView>, DbError> {
    Ok(consents::table
        .find(id)
        .first::<ConsentRow>(conn)
        .optional()?
        .map(|row| row.view(today)))
}

/// A client's consents, newest first.
pub fn for_client(
    conn: &mut DbConn,
    client_id: &str,
    today: NaiveDate,
) -> Result<Vec<ConsentView>, DbError> {
    Ok(consents::table
        .filter(consents::client_id.eq(client_id))
        .order((consents::recorded_at.desc(), consents::id.desc()))
        .load::<ConsentRow>(conn)?
        .into_iter()
        .map(|row| row.view(today))
        .collect())
}

/// Withdraws a consent at once; a withdrawn one cannot be withdrawn again (409).
pub fn withdraw(
    conn: &mut DbConn,
    id: &str,
    by: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ConsentView, AppError> {
    let current = get(conn, id, now.date_naive())?.ok_or_else(|| AppError::not_found("consent"))?;
    if !current.status.allowed_transitions().contains(&"withdraw") {
        return Err(Problem::new(
            actix_web::http::StatusCode::CONFLICT,
            "transition-not-allowed",
            "Conflict",
            format!(
                "This consent is {:?} already; it cannot be withdrawn again.",
                current.status
            )
            .to_lowercase(),
        )
        .with_extension("current_status", serde_json::json!(current.status))
        .with_extension(
            "allowed_transitions",
            serde_json::json!(current.status.allowed_transitions()),
        )
        .into());
    }
    let changed = diesel::update(
        consents::table
            .find(id)
            .filter(consents::withdrawn_at.is_null()),
    )
    .set((
        consents::withdrawn_at.eq(now.naive_utc()),
        consents::withdrawn_by.eq(by),
        consents::withdrawal_reason.eq(reason.map(str::trim)),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(Problem::new(
            actix_web::http::StatusCode::CONFLICT,
            "transition-not-allowed",
            "Conflict",
            "This consent was withdrawn meanwhile.",
        )
        .with_extension("allowed_transitions", serde_json::json!([]))
        .into());
    }
    get(conn, id, now.date_naive())?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("consent {id} vanished")))
}
