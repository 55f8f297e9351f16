//! The partner's capacity answers as stored, and what its directory entry
//! lets it answer for.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{CapacityAnswer, CapacityInput, CapacityItem};
use crate::db::schema::{partner_capacity, partner_service_areas, partner_services};
use crate::db::{DbConn, DbError};
use crate::domain::CountryCode;
use crate::partners::Service;

#[derive(Queryable, Selectable)]
#[diesel(table_name = partner_capacity)]
struct CapacityRow {
    partner_id: String,
    country: String,
    need: String,
    answer: CapacityAnswer,
    waitlist_weeks: Option<i32>,
    updated_at: NaiveDateTime,
}

impl CapacityRow {
    fn item(self) -> Option<(String, CapacityItem)> {
        Some((
            self.partner_id,
            CapacityItem {
                country: CountryCode::parse(&self.country).ok()?,
                need: Service::parse(&self.need)?,
                answer: self.answer,
                waitlist_weeks: self.waitlist_weeks.and_then(|w| u32::try_from(w).ok()),
                updated_at: self.updated_at,
            },
        ))
    }
}

/// The partner's answers, by country and need.
pub fn answers(conn: &mut DbConn, partner_id: &str) -> Result<Vec<CapacityItem>, DbError> {
    let rows: Vec<CapacityRow> = partner_capacity::table
        .filter(partner_capacity::partner_id.eq(partner_id))
        .order((
            partner_capacity::country.asc(),
            partner_capacity::need.asc(),
        ))
        .select(CapacityRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(CapacityRow::item)
        .map(|(_, item)| item)
        .collect())
}

/// The answers of each of `ids` for one country, for the matching.
pub fn answers_in_country(
    conn: &mut DbConn,
    ids: &[&str],
    country: &CountryCode,
) -> Result<HashMap<String, Vec<CapacityItem>>, DbError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<CapacityRow> = partner_capacity::table
        .filter(partner_capacity::partner_id.eq_any(ids))
        .filter(partner_capacity::country.eq(country.as_str()))
        .select(CapacityRow::as_select())
        .load(conn)?;
    let mut by_partner: HashMap<String, Vec<CapacityItem>> = HashMap::new();
    for (partner, item) in rows.into_iter().filter_map(CapacityRow::item) {
        by_partner.entry(partner).or_default().push(item);
    }
    Ok(by_partner)
}

/// Replaces the partner's whole set.
pub fn replace(
    conn: &mut DbConn,
    partner_id: &str,
    input: &CapacityInput,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::delete(partner_capacity::table.filter(partner_capacity::partner_id.eq(partner_id)))
        .execute(conn)?;
    for item in &input.items {
        diesel::insert_into(partner_capacity::table)
            .values((
                partner_capacity::partner_id.eq(partner_id),
                partner_capacity::country.eq(item.country.as_str()),
                partner_capacity::need.eq(item.need.as_str()),
                partner_capacity::answer.eq(item.answer),
                partner_capacity::waitlist_weeks
                    .eq(item.waitlist_weeks.and_then(|w| i32::try_from(w).ok())),
                partner_capacity::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The countries and services of the partner's directory entry.
pub fn served(
    conn: &mut DbConn,
    partner_id: &str,
) -> Result<(Vec<CountryCode>, Vec<Service>), DbError> {
    let countries: Vec<String> = partner_service_areas::table
        .filter(partner_service_areas::partner_id.eq(partner_id))
        .select(partner_service_areas::country)
        .distinct()
        .load(conn)?;
    let services: Vec<String> = partner_services::table
        .filter(partner_services::partner_id.eq(partner_id))
        .select(partner_services::service)
        .load(conn)?;
    let mut countries: Vec<CountryCode> = countries
        .iter()
        .filter_map(|c| CountryCode::parse(c).ok())
        .collect();
    countries.sort();
    let mut services: Vec<Service> = services.iter().filter_map(|s| Service::parse(s)).collect();
    services.sort_by_key(|s| s.as_str());
    Ok((countries, services))
}
