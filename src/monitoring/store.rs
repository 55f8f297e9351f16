//! Monitoring visits: scheduled at arrival, reported by the partner.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::{Model, MonitoringReport, Scores, schedule};
use crate::db::schema::monitoring_visits;
use crate::db::{DbConn, DbError};
use crate::http::{AppError, FieldError, Problem};

/// Days after its due date before a visit not reported counts as missed.
pub const GRACE_DAYS: i64 = 14;

#[derive(Debug, Clone, PartialEq, Serialize)]
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
}

#[derive(Queryable)]
struct VisitRow {
    id: String,
    referral_id: String,
    months_after_arrival: i32,
    due_on: NaiveDate,
    status: String,
    held_on: Option<NaiveDate>,
    mode: Option<String>,
    model_version: Option<String>,
    _answers: Option<String>,
    economic: Option<f64>,
    social: Option<f64>,
    psychosocial: Option<f64>,
    overall: Option<f64>,
    _reported_at: Option<NaiveDateTime>,
    _due_announced_at: Option<NaiveDateTime>,
}

impl VisitRow {
    fn view(self, today: NaiveDate) -> VisitView {
        let missed = self.status == "scheduled" && today > self.due_on + Duration::days(GRACE_DAYS);
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
                self.status
            },
            held_on: self.held_on,
            mode: self.mode,
            model_version: self.model_version,
            scores,
        }
    }
}

/// Tells partners, through the outbox, of the visits that have fallen due
/// (`monitoring.due`), each once, inside the caller's write transaction.
/// Visits already past their grace period when first seen (after a long
/// stop, say) are not announced: they show as missed instead. Returns how
/// many were announced.
pub fn announce_due(conn: &mut DbConn, now: DateTime<Utc>) -> Result<usize, DbError> {
    use crate::db::schema::referrals;
    let today = now.date_naive();
    let due: Vec<(String, String, String)> = monitoring_visits::table
        .inner_join(referrals::table.on(referrals::id.eq(monitoring_visits::referral_id)))
        .filter(monitoring_visits::status.eq("scheduled"))
        .filter(monitoring_visits::due_announced_at.is_null())
        .filter(monitoring_visits::due_on.le(today))
        .filter(monitoring_visits::due_on.ge(today - Duration::days(GRACE_DAYS)))
        .filter(referrals::closed_at.is_null())
        .order(monitoring_visits::due_on.asc())
        .select((monitoring_visits::id, referrals::id, referrals::partner_id))
        .limit(500)
        .load(conn)?;
    let stamp = crate::audit::stored_time(now);
    for (visit_id, referral_id, partner_id) in &due {
        crate::events::store::publish(
            conn,
            "monitoring.due",
            partner_id,
            Some(referral_id),
            serde_json::json!({"referral_id": referral_id, "visit_id": visit_id}),
            now,
        )?;
        diesel::update(monitoring_visits::table.find(visit_id))
            .set(monitoring_visits::due_announced_at.eq(stamp))
            .execute(conn)?;
    }
    Ok(due.len())
}

/// Schedules the visits of a referral that has just arrived.
pub fn schedule_visits(
    conn: &mut DbConn,
    referral_id: &str,
    arrived_on: NaiveDate,
    months: &[u32],
) -> Result<(), DbError> {
    for (month, due_on) in schedule(arrived_on, months) {
        diesel::insert_into(monitoring_visits::table)
            .values((
                monitoring_visits::id.eq(uuid::Uuid::now_v7().to_string()),
                monitoring_visits::referral_id.eq(referral_id),
                monitoring_visits::months_after_arrival
                    .eq(i32::try_from(month).unwrap_or(i32::MAX)),
                monitoring_visits::due_on.eq(due_on),
                monitoring_visits::status.eq("scheduled"),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn visits(
    conn: &mut DbConn,
    referral_id: &str,
    today: NaiveDate,
) -> Result<Vec<VisitView>, DbError> {
    Ok(monitoring_visits::table
        .filter(monitoring_visits::referral_id.eq(referral_id))
        .order(monitoring_visits::due_on.asc())
        .load::<VisitRow>(conn)?
        .into_iter()
        .map(|row| row.view(today))
        .collect())
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
) -> Result<VisitView, AppError> {
    let visit_id = input.visit_id.to_string();
    let visit: VisitRow = monitoring_visits::table
        .find(&visit_id)
        .first::<VisitRow>(conn)
        .optional()?
        .filter(|v| v.referral_id == referral_id)
        .ok_or_else(|| {
            AppError::validation(vec![FieldError::new(
                "visit_id",
                "is not a visit of this referral",
            )])
        })?;
    if visit.status == "done" {
        return Err(Problem::new(
            actix_web::http::StatusCode::CONFLICT,
            "visit-reported",
            "Conflict",
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
        return Err(AppError::validation(errors));
    };
    let answers =
        serde_json::to_string(&input.answers).map_err(|e| AppError::Internal(e.into()))?;
    diesel::update(
        monitoring_visits::table
            .find(&visit_id)
            .filter(monitoring_visits::status.eq("scheduled")),
    )
    .set((
        monitoring_visits::status.eq("done"),
        monitoring_visits::held_on.eq(input.held_on),
        monitoring_visits::mode.eq(input.mode.as_str()),
        monitoring_visits::model_version.eq(&model.version),
        monitoring_visits::answers.eq(answers),
        monitoring_visits::economic.eq(scores.economic),
        monitoring_visits::social.eq(scores.social),
        monitoring_visits::psychosocial.eq(scores.psychosocial),
        monitoring_visits::overall.eq(scores.overall),
        monitoring_visits::reported_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    let row = monitoring_visits::table
        .find(&visit_id)
        .first::<VisitRow>(conn)?;
    Ok(row.view(today))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(due_on: NaiveDate, status: &str) -> VisitRow {
        VisitRow {
            id: "visit".into(),
            referral_id: "referral".into(),
            months_after_arrival: 1,
            due_on,
            status: status.into(),
            held_on: None,
            mode: None,
            model_version: None,
            _answers: None,
            economic: None,
            social: None,
            psychosocial: None,
            overall: None,
            _reported_at: None,
            _due_announced_at: None,
        }
    }

    #[test]
    fn a_visit_past_due_plus_grace_is_missed() {
        let due = NaiveDate::from_ymd_opt(2026, 5, 1).expect("date");
        let on = |days| due + Duration::days(days);
        assert_eq!(
            row(due, "scheduled").view(on(GRACE_DAYS)).status,
            "scheduled"
        );
        assert_eq!(
            row(due, "scheduled").view(on(GRACE_DAYS + 1)).status,
            "missed"
        );
        assert_eq!(row(due, "done").view(on(400)).status, "done");
    }
}
