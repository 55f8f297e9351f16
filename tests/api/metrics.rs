//! `GET /metrics` for operators: off unless `metrics_addr` is set, then on
//! its own listener, in Prometheus text a parser reads line by line; its
//! request counters move by exactly the requests made, by route pattern
//! and status; webhook deliveries move their counters and the partner's
//! outbox lag falls to 0. The Grafana dashboard shipped in `deploy/` asks
//! only for metrics that are there.
//!
//! The recorder is one per process and the tests share it: each asserts
//! differences, on labels only it uses (a test-only route, a partner of its
//! own).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use actix_web::{HttpResponse, web};
use brug::auth::Role;
use openmetrics_parser::prometheus::parse_prometheus;
use openmetrics_parser::{MetricsExposition, PrometheusType, PrometheusValue};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{TestApp, partners_dir, spawn_app, spawn_app_configured, spawn_app_with};
use crate::web_helpers::signed_in;

fn with_metrics(settings: &mut brug::config::Settings) {
    settings.metrics_addr = Some("127.0.0.1:0".into());
}

/// A route only this file's tests call: `n` must be a number (else 404).
fn probe_route(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/test/metrics-probe/{n}",
        web::get().to(|n: web::Path<u32>| async move {
            HttpResponse::Ok().body(n.into_inner().to_string())
        }),
    );
}

pub type Exposition = MetricsExposition<PrometheusType, PrometheusValue>;

/// Fetches `/metrics` and parses it: it must be Prometheus text throughout.
pub async fn scrape(app: &TestApp) -> (Exposition, String) {
    let base = app.metrics_address.as_deref().expect("metrics are on");
    let response = app
        .client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("scraped");
    assert_eq!(response.status(), 200);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = response.text().await.expect("body");
    let parsed =
        parse_prometheus(&text).unwrap_or_else(|e| panic!("not Prometheus text: {e:?}\n{text}"));
    (parsed, text)
}

/// The samples of `family` with these labels (others may be there too).
fn samples<'a>(
    scrape: &'a Exposition,
    family: &str,
    labels: &[(&str, &str)],
) -> Vec<&'a PrometheusValue> {
    scrape
        .families
        .get(family)
        .into_iter()
        .flat_map(|f| f.iter_samples())
        .filter(|s| {
            s.get_labelset().is_ok_and(|set| {
                labels
                    .iter()
                    .all(|(k, v)| set.get_label_value(k) == Some(*v))
            })
        })
        .map(|s| &s.value)
        .collect()
}

/// The value of a counter or gauge with these labels: 0 when no such line
/// is there yet.
pub fn value(scrape: &Exposition, family: &str, labels: &[(&str, &str)]) -> f64 {
    samples(scrape, family, labels)
        .into_iter()
        .map(|v| match v {
            PrometheusValue::Counter(c) => c.value.as_f64(),
            PrometheusValue::Gauge(n) | PrometheusValue::Unknown(n) => n.as_f64(),
            other => panic!("{family} is not a number: {other:?}"),
        })
        .sum()
}

/// How many observations a histogram with these labels holds.
fn observed(scrape: &Exposition, family: &str, labels: &[(&str, &str)]) -> u64 {
    samples(scrape, family, labels)
        .into_iter()
        .map(|v| match v {
            PrometheusValue::Histogram(h) => {
                assert!(h.buckets.len() > 5, "{family} has buckets: {h:?}");
                h.count.unwrap_or_default()
            }
            other => panic!("{family} is not a histogram: {other:?}"),
        })
        .sum()
}

/// Whether a line of `family` with these labels is there.
fn present(scrape: &Exposition, family: &str, labels: &[(&str, &str)]) -> bool {
    !samples(scrape, family, labels).is_empty()
}

#[tokio::test]
async fn metrics_are_off_unless_an_address_is_set() {
    let app = spawn_app().await;
    assert_eq!(
        app.metrics_address, None,
        "no listener without metrics_addr"
    );
    let response = app.get_as(None, "/metrics").await;
    assert_eq!(
        response.status(),
        404,
        "the service's own address never answers /metrics"
    );
}

