//! The partner directory's queries: the sync from files, and the reads the
//! API and the matching need.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{Contact, PartnerRecord, PartnerStatus, Service, ServiceArea};
use crate::db::schema::{
    directory_version, partner_contacts, partner_languages, partner_service_areas,
    partner_services, partners, referrals,
};
use crate::db::{DbConn, DbError};
use crate::domain::{CountryCode, LanguageCode, RegionCode};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub deactivated: Vec<String>,
    pub unchanged: usize,
}

impl std::fmt::Display for SyncReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} added, {} updated, {} marked inactive, {} unchanged",
            self.added.len(),
            self.updated.len(),
            self.deactivated.len(),
            self.unchanged
        )
    }
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = partners)]
struct PartnerRow<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    website: Option<&'a str>,
    email: &'a str,
    capacity: i32,
    status: &'a str,
    sla_acknowledge_working_days: Option<i32>,
    sla_decide_working_days: Option<i32>,
    source_digest: &'a str,
    updated_at: NaiveDateTime,
    webhook_url: Option<&'a str>,
}

fn to_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Brings the database in line with the directory, inside the caller's
/// transaction: new partners are added, changed ones rewritten, and those no
/// longer in the directory marked inactive (never deleted).
pub fn sync(
    conn: &mut DbConn,
    records: &[PartnerRecord],
    now: NaiveDateTime,
) -> Result<SyncReport, DbError> {
    let existing: HashMap<String, (String, String)> = partners::table
        .select((partners::id, partners::source_digest, partners::status))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(id, digest, status)| (id, (digest, status)))
        .collect();
    let mut report = SyncReport::default();
    let mut in_directory = HashSet::new();
    for record in records {
        in_directory.insert(record.id.as_str());
        let digest = record.digest();
        let row = PartnerRow {
            id: record.id.as_str(),
            name: &record.name,
            description: &record.description,
            website: record.website.as_deref(),
            email: &record.email,
            capacity: to_i32(record.capacity),
            status: record.status.as_str(),
            sla_acknowledge_working_days: record.sla.acknowledge_working_days.map(to_i32),
            sla_decide_working_days: record.sla.decide_working_days.map(to_i32),
            source_digest: &digest,
            updated_at: now,
            webhook_url: record.webhook_url.as_deref(),
        };
        match existing.get(record.id.as_str()) {
            None => {
                diesel::insert_into(partners::table)
                    .values((&row, partners::created_at.eq(now)))
                    .execute(conn)?;
                insert_children(conn, record)?;
                report.added.push(record.id.to_string());
            }
            Some((old_digest, old_status))
                if *old_digest != digest || old_status != record.status.as_str() =>
            {
                diesel::update(partners::table.find(record.id.as_str()))
                    .set(&row)
                    .execute(conn)?;
                delete_children(conn, record.id.as_str())?;
                insert_children(conn, record)?;
                report.updated.push(record.id.to_string());
            }
            Some(_) => report.unchanged += 1,
        }
        // A URL the directory fixes wins over the one the webhook has.
        if let Some(preset) = &record.webhook_url {
            crate::webhooks::store::follow_preset(conn, record.id.as_str(), preset, now)?;
        }
    }
    let mut gone: Vec<&String> = existing
        .iter()
        .filter(|(id, (_, status))| {
            !in_directory.contains(id.as_str()) && status != PartnerStatus::Inactive.as_str()
        })
        .map(|(id, _)| id)
        .collect();
    gone.sort();
    for id in gone {
        diesel::update(partners::table.find(id))
            .set((
                partners::status.eq(PartnerStatus::Inactive.as_str()),
                partners::updated_at.eq(now),
            ))
            .execute(conn)?;
        report.deactivated.push(id.clone());
    }
    if !(report.added.is_empty() && report.updated.is_empty() && report.deactivated.is_empty()) {
        bump_version(conn)?;
    }
    Ok(report)
}

fn delete_children(conn: &mut DbConn, id: &str) -> Result<(), DbError> {
    diesel::delete(partner_services::table.filter(partner_services::partner_id.eq(id)))
        .execute(conn)?;
    diesel::delete(partner_service_areas::table.filter(partner_service_areas::partner_id.eq(id)))
        .execute(conn)?;
    diesel::delete(partner_languages::table.filter(partner_languages::partner_id.eq(id)))
        .execute(conn)?;
    diesel::delete(partner_contacts::table.filter(partner_contacts::partner_id.eq(id)))
        .execute(conn)?;
    Ok(())
}

