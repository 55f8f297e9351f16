//! Return cases and referrals over HTTP: matching, consent-gated sending,
//! partner isolation, the minimised view, the state machine, re-routing,
//! the checklist, departure, and cancellation when consent is withdrawn.

use brug::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, named_fields, problem, spawn_app_with};

pub const ACCRA: &str = "accra-reintegration-network";
pub const KUMASI: &str = "kumasi-homecoming-initiative";

pub struct Stage {
    pub app: TestApp,
    pub caseworker: String,
    pub accra: String,
    pub kumasi: String,
    pub client_id: String,
    pub case_id: String,
    pub consent_id: String,
}

pub fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

pub async fn send(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("sent")
}

pub async fn ok(response: reqwest::Response, status: u16) -> Value {
    let code = response.status().as_u16();
    let body: Value = response.json().await.expect("json");
    assert_eq!(code, status, "{body}");
    body
}

impl Stage {
    pub async fn post(&self, token: &str, path: &str, body: Value) -> reqwest::Response {
        send(&self.app, token, reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        send(&self.app, token, reqwest::Method::GET, path, None).await
    }

    /// A Ghanaian client who wants to return, consent for the Accra partner,
    /// and an open return case.
    pub async fn new() -> Self {
        Self::new_with(|_| {}).await
    }

    /// [`Stage::new`] on a server with adjusted settings.
    pub async fn new_with(adjust: impl FnOnce(&mut brug::config::Settings)) -> Self {
        let app = spawn_app_with(adjust).await;
        let counsellor = app.staff_token(&[Role::Counsellor]).await;
        let caseworker = app.staff_token(&[Role::Caseworker]).await;
        let accra = app.partner_key(ACCRA).await;
        let kumasi = app.partner_key(KUMASI).await;
        let client = ok(
            send(
                &app,
                &counsellor,
                reqwest::Method::POST,
                "/api/v1/clients",
                Some(json!({
                    "given_name": "Abena", "family_name": "Example", "date_of_birth": "1988-02-03",
                    "country_of_origin": "GH", "languages": ["tw", "en"], "location": "Example-Zuid"
                })),
            )
            .await,
            201,
        )
        .await;
        let client_id = client["id"].as_str().expect("id").to_owned();
        let talk = ok(
            send(&app, &counsellor, reqwest::Method::POST, &format!("/api/v1/clients/{client_id}/talks"), Some(json!({
                "held_on": day(-1), "mode": "in_person", "topics": ["return"], "intention": "return",
                "duration_minutes": 45, "notes": "Private notes that no partner may ever see."
            })))
            .await,
            201,
        )
        .await;
        let consent = ok(
            send(&app, &caseworker, reqwest::Method::POST, &format!("/api/v1/clients/{client_id}/consents"), Some(json!({
                "purpose": "referral", "data_categories": ["identity", "needs"], "partner_id": ACCRA,
                "given_on": day(0), "method": "written", "language": "tw"
            })))
            .await,
            201,
        )
        .await;
        let case = ok(
            send(&app, &caseworker, reqwest::Method::POST, "/api/v1/return-cases", Some(json!({
                "client_id": client_id, "talk_id": talk["id"], "destination_country": "GH",
                "destination_region": "GH-AA", "needs": ["housing", "medical"], "planned_departure_on": day(40)
            })))
            .await,
            201,
        )
        .await;
        Self {
            caseworker,
            accra,
            kumasi,
            client_id,
            case_id: case["id"].as_str().expect("id").to_owned(),
            consent_id: consent["id"].as_str().expect("id").to_owned(),
            app,
        }
    }

    pub async fn refer(&self, partner: &str, consent_id: &str) -> reqwest::Response {
        self.post(
            &self.caseworker,
            &format!("/api/v1/return-cases/{}/referrals", self.case_id),
            json!({"partner_id": partner, "consent_id": consent_id}),
        )
        .await
    }

    pub async fn partner(
        &self,
        key: &str,
        referral: &str,
        action: &str,
        body: Value,
    ) -> reqwest::Response {
        self.post(
            key,
            &format!("/partner/v1/referrals/{referral}/{action}"),
            body,
        )
        .await
    }

    pub async fn accepted_referral(&self) -> String {
        let referral = ok(self.refer(ACCRA, &self.consent_id).await, 201).await;
        let id = referral["id"].as_str().expect("id").to_owned();
        ok(
            self.partner(&self.accra, &id, "acknowledge", json!({}))
                .await,
            200,
        )
        .await;
        ok(
            self.partner(
                &self.accra,
                &id,
                "accept",
                json!({"note": "We can receive her."}),
            )
            .await,
            200,
        )
        .await;
        id
    }
}

#[tokio::test]
async fn partners_are_ranked_for_the_case_with_reasons() {
    let stage = Stage::new().await;
    let matches = ok(
        stage
            .get(
                &stage.caseworker,
                &format!("/api/v1/return-cases/{}/partner-matches", stage.case_id),
            )
            .await,
        200,
    )
    .await;
    let items = matches["items"].as_array().expect("items");
    let order: Vec<&str> = items
        .iter()
        .filter_map(|m| m["partner_id"].as_str())
        .collect();
    assert_eq!(order, [ACCRA, KUMASI]);
    assert!(items[0]["score"].as_f64() > items[1]["score"].as_f64());
    let reasons = items[0]["reasons"].to_string();
    assert!(
        reasons.contains("Greater Accra") && reasons.contains("Twi"),
        "{reasons}"
    );
    assert!(
        items[1]["reasons"][0]
            .as_str()
            .unwrap_or_default()
            .starts_with("does not work in Greater Accra")
    );
}

#[tokio::test]
async fn one_open_case_per_client_and_bad_cases_are_422() {
    let stage = Stage::new().await;
    let again = stage
        .post(&stage.caseworker, "/api/v1/return-cases", json!({
            "client_id": stage.client_id, "destination_country": "GH", "needs": [], "planned_departure_on": day(10)
        }))
        .await;
    let body = problem(again, 409).await;
    assert_eq!(body["existing_id"], stage.case_id.as_str());
    let bad = stage
        .post(&stage.caseworker, "/api/v1/return-cases", json!({
            "client_id": "018f0000-0000-7000-8000-000000000000", "destination_country": "GH",
            "destination_region": "AF-KAB", "needs": ["housing", "flying"], "planned_departure_on": day(-5)
        }))
        .await;
    let body = problem(bad, 422).await;
    let mut fields = named_fields(&body);
    fields.sort();
    assert_eq!(fields, ["needs[1]"]);
    let bad = stage
        .post(&stage.caseworker, "/api/v1/return-cases", json!({
            "client_id": "018f0000-0000-7000-8000-000000000000", "destination_country": "GH",
            "destination_region": "AF-KAB", "needs": ["housing"], "planned_departure_on": day(-5)
        }))
        .await;
    let mut fields = named_fields(&problem(bad, 422).await);
    fields.sort();
    assert_eq!(
        fields,
        ["destination_region"],
        "rules before the database checks"
    );
}

#[tokio::test]
async fn sending_needs_a_consent_that_covers_the_partner() {
    let stage = Stage::new().await;
    let body = problem(stage.refer(KUMASI, &stage.consent_id).await, 409).await;
    assert!(
        body["detail"].as_str().unwrap_or_default().contains(KUMASI),
        "{body}"
    );

    let referral = ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    assert_eq!(referral["status"], "requested");
    assert_eq!(referral["history"][0]["status"], "requested");
    assert!(referral["acknowledge_due_on"].as_str() < referral["decide_due_on"].as_str());

    let body = problem(stage.refer(ACCRA, &stage.consent_id).await, 409).await;
    assert_eq!(
        body["open_referral_id"], referral["id"],
        "one open referral per case"
    );

    let body = problem(
        stage
            .refer(ACCRA, "018f0000-0000-7000-8000-000000000000")
            .await,
        422,
    )
    .await;
    assert_eq!(named_fields(&body), ["consent_id"]);

    let partner: Value = ok(
        stage
            .get(&stage.caseworker, &format!("/api/v1/partners/{ACCRA}"))
            .await,
        200,
    )
    .await;
    assert_eq!(partner["open_referrals"], 1);
}

#[tokio::test]
async fn a_partner_sees_only_its_own_referrals_and_only_what_consent_allows() {
    let stage = Stage::new().await;
    let referral = ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    let id = referral["id"].as_str().expect("id");

    problem(
        stage
            .get(&stage.kumasi, &format!("/partner/v1/referrals/{id}"))
            .await,
        404,
    )
    .await;
    problem(
        stage
            .partner(&stage.kumasi, id, "acknowledge", json!({}))
            .await,
        404,
    )
    .await;
    let theirs = ok(stage.get(&stage.kumasi, "/partner/v1/referrals").await, 200).await;
    assert_eq!(theirs["items"], json!([]));

    let mine = ok(
        stage
            .get(&stage.accra, "/partner/v1/referrals?status=requested")
            .await,
        200,
    )
    .await;
    assert_eq!(mine["items"][0]["id"], id);
    let view = ok(
        stage
            .get(&stage.accra, &format!("/partner/v1/referrals/{id}"))
            .await,
        200,
    )
    .await;
    assert_eq!(view["destination_country"], "GH");
    assert!(
        view["client"]["reference"]
            .as_str()
            .unwrap_or_default()
            .starts_with("TO-")
    );
    assert_eq!(
        view["client"]["given_name"], "Abena",
        "identity is consented"
    );
    assert_eq!(
        view["client"]["needs"],
        json!(["housing", "medical"]),
        "needs are consented"
    );
    assert!(
        view["client"].get("languages").is_none(),
        "contact is not consented"
    );
    assert!(view["client"].get("location").is_none());
    assert!(
        view["client"].get("household").is_none(),
        "family is not consented"
    );
    assert!(
        !view.to_string().contains("Private notes"),
        "never talk notes"
    );
    assert_eq!(view["shared_categories"], json!(["identity", "needs"]));

    problem(
        stage
            .get(
                &stage.accra,
                &format!("/api/v1/return-cases/{}", stage.case_id),
            )
            .await,
        401,
    )
    .await;
}

#[tokio::test]
async fn the_state_machine_refuses_what_is_not_allowed_now() {
    let stage = Stage::new().await;
    let referral = ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    let id = referral["id"].as_str().expect("id");
    let body = problem(
        stage.partner(&stage.accra, id, "accept", json!({})).await,
        409,
    )
    .await;
    assert_eq!(
        body["allowed_transitions"],
        json!(["acknowledge"]),
        "partners are told their own steps"
    );
    assert_eq!(body["current_status"], "requested");

    let view = ok(
        stage
            .partner(&stage.accra, id, "acknowledge", json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(view["status"], "received");
    let body = problem(
        stage
            .partner(&stage.accra, id, "acknowledge", json!({}))
            .await,
        409,
    )
    .await;
    assert_eq!(body["allowed_transitions"], json!(["accept", "decline"]));
}

#[tokio::test]
async fn a_declined_referral_is_rerouted_to_another_partner() {
    let stage = Stage::new().await;
    let referral = ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    let id = referral["id"].as_str().expect("id");
    ok(
        stage
            .partner(&stage.accra, id, "acknowledge", json!({}))
            .await,
        200,
    )
    .await;
    let body = problem(
        stage.partner(&stage.accra, id, "decline", json!({})).await,
        422,
    )
    .await;
    assert_eq!(named_fields(&body), ["reason_code"]);
    let view = ok(
        stage
            .partner(
                &stage.accra,
                id,
                "decline",
                json!({"reason": "No places in Accra until March."}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(view["status"], "rejected");
    assert_eq!(
        view["status_reason"]["code"], "other",
        "words alone are read as other"
    );

    let case = ok(
        stage
            .get(
                &stage.caseworker,
                &format!("/api/v1/return-cases/{}", stage.case_id),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(case["status"], "open");
    let history = &case["referrals"][0]["history"];
    assert_eq!(history[2]["status"], "rejected");
    assert_eq!(history[2]["reason"], "No places in Accra until March.");
    assert_eq!(history[2]["by_type"], "partner");

    let country_consent = ok(
        stage
            .post(
                &stage.caseworker,
                &format!("/api/v1/clients/{}/consents", stage.client_id),
                json!({
                    "purpose": "referral", "data_categories": ["identity"], "country": "GH",
                    "given_on": day(0), "method": "verbal_witnessed", "language": "tw"
                }),
            )
            .await,
        201,
    )
    .await;
    let rerouted = ok(
        stage
            .refer(KUMASI, country_consent["id"].as_str().expect("id"))
            .await,
        201,
    )
    .await;
    assert_eq!(rerouted["partner_id"], KUMASI);
    let case = ok(
        stage
            .get(
                &stage.caseworker,
                &format!("/api/v1/return-cases/{}", stage.case_id),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(case["referrals"].as_array().map(Vec::len), Some(2));
    let changes: Vec<&str> = case["history"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h["change"].as_str())
        .collect();
    assert_eq!(
        changes,
        [
            "opened",
            "referral_sent",
            "referral_received",
            "referral_rejected",
            "referral_sent"
        ]
    );
}

#[tokio::test]
async fn the_checklist_is_created_on_acceptance_and_partners_complete_only_their_tasks() {
    let stage = Stage::new().await;
    let id = stage.accepted_referral().await;
    let checklist = ok(
        stage
            .get(
                &stage.caseworker,
                &format!("/api/v1/return-cases/{}/checklist", stage.case_id),
            )
            .await,
        200,
    )
    .await;
    let items = checklist["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 8);
    let kinds: Vec<&str> = items.iter().filter_map(|i| i["kind"].as_str()).collect();
    assert!(
        kinds.contains(&"travel_document") && kinds.contains(&"airport_pickup"),
        "{kinds:?}"
    );
    let flight = items
        .iter()
        .find(|i| i["kind"] == "flight")
        .expect("flight");
    assert_eq!(
        flight["due_on"],
        day(40 - 14),
        "due relative to the planned departure"
    );
    assert_eq!(flight["owner"], "organisation");

    // Tasks the consent (identity, needs) shares: the partner's first
    // accommodation, the organisation's reintegration budget.
    let lodging = items
        .iter()
        .find(|i| i["kind"] == "first_accommodation")
        .expect("lodging");
    let lodging_id = lodging["id"].as_str().expect("id");
    let budget = items
        .iter()
        .find(|i| i["kind"] == "reintegration_budget")
        .expect("budget");
    let budget_id = budget["id"].as_str().expect("id");
    let flight_id = flight["id"].as_str().expect("id");
    let done = ok(
        stage
            .post(
                &stage.accra,
                &format!("/partner/v1/referrals/{id}/checklist-items/{lodging_id}/complete"),
                json!({"note": "Room rented."}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(done["status"], "done");
    assert_eq!(done["note"], "Room rented.");
    problem(
        stage
            .post(
                &stage.accra,
                &format!("/partner/v1/referrals/{id}/checklist-items/{budget_id}/complete"),
                json!({}),
            )
            .await,
        403,
    )
    .await;
    problem(
        stage
            .post(
                &stage.kumasi,
                &format!("/partner/v1/referrals/{id}/checklist-items/{lodging_id}/complete"),
                json!({}),
            )
            .await,
        404,
    )
    .await;

    let patched = ok(
        send(
            &stage.app,
            &stage.caseworker,
            reqwest::Method::PATCH,
            &format!("/api/v1/checklist-items/{flight_id}"),
            Some(json!({"status": "done", "note": "Ticket issued."})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(patched["status"], "done");
    let body = problem(
        send(
            &stage.app,
            &stage.caseworker,
            reqwest::Method::PATCH,
            &format!("/api/v1/checklist-items/{flight_id}"),
            Some(json!({"status": "finished"})),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(named_fields(&body), ["status"]);
}

#[tokio::test]
async fn departure_is_recorded_once_the_referral_is_accepted() {
    let stage = Stage::new().await;
    let path = format!("/api/v1/return-cases/{}/departure", stage.case_id);
    problem(
        stage
            .post(&stage.caseworker, &path, json!({"departed_on": day(0)}))
            .await,
        409,
    )
    .await;
    let id = stage.accepted_referral().await;
    let body = problem(
        stage
            .post(&stage.caseworker, &path, json!({"departed_on": day(2)}))
            .await,
        422,
    )
    .await;
    assert_eq!(named_fields(&body), ["departed_on"]);
    let referral = ok(
        stage
            .post(&stage.caseworker, &path, json!({"departed_on": day(0)}))
            .await,
        200,
    )
    .await;
    assert_eq!(referral["id"], id.as_str());
    assert_eq!(referral["status"], "in_progress");
    assert_eq!(referral["departed_on"], day(0));
}

#[tokio::test]
async fn withdrawing_consent_cancels_the_referral_and_hides_the_data() {
    let stage = Stage::new().await;
    let referral = ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    let id = referral["id"].as_str().expect("id");
    ok(
        stage
            .partner(&stage.accra, id, "acknowledge", json!({}))
            .await,
        200,
    )
    .await;
    ok(
        stage
            .post(
                &stage.caseworker,
                &format!("/api/v1/consents/{}/withdraw", stage.consent_id),
                json!({}),
            )
            .await,
        200,
    )
    .await;

    let view = ok(
        stage
            .get(&stage.accra, &format!("/partner/v1/referrals/{id}"))
            .await,
        200,
    )
    .await;
    assert_eq!(view["status"], "cancelled");
    assert_eq!(
        view["history"]
            .as_array()
            .and_then(|h| h.last())
            .map(|h| h["reason"].clone()),
        Some(json!("consent withdrawn"))
    );
    assert!(
        view["client"].get("given_name").is_none(),
        "no personal data after withdrawal"
    );
    assert!(view["client"].get("needs").is_none());
    assert_eq!(view["shared_categories"], json!([]));

    let db = stage.app.db.clone();
    let types = tokio::task::spawn_blocking(move || {
        let mut conn = db.conn().expect("conn");
        brug::events::store::for_partner(&mut conn, ACCRA, 0, 100).expect("events")
    })
    .await
    .expect("ran");
    let names: Vec<&str> = types.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        names,
        [
            "referral.requested",
            "referral.acknowledged",
            "referral.cancelled",
            "consent.withdrawn"
        ]
    );
    assert!(
        types.iter().all(|e| !e.payload.contains("Abena")),
        "ids only"
    );
}

#[tokio::test]
async fn a_caseworker_cancels_with_a_reason_once() {
    let stage = Stage::new().await;
    let referral = ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    let path = format!(
        "/api/v1/referrals/{}/cancel",
        referral["id"].as_str().expect("id")
    );
    let body = problem(stage.post(&stage.caseworker, &path, json!({})).await, 422).await;
    assert_eq!(named_fields(&body), ["reason"]);
    let cancelled = ok(
        stage
            .post(
                &stage.caseworker,
                &path,
                json!({"reason": "Client chose to stay."}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    let body = problem(
        stage
            .post(&stage.caseworker, &path, json!({"reason": "Again."}))
            .await,
        409,
    )
    .await;
    assert_eq!(body["allowed_transitions"], json!([]));
    let partner: Value = ok(
        stage
            .get(&stage.caseworker, &format!("/api/v1/partners/{ACCRA}"))
            .await,
        200,
    )
    .await;
    assert_eq!(partner["open_referrals"], 0);
}

#[tokio::test]
async fn a_partner_sees_no_personal_data_once_its_referral_ends_nor_staff_notes() {
    let stage = Stage::new().await;
    let id = stage.accepted_referral().await;
    let checklist = ok(
        stage
            .get(
                &stage.caseworker,
                &format!("/api/v1/return-cases/{}/checklist", stage.case_id),
            )
            .await,
        200,
    )
    .await;
    let items = checklist["items"].as_array().expect("items").clone();
    let medical = items
        .iter()
        .find(|i| i["kind"] == "medical_fitness_to_fly")
        .expect("medical");
    ok(
        send(
            &stage.app,
            &stage.caseworker,
            reqwest::Method::PATCH,
            &format!(
                "/api/v1/checklist-items/{}",
                medical["id"].as_str().expect("id")
            ),
            Some(json!({"note": "Needs oxygen on board."})),
        )
        .await,
        200,
    )
    .await;
    let view = ok(
        stage
            .get(&stage.accra, &format!("/partner/v1/referrals/{id}"))
            .await,
        200,
    )
    .await;
    assert!(
        !view.to_string().contains("oxygen"),
        "staff notes on the organisation's tasks stay inside"
    );
    assert_eq!(view["client"]["given_name"], "Abena");

    ok(
        stage
            .post(
                &stage.caseworker,
                &format!("/api/v1/referrals/{id}/cancel"),
                json!({"reason": "Client is in hospital."}),
            )
            .await,
        200,
    )
    .await;
    let view = ok(
        stage
            .get(&stage.accra, &format!("/partner/v1/referrals/{id}"))
            .await,
        200,
    )
    .await;
    assert_eq!(view["status"], "cancelled");
    assert!(
        !view.to_string().contains("hospital"),
        "the staff reason is not shared"
    );
    assert!(
        view["client"].get("given_name").is_none(),
        "nothing personal after the end"
    );
    assert_eq!(view["shared_categories"], json!([]));
    assert!(view["client"]["reference"].is_string());
}

#[tokio::test]
async fn concurrent_sends_leave_exactly_one_open_referral() {
    let stage = Stage::new().await;
    let sends = (0..8).map(|_| stage.refer(ACCRA, &stage.consent_id));
    let statuses: Vec<u16> = futures_util::future::join_all(sends)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    let case = ok(
        stage
            .get(
                &stage.caseworker,
                &format!("/api/v1/return-cases/{}", stage.case_id),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(case["referrals"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_event_feed_pages_in_order_without_repeats_and_only_ones_own() {
    let stage = Stage::new().await;
    let id = stage.accepted_referral().await;
    ok(
        stage
            .post(
                &stage.caseworker,
                &format!("/api/v1/referrals/{id}/cancel"),
                json!({"reason": "Plans changed."}),
            )
            .await,
        200,
    )
    .await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(after) => format!("/partner/v1/events?limit=2&after={after}"),
            None => "/partner/v1/events?limit=2".to_owned(),
        };
        let page = ok(stage.get(&stage.accra, &path).await, 200).await;
        for item in page["items"].as_array().expect("items") {
            assert_eq!(item["referral_id"], id.as_str());
            assert!(item["data"]["referral_id"].is_string(), "ids only: {item}");
            seen.push(item["type"].as_str().expect("type").to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "referral.requested",
            "referral.acknowledged",
            "referral.accepted",
            "referral.cancelled"
        ]
    );

    let last = ok(
        stage
            .get(&stage.accra, "/partner/v1/events?limit=500")
            .await,
        200,
    )
    .await;
    let resume = last["items"][3]["cursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let nothing_new = ok(
        stage
            .get(&stage.accra, &format!("/partner/v1/events?after={resume}"))
            .await,
        200,
    )
    .await;
    assert_eq!(
        nothing_new["items"],
        json!([]),
        "resuming from the last cursor repeats nothing"
    );

    let theirs = ok(stage.get(&stage.kumasi, "/partner/v1/events").await, 200).await;
    assert_eq!(
        theirs["items"],
        json!([]),
        "no partner sees another's events"
    );
    let body = problem(
        stage
            .get(&stage.accra, "/partner/v1/events?after=nonsense")
            .await,
        422,
    )
    .await;
    assert_eq!(named_fields(&body), ["after"]);
}
