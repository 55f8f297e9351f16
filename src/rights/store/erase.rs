//! The writes of an erasure: every column that names, describes or quotes
//! the person is emptied; the ids, codes, dates and scores the reports
//! count stay. Each write names the person's own rows only.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{
    checklist_items, clients, consents, households, idempotency_keys, mail_outbox,
    monitoring_visits, partner_drafts, referral_history, referrals, reintegration_plan_items,
    reintegration_plans, return_case_history, return_cases, talk_versions, talks,
};
use crate::db::{DbConn, DbError};
use crate::referrals::{CONSENT_WITHDRAWN, Outcome as Ending, ReferralStatus};

/// The ids of everything that is the person's.
#[derive(Debug, Clone, Default)]
pub struct PersonRows {
    pub talks: Vec<String>,
    pub consents: Vec<String>,
    pub cases: Vec<String>,
    /// With their partner and status.
    pub referrals: Vec<(String, String, ReferralStatus)>,
    pub checklist_items: Vec<String>,
    pub visits: Vec<String>,
}

impl PersonRows {
    pub fn referral_ids(&self) -> Vec<String> {
        self.referrals.iter().map(|(id, _, _)| id.clone()).collect()
    }

    /// Every id a request about the person could name.
    fn all_ids(&self, client_id: &str, household: Option<&str>) -> Vec<String> {
        let mut ids = vec![client_id.to_owned()];
        ids.extend(household.map(str::to_owned));
        ids.extend(self.talks.iter().cloned());
        ids.extend(self.consents.iter().cloned());
        ids.extend(self.cases.iter().cloned());
        ids.extend(self.referral_ids());
        ids.extend(self.checklist_items.iter().cloned());
        ids.extend(self.visits.iter().cloned());
        ids
    }
}

pub fn person_rows(conn: &mut DbConn, client_id: &str) -> Result<PersonRows, DbError> {
    let talks = talks::table
        .filter(talks::client_id.eq(client_id))
        .select(talks::id)
        .load(conn)?;
    let consents = consents::table
        .filter(consents::client_id.eq(client_id))
        .select(consents::id)
        .load(conn)?;
    let cases: Vec<String> = return_cases::table
        .filter(return_cases::client_id.eq(client_id))
        .select(return_cases::id)
        .load(conn)?;
    let referrals: Vec<(String, String, ReferralStatus)> = referrals::table
        .filter(referrals::return_case_id.eq_any(&cases))
        .select((referrals::id, referrals::partner_id, referrals::status))
        .load(conn)?;
    let referral_ids: Vec<&String> = referrals.iter().map(|(id, _, _)| id).collect();
    let checklist_items = checklist_items::table
        .filter(checklist_items::referral_id.eq_any(&referral_ids))
        .select(checklist_items::id)
        .load(conn)?;
    let visits = monitoring_visits::table
        .filter(monitoring_visits::referral_id.eq_any(&referral_ids))
        .select(monitoring_visits::id)
        .load(conn)?;
    Ok(PersonRows {
        talks,
        consents,
        cases,
        referrals,
        checklist_items,
        visits,
    })
}

/// The days the person left on: with their own return case, or in the
/// household of another's (AMIF counts them either way).
pub fn departures(conn: &mut DbConn, client_id: &str) -> Result<Vec<NaiveDate>, DbError> {
    let member = format!("%{}%", client_id.replace(['%', '_'], ""));
    let days: Vec<Option<NaiveDate>> = referrals::table
        .inner_join(return_cases::table.on(return_cases::id.eq(referrals::return_case_id)))
        .filter(
            return_cases::client_id
                .eq(client_id)
                .or(return_cases::household_member_ids.like(member)),
        )
        .filter(referrals::departed_on.is_not_null())
        .select(referrals::departed_on)
        .load(conn)?;
    Ok(days.into_iter().flatten().collect())
}

/// What the person's row keeps of them.
pub struct Remains<'a> {
    pub reference: &'a str,
    pub date_of_birth: NaiveDate,
    pub erased_at: NaiveDateTime,
    pub reason: &'a str,
}

/// Empties the client's identity: names (and their search keys),
/// V-number, location, languages, a new reference, the coarse date of
/// birth; the household's label.
pub fn anonymise_client(
    conn: &mut DbConn,
    client_id: &str,
    household: Option<&str>,
    remains: &Remains<'_>,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    diesel::update(clients::table.find(client_id))
        .set((
            clients::given_name.eq(""),
            clients::family_name.eq(""),
            clients::given_name_key.eq(""),
            clients::family_name_key.eq(""),
            clients::date_of_birth.eq(remains.date_of_birth),
            clients::languages.eq(""),
            clients::v_number.eq(None::<String>),
            clients::location.eq(None::<String>),
            clients::reference.eq(remains.reference),
            clients::erased_at.eq(Some(remains.erased_at)),
            clients::erasure_reason.eq(Some(remains.reason)),
            clients::updated_at.eq(now),
        ))
        .execute(conn)?;
    if let Some(household) = household {
        diesel::update(households::table.find(household))
            .set(households::label.eq(None::<String>))
            .execute(conn)?;
    }
    Ok(())
}

