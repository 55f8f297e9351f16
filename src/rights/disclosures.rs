//! The disclosure record: for one person, every time a partner was shown
//! their data, by whom, when and which categories, from the audit log.
//!
//! The audit log keeps ids only: an entry says that a partner read (or
//! stepped on, which answers with the same view) a referral, not which
//! fields it saw. The categories are derived from what decided them then:
//! the referral's consent, if it was in force at that moment, and whether
//! the referral was still open (`super::shown_at`).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde::Serialize;

use super::store::{self, PartnerRead};
use crate::db::{DbConn, DbError};
use crate::domain::categories::DataCategory;
use crate::referrals::ReferralStatus;
use crate::referrals::store::history;

/// One answer that showed a partner the person's referral.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Disclosure {
    /// The audit log entry it is read from.
    pub audit_entry_id: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub at: NaiveDateTime,
    pub partner_id: String,
    pub partner_name: String,
    /// The operation, as the audit log names it (`partner.referrals.get`, ...).
    pub operation: String,
    pub referral_id: String,
    /// The data categories shown then, derived from the consent in force
    /// at that moment and whether the referral was open; empty when only
    /// the reference and destination country were shown.
    pub categories: Vec<DataCategory>,
}

/// Every disclosure of the person's data through these referrals (id,
/// partner, consent), oldest first. After `erased_at` a partner is shown
/// nothing of the person.
pub fn record(
    conn: &mut DbConn,
    referrals: &[(String, String, String)],
    erased_at: Option<NaiveDateTime>,
) -> Result<Vec<Disclosure>, DbError> {
    let ids: Vec<String> = referrals.iter().map(|(id, _, _)| id.clone()).collect();
    let reads = store::partner_reads(conn, &ids)?;
    if reads.is_empty() {
        return Ok(Vec::new());
    }
    let users: Vec<String> = reads
        .iter()
        .filter(|r| r.actor_type == "partner_user")
        .map(|r| r.actor_id.clone())
        .collect();
    let partner_of_user = store::partners_of_users(conn, &users)?;
    let names = store::partner_names(conn)?;
    let mut terms = HashMap::new();
    let mut histories: HashMap<String, Vec<(ReferralStatus, NaiveDateTime)>> = HashMap::new();
    for (id, _, consent_id) in referrals {
        terms.insert(id.clone(), store::consent_terms(conn, consent_id)?);
        let steps = history(conn, id)?
            .into_iter()
            .map(|h| (h.status, h.at))
            .collect();
        histories.insert(id.clone(), steps);
    }
    let partner_of_referral: HashMap<&str, &str> = referrals
        .iter()
        .map(|(id, partner, _)| (id.as_str(), partner.as_str()))
        .collect();
    Ok(reads
        .into_iter()
        .map(|read| {
            let PartnerRead {
                id,
                at,
                actor_type,
                actor_id,
                operation,
                referral_id,
            } = read;
            // The portal acts as its partner, as a key does; a draft's
            // entries name the person at the partner.
            let partner_id = if actor_type == "partner_user" {
                partner_of_user
                    .get(&actor_id)
                    .map(String::as_str)
                    .or_else(|| partner_of_referral.get(referral_id.as_str()).copied())
                    .map(str::to_owned)
                    .unwrap_or_default()
            } else {
                actor_id
            };
            let categories = match (terms.get(&referral_id), histories.get(&referral_id)) {
                _ if erased_at.is_some_and(|erased| at >= erased) => Vec::new(),
                (Some(Some(consent)), Some(steps)) => super::shown_at(consent, steps, at),
                _ => Vec::new(),
            };
            Disclosure {
                audit_entry_id: id,
                at,
                partner_name: names
                    .get(&partner_id)
                    .cloned()
                    .unwrap_or_else(|| partner_id.clone()),
                partner_id,
                operation,
                referral_id,
                categories,
            }
        })
        .collect())
}
