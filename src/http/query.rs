//! The query-string extractor: unknown parameters and bad values are 422,
//! naming the parameter.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use super::problem::{AppError, FieldError};

#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<T> QueryParams<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned> FromRequest for QueryParams<T> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string()).map(QueryParams))
    }
}

/// The middleware for routes that take no query parameters: any is 422
/// (rather than silently ignored), before anything else is done.
pub async fn no_parameters(
    takes_none: bool,
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<actix_web::body::BoxBody>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let first = url::form_urlencoded::parse(req.query_string().as_bytes())
        .next()
        .map(|(name, _)| name.into_owned());
    match first {
        Some(name) if takes_none => {
            let error = AppError::validation(vec![FieldError::new(
                name,
                "is not a known query parameter; this operation takes none",
            )]);
            Ok(req.error_response(error))
        }
        _ => next.call(req).await,
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    let deserializer =
        serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        let field_error = if let Some(rest) = message.strip_prefix("unknown field `") {
            let name = rest.split('`').next().unwrap_or_default();
            // serde names what it takes: "expected one of `a`, `b`".
            let expected = rest
                .split_once(", expected ")
                .map(|(_, which)| format!("; expected {which}"))
                .unwrap_or_default();
            FieldError::new(name, format!("is not a known query parameter{expected}"))
        } else if let Some(rest) = message.strip_prefix("missing field `") {
            let name = rest.split('`').next().unwrap_or_default();
            FieldError::new(name, "is required")
        } else {
            let field = if path == "." { String::new() } else { path };
            FieldError::new(field, message)
        };
        AppError::validation(vec![field_error])
    })
}
