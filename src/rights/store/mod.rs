//! The queries of the person's export that no area answers already: what
//! the partners wrote beside a referral, the audit log's partner reads of
//! it, and the terms of a consent at a moment.

pub mod erase;

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::ConsentTerms;
use crate::db::schema::{
    audit_log, clients, consents, monitoring_visits, partner_drafts, partner_users, partners,
    referrals, return_cases,
};
use crate::db::{DbConn, DbError};
use crate::domain::categories::DataCategory;
use crate::domain::split_list;

/// The actors of the audit log that are a partner: its API key, or a
/// person at it signed in to the portal.
pub const PARTNER_ACTORS: [&str; 2] = ["partner", "partner_user"];

/// A person at a partner working on a draft in the portal: the entries of
/// the draft itself, whose answer is a redirect, not the referral (the
/// page the draft is made on is a read of its own).
pub const DRAFT_OPERATIONS: [&str; 3] = [
    "portal.drafts.save",
    "portal.drafts.submit",
    "portal.drafts.discard",
];

/// The answers a partner gave in a monitoring visit (indicator id to
/// answer value), beside the scores the referral shows.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MonitoringAnswers {
    pub visit_id: String,
    #[schema(value_type = Option<Object>)]
    pub answers: Option<Value>,
}

/// What a person at the partner drafted in the portal for a colleague to
/// submit: a plan, a monitoring report or a closure, as its request body.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DraftRecord {
    pub id: String,
    /// `plan`, `monitoring` or `closure`.
    pub kind: String,
    /// `draft`, `submitted` or `discarded`.
    pub status: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub drafted_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc::serialize_option")]
    pub decided_at: Option<NaiveDateTime>,
    #[schema(value_type = Object)]
    pub body: Value,
}

/// When and why the person was erased.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ErasureRecord {
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub erased_at: NaiveDateTime,
    pub reason: Option<String>,
}

/// The client's erasure, if they were erased.
pub fn erasure(conn: &mut DbConn, id: &str) -> Result<Option<ErasureRecord>, DbError> {
    let row: Option<(Option<NaiveDateTime>, Option<String>)> = clients::table
        .find(id)
        .select((clients::erased_at, clients::erasure_reason))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((Some(erased_at), reason)) => Some(ErasureRecord { erased_at, reason }),
        _ => None,
    })
}

/// A client's reference, and when they were erased; `None` when there is
/// no such client.
pub fn reference_of(
    conn: &mut DbConn,
    id: &str,
) -> Result<Option<(String, Option<NaiveDateTime>)>, DbError> {
    Ok(clients::table
        .find(id)
        .select((clients::reference, clients::erased_at))
        .first(conn)
        .optional()?)
}

/// The partner's words on arrival, which the staff's view of a referral
/// leaves out.
pub fn arrival_note(conn: &mut DbConn, referral_id: &str) -> Result<Option<String>, DbError> {
    Ok(referrals::table
        .find(referral_id)
        .select(referrals::arrival_note)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// The answers of each reported visit of a referral, by due date.
pub fn monitoring_answers(
    conn: &mut DbConn,
    referral_id: &str,
) -> Result<Vec<MonitoringAnswers>, DbError> {
    let rows: Vec<(String, Option<String>)> = monitoring_visits::table
        .filter(monitoring_visits::referral_id.eq(referral_id))
        .filter(monitoring_visits::answers.is_not_null())
        .order(monitoring_visits::due_on.asc())
        .select((monitoring_visits::id, monitoring_visits::answers))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(visit_id, answers)| MonitoringAnswers {
            visit_id,
            answers: answers.and_then(|a| serde_json::from_str(&a).ok()),
        })
        .collect())
}

