//! Who reaches each stage: a client's sex through the API, the funnel by
//! sex and by age band on a hand-built programme (exact values or "<5",
//! the second hidden cell included), what an attacker holding every
//! answer can work out, and the AMIF breakdown.

use brug::auth::Role;
use chrono::Datelike;
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem, spawn_app};
use crate::referrals::{ACCRA, day, ok, send};

const TUNIS: &str = "tunis-new-horizon";

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let response = send(app, token, reqwest::Method::POST, path, Some(body)).await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("json");
    assert!(status == 200 || status == 201, "{path}: {status} {body}");
    body
}

/// Born on 15 January `years` years ago: that age on any day of this year
/// from 15 January on, and on the last day of any month.
fn born(years: i32) -> String {
    format!("{}-01-15", chrono::Utc::now().year() - years)
}

struct Programme {
    app: TestApp,
    counsellor: String,
    caseworker: String,
    lead: String,
}

impl Programme {
    async fn new() -> Self {
        let app = spawn_app().await;
        let counsellor = app.staff_token(&[Role::Counsellor]).await;
        let caseworker = app.staff_token(&[Role::Caseworker]).await;
        let lead = app.staff_token(&[Role::Lead]).await;
        Programme {
            app,
            counsellor,
            caseworker,
            lead,
        }
    }

