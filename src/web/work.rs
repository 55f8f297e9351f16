//! "Mijn werk / My work": one queue of what needs the signed-in person now,
//! each item with why and by when. A counsellor's items come from their
//! clients, a caseworker's from the return cases they run.

use std::collections::HashMap;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::dsl::{exists, not};
use diesel::prelude::*;

use super::context::Ctx;
use super::page::{self, Layout};
use crate::auth::{Role, Staff};
use crate::cases::CaseStatus;
use crate::db::schema::{
    checklist_items, clients, consents, monitoring_visits, referrals, reintegration_plans,
    return_cases, sustainability_alerts, talks,
};
use crate::db::{DbConn, DbError};
use crate::http::AppError;
use crate::monitoring::VisitStatus;
use crate::referrals::{ReferralStatus, SlaClock};

/// The settings My work counts days by.
#[derive(Debug, Clone, Copy)]
pub struct Days {
    /// `not_departed_after_days`.
    pub not_departed_after: u32,
    /// `consent_warning_days`: consents ending within as many are shown.
    pub consent_warning: u32,
}

impl Days {
    pub fn of(settings: &crate::config::Settings) -> Self {
        Self {
            not_departed_after: settings.not_departed_after_days,
            consent_warning: settings.consent_warning_days,
        }
    }
}

/// Items shown per page of My work.
pub const PER_PAGE: usize = 50;

/// How long the count in the navigation is reused before it is counted
/// again; any form the person posts counts again at once.
const COUNT_KEPT: std::time::Duration = std::time::Duration::from_secs(30);

type Counts = std::sync::Mutex<HashMap<String, (std::time::Instant, usize)>>;
static COUNTS: std::sync::LazyLock<Counts> = std::sync::LazyLock::new(Counts::default);

fn counts() -> std::sync::MutexGuard<'static, HashMap<String, (std::time::Instant, usize)>> {
    COUNTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The count of a person's My work, if counted in the last 30 seconds.
pub fn remembered(user_id: &str) -> Option<usize> {
    counts()
        .get(user_id)
        .filter(|(at, _)| at.elapsed() < COUNT_KEPT)
        .map(|(_, n)| *n)
}

pub fn remember(user_id: &str, n: usize) {
    let mut counts = counts();
    if counts.len() >= 10_000 {
        counts.retain(|_, (at, _)| at.elapsed() < COUNT_KEPT);
    }
    counts.insert(user_id.to_owned(), (std::time::Instant::now(), n));
}

/// Counts again on the next page (the person changed something).
pub fn forget(user_id: &str) {
    counts().remove(user_id);
}

/// One thing waiting for the person: what, about whom, by when, and where
/// to do it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkItem {
    /// `talk_due`, `consent_expiring`, `acknowledge_overdue`,
    /// `decision_overdue`, `declined`, `plan_waiting`, `checklist_due`,
    /// `not_departed`, `monitoring_missed`, `sustainability_alert`,
    /// `consent_expired`.
    pub kind: &'static str,
    pub due_on: NaiveDate,
    pub client_id: String,
    /// Where the work is done.
    pub link: String,
}

diesel::alias!(talks as later_talks: LaterTalks);
diesel::alias!(referrals as other_referrals: OtherReferrals);

/// Everything waiting for `staff` today, the longest overdue first.
pub fn queue(
    conn: &mut DbConn,
    staff: &Staff,
    today: NaiveDate,
    days: Days,
) -> Result<Vec<WorkItem>, DbError> {
    let mut items = Vec::new();
    if staff.has_any(&[Role::Counsellor]) {
        counsellor_items(
            conn,
            &staff.user_id,
            today,
            days.consent_warning,
            &mut items,
        )?;
    }
    if staff.has_any(&[Role::Caseworker]) {
        caseworker_items(
            conn,
            &staff.user_id,
            today,
            days.not_departed_after,
            &mut items,
        )?;
    }
    items.sort_by(|a, b| a.due_on.cmp(&b.due_on).then(a.kind.cmp(b.kind)));
    Ok(items)
}

