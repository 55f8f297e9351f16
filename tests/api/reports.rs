//! Reports for programme leads: exact on a hand-built programme, small
//! cells hidden (with a second cell where a total would give one away),
//! CSV for spreadsheets, and refused to those who work with cases.

use brug::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem, spawn_app};
use crate::referrals::{ACCRA, KUMASI, day, ok, send};

struct Programme {
    app: TestApp,
    lead: String,
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let response = send(app, token, reqwest::Method::POST, path, Some(body)).await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("json");
    assert!(status == 200 || status == 201, "{path}: {status} {body}");
    body
}

/// Six clients counselled (five want to return), five cases, seven
/// referrals: three accepted by Accra, two declined there and re-routed to
/// Kumasi; three departures, two arrivals.
async fn programme() -> Programme {
    let app = spawn_app().await;
    let counsellor = app.staff_token(&[Role::Counsellor]).await;
    let caseworker = app.staff_token(&[Role::Caseworker]).await;
    let lead = app.staff_token(&[Role::Lead]).await;
    let accra = app.partner_key(ACCRA).await;
    for i in 0..6 {
        let client = post(&app, &counsellor, "/api/v1/clients", json!({
            "given_name": format!("Person{i}"), "family_name": "Example", "date_of_birth": "1990-01-01",
            "country_of_origin": "GH", "languages": ["tw"]
        }))
        .await;
        let id = client["id"].as_str().expect("id").to_owned();
        let intention = if i < 5 { "return" } else { "undecided" };
        post(&app, &counsellor, &format!("/api/v1/clients/{id}/talks"), json!({
            "held_on": day(-2), "mode": "phone", "topics": ["return"], "intention": intention, "duration_minutes": 30
        }))
        .await;
        if i == 5 {
            continue;
        }
        let consent = post(
            &app,
            &caseworker,
            &format!("/api/v1/clients/{id}/consents"),
            json!({
                "purpose": "referral", "data_categories": ["identity"], "country": "GH",
                "given_on": day(0), "method": "written", "language": "tw"
            }),
        )
        .await;
        let case = post(&app, &caseworker, "/api/v1/return-cases", json!({
            "client_id": id, "destination_country": "GH", "needs": ["housing"], "planned_departure_on": day(20)
        }))
        .await;
        let case_id = case["id"].as_str().expect("id").to_owned();
        let refer = |partner: &str| json!({"partner_id": partner, "consent_id": consent["id"]});
        let referral = post(
            &app,
            &caseworker,
            &format!("/api/v1/return-cases/{case_id}/referrals"),
            refer(ACCRA),
        )
        .await;
        let rid = referral["id"].as_str().expect("id").to_owned();
        post(
            &app,
            &accra,
            &format!("/partner/v1/referrals/{rid}/acknowledge"),
            json!({}),
        )
        .await;
        if i < 3 {
            post(
                &app,
                &accra,
                &format!("/partner/v1/referrals/{rid}/accept"),
                json!({}),
            )
            .await;
            post(
                &app,
                &caseworker,
                &format!("/api/v1/return-cases/{case_id}/departure"),
                json!({"departed_on": day(0)}),
            )
            .await;
            if i < 2 {
                post(
                    &app,
                    &accra,
                    &format!("/partner/v1/referrals/{rid}/arrival"),
                    json!({"arrived_on": day(0), "received": true}),
                )
                .await;
            }
        } else {
            post(
                &app,
                &accra,
                &format!("/partner/v1/referrals/{rid}/decline"),
                json!({"reason": "No capacity."}),
            )
            .await;
            post(
                &app,
                &caseworker,
                &format!("/api/v1/return-cases/{case_id}/referrals"),
                refer(KUMASI),
            )
            .await;
        }
    }
    Programme { app, lead }
}

