//! Who is calling, for the handlers: the staff user or partner that the
//! access policy let in (`crate::http::policy`), and the [`AuditContext`]
//! that commands stamp their audit entries with.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use tracing_actix_web::RequestId;

use super::AppError;
use super::policy::unauthorized;
use crate::audit::{Actor, AuditContext};
use crate::auth::policy::MatchedRule;
use crate::auth::{PartnerCaller, Principal, Staff};

/// The request id the tracing middleware gave this request, for the audit log.
pub fn request_id(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(|id| id.to_string())
}

impl FromRequest for Staff {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.extensions().get::<Principal>() {
            Some(Principal::Staff(staff)) => Ok(staff.clone()),
            _ => Err(unauthorized("A staff token is required.")),
        })
    }
}

impl FromRequest for PartnerCaller {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.extensions().get::<Principal>() {
            Some(Principal::Partner(partner)) => Ok(partner.clone()),
            _ => Err(unauthorized("A partner key is required.")),
        })
    }
}

impl FromRequest for AuditContext {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let actor = match req.extensions().get::<Principal>() {
            Some(Principal::Staff(staff)) => Actor::staff(&staff.user_id),
            Some(Principal::Partner(partner)) => Actor::partner(&partner.partner_id),
            None => return ready(Err(unauthorized("Authentication is required."))),
        };
        let operation = req
            .extensions()
            .get::<MatchedRule>()
            .map(|rule| rule.0.operation)
            .unwrap_or("unknown");
        ready(Ok(AuditContext::new(actor, operation, request_id(req))))
    }
}
