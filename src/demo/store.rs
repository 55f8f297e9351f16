//! Writing the demo programme: the active partners in, the generated rows
//! out, in large multi-row inserts inside one write transaction, so that a
//! run adds everything or nothing.
//!
//! Afterwards the planner's statistics are refreshed (`ANALYZE`), as after
//! any bulk load.
//!
//! No outbox events are written: the rows describe a past that no partner
//! lived through, and a webhook worker would otherwise deliver hundreds of
//! thousands of stale events to the partners' endpoints and feeds. One audit
//! entry records the run itself, so that the chain (`brug audit verify`)
//! covers it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::{Options, PartnerFacts, Programme, Rules, generate};
use crate::audit::{self, Actor, NewEntry};
use crate::db::schema::{
    checklist_items, clients, consents, households, monitoring_visits, partner_languages,
    partner_service_areas, partners, referral_history, referrals, reintegration_plan_items,
    reintegration_plans, return_case_history, return_cases, talk_versions, talks, user_roles,
    users,
};
use crate::db::{Db, DbConn, DbError};

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "the database holds {0} client(s) already: demo data goes only into an empty programme; use a fresh database"
    )]
    NotEmpty(i64),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for DemoError {
    fn from(e: diesel::result::Error) -> Self {
        DemoError::Db(DbError::Query(e))
    }
}

/// Bind parameters per statement: well under SQLite's 32,766 and
/// PostgreSQL's 65,535.
const MAX_BINDS: usize = 16_000;

/// Inserts rows in chunks of one multi-row statement each. Diesel's
/// multi-row insert is used on the backend's own connection: the
/// `MultiConnection` enum does not offer it.
macro_rules! insert_all {
    ($conn:expr, $table:expr, $columns:expr, $rows:expr, |$row:ident| $values:expr) => {{
        let per_statement = (MAX_BINDS / $columns).max(1);
        for chunk in $rows.chunks(per_statement) {
            let values: Vec<_> = chunk.iter().map(|$row| $values).collect();
            match &mut *$conn {
                DbConn::Sqlite(c) => {
                    diesel::insert_into($table).values(values).execute(c)?;
                }
                DbConn::Pg(c) => {
                    diesel::insert_into($table).values(values).execute(c)?;
                }
            }
        }
    }};
}

/// The active partners with their countries, regions and languages, in id
/// order (the generator depends on the order).
pub fn partner_facts(conn: &mut DbConn) -> Result<Vec<PartnerFacts>, DbError> {
    let rows: Vec<(String, Option<i32>, Option<i32>)> = partners::table
        .filter(partners::status.eq("active"))
        .order(partners::id.asc())
        .select((
            partners::id,
            partners::sla_acknowledge_working_days,
            partners::sla_decide_working_days,
        ))
        .load(conn)?;
    let areas: Vec<(String, String, String)> = partner_service_areas::table
        .order((
            partner_service_areas::partner_id.asc(),
            partner_service_areas::country.asc(),
            partner_service_areas::region.asc(),
        ))
        .select((
            partner_service_areas::partner_id,
            partner_service_areas::country,
            partner_service_areas::region,
        ))
        .load(conn)?;
    let languages: Vec<(String, String)> = partner_languages::table
        .order((
            partner_languages::partner_id.asc(),
            partner_languages::language.asc(),
        ))
        .select((partner_languages::partner_id, partner_languages::language))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, ack, decide)| {
            let mut served: Vec<(String, Vec<String>)> = Vec::new();
            for (_, country, region) in areas.iter().filter(|(p, _, _)| *p == id) {
                if served.last().is_none_or(|(c, _)| c != country) {
                    served.push((country.clone(), Vec::new()));
                }
                if !region.is_empty()
                    && let Some((_, regions)) = served.last_mut()
                {
                    regions.push(region.clone());
                }
            }
            PartnerFacts {
                languages: languages
                    .iter()
                    .filter(|(p, _)| *p == id)
                    .map(|(_, l)| l.clone())
                    .collect(),
                areas: served,
                acknowledge_working_days: ack,
                decide_working_days: decide,
                id,
            }
        })
        .collect())
}

