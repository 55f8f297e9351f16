//! `brug demo-data`, run as a user would: a synthetic year that every
//! report reads with plausible figures, the same for the same seed, another
//! for another seed, refused on a filled database, and the audit chain
//! intact afterwards.

use std::process::{Command, Output};

use brug::auth::Role;
use serde_json::Value;

use crate::helpers::{TestApp, TestDatabase, partners_dir, serve, test_database, test_settings};

fn brug(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_brug"));
    for var in ["BRUG_CONFIG", "BRUG_ADDR", "RUST_LOG"] {
        command.env_remove(var);
    }
    command
        .env("DATABASE_URL", database_url)
        .env("BRUG_PARTNERS_DIR", partners_dir());
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The day the demo programme ends: fixed, so that the data (and what the
/// test can expect of it) is the same every day.
fn until() -> String {
    "2026-06-30".to_owned()
}

fn demo_data(database: &TestDatabase, seed: u64, until: &str) -> Output {
    brug(&database.url)
        .args(["demo-data", "--years", "1", "--seed", &seed.to_string()])
        .args(["--until", until])
        .output()
        .expect("brug runs")
}

fn filled(seed: u64, until: &str) -> TestDatabase {
    let database = test_database();
    let out = demo_data(&database, seed, until);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    database
}

/// Serves a filled database; returns the app and a programme lead's token.
async fn lead_on(database: TestDatabase) -> (TestApp, String) {
    let settings = test_settings(&database.url);
    let db = brug::startup::open_db(&settings).expect("open");
    let app = serve(settings, db, database);
    let lead = app.staff_token(&[Role::Lead]).await;
    (app, lead)
}

async fn report(app: &TestApp, lead: &str, path: &str) -> Value {
    let response = app.get_as(Some(lead), path).await;
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.json().await.expect("json")
}

/// Every report over the demo year, as a lead sees it.
async fn reports(app: &TestApp, lead: &str, until: &str) -> Vec<Value> {
    let year = &until[..4];
    let mut out = Vec::new();
    for path in [
        format!("/api/v1/reports/funnel?to={until}"),
        format!("/api/v1/reports/partners?to={until}"),
        format!("/api/v1/reports/sustainability?to={until}"),
        "/api/v1/reports/overdue".to_owned(),
        format!("/api/v1/reports/amif?year={year}"),
    ] {
        out.push(report(app, lead, &path).await);
    }
    out
}

fn count(funnel: &Value, stage: &str) -> i64 {
    funnel[stage]
        .as_i64()
        .unwrap_or_else(|| panic!("{stage} is not a shown count: {funnel}"))
}

#[tokio::test]
async fn a_demo_year_gives_every_report_plausible_figures_and_one_seed_the_same_data() {
    let until = until();
    let (first, lead) = lead_on(filled(7, &until)).await;
    let figures = reports(&first, &lead, &until).await;

    let funnel = &figures[0];
    let stages = [
        "clients_counselled",
        "intention_return",
        "cases_opened",
        "referrals_sent",
        "referrals_accepted",
        "departed",
        "arrived",
    ];
    let counts: Vec<i64> = stages.iter().map(|s| count(funnel, s)).collect();
    assert!(
        counts[0] >= 1000,
        "a year counsels well over a thousand: {funnel}"
    );
    for (pair, names) in counts.windows(2).zip(stages.windows(2)) {
        if names == ["cases_opened", "referrals_sent"] {
            // A declined referral is sent again elsewhere: more referrals than cases is fine.
            assert!(pair[1] >= 5, "referrals are sent: {funnel}");
            continue;
        }
        assert!(
            pair[0] >= pair[1] && pair[1] >= 5,
            "{} ≥ {} ≥ 5: {funnel}",
            names[0],
            names[1]
        );
    }
    assert!(count(funnel, "monitoring_visits_done") >= 5, "{funnel}");
    assert_ne!(funnel["closed_completed"], 0, "{funnel}");
    // Some reports fell enough to raise an early warning, as they would
    // have through the API.
    let sustainability = &figures[2];
    let alerted = sustainability["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|r| r["group_by"] == "country" && r["alerts"] != 0)
        .count();
    assert!(
        alerted >= 1,
        "no early warnings in a demo year: {sustainability}"
    );
    for median in ["first_talk_to_return_intention", "referral_to_acceptance"] {
        assert!(
            funnel["median_days"][median]
                .as_f64()
                .is_some_and(|d| d > 0.0),
            "{median}: {funnel}"
        );
    }

    let partners = &figures[1];
    assert!(
        partners["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|p| p["rejected"] != 0)
            .count()
            >= 3,
        "partners decline some referrals: {partners}"
    );
    assert!(partners["totals"]["sla_breaches"] != 0, "{partners}");
    let sustainability = &figures[2];
    let overall: Vec<f64> = sustainability["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|row| row["overall"].as_f64())
        .collect();
    assert!(
        overall.len() >= 3 && overall.iter().all(|o| (0.0..=1.0).contains(o)),
        "monitored groups have overall scores in [0, 1]: {sustainability}"
    );
    let amif = &figures[4];
    assert!(
        amif["items"][0]["value"].as_i64().is_some_and(|n| n >= 5),
        "{amif}"
    );

    let (again, again_lead) = lead_on(filled(7, &until)).await;
    assert_eq!(
        figures,
        reports(&again, &again_lead, &until).await,
        "the same seed gives the same programme"
    );
    let (other, other_lead) = lead_on(filled(8, &until)).await;
    let other_figures = reports(&other, &other_lead, &until).await;
    assert_ne!(
        figures[0], other_figures[0],
        "another seed, another programme"
    );
}

#[tokio::test]
async fn a_filled_database_is_refused_and_the_audit_chain_holds() {
    let until = until();
    let database = filled(7, &until);
    let out = demo_data(&database, 9, &until);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("holds") && text(&out.stderr).contains("fresh database"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "nothing was written: {}",
        text(&out.stdout)
    );

    let verify = brug(&database.url)
        .args(["audit", "verify"])
        .output()
        .expect("brug runs");
    assert!(
        verify.status.success(),
        "{}{}",
        text(&verify.stdout),
        text(&verify.stderr)
    );
    assert!(text(&verify.stdout).contains("verified"));

    // Visits due within the demo's history count as announced: a worker
    // starting on this database tells no partner of them again.
    let db = brug::db::Db::new(&database.url, 1, std::time::Duration::from_secs(5)).expect("db");
    let until_day: chrono::NaiveDate = until.parse().expect("a date");
    let (unannounced, announced) = db
        .write_blocking(|conn| {
            use brug::db::schema::monitoring_visits::dsl as v;
            use diesel::prelude::*;
            let unannounced: i64 = v::monitoring_visits
                .filter(v::due_on.le(until_day))
                .filter(v::due_announced_at.is_null())
                .count()
                .get_result(conn)?;
            let announced: i64 = v::monitoring_visits
                .filter(v::due_announced_at.is_not_null())
                .count()
                .get_result(conn)?;
            Ok::<_, brug::db::DbError>((unannounced, announced))
        })
        .expect("counted");
    assert_eq!(unannounced, 0);
    assert!(announced > 0);
}
