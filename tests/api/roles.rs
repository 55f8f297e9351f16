//! Who may do what, as `API.md`'s table says, written out here rather than
//! read from the access policy: every role tries every staff operation on
//! data made for the attempt. A role the table allows gets the operation's
//! own success status, and the audit log (read with `actor=`) names that
//! person, the operation and what it touched; any other role gets a 403
//! that names the operation but not who would be allowed, recorded as
//! denied. Partners' steps and the administrator's command-line changes are
//! each recorded too, under their own actor.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use brug::auth::Role;
use brug::auth::commands as auth_commands;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem, spawn_app};
use crate::referrals::{ACCRA, day, ok, send};

const COUNSELLOR: &str = "counsellor";
const CASEWORKER: &str = "caseworker";
const LEAD: &str = "lead";
const ADMIN: &str = "admin";
const ALL: &[&str] = &[COUNSELLOR, CASEWORKER, LEAD, ADMIN];
const CLIENT_STAFF: &[&str] = &[COUNSELLOR, CASEWORKER];

/// One staff operation and who may use it.
struct Operation {
    /// Its name in the audit log and in a 403.
    name: &'static str,
    method: &'static str,
    path: &'static str,
    who: &'static [&'static str],
    /// What the allowed get.
    success: u16,
    /// The kind of subject its audit entry names; `None` when it is not
    /// audited (directory, reports, aggregates: nothing about a person).
    audited: Option<&'static str>,
}

const fn op(
    name: &'static str,
    method: &'static str,
    path: &'static str,
    who: &'static [&'static str],
    success: u16,
    audited: Option<&'static str>,
) -> Operation {
    Operation {
        name,
        method,
        path,
        who,
        success,
        audited,
    }
}