/// How many items [`queue`] holds, for the navigation.
pub fn count(
    conn: &mut DbConn,
    staff: &Staff,
    today: NaiveDate,
    days: Days,
) -> Result<usize, AppError> {
    Ok(queue(conn, staff, today, days)?.len())
}

fn counsellor_items(
    conn: &mut DbConn,
    me: &str,
    today: NaiveDate,
    warning_days: u32,
    items: &mut Vec<WorkItem>,
) -> Result<(), DbError> {
    // The latest talk of each of my clients, when it planned the next one
    // for today or earlier.
    let due: Vec<(String, NaiveDate)> = talks::table
        .inner_join(clients::table)
        .filter(clients::counsellor_id.eq(me))
        .filter(talks::next_talk_on.le(today))
        .filter(not(exists(
            later_talks
                .filter(later_talks.field(talks::client_id).eq(talks::client_id))
                .filter(later_talks.field(talks::held_on).gt(talks::held_on)),
        )))
        .select((talks::client_id, talks::next_talk_on.assume_not_null()))
        .load(conn)?;
    items.extend(due.into_iter().map(|(client_id, on)| WorkItem {
        kind: "talk_due",
        due_on: on,
        link: format!("/clients/{client_id}"),
        client_id,
    }));
    let expiring: Vec<(String, NaiveDate)> = consents::table
        .inner_join(clients::table)
        .filter(clients::counsellor_id.eq(me))
        .filter(consents::withdrawn_at.is_null())
        .filter(consents::valid_until.ge(today))
        .filter(consents::valid_until.le(today + Duration::days(i64::from(warning_days))))
        .select((consents::client_id, consents::valid_until.assume_not_null()))
        .load(conn)?;
    items.extend(expiring.into_iter().map(|(client_id, on)| WorkItem {
        kind: "consent_expiring",
        due_on: on,
        link: format!("/clients/{client_id}"),
        client_id,
    }));
    Ok(())
}

#[derive(Queryable)]
struct OpenReferral {
    case_id: String,
    client_id: String,
    status: ReferralStatus,
    acknowledged_at: Option<NaiveDateTime>,
    decided_at: Option<NaiveDateTime>,
    acknowledge_due_on: NaiveDate,
    decide_due_on: NaiveDate,
    departed_on: Option<NaiveDate>,
    planned_departure_on: NaiveDate,
    held_days: i32,
}