fn insert_children(conn: &mut DbConn, record: &PartnerRecord) -> Result<(), DbError> {
    let id = record.id.as_str();
    for service in &record.services {
        diesel::insert_into(partner_services::table)
            .values((
                partner_services::partner_id.eq(id),
                partner_services::service.eq(service.as_str()),
            ))
            .execute(conn)?;
    }
    for area in &record.service_areas {
        let regions: Vec<&str> = if area.regions.is_empty() {
            vec![""]
        } else {
            area.regions.iter().map(RegionCode::as_str).collect()
        };
        for region in regions {
            diesel::insert_into(partner_service_areas::table)
                .values((
                    partner_service_areas::partner_id.eq(id),
                    partner_service_areas::country.eq(area.country.as_str()),
                    partner_service_areas::region.eq(region),
                ))
                .execute(conn)?;
        }
    }
    for language in &record.languages {
        diesel::insert_into(partner_languages::table)
            .values((
                partner_languages::partner_id.eq(id),
                partner_languages::language.eq(language.as_str()),
            ))
            .execute(conn)?;
    }
    for (position, contact) in record.contacts.iter().enumerate() {
        diesel::insert_into(partner_contacts::table)
            .values((
                partner_contacts::partner_id.eq(id),
                partner_contacts::position.eq(i32::try_from(position).unwrap_or(i32::MAX)),
                partner_contacts::name.eq(&contact.name),
                partner_contacts::role.eq(&contact.role),
                partner_contacts::email.eq(contact.email.as_deref()),
                partner_contacts::phone.eq(contact.phone.as_deref()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Filters of the partner list; all optional, all must hold.
#[derive(Debug, Default, Clone)]
pub struct PartnerFilter {
    pub country: Option<CountryCode>,
    pub need: Option<Service>,
    pub language: Option<LanguageCode>,
    pub status: Option<PartnerStatus>,
}

/// A partner as the directory lists it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PartnerSummary {
    pub id: String,
    pub name: String,
    pub countries: Vec<String>,
    pub regions: Vec<String>,
    pub services: Vec<String>,
    pub languages: Vec<String>,
    pub capacity: u32,
    /// Referrals this partner holds open now (requested to in progress).
    pub open_referrals: u32,
    pub status: String,
}

/// One partner with everything the directory knows of it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PartnerDetail {
    #[serde(flatten)]
    pub summary: PartnerSummary,
    pub description: String,
    pub website: Option<String>,
    pub email: String,
    pub service_areas: Vec<ServiceArea>,
    pub contacts: Vec<Contact>,
    /// The partner's own response times where it has them; `null` means the
    /// programme's defaults apply.
    pub sla: SlaView,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SlaView {
    pub acknowledge_working_days: Option<u32>,
    pub decide_working_days: Option<u32>,
}

/// A partner as stored, without its child rows.
#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = partners)]
pub(super) struct StoredPartner {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) description: String,
    pub(super) website: Option<String>,
    pub(super) email: String,
    pub(super) capacity: i32,
    pub(super) status: PartnerStatus,
    pub(super) sla_acknowledge_working_days: Option<i32>,
    pub(super) sla_decide_working_days: Option<i32>,
    pub(super) updated_at: NaiveDateTime,
}

/// One of a partner's contacts, as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = partner_contacts)]
struct StoredContact {
    partner_id: String,
    name: String,
    role: String,
    email: Option<String>,
    phone: Option<String>,
}

/// The child rows of the partners, grouped by partner id.
#[derive(Default)]
pub(super) struct Children {
    pub(super) services: BTreeMap<String, Vec<String>>,
    pub(super) areas: BTreeMap<String, Vec<(String, String)>>,
    pub(super) languages: BTreeMap<String, Vec<String>>,
    pub(super) contacts: BTreeMap<String, Vec<Contact>>,
}

/// Every partner as stored, in id order, with its child rows: what the
/// in-memory directory holds ([`super::directory`]).
pub(super) fn load_all(conn: &mut DbConn) -> Result<(Vec<StoredPartner>, Children), DbError> {
    let rows: Vec<StoredPartner> = partners::table
        .select(StoredPartner::as_select())
        .order(partners::id.asc())
        .load(conn)?;
    let mut children = Children::default();
    let services: Vec<(String, String)> = partner_services::table
        .select((partner_services::partner_id, partner_services::service))
        .load(conn)?;
    for (id, service) in services {
        children.services.entry(id).or_default().push(service);
    }
    let areas: Vec<(String, String, String)> = partner_service_areas::table
        .select((
            partner_service_areas::partner_id,
            partner_service_areas::country,
            partner_service_areas::region,
        ))
        .load(conn)?;
    for (id, country, region) in areas {
        children
            .areas
            .entry(id)
            .or_default()
            .push((country, region));
    }
    let languages: Vec<(String, String)> = partner_languages::table
        .select((partner_languages::partner_id, partner_languages::language))
        .load(conn)?;
    for (id, language) in languages {
        children.languages.entry(id).or_default().push(language);
    }
    let contacts: Vec<StoredContact> = partner_contacts::table
        .order((
            partner_contacts::partner_id,
            partner_contacts::position.asc(),
        ))
        .select(StoredContact::as_select())
        .load(conn)?;
    for c in contacts {
        children
            .contacts
            .entry(c.partner_id)
            .or_default()
            .push(Contact {
                name: c.name,
                role: c.role,
                email: c.email,
                phone: c.phone,
            });
    }
    Ok((rows, children))
}

/// The directory's version: raised by every sync that changes something,
/// so that every instance knows to reload its copy.
pub(super) fn version(conn: &mut DbConn) -> Result<i64, DbError> {
    Ok(directory_version::table
        .select(directory_version::version)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

fn bump_version(conn: &mut DbConn) -> Result<(), DbError> {
    diesel::update(directory_version::table)
        .set(directory_version::version.eq(directory_version::version + 1))
        .execute(conn)?;
    Ok(())
}

/// The statuses of a referral still running, which holds a place of the
/// partner's capacity (`ReferralStatus::is_open` in `referrals`, which sits
/// above this area; a test holds the two lists equal).
const OPEN_REFERRAL_STATUSES: [&str; 5] = [
    "requested",
    "received",
    "accepted",
    "on_hold",
    "in_progress",
];

/// Per partner of `ids`, the referrals it holds open now: counted at each
/// read, as referrals move all day while the directory stands still.
pub(super) fn open_referrals(
    conn: &mut DbConn,
    ids: &[&str],
) -> Result<HashMap<String, u32>, DbError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, i64)> = referrals::table
        .filter(referrals::status.eq_any(OPEN_REFERRAL_STATUSES))
        .filter(referrals::partner_id.eq_any(ids))
        .group_by(referrals::partner_id)
        .select((referrals::partner_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(partner, n)| (partner, u32::try_from(n).unwrap_or(u32::MAX)))
        .collect())
}

pub(super) fn summary(row: &StoredPartner, children: &Children, open: u32) -> PartnerSummary {
    let areas = children.areas.get(&row.id).cloned().unwrap_or_default();
    let mut countries: Vec<String> = areas.iter().map(|(c, _)| c.clone()).collect();
    countries.sort();
    countries.dedup();
    let mut regions: Vec<String> = areas
        .iter()
        .filter(|(_, r)| !r.is_empty())
        .map(|(_, r)| r.clone())
        .collect();
    regions.sort();
    let mut services = children.services.get(&row.id).cloned().unwrap_or_default();
    services.sort_by_key(|s| Service::parse(s));
    let mut languages = children.languages.get(&row.id).cloned().unwrap_or_default();
    languages.sort();
    PartnerSummary {
        id: row.id.clone(),
        name: row.name.clone(),
        countries,
        regions,
        services,
        languages,
        capacity: u32::try_from(row.capacity).unwrap_or(0),
        open_referrals: open,
        status: row.status.as_str().to_owned(),
    }
}

/// Service-area rows (`region` '' for a whole country) as areas per country.
pub(super) fn group_areas(rows: &[(String, String)]) -> Vec<ServiceArea> {
    let mut areas: Vec<ServiceArea> = Vec::new();
    for (country, region) in rows {
        let Ok(country) = CountryCode::parse(country) else {
            continue;
        };
        let region = RegionCode::parse(region).ok();
        match areas.iter_mut().find(|a| a.country == country) {
            Some(area) => area.regions.extend(region),
            None => areas.push(ServiceArea {
                country,
                regions: region.into_iter().collect(),
            }),
        }
    }
    areas.sort_by(|a, b| a.country.cmp(&b.country));
    for area in &mut areas {
        area.regions.sort();
    }
    areas
}

/// Every code that names the same language as `language`, so that a filter
/// on `ar` also finds a partner that wrote `ara`.
pub(super) fn language_variants(language: &LanguageCode) -> Vec<String> {
    let mut variants = vec![
        language.as_str().to_owned(),
        language.canonical().to_owned(),
    ];
    if let Some(two) =
        isolang::Language::from_639_3(language.canonical()).and_then(|l| l.to_639_1())
    {
        variants.push(two.to_owned());
    }
    variants.sort();
    variants.dedup();
    variants
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_statuses_are_the_referrals_own() {
        let mut ours = OPEN_REFERRAL_STATUSES.to_vec();
        let mut theirs = crate::referrals::ReferralStatus::open_statuses();
        ours.sort_unstable();
        theirs.sort_unstable();
        assert_eq!(ours, theirs);
    }
}