/// `API.md`, "Staff API", one row per operation (the rows that list two
/// operations are split), and the reassignments of its additions' table
/// ("bulk by user" is `POST /api/v1/assignments`). Below them, the staff routes `API.md`'s table
/// does not list, as the README (and now `docs/api.md`) gives them: the audit log for administrators, a
/// client's consents and households and one talk for those who work with
/// clients, amending a talk for counsellors, `me` for everyone, and the
/// AMIF report for leads and administrators like the other reports.
#[rustfmt::skip]
const OPERATIONS: &[Operation] = &[
    op("clients.create",    "POST",  "/api/v1/clients",                         CLIENT_STAFF, 201, Some("client")),
    op("clients.search",    "GET",   "/api/v1/clients",                         CLIENT_STAFF, 200, Some("client")),
    op("clients.get",       "GET",   "/api/v1/clients/{id}",                    CLIENT_STAFF, 200, Some("client")),
    // The additions' table: everything held about a person.
    op("clients.export",    "GET",   "/api/v1/clients/{id}/export",             &[COUNSELLOR, CASEWORKER, ADMIN], 200, Some("client")),
    op("talks.create",      "POST",  "/api/v1/clients/{id}/talks",              &[COUNSELLOR], 201, Some("talk")),
    op("talks.list",        "GET",   "/api/v1/clients/{id}/talks",              CLIENT_STAFF, 200, Some("client")),
    op("consents.create",   "POST",  "/api/v1/clients/{id}/consents",           CLIENT_STAFF, 201, Some("consent")),
    op("consents.withdraw", "POST",  "/api/v1/consents/{id}/withdraw",          CLIENT_STAFF, 200, Some("consent")),
    op("cases.open",        "POST",  "/api/v1/return-cases",                    &[CASEWORKER], 201, Some("return_case")),
    op("cases.get",         "GET",   "/api/v1/return-cases/{id}",               &[CASEWORKER], 200, Some("return_case")),
    op("cases.matches",     "GET",   "/api/v1/return-cases/{id}/partner-matches", &[CASEWORKER], 200, Some("return_case")),
    op("referrals.send",    "POST",  "/api/v1/return-cases/{id}/referrals",     &[CASEWORKER], 201, Some("referral")),
    op("referrals.cancel",  "POST",  "/api/v1/referrals/{id}/cancel",           &[CASEWORKER], 200, Some("referral")),
    op("checklist.get",     "GET",   "/api/v1/return-cases/{id}/checklist",     &[CASEWORKER], 200, Some("return_case")),
    op("checklist.update",  "PATCH", "/api/v1/checklist-items/{id}",            &[CASEWORKER], 200, Some("checklist_item")),
    // The departure moves the case's referral to in progress.
    op("cases.depart",      "POST",  "/api/v1/return-cases/{id}/departure",     &[CASEWORKER], 200, Some("referral")),
    op("plans.approve",     "POST",  "/api/v1/referrals/{id}/reintegration-plan/approve", &[CASEWORKER], 200, Some("referral")),
    op("plans.reject",      "POST",  "/api/v1/referrals/{id}/reintegration-plan/reject",  &[CASEWORKER], 200, Some("referral")),
    op("partners.list",     "GET",   "/api/v1/partners",                        ALL, 200, None),
    op("partners.get",      "GET",   "/api/v1/partners/{id}",                   ALL, 200, None),
    op("reports.funnel",    "GET",   "/api/v1/reports/funnel",                  &[LEAD, ADMIN], 200, None),
    op("reports.partners",  "GET",   "/api/v1/reports/partners",                &[LEAD, ADMIN], 200, None),
    op("reports.overdue",   "GET",   "/api/v1/reports/overdue",                 &[LEAD, CASEWORKER], 200, None),
    op("reports.sustainability", "GET", "/api/v1/reports/sustainability",       &[LEAD, ADMIN], 200, None),
    // The additions' table: reassign work, audited per record.
    op("clients.assign",    "POST",  "/api/v1/clients/{id}/assign",             &[LEAD, ADMIN], 200, Some("client")),
    op("cases.assign",      "POST",  "/api/v1/return-cases/{id}/assign",        &[LEAD, ADMIN], 200, Some("return_case")),
    op("assignments.move",  "POST",  "/api/v1/assignments",                     &[LEAD, ADMIN], 200, Some("client")),
    // Not in API.md's table (in docs/api.md's).
    op("audit.list",        "GET",   "/api/v1/audit",                           &[ADMIN], 200, Some("audit_log")),
    op("consents.list",     "GET",   "/api/v1/clients/{id}/consents",           CLIENT_STAFF, 200, Some("client")),
    op("households.create", "POST",  "/api/v1/households",                      CLIENT_STAFF, 201, Some("household")),
    op("households.get",    "GET",   "/api/v1/households/{id}",                 CLIENT_STAFF, 200, Some("household")),
    op("me.get",            "GET",   "/api/v1/me",                              ALL, 200, None),
    op("reports.amif",      "GET",   "/api/v1/reports/amif",                    &[LEAD, ADMIN], 200, None),
    op("talks.get",         "GET",   "/api/v1/talks/{id}",                      CLIENT_STAFF, 200, Some("talk")),
    op("talks.amend",       "PATCH", "/api/v1/talks/{id}",                      &[COUNSELLOR], 200, Some("talk")),
];

/// What an audit entry should name as its subject.
enum Subject {
    /// This id.
    Is(String),
    /// The `id` of what the call made.
    Made,
}

/// A call ready to make: its path with ids, its body, its subject.
struct Call {
    path: String,
    body: Option<Value>,
    subject: Subject,
}

/// Fixture makers, each with the role that may make what it makes.
struct World {
    app: TestApp,
    counsellor: String,
    caseworker: String,
    accra: String,
    made: AtomicUsize,
}

impl World {
    async fn new() -> Self {
        let app = spawn_app().await;
        Self {
            counsellor: app.staff_token(&[Role::Counsellor]).await,
            caseworker: app.staff_token(&[Role::Caseworker]).await,
            accra: app.partner_key(ACCRA).await,
            made: AtomicUsize::new(0),
            app,
        }
    }

    async fn read(&self, token: &str, path: &str) -> Value {
        read(&self.app, token, path).await
    }

    async fn post(&self, token: &str, path: &str, body: Value, status: u16) -> Value {
        ok(
            send(&self.app, token, Method::POST, path, Some(body)).await,
            status,
        )
        .await
    }

    fn client_body(&self) -> Value {
        let n = self.made.fetch_add(1, Ordering::Relaxed);
        json!({
            "given_name": format!("Testperson{n}"), "family_name": "Example",
            "date_of_birth": "1990-01-01", "country_of_origin": "GH", "languages": ["en"]
        })
    }

