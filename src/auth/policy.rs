//! The access policy: one table from operation (method and path) to who may
//! use it, enforced by one middleware (`crate::http::policy`) that
//! `http::register` mounts on every route. A route missing from the table is refused (and a test fails), so
//! nothing is reachable by accident.

use super::Role;

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: health checks and documentation.
    Public,
    /// Staff with any of these roles (`/api/v1`).
    Staff(&'static [Role]),
    /// A partner organisation's key (`/partner/v1`); the handler limits it
    /// to the partner's own data.
    Partner,
    /// A person at a partner, signed in to the portal (`/portal`); the
    /// handler limits them to their partner's own data, as a key is.
    PartnerUser(PortalWho),
}

/// Who at a partner may use a portal page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortalWho {
    /// Signed in with a password; the second factor may still be due.
    SignedIn,
    /// Signed in with a password and a second factor: any role.
    Member,
    /// A member who is a coordinator: signs off, manages keys and people.
    Coordinator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The operation's name in the audit log.
    pub operation: &'static str,
    pub method: &'static str,
    /// The route pattern, exactly as registered.
    pub path: &'static str,
    pub access: Access,
}

const ALL_STAFF: &[Role] = &[Role::Counsellor, Role::Caseworker, Role::Lead, Role::Admin];
const ADMIN: &[Role] = &[Role::Admin];
/// Who works with clients' records: never leads (aggregates only).
const CLIENT_STAFF: &[Role] = &[Role::Counsellor, Role::Caseworker];
/// A person's own export: those who work with them, and administrators
/// who answer a request for it.
const CLIENT_STAFF_ADMIN: &[Role] = &[Role::Counsellor, Role::Caseworker, Role::Admin];
const COUNSELLOR: &[Role] = &[Role::Counsellor];
const CASEWORKER: &[Role] = &[Role::Caseworker];
const LEAD_ADMIN: &[Role] = &[Role::Lead, Role::Admin];
const LEAD_CASEWORKER: &[Role] = &[Role::Lead, Role::Caseworker];

const fn rule(
    operation: &'static str,
    method: &'static str,
    path: &'static str,
    access: Access,
) -> Rule {
    Rule {
        operation,
        method,
        path,
        access,
    }
}

