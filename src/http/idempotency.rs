//! `Idempotency-Key` on every POST: the first response under a key is kept
//! (per caller, at least seven days) and sent again for a retry with the
//! same body, without doing anything twice; the same key with another body
//! is 422; a retry while the first is still running is 409.

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue, LOCATION, RETRY_AFTER};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpMessage, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::problem::{AppError, FieldError, Problem};
use crate::auth::Principal;
use crate::db::schema::idempotency_keys;
use crate::db::{Db, DbConn, DbError};

pub const HEADER: HeaderName = HeaderName::from_static("idempotency-key");
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// Kept at least this long (the contract says seven days).
pub const RETENTION_DAYS: i64 = 8;
/// How long a first request may run before a retry may take over: far
/// longer than any request takes, so that a slow first attempt is never run
/// twice.
const LOCK_SECONDS: i64 = 600;

enum Reservation {
    Reserved,
    Replay {
        status: u16,
        content_type: Option<String>,
        location: Option<String>,
        body: String,
    },
    OtherBody,
    InFlight,
}

/// What is kept under a key: the request's hash, and the response once the
/// first attempt has one (`status` null while it runs).
#[derive(Queryable, Selectable)]
#[diesel(table_name = idempotency_keys)]
struct StoredRow {
    body_hash: String,
    status: Option<i32>,
    content_type: Option<String>,
    response_location: Option<String>,
    response_body: Option<String>,
    locked_until: chrono::NaiveDateTime,
}

fn reserve(
    conn: &mut DbConn,
    principal: &str,
    key: &str,
    request: (&str, &str, &str),
    now: DateTime<Utc>,
) -> Result<Reservation, DbError> {
    let (method, path, hash) = request;
    let stamp = now.naive_utc();
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::created_at.lt(stamp - Duration::days(RETENTION_DAYS))),
    )
    .execute(conn)?;
    let found: Option<StoredRow> = idempotency_keys::table
        .find((principal, key))
        .select(StoredRow::as_select())
        .first(conn)
        .optional()?;
    match found {
        None => {
            diesel::insert_into(idempotency_keys::table)
                .values((
                    idempotency_keys::principal.eq(principal),
                    idempotency_keys::idempotency_key.eq(key),
                    idempotency_keys::method.eq(method),
                    idempotency_keys::path.eq(path),
                    idempotency_keys::body_hash.eq(hash),
                    idempotency_keys::created_at.eq(stamp),
                    idempotency_keys::locked_until.eq(stamp + Duration::seconds(LOCK_SECONDS)),
                ))
                .execute(conn)?;
            Ok(Reservation::Reserved)
        }
        Some(stored) if stored.body_hash != hash => Ok(Reservation::OtherBody),
        Some(StoredRow {
            status: Some(status),
            content_type,
            response_location,
            response_body,
            ..
        }) => Ok(Reservation::Replay {
            status: u16::try_from(status).unwrap_or(500),
            content_type,
            location: response_location,
            body: response_body.unwrap_or_default(),
        }),
        Some(stored) if stored.locked_until > stamp => Ok(Reservation::InFlight),
        Some(_) => {
            // The first attempt died without an answer: this one takes over,
            // unless another instance took over first.
            let taken = diesel::update(
                idempotency_keys::table
                    .find((principal, key))
                    .filter(idempotency_keys::locked_until.le(stamp)),
            )
            .set(idempotency_keys::locked_until.eq(stamp + Duration::seconds(LOCK_SECONDS)))
            .execute(conn)?;
            Ok(if taken == 1 {
                Reservation::Reserved
            } else {
                Reservation::InFlight
            })
        }
    }
}

fn principal_of(req: &ServiceRequest) -> Option<String> {
    match req.extensions().get::<Principal>()? {
        Principal::Staff(staff) => Some(format!("staff:{}", staff.user_id)),
        Principal::Partner(partner) => Some(format!("partner:{}", partner.partner_id)),
    }
}

fn key_problem(message: &str) -> AppError {
    AppError::validation(vec![FieldError::new("Idempotency-Key", message)])
}

