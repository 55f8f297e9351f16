//! The partner API after departure: arrival, the reintegration plan,
//! monitoring with sustainability scores, closure, and idempotent retries.

use serde_json::{Value, json};

use crate::helpers::{named_fields, problem};
use crate::referrals::{Stage, day, ok, send};

/// A referral accepted by the Accra partner, departed today.
async fn departed() -> (Stage, String) {
    let stage = Stage::new().await;
    let id = stage.accepted_referral().await;
    ok(
        stage
            .post(
                &stage.caseworker,
                &format!("/api/v1/return-cases/{}/departure", stage.case_id),
                json!({"departed_on": day(0)}),
            )
            .await,
        200,
    )
    .await;
    (stage, id)
}

async fn arrived() -> (Stage, String, Value) {
    let (stage, id) = departed().await;
    let view = ok(
        stage
            .partner(
                &stage.accra,
                &id,
                "arrival",
                json!({"arrived_on": day(0), "received": true}),
            )
            .await,
        200,
    )
    .await;
    (stage, id, view)
}

/// Every indicator answered with its best (or worst) answer.
pub fn answers(model: &Value, best: bool) -> Value {
    let mut out = serde_json::Map::new();
    for indicator in model["indicators"].as_array().expect("indicators") {
        let options = indicator["answers"].as_array().expect("answers");
        let pick = if best {
            options.first()
        } else {
            options.last()
        };
        out.insert(
            indicator["id"].as_str().expect("id").to_owned(),
            pick.expect("an answer")["value"].clone(),
        );
    }
    Value::Object(out)
}