/// The portal drafts of a referral, oldest first.
pub fn drafts(conn: &mut DbConn, referral_id: &str) -> Result<Vec<DraftRecord>, DbError> {
    type Row = (
        String,
        String,
        String,
        NaiveDateTime,
        Option<NaiveDateTime>,
        String,
    );
    let rows: Vec<Row> = partner_drafts::table
        .filter(partner_drafts::referral_id.eq(referral_id))
        .order((partner_drafts::drafted_at.asc(), partner_drafts::id.asc()))
        .select((
            partner_drafts::id,
            partner_drafts::kind,
            partner_drafts::status,
            partner_drafts::drafted_at,
            partner_drafts::decided_at,
            partner_drafts::body,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, kind, status, drafted_at, decided_at, body)| DraftRecord {
                id,
                kind,
                status,
                drafted_at,
                decided_at,
                body: serde_json::from_str(&body).unwrap_or(Value::Null),
            },
        )
        .collect())
}

/// One audit entry of a partner's that showed it a referral.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct PartnerRead {
    pub id: String,
    pub at: NaiveDateTime,
    pub actor_type: String,
    pub actor_id: String,
    pub operation: String,
    pub referral_id: String,
}

/// Every answer a partner got that showed it one of these referrals: the
/// audit log's entries by a partner (key or portal user) on them that
/// succeeded, in the log's order, drafts aside. Reads and steps alike
/// answer with the partner's view of the referral (a step in the portal
/// answers with a redirect to it, counted too: the record errs on the
/// side of listing); a refused attempt showed nothing.
pub fn partner_reads(
    conn: &mut DbConn,
    referral_ids: &[String],
) -> Result<Vec<PartnerRead>, DbError> {
    let mut out = Vec::new();
    for batch in referral_ids.chunks(500) {
        let rows: Vec<(i64, PartnerRead)> = audit_log::table
            .filter(audit_log::subject_type.eq("referral"))
            .filter(audit_log::subject_id.eq_any(batch))
            .filter(audit_log::actor_type.eq_any(PARTNER_ACTORS))
            .filter(audit_log::outcome.eq("ok"))
            .filter(audit_log::operation.ne_all(DRAFT_OPERATIONS))
            .select((
                audit_log::seq,
                (
                    audit_log::id,
                    audit_log::at,
                    audit_log::actor_type,
                    audit_log::actor_id,
                    audit_log::operation,
                    audit_log::subject_id,
                ),
            ))
            .load(conn)?;
        out.extend(rows);
    }
    out.sort_by_key(|(seq, _)| *seq);
    Ok(out.into_iter().map(|(_, read)| read).collect())
}

/// The partner of each portal user among `ids`.
pub fn partners_of_users(
    conn: &mut DbConn,
    ids: &[String],
) -> Result<HashMap<String, String>, DbError> {
    Ok(partner_users::table
        .filter(partner_users::id.eq_any(ids))
        .select((partner_users::id, partner_users::partner_id))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// Every partner's name, by id.
pub fn partner_names(conn: &mut DbConn) -> Result<HashMap<String, String>, DbError> {
    Ok(partners::table
        .select((partners::id, partners::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// What a consent names, and until when it held.
pub fn consent_terms(conn: &mut DbConn, id: &str) -> Result<Option<ConsentTerms>, DbError> {
    let row: Option<(String, Option<chrono::NaiveDate>, Option<NaiveDateTime>)> = consents::table
        .find(id)
        .select((
            consents::data_categories,
            consents::valid_until,
            consents::withdrawn_at,
        ))
        .first(conn)
        .optional()?;
    Ok(
        row.map(|(categories, valid_until, withdrawn_at)| ConsentTerms {
            categories: split_list(&categories, DataCategory::parse),
            valid_until,
            withdrawn_at,
        }),
    )
}

/// The referrals of a client's return cases, with their partner and consent.
pub fn referrals_of_client(
    conn: &mut DbConn,
    client_id: &str,
) -> Result<Vec<(String, String, String)>, DbError> {
    Ok(referrals::table
        .inner_join(return_cases::table.on(return_cases::id.eq(referrals::return_case_id)))
        .filter(return_cases::client_id.eq(client_id))
        .order((referrals::sent_at.asc(), referrals::id.asc()))
        .select((referrals::id, referrals::partner_id, referrals::consent_id))
        .load(conn)?)
}
