//! What every page handler takes: the language, the session, the state,
//! and the layout built from them.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};

use super::guard::Settled;
use super::i18n::{Lang, Texts};
use super::page::{self, Layout, NavUser};
use crate::auth::sessions::ActiveSession;
use crate::auth::{Role, Staff};
use crate::http::AppError;
use crate::state::AppState;

pub struct Ctx {
    pub t: Texts,
    pub session: Option<ActiveSession>,
    pub path: String,
    pub insecure_cookies: bool,
    pub state: web::Data<AppState>,
}

impl FromRequest for Ctx {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let settled = req.extensions().get::<Settled>().cloned();
        let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
            return ready(Err(AppError::Internal(anyhow::anyhow!("no state"))));
        };
        let (lang, session, insecure_cookies) = match settled {
            Some(s) => (s.lang, s.session, s.insecure_cookies),
            None => (Lang::Nl, None, state.settings.insecure_cookies),
        };
        ready(Ok(Ctx {
            t: Texts::new(lang),
            session,
            path: back_path(req),
            insecure_cookies,
            state,
        }))
    }
}

/// Where the language switch leads: this page with its query (without
/// `lang`); after a posted form, the page the form belongs to (a path that
/// only takes posts would answer 405), else the page it was posted from.
fn back_path(req: &HttpRequest) -> String {
    use actix_web::http::Method;
    let path = req.path();
    if req.method() == Method::GET {
        let query: Vec<(String, String)> =
            url::form_urlencoded::parse(req.query_string().as_bytes())
                .filter(|(k, _)| k != "lang")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        if query.is_empty() {
            return path.to_owned();
        }
        let encoded = serde_urlencoded::to_string(&query).unwrap_or_default();
        return format!("{path}?{encoded}");
    }
    let pattern = req.match_pattern().unwrap_or_default();
    if crate::auth::policy::find_page("GET", &pattern).is_some() {
        return path.to_owned();
    }
    req.headers()
        .get(actix_web::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .map(|u| u.path().to_owned())
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".to_owned())
}

/// A page that is one form: what it posts to and says around its fields.
pub struct FormSpec {
    pub title: String,
    pub action: String,
    pub intro: Option<String>,
    /// Where "back" and "cancel" lead, and the link's words.
    pub back: Option<(String, String)>,
    pub hidden: Vec<(String, String)>,
    pub submit: String,
}

#[derive(askama::Template)]
#[template(path = "form.html")]
struct FormPage {
    l: page::Layout,
    intro: Option<String>,
    back: Option<(String, String)>,
    action: String,
    hidden: Vec<(String, String)>,
    fields: Vec<page::Field>,
    submit: String,
    problem: Option<String>,
    errors: Vec<(String, String)>,
}

impl Ctx {
    /// A form page, fresh or refused: the fields (built with what was typed
    /// and the refusal), the summary of what is wrong, the right status.
    pub async fn form_page(
        &self,
        spec: FormSpec,
        refused: Option<super::form::Refused>,
        fields: impl FnOnce(Option<&super::form::Refused>) -> Vec<page::Field>,
    ) -> HttpResponse {
        let (status, refused) = match super::form::shown(refused) {
            Ok(shown) => shown,
            Err(err) => return self.fail(err).await,
        };
        let fields = fields(refused.as_ref());
        let errors = super::form::summary(&fields, refused.as_ref());
        let body = FormPage {
            l: self.layout(spec.title, "clients").await,
            intro: spec.intro,
            back: spec.back,
            action: spec.action,
            hidden: spec.hidden,
            submit: spec.submit,
            problem: refused.as_ref().and_then(super::form::Refused::detail),
            errors,
            fields,
        };
        page::render(status, &body)
    }

    /// The signed-in person (every page but sign-in has one).
    pub fn staff(&self) -> Result<&Staff, AppError> {
        self.session
            .as_ref()
            .map(|s| &s.staff)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a staff page without a session")))
    }

    pub fn csrf(&self) -> String {
        self.session
            .as_ref()
            .map(|s| s.csrf_token.clone())
            .unwrap_or_default()
    }

    /// The layout for a page titled by the text `title_key`, with the
    /// navigation's count of "My work".
    pub async fn layout(&self, title: String, section: &'static str) -> Layout {
        let user = match &self.session {
            Some(session) => {
                let work = match super::work::remembered(&session.staff.user_id) {
                    Some(n) => n,
                    None => {
                        let staff = session.staff.clone();
                        let today = chrono::Utc::now().date_naive();
                        let days = super::work::Days::of(&self.state.settings);
                        let counted = self
                            .state
                            .db
                            .read(move |conn| super::work::count(conn, &staff, today, days))
                            .await;
                        match counted {
                            Ok(n) => {
                                super::work::remember(&session.staff.user_id, n);
                                n
                            }
                            Err(err) => {
                                tracing::warn!(error = %err, "could not count my work");
                                0
                            }
                        }
                    }
                };
                Some(NavUser {
                    name: session
                        .name
                        .clone()
                        .unwrap_or_else(|| session.staff.email.clone()),
                    clients: session.staff.has_any(&[Role::Counsellor, Role::Caseworker]),
                    team: session.staff.has_any(&[Role::Lead, Role::Admin]),
                    dashboards: session.staff.has_any(&[Role::Lead, Role::Admin]),
                    work,
                })
            }
            None => None,
        };
        Layout {
            t: self.t,
            title,
            tab: None,
            user,
            csrf: self.csrf(),
            path: self.path.clone(),
            section,
        }
    }

    /// An error as a page: not found as 404, a fault as 500 (logged).
    pub async fn fail(&self, err: AppError) -> HttpResponse {
        let status = actix_web::ResponseError::status_code(&err);
        let key = match status {
            StatusCode::NOT_FOUND => "error-not-found-body",
            StatusCode::FORBIDDEN => "error-forbidden-body",
            StatusCode::SERVICE_UNAVAILABLE => "error-unavailable-body",
            s if s.is_client_error() => "error-form-body",
            _ => "error-internal-body",
        };
        match &err {
            AppError::Internal(cause) => {
                tracing::error!(cause = ?cause, "internal error on a page")
            }
            AppError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            AppError::Problem(_) => {}
        }
        let title = self.t.t(match status {
            StatusCode::NOT_FOUND => "error-not-found-title",
            StatusCode::FORBIDDEN => "error-forbidden-title",
            _ => "error-title",
        });
        // A step refused (409, 400, a refusal's 403) is said in the API's
        // own sentence, in the page's language; the rest in general words.
        let message = match &err {
            AppError::Problem(problem)
                if matches!(
                    status,
                    StatusCode::CONFLICT
                        | StatusCode::BAD_REQUEST
                        | StatusCode::UNPROCESSABLE_ENTITY
                ) || (status == StatusCode::FORBIDDEN && problem.slug != "forbidden") =>
            {
                super::messages::say(&problem.detail)
            }
            _ => self.t.t(key),
        };
        let layout = self.layout(title, "").await;
        page::error_in(layout, status, message)
    }
}
