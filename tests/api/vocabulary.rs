//! The referral's vocabulary over HTTP: coded declines (and the first
//! version's body still read), on hold and resume with the SLA clock
//! standing still, and the partner's capacity answer ranking the matches.

use brug::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, named_fields, problem, spawn_app};
use crate::referrals::{ACCRA, KUMASI, Stage, day, ok, send};

const CODES: [&str; 6] = [
    "no_capacity",
    "not_in_area",
    "not_eligible",
    "client_unreachable",
    "security_concern",
    "other",
];

struct Programme {
    app: TestApp,
    counsellor: String,
    caseworker: String,
    lead: String,
    accra: String,
}

impl Programme {
    async fn new() -> Self {
        let app = spawn_app().await;
        Programme {
            counsellor: app.staff_token(&[Role::Counsellor]).await,
            caseworker: app.staff_token(&[Role::Caseworker]).await,
            lead: app.staff_token(&[Role::Lead]).await,
            accra: app.partner_key(ACCRA).await,
            app,
        }
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Value {
        let response = send(&self.app, token, Method::POST, path, Some(body)).await;
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("json");
        assert!(status == 200 || status == 201, "{path}: {status} {body}");
        body
    }

    /// Client `i`'s case, referred to Accra and acknowledged there: the
    /// referral's id.
    async fn received(&self, i: usize) -> String {
        self.received_on_case(i).await.1
    }

    /// [`Programme::received`], with the case's id.
    async fn received_on_case(&self, i: usize) -> (String, String) {
        let client = self
            .post(&self.counsellor, "/api/v1/clients", json!({
                "given_name": format!("Person{i}"), "family_name": "Example", "date_of_birth": "1990-01-01",
                "country_of_origin": "GH", "languages": ["en"]
            }))
            .await;
        let id = client["id"].as_str().expect("id").to_owned();
        self.post(&self.counsellor, &format!("/api/v1/clients/{id}/talks"), json!({
            "held_on": day(0), "mode": "phone", "topics": ["return"], "intention": "return", "duration_minutes": 30
        }))
        .await;
        let consent = self
            .post(
                &self.caseworker,
                &format!("/api/v1/clients/{id}/consents"),
                json!({
                    "purpose": "referral", "data_categories": ["identity"], "country": "GH",
                    "given_on": day(0), "method": "written", "language": "en"
                }),
            )
            .await;
        let case = self
            .post(&self.caseworker, "/api/v1/return-cases", json!({
                "client_id": id, "destination_country": "GH", "needs": ["housing"], "planned_departure_on": day(20)
            }))
            .await;
        let case_id = case["id"].as_str().expect("id").to_owned();
        let referral = self
            .post(
                &self.caseworker,
                &format!("/api/v1/return-cases/{case_id}/referrals"),
                json!({"partner_id": ACCRA, "consent_id": consent["id"]}),
            )
            .await;
        let rid = referral["id"].as_str().expect("id").to_owned();
        self.post(
            &self.accra,
            &format!("/partner/v1/referrals/{rid}/acknowledge"),
            json!({}),
        )
        .await;
        (case_id, rid)
    }

    async fn decline(&self, referral: &str, body: Value) -> Value {
        self.post(
            &self.accra,
            &format!("/partner/v1/referrals/{referral}/decline"),
            body,
        )
        .await
    }

    async fn accra_row(&self) -> Value {
        let report = ok(
            self.app
                .get_as(Some(&self.lead), "/api/v1/reports/partners")
                .await,
            200,
        )
        .await;
        report["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|r| r["partner_id"] == ACCRA)
            .cloned()
            .expect("accra's row")
    }
}

#[tokio::test]
async fn a_decline_needs_a_code_and_words_for_other_and_the_old_body_still_works() {
    let p = Programme::new().await;
    let id = p.received(0).await;
    let path = format!("/partner/v1/referrals/{id}/decline");
    for (body, field) in [
        (json!({}), "reason_code"),
        (json!({"reason_code": "other"}), "reason"),
        (json!({"reason_code": "other", "reason": "  "}), "reason"),
        (json!({"reason_code": "too_busy"}), "reason_code"),
    ] {
        let refused = problem(
            send(&p.app, &p.accra, Method::POST, &path, Some(body.clone())).await,
            422,
        )
        .await;
        assert_eq!(named_fields(&refused), [field], "{body}: {refused}");
    }
    let view = p
        .decline(
            &id,
            json!({"reason_code": "not_eligible", "reason": "Already supported by another programme."}),
        )
        .await;
    assert_eq!(view["status"], "rejected");
    assert_eq!(
        view["status_reason"],
        json!({"code": "not_eligible", "text": "Not eligible"})
    );
    let last = view["history"].as_array().expect("history").last().cloned();
    let last = last.expect("an entry");
    assert_eq!(last["status"], "rejected");
    assert_eq!(last["status_reason"]["code"], "not_eligible");
    assert_eq!(last["reason"], "Already supported by another programme.");

    // The first version's body: words alone are `other`.
    let (case_id, old) = p.received_on_case(1).await;
    let view = p.decline(&old, json!({"reason": "We are full."})).await;
    assert_eq!(view["status_reason"]["code"], "other");
    let history = view["history"].as_array().expect("history");
    assert_eq!(history.last().expect("entry")["reason"], "We are full.");

    // The caseworker sees the code on the case too.
    let case = ok(
        p.app
            .get_as(
                Some(&p.caseworker),
                &format!("/api/v1/return-cases/{case_id}"),
            )
            .await,
        200,
    )
    .await;
    let seen = &case["referrals"][0];
    assert_eq!(seen["status_reason"]["code"], "other");
    let last = seen["history"].as_array().expect("history").last().cloned();
    assert_eq!(last.expect("entry")["status_reason"]["text"], "Other");
}

#[tokio::test]
async fn the_partners_report_counts_declines_by_code_with_small_cells_hidden() {
    let p = Programme::new().await;
    for i in 0..5 {
        let id = p.received(i).await;
        p.decline(&id, json!({"reason_code": "no_capacity"})).await;
    }
    let row = p.accra_row().await;
    assert_eq!(row["rejected"], 5);
    assert_eq!(
        row["declines_by_reason"],
        json!({"no_capacity": 5, "not_in_area": 0, "not_eligible": 0,
               "client_unreachable": 0, "security_concern": 0, "other": 0})
    );
    let id = p.received(5).await;
    p.decline(
        &id,
        json!({"reason_code": "security_concern", "reason": "Unrest in the district."}),
    )
    .await;
    let row = p.accra_row().await;
    assert_eq!(row["rejected"], 6);
    assert_eq!(
        row["declines_by_reason"],
        json!({"no_capacity": "<5", "not_in_area": 0, "not_eligible": 0,
               "client_unreachable": 0, "security_concern": "<5", "other": 0}),
        "one hidden cell takes another with it: 6 - 5 would give it away"
    );
    let csv = p
        .app
        .client
        .get(p.app.url("/api/v1/reports/partners"))
        .bearer_auth(&p.lead)
        .header("accept", "text/csv")
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    for code in CODES {
        assert!(
            header.contains(&format!("declines_{code}").as_str()),
            "{header:?}"
        );
    }
    let accra: Vec<&str> = lines
        .find(|l| l.starts_with(ACCRA))
        .expect("accra's line")
        .split(',')
        .collect();
    let at = |name: &str| header.iter().position(|h| *h == name).expect("column");
    assert_eq!(accra[at("declines_no_capacity")], "<5");
    assert_eq!(accra[at("declines_other")], "0");
}

/// The referral's events as the partner reads them.
async fn event_types(stage: &Stage) -> Vec<(String, Value)> {
    let feed = ok(
        stage
            .get(&stage.accra, "/partner/v1/events?limit=500")
            .await,
        200,
    )
    .await;
    feed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap_or("").to_owned(),
                e["data"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_accepted_referral_goes_on_hold_and_resumes_and_the_caseworker_sees_it() {
    let stage = Stage::new().await;
    let referral = ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    let id = referral["id"].as_str().expect("id").to_owned();
    ok(
        stage
            .partner(&stage.accra, &id, "acknowledge", json!({}))
            .await,
        200,
    )
    .await;
    let hold =
        json!({"reason": "Flooding in the district; no visits possible.", "review_on": day(14)});
    let refused = problem(
        stage.partner(&stage.accra, &id, "hold", hold.clone()).await,
        409,
    )
    .await;
    assert_eq!(refused["allowed_transitions"], json!(["accept", "decline"]));
    ok(
        stage.partner(&stage.accra, &id, "accept", json!({})).await,
        200,
    )
    .await;
    let refused = problem(
        stage.partner(&stage.accra, &id, "resume", json!({})).await,
        409,
    )
    .await;
    assert_eq!(refused["current_status"], "accepted");
    assert_eq!(refused["allowed_transitions"], json!(["hold"]));

    for (body, fields) in [
        (
            json!({"reason": "Flooding", "review_on": day(-1)}),
            vec!["review_on"],
        ),
        (
            json!({"reason": "Flooding", "review_on": day(400)}),
            vec!["review_on"],
        ),
        (json!({"reason": "x", "review_on": day(3)}), vec!["reason"]),
        (json!({"reason": "Flooding"}), vec!["review_on"]),
    ] {
        let refused = problem(
            stage.partner(&stage.accra, &id, "hold", body.clone()).await,
            422,
        )
        .await;
        assert_eq!(named_fields(&refused), fields, "{body}");
    }

    let held = ok(
        stage.partner(&stage.accra, &id, "hold", hold.clone()).await,
        200,
    )
    .await;
    assert_eq!(held["status"], "on_hold");
    assert_eq!(held["on_hold"]["review_on"], day(14));
    assert_eq!(held["on_hold"]["reason"], hold["reason"]);
    let again = problem(
        stage.partner(&stage.accra, &id, "hold", hold.clone()).await,
        409,
    )
    .await;
    assert_eq!(again["allowed_transitions"], json!(["resume"]));

    let case_path = format!("/api/v1/return-cases/{}", stage.case_id);
    let case = ok(stage.get(&stage.caseworker, &case_path).await, 200).await;
    let seen = &case["referrals"][0];
    assert_eq!(seen["status"], "on_hold");
    assert_eq!(seen["on_hold"]["reason"], hold["reason"]);
    assert_eq!(seen["on_hold"]["review_on"], day(14));
    assert!(seen["on_hold"]["since"].is_string());
    // No departure while on hold.
    let departure = stage
        .post(
            &stage.caseworker,
            &format!("/api/v1/return-cases/{}/departure", stage.case_id),
            json!({"departed_on": day(0)}),
        )
        .await;
    problem(departure, 409).await;

    let resumed = ok(
        stage
            .partner(
                &stage.accra,
                &id,
                "resume",
                json!({"note": "Roads are open again."}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(resumed["status"], "accepted");
    assert_eq!(resumed["on_hold"], Value::Null);
    let statuses: Vec<&str> = resumed["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["status"].as_str())
        .collect();
    assert_eq!(
        statuses,
        ["requested", "received", "accepted", "on_hold", "accepted"]
    );

    let events = event_types(&stage).await;
    let types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "referral.requested",
            "referral.acknowledged",
            "referral.accepted",
            "referral.on_hold",
            "referral.resumed"
        ]
    );
    assert_eq!(events[3].1["review_on"], day(14));
    assert_eq!(events[4].1["status"], "accepted");

    // Held again, a referral on hold can still be cancelled by the staff.
    ok(stage.partner(&stage.accra, &id, "hold", hold).await, 200).await;
    let cancelled = ok(
        stage
            .post(
                &stage.caseworker,
                &format!("/api/v1/referrals/{id}/cancel"),
                json!({"reason": "The client changed plans."}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    // Another partner cannot hold or resume it: not found.
    problem(
        stage.partner(&stage.kumasi, &id, "resume", json!({})).await,
        404,
    )
    .await;
}

#[tokio::test]
async fn the_sla_clock_stands_still_on_hold_and_the_deadline_moves_back_by_the_days_held() {
    use brug::db::schema::{referrals, return_cases};
    use chrono::{Duration, Utc};
    use diesel::prelude::*;
    let stage = Stage::new().await;
    let lead = stage.app.staff_token(&[Role::Lead]).await;
    let id = stage.accepted_referral().await;
    let today = Utc::now().date_naive();
    let case = stage.case_id.clone();
    // Planned forty days ago: ten days past the thirty days' grace.
    backdate(&stage.app, move |conn| {
        diesel::update(return_cases::table.find(case))
            .set(return_cases::planned_departure_on.eq(today - Duration::days(40)))
            .execute(conn)
    })
    .await;
    let not_departed = |report: &Value| {
        report["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|i| i["kind"] == "not_departed")
            .map(|i| i["referral_id"].as_str().unwrap_or("").to_owned())
            .collect::<Vec<_>>()
    };
    let overdue = || async { ok(stage.get(&lead, "/api/v1/reports/overdue").await, 200).await };
    assert_eq!(not_departed(&overdue().await), std::slice::from_ref(&id));

    let hold = json!({"reason": "The family asked to wait for the harvest.", "review_on": day(30)});
    ok(stage.partner(&stage.accra, &id, "hold", hold).await, 200).await;
    assert!(
        not_departed(&overdue().await).is_empty(),
        "nothing is late while on hold"
    );
    let case_path = format!("/api/v1/return-cases/{}", stage.case_id);
    let case = ok(stage.get(&stage.caseworker, &case_path).await, 200).await;
    assert_eq!(case["referrals"][0]["flags"], json!([]));

    // On hold for twenty days: the deadline moves from ten days ago to ten ahead.
    let held = id.clone();
    backdate(&stage.app, move |conn| {
        diesel::update(referrals::table.find(held))
            .set(referrals::on_hold_since.eq((Utc::now() - Duration::days(20)).naive_utc()))
            .execute(conn)
    })
    .await;
    ok(
        stage.partner(&stage.accra, &id, "resume", json!({})).await,
        200,
    )
    .await;
    assert!(
        not_departed(&overdue().await).is_empty(),
        "pushed back by the days held"
    );
    let case = ok(stage.get(&stage.caseworker, &case_path).await, 200).await;
    assert_eq!(case["referrals"][0]["flags"], json!([]));
    assert_eq!(case["referrals"][0]["held_days"], 20);
}

/// Moves stored dates back, as if time had passed.
async fn backdate(
    app: &TestApp,
    change: impl FnOnce(&mut brug::db::DbConn) -> diesel::QueryResult<usize> + Send + 'static,
) {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        db.write_blocking(|conn| change(conn).map_err(brug::db::DbError::from))
    })
    .await
    .expect("ran")
    .expect("backdated");
}

async fn put_capacity(stage: &Stage, key: &str, items: Value) -> reqwest::Response {
    send(
        &stage.app,
        key,
        Method::PUT,
        "/partner/v1/capacity",
        Some(json!({"items": items})),
    )
    .await
}

async fn match_order(stage: &Stage) -> (Vec<String>, Vec<Value>) {
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
    let items = matches["items"].as_array().expect("items").clone();
    let order = items
        .iter()
        .filter_map(|m| m["partner_id"].as_str().map(str::to_owned))
        .collect();
    (order, items)
}

fn capacity_reason(item: &Value) -> String {
    item["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter_map(Value::as_str)
        .find(|r| r.starts_with("capacity: "))
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_partner_states_its_capacity_and_only_its_own() {
    let stage = Stage::new().await;
    let empty = ok(stage.get(&stage.accra, "/partner/v1/capacity").await, 200).await;
    assert_eq!(empty, json!({"items": []}));
    let set = json!([
        {"country": "GH", "need": "housing", "answer": "yes"},
        {"country": "GH", "need": "medical", "answer": "waitlist", "waitlist_weeks": 6}
    ]);
    let stated = ok(put_capacity(&stage, &stage.accra, set).await, 200).await;
    let read = ok(stage.get(&stage.accra, "/partner/v1/capacity").await, 200).await;
    assert_eq!(stated, read);
    let items = read["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["need"], "housing");
    assert_eq!(items[0]["answer"], "yes");
    assert_eq!(items[0]["waitlist_weeks"], Value::Null);
    assert_eq!(items[1]["answer"], "waitlist");
    assert_eq!(items[1]["waitlist_weeks"], 6);
    assert!(
        items[1]["updated_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    let bad = json!([
        {"country": "GH", "need": "income", "answer": "waitlist"},
        {"country": "NG", "need": "housing", "answer": "yes"},
        {"country": "GH", "need": "family_tracing", "answer": "no"},
        {"country": "GH", "need": "income", "answer": "yes", "waitlist_weeks": 3},
        {"country": "GH", "need": "education", "answer": "waitlist", "waitlist_weeks": 60}
    ]);
    let refused = problem(put_capacity(&stage, &stage.accra, bad).await, 422).await;
    let mut fields = named_fields(&refused);
    fields.sort();
    assert_eq!(
        fields,
        [
            "items[0].waitlist_weeks",
            "items[1].country",
            "items[2].need",
            "items[3].need",
            "items[3].waitlist_weeks",
            "items[4].waitlist_weeks"
        ],
        "{refused}"
    );
    let unchanged = ok(stage.get(&stage.accra, "/partner/v1/capacity").await, 200).await;
    assert_eq!(unchanged, read, "nothing half-written");

    // Kumasi sees only its own, and its set leaves Accra's alone.
    let theirs = ok(stage.get(&stage.kumasi, "/partner/v1/capacity").await, 200).await;
    assert_eq!(theirs, json!({"items": []}));
    let kumasi_set = json!([{"country": "GH", "need": "housing", "answer": "no"}]);
    ok(put_capacity(&stage, &stage.kumasi, kumasi_set).await, 200).await;
    let still = ok(stage.get(&stage.accra, "/partner/v1/capacity").await, 200).await;
    assert_eq!(still, read);
    let cleared = ok(put_capacity(&stage, &stage.accra, json!([])).await, 200).await;
    assert_eq!(cleared, json!({"items": []}), "the whole set is replaced");
}

#[tokio::test]
async fn matching_ranks_by_the_capacity_answer_and_says_it() {
    let stage = Stage::new().await;
    let (order, items) = match_order(&stage).await;
    assert_eq!(order, [ACCRA, KUMASI], "the better fit first");
    assert_eq!(capacity_reason(&items[0]), "capacity: not stated");

    let no = json!([{"country": "GH", "need": "housing", "answer": "no"}]);
    ok(put_capacity(&stage, &stage.accra, no).await, 200).await;
    let (order, items) = match_order(&stage).await;
    assert_eq!(order, [KUMASI, ACCRA], "no answer before no");
    assert_eq!(capacity_reason(&items[1]), "capacity: no");

    let wait = |weeks: u32| json!([{"country": "GH", "need": "housing", "answer": "waitlist", "waitlist_weeks": weeks}]);
    ok(put_capacity(&stage, &stage.kumasi, wait(6)).await, 200).await;
    let yes = json!([
        {"country": "GH", "need": "housing", "answer": "yes"},
        {"country": "GH", "need": "medical", "answer": "yes"}
    ]);
    ok(put_capacity(&stage, &stage.accra, yes).await, 200).await;
    let (order, items) = match_order(&stage).await;
    assert_eq!(order, [ACCRA, KUMASI], "yes before a waitlist");
    assert_eq!(capacity_reason(&items[0]), "capacity: yes");
    assert_eq!(capacity_reason(&items[1]), "capacity: waitlist, 6 weeks");

    ok(put_capacity(&stage, &stage.accra, wait(8)).await, 200).await;
    let (order, _) = match_order(&stage).await;
    assert_eq!(order, [KUMASI, ACCRA], "the shorter wait first");
}

#[tokio::test]
async fn the_case_page_shows_the_hold_and_the_decline_code_in_dutch() {
    use crate::web_helpers::signed_in;
    use crate::web_text::visible_text;
    let stage = Stage::new().await;
    let (mut web, _) = signed_in(&stage.app, &[Role::Caseworker], "Sanne de Vries").await;
    let id = stage.accepted_referral().await;
    let hold = json!({"reason": "Overstroming in het district", "review_on": day(14)});
    ok(stage.partner(&stage.accra, &id, "hold", hold).await, 200).await;
    let page = web.get(&format!("/return-cases/{}", stage.case_id)).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let text = visible_text(&page.html);
    assert!(text.contains("In de wacht tot "), "{text}");
    assert!(
        text.contains(": Overstroming in het district"),
        "the partner's reason beside the date: {text}"
    );
    assert!(text.contains("in de wacht"), "the status in Dutch: {text}");

    let stage = Stage::new().await;
    let (mut web, _) = signed_in(&stage.app, &[Role::Caseworker], "Sanne de Vries").await;
    let referral = ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    let id = referral["id"].as_str().expect("id");
    ok(
        stage
            .partner(&stage.accra, id, "acknowledge", json!({}))
            .await,
        200,
    )
    .await;
    let decline = json!({"reason_code": "no_capacity", "reason": "Vol tot maart."});
    ok(
        stage.partner(&stage.accra, id, "decline", decline).await,
        200,
    )
    .await;
    let page = web.get(&format!("/return-cases/{}", stage.case_id)).await;
    let text = visible_text(&page.html);
    assert!(text.contains("Reden van afwijzen"), "{text}");
    assert!(text.contains("Geen capaciteit: Vol tot maart."), "{text}");
}
