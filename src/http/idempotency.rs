//! `Idempotency-Key` on every POST: the first answer under a key is kept
//! (per caller, at least seven days) and answered again for a retry with
//! the same body, without doing anything twice; the same key with another
//! body is 422; a retry while the first is still running is 409. What is
//! kept is the status, content type, Location and the resource's kind and
//! id, never a body: a replay renders the resource afresh (`super::replay`).
//! Only a success is kept; after a refusal nothing was done, and a retry
//! runs again.

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
use super::replay::{Target, may_read};
use crate::auth::Principal;
use crate::auth::policy::MatchedRule;
use crate::db::schema::idempotency_keys;
use crate::db::{Db, DbConn, DbError};

/// The time the keys are judged by: `Utc::now`, unless app data holds
/// another (tests move it days ahead).
#[derive(Clone, Copy)]
pub struct Clock(pub fn() -> DateTime<Utc>);

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
    Replay(Kept),
    OtherBody,
    InFlight,
}

/// What is kept under a key: the request's hash, and the answer once the
/// first attempt has one (`status` null while it runs).
#[derive(Queryable, Selectable)]
#[diesel(table_name = idempotency_keys)]
struct StoredRow {
    body_hash: String,
    status: Option<i32>,
    content_type: Option<String>,
    response_location: Option<String>,
    resource_kind: Option<String>,
    resource_id: Option<String>,
    locked_until: chrono::NaiveDateTime,
}

/// The first answer, without its body.
#[derive(Debug, Clone, Default)]
struct Kept {
    status: u16,
    content_type: Option<String>,
    location: Option<String>,
    kind: Option<String>,
    id: Option<String>,
}

/// The `id` of a response body, if it has one.
#[derive(serde::Deserialize)]
struct WithId {
    id: Option<String>,
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
            resource_kind,
            resource_id,
            ..
        }) => Ok(Reservation::Replay(Kept {
            status: u16::try_from(status).unwrap_or(500),
            content_type,
            location: response_location,
            kind: resource_kind,
            id: resource_id,
        })),
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

/// Forgets a key: nothing was done under it, so a retry may run again.
async fn release(db: &Db, principal: String, key: String) {
    let released = db
        .write(move |conn| {
            diesel::delete(idempotency_keys::table.find((principal, key)))
                .execute(conn)
                .map_err(|e| AppError::from(DbError::from(e)))
        })
        .await;
    if let Err(err) = released {
        tracing::warn!(error = %err, "could not release an Idempotency-Key");
    }
}

