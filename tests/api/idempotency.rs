//! `Idempotency-Key` replays: nothing personal is kept under a key, a replay
//! shows the resource as today's consent and access rules allow and is
//! audited like the read it is, concurrent retries do the work once, and a
//! key is honoured for seven days.

use std::sync::atomic::{AtomicI64, Ordering};

use actix_web::web;
use brug::auth::Role;
use brug::http::idempotency::Clock;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem, spawn_app_configured};
use crate::referrals::{ACCRA, Stage, day, ok};

async fn post_with_key(
    app: &TestApp,
    token: &str,
    path: &str,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .expect("sent")
}

fn replayed(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get("idempotent-replayed")
        .and_then(|v| v.to_str().ok())
        == Some("true")
}

/// What is kept under each key: (status, kind, id, location).
type KeptRow = (Option<i32>, Option<String>, Option<String>, Option<String>);

async fn kept(app: &TestApp) -> Vec<KeptRow> {
    use brug::db::schema::idempotency_keys as keys;
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.conn().expect("conn");
        keys::table
            .select((
                keys::status,
                keys::resource_kind,
                keys::resource_id,
                keys::response_location,
            ))
            .load::<KeptRow>(&mut conn)
            .expect("idempotency keys")
    })
    .await
    .expect("ran")
}

