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
use crate::auth::store::{NewUserRoleRow, NewUserRow};
use crate::cases::store::{NewCaseHistoryRow, NewCaseRow};
use crate::clients::store::{NewClientRow, NewHouseholdRow};
use crate::consent::ConsentPurpose;
use crate::consent::store::NewConsentRow;
use crate::db::schema::{
    checklist_items, clients, consents, households, monitoring_visits, partner_languages,
    partner_service_areas, partners, referral_history, referrals, reintegration_plan_items,
    reintegration_plans, return_case_history, return_cases, sustainability_alerts, talk_versions,
    talks, user_roles, users,
};
use crate::db::{Db, DbConn, DbError};
use crate::monitoring::VisitStatus;
use crate::monitoring::store::NewVisitRow;
use crate::referrals::store::after_departure::{NewPlanItemRow, NewPlanRow};
use crate::referrals::store::checklist::NewChecklistItem;
use crate::referrals::store::{NewHistoryRow, NewReferralRow};
use crate::talks::store::{NewTalkRow, TalkContent, TalkVersion};

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

/// Rows per multi-row statement: with the widest row written (a
/// referral, 17 columns) that stays under 16,000 bind parameters, well
/// under SQLite's 32,766 and PostgreSQL's 65,535.
const ROWS_PER_STATEMENT: usize = 900;

