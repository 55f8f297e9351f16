//! Early warning on sustainability: a monitoring report that crosses a
//! threshold of the model (a drop of 0.2 or more, a fall below 0.33, a
//! red-flag answer) raises exactly one alert with every reason, delivered
//! to the partner (feed and webhook) and queued for the caseworker until
//! handled; a report that crosses none raises none.

use std::time::{Duration, Instant};

use brug::auth::Role;
use brug::auth::partner_users::PartnerRole;
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::portal_helpers::portal_user;
use crate::referrals::{ACCRA, Stage, day, ok, send};
use crate::web_helpers::signed_in;

/// A referral to Accra whose client has arrived, with its four visits.
struct Returnee {
    stage: Stage,
    referral: String,
    visits: Vec<String>,
    model: Value,
}

impl Returnee {
    async fn new() -> Self {
        Self::on(Stage::new().await).await
    }

    async fn on(stage: Stage) -> Self {
        let referral = stage.accepted_referral().await;
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
        let view = ok(
            stage
                .partner(
                    &stage.accra,
                    &referral,
                    "arrival",
                    json!({"arrived_on": day(0), "received": true}),
                )
                .await,
            200,
        )
        .await;
        let visits = view["monitoring_visits"]
            .as_array()
            .expect("visits")
            .iter()
            .map(|v| v["id"].as_str().expect("id").to_owned())
            .collect();
        let model = ok(
            stage
                .get(&stage.accra, "/partner/v1/monitoring-model")
                .await,
            200,
        )
        .await;
        Self {
            stage,
            referral,
            visits,
            model,
        }
    }

    /// Reports visit `n` with the best answer to every indicator but those
    /// in `picks`; answers the visit as the API returns it.
    async fn report(&self, n: usize, picks: &[(&str, &str)]) -> Value {
        let mut answers = serde_json::Map::new();
        for indicator in self.model["indicators"].as_array().expect("indicators") {
            let id = indicator["id"].as_str().expect("id");
            let value = picks
                .iter()
                .find(|(i, _)| *i == id)
                .map_or(indicator["answers"][0]["value"].clone(), |(_, v)| json!(v));
            answers.insert(id.to_owned(), value);
        }
        ok(
            self.stage
                .partner(
                    &self.stage.accra,
                    &self.referral,
                    "monitoring",
                    json!({"visit_id": self.visits[n], "held_on": day(0), "mode": "phone",
                           "answers": answers}),
                )
                .await,
            200,
        )
        .await
    }

    /// The partner's events of this type, in order.
    async fn events(&self, key: &str, kind: &str) -> Vec<Value> {
        let feed = ok(
            self.stage.get(key, "/partner/v1/events?limit=500").await,
            200,
        )
        .await;
        feed["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|e| e["type"] == kind)
            .cloned()
            .collect()
    }
}

/// Economic 0.8: two of its five indicators at half.
const ECONOMIC_LOWER: [(&str, &str); 2] = [
    ("income_sources", "irregular_income"),
    ("employment", "looking_for_work"),
];

#[tokio::test]
async fn a_drop_raises_one_alert_a_stable_report_none_and_two_reasons_stay_one_alert() {
    let stage = Stage::new_with(|settings| {
        settings.webhook_allow_local = true;
        settings.webhook_poll_ms = 50;
    })
    .await;
    let accra_hook = MockServer::start().await;
    let kumasi_hook = MockServer::start().await;
    for (server, key) in [(&accra_hook, &stage.accra), (&kumasi_hook, &stage.kumasi)] {
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(204))
            .mount(server)
            .await;
        ok(
            send(
                &stage.app,
                key,
                reqwest::Method::PUT,
                "/partner/v1/webhook",
                Some(json!({"url": format!("{}/hooks", server.uri())})),
            )
            .await,
            200,
        )
        .await;
    }
    let kumasi = stage.kumasi.clone();
    let r = Returnee::on(stage).await;
    let _worker = r.stage.app.start_worker();

    // The first report, all best: nothing to warn of.
    let first = r.report(0, &[]).await;
    assert_eq!(first["scores"]["economic"], 1.0);
    assert_eq!(first["alert"], Value::Null);

