//! Counselling over HTTP: clients, households, talks and consent.

use brug::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, named_fields, problem, spawn_app};

struct Desk {
    app: TestApp,
    counsellor: String,
}

impl Desk {
    async fn new() -> Self {
        let app = spawn_app().await;
        let counsellor = app.staff_token(&[Role::Counsellor]).await;
        Self { app, counsellor }
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> reqwest::Response {
        self.app
            .client
            .post(self.app.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("sent")
    }

    async fn patch(&self, token: &str, path: &str, body: Value) -> reqwest::Response {
        self.app
            .client
            .patch(self.app.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("sent")
    }

    async fn get(&self, path: &str) -> Value {
        let response = self.app.get_as(Some(&self.counsellor), path).await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
        response.json().await.expect("json")
    }

    async fn register(&self, body: Value) -> Value {
        let response = self.post(&self.counsellor, "/api/v1/clients", body).await;
        assert_eq!(response.status().as_u16(), 201);
        response.json().await.expect("json")
    }

    async fn talk(&self, client_id: &str, held_on: &str, intention: &str) -> Value {
        let response = self
            .post(
                &self.counsellor,
                &format!("/api/v1/clients/{client_id}/talks"),
                json!({"held_on": held_on, "mode": "in_person", "topics": ["return", "family"],
                       "intention": intention, "duration_minutes": 60}),
            )
            .await;
        assert_eq!(response.status().as_u16(), 201);
        response.json().await.expect("json")
    }
}

fn amina() -> Value {
    json!({
        "given_name": "Amina",
        "family_name": "Example",
        "date_of_birth": "1990-04-12",
        "country_of_origin": "GH",
        "languages": ["en", "tw"],
        "v_number": "1234567890",
        "location": "Reception centre Example-Noord",
    })
}

fn today_plus(days: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(days)).to_string()
}

#[tokio::test]
async fn a_client_is_registered_with_a_short_reference() {
    let desk = Desk::new().await;
    let response = desk
        .post(&desk.counsellor, "/api/v1/clients", amina())
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let client: Value = response.json().await.expect("json");
    assert_eq!(
        location,
        format!("/api/v1/clients/{}", client["id"].as_str().expect("id"))
    );
    let reference = client["reference"].as_str().expect("reference");
    assert!(
        reference.starts_with("TO-") && reference.len() == 8,
        "{reference}"
    );
    assert_eq!(client["latest_intention"], Value::Null);
    assert_eq!(client["languages"], json!(["en", "tw"]));
    assert!(
        client["created_at"].as_str().expect("time").ends_with('Z'),
        "RFC 3339 UTC"
    );

    let fetched = desk.get(&location).await;
    assert_eq!(fetched["reference"], reference);
}

#[tokio::test]
async fn each_bad_field_is_named() {
    let desk = Desk::new().await;
    let mut body = amina();
    body["country_of_origin"] = json!("Ghana");
    body["languages"] = json!([]);
    body["v_number"] = json!("12345");
    body["date_of_birth"] = json!(today_plus(3));
    body["given_name"] = json!("   ");
    let response = desk.post(&desk.counsellor, "/api/v1/clients", body).await;
    let problem_body = problem(response, 422).await;
    let mut fields = named_fields(&problem_body);
    fields.sort();
    fields.dedup();
    // Values serde rejects and rules the rest break, in one answer.
    assert_eq!(
        fields,
        [
            "country_of_origin",
            "date_of_birth",
            "given_name",
            "languages",
            "v_number"
        ]
    );

    let mut body = amina();
    body["languages"] = json!([]);
    body["date_of_birth"] = json!(today_plus(3));
    body["given_name"] = json!("   ");
    let problem_body = problem(
        desk.post(&desk.counsellor, "/api/v1/clients", body).await,
        422,
    )
    .await;
    let mut fields = named_fields(&problem_body);
    fields.sort();
    assert_eq!(fields, ["date_of_birth", "given_name", "languages"]);

    let mut body = amina();
    body["nationality"] = json!("GH");
    let problem_body = problem(
        desk.post(&desk.counsellor, "/api/v1/clients", body).await,
        422,
    )
    .await;
    assert_eq!(named_fields(&problem_body), ["nationality"]);
}

#[tokio::test]
async fn malformed_and_oversized_bodies() {
    let desk = Desk::new().await;
    let response = desk
        .app
        .client
        .post(desk.app.url("/api/v1/clients"))
        .bearer_auth(&desk.counsellor)
        .header("content-type", "application/json")
        .body("{\"given_name\": \"Amina\"")
        .send()
        .await
        .expect("sent");
    problem(response, 400).await;
    let mut body = amina();
    body["location"] = json!("x".repeat(300 * 1024));
    problem(
        desk.post(&desk.counsellor, "/api/v1/clients", body).await,
        413,
    )
    .await;
}

#[tokio::test]
async fn duplicates_are_caught_unless_confirmed() {
    let desk = Desk::new().await;
    let first = desk.register(amina()).await;
    let mut again = amina();
    again["given_name"] = json!("  AMINA ");
    again["v_number"] = Value::Null;
    let body = problem(
        desk.post(&desk.counsellor, "/api/v1/clients", again.clone())
            .await,
        409,
    )
    .await;
    assert_eq!(body["code"], "possible_duplicate");
    assert_eq!(body["existing_ids"], json!([first["id"]]));

    again["confirm_not_duplicate"] = json!(true);
    let second = desk.register(again).await;
    assert_ne!(second["id"], first["id"]);
    assert_ne!(second["reference"], first["reference"]);
}

#[tokio::test]
async fn search_by_reference_name_country_and_caseload() {
    let desk = Desk::new().await;
    let amina = desk.register(amina()).await;
    let mut yusuf = json!({"given_name": "Yusuf", "family_name": "Sample", "date_of_birth": "1985-01-30",
                           "country_of_origin": "AF", "languages": ["prs"]});
    let other = desk.app.staff_token(&[Role::Counsellor]).await;
    let response = desk.post(&other, "/api/v1/clients", yusuf.clone()).await;
    assert_eq!(response.status().as_u16(), 201);
    yusuf = response.json().await.expect("json");

    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["id"].as_str().map(str::to_owned))
            .collect()
    };
    let reference = amina["reference"]
        .as_str()
        .expect("reference")
        .to_lowercase();
    assert_eq!(
        ids(&desk.get(&format!("/api/v1/clients?q={reference}")).await),
        [amina["id"].as_str().expect("id")]
    );
    assert_eq!(
        ids(&desk.get("/api/v1/clients?q=sam").await),
        [yusuf["id"].as_str().expect("id")]
    );
    assert_eq!(
        ids(&desk.get("/api/v1/clients?q=AMI").await),
        [amina["id"].as_str().expect("id")]
    );
    assert_eq!(
        ids(&desk.get("/api/v1/clients?country=AF").await),
        [yusuf["id"].as_str().expect("id")]
    );
    assert_eq!(
        ids(&desk.get("/api/v1/clients?mine=true").await),
        [amina["id"].as_str().expect("id")]
    );
    assert_eq!(
        ids(&desk.get("/api/v1/clients?q=%25").await),
        Vec::<String>::new(),
        "% is a letter, not a wildcard"
    );
    assert_eq!(ids(&desk.get("/api/v1/clients").await).len(), 2);
}

