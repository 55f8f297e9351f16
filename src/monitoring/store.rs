//! Monitoring visits: scheduled at arrival, reported by the partner.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::{Model, MonitoringReport, Scores, VisitStatus, schedule};
use crate::db::schema::monitoring_visits;
use crate::db::{DbConn, DbError};
use crate::domain::{CommandError, Conflict, FieldError, Outcome, Refusal};

/// Days after its due date before a visit not reported counts as missed.
pub const GRACE_DAYS: i64 = 14;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VisitView {
    pub id: String,
    pub months_after_arrival: i32,
    pub due_on: NaiveDate,
    /// `scheduled`, `done`, or `missed` (past due plus the grace period).
    pub status: String,
    pub held_on: Option<NaiveDate>,
    pub mode: Option<String>,
    pub model_version: Option<String>,
    pub scores: Option<Scores>,
    /// The sustainability alert this visit's report raised, if it crossed
    /// a threshold of the model.
    pub alert: Option<super::alerts::store::AlertView>,
}

/// A `monitoring_visits` row as read.
#[derive(Queryable, Selectable)]
#[diesel(table_name = monitoring_visits)]
struct VisitRow {
    id: String,
    referral_id: String,
    months_after_arrival: i32,
    due_on: NaiveDate,
    status: VisitStatus,
    held_on: Option<NaiveDate>,
    mode: Option<String>,
    model_version: Option<String>,
    economic: Option<f64>,
    social: Option<f64>,
    psychosocial: Option<f64>,
    overall: Option<f64>,
}

/// A `monitoring_visits` row as written: as scheduled, the report's
/// columns empty (the report is written over it).
#[derive(Insertable)]
#[diesel(table_name = monitoring_visits, treat_none_as_default_value = false)]
pub struct NewVisitRow<'a> {
    pub id: String,
    pub referral_id: &'a str,
    pub months_after_arrival: i32,
    pub due_on: NaiveDate,
    pub status: VisitStatus,
    pub held_on: Option<NaiveDate>,
    pub mode: Option<&'a str>,
    pub model_version: Option<&'a str>,
    pub answers: Option<&'a str>,
    pub economic: Option<f64>,
    pub social: Option<f64>,
    pub psychosocial: Option<f64>,
    pub overall: Option<f64>,
    pub reported_at: Option<NaiveDateTime>,
    pub due_announced_at: Option<NaiveDateTime>,
}

impl<'a> NewVisitRow<'a> {
    /// A visit scheduled, not yet reported nor announced.
    pub fn scheduled(id: String, referral_id: &'a str, month: i32, due_on: NaiveDate) -> Self {
        Self {
            id,
            referral_id,
            months_after_arrival: month,
            due_on,
            status: VisitStatus::Scheduled,
            held_on: None,
            mode: None,
            model_version: None,
            answers: None,
            economic: None,
            social: None,
            psychosocial: None,
            overall: None,
            reported_at: None,
            due_announced_at: None,
        }
    }
}

/// A visit's report, as written over its scheduled row.
#[derive(AsChangeset)]
#[diesel(table_name = monitoring_visits)]
struct VisitReport<'a> {
    status: VisitStatus,
    held_on: NaiveDate,
    mode: &'a str,
    model_version: &'a str,
    answers: String,
    economic: f64,
    social: f64,
    psychosocial: f64,
    overall: f64,
    reported_at: NaiveDateTime,
}

impl VisitRow {
    fn view(self, today: NaiveDate) -> VisitView {
        let missed = self.status == VisitStatus::Scheduled
            && today > self.due_on + Duration::days(GRACE_DAYS);
        let scores = match (self.economic, self.social, self.psychosocial, self.overall) {
            (Some(economic), Some(social), Some(psychosocial), Some(overall)) => Some(Scores {
                economic,
                social,
                psychosocial,
                overall,
            }),
            _ => None,
        };
        VisitView {
            id: self.id,
            months_after_arrival: self.months_after_arrival,
            due_on: self.due_on,
            status: if missed {
                "missed".to_owned()
            } else {
                self.status.as_str().to_owned()
            },
            held_on: self.held_on,
            mode: self.mode,
            model_version: self.model_version,
            scores,
            alert: None,
        }
    }
}

/// A visit that has fallen due and not been announced.
#[derive(Queryable)]
pub struct DueVisit {
    pub visit_id: String,
    pub referral_id: String,
    pub partner_id: String,
}

/// Scheduled visits that fall due by `today` and are still within their
/// grace period, not yet announced, of referrals still open (at most 500).
pub fn due_unannounced(conn: &mut DbConn, today: NaiveDate) -> Result<Vec<DueVisit>, DbError> {
    use crate::db::schema::referrals;
    Ok(monitoring_visits::table
        .inner_join(referrals::table.on(referrals::id.eq(monitoring_visits::referral_id)))
        .filter(monitoring_visits::status.eq(VisitStatus::Scheduled))
        .filter(monitoring_visits::due_announced_at.is_null())
        .filter(monitoring_visits::due_on.le(today))
        .filter(monitoring_visits::due_on.ge(today - Duration::days(GRACE_DAYS)))
        .filter(referrals::closed_at.is_null())
        .order(monitoring_visits::due_on.asc())
        .select((monitoring_visits::id, referrals::id, referrals::partner_id))
        .limit(500)
        .load(conn)?)
}