fn caseworker_items(
    conn: &mut DbConn,
    me: &str,
    today: NaiveDate,
    not_departed_after_days: u32,
    items: &mut Vec<WorkItem>,
) -> Result<(), DbError> {
    let mine = return_cases::caseworker_id
        .eq(me.to_owned())
        .and(return_cases::status.eq(CaseStatus::Open.as_str()));
    let open: Vec<OpenReferral> = referrals::table
        .inner_join(return_cases::table)
        .filter(mine.clone())
        .filter(referrals::status.eq_any(ReferralStatus::open_statuses()))
        .select((
            return_cases::id,
            return_cases::client_id,
            referrals::status,
            referrals::acknowledged_at,
            referrals::decided_at,
            referrals::acknowledge_due_on,
            referrals::decide_due_on,
            referrals::departed_on,
            return_cases::planned_departure_on,
            referrals::held_days,
        ))
        .load(conn)?;
    for row in open {
        let clock = SlaClock {
            status: row.status,
            acknowledged: row.acknowledged_at.is_some(),
            decided: row.decided_at.is_some(),
            acknowledge_due_on: row.acknowledge_due_on,
            decide_due_on: row.decide_due_on,
            planned_departure_on: row.planned_departure_on,
            departed: row.departed_on.is_some(),
            held_days: i64::from(row.held_days),
        };
        for flag in clock.flags(today, not_departed_after_days) {
            let due_on = match flag {
                "acknowledge_overdue" => row.acknowledge_due_on,
                "decision_overdue" => row.decide_due_on,
                _ => clock.not_departed_due_on(not_departed_after_days),
            };
            items.push(WorkItem {
                kind: flag,
                due_on,
                link: format!("/return-cases/{}", row.case_id),
                client_id: row.client_id.clone(),
            });
        }
    }
    // Open, sharing under a consent that has ended: the partner sees
    // nothing it covered until a new consent or a cancellation.
    let ended: Vec<(String, String, NaiveDateTime)> = referrals::table
        .inner_join(return_cases::table)
        .filter(mine.clone())
        .filter(referrals::status.eq_any(ReferralStatus::open_statuses()))
        .select((
            return_cases::id,
            return_cases::client_id,
            referrals::consent_expired_at.assume_not_null(),
        ))
        .filter(referrals::consent_expired_at.is_not_null())
        .load(conn)?;
    items.extend(ended.into_iter().map(|(case_id, client_id, at)| WorkItem {
        kind: "consent_expired",
        due_on: at.date(),
        link: format!("/return-cases/{case_id}"),
        client_id,
    }));
    // Declined, and nothing sent elsewhere since.
    let declined: Vec<(String, String, Option<NaiveDateTime>)> = referrals::table
        .inner_join(return_cases::table)
        .filter(mine.clone())
        .filter(referrals::status.eq(ReferralStatus::Rejected.as_str()))
        .filter(not(exists(
            other_referrals
                .filter(
                    other_referrals
                        .field(referrals::return_case_id)
                        .eq(referrals::return_case_id),
                )
                .filter(
                    other_referrals
                        .field(referrals::sent_at)
                        .gt(referrals::sent_at),
                ),
        )))
        .select((
            return_cases::id,
            return_cases::client_id,
            referrals::decided_at,
        ))
        .load(conn)?;
    items.extend(
        declined
            .into_iter()
            .map(|(case_id, client_id, at)| WorkItem {
                kind: "declined",
                due_on: at.map_or(today, |at| at.date()),
                link: format!("/return-cases/{case_id}"),
                client_id,
            }),
    );
    let plans: Vec<(String, String, NaiveDateTime)> = reintegration_plans::table
        .inner_join(referrals::table.on(referrals::id.eq(reintegration_plans::referral_id)))
        .inner_join(return_cases::table.on(return_cases::id.eq(referrals::return_case_id)))
        .filter(mine.clone())
        .filter(reintegration_plans::status.eq("submitted"))
        .select((
            return_cases::id,
            return_cases::client_id,
            reintegration_plans::submitted_at,
        ))
        .load(conn)?;
    items.extend(plans.into_iter().map(|(case_id, client_id, at)| WorkItem {
        kind: "plan_waiting",
        due_on: at.date(),
        link: format!("/return-cases/{case_id}"),
        client_id,
    }));
    let checklist: Vec<(String, String, NaiveDate)> = checklist_items::table
        .inner_join(referrals::table.inner_join(return_cases::table))
        .filter(mine.clone())
        .filter(referrals::status.eq_any(ReferralStatus::open_statuses()))
        .filter(checklist_items::owner.eq("organisation"))
        .filter(checklist_items::status.eq("open"))
        .filter(checklist_items::due_on.le(today))
        .select((
            return_cases::id,
            return_cases::client_id,
            checklist_items::due_on,
        ))
        .load(conn)?;
    items.extend(
        checklist
            .into_iter()
            .map(|(case_id, client_id, due_on)| WorkItem {
                kind: "checklist_due",
                due_on,
                link: format!("/return-cases/{case_id}"),
                client_id,
            }),
    );
    let grace = crate::monitoring::store::GRACE_DAYS;
    let missed: Vec<(String, String, NaiveDate)> = monitoring_visits::table
        .inner_join(referrals::table.on(referrals::id.eq(monitoring_visits::referral_id)))
        .inner_join(return_cases::table.on(return_cases::id.eq(referrals::return_case_id)))
        .filter(mine.clone())
        .filter(referrals::status.eq(ReferralStatus::InProgress.as_str()))
        .filter(monitoring_visits::status.eq(VisitStatus::Scheduled))
        .filter(monitoring_visits::due_on.lt(today - Duration::days(grace)))
        .select((
            return_cases::id,
            return_cases::client_id,
            monitoring_visits::due_on,
        ))
        .load(conn)?;
    items.extend(
        missed
            .into_iter()
            .map(|(case_id, client_id, due_on)| WorkItem {
                kind: "monitoring_missed",
                due_on,
                link: format!("/return-cases/{case_id}"),
                client_id,
            }),
    );
    // Open sustainability alerts: revisit the plan, then mark them handled.
    let alerts: Vec<(String, String, String, NaiveDateTime)> = sustainability_alerts::table
        .inner_join(referrals::table.on(referrals::id.eq(sustainability_alerts::referral_id)))
        .inner_join(return_cases::table.on(return_cases::id.eq(referrals::return_case_id)))
        .filter(mine)
        .filter(sustainability_alerts::handled_at.is_null())
        .select((
            sustainability_alerts::id,
            return_cases::id,
            return_cases::client_id,
            sustainability_alerts::raised_at,
        ))
        .load(conn)?;
    items.extend(
        alerts
            .into_iter()
            .map(|(alert_id, case_id, client_id, at)| WorkItem {
                kind: "sustainability_alert",
                due_on: at.date(),
                link: format!("/return-cases/{case_id}#alert-{alert_id}"),
                client_id,
            }),
    );
    Ok(())
}

