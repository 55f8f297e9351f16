//! What sending a referral reads: the partner's terms and where it works.

use diesel::prelude::*;

use crate::db::schema::{partner_service_areas, partners};
use crate::db::{DbConn, DbError};

/// A partner as sending a referral to it needs it: whether it takes new
/// referrals, and its own SLA, where it has one.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = partners)]
pub struct PartnerTerms {
    pub status: String,
    pub sla_acknowledge_working_days: Option<i32>,
    pub sla_decide_working_days: Option<i32>,
}

pub fn partner_terms(conn: &mut DbConn, partner_id: &str) -> Result<Option<PartnerTerms>, DbError> {
    Ok(partners::table
        .find(partner_id)
        .select(PartnerTerms::as_select())
        .first(conn)
        .optional()?)
}

/// Whether the partner works in the country.
pub fn serves(conn: &mut DbConn, partner_id: &str, country: &str) -> Result<bool, DbError> {
    let count: i64 = partner_service_areas::table
        .filter(partner_service_areas::partner_id.eq(partner_id))
        .filter(partner_service_areas::country.eq(country))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}