/// Inserts rows, each built as its area's `Insertable` row type, in chunks
/// of one multi-row statement each. Diesel's multi-row insert is used on
/// the backend's own connection: the `MultiConnection` enum does not offer
/// it.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr, |$row:ident| $new:expr) => {{
        for chunk in $rows.chunks(ROWS_PER_STATEMENT) {
            let values: Vec<_> = chunk.iter().map(|$row| $new).collect();
            match &mut *$conn {
                DbConn::Sqlite(c) => {
                    diesel::insert_into($table).values(&values).execute(c)?;
                }
                DbConn::Pg(c) => {
                    diesel::insert_into($table).values(&values).execute(c)?;
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

/// Writes every table, parents before children, through the areas' own
/// row types.
fn write(conn: &mut DbConn, p: &Programme) -> Result<(), DemoError> {
    insert_rows!(conn, users::table, p.users, |r| NewUserRow {
        id: &r.id,
        email: &r.email,
        name: Some(r.name.as_str()),
        created_at: r.created_at,
    });
    insert_rows!(conn, user_roles::table, p.users, |r| NewUserRoleRow {
        user_id: &r.id,
        role: r.role,
    });
    insert_rows!(conn, households::table, p.households, |r| NewHouseholdRow {
        id: &r.id,
        label: Some(r.label.as_str()),
        created_by: &r.created_by,
        created_at: r.created_at,
    });
    insert_rows!(conn, clients::table, p.clients, |r| NewClientRow {
        id: &r.id,
        reference: &r.reference,
        given_name: &r.given_name,
        family_name: &r.family_name,
        given_name_key: crate::clients::name_key(&r.given_name),
        family_name_key: crate::clients::name_key(&r.family_name),
        date_of_birth: r.date_of_birth,
        sex: r.sex,
        country_of_origin: &r.country_of_origin,
        languages: r.languages.clone(),
        v_number: r.v_number.as_deref(),
        location: r.location.as_deref(),
        household_id: r.household_id.clone(),
        counsellor_id: &r.counsellor_id,
        latest_intention: r.latest_intention,
        latest_intention_on: r.latest_intention_on,
        created_at: r.created_at,
        updated_at: r.updated_at,
    });
    insert_rows!(conn, talks::table, p.talks, |r| NewTalkRow {
        id: &r.id,
        client_id: &r.client_id,
        counsellor_id: &r.counsellor_id,
        content: TalkContent {
            held_on: r.content.held_on,
            mode: r.content.mode,
            topics: r.content.topics.clone(),
            intention: r.content.intention,
            interpreter_language: r.content.interpreter_language.as_deref(),
            duration_minutes: r.content.duration_minutes,
            notes: r.content.notes,
            next_talk_on: r.content.next_talk_on,
        },
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    });
    insert_rows!(conn, talk_versions::table, p.talk_versions, |r| {
        TalkVersion {
            talk_id: r.talk_id.clone(),
            version: r.version,
            held_on: r.content.held_on,
            mode: r.content.mode,
            topics: r.content.topics.clone(),
            intention: r.content.intention,
            interpreter_language: r.content.interpreter_language.clone(),
            duration_minutes: r.content.duration_minutes,
            notes: r.content.notes.map(str::to_owned),
            next_talk_on: r.content.next_talk_on,
            recorded_by: r.recorded_by.clone(),
            recorded_at: r.recorded_at,
        }
    });
    insert_rows!(conn, consents::table, p.consents, |r| NewConsentRow {
        id: &r.id,
        client_id: &r.client_id,
        purpose: ConsentPurpose::Referral,
        data_categories: r.data_categories.clone(),
        partner_id: r.partner_id.as_deref(),
        country: r.country.as_deref(),
        given_on: r.given_on,
        method: r.method,
        language: &r.language,
        valid_until: None,
        recorded_by: &r.recorded_by,
        recorded_at: r.recorded_at,
        withdrawn_at: r.withdrawn_at,
        withdrawn_by: r.withdrawn_by.as_deref(),
        withdrawal_reason: r.withdrawal_reason,
    });
    insert_rows!(conn, return_cases::table, p.return_cases, |r| NewCaseRow {
        id: &r.id,
        client_id: &r.client_id,
        talk_id: r.talk_id.clone(),
        destination_country: &r.destination_country,
        destination_region: r.destination_region.as_deref(),
        needs: r.needs.clone(),
        household_member_ids: r.household_member_ids.clone(),
        planned_departure_on: r.planned_departure_on,
        status: r.status,
        opened_by: &r.opened_by,
        opened_at: r.opened_at,
        closed_at: r.closed_at,
        updated_at: r.updated_at,
        caseworker_id: &r.opened_by,
    });
    insert_rows!(
        conn,
        return_case_history::table,
        p.return_case_history,
        |r| {
            NewCaseHistoryRow {
                return_case_id: &r.return_case_id,
                seq: r.seq,
                at: r.at,
                actor_type: r.actor_type,
                actor_id: &r.actor_id,
                change: &r.change,
                detail: r.detail.as_deref(),
            }
        }
    );
    insert_rows!(conn, referrals::table, p.referrals, |r| NewReferralRow {
        id: &r.id,
        return_case_id: &r.return_case_id,
        partner_id: &r.partner_id,
        consent_id: &r.consent_id,
        status: r.status,
        sent_at: r.sent_at,
        sent_by: &r.sent_by,
        acknowledge_due_on: r.acknowledge_due_on,
        decide_due_on: r.decide_due_on,
        acknowledged_at: r.acknowledged_at,
        decided_at: r.decided_at,
        departed_on: r.departed_on,
        arrived_on: r.arrived_on,
        closed_at: r.closed_at,
        updated_at: r.updated_at,
        arrival_received: r.arrival_received,
        outcome: r.outcome,
    });
    insert_rows!(conn, referral_history::table, p.referral_history, |r| {
        NewHistoryRow {
            referral_id: &r.referral_id,
            seq: r.seq,
            status: r.status,
            at: r.at,
            by_type: r.by_type,
            by_id: &r.by_id,
            reason: r.reason.as_deref(),
            reason_code: None,
            resumed: false,
        }
    });
    insert_rows!(conn, checklist_items::table, p.checklist_items, |r| {
        NewChecklistItem {
            id: r.id.clone(),
            referral_id: &r.referral_id,
            position: r.position,
            kind: &r.kind,
            owner: r.owner,
            due_on: r.due_on,
            status: r.status,
            updated_at: r.updated_at,
            updated_by_type: r.updated_by_type,
            updated_by_id: &r.updated_by_id,
        }
    });
    insert_rows!(
        conn,
        reintegration_plans::table,
        p.reintegration_plans,
        |r| {
            NewPlanRow {
                referral_id: &r.referral_id,
                status: r.status,
                version: r.version,
                submitted_at: r.submitted_at,
                decided_at: r.decided_at,
                decided_by: r.decided_by.as_deref(),
                comment: r.comment,
            }
        }
    );
    insert_rows!(
        conn,
        reintegration_plan_items::table,
        p.reintegration_plan_items,
        |r| NewPlanItemRow {
            referral_id: &r.referral_id,
            position: r.position,
            need: r.need,
            support: r.support,
            amount: r.amount,
            currency: r.currency,
        }
    );
    insert_rows!(conn, monitoring_visits::table, p.monitoring_visits, |r| {
        let mut row = NewVisitRow::scheduled(
            r.id.clone(),
            &r.referral_id,
            r.months_after_arrival,
            r.due_on,
        );
        row.due_announced_at = r.due_announced_at;
        if let Some(done) = &r.done {
            row.status = VisitStatus::Done;
            row.held_on = Some(done.held_on);
            row.mode = Some(done.mode);
            row.model_version = Some(&done.model_version);
            row.answers = Some(&done.answers);
            row.economic = Some(done.economic);
            row.social = Some(done.social);
            row.psychosocial = Some(done.psychosocial);
            row.overall = Some(done.overall);
            row.reported_at = Some(done.reported_at);
        }
        row
    });
    insert_rows!(
        conn,
        sustainability_alerts::table,
        p.sustainability_alerts,
        |r| NewDemoAlert {
            id: &r.id,
            referral_id: &r.referral_id,
            visit_id: &r.visit_id,
            reasons: &r.reasons,
            raised_at: r.raised_at,
            handled_at: r.handled_at,
        }
    );
    Ok(())
}

/// An alert of the demo's history (handled without a named colleague).
#[derive(Insertable)]
#[diesel(table_name = sustainability_alerts)]
struct NewDemoAlert<'a> {
    id: &'a str,
    referral_id: &'a str,
    visit_id: &'a str,
    reasons: &'a str,
    raised_at: chrono::NaiveDateTime,
    handled_at: Option<chrono::NaiveDateTime>,
}