pub struct ShownItem {
    pub why: String,
    pub when: String,
    pub overdue: bool,
    pub who: String,
    pub link: String,
}

#[derive(Template)]
#[template(path = "work.html")]
struct WorkPage {
    l: Layout,
    items: Vec<ShownItem>,
    total: usize,
    /// Links to the pages before and after this one.
    previous: Option<usize>,
    next: Option<usize>,
}

#[derive(serde::Deserialize)]
pub struct WorkQuery {
    page: Option<usize>,
}

pub async fn home(
    ctx: Ctx,
    audit: crate::audit::AuditContext,
    query: actix_web::web::Query<WorkQuery>,
) -> HttpResponse {
    // A number too large for a page is the last page there is.
    let page_no = query.page.unwrap_or(1).clamp(1, 1_000_000);
    let staff = match ctx.staff() {
        Ok(staff) => staff.clone(),
        Err(err) => return ctx.fail(err).await,
    };
    let today = chrono::Utc::now().date_naive();
    let days = Days::of(&ctx.state.settings);
    // Each client named on the page is a read of their data, audited as
    // the API's reads are.
    let found = crate::audit::read::audited(&ctx.state.db, audit, move |conn, by| {
        let mut items = queue(conn, &staff, today, days)?;
        let total = items.len();
        items = items
            .into_iter()
            .skip((page_no - 1).saturating_mul(PER_PAGE))
            .take(PER_PAGE)
            .collect();
        let mut ids: Vec<String> = items.iter().map(|i| i.client_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let labels = crate::clients::queries::labels(conn, by, &ids, chrono::Utc::now())?;
        Ok::<_, crate::domain::CommandError>((items, total, labels))
    })
    .await;
    let (items, total, labels) = match found {
        Ok(found) => found,
        Err(err) => return ctx.fail(err.into()).await,
    };
    if let Some(session) = &ctx.session {
        remember(&session.staff.user_id, total);
    }
    let t = ctx.t;
    let shown = items
        .into_iter()
        .map(|item| ShownItem {
            why: t.code_label("work", item.kind),
            when: super::page::date(&t, item.due_on),
            overdue: item.due_on < today,
            who: labels.get(&item.client_id).cloned().unwrap_or_default(),
            link: item.link,
        })
        .collect();
    let l = ctx.layout(t.t("work-title"), "work").await;
    page::render(
        StatusCode::OK,
        &WorkPage {
            l,
            items: shown,
            total,
            previous: (page_no > 1).then(|| page_no - 1),
            next: (page_no.saturating_mul(PER_PAGE) < total).then_some(page_no + 1),
        },
    )
}
