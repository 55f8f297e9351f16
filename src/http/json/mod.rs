//! The JSON body extractor: 415 unless the body is JSON, 413 over
//! [`MAX_BODY_BYTES`](super::MAX_BODY_BYTES), 400 for malformed JSON, and 422
//! naming every unknown field, bad value and failed rule. The parser that
//! collects every bad field is in `collecting`, validator's rules as field
//! errors in `validation`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::Value;
use validator::Validate;

use super::problem::{AppError, Problem};

mod collecting;
mod path;
mod validation;

pub use collecting::{
    Partial, deserialize_all_errors, deserialize_collecting, minimal, minimal_from,
};
pub use validation::flatten_validation;

use collecting::covers;
use validation::flatten_errors;

/// A request body, parsed and validated: handlers only ever see a valid `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| {
            m.type_() == mime::APPLICATION
                && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
        })
}

/// Parses on the blocking pool: a bad body may take many passes (see
/// `collecting`), and that work must not hold up the async threads that
/// answer every other request.
async fn parse_off_thread<T>(bytes: Bytes) -> Result<T, AppError>
where
    T: DeserializeOwned + Validate + Send + 'static,
{
    // At most all cores but one parse at once, so that a burst of bad
    // bodies queues here rather than taking every core from the rest.
    static PARSERS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1))
    });
    let _permit = PARSERS
        .acquire()
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("body parser closed: {e}")))?;
    actix_web::web::block(move || parse_body::<T>(&bytes))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("body parser did not finish: {e}")))?
}

/// Reads the body within the size limit: 413 above it.
async fn read(body: <Bytes as FromRequest>::Future) -> Result<Bytes, AppError> {
    body.await.map_err(|e| {
        if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Content Too Large",
                format!("The body may be at most {} bytes.", super::MAX_BODY_BYTES),
            )
            .into()
        } else {
            AppError::bad_request("The request body could not be read.")
        }
    })
}

impl<T> FromRequest for JsonBody<T>
where
    T: DeserializeOwned + Validate + Send + 'static,
{
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = is_json(req);
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(Problem::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE).into());
            }
            parse_off_thread(read(body).await?).await.map(JsonBody)
        })
    }
}

/// A body that may be left out entirely (then `T::default()`); when sent, it
/// is checked like [`JsonBody`].
#[derive(Debug)]
pub struct OptionalJsonBody<T>(pub T);

impl<T> FromRequest for OptionalJsonBody<T>
where
    T: DeserializeOwned + Validate + Default + Send + 'static,
{
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = is_json(req);
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = read(body).await?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJsonBody(T::default()));
            }
            if !is_json {
                return Err(Problem::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE).into());
            }
            parse_off_thread(bytes).await.map(OptionalJsonBody)
        })
    }
}

/// Parses and validates a body: what the extractor does once the bytes are in.
pub fn parse_body<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, AppError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        AppError::bad_request(format!(
            "The body is not valid JSON: {} (line {}, column {}).",
            syntax_message(&e),
            e.line(),
            e.column()
        ))
    })?;
    match deserialize_collecting::<T>(value) {
        Ok(parsed) => {
            parsed
                .validate()
                .map_err(|errors| AppError::validation(flatten_validation(&errors)))?;
            Ok(parsed)
        }
        Err(partial) => {
            // The rules still run on what did parse, so that one answer
            // names every bad field, not only those serde refused.
            let mut errors = partial.errors;
            if let Some(Err(rules)) = partial.parsed.map(|parsed| parsed.validate()) {
                // Rules across fields are left out: a field taken out for a
                // bad value (or stood in for) would make them say wrong things.
                for error in flatten_errors(&rules, false) {
                    let said = errors.iter().any(|e| covers(&e.field, &error.field));
                    let stood_in = partial.stand_ins.iter().any(|s| covers(s, &error.field));
                    if !said && !stood_in {
                        errors.push(error);
                    }
                }
            }
            Err(AppError::validation(errors))
        }
    }
}

fn syntax_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.find(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::ResponseError;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Talk {
        #[allow(dead_code)]
        held_on: chrono::NaiveDate,
        #[validate(range(min = 5, max = 480))]
        duration_minutes: u32,
        #[allow(dead_code)]
        topics: Vec<String>,
        #[allow(dead_code)]
        #[serde(default)]
        notes: Option<String>,
    }

    fn fields(err: AppError) -> Vec<String> {
        match err {
            AppError::Problem(p) => p.errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a problem, got {other:?}"),
        }
    }

    #[test]
    fn rules_are_checked_after_parsing() {
        let body = br#"{"held_on": "2026-01-02", "duration_minutes": 2, "topics": []}"#;
        assert_eq!(
            fields(parse_body::<Talk>(body).expect_err("too short")),
            ["duration_minutes"]
        );
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        let err = parse_body::<Talk>(b"{\"held_on\": ").expect_err("truncated");
        assert_eq!(err.status_code(), StatusCode::BAD_REQUEST);
    }
}
