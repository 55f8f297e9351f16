//! The partner directory from memory. It changes only when it is synced, so
//! each instance keeps a copy and serves the list, the detail and the
//! matching from it. Every read first asks the database for the directory's
//! version (one row by its key) and reloads the copy when a sync has raised
//! it, on this instance or another: a sync shows everywhere at the next
//! read. Only the open referrals per partner, which move all day, are
//! counted at each read.

use std::sync::{Arc, RwLock};

use super::matching::PartnerProfile;
use super::store::{self, Children, PartnerDetail, PartnerFilter, SlaView, StoredPartner};
use super::{PartnerId, Service, SlaOverrides};
use crate::db::{DbConn, DbError};
use crate::domain::page::PageRequest;
use crate::domain::{CountryCode, LanguageCode};

/// The copy an instance holds.
#[derive(Default)]
pub struct Directory {
    current: RwLock<Option<Arc<Snapshot>>>,
}

/// The whole directory at one version.
pub struct Snapshot {
    version: i64,
    /// In id order.
    partners: Vec<StoredPartner>,
    children: Children,
}

impl Directory {
    /// The copy, reloaded first if a sync has changed the directory since.
    pub fn current(&self, conn: &mut DbConn) -> Result<Arc<Snapshot>, DbError> {
        let version = store::version(conn)?;
        let held = self
            .current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        if let Some(held) = held
            && held.version == version
        {
            return Ok(held);
        }
        // Loaded after the version was read: at least that new, perhaps
        // newer, in which case the next read loads it again.
        let (partners, children) = store::load_all(conn)?;
        let fresh = Arc::new(Snapshot {
            version,
            partners,
            children,
        });
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(fresh.clone());
        Ok(fresh)
    }
}

impl Snapshot {
    fn serves(&self, row: &StoredPartner, country: &str) -> bool {
        self.children
            .areas
            .get(&row.id)
            .is_some_and(|areas| areas.iter().any(|(c, _)| c == country))
    }

    fn matches(&self, row: &StoredPartner, filter: &PartnerFilter, languages: &[String]) -> bool {
        let listed = |map: &std::collections::BTreeMap<String, Vec<String>>, wanted: &[String]| {
            map.get(&row.id)
                .is_some_and(|have| have.iter().any(|h| wanted.contains(h)))
        };
        filter
            .country
            .as_ref()
            .is_none_or(|country| self.serves(row, country.as_str()))
            && filter
                .need
                .is_none_or(|need| listed(&self.children.services, &[need.as_str().to_owned()]))
            && (filter.language.is_none() || listed(&self.children.languages, languages))
            && filter.status.is_none_or(|status| row.status == status)
    }
}

/// One page of the directory, in id order.
pub fn list(
    conn: &mut DbConn,
    directory: &Directory,
    filter: &PartnerFilter,
    page: &PageRequest,
) -> Result<Vec<store::PartnerSummary>, DbError> {
    let snapshot = directory.current(conn)?;
    let languages = filter
        .language
        .as_ref()
        .map(store::language_variants)
        .unwrap_or_default();
    let fetch = usize::try_from(page.fetch()).unwrap_or(usize::MAX);
    let rows: Vec<&StoredPartner> = snapshot
        .partners
        .iter()
        .filter(|row| page.after.as_ref().is_none_or(|after| row.id > *after))
        .filter(|row| snapshot.matches(row, filter, &languages))
        .take(fetch)
        .collect();
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let open = store::open_referrals(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let open = open.get(&row.id).copied().unwrap_or(0);
            store::summary(row, &snapshot.children, open)
        })
        .collect())
}

/// One partner with everything the directory knows of it.
pub fn get(
    conn: &mut DbConn,
    directory: &Directory,
    id: &str,
) -> Result<Option<PartnerDetail>, DbError> {
    let snapshot = directory.current(conn)?;
    let Ok(at) = snapshot
        .partners
        .binary_search_by(|row| row.id.as_str().cmp(id))
    else {
        return Ok(None);
    };
    let row = &snapshot.partners[at];
    let open = store::open_referrals(conn, &[id])?
        .get(id)
        .copied()
        .unwrap_or(0);
    let children = &snapshot.children;
    Ok(Some(PartnerDetail {
        summary: store::summary(row, children, open),
        description: row.description.clone(),
        website: row.website.clone(),
        email: row.email.clone(),
        service_areas: store::group_areas(
            children
                .areas
                .get(&row.id)
                .map(Vec::as_slice)
                .unwrap_or_default(),
        ),
        contacts: children.contacts.get(&row.id).cloned().unwrap_or_default(),
        sla: SlaView {
            acknowledge_working_days: days(row.sla_acknowledge_working_days),
            decide_working_days: days(row.sla_decide_working_days),
        },
        updated_at: row.updated_at,
    }))
}

fn days(n: Option<i32>) -> Option<u32> {
    n.and_then(|n| u32::try_from(n).ok())
}

/// What the matching needs to know of every partner serving `country`.
pub fn profiles_for_country(
    conn: &mut DbConn,
    directory: &Directory,
    country: &CountryCode,
) -> Result<Vec<PartnerProfile>, DbError> {
    let snapshot = directory.current(conn)?;
    let rows: Vec<&StoredPartner> = snapshot
        .partners
        .iter()
        .filter(|row| snapshot.serves(row, country.as_str()))
        .collect();
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let open = store::open_referrals(conn, &ids)?;
    let mut answers = super::capacity::store::answers_in_country(conn, &ids, country)?;
    let children = &snapshot.children;
    let mut profiles = Vec::new();
    for row in rows {
        let Ok(id) = PartnerId::parse(&row.id) else {
            continue;
        };
        profiles.push(PartnerProfile {
            id,
            name: row.name.clone(),
            status: row.status,
            service_areas: store::group_areas(
                children
                    .areas
                    .get(&row.id)
                    .map(Vec::as_slice)
                    .unwrap_or_default(),
            ),
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
            open_referrals: open.get(&row.id).copied().unwrap_or(0),
            sla: SlaOverrides {
                acknowledge_working_days: days(row.sla_acknowledge_working_days),
                decide_working_days: days(row.sla_decide_working_days),
            },
            capacity_answers: answers.remove(&row.id).unwrap_or_default(),
        });
    }
    Ok(profiles)
}