/// The whole policy, one line per operation. Keep it sorted by path.
#[rustfmt::skip]
pub const POLICY: &[Rule] = &[
    rule("health.live",       "GET",   "/healthz",                        Access::Public),
    rule("health.ready",      "GET",   "/readyz",                         Access::Public),
    rule("docs.page",         "GET",   "/api/docs",                       Access::Public),
    rule("docs.openapi",      "GET",   "/api/openapi.json",               Access::Public),
    rule("assignments.move",  "POST",  "/api/v1/assignments",             Access::Staff(LEAD_ADMIN)),
    rule("audit.list",        "GET",   "/api/v1/audit",                   Access::Staff(ADMIN)),
    rule("clients.create",    "POST",  "/api/v1/clients",                 Access::Staff(CLIENT_STAFF)),
    rule("clients.search",    "GET",   "/api/v1/clients",                 Access::Staff(CLIENT_STAFF)),
    rule("clients.get",       "GET",   "/api/v1/clients/{id}",            Access::Staff(CLIENT_STAFF)),
    rule("clients.assign",    "POST",  "/api/v1/clients/{id}/assign",     Access::Staff(LEAD_ADMIN)),
    rule("clients.export",    "GET",   "/api/v1/clients/{id}/export",     Access::Staff(CLIENT_STAFF_ADMIN)),
    rule("consents.create",   "POST",  "/api/v1/clients/{id}/consents",   Access::Staff(CLIENT_STAFF)),
    rule("consents.list",     "GET",   "/api/v1/clients/{id}/consents",   Access::Staff(CLIENT_STAFF)),
    rule("talks.create",      "POST",  "/api/v1/clients/{id}/talks",      Access::Staff(COUNSELLOR)),
    rule("checklist.update",  "PATCH", "/api/v1/checklist-items/{id}",    Access::Staff(CASEWORKER)),
    rule("talks.list",        "GET",   "/api/v1/clients/{id}/talks",      Access::Staff(CLIENT_STAFF)),
    rule("consents.withdraw", "POST",  "/api/v1/consents/{id}/withdraw",  Access::Staff(CLIENT_STAFF)),
    rule("households.create", "POST",  "/api/v1/households",              Access::Staff(CLIENT_STAFF)),
    rule("households.get",    "GET",   "/api/v1/households/{id}",         Access::Staff(CLIENT_STAFF)),
    rule("me.get",            "GET",   "/api/v1/me",                      Access::Staff(ALL_STAFF)),
    rule("partners.list",     "GET",   "/api/v1/partners",                Access::Staff(ALL_STAFF)),
    rule("partners.get",      "GET",   "/api/v1/partners/{id}",           Access::Staff(ALL_STAFF)),
    rule("referrals.cancel",  "POST",  "/api/v1/referrals/{id}/cancel",   Access::Staff(CASEWORKER)),
    rule("reports.amif",      "GET",   "/api/v1/reports/amif",            Access::Staff(LEAD_ADMIN)),
    rule("reports.funnel",    "GET",   "/api/v1/reports/funnel",          Access::Staff(LEAD_ADMIN)),
    rule("reports.overdue",   "GET",   "/api/v1/reports/overdue",         Access::Staff(LEAD_CASEWORKER)),
    rule("reports.partners",  "GET",   "/api/v1/reports/partners",        Access::Staff(LEAD_ADMIN)),
    rule("reports.sustainability", "GET", "/api/v1/reports/sustainability", Access::Staff(LEAD_ADMIN)),
    rule("plans.approve",     "POST",  "/api/v1/referrals/{id}/reintegration-plan/approve", Access::Staff(CASEWORKER)),
    rule("plans.reject",      "POST",  "/api/v1/referrals/{id}/reintegration-plan/reject",  Access::Staff(CASEWORKER)),
    rule("cases.open",        "POST",  "/api/v1/return-cases",            Access::Staff(CASEWORKER)),
    rule("cases.get",         "GET",   "/api/v1/return-cases/{id}",       Access::Staff(CASEWORKER)),
    rule("cases.assign",      "POST",  "/api/v1/return-cases/{id}/assign", Access::Staff(LEAD_ADMIN)),
    rule("checklist.get",     "GET",   "/api/v1/return-cases/{id}/checklist", Access::Staff(CASEWORKER)),
    rule("cases.depart",      "POST",  "/api/v1/return-cases/{id}/departure", Access::Staff(CASEWORKER)),
    rule("cases.matches",     "GET",   "/api/v1/return-cases/{id}/partner-matches", Access::Staff(CASEWORKER)),
    rule("referrals.send",    "POST",  "/api/v1/return-cases/{id}/referrals", Access::Staff(CASEWORKER)),
    rule("talks.get",         "GET",   "/api/v1/talks/{id}",              Access::Staff(CLIENT_STAFF)),
    rule("talks.amend",       "PATCH", "/api/v1/talks/{id}",              Access::Staff(COUNSELLOR)),
    rule("partner.capacity.get", "GET", "/partner/v1/capacity",           Access::Partner),
    rule("partner.capacity.set", "PUT", "/partner/v1/capacity",           Access::Partner),
    rule("partner.events",    "GET",   "/partner/v1/events",              Access::Partner),
    rule("partner.me",        "GET",   "/partner/v1/me",                  Access::Partner),
    rule("partner.webhook.get",  "GET",  "/partner/v1/webhook",           Access::Partner),
    rule("partner.webhook.set",  "PUT",  "/partner/v1/webhook",           Access::Partner),
    rule("partner.webhook.test", "POST", "/partner/v1/webhook/test",      Access::Partner),
    rule("partner.monitoring_model", "GET", "/partner/v1/monitoring-model", Access::Partner),
    rule("partner.referrals.list", "GET", "/partner/v1/referrals",        Access::Partner),
    rule("partner.referrals.get",  "GET", "/partner/v1/referrals/{id}",   Access::Partner),
    rule("partner.referrals.acknowledge", "POST", "/partner/v1/referrals/{id}/acknowledge", Access::Partner),
    rule("partner.referrals.accept",  "POST", "/partner/v1/referrals/{id}/accept",  Access::Partner),
    rule("partner.referrals.decline", "POST", "/partner/v1/referrals/{id}/decline", Access::Partner),
    rule("partner.referrals.hold", "POST", "/partner/v1/referrals/{id}/hold", Access::Partner),
    rule("partner.referrals.resume", "POST", "/partner/v1/referrals/{id}/resume", Access::Partner),
    rule("partner.checklist.complete", "POST", "/partner/v1/referrals/{id}/checklist-items/{item_id}/complete", Access::Partner),
    rule("partner.referrals.arrival", "POST", "/partner/v1/referrals/{id}/arrival", Access::Partner),
    rule("partner.plans.submit", "POST", "/partner/v1/referrals/{id}/reintegration-plan", Access::Partner),
    rule("partner.monitoring.report", "POST", "/partner/v1/referrals/{id}/monitoring", Access::Partner),
    rule("partner.referrals.close", "POST", "/partner/v1/referrals/{id}/close", Access::Partner),
];

