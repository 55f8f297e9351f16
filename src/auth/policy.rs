//! The access policy: one table from operation (method and path) to who may
//! use it, enforced by one middleware that `http::register` mounts on every
//! route. A route missing from the table is refused (and a test fails), so
//! nothing is reachable by accident.

use std::net::IpAddr;

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use tracing_actix_web::RequestId;

use super::store::{self, Authenticated};
use super::{Principal, Role, Staff};
use crate::audit::store as audit_store;
use crate::audit::{Actor, NewEntry};
use crate::http::{AppError, Problem};
use crate::startup::AppState;

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: health checks and documentation.
    Public,
    /// Staff with any of these roles (`/api/v1`).
    Staff(&'static [Role]),
    /// A partner organisation's key (`/partner/v1`); the handler limits it
    /// to the partner's own data.
    Partner,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The operation's name in the audit log.
    pub operation: &'static str,
    pub method: &'static str,
    /// The route pattern, exactly as registered.
    pub path: &'static str,
    pub access: Access,
}

const ALL_STAFF: &[Role] = &[Role::Counsellor, Role::Caseworker, Role::Lead, Role::Admin];
const ADMIN: &[Role] = &[Role::Admin];
/// Who works with clients' records: never leads (aggregates only).
const CLIENT_STAFF: &[Role] = &[Role::Counsellor, Role::Caseworker];
const COUNSELLOR: &[Role] = &[Role::Counsellor];
const CASEWORKER: &[Role] = &[Role::Caseworker];
const LEAD_ADMIN: &[Role] = &[Role::Lead, Role::Admin];
const LEAD_CASEWORKER: &[Role] = &[Role::Lead, Role::Caseworker];

const fn rule(
    operation: &'static str,
    method: &'static str,
    path: &'static str,
    access: Access,
) -> Rule {
    Rule {
        operation,
        method,
        path,
        access,
    }
}

