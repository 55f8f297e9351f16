//! The partner's view of a referral, per data category: each category's
//! client and case fields and checklist tasks show exactly when the consent
//! names it, nothing categorised shows once consent is withdrawn or the
//! referral ends, and a note written by staff never reaches the partner.

use std::collections::BTreeSet;

use brug::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem, spawn_app};
use crate::referrals::{ACCRA, day, ok, send};

const ALL: [&str; 6] = [
    "identity",
    "contact",
    "family",
    "health",
    "needs",
    "travel_documents",
];

/// A client travelling with a household member, and their open case.
struct Case {
    app: TestApp,
    counsellor: String,
    caseworker: String,
    accra: String,
    client_id: String,
    case_id: String,
    member_reference: String,
}

impl Case {
    async fn new() -> Self {
        let app = spawn_app().await;
        let counsellor = app.staff_token(&[Role::Counsellor]).await;
        let caseworker = app.staff_token(&[Role::Caseworker]).await;
        let accra = app.partner_key(ACCRA).await;
        let register = |given: &str, born: &str| {
            json!({
                "given_name": given, "family_name": "Example", "date_of_birth": born,
                "country_of_origin": "GH", "languages": ["tw", "en"], "location": "Example-Zuid"
            })
        };
        let post = async |token: &str, path: &str, body: Value| {
            send(&app, token, reqwest::Method::POST, path, Some(body)).await
        };
        let client = ok(
            post(
                &counsellor,
                "/api/v1/clients",
                register("Abena", "1988-02-03"),
            )
            .await,
            201,
        )
        .await;
        let member = ok(
            post(
                &counsellor,
                "/api/v1/clients",
                register("Kofi", "2015-06-01"),
            )
            .await,
            201,
        )
        .await;
        let client_id = client["id"].as_str().expect("id").to_owned();
        let case = ok(
            post(&caseworker, "/api/v1/return-cases", json!({
                "client_id": client_id, "destination_country": "GH", "destination_region": "GH-AA",
                "needs": ["housing", "medical"], "household_member_ids": [member["id"]],
                "planned_departure_on": day(40)
            }))
            .await,
            201,
        )
        .await;
        Self {
            case_id: case["id"].as_str().expect("id").to_owned(),
            member_reference: member["reference"].as_str().expect("ref").to_owned(),
            app,
            counsellor,
            caseworker,
            accra,
            client_id,
        }
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> reqwest::Response {
        send(&self.app, token, reqwest::Method::POST, path, Some(body)).await
    }

    async fn consent(&self, categories: &[&str]) -> String {
        let consent = ok(
            self.post(
                &self.counsellor,
                &format!("/api/v1/clients/{}/consents", self.client_id),
                json!({
                    "purpose": "referral", "data_categories": categories, "partner_id": ACCRA,
                    "given_on": day(0), "method": "written", "language": "tw"
                }),
            )
            .await,
            201,
        )
        .await;
        consent["id"].as_str().expect("id").to_owned()
    }

    /// A referral under the consent, acknowledged (and accepted, with its
    /// checklist, when `accept`).
    async fn referral(&self, consent_id: &str, accept: bool) -> String {
        let referral = ok(
            self.post(
                &self.caseworker,
                &format!("/api/v1/return-cases/{}/referrals", self.case_id),
                json!({"partner_id": ACCRA, "consent_id": consent_id}),
            )
            .await,
            201,
        )
        .await;
        let id = referral["id"].as_str().expect("id").to_owned();
        self.partner(&id, "acknowledge", json!({})).await;
        if accept {
            self.partner(&id, "accept", json!({})).await;
        }
        id
    }

    async fn partner(&self, id: &str, action: &str, body: Value) -> Value {
        ok(
            self.post(
                &self.accra,
                &format!("/partner/v1/referrals/{id}/{action}"),
                body,
            )
            .await,
            200,
        )
        .await
    }

    /// The current referral's checklist as the staff see it.
    async fn staff_checklist(&self) -> Vec<Value> {
        let checklist = ok(
            send(
                &self.app,
                &self.caseworker,
                reqwest::Method::GET,
                &format!("/api/v1/return-cases/{}/checklist", self.case_id),
                None,
            )
            .await,
            200,
        )
        .await;
        checklist["items"].as_array().expect("items").clone()
    }

    async fn staff_item(&self, kind: &str) -> String {
        let items = self.staff_checklist().await;
        let item = items.iter().find(|i| i["kind"] == kind).expect("kind");
        item["id"].as_str().expect("id").to_owned()
    }

    async fn patch(&self, item_id: &str, body: Value) {
        ok(
            send(
                &self.app,
                &self.caseworker,
                reqwest::Method::PATCH,
                &format!("/api/v1/checklist-items/{item_id}"),
                Some(body),
            )
            .await,
            200,
        )
        .await;
    }

    /// A staff note on every task of the current checklist.
    async fn staff_notes(&self) {
        for item in self.staff_checklist().await {
            let kind = item["kind"].as_str().expect("kind");
            let id = item["id"].as_str().expect("id");
            self.patch(id, json!({"note": format!("Staff note on {kind}.")}))
                .await;
        }
    }

    async fn view(&self, id: &str) -> Value {
        ok(
            send(
                &self.app,
                &self.accra,
                reqwest::Method::GET,
                &format!("/partner/v1/referrals/{id}"),
                None,
            )
            .await,
            200,
        )
        .await
    }
}

fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().expect("object").keys().cloned().collect()
}