/// The middleware, mounted inside the access policy on every route.
pub async fn idempotent(
    mut req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.method() != Method::POST {
        return next.call(req).await;
    }
    let Some(raw_key) = req.headers().get(&HEADER).cloned() else {
        return next.call(req).await;
    };
    let key = match raw_key.to_str() {
        Ok(key) if !key.is_empty() && key.len() <= 255 => key.to_owned(),
        _ => {
            let err = key_problem("must be 1 to 255 visible ASCII characters");
            return Ok(req.error_response(err));
        }
    };
    let (Some(principal), Some(db)) =
        (principal_of(&req), req.app_data::<web::Data<Db>>().cloned())
    else {
        return next.call(req).await;
    };

    // Read the body to fingerprint it, then hand it on unchanged.
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > super::MAX_BODY_BYTES {
            let err: AppError = Problem::for_status(StatusCode::PAYLOAD_TOO_LARGE).into();
            return Ok(req.error_response(err));
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(&body);
    let hash = hex::encode(hasher.finalize());

    let (p, k) = (principal.clone(), key.clone());
    let reservation = db
        .write(move |conn| {
            reserve(conn, &p, &k, (&method, &path, &hash), Utc::now()).map_err(AppError::from)
        })
        .await;
    match reservation {
        Err(err) => return Ok(req.error_response(err)),
        Ok(Reservation::Reserved) => {}
        Ok(Reservation::Replay {
            status,
            content_type,
            location,
            body,
        }) => {
            let mut response =
                HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK));
            if let Some(content_type) = content_type {
                response.insert_header((CONTENT_TYPE, content_type));
            }
            if let Some(location) = location {
                response.insert_header((LOCATION, location));
            }
            response.insert_header((REPLAYED, HeaderValue::from_static("true")));
            return Ok(req.into_response(response.body(body)));
        }
        Ok(Reservation::OtherBody) => {
            let err = key_problem(
                "was used before with another request; use a new key for a new request",
            );
            return Ok(req.error_response(err));
        }
        Ok(Reservation::InFlight) => {
            let err: AppError = Problem::new(
                StatusCode::CONFLICT,
                "request-in-progress",
                "Conflict",
                "A request with this Idempotency-Key is still running; retry in a moment.",
            )
            .with_header(RETRY_AFTER, "1")
            .into();
            return Ok(req.error_response(err));
        }
    }

    let (_, mut replay) = actix_http::h1::Payload::create(true);
    replay.unread_data(body);
    req.set_payload(replay.into());
    let response = next.call(req).await?;

    let status = response.status();
    if status.is_server_error() {
        // Nothing was done: let a retry run again.
        let _ = db
            .write(move |conn| {
                diesel::delete(idempotency_keys::table.find((principal, key)))
                    .execute(conn)
                    .map_err(|e| AppError::from(DbError::from(e)))
            })
            .await;
        return Ok(response);
    }
    let (request, response) = response.into_parts();
    let header = |name: &HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (content_type, location) = (header(&CONTENT_TYPE), header(&LOCATION));
    let (head, body) = response.into_parts();
    let bytes: Bytes = match actix_web::body::to_bytes(body).await {
        Ok(bytes) => bytes,
        Err(_) => Bytes::new(),
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    // Kept in a few tries: until it is, the key stays locked (409 to a
    // retry) rather than letting the request run twice.
    for attempt in 1..=3u64 {
        let (principal, key) = (principal.clone(), key.clone());
        let (content_type, location, text) = (content_type.clone(), location.clone(), text.clone());
        let stored = db
            .write(move |conn| {
                diesel::update(idempotency_keys::table.find((principal, key)))
                    .set((
                        idempotency_keys::status.eq(i32::from(status.as_u16())),
                        idempotency_keys::content_type.eq(content_type),
                        idempotency_keys::response_location.eq(location),
                        idempotency_keys::response_body.eq(text),
                    ))
                    .execute(conn)
                    .map_err(|e| AppError::from(DbError::from(e)))
            })
            .await;
        match stored {
            Ok(_) => break,
            Err(err) => {
                tracing::warn!(error = %err, attempt, "could not keep the response for its Idempotency-Key");
                tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
            }
        }
    }
    Ok(ServiceResponse::new(
        request,
        head.set_body(bytes).map_into_boxed_body(),
    ))
}
