//! Webhooks end to end: a real receiver gets every event signed after
//! Standard Webhooks, retries keep their `webhook-id`, events of a referral
//! arrive in order, 410 turns the webhook off, dead letters can be replayed,
//! and two instances on one database deliver each event once.

use std::collections::{HashMap, HashSet, VecDeque};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brug::config::Settings;
use brug::webhooks::RetrySchedule;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::cli::{brug, free_addr, stop, text, wait_until_ready};
use crate::helpers::{named_fields, partners_dir, problem, spawn_app, spawn_app_with};
use crate::referrals::{ACCRA, KUMASI, Stage, ok, send};

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
struct Received {
    at: Instant,
    headers: wiremock::http::HeaderMap,
    body: Vec<u8>,
}

impl Received {
    fn id(&self) -> String {
        self.header("webhook-id")
    }

    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// Checks the signature as a partner would, with the spec's own library.
    fn verify(&self, secret: &str) {
        let webhook = standardwebhooks::Webhook::new(secret).expect("a whsec_ secret");
        webhook
            .verify(&self.body, &self.headers)
            .unwrap_or_else(|e| panic!("signature does not verify: {e}"));
    }
}

struct ReceiverState {
    /// Answers for the next requests, in turn; then `otherwise`.
    script: VecDeque<ResponseTemplate>,
    otherwise: ResponseTemplate,
    received: Vec<Received>,
}

/// A partner's webhook endpoint that answers as scripted and keeps what it got.
#[derive(Clone)]
struct Receiver {
    state: Arc<Mutex<ReceiverState>>,
    url: String,
    // Keeps the server up as long as the receiver lives.
    _server: Arc<MockServer>,
}

struct Script(Arc<Mutex<ReceiverState>>);

impl Respond for Script {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.0.lock().expect("lock");
        state.received.push(Received {
            at: Instant::now(),
            headers: request.headers.clone(),
            body: request.body.clone(),
        });
        match state.script.pop_front() {
            Some(answer) => answer,
            None => state.otherwise.clone(),
        }
    }
}

