//! The return case and the partner directory in the browser: every state
//! of the case page (matches, a refused send, referrals with the
//! checklist, after departure with the plan and monitoring), the form that
//! opens a case (also with its errors) and the directory pass axe-core.

use brug::auth::Role;
use serde_json::json;

use crate::counselling::{PASSWORD, person};

use crate::harness::{self, Browser};
use crate::helpers::{self, TestApp};

const ACCRA: &str = "accra-reintegration-network";

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).to_string()
}

async fn sign_in(app: &TestApp, browser: &Browser) {
    let email = person(app, &[Role::Caseworker], "Sanne de Vries").await;
    harness::goto(browser, &app.url("/login")).await;
    harness::fill_by_name(browser, "email", &email).await;
    harness::fill_by_name(browser, "password", PASSWORD).await;
    harness::click_button(browser, "Aanmelden").await;
    harness::wait_for(browser, "nav").await;
}

/// Opens `path` and checks it with axe-core.
async fn check(app: &TestApp, browser: &Browser, path: &str, page: &str) {
    harness::goto(browser, &app.url(path)).await;
    harness::assert_accessible(browser, page).await;
}

#[tokio::test]
async fn every_state_of_the_case_page_and_the_directory_pass_axe() {
    let app = helpers::spawn_app_with(|s| s.insecure_cookies = true).await;
    let counsellor = app.staff_token(&[Role::Counsellor]).await;
    let client = app
        .post_ok(
            &counsellor,
            "/api/v1/clients",
            json!({
                "given_name": "Abena", "family_name": "Mensah", "date_of_birth": "1988-02-03",
                "country_of_origin": "GH", "languages": ["tw", "en"]
            }),
        )
        .await;
    let client_id = client["id"].as_str().expect("id").to_owned();
    app.post_ok(
        &counsellor,
        &format!("/api/v1/clients/{client_id}/talks"),
        json!({
            "held_on": day(-1), "mode": "in_person", "topics": ["return"], "intention": "return",
            "duration_minutes": 45
        }),
    )
    .await;
    let Some(browser) = harness::browser().await else {
        return;
    };
    sign_in(&app, &browser).await;

    let form = format!("/clients/{client_id}/return-cases/new");
    check(&app, &browser, &form, "open a return case").await;
    harness::click_button(&browser, "Terugkeertraject openen").await;
    harness::wait_for(&browser, "#problem").await;
    harness::assert_accessible(&browser, "open a return case, refused").await;

    let case = app
        .post_ok(
            &app.token,
            "/api/v1/return-cases",
            json!({
                "client_id": client_id, "destination_country": "GH", "destination_region": "GH-AA",
                "needs": ["housing", "medical"], "planned_departure_on": day(40)
            }),
        )
        .await;
    let case_path = format!("/return-cases/{}", case["id"].as_str().expect("id"));
    check(&app, &browser, &case_path, "the case with its matches").await;
    harness::click_button(
        &browser,
        "Verwijzing versturen naar Accra Reintegration Network",
    )
    .await;
    harness::wait_for(&browser, "#problem").await;
    harness::assert_accessible(&browser, "the case after a refused send").await;

    let consent = app.post_ok(&app.token,
        &format!("/api/v1/clients/{client_id}/consents"),
        json!({
            "purpose": "referral", "data_categories": ["identity", "needs"], "partner_id": ACCRA,
            "given_on": day(0), "method": "written", "language": "tw"
        }),
    )
    .await;
    let referral = app
        .post_ok(
            &app.token,
            &format!("/api/v1{case_path}/referrals"),
            json!({
                "partner_id": ACCRA, "consent_id": consent["id"]
            }),
        )
        .await;
    let id = referral["id"].as_str().expect("id");
    let key = app.partner_key(ACCRA).await;
    for step in ["acknowledge", "accept"] {
        app.post_ok(
            &key,
            &format!("/partner/v1/referrals/{id}/{step}"),
            json!({}),
        )
        .await;
    }
    check(&app, &browser, &case_path, "the case with its checklist").await;

    app.post_ok(
        &app.token,
        &format!("/api/v1{case_path}/departure"),
        json!({"departed_on": day(0)}),
    )
    .await;
    app.post_ok(
        &key,
        &format!("/partner/v1/referrals/{id}/arrival"),
        json!({
            "arrived_on": day(0), "received": true
        }),
    )
    .await;
    app.post_ok(
        &key,
        &format!("/partner/v1/referrals/{id}/reintegration-plan"),
        json!({"items": [
            {"need": "housing", "support": "Three months' rent", "amount": 900, "currency": "GHS"}
        ]}),
    )
    .await;
    check(&app, &browser, &case_path, "the case after departure").await;
    harness::click_button(&browser, "Terugsturen met opmerking").await;
    harness::wait_for(&browser, "#comment-error").await;
    harness::assert_accessible(&browser, "the plan returned without a comment").await;

    // A monitoring report with the worst answers raises a sustainability
    // alert: the case shows it with its reasons and the form to handle it.
    let model = app.get_as(Some(&key), "/partner/v1/monitoring-model").await;
    let model: serde_json::Value = model.json().await.expect("model");
    let worst: serde_json::Map<String, serde_json::Value> = model["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .map(|i| {
            let answers = i["answers"].as_array().expect("answers");
            let last = answers.last().expect("an answer");
            (
                i["id"].as_str().expect("id").to_owned(),
                last["value"].clone(),
            )
        })
        .collect();
    let view = app
        .get_as(Some(&key), &format!("/partner/v1/referrals/{id}"))
        .await;
    let view: serde_json::Value = view.json().await.expect("view");
    app.post_ok(
        &key,
        &format!("/partner/v1/referrals/{id}/monitoring"),
        json!({"visit_id": view["monitoring_visits"][0]["id"], "held_on": day(0),
               "mode": "phone", "answers": worst}),
    )
    .await;
    check(
        &app,
        &browser,
        &case_path,
        "the case with a sustainability alert",
    )
    .await;

    check(
        &app,
        &browser,
        "/partners?country=GH",
        "the partner directory",
    )
    .await;
    check(&app, &browser, &format!("/partners/{ACCRA}"), "a partner").await;
}
