//! Reports for programme leads: exact on a hand-built programme, small
//! cells hidden (with a second cell where a total would give one away),
//! CSV for spreadsheets, and refused to those who work with cases.

use brug::auth::Role;
use serde_json::{Value, json};

use crate::after_departure::answers;
use crate::helpers::{TestApp, problem, spawn_app};
use crate::referrals::{ACCRA, KUMASI, day, ok, send};

const KABUL: &str = "kabul-return-support";

pub(crate) struct Programme {
    pub(crate) app: TestApp,
    pub(crate) lead: String,
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
pub(crate) async fn programme() -> Programme {
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
            "partner_id,referrals,accepted,rejected,acceptance_rate,median_hours_to_acknowledge,median_hours_to_decide,sla_breaches,monitoring_done,monitoring_due,declines_no_capacity,declines_not_in_area,declines_not_eligible,declines_client_unreachable,declines_security_concern,declines_other,p90_hours_to_acknowledge,p90_hours_to_decide,median_days_to_plan",
        ),
        (
            "/api/v1/reports/overdue",
            "kind,referral_id,partner_id,visit_id,due_on,days_overdue",
        ),
        (
            "/api/v1/reports/sustainability",
            "group_by,group,visits,economic,social,psychosocial,overall,overall_distribution,alerts",
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

/// Who builds a programme by hand, one returnee at a time.
pub(crate) struct Team {
    pub(crate) app: TestApp,
    counsellor: String,
    caseworker: String,
    pub(crate) lead: String,
}

impl Team {
    pub(crate) async fn new() -> Self {
        let app = spawn_app().await;
        let counsellor = app.staff_token(&[Role::Counsellor]).await;
        let caseworker = app.staff_token(&[Role::Caseworker]).await;
        let lead = app.staff_token(&[Role::Lead]).await;
        Team {
            app,
            counsellor,
            caseworker,
            lead,
        }
    }

    /// Client `i`, who wants to return to `country`: counselled, with
    /// consent and a return case, referred to `partner`. Returns the case's
    /// and the referral's ids.
    pub(crate) async fn referred(
        &self,
        i: usize,
        partner: &str,
        country: &str,
    ) -> (String, String) {
        let app = &self.app;
        let client = post(app, &self.counsellor, "/api/v1/clients", json!({
            "given_name": format!("Person{i}"), "family_name": "Example", "date_of_birth": "1990-01-01",
            "country_of_origin": country, "languages": ["en"]
        }))
        .await;
        let id = client["id"].as_str().expect("id").to_owned();
        post(app, &self.counsellor, &format!("/api/v1/clients/{id}/talks"), json!({
            "held_on": day(0), "mode": "phone", "topics": ["return"], "intention": "return", "duration_minutes": 30
        }))
        .await;
        let consent = post(
            app,
            &self.caseworker,
            &format!("/api/v1/clients/{id}/consents"),
            json!({
                "purpose": "referral", "data_categories": ["identity"], "country": country,
                "given_on": day(0), "method": "written", "language": "en"
            }),
        )
        .await;
        let case = post(app, &self.caseworker, "/api/v1/return-cases", json!({
            "client_id": id, "destination_country": country, "needs": ["housing"], "planned_departure_on": day(20)
        }))
        .await;
        let case_id = case["id"].as_str().expect("id").to_owned();
        let referral = post(
            app,
            &self.caseworker,
            &format!("/api/v1/return-cases/{case_id}/referrals"),
            json!({"partner_id": partner, "consent_id": consent["id"]}),
        )
        .await;
        (case_id, referral["id"].as_str().expect("id").to_owned())
    }

    /// A referral acknowledged and accepted by its partner (`key`).
    async fn accepted(&self, key: &str, referral: &str) {
        for step in ["acknowledge", "accept"] {
            post(
                &self.app,
                key,
                &format!("/partner/v1/referrals/{referral}/{step}"),
                json!({}),
            )
            .await;
        }
    }

    /// A referral accepted, departed and arrived on `on`; its visits.
    async fn arrived(&self, key: &str, case: &str, referral: &str, on: &str) -> Vec<Value> {
        self.accepted(key, referral).await;
        post(
            &self.app,
            &self.caseworker,
            &format!("/api/v1/return-cases/{case}/departure"),
            json!({"departed_on": on}),
        )
        .await;
        let view = post(
            &self.app,
            key,
            &format!("/partner/v1/referrals/{referral}/arrival"),
            json!({"arrived_on": on, "received": true}),
        )
        .await;
        view["monitoring_visits"]
            .as_array()
            .expect("visits")
            .clone()
    }

    /// The monitoring model, as partner `key` reads it.
    async fn model(&self, key: &str) -> Value {
        ok(
            self.app
                .get_as(Some(key), "/partner/v1/monitoring-model")
                .await,
            200,
        )
        .await
    }

    async fn report(&self, path: &str) -> Value {
        ok(self.app.get_as(Some(&self.lead), path).await, 200).await
    }

    /// Moves stored dates back, as if time had passed.
    async fn backdate(
        &self,
        change: impl FnOnce(&mut brug::db::DbConn) -> diesel::QueryResult<usize> + Send + 'static,
    ) {
        let db = self.app.db.clone();
        tokio::task::spawn_blocking(move || {
            db.write_blocking(|conn| change(conn).map_err(brug::db::DbError::from))
        })
        .await
        .expect("ran")
        .expect("backdated");
    }
}

fn row<'r>(report: &'r Value, field: &str, id: &str) -> &'r Value {
    report["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r[field] == id)
        .unwrap_or_else(|| panic!("no row {id} in {report}"))
}

#[tokio::test]
async fn a_filtered_report_cannot_be_subtracted_from_the_unfiltered_one() {
    // Seven cases: five referred to Accra, two to Kumasi.
    let team = Team::new().await;
    for i in 0..7 {
        let partner = if i < 5 { ACCRA } else { KUMASI };
        team.referred(i, partner, "GH").await;
    }
    let all = team.report("/api/v1/reports/funnel").await;
    assert_eq!(all["cases_opened"], 7);
    assert_eq!(all["referrals_sent"], 7);
    let accra = team
        .report(&format!("/api/v1/reports/funnel?partner_id={ACCRA}"))
        .await;
    for stage in ["clients_counselled", "cases_opened", "referrals_sent"] {
        assert_eq!(
            accra[stage], "<5",
            "{stage}: 7 minus Accra's 5 would give Kumasi's 2"
        );
    }
    let kumasi = team
        .report(&format!("/api/v1/reports/funnel?partner_id={KUMASI}"))
        .await;
    assert_eq!(kumasi["cases_opened"], "<5");
    // A filter that leaves nothing out hides nothing.
    let ghana = team.report("/api/v1/reports/funnel?country=GH").await;
    assert_eq!(ghana["cases_opened"], 7);
    assert_eq!(ghana["referrals_sent"], 7);

    let alone = team
        .report(&format!("/api/v1/reports/partners?partner_id={ACCRA}"))
        .await;
    let items = alone["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{alone}");
    assert_eq!(items[0]["referrals"], "<5");
    assert_eq!(alone["totals"]["referrals"], "<5");
    let whole = team.report("/api/v1/reports/partners").await;
    assert_eq!(
        row(&whole, "partner_id", ACCRA)["referrals"],
        items[0]["referrals"],
        "the row asked for alone is the row of the whole report"
    );
}

#[tokio::test]
async fn partners_asked_for_one_at_a_time_do_not_add_up_to_a_hidden_one() {
    // Twelve referrals: five to Accra, five to Kumasi, two to Tunis.
    let team = Team::new().await;
    for i in 0..12 {
        let (partner, country) = match i {
            0..5 => (ACCRA, "GH"),
            5..10 => (KUMASI, "GH"),
            _ => ("tunis-new-horizon", "TN"),
        };
        team.referred(i, partner, country).await;
    }
    let sent = |report: Value| report["referrals_sent"].clone();
    let funnel = async |query: String| {
        team.report(&format!("/api/v1/reports/funnel?{query}"))
            .await
    };
    assert_eq!(sent(funnel(String::new()).await), 12);
    let mut shown = Vec::new();
    for partner in [ACCRA, KUMASI, "tunis-new-horizon"] {
        shown.push(sent(funnel(format!("partner_id={partner}")).await));
    }
    assert_eq!(
        shown,
        [json!("<5"), json!(5), json!("<5")],
        "12 - 5 - 5 would give Tunis's 2: a second partner is hidden"
    );
    // By country: Ghana's 10 and Tunisia's 2 make 12.
    assert_eq!(sent(funnel("country=GH".into()).await), "<5");
    assert_eq!(sent(funnel("country=TN".into()).await), "<5");
    let partners = team.report("/api/v1/reports/partners").await;
    let column: Vec<Value> = [ACCRA, KUMASI, "tunis-new-horizon"]
        .iter()
        .map(|p| row(&partners, "partner_id", p)["referrals"].clone())
        .collect();
    assert_eq!(column, shown, "the partners report hides the same cells");
}

#[tokio::test]
async fn sustainability_shows_whole_months_so_a_day_more_finds_no_one() {
    use chrono::{Datelike, Duration, Months};
    // Six returnees to Accra, each visited once last month: five on its
    // 2nd (four doing well, one badly), the sixth on its 3rd (badly).
    let team = Team::new().await;
    let key = team.app.partner_key(ACCRA).await;
    let today = chrono::Utc::now().date_naive();
    let month = (today.with_day(1).expect("first") - Months::new(1))
        .with_day(1)
        .expect("first");
    let (second, third) = (month + Duration::days(1), month + Duration::days(2));
    let arrival = (month - Duration::days(1)).to_string();
    let model = team.model(&key).await;
    for i in 0..6 {
        let (case, referral) = team.referred(i, ACCRA, "GH").await;
        let visits = team.arrived(&key, &case, &referral, &arrival).await;
        let held_on = if i < 5 { second } else { third };
        post(
            &team.app,
            &key,
            &format!("/partner/v1/referrals/{referral}/monitoring"),
            json!({
                "visit_id": visits[0]["id"], "held_on": held_on, "mode": "phone",
                "answers": answers(&model, i < 4)
            }),
        )
        .await;
    }
    let path = |to: chrono::NaiveDate| {
        format!("/api/v1/reports/sustainability?from={month}&to={to}&partner_id={ACCRA}")
    };
    let before = team.report(&path(second)).await;
    let after = team.report(&path(third)).await;
    assert_eq!(
        before["items"], after["items"],
        "one day more must not single out the sixth returnee's scores"
    );
    let last_day = (month + Months::new(1)) - Duration::days(1);
    assert_eq!(
        before["period"],
        json!({
            "from": month, "to": last_day, "country": null, "partner_id": ACCRA,
            "requested": {"from": month, "to": second}
        })
    );
    let accra = row(&after, "group", ACCRA);
    assert_eq!(accra["group_by"], "partner_id");
    assert_eq!(accra["visits"], 6);
    for score in ["economic", "social", "psychosocial", "overall"] {
        assert_eq!(accra[score], 0.667, "{score}: four of six at 1, two at 0");
    }
    assert_eq!(
        accra["overall_distribution"],
        json!({"0-0.25": "<5", "0.25-0.5": 0, "0.5-0.75": 0, "0.75-1": "<5"})
    );
    assert_eq!(row(&after, "group", "GH")["overall"], 0.667);
    assert_eq!(row(&after, "group", "1")["visits"], 6, "all at one month");
    // The month before holds no visit: nothing to show.
    let earlier = team
        .report(&format!(
            "/api/v1/reports/sustainability?from={}&to={}",
            month - Months::new(1),
            month - Duration::days(1)
        ))
        .await;
    assert_eq!(earlier["items"], json!([]));
}

#[tokio::test]
async fn the_overdue_report_lists_breaches_not_departed_and_missed_visits() {
    use brug::db::schema::{referrals, return_cases};
    use chrono::{Duration, Months};
    use diesel::prelude::*;
    let team = Team::new().await;
    let accra = team.app.partner_key(ACCRA).await;
    let kumasi = team.app.partner_key(KUMASI).await;
    let today = chrono::Utc::now().date_naive();
    // Not acknowledged, nor decided, past both due dates.
    let (_, silent) = team.referred(0, ACCRA, "GH").await;
    let id = silent.clone();
    team.backdate(move |conn| {
        diesel::update(referrals::table.find(id))
            .set((
                referrals::acknowledge_due_on.eq(today - Duration::days(5)),
                referrals::decide_due_on.eq(today - Duration::days(2)),
            ))
            .execute(conn)
    })
    .await;
    // Accepted, the planned departure forty days ago, not departed.
    let (case, waiting) = team.referred(1, KUMASI, "GH").await;
    team.accepted(&kumasi, &waiting).await;
    team.backdate(move |conn| {
        diesel::update(return_cases::table.find(case))
            .set(return_cases::planned_departure_on.eq(today - Duration::days(40)))
            .execute(conn)
    })
    .await;
    // Arrived a hundred days ago: the one-month visit is past its grace.
    let (case, returned) = team.referred(2, ACCRA, "GH").await;
    let arrival = today - Duration::days(100);
    team.arrived(&accra, &case, &returned, &arrival.to_string())
        .await;
    let missed_due = arrival + Months::new(1);

    let all = team.report("/api/v1/reports/overdue").await;
    let items: Vec<Value> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            json!([
                i["kind"],
                i["referral_id"],
                i["partner_id"],
                i["due_on"],
                i["days_overdue"]
            ])
        })
        .collect();
    assert_eq!(
        items,
        [
            json!([
                "monitoring_missed",
                returned,
                ACCRA,
                missed_due,
                (today - missed_due).num_days()
            ]),
            json!([
                "not_departed",
                waiting,
                KUMASI,
                today - Duration::days(10),
                10
            ]),
            json!([
                "acknowledge_overdue",
                silent,
                ACCRA,
                today - Duration::days(5),
                5
            ]),
            json!([
                "decision_overdue",
                silent,
                ACCRA,
                today - Duration::days(2),
                2
            ]),
        ],
        "longest overdue first"
    );
    assert!(all["items"][0]["visit_id"].is_string());
    assert_eq!(
        all["counts"],
        json!({"acknowledge_overdue": "<5", "decision_overdue": "<5", "monitoring_missed": "<5", "not_departed": "<5"})
    );
    let kinds = |report: &Value| -> Vec<String> {
        report["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["kind"].as_str().expect("kind").to_owned())
            .collect()
    };
    let of_kumasi = team
        .report(&format!("/api/v1/reports/overdue?partner_id={KUMASI}"))
        .await;
    assert_eq!(kinds(&of_kumasi), ["not_departed"]);
    let of_accra = team
        .report(&format!("/api/v1/reports/overdue?partner_id={ACCRA}"))
        .await;
    assert_eq!(
        kinds(&of_accra),
        [
            "monitoring_missed",
            "acknowledge_overdue",
            "decision_overdue"
        ]
    );
    assert_eq!(
        kinds(&team.report("/api/v1/reports/overdue?country=GH").await).len(),
        4
    );
    let elsewhere = team.report("/api/v1/reports/overdue?country=TN").await;
    assert_eq!(elsewhere["items"], json!([]));
    assert_eq!(elsewhere["counts"], json!({}));
    // Caseworkers see the same list.
    let caseworker = ok(
        team.app
            .get_as(Some(&team.caseworker), "/api/v1/reports/overdue")
            .await,
        200,
    )
    .await;
    assert_eq!(caseworker["items"], all["items"]);
    // It is what is open today: a period is refused, not ignored.
    let refused = problem(
        team.app
            .get_as(
                Some(&team.lead),
                "/api/v1/reports/overdue?from=2026-01-01&to=2026-02-01&country=GH",
            )
            .await,
        422,
    )
    .await;
    assert_eq!(crate::helpers::named_fields(&refused), ["from"]);
    assert_eq!(
        refused["errors"][0]["message"],
        "is not a known query parameter; expected `country` or `partner_id`"
    );
}

