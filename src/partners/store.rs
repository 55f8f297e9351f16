//! The partner directory's queries: the sync from files, and the reads the
//! API and the matching need.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{Contact, PartnerId, PartnerRecord, PartnerStatus, Service, ServiceArea, SlaOverrides};
use crate::db::schema::{
    partner_contacts, partner_languages, partner_service_areas, partner_services, partners,
    referrals,
};
use crate::db::{DbConn, DbError};
use crate::domain::page::PageRequest;
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlaView {
    pub acknowledge_working_days: Option<u32>,
    pub decide_working_days: Option<u32>,
}

/// A partner as stored, without its child rows.
#[derive(Queryable, Selectable)]
#[diesel(table_name = partners)]
struct StoredPartner {
    id: String,
    name: String,
    description: String,
    website: Option<String>,
    email: String,
    capacity: i32,
    status: PartnerStatus,
    sla_acknowledge_working_days: Option<i32>,
    sla_decide_working_days: Option<i32>,
    updated_at: NaiveDateTime,
}

/// One of a partner's contacts, as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = partner_contacts)]
struct StoredContact {
    name: String,
    role: String,
    email: Option<String>,
    phone: Option<String>,
}

/// The child rows of some partners, grouped by partner id.
#[derive(Default)]
struct Children {
    services: BTreeMap<String, Vec<String>>,
    areas: BTreeMap<String, Vec<(String, String)>>,
    languages: BTreeMap<String, Vec<String>>,
    open_referrals: HashMap<String, u32>,
}

fn load_children(conn: &mut DbConn, ids: &[String]) -> Result<Children, DbError> {
    let mut children = Children::default();
    if ids.is_empty() {
        return Ok(children);
    }
    let services: Vec<(String, String)> = partner_services::table
        .filter(partner_services::partner_id.eq_any(ids))
        .select((partner_services::partner_id, partner_services::service))
        .load(conn)?;
    for (id, service) in services {
        children.services.entry(id).or_default().push(service);
    }
    let areas: Vec<(String, String, String)> = partner_service_areas::table
        .filter(partner_service_areas::partner_id.eq_any(ids))
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
        .filter(partner_languages::partner_id.eq_any(ids))
        .select((partner_languages::partner_id, partner_languages::language))
        .load(conn)?;
    for (id, language) in languages {
        children.languages.entry(id).or_default().push(language);
    }
    children.open_referrals = open_referrals(conn)?;
    Ok(children)
}

/// The statuses of a referral still running, which holds a place of the
/// partner's capacity (`ReferralStatus::is_open` in `referrals`, which sits
/// above this area; a test holds the two lists equal).
const OPEN_REFERRAL_STATUSES: [&str; 4] = ["requested", "received", "accepted", "in_progress"];

/// Per partner, the referrals it holds open now.
fn open_referrals(conn: &mut DbConn) -> Result<HashMap<String, u32>, DbError> {
    let rows: Vec<(String, i64)> = referrals::table
        .filter(referrals::status.eq_any(OPEN_REFERRAL_STATUSES))
        .group_by(referrals::partner_id)
        .select((referrals::partner_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(partner, n)| (partner, u32::try_from(n).unwrap_or(u32::MAX)))
        .collect())
}

fn summary(row: &StoredPartner, children: &Children) -> PartnerSummary {
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
        open_referrals: children.open_referrals.get(&row.id).copied().unwrap_or(0),
        status: row.status.as_str().to_owned(),
    }
}

