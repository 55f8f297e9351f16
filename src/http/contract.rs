//! A hook that sees every answer whole, for the test suite to hold each one
//! to the published contract (the OpenAPI document). The server runs
//! without one: then nothing is buffered or looked at.

use std::sync::Arc;

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::Next;

/// One answer as the check sees it.
pub struct Answer<'a> {
    pub method: &'a str,
    /// The matched route pattern (`/api/v1/clients/{id}`); `None` when no
    /// route matched.
    pub pattern: Option<&'a str>,
    pub status: u16,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

/// Says what is wrong with an answer, if anything.
pub type Check = Arc<dyn Fn(&Answer<'_>) -> Result<(), String> + Send + Sync>;

/// The middleware: with a check, an answer that breaks the contract is
/// replaced by a 500 saying how, so that the test that got it fails.
pub async fn checked(
    check: Option<Check>,
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(check) = check else {
        return next.call(req).await;
    };
    let method = req.method().to_string();
    let response = next.call(req).await?;
    let pattern = response.request().match_pattern();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (request, response) = response.into_parts();
    let (response, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
    let answer = Answer {
        method: &method,
        pattern: pattern.as_deref(),
        status,
        content_type: content_type.as_deref(),
        body: &bytes,
    };
    if let Err(violation) = check(&answer) {
        let response = actix_web::HttpResponse::InternalServerError()
            .content_type("text/plain")
            .body(format!("contract violation: {violation}"));
        return Ok(ServiceResponse::new(request, response));
    }
    Ok(ServiceResponse::new(
        request,
        response.set_body(BoxBody::new(bytes)),
    ))
}