#[tokio::test]
async fn one_grouping_less_another_does_not_single_out_a_returnee() {
    // Accra: six returnees in GH; Kumasi: one in GH; Kabul: five in AF.
    // Kumasi is hidden, and Kabul with it; Accra's six are shown. GH's
    // seven less Accra's six would be Kumasi's one: her scores.
    let team = Team::new().await;
    let today = day(0);
    let mut i = 0;
    for (partner, country, people, best) in [
        (ACCRA, "GH", 6, true),
        (KUMASI, "GH", 1, false),
        (KABUL, "AF", 5, true),
    ] {
        let key = team.app.partner_key(partner).await;
        let model = team.model(&key).await;
        for _ in 0..people {
            let (case, referral) = team.referred(i, partner, country).await;
            i += 1;
            let visits = team.arrived(&key, &case, &referral, &today).await;
            post(
                &team.app,
                &key,
                &format!("/partner/v1/referrals/{referral}/monitoring"),
                json!({
                    "visit_id": visits[0]["id"], "held_on": today, "mode": "phone",
                    "answers": answers(&model, best)
                }),
            )
            .await;
        }
    }
    let report = team
        .report(&format!(
            "/api/v1/reports/sustainability?from={today}&to={today}"
        ))
        .await;
    assert_eq!(row(&report, "group", ACCRA)["visits"], 6);
    assert_eq!(row(&report, "group", ACCRA)["overall"], 1.0);
    assert_eq!(row(&report, "group", KUMASI)["overall"], Value::Null);
    let ghana = row(&report, "group", "GH");
    assert_eq!(ghana["visits"], "<5", "{report}");
    assert_eq!(
        ghana["overall"],
        Value::Null,
        "GH less Accra is Kumasi's one"
    );
    assert_eq!(row(&report, "group", "AF")["overall"], Value::Null);
    // Everyone at one month: the twelve less Accra's six leave six.
    assert_eq!(row(&report, "group", "1")["visits"], 12);
    // Nor does asking for GH alone give GH's figures back.
    let ghana_only = team
        .report(&format!(
            "/api/v1/reports/sustainability?from={today}&to={today}&country=GH"
        ))
        .await;
    for item in ghana_only["items"].as_array().expect("items") {
        assert_eq!(item["overall"], Value::Null, "{item}");
        assert_eq!(item["visits"], "<5", "{item}");
    }
}
