//! The staff web UI: pages rendered on the server for counsellors,
//! caseworkers, leads and administrators, on the same commands and queries
//! as the API (so every rule, audit entry and event is the same). Dutch
//! first, English beside it; forms work without JavaScript (post, redirect,
//! get) and htmx only makes them smoother.
//!
//! Each page is a route in `crate::auth::policy::PAGES`, guarded by
//! [`guard::enforce`] with a session cookie, never a bearer token.

pub mod alerts;
pub mod assets;
mod cases;
mod clients;
mod consents;
pub mod context;
pub mod dashboards;
mod erase;
mod export;
pub mod form;
pub mod guard;
mod households;
pub mod i18n;
pub mod messages;
pub mod page;
mod partners;
pub(crate) mod signin;
mod talks;
mod team;
pub mod work;

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::middleware::from_fn;
use actix_web::{Route, web};

/// One page or form: its method, pattern and handler.
pub struct PageRoute {
    pub method: Method,
    pub path: &'static str,
    pub route: Route,
}

pub(crate) fn get<F, Args>(path: &'static str, handler: F) -> PageRoute
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    PageRoute {
        method: Method::GET,
        path,
        route: web::get().to(handler),
    }
}

pub(crate) fn post<F, Args>(path: &'static str, handler: F) -> PageRoute
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    PageRoute {
        method: Method::POST,
        path,
        route: web::post().to(handler),
    }
}

/// Every page and form; `PAGES` names each one.
pub fn pages() -> Vec<PageRoute> {
    vec![
        get("/", work::home),
        get("/login", signin::show_login),
        post("/login", signin::submit_login),
        post("/logout", signin::logout),
        get("/invite/{token}", signin::show_invite),
        post("/invite/{token}", signin::submit_invite),
        get("/static/{file}", assets::serve),
        get("/clients", clients::index),
        post("/clients", clients::search),
        get("/clients/new", clients::new_form),
        post("/clients/new", clients::create),
        get("/clients/{id}", clients::show),
        get("/clients/{id}/export", export::show),
        get("/clients/{id}/erase", erase::confirm),
        post("/clients/{id}/erase", erase::erase),
        get("/clients/{id}/household", households::new_form),
        post("/clients/{id}/household", households::create),
        get("/clients/{id}/talks/new", talks::new_form),
        post("/clients/{id}/talks/new", talks::create),
        get("/talks/{id}", talks::show),
        post("/talks/{id}", talks::amend),
        get("/clients/{id}/consents/new", consents::new_form),
        post("/clients/{id}/consents/new", consents::create),
        get("/consents/{id}/receipt", consents::receipt),
        post("/consents/{id}/withdraw", consents::withdraw),
        get("/team", team::show),
        post("/team/clients", team::assign_client),
        post("/team/return-cases", team::assign_case),
        post("/team/caseloads", team::move_caseload),
        post("/team/users", team::invite),
        post("/team/users/{id}/disable", team::disable),
        get("/clients/{id}/return-cases/new", cases::new_case),
        post("/clients/{id}/return-cases/new", cases::open_case),
        get("/return-cases/{id}", cases::show),
        post("/return-cases/{id}/referrals", cases::send_referral),
        post("/return-cases/{id}/departure", cases::record_departure),
        post("/referrals/{id}/cancel", cases::cancel_referral),
        post("/referrals/{id}/plan/approve", cases::approve_plan),
        post("/referrals/{id}/plan/reject", cases::reject_plan),
        post("/checklist-items/{id}", cases::update_item),
        post("/sustainability-alerts/{id}/handle", cases::handle_alert),
        get("/partners", partners::list),
        get("/partners/{id}", partners::show),
        get("/dashboards", dashboards::overview),
        get("/dashboards/partners", dashboards::partners),
        get("/dashboards/partners/{id}", dashboards::scorecard),
        get("/dashboards/overdue", dashboards::overdue),
        get("/dashboards/sustainability", dashboards::sustainability),
        get("/dashboards/who", dashboards::who),
    ]
}

/// Mounts the pages, one resource per path, each behind the guard.
pub fn config(cfg: &mut web::ServiceConfig) {
    mount(cfg, pages(), guard::enforce);
}

/// Mounts pages one resource per path, each behind `guard` (the staff UI's
/// or the portal's), which also answers the methods a path does not take.
pub fn mount<G, F>(cfg: &mut web::ServiceConfig, pages: Vec<PageRoute>, guard: G)
where
    G: Fn(&'static str, ServiceRequest, Next<BoxBody>) -> F + Copy + 'static,
    F: std::future::Future<Output = Result<ServiceResponse<BoxBody>, actix_web::Error>> + 'static,
{
    let mut by_path: Vec<(&'static str, Vec<PageRoute>)> = Vec::new();
    for page in pages {
        match by_path.iter_mut().find(|(path, _)| *path == page.path) {
            Some((_, group)) => group.push(page),
            None => by_path.push((page.path, vec![page])),
        }
    }
    for (path, group) in by_path {
        let mut resource =
            web::resource(path).wrap(from_fn(move |req, next| guard(path, req, next)));
        for page in group {
            resource = resource.route(page.route);
        }
        // Other methods reach the guard too, which answers 405.
        resource = resource.default_service(web::to(|| async {
            actix_web::HttpResponse::MethodNotAllowed().finish()
        }));
        cfg.service(resource);
    }
}

#[cfg(test)]
mod tests;
