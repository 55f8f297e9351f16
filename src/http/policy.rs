//! Enforces the access policy (`crate::auth::policy::POLICY`): finds the
//! rule for the matched route, authenticates the caller for it (failed
//! guesses throttled per address), checks the role, and hands the principal
//! to the handler.

use std::net::IpAddr;

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use tracing_actix_web::RequestId;

use super::{AppError, Problem};
use crate::auth::policy::{Access, MatchedRule, POLICY, Rule, find};
use crate::auth::store::{self, Authenticated};
use crate::auth::throttle::FailedAuthThrottle;
use crate::auth::{Principal, Staff};
use crate::db::Db;

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

/// Says no without saying which roles would do: that would map the policy
/// out for whoever holds a stolen token.
fn forbidden(rule: &Rule) -> AppError {
    Problem::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Forbidden",
        format!("Your role does not allow `{}`.", rule.operation),
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
    let (Some(db), Some(throttle)) = (
        req.app_data::<web::Data<Db>>().cloned(),
        req.app_data::<web::Data<FailedAuthThrottle>>().cloned(),
    ) else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "no database or throttle registered"
        )));
    };
    let Some(secret) = bearer(req) else {
        return Err(unauthorized("Send `Authorization: Bearer <token>`."));
    };
    let addr: Option<IpAddr> = crate::telemetry::client_ip(req.request());
    // An address over its quota is answered before the database is asked,
    // unless it presents a credential that worked lately.
    let presented = crate::auth::hash_token(&secret);
    if let Some(wait) = addr.and_then(|a| throttle.blocked(a))
        && !throttle.known_good(&presented)
    {
        return Err(too_many(wait.as_secs().max(1)));
    }
    let now = chrono::Utc::now();
    let found: Option<Authenticated> = db
        .read(move |conn| store::authenticate(conn, &secret, now).map_err(AppError::from))
        .await?;
    let fits = |principal: &Principal| {
        matches!(
            (rule.access, principal),
            (Access::Staff(_), Principal::Staff(_)) | (Access::Partner, Principal::Partner(_))
        )
    };
    let authenticated = match found {
        Some(auth) if fits(&auth.principal) => {
            throttle.worked(presented);
            auth
        }
        other => {
            // Only unknown secrets count as guesses; a real key used on the
            // wrong API is a mistake, answered 401 all the same.
            let guessed = other.is_none();
            if let Some(wait) = addr.filter(|_| guessed).and_then(|a| throttle.failed(a)) {
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
        record_denial(&db, rule, staff, req, now).await;
        return Err(forbidden(rule));
    }
    if authenticated.touch {
        // Best effort: a busy database must not fail the request itself.
        let token_id = authenticated.token_id.clone();
        let touched = db
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
    db: &Db,
    rule: &'static Rule,
    staff: &Staff,
    req: &ServiceRequest,
    now: chrono::DateTime<chrono::Utc>,
) {
    let denied = (
        staff.user_id.clone(),
        req.extensions().get::<RequestId>().map(|id| id.to_string()),
    );
    let written = db
        .write(move |conn| {
            let (user_id, request_id) = denied;
            crate::auth::commands::record_denial(conn, &user_id, rule, request_id, now)
                .map_err(AppError::from)
        })
        .await;
    if let Err(err) = written {
        tracing::warn!(error = %err, "could not audit a denied request");
    }
}