    // Economic from 1.0 to 0.8: a drop of exactly 0.2.
    let dropped = r.report(1, &ECONOMIC_LOWER).await;
    assert_eq!(dropped["scores"]["economic"], 0.8);
    let alert = &dropped["alert"];
    assert_eq!(
        alert["reasons"],
        json!([{"kind": "drop", "dimension": "economic", "previous": 1.0, "current": 0.8}])
    );
    assert_eq!(alert["visit_id"], r.visits[1]);
    assert_eq!(alert["handled_at"], Value::Null);

    // The same again: stable, no alert.
    let stable = r.report(2, &ECONOMIC_LOWER).await;
    assert_eq!(stable["alert"], Value::Null);

    // Psychosocial down 0.2 by a red-flag answer: one alert, two reasons.
    let mut picks = ECONOMIC_LOWER.to_vec();
    picks.push(("psychological_distress", "often"));
    let both = r.report(3, &picks).await;
    assert_eq!(
        both["alert"]["reasons"],
        json!([
            {"kind": "drop", "dimension": "psychosocial", "previous": 1.0, "current": 0.8},
            {"kind": "red_flag", "dimension": "psychosocial",
             "indicator": "psychological_distress", "answer": "often"}
        ])
    );

    // Exactly two alerts reached the partner's feed, after each report's
    // own event, with ids and reasons only.
    let alerts = r.events(&r.stage.accra, "sustainability.alert").await;
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    for (event, (visit, shown)) in alerts
        .iter()
        .zip([(&r.visits[1], &dropped), (&r.visits[3], &both)])
    {
        assert_eq!(event["referral_id"], r.referral);
        assert_eq!(
            event["data"],
            json!({"referral_id": r.referral, "visit_id": visit,
                   "alert_id": shown["alert"]["id"], "reasons": shown["alert"]["reasons"]})
        );
    }
    let all = ok(
        r.stage
            .get(&r.stage.accra, "/partner/v1/events?limit=500")
            .await,
        200,
    )
    .await;
    let types: Vec<&str> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .filter(|t| t.starts_with("monitoring.reported") || t.starts_with("sustainability"))
        .collect();
    assert_eq!(
        types,
        [
            "monitoring.reported",
            "monitoring.reported",
            "sustainability.alert",
            "monitoring.reported",
            "monitoring.reported",
            "sustainability.alert"
        ]
    );
    // Not another partner's.
    assert!(r.events(&kumasi, "sustainability.alert").await.is_empty());