/// The staff web UI's pages and forms (`crate::web`), enforced by its own
/// middleware with a session instead of a token. A page or form that does
/// what an API operation does carries that operation's name, and so the
/// same roles and the same audit entries (a test holds them equal).
#[rustfmt::skip]
pub const PAGES: &[Rule] = &[
    rule("web.home",           "GET",  "/",                          Access::Staff(ALL_STAFF)),
    rule("web.login",          "GET",  "/login",                     Access::Public),
    rule("web.login.submit",   "POST", "/login",                     Access::Public),
    rule("web.logout",         "POST", "/logout",                    Access::Staff(ALL_STAFF)),
    rule("web.invite",         "GET",  "/invite/{token}",            Access::Public),
    rule("web.invite.submit",  "POST", "/invite/{token}",            Access::Public),
    rule("web.static",         "GET",  "/static/{file}",             Access::Public),
    rule("clients.search",     "GET",  "/clients",                   Access::Staff(CLIENT_STAFF)),
    rule("clients.search",     "POST", "/clients",                   Access::Staff(CLIENT_STAFF)),
    rule("web.clients.new",    "GET",  "/clients/new",               Access::Staff(CLIENT_STAFF)),
    rule("clients.create",     "POST", "/clients/new",               Access::Staff(CLIENT_STAFF)),
    rule("clients.get",        "GET",  "/clients/{id}",              Access::Staff(CLIENT_STAFF)),
    rule("clients.export",     "GET",  "/clients/{id}/export",       Access::Staff(CLIENT_STAFF_ADMIN)),
    rule("web.clients.erase",  "GET",  "/clients/{id}/erase",        Access::Staff(ADMIN)),
    rule("clients.erase",      "POST", "/clients/{id}/erase",        Access::Staff(ADMIN)),
    rule("web.households.new", "GET",  "/clients/{id}/household",    Access::Staff(CLIENT_STAFF)),
    rule("households.create",  "POST", "/clients/{id}/household",    Access::Staff(CLIENT_STAFF)),
    rule("web.talks.new",      "GET",  "/clients/{id}/talks/new",    Access::Staff(COUNSELLOR)),
    rule("talks.create",       "POST", "/clients/{id}/talks/new",    Access::Staff(COUNSELLOR)),
    rule("talks.get",          "GET",  "/talks/{id}",                Access::Staff(CLIENT_STAFF)),
    rule("talks.amend",        "POST", "/talks/{id}",                Access::Staff(COUNSELLOR)),
    rule("web.consents.new",   "GET",  "/clients/{id}/consents/new", Access::Staff(CLIENT_STAFF)),
    rule("consents.create",    "POST", "/clients/{id}/consents/new", Access::Staff(CLIENT_STAFF)),
    rule("consents.receipt",   "GET",  "/consents/{id}/receipt",     Access::Staff(CLIENT_STAFF)),
    rule("consents.withdraw",  "POST", "/consents/{id}/withdraw",    Access::Staff(CLIENT_STAFF)),
    rule("web.cases.new",      "GET",  "/clients/{id}/return-cases/new", Access::Staff(CASEWORKER)),
    rule("cases.open",         "POST", "/clients/{id}/return-cases/new", Access::Staff(CASEWORKER)),
    rule("cases.get",          "GET",  "/return-cases/{id}",         Access::Staff(CASEWORKER)),
    rule("referrals.send",     "POST", "/return-cases/{id}/referrals", Access::Staff(CASEWORKER)),
    rule("cases.depart",       "POST", "/return-cases/{id}/departure", Access::Staff(CASEWORKER)),
    rule("referrals.cancel",   "POST", "/referrals/{id}/cancel",     Access::Staff(CASEWORKER)),
    rule("plans.approve",      "POST", "/referrals/{id}/plan/approve", Access::Staff(CASEWORKER)),
    rule("plans.reject",       "POST", "/referrals/{id}/plan/reject",  Access::Staff(CASEWORKER)),
    rule("checklist.update",   "POST", "/checklist-items/{id}",      Access::Staff(CASEWORKER)),
    rule("alerts.handle",      "POST", "/sustainability-alerts/{id}/handle", Access::Staff(CASEWORKER)),
    rule("partners.list",      "GET",  "/partners",                  Access::Staff(ALL_STAFF)),
    rule("partners.get",       "GET",  "/partners/{id}",             Access::Staff(ALL_STAFF)),
    rule("web.team",           "GET",  "/team",                      Access::Staff(LEAD_ADMIN)),
    rule("clients.assign",     "POST", "/team/clients",              Access::Staff(LEAD_ADMIN)),
    rule("cases.assign",       "POST", "/team/return-cases",         Access::Staff(LEAD_ADMIN)),
    rule("assignments.move",   "POST", "/team/caseloads",            Access::Staff(LEAD_ADMIN)),
    rule("users.invite",       "POST", "/team/users",                Access::Staff(ADMIN)),
    rule("users.disable",      "POST", "/team/users/{id}/disable",   Access::Staff(ADMIN)),
    rule("web.dashboards",     "GET",  "/dashboards",                Access::Staff(LEAD_ADMIN)),
    rule("web.dashboards.partners", "GET", "/dashboards/partners",   Access::Staff(LEAD_ADMIN)),
    rule("web.dashboards.scorecard", "GET", "/dashboards/partners/{id}", Access::Staff(LEAD_ADMIN)),
    rule("web.dashboards.overdue", "GET", "/dashboards/overdue",     Access::Staff(LEAD_ADMIN)),
    rule("web.dashboards.sustainability", "GET", "/dashboards/sustainability", Access::Staff(LEAD_ADMIN)),
    rule("web.dashboards.who",  "GET", "/dashboards/who",            Access::Staff(LEAD_ADMIN)),
];

