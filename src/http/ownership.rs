//! A partner's writes to a referral: the referral must be its own before
//! anything else is done with the request, its body above all, so that a
//! partner cannot make the server parse bodies aimed at another partner's
//! referral (nor learn from a 422 that it exists). Not its own: 404.

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use super::AppError;
use crate::audit::{Actor, AuditContext};
use crate::auth::Principal;
use crate::db::Db;

/// The routes it guards: a partner's steps on one referral.
pub const GUARDED: &str = "/partner/v1/referrals/{id}/";

/// Whether the route of `pattern` is guarded.
pub fn guards(pattern: &str) -> bool {
    pattern.starts_with(GUARDED)
}

/// The middleware, mounted inside the access policy on every route; it
/// acts on the `guarded` ones.
pub async fn own_referral(
    guarded: bool,
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !guarded || req.method() != Method::POST {
        return next.call(req).await;
    }
    let partner = match req.extensions().get::<Principal>() {
        Some(Principal::Partner(partner)) => Some(partner.partner_id.clone()),
        _ => None,
    };
    let (Some(partner), Some(id), Some(db)) = (
        partner,
        req.match_info().get("id").map(str::to_owned),
        req.app_data::<web::Data<Db>>().cloned(),
    ) else {
        return next.call(req).await;
    };
    let operation = req
        .extensions()
        .get::<crate::auth::policy::MatchedRule>()
        .map(|rule| rule.0.operation)
        .unwrap_or("unknown");
    let request_id = req
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .map(|id| id.to_string());
    let audit = AuditContext::new(Actor::partner(&partner), operation, request_id);
    // Through the audited read: another partner's referral is recorded as a
    // refused attempt, its own is not a read (nothing is shown).
    let owned = crate::audit::read::audited(&db, audit, move |conn, by| {
        crate::referrals::store::own(conn, by, &id, &partner, chrono::Utc::now())
            .map(|_| ())
            .map_err(AppError::from)
    })
    .await;
    match owned {
        Ok(()) => next.call(req).await,
        Err(err) => Ok(req.error_response(err)),
    }
}