/// The whole policy, one line per operation. Keep it sorted by path.
#[rustfmt::skip]
pub const POLICY: &[Rule] = &[
    rule("health.live",       "GET",   "/healthz",                        Access::Public),
    rule("health.ready",      "GET",   "/readyz",                         Access::Public),
    rule("docs.page",         "GET",   "/api/docs",                       Access::Public),
    rule("docs.openapi",      "GET",   "/api/openapi.json",               Access::Public),
    rule("audit.list",        "GET",   "/api/v1/audit",                   Access::Staff(ADMIN)),
    rule("clients.create",    "POST",  "/api/v1/clients",                 Access::Staff(CLIENT_STAFF)),
    rule("clients.search",    "GET",   "/api/v1/clients",                 Access::Staff(CLIENT_STAFF)),
    rule("clients.get",       "GET",   "/api/v1/clients/{id}",            Access::Staff(CLIENT_STAFF)),
    rule("consents.create",   "POST",  "/api/v1/clients/{id}/consents",   Access::Staff(CLIENT_STAFF)),
    rule("consents.list",     "GET",   "/api/v1/clients/{id}/consents",   Access::Staff(CLIENT_STAFF)),
    rule("talks.create",      "POST",  "/api/v1/clients/{id}/talks",      Access::Staff(COUNSELLOR)),
    rule("checklist.update",  "PATCH", "/api/v1/checklist-items/{id}",    Access::Staff(CASEWORKER)),
    rule("talks.list",        "GET",   "/api/v1/clients/{id}/talks",      Access::Staff(CLIENT_STAFF)),
    rule("consents.withdraw", "POST",  "/api/v1/consents/{id}/withdraw",  Access::Staff(CLIENT_STAFF)),
    rule("households.create", "POST",  "/api/v1/households",              Access::Staff(CLIENT_STAFF)),
    rule("households.get",    "GET",   "/api/v1/households/{id}",         Access::Staff(CLIENT_STAFF)),
    rule("me.get",            "GET",   "/api/v1/me",                      Access::Staff(ALL_STAFF)),
    rule("partners.list",     "GET",   "/api/v1/partners",                Access::Staff(ALL_STAFF)),
    rule("partners.get",      "GET",   "/api/v1/partners/{id}",           Access::Staff(ALL_STAFF)),
    rule("referrals.cancel",  "POST",  "/api/v1/referrals/{id}/cancel",   Access::Staff(CASEWORKER)),
    rule("reports.amif",      "GET",   "/api/v1/reports/amif",            Access::Staff(LEAD_ADMIN)),
    rule("reports.funnel",    "GET",   "/api/v1/reports/funnel",          Access::Staff(LEAD_ADMIN)),
    rule("reports.overdue",   "GET",   "/api/v1/reports/overdue",         Access::Staff(LEAD_CASEWORKER)),
    rule("reports.partners",  "GET",   "/api/v1/reports/partners",        Access::Staff(LEAD_ADMIN)),
    rule("reports.sustainability", "GET", "/api/v1/reports/sustainability", Access::Staff(LEAD_ADMIN)),
    rule("plans.approve",     "POST",  "/api/v1/referrals/{id}/reintegration-plan/approve", Access::Staff(CASEWORKER)),
    rule("plans.reject",      "POST",  "/api/v1/referrals/{id}/reintegration-plan/reject",  Access::Staff(CASEWORKER)),
    rule("cases.open",        "POST",  "/api/v1/return-cases",            Access::Staff(CASEWORKER)),
    rule("cases.get",         "GET",   "/api/v1/return-cases/{id}",       Access::Staff(CASEWORKER)),
    rule("checklist.get",     "GET",   "/api/v1/return-cases/{id}/checklist", Access::Staff(CASEWORKER)),
    rule("cases.depart",      "POST",  "/api/v1/return-cases/{id}/departure", Access::Staff(CASEWORKER)),
    rule("cases.matches",     "GET",   "/api/v1/return-cases/{id}/partner-matches", Access::Staff(CASEWORKER)),
    rule("referrals.send",    "POST",  "/api/v1/return-cases/{id}/referrals", Access::Staff(CASEWORKER)),
    rule("talks.get",         "GET",   "/api/v1/talks/{id}",              Access::Staff(CLIENT_STAFF)),
    rule("talks.amend",       "PATCH", "/api/v1/talks/{id}",              Access::Staff(COUNSELLOR)),
    rule("partner.events",    "GET",   "/partner/v1/events",              Access::Partner),
    rule("partner.me",        "GET",   "/partner/v1/me",                  Access::Partner),
    rule("partner.webhook.get",  "GET",  "/partner/v1/webhook",           Access::Partner),
    rule("partner.webhook.set",  "PUT",  "/partner/v1/webhook",           Access::Partner),
    rule("partner.webhook.test", "POST", "/partner/v1/webhook/test",      Access::Partner),
    rule("partner.monitoring_model", "GET", "/partner/v1/monitoring-model", Access::Partner),
    rule("partner.referrals.list", "GET", "/partner/v1/referrals",        Access::Partner),
    rule("partner.referrals.get",  "GET", "/partner/v1/referrals/{id}",   Access::Partner),
    rule("partner.referrals.acknowledge", "POST", "/partner/v1/referrals/{id}/acknowledge", Access::Partner),
    rule("partner.referrals.accept",  "POST", "/partner/v1/referrals/{id}/accept",  Access::Partner),
    rule("partner.referrals.decline", "POST", "/partner/v1/referrals/{id}/decline", Access::Partner),
    rule("partner.checklist.complete", "POST", "/partner/v1/referrals/{id}/checklist-items/{item_id}/complete", Access::Partner),
    rule("partner.referrals.arrival", "POST", "/partner/v1/referrals/{id}/arrival", Access::Partner),
    rule("partner.plans.submit", "POST", "/partner/v1/referrals/{id}/reintegration-plan", Access::Partner),
    rule("partner.monitoring.report", "POST", "/partner/v1/referrals/{id}/monitoring", Access::Partner),
    rule("partner.referrals.close", "POST", "/partner/v1/referrals/{id}/close", Access::Partner),
];

/// Paths under these prefixes must each be in [`POLICY`].
pub const GUARDED_PREFIXES: &[&str] = &["/api/", "/partner/"];

pub fn find(method: &str, path: &str) -> Option<&'static Rule> {
    POLICY.iter().find(|r| r.method == method && r.path == path)
}

pub fn unauthorized(detail: &str) -> AppError {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Unauthorized",
        detail,
    )
    .with_header(header::WWW_AUTHENTICATE, "Bearer realm=\"brug\"")
    .into()
}

fn forbidden(rule: &Rule) -> AppError {
    let roles = match rule.access {
        Access::Staff(roles) => roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    };
    Problem::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Forbidden",
        format!("`{}` is for: {roles}.", rule.operation),
    )
    .into()
}

fn too_many(wait_secs: u64) -> AppError {
    Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too-many-failed-logins",
        "Too Many Requests",
        "Too many failed authentication attempts from this address; try again later.",
    )
    .with_header(header::RETRY_AFTER, wait_secs.max(1).to_string())
    .with_header(header::WWW_AUTHENTICATE, "Bearer realm=\"brug\"")
    .into()
}