/// Empties every free text about the person, in talks, consents, cases,
/// referrals and what the partners wrote, keeping codes and dates.
pub fn remove_free_text(
    conn: &mut DbConn,
    client_id: &str,
    rows: &PersonRows,
) -> Result<(), DbError> {
    diesel::update(talks::table.filter(talks::client_id.eq(client_id)))
        .set((
            talks::notes.eq(None::<String>),
            talks::next_talk_on.eq(None::<NaiveDate>),
        ))
        .execute(conn)?;
    diesel::update(talk_versions::table.filter(talk_versions::talk_id.eq_any(&rows.talks)))
        .set((
            talk_versions::notes.eq(None::<String>),
            talk_versions::next_talk_on.eq(None::<NaiveDate>),
        ))
        .execute(conn)?;
    diesel::update(consents::table.filter(consents::client_id.eq(client_id)))
        .set(consents::withdrawal_reason.eq(None::<String>))
        .execute(conn)?;
    diesel::update(return_cases::table.filter(return_cases::client_id.eq(client_id)))
        .set(return_cases::destination_region.eq(None::<String>))
        .execute(conn)?;
    diesel::update(
        return_case_history::table
            .filter(return_case_history::return_case_id.eq_any(&rows.cases))
            .filter(return_case_history::change.ne_all(super::super::CODED_CASE_CHANGES)),
    )
    .set(return_case_history::detail.eq(None::<String>))
    .execute(conn)?;
    let referral_ids = rows.referral_ids();
    diesel::update(referrals::table.filter(referrals::id.eq_any(&referral_ids)))
        .set(referrals::arrival_note.eq(None::<String>))
        .execute(conn)?;
    // A hold keeps its reason's place (a hold has one), not its words.
    diesel::update(
        referrals::table
            .filter(referrals::id.eq_any(&referral_ids))
            .filter(referrals::hold_reason.is_not_null()),
    )
    .set(referrals::hold_reason.eq(Some("")))
    .execute(conn)?;
    let mut codes: Vec<&str> = Ending::ALL.iter().map(|o| o.as_str()).collect();
    codes.push(CONSENT_WITHDRAWN);
    diesel::update(
        referral_history::table
            .filter(referral_history::referral_id.eq_any(&referral_ids))
            .filter(referral_history::reason.ne_all(codes)),
    )
    .set(referral_history::reason.eq(None::<String>))
    .execute(conn)?;
    diesel::update(
        checklist_items::table.filter(checklist_items::referral_id.eq_any(&referral_ids)),
    )
    .set(checklist_items::note.eq(None::<String>))
    .execute(conn)?;
    diesel::update(
        reintegration_plans::table.filter(reintegration_plans::referral_id.eq_any(&referral_ids)),
    )
    .set(reintegration_plans::comment.eq(None::<String>))
    .execute(conn)?;
    diesel::update(
        reintegration_plan_items::table
            .filter(reintegration_plan_items::referral_id.eq_any(&referral_ids)),
    )
    .set(reintegration_plan_items::support.eq(""))
    .execute(conn)?;
    diesel::update(
        monitoring_visits::table.filter(monitoring_visits::referral_id.eq_any(&referral_ids)),
    )
    .set(monitoring_visits::answers.eq(None::<String>))
    .execute(conn)?;
    diesel::delete(partner_drafts::table.filter(partner_drafts::referral_id.eq_any(&referral_ids)))
        .execute(conn)?;
    Ok(())
}

/// Pending mail names a client by reference: it follows the new one.
pub fn rename_in_mail(conn: &mut DbConn, old: &str, new: &str) -> Result<(), DbError> {
    diesel::update(mail_outbox::table.filter(mail_outbox::reference.eq(old)))
        .set(mail_outbox::reference.eq(new))
        .execute(conn)?;
    Ok(())
}

/// Forgets the kept answers (`Idempotency-Key`) of every request about the
/// person: those that made or changed one of their rows, and those whose
/// path names one. A retry after this runs as a new request.
pub fn purge_idempotency(
    conn: &mut DbConn,
    client_id: &str,
    household: Option<&str>,
    rows: &PersonRows,
) -> Result<usize, DbError> {
    let ids = rows.all_ids(client_id, household);
    let mut purged = 0;
    for batch in ids.chunks(200) {
        purged += diesel::delete(
            idempotency_keys::table.filter(idempotency_keys::resource_id.eq_any(batch)),
        )
        .execute(conn)?;
        for id in batch {
            let named = format!("%/{}%", id.replace(['%', '_'], ""));
            purged +=
                diesel::delete(idempotency_keys::table.filter(idempotency_keys::path.like(named)))
                    .execute(conn)?;
        }
    }
    Ok(purged)
}