    async fn client(&self) -> String {
        let body = self.client_body();
        id(&self
            .post(&self.counsellor, "/api/v1/clients", body, 201)
            .await)
    }

    fn talk_body() -> Value {
        json!({"held_on": day(-1), "mode": "phone", "topics": ["return"], "intention": "return", "duration_minutes": 30})
    }

    async fn talk(&self, client: &str) -> String {
        let path = format!("/api/v1/clients/{client}/talks");
        id(&self
            .post(&self.counsellor, &path, Self::talk_body(), 201)
            .await)
    }

    fn consent_body() -> Value {
        json!({
            "purpose": "referral", "data_categories": ["identity", "needs"], "partner_id": ACCRA,
            "given_on": day(0), "method": "written", "language": "en"
        })
    }

    async fn consent(&self, client: &str) -> String {
        let path = format!("/api/v1/clients/{client}/consents");
        id(&self
            .post(&self.caseworker, &path, Self::consent_body(), 201)
            .await)
    }

    /// A client who means to return, with consent for Accra: (client, consent).
    async fn ready(&self) -> (String, String) {
        let client = self.client().await;
        self.talk(&client).await;
        let consent = self.consent(&client).await;
        (client, consent)
    }

    fn case_body(client: &str) -> Value {
        json!({
            "client_id": client, "destination_country": "GH", "needs": ["housing"],
            "planned_departure_on": day(30)
        })
    }

    /// An open return case: (case, consent).
    async fn case(&self) -> (String, String) {
        let (client, consent) = self.ready().await;
        let case = self
            .post(
                &self.caseworker,
                "/api/v1/return-cases",
                Self::case_body(&client),
                201,
            )
            .await;
        (id(&case), consent)
    }

    /// A referral sent to Accra: (case, referral).
    async fn referral(&self) -> (String, String) {
        let (case, consent) = self.case().await;
        let path = format!("/api/v1/return-cases/{case}/referrals");
        let body = json!({"partner_id": ACCRA, "consent_id": consent});
        let referral = self.post(&self.caseworker, &path, body, 201).await;
        (case, id(&referral))
    }

    async fn partner_step(&self, referral: &str, step: &str, body: Value) {
        let path = format!("/partner/v1/referrals/{referral}/{step}");
        self.post(&self.accra, &path, body, 200).await;
    }

    /// A referral Accra accepted: (case, referral).
    async fn accepted(&self) -> (String, String) {
        let (case, referral) = self.referral().await;
        self.partner_step(&referral, "acknowledge", json!({})).await;
        self.partner_step(&referral, "accept", json!({})).await;
        (case, referral)
    }

    /// A referral whose person arrived and whose plan Accra submitted.
    async fn planned(&self) -> String {
        let (case, referral) = self.accepted().await;
        let path = format!("/api/v1/return-cases/{case}/departure");
        self.post(&self.caseworker, &path, json!({"departed_on": day(0)}), 200)
            .await;
        let arrival = json!({"arrived_on": day(0), "received": true});
        self.partner_step(&referral, "arrival", arrival).await;
        let plan = json!({"items": [{"need": "housing", "support": "Rent", "amount": 100, "currency": "GHS"}]});
        self.partner_step(&referral, "reintegration-plan", plan)
            .await;
        referral
    }

    /// A counsellor to hand work to: their id.
    async fn other_counsellor(&self) -> String {
        let token = self.app.staff_token(&[Role::Counsellor]).await;
        id(&self.read(&token, "/api/v1/me").await)
    }

    /// A caseworker to hand work to: their id.
    async fn other_caseworker(&self) -> String {
        let token = self.app.staff_token(&[Role::Caseworker]).await;
        id(&self.read(&token, "/api/v1/me").await)
    }

