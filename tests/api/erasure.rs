//! Erasing a person: over a year of demonstration programme, a person of
//! our own goes through every stage, with distinctive words in every free
//! text; once erased, none of them is anywhere in the database, every
//! report reads as before, the audit chain verifies, and the partner with
//! the open referral was told once. Only an administrator may erase.

use std::process::Command;

use brug::auth::Role;
use chrono::{Datelike, Duration, Months, NaiveDate, Utc};
use diesel::RunQueryDsl;
use serde_json::{Value, json};

use crate::helpers::{TestApp, partners_dir, serve, test_database, test_settings};
use crate::referrals::{ACCRA, KUMASI, day, ok, send};
use crate::web_helpers::signed_in;

/// Words that are this person's only: names, V-number, where they stay,
/// and the words of every note about them.
const DISTINCTIVE: &[&str] = &[
    "Zephyrine",
    "Quarkwood",
    "9081726354",
    "Opvang Zandkasteel",
    "Balthasar",
    "Verzinselstad",
];

fn brug(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_brug"));
    for var in ["BRUG_CONFIG", "BRUG_ADDR", "RUST_LOG", "DATABASE_URL"] {
        command.env_remove(var);
    }
    command
        .args(["--database-url", database_url])
        .env("BRUG_PARTNERS_DIR", partners_dir());
    command
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("idempotency-key", uuid::Uuid::now_v7().to_string())
        .json(&body)
        .send()
        .await
        .expect("sent");
    let status = response.status();
    let text = response.text().await.expect("body");
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    ok(
        send(app, token, reqwest::Method::GET, path, None).await,
        200,
    )
    .await
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

/// How many rows hold `needle` (any case) in any column of any table.
async fn traces(app: &TestApp, needle: &str) -> Vec<(String, String, i64)> {
    let db = app.db.clone();
    let needle = needle.to_lowercase();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.conn().expect("conn");
        let tables = brug::db::migrations::describe_schema(&mut conn).expect("schema");
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut found = Vec::new();
        for (table, columns) in tables {
            for column in columns {
                let sql = format!(
                    "SELECT COUNT(*) AS n FROM \"{table}\" \
                     WHERE LOWER(CAST(\"{column}\" AS TEXT)) LIKE '%{needle}%'"
                );
                let count: Count = diesel::sql_query(sql)
                    .get_result(&mut *conn)
                    .expect("count");
                if count.n > 0 {
                    found.push((table.clone(), column.clone(), count.n));
                }
            }
        }
        found
    })
    .await
    .expect("ran")
}

/// Kept answers (`Idempotency-Key`) of requests that named one of `ids`.
async fn kept_answers(app: &TestApp, ids: &[String]) -> i64 {
    let db = app.db.clone();
    let ids = ids.to_vec();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.conn().expect("conn");
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut total = 0;
        for id in ids {
            let sql = format!(
                "SELECT COUNT(*) AS n FROM idempotency_keys \
                 WHERE resource_id = '{id}' OR path LIKE '%{id}%'"
            );
            let count: Count = diesel::sql_query(sql)
                .get_result(&mut *conn)
                .expect("count");
            total += count.n;
        }
        total
    })
    .await
    .expect("ran")
}

/// Every report a lead reads, over the demo year and today.
async fn reports(app: &TestApp, lead: &str) -> Vec<Value> {
    let today = Utc::now().date_naive();
    let from = today - Months::new(13);
    let period = format!("from={from}&to={today}");
    let mut out = Vec::new();
    for path in [
        format!("/api/v1/reports/funnel?{period}"),
        format!("/api/v1/reports/funnel?{period}&by=sex"),
        format!("/api/v1/reports/funnel?{period}&by=age_band"),
        format!("/api/v1/reports/funnel?from={today}&to={today}&by=age_band"),
        format!("/api/v1/reports/partners?{period}"),
        format!("/api/v1/reports/sustainability?{period}"),
        "/api/v1/reports/overdue".to_owned(),
        format!("/api/v1/reports/amif?year={}", today.year()),
    ] {
        out.push(get(app, lead, &path).await);
    }
    out
}