/// Keeps the first answer (without its body) in a few tries: until it is
/// kept, the key stays locked (409 to a retry) rather than letting the
/// request run twice.
async fn keep(db: &Db, principal: &str, key: &str, kept: Kept) {
    for attempt in 1..=3u64 {
        let (principal, key, kept) = (principal.to_owned(), key.to_owned(), kept.clone());
        let stored = db
            .write(move |conn| {
                diesel::update(idempotency_keys::table.find((principal, key)))
                    .set((
                        idempotency_keys::status.eq(i32::from(kept.status)),
                        idempotency_keys::content_type.eq(kept.content_type),
                        idempotency_keys::response_location.eq(kept.location),
                        idempotency_keys::resource_kind.eq(kept.kind),
                        idempotency_keys::resource_id.eq(kept.id),
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
}

/// The answer to a retry: the resource rendered afresh by the `GET` that
/// shows it, as this caller and audited like that read, with the first
/// answer's status and Location; or, where there is no such read, that
/// status with ids only.
async fn replay(
    mut req: ServiceRequest,
    target: Option<Target>,
    kept: Kept,
) -> ServiceResponse<BoxBody> {
    let status = StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK);
    let read = target
        .filter(|t| kept.kind.as_deref() == Some(t.kind))
        .and_then(|t| t.read)
        .filter(|(rule, _)| may_read(rule, req.extensions().get::<Principal>()));
    let mut response = match (read, kept.id.clone()) {
        (Some((rule, render)), Some(id)) => {
            // The read runs as if routed to its own path: `{id}` is the
            // resource, and its audit entry names the read.
            req.match_info_mut().reset();
            req.match_info_mut().add_static("id", id);
            req.extensions_mut().insert(MatchedRule(rule));
            let mut fresh = render(req.request().clone()).await;
            if fresh.status().is_success() {
                *fresh.status_mut() = status;
                if let Some(location) = kept.location.and_then(|l| HeaderValue::try_from(l).ok()) {
                    fresh.headers_mut().insert(LOCATION, location);
                }
            }
            fresh
        }
        (_, id) => {
            let mut response = HttpResponse::build(status);
            if let Some(location) = kept.location {
                response.insert_header((LOCATION, location));
            }
            match id {
                Some(id) => response.json(serde_json::json!({ "id": id })),
                None => response.json(serde_json::json!({})),
            }
        }
    };
    response
        .headers_mut()
        .insert(REPLAYED, HeaderValue::from_static("true"));
    req.into_response(response)
}

/// The middleware, mounted inside the access policy on every route, with
/// what a replay of the route's `POST` shows (`super::replay::REPLAYS`).
pub async fn idempotent(
    target: Option<Target>,
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
    let now = req
        .app_data::<web::Data<Clock>>()
        .map_or_else(Utc::now, |clock| (clock.0)());

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
            reserve(conn, &p, &k, (&method, &path, &hash), now).map_err(AppError::from)
        })
        .await;
    match reservation {
        Err(err) => return Ok(req.error_response(err)),
        Ok(Reservation::Reserved) => {}
        Ok(Reservation::Replay(kept)) => return Ok(replay(req, target, kept).await),
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

    let (_, mut replayed) = actix_http::h1::Payload::create(true);
    replayed.unread_data(body);
    req.set_payload(replayed.into());
    let response = next.call(req).await?;

    let status = response.status();
    if !status.is_success() {
        // Refused or failed: nothing was done, so a retry runs again.
        release(&db, principal, key).await;
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
    let id = serde_json::from_slice::<WithId>(&bytes)
        .ok()
        .and_then(|body| body.id);
    let kept = Kept {
        status: status.as_u16(),
        content_type,
        location,
        kind: target.map(|t| t.kind.to_owned()),
        id,
    };
    keep(&db, &principal, &key, kept).await;
    Ok(ServiceResponse::new(
        request,
        head.set_body(bytes).map_into_boxed_body(),
    ))
}

/// A portal form's idempotency key (a hidden field, since a form cannot
/// send a header), kept in the same table as the API's keys: what the
/// first post of the form came to.
pub(crate) enum FormOnce {
    /// First time: run it, then [`keep_form`] or [`release_form`].
    Fresh,
    /// Done before: where its answer led.
    Done(Option<String>),
    /// The first post is still running.
    InFlight,
    /// The same form was posted with other values after it was done.
    OtherBody,
}

pub(crate) fn reserve_form(
    conn: &mut DbConn,
    principal: &str,
    key: &str,
    request: (&str, &str, &str),
    now: DateTime<Utc>,
) -> Result<FormOnce, DbError> {
    Ok(match reserve(conn, principal, key, request, now)? {
        Reservation::Reserved => FormOnce::Fresh,
        Reservation::Replay(kept) => FormOnce::Done(kept.location),
        Reservation::InFlight => FormOnce::InFlight,
        Reservation::OtherBody => FormOnce::OtherBody,
    })
}

/// The form worked: a repeat of it leads to `location`.
pub(crate) async fn keep_form(db: &Db, principal: &str, key: &str, location: Option<String>) {
    let kept = Kept {
        status: 303,
        location,
        ..Kept::default()
    };
    keep(db, principal, key, kept).await;
}

/// The form was refused: nothing was done, a repeat runs again.
pub(crate) async fn release_form(db: &Db, principal: String, key: String) {
    release(db, principal, key).await;
}
