//! What every route shares: problem+json errors, the JSON body and query
//! extractors, pagination, and the middleware that frames every request.

pub mod json;
pub mod pagination;
pub mod problem;
pub mod query;
pub mod request_id;

pub use json::JsonBody;
pub use pagination::{Page, PageRequest};
pub use problem::{AppError, FieldError, Problem};
pub use query::QueryParams;

/// Largest request body accepted, in bytes (`../shared/API.md`).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A handler for a resource's unsupported methods: 405 with `Allow`.
pub fn method_not_allowed(
    allow: &'static str,
) -> impl Fn() -> std::future::Ready<Result<actix_web::HttpResponse, AppError>> + Clone + 'static {
    move || std::future::ready(Err(AppError::method_not_allowed(allow)))
}