async fn audit_operations(app: &TestApp, subject_id: &str) -> Vec<String> {
    let admin = app.staff_token(&[Role::Admin]).await;
    let body: Value = app
        .get_as(
            Some(&admin),
            &format!("/api/v1/audit?limit=500&subject_id={subject_id}"),
        )
        .await
        .json()
        .await
        .expect("json");
    body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|e| e["operation"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_replay_after_withdrawal_shows_only_what_consent_allows_and_is_audited() {
    let stage = Stage::new().await;
    let referral = ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    let id = referral["id"].as_str().expect("id").to_owned();
    let path = format!("/partner/v1/referrals/{id}/acknowledge");
    let first = ok(
        post_with_key(&stage.app, &stage.accra, &path, "ack-1", &json!({})).await,
        200,
    )
    .await;
    assert_eq!(
        first["client"]["given_name"], "Abena",
        "consented: identity"
    );
    assert_eq!(
        kept(&stage.app).await,
        vec![(Some(200), Some("referral".into()), Some(id.clone()), None)],
        "the status and the resource are kept, not the body"
    );

    ok(
        stage
            .post(
                &stage.caseworker,
                &format!("/api/v1/consents/{}/withdraw", stage.consent_id),
                json!({}),
            )
            .await,
        200,
    )
    .await;
    let reads_before = audit_operations(&stage.app, &id).await;

    let again = post_with_key(&stage.app, &stage.accra, &path, "ack-1", &json!({})).await;
    assert_eq!(again.status().as_u16(), 200);
    assert!(replayed(&again));
    let again: Value = again.json().await.expect("json");
    assert_eq!(again["id"], id.as_str());
    assert_eq!(again["status"], "cancelled", "as it is today");
    assert!(
        again["client"].get("given_name").is_none()
            && again["client"].get("family_name").is_none()
            && again["client"].get("date_of_birth").is_none(),
        "no identity after withdrawal: {again}"
    );
    assert!(again["client"].get("needs").is_none(), "{again}");
    assert!(!again.to_string().contains("Abena"), "{again}");

    let reads_after = audit_operations(&stage.app, &id).await;
    let count = |ops: &[String]| {
        ops.iter()
            .filter(|op| op.as_str() == "partner.referrals.get")
            .count()
    };
    assert_eq!(
        count(&reads_after),
        count(&reads_before) + 1,
        "the replay is audited as the read it is: {reads_after:?}"
    );
}

#[tokio::test]
async fn a_replayed_creation_is_rendered_afresh_with_its_status_and_location() {
    let stage = Stage::new().await;
    let counsellor = stage.app.staff_token(&[Role::Counsellor]).await;
    let body = json!({"given_name": "Yaw", "family_name": "Sample", "date_of_birth": "1990-01-01",
                      "country_of_origin": "GH", "languages": ["tw"]});
    let first = post_with_key(&stage.app, &counsellor, "/api/v1/clients", "yaw", &body).await;
    assert_eq!(first.status().as_u16(), 201);
    let location = first.headers().get("location").cloned().expect("location");
    let first: Value = first.json().await.expect("json");
    let id = first["id"].as_str().expect("id").to_owned();

    let again = post_with_key(&stage.app, &counsellor, "/api/v1/clients", "yaw", &body).await;
    assert_eq!(again.status().as_u16(), 201);
    assert!(replayed(&again));
    assert_eq!(again.headers().get("location"), Some(&location));
    let again: Value = again.json().await.expect("json");
    assert_eq!(again["id"], id.as_str());
    assert_eq!(again["given_name"], "Yaw", "staff may see the client");
    let reads = audit_operations(&stage.app, &id).await;
    assert!(
        reads.iter().any(|op| op == "clients.get"),
        "the replay read the client, audited: {reads:?}"
    );
}

#[tokio::test]
async fn a_refusal_is_not_kept_and_a_retry_runs_again() {
    let stage = Stage::new().await;
    let referral = ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    let id = referral["id"].as_str().expect("id");
    let path = format!("/partner/v1/referrals/{id}/accept");
    // Not acknowledged yet: the step is refused.
    problem(
        post_with_key(&stage.app, &stage.accra, &path, "acc", &json!({})).await,
        409,
    )
    .await;
    assert!(
        kept(&stage.app).await.is_empty(),
        "nothing kept for a refusal"
    );
    ok(
        stage
            .partner(&stage.accra, id, "acknowledge", json!({}))
            .await,
        200,
    )
    .await;
    let accepted = post_with_key(&stage.app, &stage.accra, &path, "acc", &json!({})).await;
    assert!(!replayed(&accepted));
    assert_eq!(ok(accepted, 200).await["status"], "accepted");
}

#[tokio::test]
async fn concurrent_retries_of_a_talk_record_it_once() {
    // Recording a talk has no duplicate check of its own: only the key
    // keeps six concurrent retries from recording six talks.
    let stage = Stage::new().await;
    let counsellor = stage.app.staff_token(&[Role::Counsellor]).await;
    let path = format!("/api/v1/clients/{}/talks", stage.client_id);
    let body = json!({"held_on": day(-2), "mode": "phone", "topics": ["housing"],
                      "intention": "undecided", "duration_minutes": 30});
    let attempts = (0..6).map(|_| post_with_key(&stage.app, &counsellor, &path, "talk-1", &body));
    let responses = futures_util::future::join_all(attempts).await;
    let mut locations = Vec::new();
    for response in responses {
        let status = response.status().as_u16();
        assert!(status == 201 || status == 409, "status {status}");
        if status == 201 {
            locations.push(response.headers().get("location").cloned());
        }
    }
    assert!(!locations.is_empty(), "at least one answered 201");
    assert!(locations.iter().all(|l| l.is_some() && *l == locations[0]));
    let talks = ok(stage.app.get(&path).await, 200).await;
    let held: Vec<&Value> = talks["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|t| t["held_on"] == day(-2).as_str())
        .collect();
    assert_eq!(held.len(), 1, "recorded once: {talks}");
}

/// Hours the server's idempotency clock runs ahead of the real one.
static HOURS_AHEAD: AtomicI64 = AtomicI64::new(0);

fn ahead() -> DateTime<Utc> {
    Utc::now() + chrono::Duration::hours(HOURS_AHEAD.load(Ordering::SeqCst))
}

fn with_clock(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::Data::new(Clock(ahead)));
}

#[tokio::test]
async fn a_key_is_honoured_for_seven_days() {
    let app = spawn_app_configured(|_| {}, with_clock).await;
    let counsellor = app.staff_token(&[Role::Counsellor]).await;
    let body = json!({"given_name": "Esi", "family_name": "Sample", "date_of_birth": "1985-05-05",
                      "country_of_origin": "GH", "languages": ["ak"]});
    let first = ok(
        post_with_key(&app, &counsellor, "/api/v1/clients", "esi", &body).await,
        201,
    )
    .await;

    HOURS_AHEAD.store(7 * 24 + 1, Ordering::SeqCst);
    let week_later = post_with_key(&app, &counsellor, "/api/v1/clients", "esi", &body).await;
    assert!(replayed(&week_later), "still honoured after seven days");
    assert_eq!(ok(week_later, 201).await["id"], first["id"]);

    HOURS_AHEAD.store(9 * 24, Ordering::SeqCst);
    let later = post_with_key(&app, &counsellor, "/api/v1/clients", "esi", &body).await;
    assert!(!replayed(&later), "forgotten after the retention");
    let later = problem(later, 409).await;
    assert_eq!(later["existing_ids"], json!([first["id"]]), "{later}");
}

#[test]
fn every_post_has_one_replay_and_every_read_it_names_is_a_route() {
    use brug::http::replay::REPLAYS;
    let routes = brug::startup::routes();
    let has = |method: &str, path: &str| {
        routes
            .iter()
            .any(|r| r.method.as_str() == method && r.path == path)
    };
    for route in routes.iter().filter(|r| r.method.as_str() == "POST") {
        let entries = REPLAYS.iter().filter(|r| r.post == route.path).count();
        assert_eq!(entries, 1, "{} in replay::REPLAYS", route.path);
    }
    for entry in REPLAYS {
        assert!(has("POST", entry.post), "{} is no POST route", entry.post);
        if let Some(get) = entry.get {
            assert!(has("GET", get), "{get} is no GET route");
            assert_eq!(get.matches('{').count(), 1, "{get}: one `{{id}}`");
            assert!(get.contains("{id}"), "{get}: one `{{id}}`");
        }
    }
}