    // The webhook gets the same two, signed like every event.
    let deadline = Instant::now() + Duration::from_secs(20);
    let delivered = loop {
        let bodies: Vec<Value> = accra_hook
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter_map(|req| serde_json::from_slice::<Value>(&req.body).ok())
            .filter(|b| b["type"] == "sustainability.alert")
            .collect();
        if bodies.len() >= 2 || Instant::now() > deadline {
            break bodies;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(delivered.len(), 2);
    assert_eq!(delivered[0]["data"], alerts[0]["data"]);
    assert_eq!(delivered[1]["data"], alerts[1]["data"]);
    let kumasi_got = kumasi_hook.received_requests().await.unwrap_or_default();
    assert!(
        !kumasi_got
            .iter()
            .any(|req| String::from_utf8_lossy(&req.body).contains("sustainability.alert")),
        "another partner hears nothing of it"
    );

    // The partner's view of the referral carries the alerts on their visits.
    let view = ok(
        r.stage
            .get(
                &r.stage.accra,
                &format!("/partner/v1/referrals/{}", r.referral),
            )
            .await,
        200,
    )
    .await;
    let raised: Vec<&Value> = view["monitoring_visits"]
        .as_array()
        .expect("visits")
        .iter()
        .filter(|v| !v["alert"].is_null())
        .collect();
    assert_eq!(raised.len(), 2);
    problem_for_kumasi(&r, &kumasi).await;
}

/// Kumasi cannot read Accra's referral, nor its alerts with it.
async fn problem_for_kumasi(r: &Returnee, kumasi: &str) {
    let answer = r
        .stage
        .get(kumasi, &format!("/partner/v1/referrals/{}", r.referral))
        .await;
    assert_eq!(answer.status().as_u16(), 404);
}

/// Social 0.4: two of its indicators below half.
const SOCIAL_04: [(&str, &str); 5] = [
    ("housing", "temporary"),
    ("health_care_access", "limited"),
    ("children_schooling", "some"),
    ("identity_documents", "none"),
    ("safety", "mostly_safe"),
];

#[tokio::test]
async fn a_fall_below_the_floor_and_a_red_flag_each_raise_one_and_reach_the_caseworker() {
    let r = Returnee::new().await;
    let admin = r.stage.app.staff_token(&[Role::Admin]).await;
    let (mut kees, kees_id) = signed_in(&r.stage.app, &[Role::Caseworker], "Kees").await;
    ok(
        r.stage
            .post(
                &admin,
                &format!("/api/v1/return-cases/{}/assign", r.stage.case_id),
                json!({"user_id": kees_id}),
            )
            .await,
        200,
    )
    .await;
    const WHY: &str = "Duurzaamheidssignaal: herzie het re-integratieplan";

    // Social 0.4 and psychosocial 0.8 at first: above the floor, no flag.
    let mut picks = SOCIAL_04.to_vec();
    picks.push(("sense_of_belonging", "not_at_all"));
    let first = r.report(0, &picks).await;
    assert_eq!(first["scores"]["social"], 0.4);
    assert_eq!(first["alert"], Value::Null);
    assert!(!kees.get("/").await.contains(WHY));

    // Social to 0.3: below 0.33 (a drop of 0.1 only).
    picks[0] = ("housing", "inadequate");
    let below = r.report(1, &picks).await;
    assert_eq!(
        below["alert"]["reasons"],
        json!([{"kind": "below", "dimension": "social", "previous": 0.4, "current": 0.3}])
    );

    // The same social score, psychosocial the same 0.8 but now by a
    // red-flag answer: the flag alone.
    picks.pop();
    picks.push(("wish_to_remigrate", "yes"));
    let flagged = r.report(2, &picks).await;
    assert_eq!(flagged["scores"]["psychosocial"], 0.8);
    assert_eq!(
        flagged["alert"]["reasons"],
        json!([{"kind": "red_flag", "dimension": "psychosocial",
                "indicator": "wish_to_remigrate", "answer": "yes"}])
    );
    // Still below, the flag given again: nothing new.
    assert_eq!(r.report(3, &picks).await["alert"], Value::Null);
    assert_eq!(
        r.events(&r.stage.accra, "sustainability.alert").await.len(),
        2
    );

    // My work: one item per open alert, linking to the case.
    let work = kees.get("/").await;
    assert_eq!(work.html.matches(WHY).count(), 2, "{}", work.html);
    let case_path = format!("/return-cases/{}", r.stage.case_id);
    assert!(work.html.contains(&format!(
        "{case_path}#alert-{}",
        below["alert"]["id"].as_str().expect("id")
    )));

    // The case page shows each alert with its reasons, and a form for it.
    let page = kees.get(&case_path).await;
    assert_eq!(page.status, 200);
    let text = crate::web_text::visible_text(&page.html);
    assert!(
        text.contains("Sociaal: onder de ondergrens gezakt, nu 0,30"),
        "{text}"
    );
    assert!(
        text.contains(
            "Psychosociaal: rode vlag bij „Does the person feel they must leave the country again?”: Yes, they feel they must leave"
        ),
        "{text}"
    );
    let below_id = below["alert"]["id"].as_str().expect("id").to_owned();
    let handled = kees
        .post(&format!("/sustainability-alerts/{below_id}/handle"), &[])
        .await;
    assert_eq!(handled.status, 303, "{}", handled.html);
    assert_eq!(
        handled.location.as_deref(),
        Some(format!("{case_path}#alert-{below_id}").as_str())
    );
    let work = kees.get("/").await;
    assert_eq!(
        work.html.matches(WHY).count(),
        1,
        "handled leaves the queue"
    );
    assert!(!work.html.contains(&format!("#alert-{below_id}")));
    let page = kees.get(&case_path).await;
    assert!(crate::web_text::visible_text(&page.html).contains("Afgehandeld op"));

    // The partner sees it handled; the handling is in the audit log.
    let view = ok(
        r.stage
            .get(
                &r.stage.accra,
                &format!("/partner/v1/referrals/{}", r.referral),
            )
            .await,
        200,
    )
    .await;
    assert!(view["monitoring_visits"][1]["alert"]["handled_at"].is_string());
    assert!(view["monitoring_visits"][2]["alert"]["handled_at"].is_null());
    let log = ok(
        r.stage
            .get(&admin, &format!("/api/v1/audit?actor={kees_id}&limit=500"))
            .await,
        200,
    )
    .await;
    assert!(
        log["items"].as_array().expect("items").iter().any(|e| {
            e["operation"] == "alerts.handle"
                && e["subject_type"] == "sustainability_alert"
                && e["subject_id"] == below_id.as_str()
        }),
        "{log}"
    );
}

#[tokio::test]
async fn a_first_report_below_the_floor_raises_one_without_an_earlier_report() {
    let r = Returnee::new().await;
    let first = r
        .report(
            0,
            &[
                ("housing", "inadequate"),
                ("health_care_access", "none"),
                ("children_schooling", "none"),
                ("identity_documents", "none"),
                ("safety", "mostly_safe"),
            ],
        )
        .await;
    assert_eq!(
        first["alert"]["reasons"],
        json!([{"kind": "below", "dimension": "social", "current": 0.1}])
    );
    assert_eq!(
        r.events(&r.stage.accra, "sustainability.alert").await.len(),
        1
    );

    // The portal shows it on the referral, and in the inbox as something to do.
    let mut person = portal_user(&r.stage.app, ACCRA, PartnerRole::FocalPoint).await;
    let page = person
        .browser
        .get(&format!("/portal/referrals/{}", r.referral))
        .await;
    assert_eq!(page.status, 200);
    let text = crate::web_text::visible_text(&page.html);
    assert!(text.contains("Sustainability alerts"), "{text}");
    assert!(
        text.contains("Social: fell below the floor, now 0.10"),
        "{text}"
    );
    assert!(
        text.contains("Open: the caseworker has not yet marked it handled."),
        "{text}"
    );
    let inbox = person.browser.get("/portal").await;
    assert!(
        crate::web_text::visible_text(&inbox.html).contains(
            "Sustainability alert: agree with the caseworker whether the plan needs revisiting"
        ),
        "{}",
        inbox.html
    );
}

#[tokio::test]
async fn the_sustainability_report_counts_alerts_per_partner_and_country() {
    let r = Returnee::new().await;
    r.report(0, &[]).await;
    r.report(1, &ECONOMIC_LOWER).await;
    let lead = r.stage.app.staff_token(&[Role::Lead]).await;
    let report = ok(
        r.stage.get(&lead, "/api/v1/reports/sustainability").await,
        200,
    )
    .await;
    let row = |by: &str, group: &str| -> Value {
        report["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["group_by"] == by && i["group"] == group)
            .cloned()
            .unwrap_or_else(|| panic!("no {by} {group} in {report}"))
    };
    // One alert of one returnee: shown as "<5", as every small count.
    assert_eq!(row("country", "GH")["alerts"], "<5");
    assert_eq!(row("partner_id", ACCRA)["alerts"], "<5");
    assert_eq!(row("months_since_arrival", "3")["alerts"], "<5");
    assert_eq!(row("months_since_arrival", "1")["alerts"], 0);
    let csv = r
        .stage
        .app
        .client
        .get(r.stage.app.url("/api/v1/reports/sustainability"))
        .bearer_auth(&lead)
        .header("accept", "text/csv")
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "group_by,group,visits,economic,social,psychosocial,overall,overall_distribution,alerts"
        )
    );
    assert!(
        lines.any(|l| l.starts_with("partner_id,accra-reintegration-network,") && l.ends_with(",<5")),
        "{csv}"
    );
    // The lead's dashboard counts the same, per partner and per country.
    let (mut browser, _) =
        crate::web_helpers::signed_in(&r.stage.app, &[Role::Lead], "Lena Lead").await;
    let page = browser.get("/dashboards/sustainability").await;
    assert_eq!(page.status, 200);
    let by_partner = crate::dashboards::table(&page, "alerts-partner_id");
    assert_eq!(
        by_partner,
        [vec![
            "Accra Reintegration Network".to_owned(),
            "<5".to_owned()
        ]]
    );
    let by_country = crate::dashboards::table(&page, "alerts-country");
    assert_eq!(by_country, [vec!["Ghana".to_owned(), "<5".to_owned()]]);
    let dashboard = browser.get("/dashboards/sustainability?format=csv").await;
    assert_eq!(
        dashboard.html, csv,
        "the dashboard's CSV is the report's, alerts and all"
    );
}
