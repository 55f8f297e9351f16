//! What an idempotent replay sends back. No response body is kept under an
//! `Idempotency-Key` (it would hold personal data for days, and show it again
//! after consent was withdrawn): only the status, Location and the resource
//! the first request created or changed. A replay renders that resource
//! afresh by running the very `GET` that shows it, as the same caller, so
//! that today's consent and access rules apply and the read is audited like
//! any other. [`REPLAYS`] names, for every `POST`, the `GET` that renders
//! its resource; a `POST` whose resource has no such read answers its
//! status with ids only.

use std::collections::HashMap;
use std::rc::Rc;

use actix_web::body::BoxBody;
use actix_web::dev::Payload;
use actix_web::{FromRequest, Handler, HttpRequest, HttpResponse, Responder};
use futures_util::future::LocalBoxFuture;

use crate::auth::Principal;
use crate::auth::policy::{Access, Rule, find};

/// How a `POST`'s resource is shown again on a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replay {
    /// The `POST` route, as registered.
    pub post: &'static str,
    /// What it creates or changes (kept beside the id).
    pub kind: &'static str,
    /// The `GET` route (with one `{id}`) that shows it, if there is one.
    pub get: Option<&'static str>,
}

const fn replay(post: &'static str, kind: &'static str, get: Option<&'static str>) -> Replay {
    Replay { post, kind, get }
}

/// Every `POST` of the service (a test holds it to the route list). The id
/// is the `id` of the first response's body.
#[rustfmt::skip]
pub const REPLAYS: &[Replay] = &[
    replay("/api/v1/clients",                      "client",       Some("/api/v1/clients/{id}")),
    replay("/api/v1/households",                   "household",    Some("/api/v1/households/{id}")),
    replay("/api/v1/clients/{id}/talks",           "talk",         Some("/api/v1/talks/{id}")),
    replay("/api/v1/clients/{id}/consents",        "consent",      None),
    replay("/api/v1/consents/{id}/withdraw",       "consent",      None),
    replay("/api/v1/return-cases",                 "return_case",  Some("/api/v1/return-cases/{id}")),
    replay("/api/v1/return-cases/{id}/departure",  "referral",     None),
    replay("/api/v1/clients/{id}/assign",          "client",       None),
    replay("/api/v1/return-cases/{id}/assign",     "return_case",  None),
    replay("/api/v1/assignments",                  "caseload",     None),
    replay("/api/v1/return-cases/{id}/referrals",  "referral",     None),
    replay("/api/v1/referrals/{id}/cancel",        "referral",     None),
    replay("/api/v1/referrals/{id}/reintegration-plan/approve", "plan", None),
    replay("/api/v1/referrals/{id}/reintegration-plan/reject",  "plan", None),
    replay("/partner/v1/referrals/{id}/acknowledge", "referral",   Some("/partner/v1/referrals/{id}")),
    replay("/partner/v1/referrals/{id}/accept",      "referral",   Some("/partner/v1/referrals/{id}")),
    replay("/partner/v1/referrals/{id}/decline",     "referral",   Some("/partner/v1/referrals/{id}")),
    replay("/partner/v1/referrals/{id}/hold",        "referral",   Some("/partner/v1/referrals/{id}")),
    replay("/partner/v1/referrals/{id}/resume",      "referral",   Some("/partner/v1/referrals/{id}")),
    replay("/partner/v1/referrals/{id}/arrival",     "referral",   Some("/partner/v1/referrals/{id}")),
    replay("/partner/v1/referrals/{id}/close",       "referral",   Some("/partner/v1/referrals/{id}")),
    replay("/partner/v1/referrals/{id}/reintegration-plan", "plan", None),
    replay("/partner/v1/referrals/{id}/checklist-items/{item_id}/complete", "checklist_item", None),
    replay("/partner/v1/referrals/{id}/monitoring",  "monitoring_visit", None),
    replay("/partner/v1/webhook/test",               "webhook_test", None),
];

/// The entry for a `POST` route.
pub fn for_post(path: &str) -> Option<&'static Replay> {
    REPLAYS.iter().find(|r| r.post == path)
}

/// Runs a `GET` handler on a request: its extractors, its body.
pub type Render = Rc<dyn Fn(HttpRequest) -> LocalBoxFuture<'static, HttpResponse<BoxBody>>>;

/// A [`Render`] of a handler, built beside its route.
pub fn renderer<F, Args>(handler: F) -> Render
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    Rc::new(move |req: HttpRequest| {
        let handler = handler.clone();
        Box::pin(async move {
            match Args::from_request(&req, &mut Payload::None).await {
                Ok(args) => handler
                    .call(args)
                    .await
                    .respond_to(&req)
                    .map_into_boxed_body(),
                Err(err) => HttpResponse::from_error(err.into()),
            }
        })
    })
}

/// What the idempotency middleware of one `POST` resource needs.
#[derive(Clone)]
pub struct Target {
    pub kind: &'static str,
    /// The `GET` that renders the resource, its rule and its handler.
    pub read: Option<(&'static Rule, Render)>,
}

impl Target {
    /// The target of a `POST` route, given the renderers of every `GET`.
    pub fn of(post: &str, gets: &HashMap<&'static str, Render>) -> Option<Self> {
        let entry = for_post(post)?;
        let read = entry.get.and_then(|get| {
            let rule = find("GET", get)?;
            Some((rule, gets.get(get)?.clone()))
        });
        Some(Self {
            kind: entry.kind,
            read,
        })
    }
}

/// May this caller use that read at all (its role, its side of the API)?
pub fn may_read(rule: &Rule, principal: Option<&Principal>) -> bool {
    match (rule.access, principal) {
        (Access::Public, _) => true,
        (Access::Staff(roles), Some(Principal::Staff(staff))) => staff.has_any(roles),
        (Access::Partner, Some(Principal::Partner(_))) => true,
        _ => false,
    }
}
