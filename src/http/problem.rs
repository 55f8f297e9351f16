//! RFC 9457 problem details: every error leaves as `application/problem+json`,
//! with the right status and, for 5xx, no internal cause in the body (the
//! cause goes to the log).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};

use serde_json::{Map, Value};

use crate::db::DbError;
use crate::domain::{CommandError, Refusal};

pub const CONTENT_TYPE: &str = "application/problem+json";

/// Base of every problem `type` URI; the slug after it names the problem.
pub const TYPE_BASE: &str = "https://brug.example.org/problems/";

pub use crate::domain::FieldError;

/// One problem, ready to be sent.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    /// Short stable name, the last part of the `type` URI: `validation-error`.
    pub slug: &'static str,
    pub title: String,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Extension members, e.g. `allowed_transitions` or `existing_ids`.
    pub extensions: Map<String, Value>,
    pub headers: Vec<(HeaderName, String)>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        slug: &'static str,
        title: &str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            slug,
            title: title.to_owned(),
            detail: detail.into(),
            errors: Vec::new(),
            extensions: Map::new(),
            headers: Vec::new(),
        }
    }

    pub fn with_extension(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extensions.insert(key.to_owned(), value.into());
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert(
            "type".into(),
            Value::String(format!("{TYPE_BASE}{}", self.slug)),
        );
        body.insert("title".into(), Value::String(self.title.clone()));
        body.insert("status".into(), Value::from(self.status.as_u16()));
        body.insert("detail".into(), Value::String(self.detail.clone()));
        if !self.errors.is_empty() {
            body.insert(
                "errors".into(),
                serde_json::to_value(&self.errors).unwrap_or(Value::Null),
            );
        }
        for (key, value) in &self.extensions {
            body.entry(key.clone()).or_insert_with(|| value.clone());
        }
        Value::Object(body)
    }

    pub fn to_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, CONTENT_TYPE));
        for (name, value) in &self.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                response.insert_header((name.clone(), value));
            }
        }
        response.body(self.body().to_string())
    }

    /// The generic problem for a status, for errors that carry nothing more.
    pub fn for_status(status: StatusCode) -> Self {
        let (slug, detail) = match status.as_u16() {
            400 => ("bad-request", "The request could not be understood."),
            401 => ("unauthorized", "Authentication is required."),
            403 => ("forbidden", "You may not do this."),
            404 => ("not-found", "There is nothing here."),
            405 => ("method-not-allowed", "This method is not allowed here."),
            406 => (
                "not-acceptable",
                "No representation matches the Accept header.",
            ),
            409 => ("conflict", "The request conflicts with the current state."),
            413 => ("payload-too-large", "The request body is too large."),
            415 => (
                "unsupported-media-type",
                "Send the body as application/json.",
            ),
            422 => ("validation-error", "The request is not valid."),
            429 => ("too-many-requests", "Too many requests; try again later."),
            503 => (
                "unavailable",
                "The service is temporarily unavailable; try again later.",
            ),
            s if s >= 500 => (
                "internal-error",
                "Something went wrong on our side. It has been logged.",
            ),
            _ => ("error", "The request failed."),
        };
        let title = status.canonical_reason().unwrap_or("Error");
        Problem::new(status, slug, title, detail)
    }
}

/// The error type of every handler.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A client error, sent as it is.
    #[error("{}: {}", .0.title, .0.detail)]
    Problem(Box<Problem>),
    /// The database cannot be reached: 503, cause logged.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Anything else: 500, cause logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<Problem> for AppError {
    fn from(problem: Problem) -> Self {
        AppError::Problem(Box::new(problem))
    }
}

impl From<DbError> for AppError {
    fn from(err: DbError) -> Self {
        if err.is_unavailable() {
            return AppError::Unavailable(err.to_string());
        }
        match err {
            DbError::Query(diesel::result::Error::NotFound) => AppError::not_found("resource"),
            // A constraint caught what a check let through: the state changed.
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => Problem::for_status(StatusCode::CONFLICT).into(),
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

/// The one mapping from a refusal to problem+json: status, `type` and the
/// members each kind carries.
impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        let detail = refusal.detail();
        match refusal {
            Refusal::NotFound { what } => AppError::not_found(what),
            Refusal::NotAllowedNow {
                current, allowed, ..
            } => Problem::new(
                StatusCode::CONFLICT,
                "transition-not-allowed",
                "Conflict",
                detail,
            )
            .with_extension("current_status", current)
            .with_extension("allowed_transitions", allowed)
            .into(),
            Refusal::Conflict {
                kind, extensions, ..
            } => {
                let mut problem =
                    Problem::new(StatusCode::CONFLICT, kind.slug(), kind.title(), detail);
                problem.extensions = extensions;
                problem.into()
            }
            Refusal::Invalid(errors) => AppError::validation(errors),
            Refusal::Forbidden { denial, .. } => {
                Problem::new(StatusCode::FORBIDDEN, denial.slug(), "Forbidden", detail).into()
            }
        }
    }
}

impl From<CommandError> for AppError {
    fn from(err: CommandError) -> Self {
        match err {
            CommandError::Refused(refusal) => refusal.into(),
            CommandError::Db(err) => err.into(),
            CommandError::Internal(cause) => AppError::Internal(anyhow::anyhow!(cause)),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        AppError::from(DbError::from(err))
    }
}

impl AppError {
    pub fn not_found(what: &str) -> Self {
        Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not Found",
            format!("No such {what}, or not one you may see."),
        )
        .into()
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = Refusal::Invalid(errors.clone()).detail();
        let mut problem = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-error",
            "Unprocessable Content",
            detail,
        );
        problem.errors = errors;
        problem.into()
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed-request",
            "Bad Request",
            detail,
        )
        .into()
    }

    pub fn method_not_allowed(allow: String) -> Self {
        Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method Not Allowed",
            format!("This resource allows {allow}."),
        )
        .with_header(header::ALLOW, allow)
        .into()
    }

    pub fn problem(&self) -> Problem {
        match self {
            AppError::Problem(problem) => (**problem).clone(),
            AppError::Unavailable(_) => Problem::for_status(StatusCode::SERVICE_UNAVAILABLE)
                .with_header(header::RETRY_AFTER, "5"),
            AppError::Internal(_) => Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Problem(problem) => problem.status,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Problem(_) => {}
            AppError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            AppError::Internal(cause) => tracing::error!(cause = ?cause, "internal error"),
        }
        self.problem().to_response()
    }
}

/// The safety net: turns any error response that is not yet problem+json
/// (actix's own 404, 405, payload and extractor errors) into one. A page of
/// the web UI (HTML) is an answer for a person already and stays as it is.
pub fn render_bare_error<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let kind = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if kind.starts_with(CONTENT_TYPE) || kind.starts_with("text/html") {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let problem = Problem::for_status(status);
    let (req, old) = res.into_parts();
    let mut new = problem.to_response();
    // Keep headers such as Allow, Retry-After or WWW-Authenticate.
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    let new: HttpResponse<BoxBody> = new;
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}