/// A minor on the day they leave (today), who turns 18 within a fortnight:
/// born on a day other than the first of a month.
fn birth_date(today: NaiveDate) -> NaiveDate {
    let mut turns_18 = today + Duration::days(13);
    if turns_18.day() == 1 {
        turns_18 += Duration::days(1);
    }
    turns_18 - Months::new(12 * 18)
}

#[tokio::test]
async fn erasing_a_person_leaves_no_trace_of_them_and_every_report_as_it_was() {
    let database = test_database();
    let out = brug(&database.url)
        .args(["demo-data", "--years", "1", "--seed", "5"])
        .output()
        .expect("brug runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let settings = test_settings(&database.url);
    let url = database.url.clone();
    let db = brug::startup::open_db(&settings).expect("open");
    let app = serve(settings, db, database);
    let counsellor = app.staff_token(&[Role::Counsellor]).await;
    let caseworker = app.staff_token(&[Role::Caseworker]).await;
    let lead = app.staff_token(&[Role::Lead]).await;
    let accra = app.partner_key(ACCRA).await;
    let kumasi = app.partner_key(KUMASI).await;
    let today = Utc::now().date_naive();
    let born = birth_date(today);

    // The person, with a companion of another name in their household.
    let client = post(
        &app,
        &counsellor,
        "/api/v1/clients",
        json!({"given_name": "Zephyrine", "family_name": "Quarkwood", "date_of_birth": born,
               "sex": "female", "country_of_origin": "GH", "languages": ["tw", "en"],
               "v_number": "9081726354", "location": "Opvang Zandkasteel"}),
    )
    .await;
    let client_id = id(&client);
    let old_reference = client["reference"].as_str().expect("reference").to_owned();
    let companion = id(&post(
        &app,
        &counsellor,
        "/api/v1/clients",
        json!({"given_name": "Ignatius", "family_name": "Pennywhistle", "date_of_birth": "1970-03-03",
               "sex": "male", "country_of_origin": "GH", "languages": ["tw"]}),
    )
    .await);
    let household = id(&post(
        &app,
        &counsellor,
        "/api/v1/households",
        json!({"member_ids": [client_id, companion], "label": "Familie Quarkwood"}),
    )
    .await);
    let talk = id(&post(
        &app,
        &counsellor,
        &format!("/api/v1/clients/{client_id}/talks"),
        json!({"held_on": day(-3), "mode": "in_person", "topics": ["return", "family"], "intention": "return",
               "duration_minutes": 50, "next_talk_on": day(20),
               "notes": "Zephyrine vertelde over haar oom Balthasar in Verzinselstad."}),
    )
    .await);
    ok(
        send(
            &app,
            &counsellor,
            reqwest::Method::PATCH,
            &format!("/api/v1/talks/{talk}"),
            Some(json!({"notes": "Oom Balthasar woont in Verzinselstad; Zephyrine wil daarheen."})),
        )
        .await,
        200,
    )
    .await;
    let consent = id(&post(
        &app,
        &caseworker,
        &format!("/api/v1/clients/{client_id}/consents"),
        json!({"purpose": "referral", "data_categories": ["identity", "contact", "family", "needs"],
               "country": "GH", "given_on": day(-1), "method": "written", "language": "tw"}),
    )
    .await);
    let case = id(&post(
        &app,
        &caseworker,
        "/api/v1/return-cases",
        json!({"client_id": client_id, "talk_id": talk, "destination_country": "GH",
               "destination_region": "GH-AA", "needs": ["housing"], "planned_departure_on": day(10),
               "household_member_ids": [companion]}),
    )
    .await);
    let refer = |partner: &'static str| {
        let (app, caseworker, case, consent) = (&app, &caseworker, &case, &consent);
        async move {
            id(&post(
                app,
                caseworker,
                &format!("/api/v1/return-cases/{case}/referrals"),
                json!({"partner_id": partner, "consent_id": consent}),
            )
            .await)
        }
    };
    // Kumasi declines, in words that name her.
    let declined = refer(KUMASI).await;
    let step = |key: &str, referral: &str, action: &str, body: Value| {
        let path = format!("/partner/v1/referrals/{referral}/{action}");
        let (app, key) = (&app, key.to_owned());
        async move { post(app, &key, &path, body).await }
    };
    step(
        &kumasi,
        &declined,
        "acknowledge",
        json!({"note": "Gezien, Zephyrine."}),
    )
    .await;
    step(
        &kumasi,
        &declined,
        "decline",
        json!({"reason_code": "other", "reason": "Zephyrine woont buiten ons werkgebied."}),
    )
    .await;
    // Accra takes her on, she leaves and arrives, the plan is approved,
    // a visit reported: the referral stays open, in progress.
    let referral = refer(ACCRA).await;
    step(
        &accra,
        &referral,
        "acknowledge",
        json!({"note": "Ontvangen voor Zephyrine Quarkwood."}),
    )
    .await;
    step(
        &accra,
        &referral,
        "accept",
        json!({"note": "Wij nemen Zephyrine op."}),
    )
    .await;
    let checklist = get(
        &app,
        &caseworker,
        &format!("/api/v1/return-cases/{case}/checklist"),
    )
    .await;
    let flight = checklist["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["kind"] == "flight")
        .map(id)
        .expect("a flight task");
    ok(
        send(
            &app,
            &caseworker,
            reqwest::Method::PATCH,
            &format!("/api/v1/checklist-items/{flight}"),
            Some(json!({"note": "Ticket voor Zephyrine via Verzinselstad."})),
        )
        .await,
        200,
    )
    .await;
    post(
        &app,
        &caseworker,
        &format!("/api/v1/return-cases/{case}/departure"),
        json!({"departed_on": day(0)}),
    )
    .await;
    step(
        &accra,
        &referral,
        "arrival",
        json!({"arrived_on": day(0), "received": true, "note": "Zephyrine is veilig aangekomen."}),
    )
    .await;
    step(
        &accra,
        &referral,
        "reintegration-plan",
        json!({"items": [{"need": "housing", "support": "Kamer bij oom Balthasar", "amount": 250, "currency": "GHS"}]}),
    )
    .await;
    post(
        &app,
        &caseworker,
        &format!("/api/v1/referrals/{referral}/reintegration-plan/approve"),
        json!({}),
    )
    .await;
    let model = get(&app, &accra, "/partner/v1/monitoring-model").await;
    let view = get(&app, &accra, &format!("/partner/v1/referrals/{referral}")).await;
    assert_eq!(view["client"]["given_name"], "Zephyrine");
    let visit = view["monitoring_visits"][0]["id"].clone();
    step(
        &accra,
        &referral,
        "monitoring",
        json!({"visit_id": visit, "held_on": day(0), "mode": "phone",
               "answers": crate::after_departure::answers(&model, false)}),
    )
    .await;

    // Before: the person is all over the database, and in the reports.
    for needle in DISTINCTIVE.iter().copied().chain([old_reference.as_str()]) {
        assert!(
            !traces(&app, needle).await.is_empty(),
            "{needle} was never written"
        );
    }
    let ids = vec![
        client_id.clone(),
        talk.clone(),
        consent.clone(),
        case.clone(),
        referral.clone(),
        declined.clone(),
    ];
    assert!(kept_answers(&app, &ids).await > 0);
    let before = reports(&app, &lead).await;
    assert_ne!(before[0]["departed"], 0, "{}", before[0]);

    // Nobody but an administrator may erase: the page and the form are 403.
    let (mut colleague, _) = signed_in(&app, &[Role::Counsellor], "Cora Consulent").await;
    colleague.get(&format!("/clients/{client_id}")).await;
    assert_eq!(
        colleague
            .get(&format!("/clients/{client_id}/erase"))
            .await
            .status,
        403
    );
    let refused = colleague
        .post(
            &format!("/clients/{client_id}/erase"),
            &[("reason", "Verzoek")],
        )
        .await;
    assert_eq!(refused.status, 403);
    let (mut lead_browser, _) = signed_in(&app, &[Role::Lead], "Lea Leiding").await;
    lead_browser.get("/").await;
    assert_eq!(
        lead_browser
            .post(
                &format!("/clients/{client_id}/erase"),
                &[("reason", "Verzoek")]
            )
            .await
            .status,
        403
    );
    assert!(!traces(&app, "Zephyrine").await.is_empty(), "still there");

    // An administrator erases, after the page that says what goes.
    let (mut admin, _) = signed_in(&app, &[Role::Admin], "Ada Beheer").await;
    let confirm = admin.get(&format!("/clients/{client_id}/erase")).await;
    assert_eq!(confirm.status, 200, "{}", confirm.html);
    assert!(confirm.contains(&format!("{old_reference} wissen")));
    assert!(confirm.contains("kan niet ongedaan worden gemaakt"));
    let blank = admin
        .post(&format!("/clients/{client_id}/erase"), &[("reason", " ")])
        .await;
    assert_eq!(blank.status, 422);
    assert!(blank.field_error("reason").is_some(), "{}", blank.html);
    assert!(
        !traces(&app, "Zephyrine").await.is_empty(),
        "a refused form erases nothing"
    );
    let done = admin
        .post(
            &format!("/clients/{client_id}/erase"),
            &[("reason", "Verzoek van de persoon van 7 december")],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert_eq!(
        done.location.as_deref(),
        Some(format!("/clients/{client_id}/export?erased=1").as_str())
    );
    let shown = admin
        .get(&format!("/clients/{client_id}/export?erased=1"))
        .await;
    assert!(shown.contains("De persoon is gewist."));
    assert!(shown.contains("Verzoek van de persoon van 7 december"));
    assert!(!shown.contains("Zephyrine"));

    // After: no trace in any column of any table, nor of the reference.
    for needle in DISTINCTIVE.iter().copied().chain([old_reference.as_str()]) {
        let found = traces(&app, needle).await;
        assert!(found.is_empty(), "{needle} remains in {found:?}");
    }
    assert_eq!(kept_answers(&app, &ids).await, 0, "kept answers purged");
    // The companion is someone else, and stays.
    let other = get(&app, &counsellor, &format!("/api/v1/clients/{companion}")).await;
    assert_eq!(other["given_name"], "Ignatius");
    let group = get(
        &app,
        &counsellor,
        &format!("/api/v1/households/{household}"),
    )
    .await;
    assert_eq!(group["label"], Value::Null);

    // Every report reads as it did.
    let after = reports(&app, &lead).await;
    for (before, after) in before.iter().zip(&after) {
        assert_eq!(before, after);
    }

    // The audit chain is whole.
    let (intact, report) = crate::audit::verify(&url);
    assert!(intact, "{report}");

    // Accra, with the open referral, was told once; Kumasi not at all.
    let erased_events = |events: &Value| -> Vec<Value> {
        events["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|e| e["type"] == "client.erased")
            .cloned()
            .collect()
    };
    let told = erased_events(&get(&app, &accra, "/partner/v1/events?limit=500").await);
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["data"], json!({"referral_id": referral}));
    assert_eq!(told[0]["referral_id"], referral.as_str());
    assert!(erased_events(&get(&app, &kumasi, "/partner/v1/events?limit=500").await).is_empty());
    // And sees no more of her than the reference, a new one.
    let seen = get(&app, &accra, &format!("/partner/v1/referrals/{referral}")).await;
    assert_eq!(seen["shared_categories"], json!([]));
    assert!(seen["client"].get("given_name").is_none(), "{seen}");
    assert_ne!(seen["client"]["reference"], old_reference.as_str());

    // The export says so; what stays is coarse.
    let export = get(
        &app,
        &counsellor,
        &format!("/api/v1/clients/{client_id}/export"),
    )
    .await;
    assert_eq!(
        export["erasure"]["reason"],
        "Verzoek van de persoon van 7 december"
    );
    assert!(export["client"]["erased_at"].is_string());
    assert_eq!(export["client"]["given_name"], "");
    assert_eq!(export["client"]["v_number"], Value::Null);
    assert_eq!(export["client"]["sex"], "female");
    assert_eq!(export["client"]["country_of_origin"], "GH");
    // The earliest day of her birth month on which she was still a minor
    // the day she left.
    let coarse = if born.month() == today.month() {
        born.with_day(today.day() + 1)
    } else {
        born.with_day(1)
    }
    .expect("a day");
    assert_ne!(coarse, born);
    assert_eq!(export["client"]["date_of_birth"], coarse.to_string());
    assert_eq!(export["talks"][0]["notes"], Value::Null);
    assert_eq!(
        export["talks"][0]["earlier_versions"][0]["notes"],
        Value::Null
    );
    assert_eq!(export["talks"][0]["intention"], "return");
    let kept = &export["return_cases"][0]["referrals"][1];
    assert_eq!(kept["status"], "in_progress");
    assert_eq!(kept["departed_on"], day(0));
    // Who saw her, and when, is still on record.
    assert!(
        export["disclosures"]
            .as_array()
            .expect("disclosures")
            .iter()
            .any(|d| d["partner_id"] == ACCRA && d["categories"] != json!([])),
        "{}",
        export["disclosures"]
    );
    let page = colleague.get(&format!("/clients/{client_id}")).await;
    assert!(page.contains("Gewiste persoon"), "{}", page.html);

    // Erasing again does no harm, and tells nobody twice.
    let again = brug(&url)
        .args(["client", "erase", &client_id, "--reason", "Nogmaals"])
        .output()
        .expect("brug runs");
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("already"));
    let told = erased_events(&get(&app, &accra, "/partner/v1/events?limit=500").await);
    assert_eq!(told.len(), 1);
    let export = get(
        &app,
        &counsellor,
        &format!("/api/v1/clients/{client_id}/export"),
    )
    .await;
    assert_eq!(
        export["erasure"]["reason"],
        "Verzoek van de persoon van 7 december"
    );
    let (intact, report) = crate::audit::verify(&url);
    assert!(intact, "{report}");
    assert_eq!(reports(&app, &lead).await, before);
}

#[tokio::test]
async fn the_command_line_erases_and_refuses_what_it_cannot() {
    let person = crate::rights::Person::new().await;
    let url = person.app.database.url.clone();
    let run = |args: &[&str]| brug(&url).args(args).output().expect("brug runs");
    let missing = run(&["client", "erase", &person.client]);
    assert!(!missing.status.success(), "a reason is required");
    let blank = run(&["client", "erase", &person.client, "--reason", "  "]);
    assert!(!blank.status.success());
    assert!(String::from_utf8_lossy(&blank.stderr).contains("--reason"));
    let nobody = run(&[
        "client",
        "erase",
        &uuid::Uuid::now_v7().to_string(),
        "--reason",
        "Verzoek",
    ]);
    assert!(!nobody.status.success());
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("No such client"));
    let export = ok(
        send(
            &person.app,
            &person.counsellor,
            reqwest::Method::GET,
            &format!("/api/v1/clients/{}/export", person.client),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(export["erasure"], Value::Null, "nothing was erased");
    let done = run(&["client", "erase", &person.client, "--reason", "Verzoek"]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(String::from_utf8_lossy(&done.stderr).contains("Erased client"));
    let export = ok(
        send(
            &person.app,
            &person.counsellor,
            reqwest::Method::GET,
            &format!("/api/v1/clients/{}/export", person.client),
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(export["client"]["given_name"], "");
    assert_eq!(export["household"]["label"], Value::Null);
    // The sibling in the household is someone else.
    let sibling = export["household"]["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["id"] == person.sibling.as_str())
        .cloned()
        .expect("the sibling");
    assert_eq!(sibling["given_name"], "Octavius");
}