    /// What `operation` needs, made afresh, for the person holding `actor`.
    async fn prepare(&self, operation: &str, actor: &str) -> Call {
        let call = |path: String, body: Option<Value>, subject: Subject| Call {
            path,
            body,
            subject,
        };
        match operation {
            "clients.create" => call(
                "/api/v1/clients".into(),
                Some(self.client_body()),
                Subject::Made,
            ),
            "clients.search" => {
                let client = self.client().await;
                // The search names what it found.
                let n = self.made.load(Ordering::Relaxed) - 1;
                call(
                    format!("/api/v1/clients?q=Testperson{n}"),
                    None,
                    Subject::Is(client),
                )
            }
            "clients.get" | "clients.export" | "talks.list" | "consents.list" => {
                let client = self.client().await;
                let path = match operation {
                    "clients.get" => format!("/api/v1/clients/{client}"),
                    "clients.export" => format!("/api/v1/clients/{client}/export"),
                    "talks.list" => format!("/api/v1/clients/{client}/talks"),
                    _ => format!("/api/v1/clients/{client}/consents"),
                };
                call(path, None, Subject::Is(client))
            }
            "talks.create" => {
                let client = self.client().await;
                let path = format!("/api/v1/clients/{client}/talks");
                call(path, Some(Self::talk_body()), Subject::Made)
            }
            "talks.get" | "talks.amend" => {
                let client = self.client().await;
                // Only the counsellor who recorded a talk may amend it: the
                // talk is the actor's own when the actor may record one.
                let path = format!("/api/v1/clients/{client}/talks");
                let own = send(
                    &self.app,
                    actor,
                    Method::POST,
                    &path,
                    Some(Self::talk_body()),
                )
                .await;
                let talk = if own.status().as_u16() == 201 {
                    id(&own.json().await.expect("json"))
                } else {
                    self.talk(&client).await
                };
                let body = (operation == "talks.amend").then(|| json!({"duration_minutes": 50}));
                call(format!("/api/v1/talks/{talk}"), body, Subject::Is(talk))
            }
            "consents.create" => {
                let client = self.client().await;
                let path = format!("/api/v1/clients/{client}/consents");
                call(path, Some(Self::consent_body()), Subject::Made)
            }
            "consents.withdraw" => {
                let (_, consent) = self.ready().await;
                let path = format!("/api/v1/consents/{consent}/withdraw");
                let body = json!({"reason": "Changed her mind."});
                call(path, Some(body), Subject::Is(consent))
            }
            "cases.open" => {
                let (client, _) = self.ready().await;
                let body = Self::case_body(&client);
                call("/api/v1/return-cases".into(), Some(body), Subject::Made)
            }
            "cases.get" | "cases.matches" | "checklist.get" => {
                let (case, _) = self.case().await;
                let path = match operation {
                    "cases.get" => format!("/api/v1/return-cases/{case}"),
                    "cases.matches" => format!("/api/v1/return-cases/{case}/partner-matches"),
                    _ => format!("/api/v1/return-cases/{case}/checklist"),
                };
                call(path, None, Subject::Is(case))
            }
            "referrals.send" => {
                let (case, consent) = self.case().await;
                let path = format!("/api/v1/return-cases/{case}/referrals");
                let body = json!({"partner_id": ACCRA, "consent_id": consent});
                call(path, Some(body), Subject::Made)
            }
            "referrals.cancel" => {
                let (_, referral) = self.referral().await;
                let path = format!("/api/v1/referrals/{referral}/cancel");
                let body = json!({"reason": "The client asked to wait."});
                call(path, Some(body), Subject::Is(referral))
            }
            "checklist.update" => {
                // The checklist is made when a partner accepts.
                let (case, _) = self.accepted().await;
                let checklist: Value = self
                    .read(
                        &self.caseworker,
                        &format!("/api/v1/return-cases/{case}/checklist"),
                    )
                    .await;
                let item = id(&checklist["items"][0]);
                let path = format!("/api/v1/checklist-items/{item}");
                call(path, Some(json!({"status": "done"})), Subject::Is(item))
            }
            "cases.depart" => {
                let (case, referral) = self.accepted().await;
                let path = format!("/api/v1/return-cases/{case}/departure");
                call(
                    path,
                    Some(json!({"departed_on": day(0)})),
                    Subject::Is(referral),
                )
            }
            "plans.approve" | "plans.reject" => {
                let referral = self.planned().await;
                let verb = operation.trim_start_matches("plans.");
                let path = format!("/api/v1/referrals/{referral}/reintegration-plan/{verb}");
                let body = json!({"comment": "Please add the school fees."});
                let body = (verb == "reject").then_some(body);
                call(path, body, Subject::Is(referral))
            }
            "partners.get" => call(
                format!("/api/v1/partners/{ACCRA}"),
                None,
                Subject::Is(ACCRA.into()),
            ),
            "households.create" => {
                let member = self.client().await;
                let body = json!({"label": "Family", "member_ids": [member]});
                call("/api/v1/households".into(), Some(body), Subject::Made)
            }
            "households.get" => {
                let member = self.client().await;
                let body = json!({"label": "Family", "member_ids": [member]});
                let household = self
                    .post(&self.counsellor, "/api/v1/households", body, 201)
                    .await;
                let household = id(&household);
                let path = format!("/api/v1/households/{household}");
                call(path, None, Subject::Is(household))
            }
            "clients.assign" => {
                let client = self.client().await;
                let body = json!({"user_id": self.other_counsellor().await});
                let path = format!("/api/v1/clients/{client}/assign");
                call(path, Some(body), Subject::Is(client))
            }
            "cases.assign" => {
                let (case, _) = self.case().await;
                let body = json!({"user_id": self.other_caseworker().await});
                let path = format!("/api/v1/return-cases/{case}/assign");
                call(path, Some(body), Subject::Is(case))
            }
            "assignments.move" => {
                // A counsellor with a caseload of one, handed to another.
                let leaving = self.app.staff_token(&[Role::Counsellor]).await;
                let body = self.client_body();
                let client = id(&self.post(&leaving, "/api/v1/clients", body, 201).await);
                let from = id(&self.read(&leaving, "/api/v1/me").await);
                let body = json!({
                    "from_user_id": from, "to_user_id": self.other_counsellor().await,
                    "kind": "clients"
                });
                call(
                    "/api/v1/assignments".into(),
                    Some(body),
                    Subject::Is(client),
                )
            }
            // Lists, reports and the caller itself: nothing to make.
            _ => {
                let rule = OPERATIONS
                    .iter()
                    .find(|o| o.name == operation)
                    .expect("an operation of the table");
                call(rule.path.into(), None, Subject::Is(String::new()))
            }
        }
    }
}