fn bearer(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// The rule that let a request in, for the handlers' audit entries.
#[derive(Debug, Clone, Copy)]
pub struct MatchedRule(pub &'static Rule);

/// The middleware, mounted on every API resource with the resource's own
/// pattern (so that it judges exactly the route that will run, however the
/// path was spelled): finds the rule, authenticates the caller for it,
/// checks the role, and hands the principal to the handler.
pub async fn enforce(
    pattern: &'static str,
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let rule = match find(req.method().as_str(), pattern) {
        Some(rule) => rule,
        // Another method of a known route: the resource answers 405.
        None if POLICY.iter().any(|r| r.path == pattern) => return next.call(req).await,
        None => {
            tracing::error!(%pattern, method = %req.method(), "route is not in the access policy; refused");
            return Ok(
                req.error_response(AppError::from(Problem::for_status(StatusCode::FORBIDDEN)))
            );
        }
    };
    req.extensions_mut().insert(MatchedRule(rule));
    match check(rule, &req).await {
        Ok(Some(principal)) => {
            req.extensions_mut().insert(principal);
            next.call(req).await
        }
        Ok(None) => next.call(req).await,
        Err(err) => Ok(req.error_response(err)),
    }
}

/// `Ok(None)` for public operations.
async fn check(rule: &'static Rule, req: &ServiceRequest) -> Result<Option<Principal>, AppError> {
    if rule.access == Access::Public {
        return Ok(None);
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(AppError::Internal(anyhow::anyhow!("no application state")));
    };
    let Some(secret) = bearer(req) else {
        return Err(unauthorized("Send `Authorization: Bearer <token>`."));
    };
    let addr: Option<IpAddr> = req.peer_addr().map(|a| a.ip());
    let now = chrono::Utc::now();
    let found: Option<Authenticated> = state
        .db
        .read(move |conn| store::authenticate(conn, &secret, now).map_err(AppError::from))
        .await?;
    let fits = |principal: &Principal| {
        matches!(
            (rule.access, principal),
            (Access::Staff(_), Principal::Staff(_)) | (Access::Partner, Principal::Partner(_))
        )
    };
    let authenticated = match found {
        Some(auth) if fits(&auth.principal) => auth,
        other => {
            // Only unknown secrets count as guesses; a real key used on the
            // wrong API is a mistake, answered 401 all the same.
            let guessed = other.is_none();
            if let Some(wait) = addr
                .filter(|_| guessed)
                .and_then(|a| state.throttle.failed(a))
            {
                tracing::warn!(addr = ?addr, "failed authentication throttled");
                return Err(too_many(wait.as_secs().max(1)));
            }
            let detail = match rule.access {
                Access::Partner => "This needs a valid partner key (brug_pk_...).",
                _ => "This needs a valid staff token (brug_st_...).",
            };
            return Err(unauthorized(detail));
        }
    };
    if let (Access::Staff(roles), Principal::Staff(staff)) = (rule.access, &authenticated.principal)
        && !staff.has_any(roles)
    {
        record_denial(&state, rule, staff, req, now).await;
        return Err(forbidden(rule));
    }
    if authenticated.touch {
        // Best effort: a busy database must not fail the request itself.
        let token_id = authenticated.token_id.clone();
        let touched = state
            .db
            .write(move |conn| store::touch(conn, &token_id, now).map_err(AppError::from))
            .await;
        if let Err(err) = touched {
            tracing::warn!(error = %err, "could not record when a token was last used");
        }
    }
    Ok(Some(authenticated.principal))
}

/// A refused attempt is worth a trace in the audit log.
async fn record_denial(
    state: &AppState,
    rule: &'static Rule,
    staff: &Staff,
    req: &ServiceRequest,
    now: chrono::DateTime<chrono::Utc>,
) {
    let entry = NewEntry::new(
        Actor::staff(&staff.user_id),
        rule.operation,
        "route",
        rule.path,
    )
    .request(req.extensions().get::<RequestId>().map(|id| id.to_string()))
    .outcome("denied");
    let written = state
        .db
        .write(move |conn| {
            audit_store::append(conn, entry, now)
                .map(|_| ())
                .map_err(AppError::from)
        })
        .await;
    if let Err(err) = written {
        tracing::warn!(error = %err, "could not audit a denied request");
    }
}

/// The request id the tracing middleware gave this request, for the audit log.
pub fn request_id(req: &actix_web::HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(|id| id.to_string())
}