fn kinds(view: &Value) -> Vec<String> {
    view["checklist"]
        .as_array()
        .expect("checklist")
        .iter()
        .map(|i| i["kind"].as_str().expect("kind").to_owned())
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// What each category alone shows: the client's fields, the case's, the
/// checklist's tasks.
fn expected(category: &str) -> (Vec<&'static str>, Vec<&'static str>, Vec<&'static str>) {
    match category {
        "identity" => (
            vec!["given_name", "family_name", "date_of_birth"],
            vec![],
            vec![],
        ),
        "contact" => (
            vec!["languages", "location"],
            vec!["destination_region"],
            vec!["partner_contact_before_departure"],
        ),
        "family" => (vec!["household"], vec![], vec![]),
        "health" => (vec![], vec![], vec!["medical_fitness_to_fly"]),
        "needs" => (
            vec!["needs"],
            vec![],
            vec!["reintegration_budget", "first_accommodation"],
        ),
        "travel_documents" => (
            vec![],
            vec!["planned_departure_on"],
            vec!["travel_document", "flight", "luggage", "airport_pickup"],
        ),
        other => panic!("no category {other}"),
    }
}

/// The values a partner sees under one category, asserted exactly.
fn assert_values(case: &Case, category: &str, view: &Value) {
    let client = &view["client"];
    let item = |kind: &str| {
        view["checklist"]
            .as_array()
            .expect("checklist")
            .iter()
            .find(|i| i["kind"] == kind)
            .cloned()
            .expect("item")
    };
    match category {
        "identity" => {
            assert_eq!(client["given_name"], "Abena");
            assert_eq!(client["family_name"], "Example");
            assert_eq!(client["date_of_birth"], "1988-02-03");
        }
        "contact" => {
            assert_eq!(client["languages"], json!(["tw", "en"]));
            assert_eq!(client["location"], "Example-Zuid");
            assert_eq!(view["destination_region"], "GH-AA");
            let contact = item("partner_contact_before_departure");
            assert_eq!(contact["owner"], "partner");
        }
        "family" => {
            assert_eq!(
                client["household"],
                json!([{"reference": case.member_reference}])
            );
        }
        "health" => {
            let medical = item("medical_fitness_to_fly");
            assert_eq!(medical["status"], "open");
            assert_eq!(medical["category"], "health");
        }
        "needs" => assert_eq!(client["needs"], json!(["housing", "medical"])),
        "travel_documents" => {
            assert_eq!(view["planned_departure_on"], day(40));
            assert_eq!(item("travel_document")["due_on"], day(40 - 21));
            assert_eq!(item("airport_pickup")["due_on"], day(40));
        }
        _ => unreachable!(),
    }
}

/// The fields of the view that belong to no category.
const ALWAYS: [&str; 17] = [
    "id",
    "status",
    "sent_at",
    "acknowledge_due_on",
    "decide_due_on",
    "destination_country",
    "departed_on",
    "arrived_on",
    "shared_categories",
    "client",
    "checklist",
    "monitoring_visits",
    "reintegration_plan",
    "outcome",
    "status_reason",
    "on_hold",
    "history",
];

fn assert_shows(case: &Case, view: &Value, categories: &[&str]) {
    let mut client = set(&["reference"]);
    let mut top: BTreeSet<String> = ALWAYS.iter().map(|s| (*s).to_owned()).collect();
    let mut tasks = Vec::new();
    for category in categories {
        let (fields, case_fields, kinds) = expected(category);
        client.extend(fields.iter().map(|s| (*s).to_owned()));
        top.extend(case_fields.iter().map(|s| (*s).to_owned()));
        tasks.extend(kinds);
        assert_values(case, category, view);
    }
    assert_eq!(keys(&view["client"]), client, "client under {categories:?}");
    assert_eq!(keys(view), top, "case fields under {categories:?}");
    let mut shown = kinds(view);
    shown.sort();
    tasks.sort();
    assert_eq!(shown, tasks, "checklist under {categories:?}");
    if !categories.contains(&"travel_documents") {
        for item in view["checklist"].as_array().expect("checklist") {
            assert!(item.get("due_on").is_none(), "due dates go with travel");
        }
    }
    assert_eq!(view["shared_categories"], json!(categories));
    assert!(
        !view.to_string().contains("Staff note"),
        "no staff note under {categories:?}: {view}"
    );
}

/// Nothing categorised: the reference, the destination country, the
/// referral's own progress.
fn assert_nothing_personal(case: &Case, view: &Value) {
    assert_shows(case, view, &[]);
    assert_eq!(view["checklist"], json!([]));
}

#[tokio::test]
async fn each_category_alone_shows_exactly_its_own_fields_and_tasks() {
    let case = Case::new().await;
    for category in ALL {
        let consent = case.consent(&[category]).await;
        let id = case.referral(&consent, true).await;
        case.staff_notes().await;
        let view = case.view(&id).await;
        assert_shows(&case, &view, &[category]);
        ok(
            case.post(
                &case.caseworker,
                &format!("/api/v1/referrals/{id}/cancel"),
                json!({"reason": "Next category."}),
            )
            .await,
            200,
        )
        .await;
    }
    let consent = case.consent(&ALL).await;
    let id = case.referral(&consent, true).await;
    case.staff_notes().await;
    assert_shows(&case, &case.view(&id).await, &ALL);
}

#[tokio::test]
async fn a_task_outside_consent_cannot_be_completed_and_staff_notes_stay_inside() {
    let case = Case::new().await;
    let consent = case.consent(&["identity", "needs"]).await;
    let id = case.referral(&consent, true).await;
    let pickup = case.staff_item("airport_pickup").await;
    let lodging = case.staff_item("first_accommodation").await;
    let complete = async |item: &str, body: Value| {
        case.post(
            &case.accra,
            &format!("/partner/v1/referrals/{id}/checklist-items/{item}/complete"),
            body,
        )
        .await
    };
    problem(complete(&pickup, json!({})).await, 404).await;

    case.patch(
        &lodging,
        json!({"note": "Staff note: her cousin is unreliable."}),
    )
    .await;
    let done = ok(complete(&lodging, json!({})).await, 200).await;
    assert_eq!(done["status"], "done");
    assert_eq!(done["note"], Value::Null, "the staff's note stays inside");
    let view = case.view(&id).await;
    assert!(!view.to_string().contains("cousin"), "{view}");

    let done = ok(
        complete(&lodging, json!({"note": "Room rented."})).await,
        200,
    )
    .await;
    assert_eq!(done["note"], "Room rented.", "the partner's own note");
    case.patch(&lodging, json!({"status": "done"})).await;
    let view = case.view(&id).await;
    let item = view["checklist"]
        .as_array()
        .expect("checklist")
        .iter()
        .find(|i| i["kind"] == "first_accommodation")
        .cloned()
        .expect("item");
    assert_eq!(item["note"], "Room rented.");
    case.patch(&lodging, json!({"note": "Staff note: paid twice."}))
        .await;
    assert!(!case.view(&id).await.to_string().contains("paid twice"));
}

#[tokio::test]
async fn nothing_categorised_shows_after_withdrawal() {
    let case = Case::new().await;
    let consent = case.consent(&ALL).await;
    let id = case.referral(&consent, true).await;
    assert_shows(&case, &case.view(&id).await, &ALL);
    ok(
        case.post(
            &case.counsellor,
            &format!("/api/v1/consents/{consent}/withdraw"),
            json!({}),
        )
        .await,
        200,
    )
    .await;
    let view = case.view(&id).await;
    assert_eq!(view["status"], "cancelled");
    assert_nothing_personal(&case, &view);
}

#[tokio::test]
async fn nothing_categorised_shows_once_the_referral_ends() {
    let case = Case::new().await;
    let consent = case.consent(&ALL).await;

    let declined = case.referral(&consent, false).await;
    let open = case.view(&declined).await;
    assert_eq!(open["client"]["given_name"], "Abena");
    assert_eq!(open["destination_region"], "GH-AA");
    let view = case
        .partner(&declined, "decline", json!({"reason": "No places."}))
        .await;
    assert_eq!(view["status"], "rejected");
    assert_nothing_personal(&case, &view);
    assert_nothing_personal(&case, &case.view(&declined).await);

    let cancelled = case.referral(&consent, true).await;
    ok(
        case.post(
            &case.caseworker,
            &format!("/api/v1/referrals/{cancelled}/cancel"),
            json!({"reason": "Postponed."}),
        )
        .await,
        200,
    )
    .await;
    assert_nothing_personal(&case, &case.view(&cancelled).await);

    let completed = case.referral(&consent, true).await;
    ok(
        case.post(
            &case.caseworker,
            &format!("/api/v1/return-cases/{}/departure", case.case_id),
            json!({"departed_on": day(0)}),
        )
        .await,
        200,
    )
    .await;
    case.partner(
        &completed,
        "arrival",
        json!({"arrived_on": day(0), "received": true}),
    )
    .await;
    let view = case
        .partner(&completed, "close", json!({"outcome": "completed"}))
        .await;
    assert_eq!(view["status"], "completed");
    assert_nothing_personal(&case, &view);
    assert_nothing_personal(&case, &case.view(&completed).await);
}