/// Marks a visit as announced.
/// Marks a visit announced; false when another worker (another instance)
/// announced it meanwhile.
pub fn mark_announced(
    conn: &mut DbConn,
    visit_id: &str,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    let marked = diesel::update(
        monitoring_visits::table
            .find(visit_id)
            .filter(monitoring_visits::due_announced_at.is_null()),
    )
    .set(monitoring_visits::due_announced_at.eq(at))
    .execute(conn)?;
    Ok(marked == 1)
}

/// Schedules the visits of a referral that has just arrived.
pub fn schedule_visits(
    conn: &mut DbConn,
    referral_id: &str,
    arrived_on: NaiveDate,
    months: &[u32],
) -> Result<(), DbError> {
    let rows: Vec<NewVisitRow<'_>> = schedule(arrived_on, months)
        .into_iter()
        .map(|(month, due_on)| {
            NewVisitRow::scheduled(
                uuid::Uuid::now_v7().to_string(),
                referral_id,
                i32::try_from(month).unwrap_or(i32::MAX),
                due_on,
            )
        })
        .collect();
    for row in &rows {
        diesel::insert_into(monitoring_visits::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// A referral's visits, each with the alert its report raised.
pub fn visits(
    conn: &mut DbConn,
    referral_id: &str,
    today: NaiveDate,
) -> Result<Vec<VisitView>, DbError> {
    let mut alerts = super::alerts::store::for_referral(conn, referral_id)?;
    Ok(monitoring_visits::table
        .filter(monitoring_visits::referral_id.eq(referral_id))
        .order(monitoring_visits::due_on.asc())
        .select(VisitRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|row| {
            let mut view = row.view(today);
            if let Some(i) = alerts.iter().position(|a| a.visit_id == view.id) {
                view.alert = Some(alerts.swap_remove(i));
            }
            view
        })
        .collect())
}

fn visit_row(conn: &mut DbConn, id: &str) -> Result<Option<VisitRow>, DbError> {
    Ok(monitoring_visits::table
        .find(id)
        .select(VisitRow::as_select())
        .first(conn)
        .optional()?)
}

/// Records a visit's answers and scores. The schedule is a guide, not a
/// gate: any scheduled visit may be reported once the person arrived.
pub fn report(
    conn: &mut DbConn,
    referral_id: &str,
    arrived_on: NaiveDate,
    input: &MonitoringReport,
    model: &Model,
    now: DateTime<Utc>,
) -> Outcome<VisitView> {
    let visit_id = input.visit_id.to_string();
    let visit = visit_row(conn, &visit_id)?
        .filter(|v| v.referral_id == referral_id)
        .ok_or_else(|| Refusal::field("visit_id", "is not a visit of this referral"))?;
    if visit.status == VisitStatus::Done {
        return Err(Refusal::conflict(
            Conflict::VisitReported,
            "This visit has been reported already.",
        )
        .into());
    }
    let today = now.date_naive();
    let mut errors = Vec::new();
    if input.held_on < arrived_on || input.held_on > today {
        errors.push(FieldError::new(
            "held_on",
            "must be between the arrival and today",
        ));
    }
    let scores = match model.score(&input.answers) {
        Ok(scores) => Some(scores),
        Err(mut bad) => {
            errors.append(&mut bad);
            None
        }
    };
    let Some(scores) = scores.filter(|_| errors.is_empty()) else {
        return Err(Refusal::invalid(errors).into());
    };
    let answers = serde_json::to_string(&input.answers)
        .map_err(|e| CommandError::Internal(format!("answers of visit {visit_id}: {e}")))?;
    let change = VisitReport {
        status: VisitStatus::Done,
        held_on: input.held_on,
        mode: input.mode.as_str(),
        model_version: &model.version,
        answers,
        economic: scores.economic,
        social: scores.social,
        psychosocial: scores.psychosocial,
        overall: scores.overall,
        reported_at: now.naive_utc(),
    };
    diesel::update(
        monitoring_visits::table
            .find(&visit_id)
            .filter(monitoring_visits::status.eq(VisitStatus::Scheduled)),
    )
    .set(&change)
    .execute(conn)?;
    let row = visit_row(conn, &visit_id)?
        .ok_or_else(|| CommandError::Internal(format!("visit {visit_id} vanished")))?;
    Ok(row.view(today))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(due_on: NaiveDate, status: VisitStatus) -> VisitRow {
        VisitRow {
            id: "visit".into(),
            referral_id: "referral".into(),
            months_after_arrival: 1,
            due_on,
            status,
            held_on: None,
            mode: None,
            model_version: None,
            economic: None,
            social: None,
            psychosocial: None,
            overall: None,
        }
    }

    #[test]
    fn a_visit_past_due_plus_grace_is_missed() {
        let due = NaiveDate::from_ymd_opt(2026, 5, 1).expect("date");
        let on = |days| due + Duration::days(days);
        let scheduled = || row(due, VisitStatus::Scheduled);
        assert_eq!(scheduled().view(on(GRACE_DAYS)).status, "scheduled");
        assert_eq!(scheduled().view(on(GRACE_DAYS + 1)).status, "missed");
        assert_eq!(row(due, VisitStatus::Done).view(on(400)).status, "done");
    }
}
