//! The partner portal (`/portal`): for partner organisations without a
//! developer, the same work as `/partner/v1` in a phone browser, on the
//! same commands, rules, audit entries and events, with the staff UI's
//! stack (`crate::web`). People at a partner sign in with a password and a
//! second factor (TOTP, `crate::auth::totp`); a focal point drafts plans,
//! monitoring reports and closures, a coordinator submits them (four eyes).
//! Every page works without JavaScript and loads nothing but the stylesheet.
//!
//! Each page is a route in `crate::auth::policy::PORTAL`, guarded by
//! [`guard::enforce`] with a portal session, never a bearer token.

mod capacity;
pub mod context;
mod drafts;
pub mod guard;
mod inbox;
mod invite;
pub mod once;
pub mod page;
mod referral;
mod scorecard;
mod settings;
mod signin;
#[cfg(test)]
mod tests;

use actix_web::web;

use crate::web::{PageRoute, get, post};

/// Every portal page and form; `PORTAL` names each one.
pub fn pages() -> Vec<PageRoute> {
    vec![
        get("/portal", inbox::show),
        get("/portal/login", signin::show_login),
        post("/portal/login", signin::submit_login),
        post("/portal/logout", signin::logout),
        get("/portal/invite/{token}", invite::show_invite),
        post("/portal/invite/{token}", invite::submit_invite),
        get("/portal/second-factor", signin::show_second_factor),
        post("/portal/second-factor", signin::submit_second_factor),
        get("/portal/referrals/{id}", referral::show),
        post("/portal/referrals/{id}/acknowledge", referral::acknowledge),
        post("/portal/referrals/{id}/accept", referral::accept),
        post("/portal/referrals/{id}/decline", referral::decline),
        post("/portal/referrals/{id}/hold", referral::hold),
        post("/portal/referrals/{id}/resume", referral::resume),
        post("/portal/referrals/{id}/arrival", referral::arrival),
        post(
            "/portal/referrals/{id}/checklist-items/{item_id}/complete",
            referral::complete_task,
        ),
        get("/portal/referrals/{id}/plan", drafts::show),
        post("/portal/referrals/{id}/plan", drafts::save),
        get("/portal/referrals/{id}/monitoring", drafts::show),
        post("/portal/referrals/{id}/monitoring", drafts::save),
        get("/portal/referrals/{id}/closure", drafts::show),
        post("/portal/referrals/{id}/closure", drafts::save),
        post("/portal/drafts/{id}/submit", drafts::submit),
        post("/portal/drafts/{id}/discard", drafts::discard),
        get("/portal/scorecard", scorecard::show),
        get("/portal/settings", settings::show),
        post("/portal/settings/webhook", settings::set_webhook),
        post("/portal/settings/capacity", capacity::set),
        post("/portal/settings/keys", settings::create_key),
        post("/portal/settings/keys/{id}/revoke", settings::revoke_key),
        post("/portal/settings/users", settings::invite),
        post("/portal/settings/users/{id}/disable", settings::disable),
        post("/portal/settings/me", settings::preferences),
    ]
}

/// Mounts the portal, one resource per path, each behind its guard.
pub fn config(cfg: &mut web::ServiceConfig) {
    crate::web::mount(cfg, pages(), guard::enforce);
}