/// Generates the programme over the database's active partners and writes
/// it; refused when the database holds clients already. Returns the rows
/// written per table.
pub fn fill(
    db: &Db,
    options: Options,
    rules: &Rules<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<(&'static str, usize)>, DemoError> {
    let facts = {
        let mut conn = db.conn()?;
        refuse_if_filled(&mut conn)?;
        partner_facts(&mut conn)?
    };
    let programme = generate(options, &facts, rules).map_err(DemoError::Invalid)?;
    let counts = programme.counts();
    db.write_blocking(|conn| {
        // Checked again under the write lock: a client added meanwhile
        // would mix real and invented people.
        refuse_if_filled(conn)?;
        write(conn, &programme)?;
        let subject = format!(
            "years={};seed={};until={}",
            options.years, options.seed, options.until
        );
        let entry = NewEntry::new(Actor::cli(), "demo_data.generate", "programme", &subject);
        audit::store::append(conn, entry, now)?;
        Ok::<_, DemoError>(())
    })?;
    refresh_statistics(&mut *db.conn()?)?;
    Ok(counts)
}

/// Gives the query planner statistics for the rows just loaded, as after
/// any bulk load: without them PostgreSQL plans the reports' joins for
/// empty tables until autovacuum comes by. On PostgreSQL `VACUUM` also
/// marks the pages all-visible, so that index-only scans need not visit
/// the table. Outside the write transaction: VACUUM cannot run inside one.
fn refresh_statistics(conn: &mut DbConn) -> Result<(), DemoError> {
    let statement = match conn {
        DbConn::Pg(_) => "VACUUM ANALYZE",
        DbConn::Sqlite(_) => "ANALYZE",
    };
    diesel::sql_query(statement).execute(conn)?;
    Ok(())
}

fn refuse_if_filled(conn: &mut DbConn) -> Result<(), DemoError> {
    let existing: i64 = clients::table.count().get_result(conn)?;
    if existing > 0 {
        return Err(DemoError::NotEmpty(existing));
    }
    Ok(())
}

/// Writes every table, parents before children.
fn write(conn: &mut DbConn, p: &Programme) -> Result<(), DemoError> {
    insert_all!(conn, users::table, 5, p.users, |r| (
        users::id.eq(&r.id),
        users::email.eq(&r.email),
        users::name.eq(Some(r.name.as_str())),
        users::created_at.eq(r.created_at),
        users::disabled_at.eq(None::<chrono::NaiveDateTime>),
    ));
    insert_all!(conn, user_roles::table, 2, p.users, |r| (
        user_roles::user_id.eq(&r.id),
        user_roles::role.eq(r.role),
    ));
    insert_all!(conn, households::table, 4, p.households, |r| (
        households::id.eq(&r.id),
        households::label.eq(Some(r.label.as_str())),
        households::created_by.eq(&r.created_by),
        households::created_at.eq(r.created_at),
    ));
    insert_all!(conn, clients::table, 17, p.clients, |r| (
        clients::id.eq(&r.id),
        clients::reference.eq(&r.reference),
        clients::given_name.eq(&r.given_name),
        clients::family_name.eq(&r.family_name),
        clients::given_name_key.eq(crate::clients::name_key(&r.given_name)),
        clients::family_name_key.eq(crate::clients::name_key(&r.family_name)),
        clients::date_of_birth.eq(r.date_of_birth),
        clients::country_of_origin.eq(&r.country_of_origin),
        clients::languages.eq(&r.languages),
        clients::v_number.eq(r.v_number.as_deref()),
        clients::location.eq(r.location.as_deref()),
        clients::household_id.eq(r.household_id.as_deref()),
        clients::counsellor_id.eq(&r.counsellor_id),
        clients::latest_intention.eq(r.latest_intention),
        clients::latest_intention_on.eq(r.latest_intention_on),
        clients::created_at.eq(r.created_at),
        clients::updated_at.eq(r.updated_at),
    ));
    insert_all!(conn, talks::table, 14, p.talks, |r| (
        talks::id.eq(&r.id),
        talks::client_id.eq(&r.client_id),
        talks::counsellor_id.eq(&r.counsellor_id),
        talks::held_on.eq(r.content.held_on),
        talks::mode.eq(r.content.mode),
        talks::topics.eq(&r.content.topics),
        talks::intention.eq(r.content.intention),
        talks::interpreter_language.eq(r.content.interpreter_language.as_deref()),
        talks::duration_minutes.eq(r.content.duration_minutes),
        talks::notes.eq(r.content.notes),
        talks::next_talk_on.eq(r.content.next_talk_on),
        talks::version.eq(r.version),
        talks::created_at.eq(r.created_at),
        talks::updated_at.eq(r.updated_at),
    ));
    insert_all!(conn, talk_versions::table, 12, p.talk_versions, |r| (
        talk_versions::talk_id.eq(&r.talk_id),
        talk_versions::version.eq(r.version),
        talk_versions::held_on.eq(r.content.held_on),
        talk_versions::mode.eq(r.content.mode),
        talk_versions::topics.eq(&r.content.topics),
        talk_versions::intention.eq(r.content.intention),
        talk_versions::interpreter_language.eq(r.content.interpreter_language.as_deref()),
        talk_versions::duration_minutes.eq(r.content.duration_minutes),
        talk_versions::notes.eq(r.content.notes),
        talk_versions::next_talk_on.eq(r.content.next_talk_on),
        talk_versions::recorded_by.eq(&r.recorded_by),
        talk_versions::recorded_at.eq(r.recorded_at),
    ));
    insert_all!(conn, consents::table, 15, p.consents, |r| (
        consents::id.eq(&r.id),
        consents::client_id.eq(&r.client_id),
        consents::purpose.eq("referral"),
        consents::data_categories.eq(&r.data_categories),
        consents::partner_id.eq(r.partner_id.as_deref()),
        consents::country.eq(r.country.as_deref()),
        consents::given_on.eq(r.given_on),
        consents::method.eq(r.method),
        consents::language.eq(&r.language),
        consents::valid_until.eq(None::<chrono::NaiveDate>),
        consents::recorded_by.eq(&r.recorded_by),
        consents::recorded_at.eq(r.recorded_at),
        consents::withdrawn_at.eq(r.withdrawn_at),
        consents::withdrawn_by.eq(r.withdrawn_by.as_deref()),
        consents::withdrawal_reason.eq(r.withdrawal_reason),
    ));
    insert_all!(conn, return_cases::table, 13, p.return_cases, |r| (
        return_cases::id.eq(&r.id),
        return_cases::client_id.eq(&r.client_id),
        return_cases::talk_id.eq(r.talk_id.as_deref()),
        return_cases::destination_country.eq(&r.destination_country),
        return_cases::destination_region.eq(r.destination_region.as_deref()),
        return_cases::needs.eq(&r.needs),
        return_cases::household_member_ids.eq(&r.household_member_ids),
        return_cases::planned_departure_on.eq(r.planned_departure_on),
        return_cases::status.eq(r.status),
        return_cases::opened_by.eq(&r.opened_by),
        return_cases::opened_at.eq(r.opened_at),
        return_cases::closed_at.eq(r.closed_at),
        return_cases::updated_at.eq(r.updated_at),
    ));
    insert_all!(
        conn,
        return_case_history::table,
        7,
        p.return_case_history,
        |r| (
            return_case_history::return_case_id.eq(&r.return_case_id),
            return_case_history::seq.eq(r.seq),
            return_case_history::at.eq(r.at),
            return_case_history::actor_type.eq(r.actor_type),
            return_case_history::actor_id.eq(&r.actor_id),
            return_case_history::change.eq(&r.change),
            return_case_history::detail.eq(r.detail.as_deref()),
        )
    );
    insert_all!(conn, referrals::table, 18, p.referrals, |r| (
        (
            referrals::id.eq(&r.id),
            referrals::return_case_id.eq(&r.return_case_id),
            referrals::partner_id.eq(&r.partner_id),
            referrals::consent_id.eq(&r.consent_id),
            referrals::status.eq(r.status.as_str()),
            referrals::sent_at.eq(r.sent_at),
            referrals::sent_by.eq(&r.sent_by),
            referrals::acknowledge_due_on.eq(r.acknowledge_due_on),
            referrals::decide_due_on.eq(r.decide_due_on),
        ),
        (
            referrals::acknowledged_at.eq(r.acknowledged_at),
            referrals::decided_at.eq(r.decided_at),
            referrals::departed_on.eq(r.departed_on),
            referrals::arrived_on.eq(r.arrived_on),
            referrals::closed_at.eq(r.closed_at),
            referrals::updated_at.eq(r.updated_at),
            referrals::arrival_received.eq(r.arrival_received),
            referrals::arrival_note.eq(None::<String>),
            referrals::outcome.eq(r.outcome),
        ),
    ));
    insert_all!(conn, referral_history::table, 7, p.referral_history, |r| (
        referral_history::referral_id.eq(&r.referral_id),
        referral_history::seq.eq(r.seq),
        referral_history::status.eq(r.status.as_str()),
        referral_history::at.eq(r.at),
        referral_history::by_type.eq(r.by_type),
        referral_history::by_id.eq(&r.by_id),
        referral_history::reason.eq(r.reason.as_deref()),
    ));
    insert_all!(conn, checklist_items::table, 11, p.checklist_items, |r| (
        checklist_items::id.eq(&r.id),
        checklist_items::referral_id.eq(&r.referral_id),
        checklist_items::position.eq(r.position),
        checklist_items::kind.eq(&r.kind),
        checklist_items::owner.eq(r.owner),
        checklist_items::due_on.eq(r.due_on),
        checklist_items::status.eq(r.status),
        checklist_items::note.eq(None::<String>),
        checklist_items::updated_at.eq(r.updated_at),
        checklist_items::updated_by_type.eq(r.updated_by_type),
        checklist_items::updated_by_id.eq(&r.updated_by_id),
    ));
    insert_all!(
        conn,
        reintegration_plans::table,
        7,
        p.reintegration_plans,
        |r| (
            reintegration_plans::referral_id.eq(&r.referral_id),
            reintegration_plans::status.eq(r.status),
            reintegration_plans::version.eq(r.version),
            reintegration_plans::submitted_at.eq(r.submitted_at),
            reintegration_plans::decided_at.eq(r.decided_at),
            reintegration_plans::decided_by.eq(r.decided_by.as_deref()),
            reintegration_plans::comment.eq(r.comment),
        )
    );
    insert_all!(
        conn,
        reintegration_plan_items::table,
        6,
        p.reintegration_plan_items,
        |r| (
            reintegration_plan_items::referral_id.eq(&r.referral_id),
            reintegration_plan_items::position.eq(r.position),
            reintegration_plan_items::need.eq(r.need),
            reintegration_plan_items::support.eq(r.support),
            reintegration_plan_items::amount.eq(r.amount),
            reintegration_plan_items::currency.eq(r.currency),
        )
    );
    insert_all!(
        conn,
        monitoring_visits::table,
        15,
        p.monitoring_visits,
        |r| (
            (
                monitoring_visits::id.eq(&r.id),
                monitoring_visits::referral_id.eq(&r.referral_id),
                monitoring_visits::months_after_arrival.eq(r.months_after_arrival),
                monitoring_visits::due_on.eq(r.due_on),
                monitoring_visits::status.eq(if r.done.is_some() {
                    "done"
                } else {
                    "scheduled"
                }),
                monitoring_visits::held_on.eq(r.done.as_ref().map(|d| d.held_on)),
                monitoring_visits::mode.eq(r.done.as_ref().map(|d| d.mode)),
            ),
            (
                monitoring_visits::model_version
                    .eq(r.done.as_ref().map(|d| d.model_version.as_str())),
                monitoring_visits::answers.eq(r.done.as_ref().map(|d| d.answers.as_str())),
                monitoring_visits::economic.eq(r.done.as_ref().map(|d| d.economic)),
                monitoring_visits::social.eq(r.done.as_ref().map(|d| d.social)),
                monitoring_visits::psychosocial.eq(r.done.as_ref().map(|d| d.psychosocial)),
                monitoring_visits::overall.eq(r.done.as_ref().map(|d| d.overall)),
                monitoring_visits::reported_at.eq(r.done.as_ref().map(|d| d.reported_at)),
                monitoring_visits::due_announced_at.eq(r.due_announced_at),
            ),
        )
    );
    Ok(())
}