/// Service-area rows (`region` '' for a whole country) as areas per country.
fn group_areas(rows: &[(String, String)]) -> Vec<ServiceArea> {
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
fn language_variants(language: &LanguageCode) -> Vec<String> {
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

/// One page of the directory, in id order.
pub fn list(
    conn: &mut DbConn,
    filter: &PartnerFilter,
    page: &PageRequest,
) -> Result<Vec<PartnerSummary>, DbError> {
    let mut query = partners::table
        .select(StoredPartner::as_select())
        .into_boxed();
    if let Some(country) = &filter.country {
        query = query.filter(
            partners::id.eq_any(
                partner_service_areas::table
                    .filter(partner_service_areas::country.eq(country.as_str().to_owned()))
                    .select(partner_service_areas::partner_id),
            ),
        );
    }
    if let Some(need) = filter.need {
        query = query.filter(
            partners::id.eq_any(
                partner_services::table
                    .filter(partner_services::service.eq(need.as_str()))
                    .select(partner_services::partner_id),
            ),
        );
    }
    if let Some(language) = &filter.language {
        query = query.filter(
            partners::id.eq_any(
                partner_languages::table
                    .filter(partner_languages::language.eq_any(language_variants(language)))
                    .select(partner_languages::partner_id),
            ),
        );
    }
    if let Some(status) = filter.status {
        query = query.filter(partners::status.eq(status));
    }
    if let Some(after) = &page.after {
        query = query.filter(partners::id.gt(after.clone()));
    }
    let rows: Vec<StoredPartner> = query
        .order(partners::id.asc())
        .limit(page.fetch())
        .load(conn)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let children = load_children(conn, &ids)?;
    Ok(rows.iter().map(|row| summary(row, &children)).collect())
}

pub fn get(conn: &mut DbConn, id: &str) -> Result<Option<PartnerDetail>, DbError> {
    let Some(row) = partners::table
        .find(id)
        .select(StoredPartner::as_select())
        .first::<StoredPartner>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let children = load_children(conn, std::slice::from_ref(&row.id))?;
    let contacts: Vec<StoredContact> = partner_contacts::table
        .filter(partner_contacts::partner_id.eq(&row.id))
        .order(partner_contacts::position.asc())
        .select(StoredContact::as_select())
        .load(conn)?;
    let service_areas = group_areas(
        children
            .areas
            .get(&row.id)
            .map(Vec::as_slice)
            .unwrap_or_default(),
    );
    Ok(Some(PartnerDetail {
        summary: summary(&row, &children),
        description: row.description.clone(),
        website: row.website.clone(),
        email: row.email.clone(),
        service_areas,
        contacts: contacts
            .into_iter()
            .map(|c| Contact {
                name: c.name,
                role: c.role,
                email: c.email,
                phone: c.phone,
            })
            .collect(),
        sla: SlaView {
            acknowledge_working_days: row
                .sla_acknowledge_working_days
                .and_then(|n| u32::try_from(n).ok()),
            decide_working_days: row
                .sla_decide_working_days
                .and_then(|n| u32::try_from(n).ok()),
        },
        updated_at: row.updated_at,
    }))
}

/// What the matching needs to know of every partner serving `country`.
pub fn profiles_for_country(
    conn: &mut DbConn,
    country: &CountryCode,
) -> Result<Vec<super::matching::PartnerProfile>, DbError> {
    let ids: Vec<String> = partner_service_areas::table
        .filter(partner_service_areas::country.eq(country.as_str().to_owned()))
        .select(partner_service_areas::partner_id)
        .distinct()
        .load(conn)?;
    let rows: Vec<StoredPartner> = partners::table
        .filter(partners::id.eq_any(&ids))
        .select(StoredPartner::as_select())
        .order(partners::id.asc())
        .load(conn)?;
    let children = load_children(conn, &ids)?;
    let mut profiles = Vec::new();
    for row in rows {
        let Ok(id) = PartnerId::parse(&row.id) else {
            continue;
        };
        let service_areas = group_areas(
            children
                .areas
                .get(&row.id)
                .map(Vec::as_slice)
                .unwrap_or_default(),
        );
        profiles.push(super::matching::PartnerProfile {
            id,
            name: row.name.clone(),
            status: row.status,
            service_areas,
            services: children
                .services
                .get(&row.id)
                .into_iter()
                .flatten()
                .filter_map(|s| Service::parse(s))
                .collect(),
            languages: children
                .languages
                .get(&row.id)
                .into_iter()
                .flatten()
                .filter_map(|l| LanguageCode::parse(l).ok())
                .collect(),
            capacity: u32::try_from(row.capacity).unwrap_or(0),
            open_referrals: children.open_referrals.get(&row.id).copied().unwrap_or(0),
            sla: SlaOverrides {
                acknowledge_working_days: row
                    .sla_acknowledge_working_days
                    .and_then(|n| u32::try_from(n).ok()),
                decide_working_days: row
                    .sla_decide_working_days
                    .and_then(|n| u32::try_from(n).ok()),
            },
        });
    }
    Ok(profiles)
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