#[tokio::test]
async fn the_funnel_counts_each_stage_and_hides_small_ones() {
    let p = programme().await;
    let funnel = ok(
        p.app.get_as(Some(&p.lead), "/api/v1/reports/funnel").await,
        200,
    )
    .await;
    let expected = json!({
        "clients_counselled": 6, "intention_return": 5, "cases_opened": 5, "referrals_sent": 7,
        "referrals_accepted": "<5", "departed": "<5", "arrived": "<5",
        "monitoring_visits_done": 0, "closed_completed": 0,
    });
    for (stage, value) in expected.as_object().expect("object") {
        assert_eq!(&funnel[stage], value, "{stage}");
    }
    assert_eq!(
        funnel["median_days"]["first_talk_to_return_intention"], 0.0,
        "five decided at their first talk"
    );
    assert_eq!(
        funnel["median_days"]["departure_to_arrival"],
        Value::Null,
        "two arrivals: too few for a median"
    );
    let elsewhere = ok(
        p.app
            .get_as(Some(&p.lead), "/api/v1/reports/funnel?country=AF")
            .await,
        200,
    )
    .await;
    assert_eq!(elsewhere["referrals_sent"], 0);
    let kumasi = ok(
        p.app
            .get_as(
                Some(&p.lead),
                &format!("/api/v1/reports/funnel?partner_id={KUMASI}"),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(kumasi["referrals_sent"], "<5");
    let past = ok(
        p.app
            .get_as(
                Some(&p.lead),
                "/api/v1/reports/funnel?from=2020-01-01&to=2020-12-31",
            )
            .await,
        200,
    )
    .await;
    assert_eq!(past["clients_counselled"], 0);
    let body = problem(
        p.app
            .get_as(Some(&p.lead), "/api/v1/reports/funnel?from=2026-02-30")
            .await,
        422,
    )
    .await;
    assert!(body.to_string().contains("from"));
}

#[tokio::test]
async fn the_partners_report_hides_a_second_cell_that_would_give_one_away() {
    let p = programme().await;
    let report = ok(
        p.app
            .get_as(Some(&p.lead), "/api/v1/reports/partners")
            .await,
        200,
    )
    .await;
    let row = |id: &str| {
        report["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|r| r["partner_id"] == id)
            .cloned()
            .expect("row")
    };
    let (accra, kumasi) = (row(ACCRA), row(KUMASI));
    assert_eq!(kumasi["referrals"], "<5");
    assert_eq!(
        accra["referrals"], "<5",
        "5 is hidden too: the total would give Kumasi's 2 away"
    );
    assert_eq!(accra["accepted"], "<5");
    assert_eq!(accra["rejected"], "<5");
    assert_eq!(
        accra["acceptance_rate"],
        Value::Null,
        "a rate of small counts is not shown"
    );
    assert_eq!(
        accra["median_hours_to_acknowledge"], 0.0,
        "five acknowledgements within the hour"
    );
    assert_eq!(
        report["totals"]["referrals"], "<5",
        "a total over hidden cells would give their sum away"
    );
    let quiet = row("tunis-new-horizon");
    assert_eq!(quiet["referrals"], 0);
    assert!(!report.to_string().contains("Person"), "no identities");
}

#[tokio::test]
async fn the_reports_answer_csv_that_opens_in_a_spreadsheet() {
    let p = programme().await;
    for (path, header) in [
        ("/api/v1/reports/funnel", "stage,count"),
        (
            "/api/v1/reports/partners",
            "partner_id,referrals,accepted,rejected,acceptance_rate,median_hours_to_acknowledge,median_hours_to_decide,sla_breaches,monitoring_done,monitoring_due",
        ),
        (
            "/api/v1/reports/overdue",
            "kind,referral_id,partner_id,visit_id,due_on,days_overdue",
        ),
        (
            "/api/v1/reports/sustainability",
            "group_by,group,visits,economic,social,psychosocial,overall,overall_distribution",
        ),
    ] {
        let response = p
            .app
            .client
            .get(p.app.url(path))
            .bearer_auth(&p.lead)
            .header("accept", "text/csv")
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap_or_default()
                .starts_with("text/csv")
        );
        let text = response.text().await.expect("text");
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(header), "{path}");
        if path.ends_with("funnel") {
            let rows: Vec<&str> = lines.collect();
            assert!(rows.contains(&"clients_counselled,6"), "{rows:?}");
            assert!(rows.contains(&"departed,<5"), "{rows:?}");
        }
    }
}

#[tokio::test]
async fn reports_are_for_leads_and_the_overdue_list_for_caseworkers_too() {
    let app = spawn_app().await;
    let counsellor = app.staff_token(&[Role::Counsellor]).await;
    let caseworker = app.staff_token(&[Role::Caseworker]).await;
    for report in ["funnel", "partners", "overdue", "sustainability"] {
        problem(
            app.get_as(Some(&counsellor), &format!("/api/v1/reports/{report}"))
                .await,
            403,
        )
        .await;
    }
    ok(
        app.get_as(Some(&caseworker), "/api/v1/reports/overdue")
            .await,
        200,
    )
    .await;
    problem(
        app.get_as(Some(&caseworker), "/api/v1/reports/funnel")
            .await,
        403,
    )
    .await;
}

#[tokio::test]
async fn the_funder_report_counts_voluntary_returnees() {
    let p = programme().await;
    let year = chrono::Datelike::year(&chrono::Utc::now().date_naive());
    let report = ok(
        p.app
            .get_as(Some(&p.lead), &format!("/api/v1/reports/amif?year={year}"))
            .await,
        200,
    )
    .await;
    let value = |id: &str| {
        report["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|r| r["indicator"] == id)
            .map(|r| r["value"].clone())
            .expect("indicator")
    };
    assert_eq!(value("returnees_voluntary"), "<5", "three departed");
    assert_eq!(
        value("returnees_reintegration_assistance"),
        0,
        "no plan approved yet"
    );
    assert_eq!(value("household_members"), 0);
    let empty = ok(
        p.app
            .get_as(Some(&p.lead), "/api/v1/reports/amif?year=2021")
            .await,
        200,
    )
    .await;
    assert!(
        empty["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|r| r["value"] == 0)
    );
    let body = problem(
        p.app
            .get_as(Some(&p.lead), "/api/v1/reports/amif?year=1800")
            .await,
        422,
    )
    .await;
    assert!(body.to_string().contains("year"));
    let csv = p
        .app
        .client
        .get(p.app.url("/api/v1/reports/amif"))
        .bearer_auth(&p.lead)
        .header("accept", "text/csv")
        .send()
        .await
        .expect("sent");
    assert!(
        csv.text()
            .await
            .expect("text")
            .starts_with("indicator,label,value\n")
    );
}