/// A GET that must answer 200: its body.
async fn read(app: &TestApp, token: &str, path: &str) -> Value {
    ok(send(app, token, Method::GET, path, None).await, 200).await
}

fn id(value: &Value) -> String {
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an id in {value}"))
        .to_owned()
}

/// The newest audit entry whose actor is `actor`, read by an administrator.
async fn newest_by(app: &TestApp, admin: &str, actor: &str) -> Value {
    last_request_by(app, admin, actor).await.swap_remove(0)
}

/// The audit entries of `actor`'s latest request (a household shown is a
/// read of it and of each member), newest first.
async fn last_request_by(app: &TestApp, admin: &str, actor: &str) -> Vec<Value> {
    let page = read(app, admin, &format!("/api/v1/audit?actor={actor}&limit=20")).await;
    let items = page["items"].as_array().cloned().unwrap_or_default();
    let request = items.first().map(|first| first["request_id"].clone());
    items
        .into_iter()
        .filter(|item| Some(&item["request_id"]) == request.as_ref())
        .collect()
}

#[tokio::test]
async fn every_role_may_do_exactly_what_the_contract_gives_it_and_each_act_is_recorded() {
    let world = World::new().await;
    let app = &world.app;
    let auditor = app.staff_token(&[Role::Admin]).await;
    let mut people = Vec::new();
    for (name, role) in [
        (COUNSELLOR, Role::Counsellor),
        (CASEWORKER, Role::Caseworker),
        (LEAD, Role::Lead),
        (ADMIN, Role::Admin),
    ] {
        let token = app.staff_token(&[role]).await;
        let me = ok(app.get_as(Some(&token), "/api/v1/me").await, 200).await;
        people.push((name, token, id(&me)));
    }

    // The table covers every staff route there is, and nothing else.
    let routes: BTreeSet<(String, String)> = brug::startup::routes()
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/"))
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect();
    let table: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|o| (o.method.to_owned(), o.path.to_owned()))
        .collect();
    assert_eq!(routes, table, "the staff routes and the table differ");

    for operation in OPERATIONS {
        for (role, token, user_id) in &people {
            let call = world.prepare(operation.name, token).await;
            let method = Method::from_bytes(operation.method.as_bytes()).expect("a method");
            let response = send(app, token, method, &call.path, call.body).await;
            let status = response.status().as_u16();
            let text = response.text().await.expect("a body");
            let cell = format!("{role} on {} {}", operation.method, call.path);
            let entries = last_request_by(app, &auditor, user_id).await;
            let entry = &entries[0];
            if operation.who.contains(role) {
                assert_eq!(status, operation.success, "{cell}: {text}");
                let Some(subject_type) = operation.audited else {
                    assert_ne!(entry["operation"], operation.name, "{cell}: not audited");
                    continue;
                };
                let subject = match call.subject {
                    Subject::Is(subject) => subject,
                    Subject::Made => {
                        let made: Value = serde_json::from_str(&text).expect("json");
                        id(&made)
                    }
                };
                let named = entries
                    .iter()
                    .find(|e| e["subject_type"] == subject_type)
                    .unwrap_or_else(|| panic!("{cell}: no {subject_type} in {entries:?}"));
                for entry in &entries {
                    assert_eq!(entry["actor_type"], "staff", "{cell}: {entry}");
                    assert_eq!(entry["actor_id"], user_id.as_str(), "{cell}: {entry}");
                    assert_eq!(entry["operation"], operation.name, "{cell}: {entry}");
                    assert_eq!(entry["outcome"], "ok", "{cell}: {entry}");
                }
                if !subject.is_empty() {
                    assert_eq!(named["subject_id"], subject.as_str(), "{cell}: {named}");
                }
            } else {
                assert_eq!(status, 403, "{cell}: {text}");
                let body: Value = serde_json::from_str(&text).expect("problem+json");
                let detail = body["detail"].as_str().unwrap_or_default();
                assert!(detail.contains(operation.name), "{cell}: {detail}");
                for other in ALL {
                    assert!(!detail.contains(other), "{cell} tells who may: {detail}");
                }
                assert_eq!(entry["operation"], operation.name, "{cell}: {entry}");
                assert_eq!(entry["outcome"], "denied", "{cell}: {entry}");
                assert_eq!(entry["subject_id"], operation.path, "{cell}: {entry}");
            }
        }
    }
}

