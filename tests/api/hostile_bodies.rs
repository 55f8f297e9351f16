//! A bad body costs bounded work, off the threads that answer requests: a
//! burst of hostile bodies leaves `/healthz` quick, each still answered 422
//! naming its bad fields; and a partner's body is not even parsed for a
//! referral that is not its own.

use std::time::{Duration, Instant};

use brug::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, named_fields, problem};
use crate::referrals::{ACCRA, Stage};

/// A talk whose `topics` is a large list of good values (parsed again and
/// again by a re-parse loop) and whose every other field is bad, plus many
/// unknown fields: each of them one more pass over the list.
fn hostile_talk() -> Value {
    let mut body = serde_json::Map::new();
    body.insert("topics".into(), json!(vec!["return"; 20_000]));
    body.insert("held_on".into(), json!("yesterday"));
    body.insert("mode".into(), json!("pigeon"));
    body.insert("intention".into(), json!(7));
    body.insert("duration_minutes".into(), json!("long"));
    for i in 0..40 {
        body.insert(format!("zz{i:02}"), json!(i));
    }
    Value::Object(body)
}

async fn healthz_ms(app: &TestApp, client: &reqwest::Client) -> f64 {
    let started = Instant::now();
    match client.get(app.url("/healthz")).send().await {
        Ok(response) if response.status().as_u16() == 200 => {
            started.elapsed().as_secs_f64() * 1000.0
        }
        // A stalled server drops the connection: no answer counts as slow.
        _ => 10_000.0,
    }
}

fn p99(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    let at = ((samples.len() as f64) * 0.99).ceil() as usize;
    samples[at.saturating_sub(1).min(samples.len() - 1)]
}

#[tokio::test]
async fn sixteen_hostile_bodies_leave_healthz_quick() {
    let stage = Stage::new().await;
    let app = &stage.app;
    let counsellor = app.staff_token(&[Role::Counsellor]).await;
    let path = format!("/api/v1/clients/{}/talks", stage.client_id);
    let body = serde_json::to_vec(&hostile_talk()).expect("json");
    assert!(body.len() < 256 * 1024, "within the body limit");

    // Issue 15's bound: 50 ms. A bad body now costs a few parses of its
    // parts, off the async threads, so this holds even in a debug build;
    // on a machine already so loaded that /healthz alone takes over 5 ms,
    // ten times that baseline. A burst that misses it is tried once more:
    // the rest of the suite shares the two cores, and a stall (the old
    // re-parse loop dropped connections for seconds) misses it every time.
    let mut tries = Vec::new();
    for _ in 0..2 {
        let (p99_during, baseline, samples) = burst(app, &counsellor, &path, &body).await;
        let bound = 50.0_f64.max(baseline * 10.0);
        if p99_during < bound {
            return;
        }
        tries.push(format!(
            "p99 {p99_during:.1} ms (baseline {baseline:.1} ms, {samples} samples)"
        ));
    }
    panic!("/healthz during the burst, each try: {tries:?}");
}

/// Sixteen hostile bodies at once, with `/healthz` probed throughout on
/// connections of its own: its p99 during the burst, its p99 before, and
/// how many probes. Every body is answered 422 naming its bad fields.
async fn burst(app: &TestApp, token: &str, path: &str, body: &[u8]) -> (f64, f64, usize) {
    // One connection per worker thread or more, so that a stalled one is seen.
    let probes: Vec<reqwest::Client> = (0..4).map(|_| reqwest::Client::new()).collect();
    let mut baseline = Vec::new();
    for _ in 0..30 {
        baseline.push(healthz_ms(app, &probes[0]).await);
    }
    let baseline = p99(baseline);
    let senders = (0..16).map(|_| {
        let request = app
            .client
            .post(app.url(path))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_vec());
        async move { request.send().await.expect("sent") }
    });
    let burst = tokio::spawn(futures_util::future::join_all(senders));
    let mut during = Vec::new();
    let started = Instant::now();
    while !burst.is_finished() && started.elapsed() < Duration::from_secs(60) {
        let round = probes.iter().map(|probe| healthz_ms(app, probe));
        during.extend(futures_util::future::join_all(round).await);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let responses = burst.await.expect("the burst ran");
    for response in responses {
        let problem = problem(response, 422).await;
        let named = named_fields(&problem);
        for field in [
            "held_on",
            "mode",
            "intention",
            "duration_minutes",
            "zz00",
            "zz39",
        ] {
            assert!(named.iter().any(|f| f == field), "{field} in {named:?}");
        }
    }
    assert!(!during.is_empty());
    let samples = during.len();
    (p99(during), baseline, samples)
}

#[tokio::test]
async fn another_partners_referral_is_not_found_before_its_body_is_read() {
    let stage = Stage::new().await;
    let referral: Value = stage
        .refer(ACCRA, &stage.consent_id)
        .await
        .json()
        .await
        .expect("json");
    let id = referral["id"].as_str().expect("id");
    // Kumasi aims a bad body at Accra's referral: 404, not a 422 that
    // parsed it (and would tell that the referral exists).
    let bad = json!({"items": [{"need": 1, "support": 2}], "zz": true});
    let response = stage
        .post(
            &stage.kumasi,
            &format!("/partner/v1/referrals/{id}/reintegration-plan"),
            bad.clone(),
        )
        .await;
    problem(response, 404).await;
    let response = stage
        .post(
            &stage.kumasi,
            &format!("/partner/v1/referrals/{id}/decline"),
            json!({"reason": 5}),
        )
        .await;
    problem(response, 404).await;
    // Accra's own bad body is still 422, naming every bad field.
    let response = stage
        .post(
            &stage.accra,
            &format!("/partner/v1/referrals/{id}/reintegration-plan"),
            bad,
        )
        .await;
    let body = problem(response, 422).await;
    let named = named_fields(&body);
    assert!(named.iter().any(|f| f == "zz"), "{named:?}");
    assert!(named.iter().any(|f| f.starts_with("items")), "{named:?}");
}

/// Staff may use a route or not by role, and that is settled before the
/// body is read: a lead's body for a talk is refused 403 whether it is
/// good, bad or not JSON at all (never a 400 or a 422 that read it).
#[tokio::test]
async fn a_role_that_may_not_use_a_route_is_refused_before_its_body_is_read() {
    let stage = Stage::new().await;
    let app = &stage.app;
    let lead = app.staff_token(&[Role::Lead]).await;
    let path = format!("/api/v1/clients/{}/talks", stage.client_id);
    let hostile = serde_json::to_vec(&hostile_talk()).expect("json");
    for body in [
        &b"{not json"[..],
        &hostile[..],
        br#"{"held_on": "2026-01-01"}"#,
    ] {
        let response = app
            .client
            .post(app.url(&path))
            .bearer_auth(&lead)
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .expect("sent");
        let problem = problem(response, 403).await;
        assert!(problem.get("errors").is_none(), "{problem}");
    }
}