#[tokio::test]
async fn requests_are_counted_by_route_pattern_method_and_status() {
    let app = spawn_app_configured(with_metrics, probe_route).await;
    assert_ne!(
        app.metrics_address.as_deref(),
        Some(app.address.as_str()),
        "a listener of its own"
    );
    let route = [("route", "/test/metrics-probe/{n}"), ("method", "GET")];
    let ok = [route[0], route[1], ("status", "200")];
    let not_found = [route[0], route[1], ("status", "404")];
    let (before, _) = scrape(&app).await;
    for n in [1, 22, 333] {
        let response = app.get_as(None, &format!("/test/metrics-probe/{n}")).await;
        assert_eq!(response.status(), 200);
    }
    for bad in ["x", "y"] {
        let response = app
            .get_as(None, &format!("/test/metrics-probe/{bad}"))
            .await;
        assert_eq!(response.status(), 404);
    }
    let ids: Vec<String> = (0..2).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    for id in &ids {
        let response = app.get(&format!("/api/v1/clients/{id}")).await;
        assert_eq!(response.status(), 404);
    }
    let nowhere = uuid::Uuid::now_v7().to_string();
    assert_eq!(
        app.get_as(None, &format!("/nowhere/{nowhere}"))
            .await
            .status(),
        404
    );

    let (after, text) = scrape(&app).await;
    let moved = |labels: &[(&str, &str)]| {
        value(&after, "brug_http_requests_total", labels)
            - value(&before, "brug_http_requests_total", labels)
    };
    assert_eq!(moved(&ok), 3.0, "{text}");
    assert_eq!(moved(&not_found), 2.0, "{text}");
    let timed = observed(&after, "brug_http_request_duration_seconds", &route)
        - observed(&before, "brug_http_request_duration_seconds", &route);
    assert_eq!(timed, 5, "each request timed once");
    // Other tests may call these routes too: at least ours are there.
    let client = [
        ("route", "/api/v1/clients/{id}"),
        ("method", "GET"),
        ("status", "404"),
    ];
    assert!(moved(&client) >= 2.0, "{text}");
    assert!(moved(&[("route", "unmatched"), ("status", "404")]) >= 1.0);
    for id in ids.iter().chain([&nowhere]) {
        assert!(!text.contains(id.as_str()), "an id in a label: {id}");
    }
    assert_eq!(
        after.families["brug_http_requests_total"].family_type,
        PrometheusType::Counter
    );
    assert!(
        after.families["brug_http_requests_total"]
            .help
            .contains("route pattern")
    );

    // Gauges of this instance's own database.
    assert_eq!(value(&after, "brug_db_up", &[]), 1.0);
    assert_eq!(
        value(&after, "brug_db_pool_max_connections", &[]),
        f64::from(app.settings.db_pool_size)
    );
    assert!(present(
        &after,
        "brug_db_pool_connections",
        &[("state", "idle")]
    ));
    assert!(present(&after, "brug_db_pool_waiting", &[]));
    let staff = [("kind", "staff")];
    assert_eq!(value(&after, "brug_sessions_active", &staff), 0.0);
    let (_browser, _) = signed_in(&app, &[Role::Caseworker], "Sam Metrics").await;
    let (signed, _) = scrape(&app).await;
    assert_eq!(value(&signed, "brug_sessions_active", &staff), 1.0);
    assert_eq!(
        value(&signed, "brug_sessions_active", &[("kind", "portal")]),
        0.0
    );
    // The database writer committed the sign-in's session.
    assert!(
        value(
            &signed,
            "brug_db_writer_batches_total",
            &[("outcome", "committed")]
        ) >= 1.0
    );
    assert!(observed(&signed, "brug_db_writer_batch_size", &[]) >= 1);
    assert!(observed(&signed, "brug_db_writer_commit_duration_seconds", &[]) >= 1);
}

