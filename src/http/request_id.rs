//! Puts the request id that the tracing middleware gave the request (and
//! every log line of it) on the response, as `x-request-id`.

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing_actix_web::RequestId;

pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

pub async fn add_request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    // Handlers' errors arrive here as responses already; only a failure of
    // the framework itself is an `Err`, and that passes through unchanged.
    // (Holding a clone of the request across `next.call` would break routing.)
    let mut response = next.call(req).await?.map_into_boxed_body();
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        response.headers_mut().insert(HEADER, value);
    }
    Ok(response)
}
