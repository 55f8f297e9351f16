//! The inbox: the partner's open referrals, newest first, each with what is
//! due and by when; for a coordinator, the drafts waiting for sign-off.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{NaiveDate, Utc};

use super::context::Portal;
use super::page::PortalLayout;
use crate::audit::AuditContext;
use crate::auth::partner_users::PartnerRole;
use crate::http::AppError;
use crate::referrals::queries;
use crate::referrals::store::partner_view::PartnerReferralView;
use crate::referrals::{ChecklistOwner, ChecklistStatus, ReferralStatus};
use crate::web::i18n::Texts;
use crate::web::page;

/// How many referrals the inbox shows at once.
const SHOWN: i64 = 100;

/// One thing due on a referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The text key of what is due, and its argument (a task's label).
    pub what: &'static str,
    pub detail: Option<String>,
    pub by: Option<NaiveDate>,
    pub late: bool,
}

impl Due {
    fn new(what: &'static str, by: Option<NaiveDate>, today: NaiveDate) -> Self {
        Self {
            what,
            detail: None,
            by,
            late: by.is_some_and(|d| d < today),
        }
    }
}

/// What the partner has to do on a referral now, earliest first. Pure, so
/// that it is tested on its own.
pub fn due(view: &PartnerReferralView, today: NaiveDate) -> Vec<Due> {
    let mut due = Vec::new();
    match view.status {
        ReferralStatus::Requested => due.push(Due::new(
            "portal-due-acknowledge",
            Some(view.acknowledge_due_on),
            today,
        )),
        ReferralStatus::Received => due.push(Due::new(
            "portal-due-decide",
            Some(view.decide_due_on),
            today,
        )),
        ReferralStatus::Accepted => {
            for item in &view.checklist {
                if item.owner == ChecklistOwner::Partner && item.status == ChecklistStatus::Open {
                    let mut task = Due::new("portal-due-task", item.due_on, today);
                    task.detail = Some(item.kind.clone());
                    due.push(task);
                }
            }
            if view.reintegration_plan.is_none() {
                due.push(Due::new("portal-due-plan", None, today));
            }
        }
        ReferralStatus::InProgress => {
            if view.arrived_on.is_none() {
                due.push(Due::new("portal-due-arrival", None, today));
            }
            match &view.reintegration_plan {
                None => due.push(Due::new("portal-due-plan", None, today)),
                Some(plan) if plan.status == crate::referrals::plan::PlanStatus::Returned => {
                    due.push(Due::new("portal-due-plan-returned", None, today))
                }
                Some(_) => {}
            }
            for visit in &view.monitoring_visits {
                if visit.status != "done" && view.arrived_on.is_some() {
                    due.push(Due::new("portal-due-visit", Some(visit.due_on), today));
                }
                // An open sustainability alert: talk the plan over with the caseworker.
                if visit.alert.as_ref().is_some_and(|a| a.handled_at.is_none()) {
                    due.push(Due::new("portal-due-alert", None, today));
                }
            }
        }
        ReferralStatus::OnHold => {
            if let Some(hold) = &view.on_hold {
                due.push(Due::new("portal-due-review", Some(hold.review_on), today));
            }
        }
        _ => {}
    }
    due.sort_by_key(|d| d.by.unwrap_or(NaiveDate::MAX));
    due
}

/// A referral in the inbox, ready to show.
pub struct Row {
    pub id: String,
    pub reference: String,
    pub country: String,
    pub status: String,
    pub sent_on: String,
    pub due: Vec<(String, Option<String>, bool)>,
}

/// A draft waiting for a coordinator.
pub struct Waiting {
    pub referral_id: String,
    pub what: String,
    pub by: String,
    pub on: String,
}

#[derive(Template)]
#[template(path = "portal/inbox.html")]
struct InboxPage {
    l: PortalLayout,
    rows: Vec<Row>,
    waiting: Vec<Waiting>,
    closed: bool,
}

#[derive(serde::Deserialize)]
pub struct InboxQuery {
    closed: Option<String>,
}

