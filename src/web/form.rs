//! A posted form: read within a size limit, its CSRF token checked, then
//! turned into the same JSON the API takes, so that a page gets the API's
//! own parsing, rules and 422 field errors (and keeps what was typed).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpMessage, HttpRequest, ResponseError};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;
use validator::Validate;

use super::guard::Settled;
use super::i18n::{Lang, Texts};
use crate::domain::FieldError;
use crate::http::AppError;

/// Largest form accepted, in bytes: talk notes are the longest field.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// The cookie holding the token of forms shown before sign-in.
pub const FORM_COOKIE: &str = "brug_form";

/// What a guard other than the staff UI's (the partner portal's) settled
/// for forms: the page's language and the session's token, if signed in.
#[derive(Debug, Clone)]
pub struct FormToken {
    pub lang: Lang,
    pub expected: Option<String>,
}

/// The fields of a posted form, in order; a key may repeat (checkboxes).
#[derive(Debug, Clone, Default)]
pub struct FormData {
    pairs: Vec<(String, String)>,
}

/// A form refused before its handler ran: its token was missing or wrong,
/// or it was not a form at all.
#[derive(Debug)]
pub struct FormRefused {
    lang: Lang,
    status: StatusCode,
}

impl std::fmt::Display for FormRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "form refused ({})", self.status)
    }
}

impl ResponseError for FormRefused {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        let (title, body) = if self.status == StatusCode::FORBIDDEN {
            ("error-csrf-title", "error-csrf-body")
        } else {
            ("error-form-title", "error-form-body")
        };
        super::page::plain(Texts::new(self.lang), self.status, title, body)
    }
}

fn tokens_match(a: &str, b: &str) -> bool {
    !a.is_empty() && a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl FromRequest for FormData {
    type Error = FormRefused;
    type Future = Pin<Box<dyn Future<Output = Result<Self, FormRefused>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let settled = req.extensions().get::<Settled>().cloned();
        let token = req.extensions().get::<FormToken>().cloned();
        let lang = match (&token, &settled) {
            (Some(token), _) => token.lang,
            (None, Some(settled)) => settled.lang,
            (None, None) => Lang::Nl,
        };
        let session_token = match (token, settled) {
            (Some(token), _) => token.expected,
            (None, settled) => settled
                .and_then(|s| s.session)
                .map(|session| session.csrf_token),
        };
        // Signed in: the session's token; before sign-in: the form cookie's.
        let expected =
            session_token.or_else(|| req.cookie(FORM_COOKIE).map(|c| c.value().to_owned()));
        let is_form = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            let refuse = |status| FormRefused { lang, status };
            if !is_form {
                return Err(refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE));
            }
            let bytes = body
                .await
                .map_err(|_| refuse(StatusCode::PAYLOAD_TOO_LARGE))?;
            if bytes.len() > MAX_FORM_BYTES {
                return Err(refuse(StatusCode::PAYLOAD_TOO_LARGE));
            }
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let form = FormData { pairs };
            let sent = form.get("csrf");
            match expected {
                Some(expected) if tokens_match(sent, &expected) => Ok(form),
                _ => Err(refuse(StatusCode::FORBIDDEN)),
            }
        })
    }
}

/// How a form field becomes a JSON member.
#[derive(Debug, Clone, Copy)]
pub enum As {
    /// A string; left out when empty.
    Text,
    /// A whole number; left out when empty, sent as typed when not a number
    /// (so that the API's parser names it).
    Number,
    /// A string, or `null` when empty (an amendment that clears it).
    Nullable,
    /// A checkbox: `true` when ticked, else left out.
    Flag,
    /// A checkbox the API needs either way: `true` or `false`.
    Bool,
    /// Every value of a repeated key (checkboxes), as a list.
    List,
    /// A comma-separated text, as a list.
    Commas,
}

impl FormData {
    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self {
            pairs: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.trim())
    }

    /// The first value of `name` exactly as sent (passwords are not trimmed).
    pub fn pairs_value(&self, name: &str) -> String {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every non-empty value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }

    /// The JSON object the API would receive for these fields.
    pub fn json(&self, fields: &[(&str, As)]) -> Value {
        let mut object = Map::new();
        for (name, kind) in fields {
            let value = self.get(name);
            let member = match kind {
                As::Text if value.is_empty() => None,
                As::Text => Some(Value::from(value)),
                As::Nullable if value.is_empty() => Some(Value::Null),
                As::Nullable => Some(Value::from(value)),
                As::Number if value.is_empty() => None,
                As::Number => Some(
                    value
                        .parse::<i64>()
                        .map(Value::from)
                        .unwrap_or_else(|_| Value::from(value)),
                ),
                As::Flag => self.has(name).then_some(Value::Bool(true)),
                As::Bool => Some(Value::Bool(self.has(name))),
                As::List => Some(Value::from(self.all(name))),
                As::Commas => Some(Value::from(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect::<Vec<_>>(),
                )),
            };
            if let Some(member) = member {
                object.insert((*name).to_owned(), member);
            }
        }
        Value::Object(object)
    }

    /// Parses the fields as the API parses its body: the same type, the
    /// same rules, the same field errors.
    pub fn parse<T: DeserializeOwned + Validate>(
        &self,
        fields: &[(&str, As)],
    ) -> Result<T, Refused> {
        let bytes = serde_json::to_vec(&self.json(fields))
            .map_err(|e| Refused::Other(AppError::Internal(anyhow::anyhow!(e))))?;
        crate::http::json::parse_body::<T>(&bytes).map_err(Refused::from)
    }
}