impl Receiver {
    async fn start(script: Vec<ResponseTemplate>, otherwise: ResponseTemplate) -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(ReceiverState {
            script: script.into(),
            otherwise,
            received: Vec::new(),
        }));
        Mock::given(method("POST"))
            .and(path("/hooks"))
            .respond_with(Script(state.clone()))
            .mount(&server)
            .await;
        Self {
            url: format!("{}/hooks", server.uri()),
            state,
            _server: Arc::new(server),
        }
    }

    async fn healthy() -> Self {
        Self::start(Vec::new(), ResponseTemplate::new(204)).await
    }

    fn received(&self) -> Vec<Received> {
        self.state.lock().expect("lock").received.clone()
    }

    /// Waits until at least `count` requests came in.
    async fn wait_for(&self, count: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            // Counted without a copy: a copy of thousands costs the worker time.
            let got = self.state.lock().expect("lock").received.len();
            if got >= count || Instant::now() > deadline {
                return self.received();
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

fn local_webhooks(schedule: &'static str) -> impl FnOnce(&mut Settings) {
    move |settings| {
        settings.webhook_allow_local = true;
        settings.webhook_poll_ms = 50;
        settings.webhook_retry_schedule = RetrySchedule::parse(schedule).expect("schedule");
    }
}

/// Points a partner's webhook at `url`; returns the signing secret.
async fn set_webhook(stage: &Stage, key: &str, url: &str) -> String {
    let body = ok(
        send(
            &stage.app,
            key,
            reqwest::Method::PUT,
            "/partner/v1/webhook",
            Some(json!({"url": url})),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(body["url"], url);
    assert_eq!(body["status"], "active");
    body["secret"].as_str().expect("a secret").to_owned()
}

async fn webhook_state(stage: &Stage, key: &str) -> Value {
    ok(stage.get(key, "/partner/v1/webhook").await, 200).await
}

/// Waits until the partner's webhook state satisfies `done` (the worker
/// writes an outcome back just after the receiver has answered).
async fn wait_until(stage: &Stage, key: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let state = webhook_state(stage, key).await;
        if done(&state) || Instant::now() > deadline {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the partner's webhook shows `status` and `dead` dead letters.
async fn wait_for_state(stage: &Stage, key: &str, status: &str, dead: i64) -> Value {
    wait_until(stage, key, |state| {
        state["status"] == status && state["deliveries"]["dead"] == dead
    })
    .await
}

#[tokio::test]
async fn a_webhook_must_be_a_public_https_address() {
    let app = spawn_app().await;
    let key = app.partner_key(ACCRA).await;
    let put = |body: Value| {
        send(
            &app,
            &key,
            reqwest::Method::PUT,
            "/partner/v1/webhook",
            Some(body),
        )
    };
    let body = problem(put(json!({})).await, 422).await;
    assert_eq!(named_fields(&body), ["url"]);
    for (url, says) in [
        ("http://hooks.example.org/brug", "https"),
        ("https://127.0.0.1/brug", "public internet address"),
        ("https://10.20.30.40/brug", "public internet address"),
        (
            "https://169.254.169.254/latest/meta-data",
            "public internet address",
        ),
        ("https://[::1]:8443/brug", "public internet address"),
        ("https://localhost/brug", "public internet address"),
        ("https://partner:secret@hooks.example.org/brug", "password"),
        ("hooks.example.org/brug", "URL"),
    ] {
        let body = problem(put(json!({"url": url})).await, 422).await;
        assert_eq!(named_fields(&body), ["url"], "{url}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{url}: {message}");
    }
    let body = problem(
        put(json!({"url": "https://x.example.org", "events": []})).await,
        422,
    )
    .await;
    assert_eq!(named_fields(&body), ["events"]);
    problem(app.get_as(Some(&key), "/partner/v1/webhook").await, 404).await;
    let test = app
        .client
        .post(app.url("/partner/v1/webhook/test"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("sent");
    let body = problem(test, 409).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("PUT /partner/v1/webhook")
    );
}

#[tokio::test]
async fn every_event_reaches_its_partner_signed_with_ids_only() {
    let stage = Stage::new_with(local_webhooks("100ms,100ms")).await;
    let accra_hook = Receiver::healthy().await;
    let kumasi_hook = Receiver::healthy().await;
    let secret = set_webhook(&stage, &stage.accra, &accra_hook.url).await;
    let kumasi_secret = set_webhook(&stage, &stage.kumasi, &kumasi_hook.url).await;
    assert!(secret.starts_with("whsec_"));
    assert_ne!(
        secret, kumasi_secret,
        "each partner signs with its own secret"
    );
    let worker = stage.app.start_worker();

    let referral = stage.accepted_referral().await;
    ok(
        stage
            .post(
                &stage.caseworker,
                &format!("/api/v1/referrals/{referral}/cancel"),
                json!({"reason": "Plans changed."}),
            )
            .await,
        200,
    )
    .await;

    accra_hook.wait_for(4, Duration::from_secs(20)).await;
    let state = wait_until(&stage, &stage.accra, |s| s["deliveries"]["delivered"] == 4).await;
    assert_eq!(state["deliveries"]["delivered"], 4, "{state}");
    assert_eq!(state["deliveries"]["pending"], 0, "{state}");
    let received = accra_hook.received();
    assert_eq!(received.len(), 4, "each event once");
    let types: Vec<String> = received
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        types,
        [
            "referral.requested",
            "referral.acknowledged",
            "referral.accepted",
            "referral.cancelled"
        ],
        "every event, in order"
    );
    let feed = ok(stage.get(&stage.accra, "/partner/v1/events").await, 200).await;
    for (request, item) in received
        .iter()
        .zip(feed["items"].as_array().expect("items"))
    {
        request.verify(&secret);
        assert!(
            standardwebhooks::Webhook::new(&kumasi_secret)
                .expect("secret")
                .verify(&request.body, &request.headers)
                .is_err(),
            "another partner's secret does not verify it"
        );
        assert_eq!(request.id(), item["id"], "webhook-id is the event id");
        assert_eq!(request.header("content-type"), "application/json");
        let body = request.json();
        assert_eq!(body["type"], item["type"]);
        assert!(body["timestamp"].is_string());
        let data = body["data"].as_object().expect("data");
        assert_eq!(data["referral_id"], referral.as_str());
        for (key, value) in data {
            assert!(
                key.ends_with("_id") || key == "status",
                "data holds ids only, not {key}: {value}"
            );
        }
        let raw = String::from_utf8_lossy(&request.body);
        assert!(
            !raw.contains("Abena") && !raw.contains("Plans changed"),
            "{raw}"
        );
    }
    assert!(
        state.get("secret").is_none(),
        "the secret is shown once only"
    );

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        kumasi_hook.received().is_empty(),
        "no partner receives another's events"
    );

    let test = ok(
        stage
            .post(&stage.kumasi, "/partner/v1/webhook/test", json!({}))
            .await,
        200,
    )
    .await;
    assert_eq!(test["delivered"], true, "{test}");
    assert_eq!(test["response_status"], 204);
    let got = kumasi_hook.received();
    assert_eq!(got.len(), 1);
    got[0].verify(&kumasi_secret);
    assert_eq!(got[0].json()["type"], "webhook.test");
    assert_eq!(got[0].id(), test["webhook_id"]);
    worker.stop().await;
}

#[tokio::test]
async fn a_failing_receiver_gets_retries_under_the_same_id_and_later_events_wait() {
    let stage = Stage::new_with(local_webhooks("150ms,150ms,150ms")).await;
    let hook = Receiver::start(
        vec![ResponseTemplate::new(500), ResponseTemplate::new(502)],
        ResponseTemplate::new(200),
    )
    .await;
    let secret = set_webhook(&stage, &stage.accra, &hook.url).await;
    let worker = stage.app.start_worker();

    let referral = ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    let id = referral["id"].as_str().expect("id").to_owned();
    ok(
        stage
            .partner(&stage.accra, &id, "acknowledge", json!({}))
            .await,
        200,
    )
    .await;

    let received = hook.wait_for(4, Duration::from_secs(20)).await;
    assert_eq!(
        received.len(),
        4,
        "three tries of the first, one of the second"
    );
    let ids: Vec<String> = received.iter().map(Received::id).collect();
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[1], ids[2], "a retry keeps its webhook-id");
    assert_ne!(ids[2], ids[3]);
    assert_eq!(received[0].json()["type"], "referral.requested");
    assert_eq!(
        received[3].json()["type"],
        "referral.acknowledged",
        "the later event waited for the earlier one"
    );
    for request in &received {
        request.verify(&secret);
    }
    assert!(
        received[1].at - received[0].at >= Duration::from_millis(100),
        "retries wait as scheduled"
    );
    let state = wait_until(&stage, &stage.accra, |s| s["deliveries"]["delivered"] == 2).await;
    assert_eq!(state["deliveries"]["delivered"], 2, "{state}");
    worker.stop().await;
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let stage = Stage::new_with(local_webhooks("50ms,50ms")).await;
    let hook = Receiver::start(
        vec![ResponseTemplate::new(503).insert_header("Retry-After", "2")],
        ResponseTemplate::new(200),
    )
    .await;
    set_webhook(&stage, &stage.accra, &hook.url).await;
    let worker = stage.app.start_worker();
    ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    let received = hook.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].id(), received[1].id());
    assert!(
        received[1].at - received[0].at >= Duration::from_millis(1900),
        "the second try came {:?} after the first, before Retry-After",
        received[1].at - received[0].at
    );
    worker.stop().await;
}

#[tokio::test]
async fn gone_disables_the_webhook_and_dead_letters_come_back_on_replay() {
    let stage = Stage::new_with(local_webhooks("50ms")).await;
    let gone = Receiver::start(Vec::new(), ResponseTemplate::new(410)).await;
    set_webhook(&stage, &stage.accra, &gone.url).await;
    let worker = stage.app.start_worker();
    let referral = ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    let id = referral["id"].as_str().expect("id").to_owned();

    let state = wait_for_state(&stage, &stage.accra, "disabled", 1).await;
    assert_eq!(state["status"], "disabled", "{state}");
    assert!(
        state["disabled_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("410"),
        "{state}"
    );
    ok(
        stage
            .partner(&stage.accra, &id, "acknowledge", json!({}))
            .await,
        200,
    )
    .await;
    let state = webhook_state(&stage, &stage.accra).await;
    assert_eq!(
        state["deliveries"]["dead"], 2,
        "an event while disabled goes to the dead letters: {state}"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        gone.received().len(),
        1,
        "a disabled webhook gets nothing more"
    );
    let feed = ok(stage.get(&stage.accra, "/partner/v1/events").await, 200).await;
    assert_eq!(
        feed["items"].as_array().map(Vec::len),
        Some(2),
        "the feed still has every event"
    );

    // Setting the webhook again turns it back on, with a new secret.
    let hook = Receiver::start(
        vec![ResponseTemplate::new(500), ResponseTemplate::new(500)],
        ResponseTemplate::new(200),
    )
    .await;
    let secret = set_webhook(&stage, &stage.accra, &hook.url).await;
    ok(
        stage.partner(&stage.accra, &id, "accept", json!({})).await,
        200,
    )
    .await;
    // With one retry in the schedule, two failures send it to the dead letters.
    let state = wait_for_state(&stage, &stage.accra, "active", 3).await;
    assert_eq!(state["deliveries"]["dead"], 3, "{state}");

    let database_url = stage.app.database.url.clone();
    let out = brug()
        .args(["events", "dead", "--partner", ACCRA])
        .env("DATABASE_URL", &database_url)
        .output()
        .expect("brug runs");
    let listed = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(listed.contains("referral.requested"), "{listed}");
    assert!(listed.contains("referral.acknowledged"), "{listed}");
    assert!(listed.contains("referral.accepted"), "{listed}");
    assert!(listed.contains("410"), "the reason is shown: {listed}");

    let out = brug()
        .args(["events", "replay", "--partner", ACCRA])
        .env("DATABASE_URL", &database_url)
        .output()
        .expect("brug runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("3 event(s)"),
        "{}",
        text(&out.stderr)
    );

    let received = hook.wait_for(5, Duration::from_secs(20)).await;
    let delivered: Vec<String> = received[2..]
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        delivered,
        [
            "referral.requested",
            "referral.acknowledged",
            "referral.accepted"
        ],
        "the replayed events arrive in order"
    );
    for request in &received {
        request.verify(&secret);
    }
    let state = wait_for_state(&stage, &stage.accra, "active", 0).await;
    assert_eq!(state["deliveries"]["dead"], 0, "{state}");
    let out = brug()
        .args(["audit", "verify"])
        .env("DATABASE_URL", &database_url)
        .output()
        .expect("brug runs");
    assert!(out.status.success(), "{}", text(&out.stdout));
    worker.stop().await;
}

#[tokio::test]
async fn a_url_fixed_by_the_directory_is_used_and_cannot_be_changed() {
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(partners_dir()).expect("partners") {
        let entry = entry.expect("entry");
        if entry.path().extension().is_some_and(|e| e == "toml") {
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
        }
    }
    let hook = Receiver::healthy().await;
    let file = dir.path().join(format!("{KUMASI}.toml"));
    let original = std::fs::read_to_string(&file).expect("read");
    std::fs::write(&file, format!("webhook_url = \"{}\"\n{original}", hook.url)).expect("write");
    let partners = dir.path().to_path_buf();
    let app = spawn_app_with(move |settings| {
        settings.partners_dir = partners;
        local_webhooks("100ms")(settings);
    })
    .await;
    let key = app.partner_key(KUMASI).await;
    let body = problem(
        send(
            &app,
            &key,
            reqwest::Method::PUT,
            "/partner/v1/webhook",
            Some(json!({"url": "http://127.0.0.1:9/elsewhere"})),
        )
        .await,
        422,
    )
    .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("partner directory")
    );
    let set = ok(
        send(
            &app,
            &key,
            reqwest::Method::PUT,
            "/partner/v1/webhook",
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(set["url"], hook.url.as_str());
    assert_eq!(set["set_by_directory"], true);
    let test = ok(
        send(
            &app,
            &key,
            reqwest::Method::POST,
            "/partner/v1/webhook/test",
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(test["delivered"], true, "{test}");
    hook.received()[0].verify(set["secret"].as_str().expect("secret"));

    // The directory moves the webhook; a sync follows, keeping the secret.
    let moved = Receiver::healthy().await;
    std::fs::write(
        &file,
        format!("webhook_url = \"{}\"\n{original}", moved.url),
    )
    .expect("write");
    let settings = app.settings.clone();
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || brug::startup::prepare(&settings, &db))
        .await
        .expect("ran")
        .expect("synced");
    let now = ok(app.get_as(Some(&key), "/partner/v1/webhook").await, 200).await;
    assert_eq!(now["url"], moved.url.as_str());
    let test = ok(
        send(
            &app,
            &key,
            reqwest::Method::POST,
            "/partner/v1/webhook/test",
            None,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(test["delivered"], true, "{test}");
    moved.received()[0].verify(set["secret"].as_str().expect("secret"));
}

#[tokio::test]
async fn a_worker_whose_lease_ran_out_cannot_overwrite_the_new_owner() {
    use brug::webhooks::store::{self as queue, Outcome};
    let app = spawn_app().await;
    let seq = app
        .write(|conn, now| {
            queue::set_endpoint(
                conn,
                ACCRA,
                "https://hooks.example.org/a",
                "whsec_AAAA",
                now,
            )?;
            Ok(brug::events::store::publish(
                conn,
                "referral.updated",
                ACCRA,
                Some("lease-referral"),
                json!({"referral_id": "lease-referral"}),
                now,
            )?)
        })
        .await;
    let seq = app
        .write(move |conn, _| {
            use brug::db::schema::events;
            use diesel::prelude::*;
            Ok(events::table
                .filter(events::id.eq(&seq))
                .select(events::seq)
                .first::<i64>(conn)?)
        })
        .await;
    let first = app
        .write(move |conn, now| Ok(queue::claim(conn, "worker-a", now, Duration::ZERO, 10)?))
        .await;
    assert_eq!(first, [seq]);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = app
        .write(move |conn, now| {
            Ok(queue::claim(
                conn,
                "worker-b",
                now,
                Duration::from_secs(60),
                10,
            )?)
        })
        .await;
    assert_eq!(second, [seq], "an expired lease is taken over");
    let third = app
        .write(move |conn, now| {
            Ok(queue::claim(
                conn,
                "worker-c",
                now,
                Duration::from_secs(60),
                10,
            )?)
        })
        .await;
    assert!(third.is_empty(), "a live lease is not");
    let delivered = Outcome {
        status: queue::DELIVERED,
        response_status: Some(200),
        error: None,
        next_attempt_at: None,
    };
    let (late, owner) = app
        .write(move |conn, now| {
            let late = queue::record(conn, seq, "worker-a", &delivered, now)?;
            let owner = queue::record(conn, seq, "worker-b", &delivered, now)?;
            Ok((late, owner))
        })
        .await;
    assert!(!late, "the worker that lost its lease writes nothing");
    assert!(owner);

    // A 410 from a webhook the partner has since replaced turns nothing off.
    let (stale, current) = app
        .write(|conn, now| {
            queue::set_endpoint(
                conn,
                ACCRA,
                "https://hooks.example.org/b",
                "whsec_BBBB",
                now,
            )?;
            let stale = queue::disable_endpoint(
                conn,
                ACCRA,
                ("https://hooks.example.org/a", "whsec_AAAA"),
                "410",
                now,
            )?;
            let current = queue::endpoint(conn, ACCRA)?.map(|e| e.status);
            Ok((stale, current))
        })
        .await;
    assert_eq!(stale, None);
    assert_eq!(current.map(|s| s.as_str()), Some("active"));
}

#[tokio::test]
async fn several_instances_deliver_a_thousand_events_each_exactly_once() {
    let app = spawn_app_with(local_webhooks("100ms,100ms,100ms")).await;
    let hook = Receiver::healthy().await;
    let key = app.partner_key(ACCRA).await;
    ok(
        send(
            &app,
            &key,
            reqwest::Method::PUT,
            "/partner/v1/webhook",
            Some(json!({"url": hook.url})),
        )
        .await,
        200,
    )
    .await;

    // Two more `brug serve` processes on the same database deliver; the
    // test's own server does not.
    let mut instances = Vec::new();
    for _ in 0..2 {
        let addr = free_addr();
        let mut command = brug();
        command
            .arg("serve")
            .env("DATABASE_URL", &app.database.url)
            .env("BRUG_ADDR", &addr)
            .env("BRUG_PARTNERS_DIR", partners_dir())
            .env("BRUG_WEBHOOK_ALLOW_LOCAL", "1")
            .env("BRUG_WEBHOOK_POLL_MS", "50")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = command.spawn().expect("spawn brug serve");
        assert!(wait_until_ready(&mut child, &addr).await, "instance ready");
        instances.push(child);
    }

    // And one `brug worker`, which delivers without serving HTTP.
    let mut worker = brug();
    worker
        .arg("worker")
        .env("DATABASE_URL", &app.database.url)
        .env("BRUG_WEBHOOK_ALLOW_LOCAL", "1")
        .env("BRUG_WEBHOOK_POLL_MS", "50")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    instances.push(worker.spawn().expect("spawn brug worker"));

    // 1,000 events over 100 referrals, published in ten transactions.
    for round in 0..10 {
        app.write(move |conn, now| {
            for referral in 0..100 {
                let referral_id = format!("bulk-referral-{referral:03}");
                brug::events::store::publish(
                    conn,
                    "referral.updated",
                    ACCRA,
                    Some(&referral_id),
                    json!({"referral_id": referral_id, "n": round}),
                    now,
                )?;
            }
            Ok(())
        })
        .await;
    }

    let received = hook.wait_for(1000, Duration::from_secs(180)).await;
    // Anything delivered twice would show up a little later.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let received = if received.len() >= 1000 {
        hook.received()
    } else {
        received
    };
    for mut child in instances {
        assert!(stop(&mut child).success(), "an instance stops cleanly");
    }
    assert_eq!(received.len(), 1000, "every event once, none twice");
    let ids: HashSet<String> = received.iter().map(Received::id).collect();
    assert_eq!(ids.len(), 1000, "no webhook-id delivered twice");
    let mut last_seen: HashMap<String, i64> = HashMap::new();
    for request in &received {
        let body = request.json();
        let referral = body["data"]["referral_id"].as_str().expect("id").to_owned();
        let n = body["data"]["n"].as_i64().expect("n");
        let previous = last_seen.insert(referral.clone(), n);
        assert_eq!(
            previous.map_or(0, |p| p + 1),
            n,
            "events of {referral} arrive in order"
        );
    }
    assert_eq!(last_seen.len(), 100);
}

#[tokio::test]
async fn a_partner_hears_once_when_a_monitoring_visit_falls_due() {
    let stage = Stage::new_with(local_webhooks("100ms")).await;
    let hook = Receiver::healthy().await;
    let secret = set_webhook(&stage, &stage.accra, &hook.url).await;
    let referral = stage.accepted_referral().await;
    ok(
        stage
            .post(
                &stage.caseworker,
                &format!("/api/v1/return-cases/{}/departure", stage.case_id),
                json!({"departed_on": crate::referrals::day(-40)}),
            )
            .await,
        200,
    )
    .await;
    let arrival = ok(
        stage
            .partner(
                &stage.accra,
                &referral,
                "arrival",
                json!({"arrived_on": crate::referrals::day(-39), "received": true}),
            )
            .await,
        200,
    )
    .await;
    let first_visit = arrival["monitoring_visits"][0]["id"]
        .as_str()
        .expect("the arrival scheduled visits")
        .to_owned();

    // Two workers, as on two instances: the visit is announced once.
    let one = stage.app.start_worker();
    let two = stage.app.start_worker();
    let received = hook.wait_for(6, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    one.stop().await;
    two.stop().await;
    let due: Vec<Received> = hook
        .received()
        .into_iter()
        .filter(|r| r.json()["type"] == "monitoring.due")
        .collect();
    assert_eq!(
        due.len(),
        1,
        "only the one-month visit is due, once: {received:?}"
    );
    due[0].verify(&secret);
    let data = &due[0].json()["data"];
    assert_eq!(data["referral_id"], referral.as_str());
    assert_eq!(data["visit_id"], first_visit.as_str());
    let feed = ok(stage.get(&stage.accra, "/partner/v1/events").await, 200).await;
    let in_feed = feed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|item| item["type"] == "monitoring.due")
        .count();
    assert_eq!(in_feed, 1);
}

#[tokio::test]
async fn a_slow_webhook_does_not_hold_up_another_partners_deliveries() {
    let stage = Stage::new_with(local_webhooks("1s")).await;
    let slow = Receiver::start(
        Vec::new(),
        ResponseTemplate::new(200).set_delay(Duration::from_secs(4)),
    )
    .await;
    let fast = Receiver::healthy().await;
    set_webhook(&stage, &stage.accra, &slow.url).await;
    set_webhook(&stage, &stage.kumasi, &fast.url).await;
    let worker = stage.app.start_worker();
    let publish = |partner: &'static str, referral: String| {
        stage.app.write(move |conn, now| {
            brug::events::store::publish(
                conn,
                "referral.updated",
                partner,
                Some(&referral),
                json!({"referral_id": referral}),
                now,
            )?;
            Ok(())
        })
    };
    // More referrals of the slow partner fall due at once than one round
    // takes, as after it sets its webhook again.
    stage
        .app
        .write(|conn, now| {
            for n in 0..100 {
                let referral = format!("slow-referral-{n}");
                brug::events::store::publish(
                    conn,
                    "referral.updated",
                    ACCRA,
                    Some(&referral),
                    json!({"referral_id": referral}),
                    now,
                )?;
            }
            Ok(())
        })
        .await;
    slow.wait_for(1, Duration::from_secs(5)).await;
    let started = Instant::now();
    publish(KUMASI, "fast-referral".to_owned()).await;
    let got = fast.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the other partner waited {:?} behind a slow webhook",
        started.elapsed()
    );
    worker.stop().await;
}

#[tokio::test]
async fn a_new_secret_signs_beside_the_old_one_for_a_day() {
    let stage = Stage::new_with(local_webhooks("100ms")).await;
    let hook = Receiver::healthy().await;
    let old = set_webhook(&stage, &stage.accra, &hook.url).await;
    let new = set_webhook(&stage, &stage.accra, &hook.url).await;
    assert_ne!(old, new);
    ok(
        stage
            .post(&stage.accra, "/partner/v1/webhook/test", json!({}))
            .await,
        200,
    )
    .await;
    let worker = stage.app.start_worker();
    ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
    let received = hook.wait_for(2, Duration::from_secs(20)).await;
    worker.stop().await;
    assert_eq!(received.len(), 2);
    for message in &received {
        assert_eq!(
            message.header("webhook-signature").matches("v1,").count(),
            2,
            "two signatures while the secrets overlap"
        );
        message.verify(&new);
        message.verify(&old);
    }
}

/// Publishes one event for `referral` of ACCRA and wakes the delivery
/// workers as a commit through the writer does: `NOTIFY` in the same
/// transaction on PostgreSQL (heard by the worker's listener), the
/// in-process signal on SQLite.
/// Publishes one event through the process's writer, as a request does:
/// its commit alone must wake the worker (in-process signal on SQLite,
/// `NOTIFY` on PostgreSQL).
async fn publish_and_wake(app: &crate::helpers::TestApp, referral: String, n: i64) {
    app.db
        .write(move |conn| {
            brug::events::store::publish(
                conn,
                "referral.updated",
                ACCRA,
                Some(&referral),
                json!({"referral_id": referral, "n": n}),
                chrono::Utc::now(),
            )
        })
        .await
        .expect("published");
}

#[tokio::test]
async fn an_idle_worker_sends_an_event_as_soon_as_it_commits() {
    // A poll of a minute: only the wake-up on commit can deliver in time.
    let app = spawn_app_with(|settings| {
        settings.webhook_allow_local = true;
        settings.webhook_poll_ms = 60_000;
    })
    .await;
    let hook = Receiver::healthy().await;
    let key = app.partner_key(ACCRA).await;
    ok(
        send(
            &app,
            &key,
            reqwest::Method::PUT,
            "/partner/v1/webhook",
            Some(json!({"url": hook.url})),
        )
        .await,
        200,
    )
    .await;
    let worker = app.start_worker();
    // Its first look finds nothing: from now on it is idle.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let mut waits = Vec::new();
    for n in 0..5 {
        let committed = Instant::now();
        publish_and_wake(&app, format!("wake-referral-{n}"), n).await;
        let received = hook.wait_for(n as usize + 1, Duration::from_secs(15)).await;
        assert_eq!(
            received.len(),
            n as usize + 1,
            "event {n} was not sent within 15 s of its commit"
        );
        waits.push(received[n as usize].at - committed);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    worker.stop().await;
    let slowest = waits.iter().max().copied().unwrap_or_default();
    assert!(
        slowest < Duration::from_secs(5),
        "commit to first attempt took up to {slowest:?}: {waits:?}"
    );
}

#[tokio::test]
async fn a_backlog_of_ten_thousand_for_one_partner_drains_in_order_per_referral() {
    const REFERRALS: usize = 1000;
    const PER_REFERRAL: i64 = 10;
    let app = spawn_app_with(local_webhooks("100ms,100ms,100ms")).await;
    let hook = Receiver::healthy().await;
    let key = app.partner_key(ACCRA).await;
    ok(
        send(
            &app,
            &key,
            reqwest::Method::PUT,
            "/partner/v1/webhook",
            Some(json!({"url": hook.url})),
        )
        .await,
        200,
    )
    .await;
    // 10,000 events: each referral's ten in a row, as when a partner comes
    // back after a while, so that most pending rows wait behind another.
    for chunk in 0..10 {
        app.write(move |conn, now| {
            for referral in chunk * 100..(chunk + 1) * 100 {
                let referral_id = format!("backlog-referral-{referral:03}");
                for n in 0..PER_REFERRAL {
                    brug::events::store::publish(
                        conn,
                        "referral.updated",
                        ACCRA,
                        Some(&referral_id),
                        json!({"referral_id": referral_id, "n": n}),
                        now,
                    )?;
                }
            }
            Ok(())
        })
        .await;
    }
    let total = REFERRALS * PER_REFERRAL as usize;
    let started = Instant::now();
    let worker = app.start_worker();
    // About 3 s in a debug build on either database, on 2 cores (rounds of
    // 32 took 11 s); the bound leaves room for a machine shared with builds.
    let received = hook.wait_for(total, Duration::from_secs(60)).await;
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    worker.stop().await;
    eprintln!(
        "{total} deliveries in {took:?} ({:.0}/s)",
        total as f64 / took.as_secs_f64()
    );
    assert_eq!(
        received.len(),
        total,
        "the backlog did not drain within 60 s"
    );
    let received = hook.received();
    assert_eq!(received.len(), total, "every event once, none twice");
    let mut last_seen: HashMap<String, i64> = HashMap::new();
    for request in &received {
        let body = request.json();
        let referral = body["data"]["referral_id"].as_str().expect("id").to_owned();
        let n = body["data"]["n"].as_i64().expect("n");
        let previous = last_seen.insert(referral.clone(), n);
        assert_eq!(
            previous.map_or(0, |p| p + 1),
            n,
            "events of {referral} arrive in order"
        );
    }
    assert_eq!(last_seen.len(), REFERRALS);
}