#[tokio::test]
async fn talks_come_newest_first_and_the_latest_by_date_sets_the_intention() {
    let desk = Desk::new().await;
    let client = desk.register(amina()).await;
    let id = client["id"].as_str().expect("id");
    desk.talk(id, &today_plus(-30), "undecided").await;
    desk.talk(id, &today_plus(-2), "return").await;
    // Recorded last, but held earlier: it does not change the latest intention.
    desk.talk(id, &today_plus(-10), "continue_procedure").await;

    let talks = desk.get(&format!("/api/v1/clients/{id}/talks")).await;
    let dates: Vec<&str> = talks["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["held_on"].as_str())
        .collect();
    assert_eq!(dates, [today_plus(-2), today_plus(-10), today_plus(-30)]);
    let client = desk.get(&format!("/api/v1/clients/{id}")).await;
    assert_eq!(client["latest_intention"], "return");
    assert_eq!(client["latest_intention_on"], today_plus(-2));

    let page = desk
        .get(&format!("/api/v1/clients/{id}/talks?limit=2"))
        .await;
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let rest = desk
        .get(&format!(
            "/api/v1/clients/{id}/talks?limit=2&cursor={cursor}"
        ))
        .await;
    assert_eq!(rest["items"][0]["held_on"], today_plus(-30));
    assert_eq!(rest["next_cursor"], Value::Null);
}

#[tokio::test]
async fn talk_validation_names_each_field() {
    let desk = Desk::new().await;
    let client = desk.register(amina()).await;
    let path = format!(
        "/api/v1/clients/{}/talks",
        client["id"].as_str().expect("id")
    );
    let body = json!({"held_on": today_plus(2), "mode": "in_person", "topics": [],
                      "intention": "return", "duration_minutes": 2, "next_talk_on": today_plus(1)});
    let problem_body = problem(desk.post(&desk.counsellor, &path, body).await, 422).await;
    let mut fields = named_fields(&problem_body);
    fields.sort();
    assert_eq!(
        fields,
        ["duration_minutes", "held_on", "next_talk_on", "topics"]
    );

    let body = json!({"held_on": today_plus(-1), "mode": "carrier_pigeon", "topics": ["return", "weather"],
                      "intention": "leave", "duration_minutes": 30, "interpreter_language": "xx"});
    let problem_body = problem(desk.post(&desk.counsellor, &path, body).await, 422).await;
    let mut fields = named_fields(&problem_body);
    fields.sort();
    assert_eq!(
        fields,
        ["intention", "interpreter_language", "mode", "topics[1]"]
    );

    problem(desk.post(&desk.counsellor, "/api/v1/clients/not-a-client/talks", json!({
        "held_on": today_plus(-1), "mode": "phone", "topics": ["return"], "intention": "return", "duration_minutes": 30
    })).await, 404).await;
}

#[tokio::test]
async fn a_talk_is_amended_by_its_author_and_keeps_its_history() {
    let desk = Desk::new().await;
    let client = desk.register(amina()).await;
    let client_id = client["id"].as_str().expect("id");
    let talk = desk.talk(client_id, &today_plus(-3), "undecided").await;
    let talk_path = format!("/api/v1/talks/{}", talk["id"].as_str().expect("id"));

    let response = desk
        .patch(
            &desk.counsellor,
            &talk_path,
            json!({"intention": "return", "notes": "Wants to go home."}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let amended: Value = response.json().await.expect("json");
    assert_eq!(amended["version"], 2);
    assert_eq!(amended["intention"], "return");
    assert_eq!(amended["mode"], "in_person", "unchanged fields stay");

    let full = desk.get(&talk_path).await;
    assert_eq!(full["history"][0]["version"], 1);
    assert_eq!(full["history"][0]["intention"], "undecided");
    assert_eq!(full["history"][0]["notes"], Value::Null);
    let client = desk.get(&format!("/api/v1/clients/{client_id}")).await;
    assert_eq!(client["latest_intention"], "return");

    let colleague = desk.app.staff_token(&[Role::Counsellor]).await;
    problem(
        desk.patch(&colleague, &talk_path, json!({"intention": "undecided"}))
            .await,
        403,
    )
    .await;
    problem(
        desk.patch(&desk.counsellor, &talk_path, json!({})).await,
        422,
    )
    .await;
    let body = problem(
        desk.patch(
            &desk.counsellor,
            &talk_path,
            json!({"next_talk_on": today_plus(-30)}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(named_fields(&body), ["next_talk_on"]);
}

#[tokio::test]
async fn consent_is_recorded_listed_and_withdrawn_once() {
    let desk = Desk::new().await;
    let caseworker = desk.app.staff_token(&[Role::Caseworker]).await;
    let client = desk.register(amina()).await;
    let path = format!(
        "/api/v1/clients/{}/consents",
        client["id"].as_str().expect("id")
    );
    let consent = json!({"purpose": "referral", "data_categories": ["identity", "needs"],
                         "partner_id": "accra-reintegration-network", "given_on": today_plus(-1),
                         "method": "written", "language": "tw"});
    let response = desk.post(&caseworker, &path, consent.clone()).await;
    assert_eq!(response.status().as_u16(), 201);
    let recorded: Value = response.json().await.expect("json");
    assert_eq!(recorded["status"], "active");
    assert_eq!(recorded["data_categories"], json!(["identity", "needs"]));

    let mut both = consent.clone();
    both["country"] = json!("GH");
    let body = problem(desk.post(&caseworker, &path, both).await, 422).await;
    assert_eq!(named_fields(&body), ["partner_id"]);
    let mut unknown = consent.clone();
    unknown["partner_id"] = json!("no-such-partner");
    let body = problem(desk.post(&caseworker, &path, unknown).await, 422).await;
    assert_eq!(named_fields(&body), ["partner_id"]);
    let mut bad = consent.clone();
    bad["data_categories"] = json!(["identity", "bank_account"]);
    bad["method"] = json!("telepathy");
    let body = problem(desk.post(&caseworker, &path, bad).await, 422).await;
    let mut fields = named_fields(&body);
    fields.sort();
    assert_eq!(fields, ["data_categories[1]", "method"]);

    let withdraw = format!(
        "/api/v1/consents/{}/withdraw",
        recorded["id"].as_str().expect("id")
    );
    let response = desk
        .post(
            &caseworker,
            &withdraw,
            json!({"reason": "Changed their mind."}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let withdrawn: Value = response.json().await.expect("json");
    assert_eq!(withdrawn["status"], "withdrawn");
    assert!(withdrawn["withdrawn_at"].is_string());
    assert!(withdrawn["withdrawn_by"].is_string());

    let again = desk
        .app
        .client
        .post(desk.app.url(&withdraw))
        .bearer_auth(&caseworker)
        .send()
        .await
        .expect("sent");
    let body = problem(again, 409).await;
    assert_eq!(body["allowed_transitions"], json!([]));

    let list = desk.get(&path).await;
    assert_eq!(list["items"][0]["status"], "withdrawn");
}

#[tokio::test]
async fn a_household_is_viewed_with_its_members() {
    let desk = Desk::new().await;
    let amina = desk.register(amina()).await;
    let child = desk
        .register(
            json!({"given_name": "Kofi", "family_name": "Example", "date_of_birth": "2015-06-01",
                         "country_of_origin": "GH", "languages": ["tw"]}),
        )
        .await;
    let response = desk
        .post(
            &desk.counsellor,
            "/api/v1/households",
            json!({"label": "Example family", "member_ids": [amina["id"], child["id"]]}),
        )
        .await;
    assert_eq!(response.status().as_u16(), 201);
    let household: Value = response.json().await.expect("json");
    let fetched = desk
        .get(&format!(
            "/api/v1/households/{}",
            household["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(fetched["members"].as_array().map(Vec::len), Some(2));
    let client = desk
        .get(&format!(
            "/api/v1/clients/{}",
            child["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(client["household_id"], household["id"]);

    let body = problem(
        desk.post(
            &desk.counsellor,
            "/api/v1/households",
            json!({"member_ids": ["018f0000-0000-7000-8000-000000000000"]}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(named_fields(&body), ["member_ids[0]"]);
}

#[tokio::test]
async fn leads_are_refused_client_records_and_reads_are_audited() {
    let desk = Desk::new().await;
    let client = desk.register(amina()).await;
    let id = client["id"].as_str().expect("id");
    let lead = desk.app.staff_token(&[Role::Lead]).await;
    for path in [
        format!("/api/v1/clients/{id}"),
        "/api/v1/clients".to_owned(),
        format!("/api/v1/clients/{id}/talks"),
    ] {
        problem(desk.app.get_as(Some(&lead), &path).await, 403).await;
    }
    desk.get(&format!("/api/v1/clients/{id}")).await;
    let admin = desk.app.staff_token(&[Role::Admin]).await;
    let log: Value = desk
        .app
        .get_as(
            Some(&admin),
            &format!("/api/v1/audit?subject_type=client&subject_id={id}"),
        )
        .await
        .json()
        .await
        .expect("json");
    let operations: Vec<&str> = log["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["operation"].as_str())
        .collect();
    assert_eq!(
        operations,
        ["clients.get", "clients.create"],
        "newest first"
    );
    assert!(!log.to_string().contains("Amina"), "ids only, never names");
}