/// Every step a partner takes on its referral is recorded under the
/// partner, naming the step and the referral; so is its reading of one.
#[tokio::test]
async fn every_partner_step_is_recorded_under_the_partner() {
    let world = World::new().await;
    let app = &world.app;
    let admin = app.staff_token(&[Role::Admin]).await;
    let recorded_on = |operation: &'static str, kind: &'static str, subject: String| {
        let admin = admin.clone();
        async move {
            let entry = newest_by(app, &admin, ACCRA).await;
            assert_eq!(entry["actor_type"], "partner", "{entry}");
            assert_eq!(entry["operation"], operation, "{entry}");
            assert_eq!(entry["subject_type"], kind, "{entry}");
            assert_eq!(entry["subject_id"], subject.as_str(), "{entry}");
            assert_eq!(entry["outcome"], "ok", "{entry}");
        }
    };
    let recorded =
        |operation: &'static str, referral: String| recorded_on(operation, "referral", referral);

    let (_, declined) = world.referral().await;
    world
        .partner_step(&declined, "acknowledge", json!({}))
        .await;
    recorded("partner.referrals.acknowledge", declined.clone()).await;
    let decline = json!({"reason": "No capacity in that region."});
    world.partner_step(&declined, "decline", decline).await;
    recorded("partner.referrals.decline", declined.clone()).await;

    let (case, referral) = world.referral().await;
    world
        .read(&world.accra, &format!("/partner/v1/referrals/{referral}"))
        .await;
    recorded("partner.referrals.get", referral.clone()).await;
    // The list is a read of each referral in it.
    let list = world.read(&world.accra, "/partner/v1/referrals").await;
    let listed: BTreeSet<String> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(id)
        .collect();
    let entries: BTreeSet<String> = last_request_by(app, &admin, ACCRA)
        .await
        .iter()
        .inspect(|e| assert_eq!(e["operation"], "partner.referrals.list", "{e}"))
        .map(|e| e["subject_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(entries, listed);
    assert!(listed.contains(&referral) && listed.contains(&declined));
    world
        .partner_step(&referral, "acknowledge", json!({}))
        .await;
    world.partner_step(&referral, "accept", json!({})).await;
    recorded("partner.referrals.accept", referral.clone()).await;

    let view = world
        .read(&world.accra, &format!("/partner/v1/referrals/{referral}"))
        .await;
    let task = view["checklist"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["owner"] == "partner"))
        .map(id)
        .expect("a task the partner owns");
    let path = format!("/partner/v1/referrals/{referral}/checklist-items/{task}/complete");
    world.post(&world.accra, &path, json!({}), 200).await;
    recorded_on("partner.checklist.complete", "checklist_item", task).await;

    let path = format!("/api/v1/return-cases/{case}/departure");
    world
        .post(
            &world.caseworker,
            &path,
            json!({"departed_on": day(0)}),
            200,
        )
        .await;
    let arrival = json!({"arrived_on": day(0), "received": true});
    world.partner_step(&referral, "arrival", arrival).await;
    recorded("partner.referrals.arrival", referral.clone()).await;
    let plan = json!({"items": [{"need": "housing", "support": "Rent", "amount": 100, "currency": "GHS"}]});
    world
        .partner_step(&referral, "reintegration-plan", plan)
        .await;
    recorded("partner.plans.submit", referral.clone()).await;

    let model = world
        .read(&world.accra, "/partner/v1/monitoring-model")
        .await;
    let answers = crate::after_departure::answers(&model, true);
    let view = world
        .read(&world.accra, &format!("/partner/v1/referrals/{referral}"))
        .await;
    let report = json!({
        "visit_id": view["monitoring_visits"][0]["id"], "held_on": day(0), "mode": "phone",
        "answers": answers
    });
    world.partner_step(&referral, "monitoring", report).await;
    let visit = id(&view["monitoring_visits"][0]);
    recorded_on("partner.monitoring.report", "monitoring_visit", visit).await;
    world
        .partner_step(&referral, "close", json!({"outcome": "completed"}))
        .await;
    recorded("partner.referrals.close", referral).await;
}

/// The administrator's changes to who may sign in (users added and
/// disabled, tokens and partner keys issued and revoked) are recorded,
/// naming the user, token or partner changed.
#[tokio::test]
async fn user_and_key_changes_are_recorded() {
    let app = spawn_app().await;
    let admin = app.staff_token(&[Role::Admin]).await;
    let subject = |kind: &'static str, id: String| {
        let admin = admin.clone();
        let app = &app;
        async move {
            let path = format!("/api/v1/audit?subject_type={kind}&subject_id={id}");
            let page = read(app, &admin, &path).await;
            // What was done at the command line, newest first.
            let items = page["items"].as_array().cloned().unwrap_or_default();
            items
                .iter()
                .filter(|i| i["actor_type"] == "cli")
                .map(|i| i["operation"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        }
    };

    let email = "auditee@example.org".to_owned();
    let added = {
        let email = email.clone();
        app.write(move |conn, now| {
            auth_commands::add_user(conn, &email, None, &[Role::Caseworker], now)
        })
        .await
    };
    let me = ok(app.get_as(Some(&added.secret), "/api/v1/me").await, 200).await;
    let user_id = id(&me);
    assert_eq!(subject("user", user_id.clone()).await, ["users.add"]);
    {
        let email = email.clone();
        app.write(move |conn, now| auth_commands::disable_user(conn, &email, now))
            .await;
    }
    assert_eq!(
        subject("user", user_id).await,
        ["users.disable", "users.add"],
        "newest first"
    );
    problem(app.get_as(Some(&added.secret), "/api/v1/me").await, 401).await;

    let key = app.partner_key(ACCRA).await;
    assert_eq!(
        subject("partner", ACCRA.to_owned()).await,
        ["partner_keys.add"]
    );
    // The key issued is a token of its own, and revoking it is recorded
    // against the same token.
    let page = ok(
        send(
            &app,
            &admin,
            Method::GET,
            "/api/v1/audit?subject_type=token&limit=1",
            None,
        )
        .await,
        200,
    )
    .await;
    let token_id = page["items"][0]["subject_id"]
        .as_str()
        .expect("a token")
        .to_owned();
    assert_eq!(subject("token", token_id.clone()).await, ["tokens.issue"]);
    app.write(move |conn, now| auth_commands::revoke_token(conn, &key, None, now))
        .await;
    assert_eq!(
        subject("token", token_id).await,
        ["tokens.revoke", "tokens.issue"]
    );
}
