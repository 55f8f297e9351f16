//! What every route shares: problem+json errors, the JSON body and query
//! extractors, pagination, and the middleware that frames every request.

pub mod caller;
pub mod contract;
pub mod idempotency;
pub mod json;
pub mod ownership;
pub mod pagination;
pub mod policy;
pub mod problem;
pub mod query;
pub mod replay;
pub mod request_id;

pub use json::{JsonBody, OptionalJsonBody};
pub use pagination::{Page, PageRequest};
pub use problem::{AppError, FieldError, Problem};
pub use query::QueryParams;

/// Largest request body accepted, in bytes (`docs/api.md`).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A handler for a resource's unsupported methods: 405 with `Allow`.
pub fn method_not_allowed(
    allow: impl Into<String>,
) -> impl Fn() -> std::future::Ready<Result<actix_web::HttpResponse, AppError>> + Clone + 'static {
    let allow: String = allow.into();
    move || std::future::ready(Err(AppError::method_not_allowed(allow.clone())))
}

/// One route of the API: the access policy (`crate::auth::policy`) names
/// every one of them by method and path.
pub struct RouteSpec {
    pub method: actix_web::http::Method,
    pub path: &'static str,
    pub route: actix_web::Route,
    /// Answers 201 Created (for the published contract).
    pub creates: bool,
    /// A `GET`'s handler again, for an idempotent replay of a `POST` whose
    /// resource it shows (`replay::REPLAYS`).
    pub render: Option<replay::Render>,
    /// The query parameters it takes, from the type its handler parses
    /// them into (`QueryParams<T>`), for the published contract. A route
    /// without answers 422 to any query parameter.
    pub query: Option<QueryDoc>,
}

/// The query parameters of a route, as OpenAPI parameters.
pub type QueryDoc = fn() -> Vec<utoipa::openapi::path::Parameter>;

fn query_doc<T: utoipa::IntoParams>() -> Vec<utoipa::openapi::path::Parameter> {
    T::into_params(|| Some(utoipa::openapi::path::ParameterIn::Query))
}

impl RouteSpec {
    pub fn new<F, Args>(method: actix_web::http::Method, path: &'static str, handler: F) -> Self
    where
        F: actix_web::Handler<Args>,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
    {
        let render =
            (method == actix_web::http::Method::GET).then(|| replay::renderer(handler.clone()));
        let route = actix_web::web::method(method.clone()).to(handler);
        Self {
            method,
            path,
            route,
            creates: false,
            render,
            query: None,
        }
    }

    /// Declares the query parameters: `T` is what the handler parses them
    /// into (`QueryParams<T>`); a test holds the two to each other.
    pub fn query<T: utoipa::IntoParams>(mut self) -> Self {
        self.query = Some(query_doc::<T>);
        self
    }

    /// Marks a route that creates a resource (201).
    pub fn creates(mut self) -> Self {
        self.creates = true;
        self
    }

    pub fn get<F, Args>(path: &'static str, handler: F) -> Self
    where
        F: actix_web::Handler<Args>,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
    {
        Self::new(actix_web::http::Method::GET, path, handler)
    }

    pub fn post<F, Args>(path: &'static str, handler: F) -> Self
    where
        F: actix_web::Handler<Args>,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
    {
        Self::new(actix_web::http::Method::POST, path, handler)
    }
}

/// Mounts routes, one resource per path, each guarded by the access policy
/// and answering its other methods with 405 and the right `Allow`.
pub fn register(cfg: &mut actix_web::web::ServiceConfig, routes: Vec<RouteSpec>) {
    let renders: std::collections::HashMap<&'static str, replay::Render> = routes
        .iter()
        .filter_map(|spec| Some((spec.path, spec.render.clone()?)))
        .collect();
    let mut by_path: Vec<(&'static str, Vec<RouteSpec>)> = Vec::new();
    for spec in routes {
        match by_path.iter_mut().find(|(path, _)| *path == spec.path) {
            Some((_, group)) => group.push(spec),
            None => by_path.push((spec.path, vec![spec])),
        }
    }
    for (path, group) in by_path {
        let allow = group
            .iter()
            .map(|spec| spec.method.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let target = replay::Target::of(path, &renders);
        let plain: Vec<actix_web::http::Method> = group
            .iter()
            .filter(|spec| spec.query.is_none())
            .map(|spec| spec.method.clone())
            .collect();
        let mut resource = actix_web::web::resource(path);
        for spec in group {
            resource = resource.route(spec.route);
        }
        // The policy judges the route by its registered pattern, after
        // routing: a percent-encoded path cannot slip past it.
        let guard = actix_web::middleware::from_fn(
            move |req: actix_web::dev::ServiceRequest,
                  next: actix_web::middleware::Next<actix_web::body::BoxBody>| {
                policy::enforce(path, req, next)
            },
        );
        // Inside the policy (which names the caller), each POST is made
        // safe to retry under an Idempotency-Key.
        // Innermost: a partner's step on a referral not its own is 404
        // before its body is read.
        let owned = ownership::guards(path);
        cfg.service(
            resource
                .default_service(actix_web::web::to(method_not_allowed(allow)))
                .wrap(actix_web::middleware::from_fn(
                    move |req: actix_web::dev::ServiceRequest,
                          next: actix_web::middleware::Next<actix_web::body::BoxBody>| {
                        ownership::own_referral(owned, req, next)
                    },
                ))
                .wrap(actix_web::middleware::from_fn(
                    move |req: actix_web::dev::ServiceRequest,
                          next: actix_web::middleware::Next<actix_web::body::BoxBody>| {
                        query::no_parameters(plain.contains(req.method()), req, next)
                    },
                ))
                .wrap(actix_web::middleware::from_fn(
                    move |req: actix_web::dev::ServiceRequest,
                          next: actix_web::middleware::Next<actix_web::body::BoxBody>| {
                        idempotency::idempotent(target.clone(), req, next)
                    },
                ))
                .wrap(guard),
        );
    }
}