const SIGNED_IN: Access = Access::PartnerUser(PortalWho::SignedIn);
const MEMBER: Access = Access::PartnerUser(PortalWho::Member);
const COORDINATOR: Access = Access::PartnerUser(PortalWho::Coordinator);

/// The partner portal's pages and forms (`crate::portal`), enforced by its
/// own guard with a portal session. A form that does what a `/partner/v1`
/// operation does carries that operation's name, so it writes the same
/// audit entries (a test holds each to a partner operation).
#[rustfmt::skip]
pub const PORTAL: &[Rule] = &[
    rule("portal.inbox",              "GET",  "/portal",                             MEMBER),
    rule("portal.login",              "GET",  "/portal/login",                       Access::Public),
    rule("portal.login.submit",       "POST", "/portal/login",                       Access::Public),
    rule("portal.logout",             "POST", "/portal/logout",                      SIGNED_IN),
    rule("portal.invite",             "GET",  "/portal/invite/{token}",              Access::Public),
    rule("portal.invite.submit",      "POST", "/portal/invite/{token}",              Access::Public),
    rule("portal.second_factor",      "GET",  "/portal/second-factor",               SIGNED_IN),
    rule("portal.second_factor.submit", "POST", "/portal/second-factor",             SIGNED_IN),
    rule("partner.referrals.get",     "GET",  "/portal/referrals/{id}",              MEMBER),
    rule("partner.referrals.acknowledge", "POST", "/portal/referrals/{id}/acknowledge", MEMBER),
    rule("partner.referrals.accept",  "POST", "/portal/referrals/{id}/accept",       MEMBER),
    rule("partner.referrals.decline", "POST", "/portal/referrals/{id}/decline",      MEMBER),
    rule("partner.referrals.hold",    "POST", "/portal/referrals/{id}/hold",         MEMBER),
    rule("partner.referrals.resume",  "POST", "/portal/referrals/{id}/resume",       MEMBER),
    rule("partner.referrals.arrival", "POST", "/portal/referrals/{id}/arrival",      MEMBER),
    rule("partner.checklist.complete", "POST", "/portal/referrals/{id}/checklist-items/{item_id}/complete", MEMBER),
    rule("portal.drafts.plan",        "GET",  "/portal/referrals/{id}/plan",         MEMBER),
    rule("portal.drafts.save",        "POST", "/portal/referrals/{id}/plan",         MEMBER),
    rule("portal.drafts.monitoring",  "GET",  "/portal/referrals/{id}/monitoring",   MEMBER),
    rule("portal.drafts.save",        "POST", "/portal/referrals/{id}/monitoring",   MEMBER),
    rule("portal.drafts.closure",     "GET",  "/portal/referrals/{id}/closure",      MEMBER),
    rule("portal.drafts.save",        "POST", "/portal/referrals/{id}/closure",      MEMBER),
    rule("portal.drafts.submit",      "POST", "/portal/drafts/{id}/submit",          COORDINATOR),
    rule("portal.drafts.discard",     "POST", "/portal/drafts/{id}/discard",         MEMBER),
    rule("portal.settings",           "GET",  "/portal/settings",                    MEMBER),
    rule("partner.webhook.set",       "POST", "/portal/settings/webhook",            COORDINATOR),
    rule("partner.capacity.set",      "POST", "/portal/settings/capacity",           MEMBER),
    rule("portal.keys.create",        "POST", "/portal/settings/keys",               COORDINATOR),
    rule("portal.keys.revoke",        "POST", "/portal/settings/keys/{id}/revoke",   COORDINATOR),
    rule("portal.users.invite",       "POST", "/portal/settings/users",              COORDINATOR),
    rule("portal.users.disable",      "POST", "/portal/settings/users/{id}/disable", COORDINATOR),
    rule("portal.preferences",        "POST", "/portal/settings/me",                 MEMBER),
    rule("portal.scorecard",          "GET",  "/portal/scorecard",                   MEMBER),
];

pub fn find_portal(method: &str, path: &str) -> Option<&'static Rule> {
    PORTAL.iter().find(|r| r.method == method && r.path == path)
}

pub fn find_page(method: &str, path: &str) -> Option<&'static Rule> {
    PAGES.iter().find(|r| r.method == method && r.path == path)
}

/// Paths under these prefixes must each be in [`POLICY`].
pub const GUARDED_PREFIXES: &[&str] = &["/api/", "/partner/"];

pub fn find(method: &str, path: &str) -> Option<&'static Rule> {
    POLICY.iter().find(|r| r.method == method && r.path == path)
}

/// The rule that let a request in, for the handlers' audit entries.
#[derive(Debug, Clone, Copy)]
pub struct MatchedRule(pub &'static Rule);