/// Why a form's command said no, as a page shows it.
#[derive(Debug)]
pub enum Refused {
    /// Each bad field, with the API's message, and the API's sentence.
    Fields {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// Not now or not like this (409, 403 from a rule): the API's sentence,
    /// shown above the form.
    Said { status: StatusCode, detail: String },
    /// Not found, the database, or a fault: an error page.
    Other(AppError),
}

impl From<AppError> for Refused {
    fn from(err: AppError) -> Self {
        match &err {
            AppError::Problem(problem) if problem.status == StatusCode::UNPROCESSABLE_ENTITY => {
                Refused::Fields {
                    detail: problem.detail.clone(),
                    errors: problem.errors.clone(),
                }
            }
            AppError::Problem(problem)
                if matches!(
                    problem.status,
                    StatusCode::CONFLICT | StatusCode::FORBIDDEN | StatusCode::BAD_REQUEST
                ) =>
            {
                Refused::Said {
                    status: problem.status,
                    detail: problem.detail.clone(),
                }
            }
            _ => Refused::Other(err),
        }
    }
}

impl From<crate::domain::CommandError> for Refused {
    fn from(err: crate::domain::CommandError) -> Self {
        Refused::from(AppError::from(err))
    }
}

/// Each bad field once, with the label a person knows it by, for the
/// summary above the form.
pub fn summary(fields: &[super::page::Field], refused: Option<&Refused>) -> Vec<(String, String)> {
    let Some(refused) = refused else {
        return Vec::new();
    };
    refused
        .field_errors()
        .iter()
        .map(|e| {
            let label = fields
                .iter()
                .find(|f| e.field == f.name || e.field.starts_with(&format!("{}[", f.name)))
                .map_or_else(|| e.field.clone(), |f| f.label.clone());
            (
                format!("{label}: {}", super::messages::say(&e.message)),
                e.field.clone(),
            )
        })
        .collect()
}

/// The status of a page that shows `refused` (200 without one), with the
/// refusal to show; a refusal only an error page can say (not found, a
/// fault) comes back as the error, for `Ctx::fail`.
pub fn shown(refused: Option<Refused>) -> Result<(StatusCode, Option<Refused>), AppError> {
    match refused {
        None => Ok((StatusCode::OK, None)),
        Some(Refused::Other(err)) => Err(err),
        Some(refused) => {
            let status = match &refused {
                Refused::Said { status, .. } => *status,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            Ok((status, Some(refused)))
        }
    }
}

impl Refused {
    /// What a page says of this refusal, as a value of its own (an
    /// `AppError` is not `Clone`; a page needs only its status and words).
    pub fn for_page(&self) -> Refused {
        match self {
            Refused::Fields { detail, errors } => Refused::Fields {
                detail: detail.clone(),
                errors: errors.clone(),
            },
            Refused::Said { status, detail } => Refused::Said {
                status: *status,
                detail: detail.clone(),
            },
            Refused::Other(err) => Refused::Said {
                status: actix_web::ResponseError::status_code(err),
                detail: err.to_string(),
            },
        }
    }

    /// The message for `field`, if it was named.
    pub fn error_for(&self, field: &str) -> Option<String> {
        match self {
            Refused::Fields { errors, .. } => errors
                .iter()
                .filter(|e| {
                    e.field == field
                        || e.field.starts_with(&format!("{field}["))
                        || e.field.starts_with(&format!("{field}."))
                })
                .map(|e| super::messages::say(&e.message))
                .reduce(|a, b| format!("{a}; {b}")),
            _ => None,
        }
    }

    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Refused::Fields { errors, .. } => errors,
            _ => &[],
        }
    }

    /// The sentence above the form, in the page's language.
    pub fn detail(&self) -> Option<String> {
        let lang = super::messages::page_lang();
        match (self, lang) {
            (Refused::Fields { errors, .. }, Some(lang)) => {
                Some(super::i18n::Texts::new(lang).count("form-fields-invalid", errors.len()))
            }
            (Refused::Fields { detail, .. }, None) => Some(detail.clone()),
            (Refused::Said { detail, .. }, _) => Some(super::messages::say(detail)),
            (Refused::Other(_), _) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_become_the_json_the_api_takes() {
        let form = FormData::from_pairs(&[
            ("given_name", " Amal "),
            ("family_name", ""),
            ("languages", "ar, fr"),
            ("topics", "return"),
            ("topics", "family"),
            ("duration_minutes", "45"),
            ("confirm", "on"),
        ]);
        let json = form.json(&[
            ("given_name", As::Text),
            ("family_name", As::Text),
            ("languages", As::Commas),
            ("topics", As::List),
            ("duration_minutes", As::Number),
            ("confirm", As::Flag),
            ("absent", As::Flag),
            ("consent", As::Bool),
        ]);
        assert_eq!(
            json,
            serde_json::json!({
                "given_name": "Amal",
                "languages": ["ar", "fr"],
                "topics": ["return", "family"],
                "duration_minutes": 45,
                "confirm": true,
                "consent": false
            })
        );
    }

    #[test]
    fn a_number_that_is_not_one_is_sent_as_typed_for_the_api_to_name() {
        let form = FormData::from_pairs(&[("duration_minutes", "vijf")]);
        assert_eq!(
            form.json(&[("duration_minutes", As::Number)]),
            serde_json::json!({ "duration_minutes": "vijf" })
        );
    }

    #[test]
    fn tokens_must_be_equal_and_present() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abd", "abc"));
        assert!(!tokens_match("", ""));
        assert!(!tokens_match("ab", "abc"));
    }
}
