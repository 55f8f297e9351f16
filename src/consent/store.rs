//! Consents' queries and rows.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::{ConsentMethod, ConsentPurpose, ConsentStatus, DataCategory, NewConsent};
use crate::db::schema::{consents, partners};
use crate::db::{DbConn, DbError};
use crate::domain::{join_list, split_list};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ConsentView {
    pub id: String,
    pub client_id: String,
    pub purpose: ConsentPurpose,
    pub data_categories: Vec<String>,
    pub partner_id: Option<String>,
    pub country: Option<String>,
    pub given_on: NaiveDate,
    pub method: ConsentMethod,
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

/// A `consents` row as read.
#[derive(Queryable, Selectable)]
#[diesel(table_name = consents)]
struct ConsentRow {
    id: String,
    client_id: String,
    purpose: ConsentPurpose,
    data_categories: String,
    partner_id: Option<String>,
    country: Option<String>,
    given_on: NaiveDate,
    method: ConsentMethod,
    language: String,
    valid_until: Option<NaiveDate>,
    recorded_by: String,
    recorded_at: NaiveDateTime,
    withdrawn_at: Option<NaiveDateTime>,
    withdrawn_by: Option<String>,
    withdrawal_reason: Option<String>,
}

/// A `consents` row as written: the categories sorted, once each.
#[derive(Insertable)]
#[diesel(table_name = consents, treat_none_as_default_value = false)]
pub struct NewConsentRow<'a> {
    pub id: &'a str,
    pub client_id: &'a str,
    pub purpose: ConsentPurpose,
    pub data_categories: String,
    pub partner_id: Option<&'a str>,
    pub country: Option<&'a str>,
    pub given_on: NaiveDate,
    pub method: ConsentMethod,
    pub language: &'a str,
    pub valid_until: Option<NaiveDate>,
    pub recorded_by: &'a str,
    pub recorded_at: NaiveDateTime,
    /// Set on withdrawal; none when recorded.
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawn_by: Option<&'a str>,
    pub withdrawal_reason: Option<&'a str>,
}

impl<'a> NewConsentRow<'a> {
    pub fn new(
        id: &'a str,
        client_id: &'a str,
        input: &'a NewConsent,
        recorded_by: &'a str,
        now: NaiveDateTime,
    ) -> Self {
        let mut categories = input.data_categories.clone();
        categories.sort();
        categories.dedup();
        Self {
            id,
            client_id,
            purpose: input.purpose,
            data_categories: join_list(&categories, |c: &DataCategory| c.as_str()),
            partner_id: input.partner_id.as_ref().map(|p| p.as_str()),
            country: input.country.as_ref().map(|c| c.as_str()),
            given_on: input.given_on,
            method: input.method,
            language: input.language.as_str(),
            valid_until: input.valid_until,
            recorded_by,
            recorded_at: now,
            withdrawn_at: None,
            withdrawn_by: None,
            withdrawal_reason: None,
        }
    }
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

/// A partner's status in the directory, if it is there.
pub fn partner_status(conn: &mut DbConn, partner_id: &str) -> Result<Option<String>, DbError> {
    Ok(partners::table
        .find(partner_id)
        .select(partners::status)
        .first(conn)
        .optional()?)
}

pub fn insert(conn: &mut DbConn, row: &NewConsentRow<'_>) -> Result<(), DbError> {
    diesel::insert_into(consents::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut DbConn, id: &str, today: NaiveDate) -> Result<Option<ConsentView>, DbError> {
    Ok(consents::table
        .find(id)
        .select(ConsentRow::as_select())
        .first(conn)
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
        .select(ConsentRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|row| row.view(today))
        .collect())
}

/// Marks a consent withdrawn unless it is already; whether it was.
pub fn mark_withdrawn(
    conn: &mut DbConn,
    id: &str,
    by: &str,
    reason: Option<&str>,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    let changed = diesel::update(
        consents::table
            .find(id)
            .filter(consents::withdrawn_at.is_null()),
    )
    .set((
        consents::withdrawn_at.eq(at),
        consents::withdrawn_by.eq(by),
        consents::withdrawal_reason.eq(reason.map(str::trim)),
    ))
    .execute(conn)?;
    Ok(changed > 0)
}
