//! The middleware in front of every portal page: finds the page's rule in
//! `crate::auth::policy::PORTAL`, settles the language (English, French,
//! Arabic), finds the portal session behind its cookie, lets a session
//! whose second factor is still due reach only the second-factor page,
//! checks the role, and lets the handler act as its partner, exactly as a
//! partner key does (`Principal::Partner`), so that the commands, audit
//! entries and events are the API's own.

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};

use crate::auth::partner_users::{self, PartnerRole};
use crate::auth::policy::{Access, MatchedRule, PORTAL, PortalWho, find_portal};
use crate::auth::portal_sessions::{self as sessions, PortalSession};
use crate::auth::{PartnerCaller, Principal};
use crate::http::AppError;
use crate::state::AppState;
use crate::web::form::FormToken;
use crate::web::i18n::{Lang, Texts};
use crate::web::page;

/// The cookie that carries a portal session (never the staff's).
pub const SESSION_COOKIE: &str = "brug_portal";

/// What the guard settled, for the handlers (`super::context::Portal`).
#[derive(Debug, Clone)]
pub struct PortalSettled {
    pub lang: Lang,
    pub session: Option<PortalSession>,
    pub insecure_cookies: bool,
}

pub async fn enforce(
    pattern: &'static str,
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(req.error_response(AppError::Internal(anyhow::anyhow!("no state"))));
    };
    let insecure = state.settings.insecure_cookies;
    let (asked_lang, asked) = Lang::among(req.request(), &Lang::PORTAL);
    // Every portal page may hold a returnee's data or a secret, on a phone
    // others may use: no cache keeps any of them.
    let finish = |res, lang| {
        let mut res = crate::web::guard::finish(res, lang, asked, insecure);
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        res
    };
    let Some(rule) = find_portal(req.method().as_str(), pattern) else {
        let allow: Vec<&str> = PORTAL
            .iter()
            .filter(|r| r.path == pattern)
            .map(|r| r.method)
            .collect();
        let mut res = page::plain(
            Texts::new(asked_lang),
            StatusCode::METHOD_NOT_ALLOWED,
            "portal-error-method-title",
            "portal-error-method-body",
        );
        if let Ok(value) = header::HeaderValue::from_str(&allow.join(", ")) {
            res.headers_mut().insert(header::ALLOW, value);
        }
        return Ok(finish(req.into_response(res), asked_lang));
    };
    req.extensions_mut().insert(MatchedRule(rule));
    let session = match find_session(&state, &req).await {
        Ok(session) => session,
        Err(err) => return Ok(finish(req.error_response(err), asked_lang)),
    };
    // A person's own language, unless they chose another here and now.
    let lang = match (&session, asked) {
        (Some(s), false) if req.cookie(crate::web::i18n::LANG_COOKIE).is_none() => {
            Lang::parse(&s.user.language).unwrap_or(asked_lang)
        }
        _ => asked_lang,
    };
    if let Access::PartnerUser(who) = rule.access {
        let Some(session) = &session else {
            let res = to_login(&req);
            return Ok(finish(req.into_response(res), lang));
        };
        if who != PortalWho::SignedIn && !session.verified {
            let res = page::see_other("/portal/second-factor");
            return Ok(finish(req.into_response(res), lang));
        }
        if who == PortalWho::Coordinator && session.user.role != PartnerRole::Coordinator {
            deny(&state, rule, session, &req).await;
            let res = page::plain(
                Texts::new(lang),
                StatusCode::FORBIDDEN,
                "portal-error-forbidden-title",
                "portal-error-forbidden-body",
            );
            return Ok(finish(req.into_response(res), lang));
        }
        if session.touch {
            let id_hash = session.id_hash.clone();
            let now = chrono::Utc::now();
            let touched = state
                .db
                .write(move |conn| sessions::touch(conn, &id_hash, now).map_err(AppError::from))
                .await;
            if let Err(err) = touched {
                tracing::warn!(error = %err, "could not record a portal session's last use");
            }
        }
        if session.verified {
            req.extensions_mut()
                .insert(Principal::Partner(PartnerCaller {
                    partner_id: session.user.partner_id.clone(),
                    key_id: format!("portal:{}", session.user.id),
                }));
        }
    }
    req.extensions_mut().insert(FormToken {
        lang,
        expected: session.as_ref().map(|s| s.csrf_token.clone()),
    });
    // A form of a signed-in person is applied once, however often it is sent.
    let once_for = session
        .as_ref()
        .filter(|_| req.method() == actix_web::http::Method::POST)
        .map(|s| s.user.id.clone());
    req.extensions_mut().insert(PortalSettled {
        lang,
        session,
        insecure_cookies: insecure,
    });
    let acted = once_for
        .clone()
        .filter(|_| rule.access != Access::Public && req.extensions().get::<Principal>().is_some())
        .map(|user_id| {
            (
                user_id,
                req.path().to_owned(),
                crate::http::caller::request_id(req.request()),
            )
        });
    let res = match once_for {
        Some(user_id) => {
            let db = state.db.clone();
            let answer = super::once::around(&user_id, db, Texts::new(lang), req, next);
            crate::web::messages::within(lang, answer).await?
        }
        None => crate::web::messages::within(lang, next.call(req)).await?,
    };
    // Who at the partner it was, beside the partner's own entry.
    let done = matches!(res.status(), StatusCode::SEE_OTHER | StatusCode::OK);
    let replayed = res.headers().contains_key(super::once::REPLAYED);
    if let (true, false, Some((user_id, path, request_id))) = (done, replayed, acted) {
        let now = chrono::Utc::now();
        let written = state
            .db
            .write(move |conn| {
                partner_users::record_act(conn, &user_id, rule.operation, &path, request_id, now)
                    .map_err(AppError::from)
            })
            .await;
        if let Err(err) = written {
            tracing::warn!(error = %err, "could not audit who sent a portal form");
        }
    }
    Ok(finish(res, lang))
}

async fn find_session(
    state: &web::Data<AppState>,
    req: &ServiceRequest,
) -> Result<Option<PortalSession>, AppError> {
    let Some(secret) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(None);
    };
    let now = chrono::Utc::now();
    state
        .db
        .read(move |conn| sessions::find(conn, &secret, now).map_err(AppError::from))
        .await
}

/// To the portal's sign-in page.
fn to_login(req: &ServiceRequest) -> HttpResponse {
    let back = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .filter(|_| req.method() == actix_web::http::Method::GET)
        .filter(|back| back != "/portal")
        .map(|back| {
            format!(
                "?{}",
                serde_urlencoded::to_string([("next", back)]).unwrap_or_default()
            )
        })
        .unwrap_or_default();
    page::see_other(&format!("/portal/login{back}"))
}

async fn deny(
    state: &web::Data<AppState>,
    rule: &'static crate::auth::policy::Rule,
    session: &PortalSession,
    req: &ServiceRequest,
) {
    let user_id = session.user.id.clone();
    let request_id = crate::http::caller::request_id(req.request());
    let now = chrono::Utc::now();
    let written = state
        .db
        .write(move |conn| {
            partner_users::record_denied(conn, &user_id, rule.operation, request_id, now)
                .map_err(AppError::from)
        })
        .await;
    if let Err(err) = written {
        tracing::warn!(error = %err, "could not audit a denied portal page");
    }
}