#[tokio::test]
async fn arrival_comes_after_departure_and_schedules_the_visits() {
    let stage = Stage::new().await;
    let id = stage.accepted_referral().await;
    problem(
        stage
            .partner(
                &stage.accra,
                &id,
                "arrival",
                json!({"arrived_on": day(0), "received": true}),
            )
            .await,
        409,
    )
    .await;
    ok(
        stage
            .post(
                &stage.caseworker,
                &format!("/api/v1/return-cases/{}/departure", stage.case_id),
                json!({"departed_on": day(-1)}),
            )
            .await,
        200,
    )
    .await;
    let body = problem(
        stage
            .partner(
                &stage.accra,
                &id,
                "arrival",
                json!({"arrived_on": day(1), "received": true}),
            )
            .await,
        422,
    )
    .await;
    assert_eq!(named_fields(&body), ["arrived_on"]);
    let body = problem(
        stage
            .partner(
                &stage.accra,
                &id,
                "arrival",
                json!({"arrived_on": day(-3), "received": true}),
            )
            .await,
        422,
    )
    .await;
    assert_eq!(named_fields(&body), ["arrived_on"]);
    problem(
        stage
            .partner(
                &stage.kumasi,
                &id,
                "arrival",
                json!({"arrived_on": day(0), "received": true}),
            )
            .await,
        404,
    )
    .await;

    let view = ok(
        stage
            .partner(
                &stage.accra,
                &id,
                "arrival",
                json!({"arrived_on": day(0), "received": true, "note": "Met at the airport."}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(view["arrived_on"], day(0));
    let visits = view["monitoring_visits"].as_array().expect("visits");
    let months: Vec<i64> = visits
        .iter()
        .filter_map(|v| v["months_after_arrival"].as_i64())
        .collect();
    assert_eq!(months, [1, 3, 6, 12]);
    assert!(visits.iter().all(|v| v["status"] == "scheduled"));
    let first_due = chrono::Utc::now()
        .date_naive()
        .checked_add_months(chrono::Months::new(1))
        .expect("date");
    assert_eq!(visits[0]["due_on"], first_due.to_string());
    problem(
        stage
            .partner(
                &stage.accra,
                &id,
                "arrival",
                json!({"arrived_on": day(0), "received": true}),
            )
            .await,
        409,
    )
    .await;

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
    assert_eq!(
        case["referrals"][0]["monitoring_visits"]
            .as_array()
            .map(Vec::len),
        Some(4)
    );
}

#[tokio::test]
async fn the_plan_is_approved_or_returned_and_resubmitted() {
    let (stage, id, _) = arrived().await;
    let plan_path = format!("/partner/v1/referrals/{id}/reintegration-plan");
    let body = problem(
        stage.post(&stage.accra, &plan_path, json!({"items": [
            {"need": "housing", "support": "Three months' rent", "amount": 900, "currency": "XYZ"},
            {"need": "spaceship", "support": "Launch", "amount": 1, "currency": "GHS"},
        ]})).await,
        422,
    )
    .await;
    let mut fields = named_fields(&body);
    fields.sort();
    // Every bad field, also the rule broken in the element that parsed.
    assert_eq!(fields, ["items[0].currency", "items[1].need"]);
    let body = problem(
        stage.post(&stage.accra, &plan_path, json!({"items": [
            {"need": "housing", "support": "Three months' rent", "amount": -5, "currency": "XYZ"},
        ]})).await,
        422,
    )
    .await;
    let mut fields = named_fields(&body);
    fields.sort();
    assert_eq!(fields, ["items[0].amount", "items[0].currency"]);

    let items = json!({"items": [
        {"need": "housing", "support": "Three months' rent", "amount": 900, "currency": "GHS"},
        {"need": "medical", "support": "Follow-up with a doctor", "amount": 250.5, "currency": "GHS"},
    ]});
    let plan = ok(
        stage.post(&stage.accra, &plan_path, items.clone()).await,
        200,
    )
    .await;
    assert_eq!(plan["status"], "submitted");
    assert_eq!(plan["items"][1]["amount"], 250.5);

    let decide = |verb: &str| format!("/api/v1/referrals/{id}/reintegration-plan/{verb}");
    let body = problem(
        stage
            .post(&stage.caseworker, &decide("reject"), json!({}))
            .await,
        422,
    )
    .await;
    assert_eq!(named_fields(&body), ["comment"]);
    let returned = ok(
        stage
            .post(
                &stage.caseworker,
                &decide("reject"),
                json!({"comment": "Add a budget for education."}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(returned["status"], "returned");
    let view = ok(
        stage
            .get(&stage.accra, &format!("/partner/v1/referrals/{id}"))
            .await,
        200,
    )
    .await;
    assert_eq!(view["reintegration_plan"]["status"], "returned");
    assert_eq!(
        view["reintegration_plan"]["comment"],
        "Add a budget for education."
    );

    let resubmitted = ok(
        stage.post(&stage.accra, &plan_path, items.clone()).await,
        200,
    )
    .await;
    assert_eq!(
        (
            resubmitted["status"].clone(),
            resubmitted["version"].clone()
        ),
        (json!("submitted"), json!(2))
    );
    let approved = ok(
        stage
            .post(&stage.caseworker, &decide("approve"), json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(approved["status"], "approved");
    problem(stage.post(&stage.accra, &plan_path, items).await, 409).await;
    problem(
        stage
            .post(&stage.caseworker, &decide("approve"), json!({}))
            .await,
        409,
    )
    .await;
}

#[tokio::test]
async fn monitoring_is_scored_best_one_worst_zero_and_validated() {
    let (stage, id, view) = arrived().await;
    let model = ok(
        stage
            .get(&stage.accra, "/partner/v1/monitoring-model")
            .await,
        200,
    )
    .await;
    assert!(model["version"].is_string());
    assert!(model["indicators"].as_array().map(Vec::len) >= Some(12));
    let indicator = &model["indicators"][0];
    for field in ["id", "dimension", "question", "answers"] {
        assert!(!indicator[field].is_null(), "{field}");
    }
    assert!(indicator["answers"][0]["label"].is_string());

    let visits = view["monitoring_visits"]
        .as_array()
        .expect("visits")
        .clone();
    let path = format!("/partner/v1/referrals/{id}/monitoring");
    let report = |visit: &Value, best: bool| {
        json!({
            "visit_id": visit["id"], "held_on": day(0), "mode": "phone", "answers": answers(&model, best)
        })
    };
    let best = ok(
        stage
            .post(&stage.accra, &path, report(&visits[0], true))
            .await,
        200,
    )
    .await;
    assert_eq!(
        best["scores"],
        json!({"economic": 1.0, "social": 1.0, "psychosocial": 1.0, "overall": 1.0})
    );
    assert_eq!(best["status"], "done");
    assert_eq!(best["model_version"], model["version"]);
    let worst = ok(
        stage
            .post(&stage.accra, &path, report(&visits[1], false))
            .await,
        200,
    )
    .await;
    assert_eq!(
        worst["scores"],
        json!({"economic": 0.0, "social": 0.0, "psychosocial": 0.0, "overall": 0.0})
    );
    problem(
        stage
            .post(&stage.accra, &path, report(&visits[0], true))
            .await,
        409,
    )
    .await;

    let mut bad = report(&visits[2], true);
    bad["answers"]["horoscope"] = json!("good");
    bad["answers"]["debt"] = json!("millions");
    bad["held_on"] = json!(day(-10));
    let body = problem(stage.post(&stage.accra, &path, bad).await, 422).await;
    let mut fields = named_fields(&body);
    fields.sort();
    assert_eq!(fields, ["answers.debt", "answers.horoscope", "held_on"]);
    let mut missing = report(&visits[2], true);
    missing["answers"]
        .as_object_mut()
        .expect("object")
        .remove("safety");
    let body = problem(stage.post(&stage.accra, &path, missing).await, 422).await;
    assert_eq!(named_fields(&body), ["answers.safety"]);
    problem(
        stage
            .post(&stage.kumasi, &path, report(&visits[2], true))
            .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn closure_sets_the_outcome_and_nothing_more_can_be_reported() {
    let (stage, id, view) = arrived().await;
    let body = problem(
        stage
            .partner(&stage.accra, &id, "close", json!({"outcome": "vanished"}))
            .await,
        422,
    )
    .await;
    assert_eq!(named_fields(&body), ["outcome"]);
    let closed = ok(
        stage
            .partner(&stage.accra, &id, "close", json!({"outcome": "completed"}))
            .await,
        200,
    )
    .await;
    assert_eq!(closed["status"], "completed");
    assert_eq!(closed["outcome"], "completed");
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
    assert_eq!(case["status"], "closed");

    let model = ok(
        stage
            .get(&stage.accra, "/partner/v1/monitoring-model")
            .await,
        200,
    )
    .await;
    let report = json!({"visit_id": view["monitoring_visits"][0]["id"], "held_on": day(0), "mode": "phone", "answers": answers(&model, true)});
    problem(
        stage
            .post(
                &stage.accra,
                &format!("/partner/v1/referrals/{id}/monitoring"),
                report,
            )
            .await,
        409,
    )
    .await;
    problem(
        stage
            .partner(&stage.accra, &id, "close", json!({"outcome": "completed"}))
            .await,
        409,
    )
    .await;
    problem(
        stage
            .post(
                &stage.accra,
                &format!("/partner/v1/referrals/{id}/reintegration-plan"),
                json!({"items": [
            {"need": "housing", "support": "Rent", "amount": 1, "currency": "GHS"}]}),
            )
            .await,
        409,
    )
    .await;
}

#[tokio::test]
async fn other_outcomes_cancel_or_fail() {
    for (outcome, status) in [
        ("withdrew", "cancelled"),
        ("lost_contact", "failed"),
        ("re_migrated", "failed"),
    ] {
        let (stage, id, _) = arrived().await;
        let closed = ok(
            stage
                .partner(&stage.accra, &id, "close", json!({"outcome": outcome}))
                .await,
            200,
        )
        .await;
        assert_eq!(closed["status"], status, "{outcome}");
    }
}

async fn post_with_key(
    stage: &Stage,
    token: &str,
    path: &str,
    key: &str,
    body: Value,
) -> reqwest::Response {
    stage
        .app
        .client
        .post(stage.app.url(path))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn a_retried_request_answers_the_same_and_does_nothing_twice() {
    let stage = Stage::new().await;
    let referral = ok(
        stage
            .refer(crate::referrals::ACCRA, &stage.consent_id)
            .await,
        201,
    )
    .await;
    let id = referral["id"].as_str().expect("id");
    let path = format!("/partner/v1/referrals/{id}/acknowledge");
    let first = post_with_key(&stage, &stage.accra, &path, "ack-1", json!({})).await;
    assert_eq!(first.status().as_u16(), 200);
    let first: Value = first.json().await.expect("json");
    let again = post_with_key(&stage, &stage.accra, &path, "ack-1", json!({})).await;
    assert_eq!(again.status().as_u16(), 200, "the first answer, not a 409");
    assert_eq!(
        again
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let again: Value = again.json().await.expect("json");
    assert_eq!(again, first);
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
    assert_eq!(
        case["referrals"][0]["history"].as_array().map(Vec::len),
        Some(2),
        "acknowledged once"
    );

    let body = problem(
        post_with_key(
            &stage,
            &stage.accra,
            &path,
            "ack-1",
            json!({"note": "other"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(named_fields(&body), ["Idempotency-Key"]);
    // Keys belong to their caller: another partner's same key is its own.
    problem(
        post_with_key(&stage, &stage.kumasi, &path, "ack-1", json!({})).await,
        404,
    )
    .await;
}

#[tokio::test]
async fn concurrent_duplicates_create_one_client() {
    let stage = Stage::new().await;
    let counsellor = stage.app.staff_token(&[brug::auth::Role::Counsellor]).await;
    let body = json!({"given_name": "Kwame", "family_name": "Sample", "date_of_birth": "1979-09-09",
                      "country_of_origin": "GH", "languages": ["ee"]});
    let attempts = (0..6).map(|_| {
        post_with_key(
            &stage,
            &counsellor,
            "/api/v1/clients",
            "register-kwame",
            body.clone(),
        )
    });
    let responses = futures_util::future::join_all(attempts).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert!(statuses.contains(&201));
    let found = ok(
        send(
            &stage.app,
            &counsellor,
            reqwest::Method::GET,
            "/api/v1/clients?q=kwame",
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        found["items"].as_array().map(Vec::len),
        Some(1),
        "one client, however many retries"
    );
    let replay = post_with_key(
        &stage,
        &counsellor,
        "/api/v1/clients",
        "register-kwame",
        body,
    )
    .await;
    assert_eq!(replay.status().as_u16(), 201);
    let location = replay
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let replayed: Value = replay.json().await.expect("json");
    assert_eq!(
        location,
        Some(format!(
            "/api/v1/clients/{}",
            replayed["id"].as_str().unwrap_or_default()
        )),
        "headers come back too"
    );
    assert_eq!(replayed["id"], found["items"][0]["id"]);
}