pub fn row_of(t: &Texts, view: &PartnerReferralView, today: NaiveDate) -> Row {
    let reference = view
        .client
        .get("reference")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned();
    Row {
        id: view.id.clone(),
        reference,
        country: page::country_name(&view.destination_country),
        status: t.code_label("portal-status", view.status.as_str()),
        sent_on: page::date(t, view.sent_at.date()),
        due: due(view, today)
            .into_iter()
            .map(|d| {
                let what = match &d.detail {
                    Some(kind) => t.t1(d.what, "task", t.code_label("portal-task", kind)),
                    None => t.t(d.what),
                };
                let by =
                    d.by.map(|day| t.t1("portal-due-by", "date", page::date(t, day)));
                (what, by, d.late)
            })
            .collect(),
    }
}

pub async fn show(
    portal: Portal,
    audit: AuditContext,
    query: web::Query<InboxQuery>,
) -> HttpResponse {
    let closed = query.closed.is_some();
    let (partner, coordinator) = match portal.session() {
        Ok(s) => (
            s.user.partner_id.clone(),
            s.user.role == PartnerRole::Coordinator,
        ),
        Err(err) => return portal.fail(err),
    };
    let now = Utc::now();
    let mine = partner.clone();
    let views = crate::audit::read::audited(&portal.state.db, audit, move |conn, by| {
        queries::partner_inbox(conn, by, &mine, closed, SHOWN, now)
    })
    .await;
    let views = match views {
        Ok(views) => views,
        Err(err) => return portal.fail(AppError::from(err)),
    };
    let drafts = if coordinator && !closed {
        portal
            .state
            .db
            .read(move |conn| {
                crate::referrals::store::drafts::waiting(conn, &partner).map_err(AppError::from)
            })
            .await
    } else {
        Ok(Vec::new())
    };
    let drafts = match drafts {
        Ok(drafts) => drafts,
        Err(err) => return portal.fail(err),
    };
    let t = portal.t;
    let today = now.date_naive();
    let body = InboxPage {
        l: portal.layout(t.t("portal-inbox-title"), "inbox"),
        rows: views.iter().map(|v| row_of(&t, v, today)).collect(),
        waiting: drafts
            .iter()
            .map(|d| Waiting {
                referral_id: d.referral_id.clone(),
                what: t.code_label("portal-draft", d.kind.as_str()),
                by: d.drafted_by_email.clone(),
                on: page::date(&t, d.drafted_at.date()),
            })
            .collect(),
        closed,
    };
    page::render(StatusCode::OK, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn view(status: ReferralStatus) -> PartnerReferralView {
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).expect("date");
        PartnerReferralView {
            id: "r1".into(),
            status,
            sent_at: day(1).and_hms_opt(9, 0, 0).expect("time"),
            acknowledge_due_on: day(3),
            decide_due_on: day(13),
            destination_country: "GH".into(),
            destination_region: None,
            planned_departure_on: None,
            departed_on: None,
            arrived_on: None,
            shared_categories: Vec::new(),
            client: Map::new(),
            checklist: Vec::new(),
            monitoring_visits: Vec::new(),
            reintegration_plan: None,
            outcome: None,
            status_reason: None,
            on_hold: None,
            history: Vec::new(),
        }
    }

    #[test]
    fn what_is_due_follows_the_status_and_is_late_after_its_day() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).expect("date");
        let requested = due(&view(ReferralStatus::Requested), day(3));
        assert_eq!(
            requested,
            [Due::new("portal-due-acknowledge", Some(day(3)), day(3))]
        );
        assert!(!requested[0].late, "due today is not late");
        let late = due(&view(ReferralStatus::Requested), day(4));
        assert!(late[0].late);
        let received = due(&view(ReferralStatus::Received), day(4));
        assert_eq!(received[0].what, "portal-due-decide");
        assert_eq!(received[0].by, Some(day(13)));
        let departed = due(&view(ReferralStatus::InProgress), day(4));
        let whats: Vec<_> = departed.iter().map(|d| d.what).collect();
        assert_eq!(whats, ["portal-due-arrival", "portal-due-plan"]);
        assert!(due(&view(ReferralStatus::Completed), day(4)).is_empty());
    }
}