/// A partner directory holding one partner under a name no other test uses.
fn own_partner() -> (tempfile::TempDir, String) {
    let id = format!(
        "metrics-{}",
        &uuid::Uuid::now_v7().simple().to_string()[20..]
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let accra = std::fs::read_to_string(partners_dir().join("accra-reintegration-network.toml"))
        .expect("a shipped partner");
    let own = accra.replace(
        "id = \"accra-reintegration-network\"",
        &format!("id = \"{id}\""),
    );
    assert_ne!(own, accra);
    std::fs::write(dir.path().join(format!("{id}.toml")), own).expect("written");
    (dir, id)
}

async fn publish(app: &TestApp, partner: &str, referral: &str, ago: chrono::Duration) {
    let (partner, referral) = (partner.to_owned(), referral.to_owned());
    app.db
        .write(move |conn| {
            brug::events::store::publish(
                conn,
                "referral.updated",
                &partner,
                Some(&referral),
                json!({"referral_id": referral}),
                chrono::Utc::now() - ago,
            )
        })
        .await
        .expect("published");
}

#[tokio::test]
async fn deliveries_move_their_counters_and_the_outbox_lag_falls_to_zero() {
    let (dir, partner) = own_partner();
    let partners = dir.path().to_path_buf();
    let app = spawn_app_with(move |settings| {
        with_metrics(settings);
        settings.partners_dir = partners;
        settings.webhook_allow_local = true;
        settings.webhook_poll_ms = 50;
        // Two attempts, then the dead letters.
        settings.webhook_retry_schedule =
            brug::webhooks::RetrySchedule::parse("100ms").expect("schedule");
    })
    .await;
    // The first two requests fail, later ones are taken.
    let hook = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&hook)
        .await;
    Mock::given(method("POST"))
        .and(path("/hooks"))
        .respond_with(ResponseTemplate::new(204))
        .with_priority(2)
        .mount(&hook)
        .await;
    let key = app.partner_key(&partner).await;
    let set = app
        .client
        .put(app.url("/partner/v1/webhook"))
        .bearer_auth(&key)
        .json(&json!({"url": format!("{}/hooks", hook.uri())}))
        .send()
        .await
        .expect("sent");
    assert_eq!(set.status(), 200);

    // Two events of one referral, in order: the first happened 2 minutes ago.
    let referral = uuid::Uuid::now_v7().to_string();
    publish(&app, &partner, &referral, chrono::Duration::minutes(2)).await;
    publish(&app, &partner, &referral, chrono::Duration::zero()).await;
    let own = [("partner", partner.as_str())];
    let (waiting, text) = scrape(&app).await;
    assert_eq!(value(&waiting, "brug_outbox_pending", &own), 2.0, "{text}");
    let lag = value(&waiting, "brug_outbox_lag_seconds", &own);
    assert!((120.0..600.0).contains(&lag), "lag {lag}: {text}");
    assert!(!present(&waiting, "brug_webhook_deliveries_total", &own));

    let worker = app.start_worker();
    let deadline = Instant::now() + Duration::from_secs(20);
    let done = loop {
        let (now, text) = scrape(&app).await;
        if value(&now, "brug_outbox_pending", &own) == 0.0 || Instant::now() > deadline {
            break (now, text);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    worker.stop().await;
    let (done, text) = done;
    let outcome = |o: &str| {
        value(
            &done,
            "brug_webhook_deliveries_total",
            &[own[0], ("outcome", o)],
        )
    };
    assert_eq!(outcome("failed"), 1.0, "{text}");
    assert_eq!(outcome("dead_lettered"), 1.0, "{text}");
    assert_eq!(outcome("delivered"), 1.0, "{text}");
    assert_eq!(outcome("gone"), 0.0, "{text}");
    assert_eq!(value(&done, "brug_outbox_pending", &own), 0.0, "{text}");
    assert_eq!(value(&done, "brug_outbox_lag_seconds", &own), 0.0, "{text}");
    assert_eq!(
        value(&done, "brug_webhook_dead_letters", &own),
        1.0,
        "{text}"
    );
    assert_eq!(
        hook.received_requests().await.map(|r| r.len()),
        Some(3),
        "two attempts of the first event, one of the second"
    );
    let other = [("partner", "accra-reintegration-network")];
    assert!(
        !present(&done, "brug_outbox_lag_seconds", &other),
        "only this database's partners: {text}"
    );
}

/// Every metric named in the shipped Grafana dashboard's queries, by name.
fn dashboard_metrics() -> BTreeSet<String> {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/grafana/brug.json");
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("deploy/grafana/brug.json"))
            .expect("the dashboard is JSON");
    let mut names = BTreeSet::new();
    let panels = dashboard["panels"].as_array().expect("panels");
    assert!(panels.len() >= 8, "a panel for each part");
    for panel in panels {
        let targets = panel["targets"].as_array().expect("each panel has targets");
        assert!(!targets.is_empty(), "{panel}");
        for target in targets {
            let expr = target["expr"].as_str().expect("a PromQL expression");
            // PromQL names: `brug_...` up to the first character no name has.
            let mut rest = expr;
            while let Some(at) = rest.find("brug_") {
                let name: String = rest[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                rest = &rest[at + name.len()..];
                names.insert(name);
            }
        }
    }
    names
}

#[tokio::test]
async fn the_shipped_grafana_dashboard_asks_only_for_metrics_that_are_there() {
    let (dir, partner) = own_partner();
    let partners = dir.path().to_path_buf();
    let app = spawn_app_with(move |settings| {
        with_metrics(settings);
        settings.partners_dir = partners;
        settings.webhook_allow_local = true;
    })
    .await;
    // Every kind of line present: a request, a write, a partner's webhook.
    let key = app.partner_key(&partner).await;
    let set = app
        .client
        .put(app.url("/partner/v1/webhook"))
        .bearer_auth(&key)
        .json(&json!({"url": "http://127.0.0.1:9/hooks"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(set.status(), 200);
    brug::metrics::webhook_delivery(&partner, brug::metrics::Delivery::Delivered);
    brug::metrics::email(brug::metrics::Email::Sent);
    let (scrape, text) = scrape(&app).await;
    // Each family as PromQL names its series.
    let exposed: BTreeSet<String> = scrape
        .families
        .values()
        .flat_map(|family| {
            let name = family.family_name.clone();
            match family.family_type {
                PrometheusType::Histogram => vec![
                    format!("{name}_bucket"),
                    format!("{name}_sum"),
                    format!("{name}_count"),
                    name,
                ],
                PrometheusType::Summary => {
                    vec![format!("{name}_sum"), format!("{name}_count"), name]
                }
                _ => vec![name],
            }
        })
        .collect();
    let wanted = dashboard_metrics();
    assert!(wanted.len() >= 10, "{wanted:?}");
    let missing: Vec<&String> = wanted.difference(&exposed).collect();
    assert!(missing.is_empty(), "not exposed: {missing:?}\n{text}");
}
