//! Audited reads of return cases that need no referral: the partners that
//! match a case.

use chrono::{DateTime, Utc};

use super::store;
use crate::audit::AuditContext;
use crate::clients::store as clients;
use crate::db::DbConn;
use crate::domain::{CommandError, CountryCode, LanguageCode, Outcome, Refusal, RegionCode};
use crate::partners::directory::{self, Directory};
use crate::partners::matching::{self, MatchRequest, PartnerMatch};

/// A client's return cases, newest first, each a read.
pub fn for_client(
    conn: &mut DbConn,
    by: &AuditContext,
    client_id: &str,
    now: DateTime<Utc>,
) -> Outcome<Vec<store::CaseSummary>> {
    let cases = store::for_client(conn, client_id)?;
    for case in &cases {
        by.record(conn, "return_case", &case.id, now)?;
    }
    Ok(cases)
}

/// The partners that could take the case, best first.
pub fn partner_matches(
    conn: &mut DbConn,
    by: &AuditContext,
    directory: &Directory,
    id: &str,
    now: DateTime<Utc>,
) -> Outcome<Vec<PartnerMatch>> {
    let case = store::row(conn, id)?.ok_or(Refusal::not_found("return case"))?;
    let country = CountryCode::parse(&case.destination_country).map_err(CommandError::Internal)?;
    let languages = clients::get(conn, &case.client_id)?
        .map(|c| {
            c.languages
                .iter()
                .filter_map(|l| LanguageCode::parse(l).ok())
                .collect()
        })
        .unwrap_or_default();
    let profiles = directory::profiles_for_country(conn, directory, &country)?;
    let request = MatchRequest {
        country,
        region: case
            .destination_region
            .as_deref()
            .and_then(|r| RegionCode::parse(r).ok()),
        needs: case.needs().into_iter().map(|n| n.as_service()).collect(),
        languages,
    };
    by.record(conn, "return_case", &case.id, now)?;
    Ok(matching::rank(&profiles, &request))
}
