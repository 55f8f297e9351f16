//! What every portal handler takes: the language, the session, the state,
//! and the layout built from them.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};

use super::guard::PortalSettled;
use super::page::{self, PortalLayout, PortalNav};
use crate::auth::portal_sessions::PortalSession;
use crate::http::AppError;
use crate::state::AppState;
use crate::web::i18n::{Lang, Texts};

pub struct Portal {
    pub t: Texts,
    pub session: Option<PortalSession>,
    pub path: String,
    pub insecure_cookies: bool,
    pub state: web::Data<AppState>,
}

impl FromRequest for Portal {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let settled = req.extensions().get::<PortalSettled>().cloned();
        let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
            return ready(Err(AppError::Internal(anyhow::anyhow!("no state"))));
        };
        let (lang, session, insecure_cookies) = match settled {
            Some(s) => (s.lang, s.session, s.insecure_cookies),
            None => (Lang::En, None, state.settings.insecure_cookies),
        };
        // The language switch leads back to the page (a form's page for a post).
        let path = if req.method() == actix_web::http::Method::GET {
            req.path().to_owned()
        } else {
            req.headers()
                .get(actix_web::http::header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(|r| url::Url::parse(r).ok())
                .map(|u| u.path().to_owned())
                .filter(|p| p.starts_with("/portal"))
                .unwrap_or_else(|| "/portal".to_owned())
        };
        ready(Ok(Portal {
            t: Texts::new(lang),
            session,
            path,
            insecure_cookies,
            state,
        }))
    }
}

impl Portal {
    /// The signed-in person's session (every page but sign-in has one).
    pub fn session(&self) -> Result<&PortalSession, AppError> {
        self.session
            .as_ref()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a portal page without a session")))
    }

    pub fn partner_id(&self) -> Result<String, AppError> {
        Ok(self.session()?.user.partner_id.clone())
    }

    pub fn csrf(&self) -> String {
        self.session
            .as_ref()
            .map(|s| s.csrf_token.clone())
            .unwrap_or_default()
    }

    pub fn layout(&self, title: String, section: &'static str) -> PortalLayout {
        PortalLayout {
            t: self.t,
            title,
            user: self.session.as_ref().map(|s| PortalNav {
                email: s.user.email.clone(),
                partner: s.partner_name.clone(),
                verified: s.verified,
            }),
            csrf: self.csrf(),
            path: self.path.clone(),
            section,
        }
    }

    /// An error as a page: not found as 404, a refused step in the API's
    /// own sentence (in the page's language), a fault as 500 (logged).
    pub fn fail(&self, err: AppError) -> HttpResponse {
        let status = actix_web::ResponseError::status_code(&err);
        match &err {
            AppError::Internal(cause) => {
                tracing::error!(cause = ?cause, "internal error on a portal page")
            }
            AppError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            AppError::Problem(_) => {}
        }
        let (title, body) = match status {
            StatusCode::NOT_FOUND => (
                "portal-error-not-found-title",
                "portal-error-not-found-body",
            ),
            StatusCode::FORBIDDEN => (
                "portal-error-forbidden-title",
                "portal-error-forbidden-body",
            ),
            StatusCode::SERVICE_UNAVAILABLE => {
                ("portal-error-title", "portal-error-unavailable-body")
            }
            s if s.is_client_error() => ("portal-error-title", "portal-error-form-body"),
            _ => ("portal-error-title", "portal-error-internal-body"),
        };
        let message = match &err {
            AppError::Problem(problem)
                if matches!(
                    status,
                    StatusCode::CONFLICT
                        | StatusCode::BAD_REQUEST
                        | StatusCode::UNPROCESSABLE_ENTITY
                ) =>
            {
                crate::web::messages::say(&problem.detail)
            }
            _ => self.t.t(body),
        };
        page::message(self.layout(self.t.t(title), ""), status, message)
    }
}