    /// Client `i` of `sex`, `age` years old, from `country`: counselled
    /// (wants to return), with consent and a return case there, referred
    /// to `partner`. The case's and the referral's ids.
    async fn referred(
        &self,
        i: usize,
        sex: &str,
        age: i32,
        country: &str,
        partner: &str,
    ) -> (String, String) {
        let app = &self.app;
        let client = post(app, &self.counsellor, "/api/v1/clients", json!({
            "given_name": format!("Person{i}"), "family_name": "Example", "date_of_birth": born(age),
            "sex": sex, "country_of_origin": country, "languages": ["en"]
        }))
        .await;
        assert_eq!(client["sex"], sex);
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

    /// Accepted by `key`'s partner and departed today.
    async fn departed(&self, key: &str, case: &str, referral: &str) {
        for step in ["acknowledge", "accept"] {
            post(
                &self.app,
                key,
                &format!("/partner/v1/referrals/{referral}/{step}"),
                json!({}),
            )
            .await;
        }
        post(
            &self.app,
            &self.caseworker,
            &format!("/api/v1/return-cases/{case}/departure"),
            json!({"departed_on": day(0)}),
        )
        .await;
    }

    async fn report(&self, path: &str) -> Value {
        ok(self.app.get_as(Some(&self.lead), path).await, 200).await
    }
}

/// Seven women (two minors, three 18–34, two 35–59) and six men (five
/// 18–34, one 35–59) from Ghana, referred to Accra; two people of another
/// sex (35–59) from Tunisia, referred to Tunis. The women's referrals are
/// accepted and departed.
async fn programme() -> Programme {
    let p = Programme::new().await;
    let accra = p.app.partner_key(ACCRA).await;
    let women = [10, 10, 25, 25, 25, 45, 45];
    for (i, age) in women.iter().enumerate() {
        let (case, referral) = p.referred(i, "female", *age, "GH", ACCRA).await;
        p.departed(&accra, &case, &referral).await;
    }
    for (i, age) in [25, 25, 25, 25, 25, 45].iter().enumerate() {
        p.referred(10 + i, "male", *age, "GH", ACCRA).await;
    }
    for i in 0..2 {
        p.referred(20 + i, "other", 45, "TN", TUNIS).await;
    }
    p
}

/// A stage's row of a breakdown: its total, then each group's count.
fn stage(report: &Value, name: &str) -> Vec<Value> {
    let item = report["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["stage"] == name)
        .unwrap_or_else(|| panic!("no stage {name} in {report}"));
    let mut row = vec![item["total"].clone()];
    for group in report["groups"].as_array().expect("groups") {
        row.push(item["counts"][group.as_str().expect("group")].clone());
    }
    row
}

#[tokio::test]
async fn a_client_s_sex_is_taken_checked_and_given_back() {
    let app = spawn_app().await;
    let counsellor = app.staff_token(&[Role::Counsellor]).await;
    let body = |given: &str| {
        json!({"given_name": given, "family_name": "Example", "date_of_birth": "1990-01-01",
               "country_of_origin": "GH", "languages": ["tw"]})
    };
    // An integration written before the field: `unknown`.
    let old = post(&app, &counsellor, "/api/v1/clients", body("Old")).await;
    assert_eq!(old["sex"], "unknown");
    let mut male = body("Kwame");
    male["sex"] = json!("male");
    let made = post(&app, &counsellor, "/api/v1/clients", male).await;
    assert_eq!(made["sex"], "male");
    let read = ok(
        app.get_as(
            Some(&counsellor),
            &format!("/api/v1/clients/{}", made["id"].as_str().expect("id")),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(read["sex"], "male");
    let listed = ok(app.get_as(Some(&counsellor), "/api/v1/clients").await, 200).await;
    let sexes: Vec<&Value> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| &c["sex"])
        .collect();
    assert_eq!(sexes, [&json!("unknown"), &json!("male")]);
    for bad in [json!("femme"), json!(""), json!(1), json!(null)] {
        let mut wrong = body("Wrong");
        wrong["sex"] = bad.clone();
        let refused = problem(
            send(
                &app,
                &counsellor,
                reqwest::Method::POST,
                "/api/v1/clients",
                Some(wrong),
            )
            .await,
            422,
        )
        .await;
        let fields: Vec<&str> = refused["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert_eq!(fields, ["sex"], "{bad}: {refused}");
    }
}

#[tokio::test]
async fn the_funnel_by_sex_and_age_band_shows_each_count_or_hides_two() {
    let p = programme().await;
    let by_sex = p.report("/api/v1/reports/funnel?by=sex").await;
    assert_eq!(by_sex["by"], "sex");
    assert_eq!(
        by_sex["groups"],
        json!(["female", "male", "other", "unknown"])
    );
    // Total, female, male, other, unknown. Other's 2 is hidden, and the
    // men's 6 with it, or 15 - 7 - 6 would give it.
    for name in [
        "clients_counselled",
        "intention_return",
        "cases_opened",
        "referrals_sent",
    ] {
        assert_eq!(
            stage(&by_sex, name),
            [json!(15), json!(7), json!("<5"), json!("<5"), json!(0)],
            "{name}"
        );
    }
    for name in ["referrals_accepted", "departed"] {
        assert_eq!(
            stage(&by_sex, name),
            [json!(7), json!(7), json!(0), json!(0), json!(0)],
            "{name}"
        );
    }
    assert_eq!(
        stage(&by_sex, "arrived"),
        [json!(0), json!(0), json!(0), json!(0), json!(0)]
    );

    let by_age = p.report("/api/v1/reports/funnel?by=age_band").await;
    assert_eq!(by_age["groups"], json!(["0-17", "18-34", "35-59", "60+"]));
    // Two minors, eight 18-34, five 35-59: the 2 hidden, the 5 with it.
    assert_eq!(
        stage(&by_age, "cases_opened"),
        [json!(15), json!("<5"), json!(8), json!("<5"), json!(0)]
    );
    // The seven women who left: 2, 3 and 2.
    assert_eq!(
        stage(&by_age, "departed"),
        [json!(7), json!("<5"), json!("<5"), json!("<5"), json!(0)]
    );
    // The funnel itself is unchanged by the breakdown.
    let funnel = p.report("/api/v1/reports/funnel").await;
    assert_eq!(funnel["cases_opened"], 15);
    assert_eq!(funnel["departed"], 7);

    // The CSV has the same cells, one row per grouping, group and stage.
    let csv = p
        .app
        .client
        .get(p.app.url("/api/v1/reports/funnel?by=sex"))
        .bearer_auth(&p.lead)
        .header("accept", "text/csv")
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "grouping,group,stage,count");
    for line in [
        "sex,all,cases_opened,15",
        "sex,female,cases_opened,7",
        "sex,male,cases_opened,<5",
        "sex,other,cases_opened,<5",
        "sex,unknown,cases_opened,0",
    ] {
        assert!(lines.contains(&line), "{line} in {csv}");
    }
    assert_eq!(lines.len(), 1 + 10 * 5, "ten stages of five rows: {csv}");

    let refused = problem(
        p.app
            .get_as(Some(&p.lead), "/api/v1/reports/funnel?by=colour")
            .await,
        422,
    )
    .await;
    assert!(refused.to_string().contains("\"by\""), "{refused}");
}

/// The counts an attacker reads off one answer by sex for one stage:
/// per group and the total, a number or `None` for "<5".
fn read(report: &Value, name: &str) -> Vec<Option<i64>> {
    stage(report, name).iter().map(Value::as_i64).collect()
}

/// Every assignment of the finest cells (group × country, fifteen people
/// at most in all) that agrees with what the answers show; the values
/// `cell` takes over them.
fn possible(
    answers: &[(&[usize], Vec<Option<i64>>)],
    cell: impl Fn(&[[i64; 2]; 4]) -> i64,
) -> Vec<i64> {
    fn fill(x: &mut [[i64; 2]; 4], at: usize, left: i64, visit: &mut dyn FnMut(&[[i64; 2]; 4])) {
        if at == 8 {
            visit(x);
            return;
        }
        for n in 0..=left {
            x[at / 2][at % 2] = n;
            fill(x, at + 1, left - n, visit);
        }
        x[at / 2][at % 2] = 0;
    }
    let mut found = std::collections::BTreeSet::new();
    let mut x = [[0i64; 2]; 4];
    fill(&mut x, 0, 15, &mut |x| {
        let agrees = answers.iter().all(|(countries, shown)| {
            let group = |g: usize| countries.iter().map(|c| x[g][*c]).sum::<i64>();
            let total: i64 = (0..4).map(group).sum();
            let figures = std::iter::once(total).chain((0..4).map(group));
            figures.zip(shown).all(|(n, s)| match s {
                Some(v) => n == *v,
                None => n > 0,
            })
        });
        if agrees {
            found.insert(cell(x));
        }
    });
    found.into_iter().collect()
}

#[tokio::test]
async fn no_answer_with_or_without_a_country_gives_a_hidden_group_away() {
    let p = programme().await;
    let stage_name = "cases_opened";
    let all = read(&p.report("/api/v1/reports/funnel?by=sex").await, stage_name);
    let ghana = read(
        &p.report("/api/v1/reports/funnel?by=sex&country=GH").await,
        stage_name,
    );
    let tunisia = read(
        &p.report("/api/v1/reports/funnel?by=sex&country=TN").await,
        stage_name,
    );
    assert_eq!(all, [Some(15), Some(7), None, None, Some(0)]);
    // Ghana's 13 leaves Tunisia's 2 out, so it is hidden, and its groups
    // with it: Ghana's 6 men would give 15 - 7 - 6 = 2 others.
    assert_eq!(ghana, [None, None, None, Some(0), Some(0)]);
    assert_eq!(tunisia, [None, Some(0), Some(0), None, Some(0)]);
    // Whatever the attacker adds and subtracts, the others can be 1 to 7.
    let answers: Vec<(&[usize], Vec<Option<i64>>)> =
        vec![(&[0, 1], all), (&[0], ghana), (&[1], tunisia)];
    let others = possible(&answers, |x| x[2][0] + x[2][1]);
    assert_eq!(others, (1..=7).collect::<Vec<i64>>());
    let men = possible(&answers, |x| x[1][0] + x[1][1]);
    assert!(men.len() > 1, "{men:?}");
}

#[tokio::test]
async fn a_period_a_day_longer_or_shorter_gives_the_same_breakdown() {
    let p = programme().await;
    let today = chrono::Utc::now().date_naive();
    let first = today.with_day(1).expect("first");
    let whole = p.report("/api/v1/reports/funnel?by=age_band").await;
    let month = p
        .report(&format!(
            "/api/v1/reports/funnel?by=age_band&from={first}&to={today}"
        ))
        .await;
    let day_later = p
        .report(&format!(
            "/api/v1/reports/funnel?by=age_band&from={}&to={today}",
            first + chrono::Duration::days(1)
        ))
        .await;
    assert_eq!(month["items"], day_later["items"]);
    assert_eq!(day_later["period"]["from"], first.to_string());
    assert_eq!(stage(&month, "cases_opened"), stage(&whole, "cases_opened"));
    // The month before: nobody, so nothing to subtract.
    let before = first - chrono::Duration::days(1);
    let earlier = p
        .report(&format!(
            "/api/v1/reports/funnel?by=sex&from={before}&to={before}"
        ))
        .await;
    assert_eq!(
        stage(&earlier, "cases_opened"),
        [json!(0), json!(0), json!(0), json!(0), json!(0)]
    );
}

#[tokio::test]
async fn the_funder_report_says_of_whom_minors_and_by_sex() {
    let p = programme().await;
    let year = chrono::Utc::now().year();
    let report = p.report(&format!("/api/v1/reports/amif?year={year}")).await;
    let value = |id: &str| {
        report["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|r| r["indicator"] == id)
            .map(|r| r["value"].clone())
            .unwrap_or_else(|| panic!("no {id} in {report}"))
    };
    // Seven women left, two of them minors: the 2 hidden, the 5 adults too.
    for indicator in ["returnees_voluntary", "departures"] {
        assert_eq!(value(indicator), 7);
        assert_eq!(value(&format!("{indicator}.minors")), "<5");
        assert_eq!(value(&format!("{indicator}.female")), 7);
        assert_eq!(value(&format!("{indicator}.male")), 0);
        assert_eq!(value(&format!("{indicator}.other")), 0);
        assert_eq!(value(&format!("{indicator}.unknown")), 0);
    }
    assert_eq!(value("household_members"), 0);
    assert_eq!(value("household_members.minors"), 0);
    assert_eq!(value("returnees_reintegration_assistance.female"), 0);
    let label = report["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["indicator"] == "returnees_voluntary.minors")
        .map(|r| r["label"].clone());
    assert_eq!(
        label,
        Some(json!(
            "Returnees who returned voluntarily: of whom minors (under 18 on the day they left)"
        ))
    );
}

#[tokio::test]
async fn the_who_dashboard_shows_both_breakdowns_and_the_funders_table() {
    use crate::dashboards::{row, table};
    let p = programme().await;
    let (mut lead, _) = crate::web_helpers::signed_in(&p.app, &[Role::Lead], "Lena Lead").await;
    let page = lead.get("/dashboards/who").await;
    assert_eq!(page.status, 200, "{}", page.html);
    // Total, then Vrouw, Man, Anders, Onbekend: as the report hides them.
    let by_sex = table(&page, "who-sex");
    assert_eq!(
        row(&by_sex, "Terugkeertrajecten geopend"),
        ["15", "7", "<5", "<5", "0"]
    );
    assert_eq!(row(&by_sex, "Vertrokken"), ["7", "7", "0", "0", "0"]);
    let by_age = table(&page, "who-age_band");
    assert_eq!(
        row(&by_age, "Terugkeertrajecten geopend"),
        ["15", "<5", "8", "<5", "0"]
    );
    assert!(
        page.contains("<title id=\"who-sex-title\">Hoe ver mensen komen, naar geslacht</title>")
    );
    // The funder's table for this year: seven women left, two minors.
    let amif = table(&page, "amif");
    assert_eq!(
        row(&amif, "Vrijwillig teruggekeerd"),
        ["7", "<5", "7", "0", "0", "0"]
    );
    // The CSV holds what the API's breakdowns hold, line for line.
    let csv = lead.get("/dashboards/who?format=csv").await;
    assert_eq!(csv.status, 200);
    for by in ["sex", "age_band"] {
        let api = p
            .app
            .get_as_csv(Some(&p.lead), &format!("/api/v1/reports/funnel?by={by}"))
            .await;
        for line in api.lines().skip(1) {
            assert!(
                csv.html.lines().any(|l| l == line),
                "{line} not in {}",
                csv.html
            );
        }
    }
}
