//! The middleware in front of every page: finds the page's rule in the
//! access policy (`crate::auth::policy::PAGES`), settles the language, finds
//! the session behind the cookie (never a bearer token), checks the role,
//! and adds the headers every page carries.

use actix_web::body::BoxBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};

use super::i18n::{LANG_COOKIE, Lang, Texts};
use super::page;
use crate::auth::Principal;
use crate::auth::policy::{Access, MatchedRule, PAGES, Rule, find_page};
use crate::auth::sessions::{self, ActiveSession};
use crate::http::AppError;
use crate::state::AppState;

/// The cookie that carries the session id.
pub const SESSION_COOKIE: &str = "brug_session";

/// What the guard settled, for the handlers (`super::context::Ctx`).
#[derive(Debug, Clone)]
pub struct Settled {
    pub lang: Lang,
    pub session: Option<ActiveSession>,
    /// Cookies go without `Secure` (`BRUG_INSECURE_COOKIES=1`).
    pub insecure_cookies: bool,
}

/// A cookie as every cookie of the UI is made: `HttpOnly`, `SameSite=Strict`,
/// `Secure` unless the settings say otherwise, for the whole site.
pub fn cookie(name: &'static str, value: String, insecure: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(!insecure)
        .finish()
}

/// The Content-Security-Policy of every page: nothing from another host, no
/// inline script or style, no framing, forms only to Brug itself.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
                       object-src 'none'";

pub async fn enforce(
    pattern: &'static str,
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let (lang, asked) = Lang::of(req.request());
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(req.error_response(AppError::Internal(anyhow::anyhow!("no state"))));
    };
    let insecure = state.settings.insecure_cookies;
    let Some(rule) = find_page(req.method().as_str(), pattern) else {
        let allow: Vec<&str> = PAGES
            .iter()
            .filter(|r| r.path == pattern)
            .map(|r| r.method)
            .collect();
        let mut res = page::plain(
            Texts::new(lang),
            StatusCode::METHOD_NOT_ALLOWED,
            "error-method-title",
            "error-method-body",
        );
        if let Ok(value) = header::HeaderValue::from_str(&allow.join(", ")) {
            res.headers_mut().insert(header::ALLOW, value);
        }
        return Ok(finish(req.into_response(res), lang, asked, insecure));
    };
    req.extensions_mut().insert(MatchedRule(rule));
    let session = match rule.access {
        // A stylesheet or script needs no one's session: no lookup per asset.
        Access::Public if rule.operation == "web.static" => None,
        Access::Public => find_session(&state, &req).await.ok().flatten(),
        _ => match find_session(&state, &req).await {
            Ok(Some(session)) => Some(session),
            Ok(None) => {
                let res = to_login(&req);
                return Ok(finish(req.into_response(res), lang, asked, insecure));
            }
            Err(err) => return Ok(finish(req.error_response(err), lang, asked, insecure)),
        },
    };
    if let (Access::Staff(roles), Some(session)) = (rule.access, &session)
        && !session.staff.has_any(roles)
    {
        deny(&state, rule, session, &req).await;
        let res = page::plain(
            Texts::new(lang),
            StatusCode::FORBIDDEN,
            "error-forbidden-title",
            "error-forbidden-body",
        );
        return Ok(finish(req.into_response(res), lang, asked, insecure));
    }
    if let Some(session) = &session {
        if session.touch && rule.access != Access::Public {
            let id_hash = session.id_hash.clone();
            let now = chrono::Utc::now();
            let touched = state
                .db
                .write(move |conn| sessions::touch(conn, &id_hash, now).map_err(AppError::from))
                .await;
            if let Err(err) = touched {
                tracing::warn!(error = %err, "could not record a session's last use");
            }
        }
        if rule.access != Access::Public {
            req.extensions_mut()
                .insert(Principal::Staff(session.staff.clone()));
        }
    }
    // A form posted may change what waits for the person: count again
    // (a search changes nothing).
    if req.method() == actix_web::http::Method::POST
        && rule.operation != "clients.search"
        && let Some(session) = &session
    {
        super::work::forget(&session.staff.user_id);
    }
    req.extensions_mut().insert(Settled {
        lang,
        session,
        insecure_cookies: insecure,
    });
    // The handler knows its language: a refusal's messages are said in it.
    let res = super::messages::within(lang, next.call(req)).await?;
    Ok(finish(res, lang, asked, insecure))
}

async fn find_session(
    state: &web::Data<AppState>,
    req: &ServiceRequest,
) -> Result<Option<ActiveSession>, AppError> {
    let Some(secret) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(None);
    };
    let now = chrono::Utc::now();
    state
        .db
        .read(move |conn| sessions::find(conn, &secret, now).map_err(AppError::from))
        .await
}

/// To the sign-in page, and back here afterwards (a GET only: a form's
/// content is not carried through sign-in).
fn to_login(req: &ServiceRequest) -> HttpResponse {
    let back = if req.method() == actix_web::http::Method::GET {
        req.uri()
            .path_and_query()
            .map(|pq| pq.as_str().to_owned())
            .unwrap_or_else(|| "/".into())
    } else {
        "/".into()
    };
    let target = if back == "/" {
        "/login".to_owned()
    } else {
        format!(
            "/login?{}",
            serde_urlencoded::to_string([("next", back.as_str())]).unwrap_or_default()
        )
    };
    let mut res = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, target.clone()))
        .finish();
    // htmx follows a redirect inside the page; this sends the whole window.
    if req.headers().contains_key("HX-Request")
        && let Ok(value) = header::HeaderValue::from_str(&target)
    {
        res.headers_mut()
            .insert(header::HeaderName::from_static("hx-redirect"), value);
    }
    res
}

async fn deny(
    state: &web::Data<AppState>,
    rule: &'static Rule,
    session: &ActiveSession,
    req: &ServiceRequest,
) {
    let user_id = session.staff.user_id.clone();
    let request_id = crate::http::caller::request_id(req.request());
    let now = chrono::Utc::now();
    let written = state
        .db
        .write(move |conn| {
            crate::auth::commands::record_denial(conn, &user_id, rule, request_id, now)
                .map_err(AppError::from)
        })
        .await;
    if let Err(err) = written {
        tracing::warn!(error = %err, "could not audit a denied page");
    }
}

/// The headers of every page, and the language cookie when `?lang=` chose.
pub(crate) fn finish(
    mut res: ServiceResponse<BoxBody>,
    lang: Lang,
    asked: bool,
    insecure: bool,
) -> ServiceResponse<BoxBody> {
    let headers = res.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        headers.insert(name, header::HeaderValue::from_static(value));
    }
    if asked {
        let cookie = cookie(LANG_COOKIE, lang.code().to_owned(), insecure);
        if let Err(err) = res.response_mut().add_cookie(&cookie) {
            tracing::warn!(error = %err, "could not set the language cookie");
        }
    }
    res
}
