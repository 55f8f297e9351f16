//! Every portal form carries an idempotency key (a hidden field made when
//! the page was drawn), so that a form sent twice over a flaky connection
//! is applied once: the second post leads where the first did. The keys
//! are kept with the API's `Idempotency-Key`s, per person.

use actix_web::HttpMessage;
use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::middleware::Next;
use actix_web::web::BytesMut;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::db::Db;
use crate::http::AppError;
use crate::http::idempotency::{FormOnce, keep_form, release_form, reserve_form};
use crate::web::form::MAX_FORM_BYTES;
use crate::web::i18n::Texts;

/// Marks an answer that repeats an earlier one (nothing was done).
pub const REPLAYED: actix_web::http::header::HeaderName =
    actix_web::http::header::HeaderName::from_static("idempotent-replayed");

/// The hidden field every portal form carries.
pub const FIELD: &str = "idempotency_key";

/// A fresh key for a form being drawn.
pub fn new_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub async fn around(
    user_id: &str,
    db: Db,
    t: Texts,
    mut req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > MAX_FORM_BYTES {
            let res = super::page::plain(
                t,
                StatusCode::PAYLOAD_TOO_LARGE,
                "portal-error-title",
                "portal-error-form-body",
            );
            return Ok(req.into_response(res));
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let key = pairs
        .iter()
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|k| !k.is_empty() && k.len() <= 255);
    let (_, mut replayed) = actix_http::h1::Payload::create(true);
    replayed.unread_data(body);
    req.set_payload(replayed.into());
    let Some(key) = key else {
        return next.call(req).await;
    };
    // The same form with the same values; the session's token is left out.
    let mut hasher = Sha256::new();
    hasher.update(req.path().as_bytes());
    hasher.update([0]);
    for (k, v) in pairs.iter().filter(|(k, _)| k != "csrf") {
        hasher.update(k.as_bytes());
        hasher.update([0]);
        hasher.update(v.as_bytes());
        hasher.update([0]);
    }
    let hash = hex::encode(hasher.finalize());
    let principal = format!("portal:{user_id}");
    let path = req.path().to_owned();
    let now = chrono::Utc::now();
    let (p, k) = (principal.clone(), key.clone());
    let once = db
        .write(move |conn| {
            reserve_form(conn, &p, &k, ("POST", &path, &hash), now).map_err(AppError::from)
        })
        .await;
    match once {
        Err(err) => Ok(req.error_response(err)),
        Ok(FormOnce::Done(location)) => {
            let to = location.unwrap_or_else(|| "/portal".to_owned());
            let mut res = crate::web::page::see_other(&to);
            res.headers_mut().insert(
                REPLAYED,
                actix_web::http::header::HeaderValue::from_static("true"),
            );
            Ok(req.into_response(res))
        }
        Ok(FormOnce::InFlight | FormOnce::OtherBody) => {
            let res = super::page::plain(
                t,
                StatusCode::CONFLICT,
                "portal-once-title",
                "portal-once-body",
            );
            Ok(req.into_response(res))
        }
        Ok(FormOnce::Fresh) => {
            let res = next.call(req).await?;
            if res.status() == StatusCode::SEE_OTHER {
                let location = res
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                keep_form(&db, &principal, &key, location).await;
            } else if res.status() == StatusCode::OK {
                // A page that showed a secret once (a key, a link): a
                // repeat leads back to the settings, never to a second one.
                let location = Some("/portal/settings?done=once".to_owned());
                keep_form(&db, &principal, &key, location).await;
            } else {
                release_form(&db, principal, key).await;
            }
            Ok(res)
        }
    }
}
