//! The mail outbox: which email notification goes to whom, queued in the
//! same transaction as the change it tells of. People at a partner hear of
//! a new referral, a cancellation, a returned plan, a monitoring visit due
//! and a draft waiting for sign-off; a caseworker of a plan to approve. A
//! queued mail holds ids, a reference and a count, never personal data; the
//! address is looked up when it is sent (`crate::mailer`). Nothing is
//! queued on an instance without `smtp_url` ([`deferred::Seal::mails`]).

pub mod store;

use chrono::{DateTime, Utc};

use crate::auth::partner_users::PartnerRole;
use crate::db::{DbConn, DbError, deferred};
use crate::domain::text_enum;

text_enum! {
    /// What a mail tells of.
    pub enum MailKind {
        /// A partner received a new referral.
        ReferralRequested => "referral_requested",
        /// A referral to the partner was cancelled.
        ReferralCancelled => "referral_cancelled",
        /// The staff returned the partner's reintegration plan.
        PlanReturned => "plan_returned",
        /// A monitoring visit has fallen due.
        MonitoringDue => "monitoring_due",
        /// A focal point's draft waits for a coordinator's sign-off.
        DraftWaiting => "draft_waiting",
        /// A partner submitted a reintegration plan for the caseworker to approve.
        PlanToApprove => "plan_to_approve",
    }
}

text_enum! {
    /// Who a mail goes to: a staff user or a person at a partner.
    pub enum RecipientKind {
        Staff => "staff",
        PartnerUser => "partner_user",
    }
}

impl MailKind {
    /// The partner's users' mail for an event, if it is one they are told of.
    pub fn for_partner_event(event_type: &str) -> Option<Self> {
        match event_type {
            "referral.requested" => Some(Self::ReferralRequested),
            "referral.cancelled" => Some(Self::ReferralCancelled),
            "reintegration_plan.returned" => Some(Self::PlanReturned),
            "monitoring.due" => Some(Self::MonitoringDue),
            _ => None,
        }
    }

    /// The staff's mail for an event, if the case's caseworker is told of it.
    pub fn for_staff_event(event_type: &str) -> Option<Self> {
        match event_type {
            "reintegration_plan.submitted" => Some(Self::PlanToApprove),
            _ => None,
        }
    }
}

/// Where a person at a partner opens a referral.
pub fn portal_link(referral_id: &str) -> String {
    format!("/portal/referrals/{referral_id}")
}

/// Where the staff open a return case.
pub fn case_link(case_id: &str) -> String {
    format!("/return-cases/{case_id}")
}

/// Queues the mails an event calls for: to every opted-in person at the
/// partner, or to the case's caseworker. Run where the event is written,
/// at the end of its transaction, and only when this instance mails (the
/// assembly hands it to the database handle: [`deferred::Seal::with_mail`]).
pub fn enqueue_for_event(
    conn: &mut DbConn,
    event_type: &str,
    partner_id: &str,
    referral_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    let Some(referral_id) = referral_id else {
        return Ok(0);
    };
    if let Some(kind) = MailKind::for_partner_event(event_type) {
        return store::enqueue_partner_users(
            conn,
            partner_id,
            (None, None),
            kind,
            referral_id,
            now,
        );
    }
    if let Some(kind) = MailKind::for_staff_event(event_type) {
        return store::enqueue_caseworker(conn, kind, referral_id, now);
    }
    Ok(0)
}

/// Tells the people at a partner (those of `role` only, when given) that
/// something about a referral waits for them, such as a draft waiting for
/// a coordinator's sign-off ([`MailKind::DraftWaiting`]). Called inside the
/// caller's write transaction; the mails are queued at its end, with it,
/// and only when this instance mails.
pub fn notify_partner_users(
    conn: &mut DbConn,
    partner_id: &str,
    role: Option<PartnerRole>,
    kind: MailKind,
    referral_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    notify_colleagues(conn, partner_id, role, kind, referral_id, None, now)
}

/// As [`notify_partner_users`], leaving out one person (who did the thing
/// the others are told of: a coordinator's own draft).
pub fn notify_colleagues(
    conn: &mut DbConn,
    partner_id: &str,
    role: Option<PartnerRole>,
    kind: MailKind,
    referral_id: &str,
    except: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let _ = conn;
    let partner_id = partner_id.to_owned();
    let referral_id = referral_id.to_owned();
    let except = except.map(str::to_owned);
    deferred::defer(Box::new(move |conn, seal| {
        if seal.mails() {
            let who = (role, except.as_deref());
            store::enqueue_partner_users(conn, &partner_id, who, kind, &referral_id, now)?;
        }
        Ok(())
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_events_a_partner_or_a_caseworker_hears_of_by_mail() {
        assert_eq!(
            MailKind::for_partner_event("referral.requested"),
            Some(MailKind::ReferralRequested)
        );
        assert_eq!(
            MailKind::for_partner_event("monitoring.due"),
            Some(MailKind::MonitoringDue)
        );
        assert_eq!(MailKind::for_partner_event("referral.accepted"), None);
        assert_eq!(
            MailKind::for_staff_event("reintegration_plan.submitted"),
            Some(MailKind::PlanToApprove)
        );
        assert_eq!(MailKind::for_staff_event("referral.requested"), None);
        assert_eq!(portal_link("r1"), "/portal/referrals/r1");
        assert_eq!(case_link("c1"), "/return-cases/c1");
    }
}
