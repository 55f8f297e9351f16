//! Webhook delivery, measured at a local receiver that answers 204 at once:
//! commit → first attempt with the worker idle (single events through the
//! API, spaced out), and how long a backlog of N events to one partner takes
//! to arrive.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use brug::db::{Db, DbError};
use serde_json::{Value, json};

use crate::fixtures::{self, Fixtures, KUMASI, Tokens};
use crate::load::percentile;

/// One request as the receiver saw it.
#[derive(Clone)]
pub struct Arrival {
    pub at: Instant,
    pub id: String,
    pub kind: String,
    pub referral: String,
    pub n: Option<i64>,
}

type Arrivals = Arc<Mutex<Vec<Arrival>>>;

pub struct Receiver {
    pub url: String,
    arrivals: Arrivals,
    handle: actix_web::dev::ServerHandle,
}

async fn hook(
    request: HttpRequest,
    body: web::Bytes,
    arrivals: web::Data<Arrivals>,
) -> HttpResponse {
    let at = Instant::now();
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let arrival = Arrival {
        at,
        id: request
            .headers()
            .get("webhook-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        kind: json["type"].as_str().unwrap_or_default().to_owned(),
        referral: json["data"]["referral_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        n: json["data"]["n"].as_i64(),
    };
    if let Ok(mut all) = arrivals.lock() {
        all.push(arrival);
    }
    HttpResponse::NoContent().finish()
}

impl Receiver {
    pub fn start() -> anyhow::Result<Self> {
        let arrivals: Arrivals = Arc::default();
        let data = web::Data::new(arrivals.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/hooks", web::post().to(hook))
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))?;
        let port = server
            .addrs()
            .first()
            .map(|a| a.port())
            .ok_or_else(|| anyhow::anyhow!("the receiver has no address"))?;
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self {
            url: format!("http://127.0.0.1:{port}/hooks"),
            arrivals,
            handle,
        })
    }

    pub fn len(&self) -> usize {
        self.arrivals.lock().map(|a| a.len()).unwrap_or_default()
    }

    pub fn since(&self, from: usize) -> Vec<Arrival> {
        self.arrivals
            .lock()
            .map(|a| a.get(from..).map(<[Arrival]>::to_vec).unwrap_or_default())
            .unwrap_or_default()
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

pub struct Latency {
    pub samples: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

/// Points `KUMASI`'s webhook at the receiver.
pub async fn set_webhook(base: &str, tokens: &Tokens, url: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    fixtures::call(
        &http,
        reqwest::Method::PUT,
        &format!("{base}/partner/v1/webhook"),
        &tokens.kumasi,
        Some(json!({"url": url})),
        200,
    )
    .await?;
    Ok(())
}

/// Refers the webhook case to `KUMASI` when no referral is open, else
/// cancels the open one: one event either way. Returns the event's type
/// and referral, and when the API answered.
async fn one_event(
    http: &reqwest::Client,
    base: &str,
    tokens: &Tokens,
    fixtures: &Fixtures,
    open: &mut Option<String>,
) -> anyhow::Result<(&'static str, String, Instant)> {
    match open.take() {
        None => {
            let id = fixtures::refer(
                http,
                base,
                tokens,
                &fixtures.hook_case_id,
                KUMASI,
                &fixtures.hook_consent_id,
            )
            .await?;
            *open = Some(id.clone());
            Ok(("referral.requested", id, Instant::now()))
        }
        Some(id) => {
            fixtures::cancel(http, base, tokens, &id).await?;
            Ok(("referral.cancelled", id, Instant::now()))
        }
    }
}

async fn wait_for(
    receiver: &Receiver,
    from: usize,
    kind: &str,
    referral: &str,
    within: Duration,
) -> Option<Arrival> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = receiver
            .since(from)
            .into_iter()
            .find(|a| a.kind == kind && a.referral == referral)
        {
            return Some(found);
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// `samples` single events, each sent once the one before has arrived and
/// the worker has been idle a moment: API answer → arrival.
pub async fn latency(
    base: &str,
    tokens: &Tokens,
    fixtures: &Fixtures,
    receiver: &Receiver,
    samples: usize,
    open: &mut Option<String>,
) -> anyhow::Result<Latency> {
    let http = reqwest::Client::new();
    let mut took = Vec::with_capacity(samples);
    for i in 0..samples {
        // Spaced out, not in step with a poll interval.
        tokio::time::sleep(Duration::from_millis(300 + (i as u64 * 37) % 200)).await;
        let from = receiver.len();
        let (kind, referral, answered) = one_event(&http, base, tokens, fixtures, open).await?;
        let arrival = wait_for(receiver, from, kind, &referral, Duration::from_secs(30))
            .await
            .ok_or_else(|| {
                anyhow::anyhow!("{kind} of referral {referral} did not arrive within 30 s")
            })?;
        took.push(arrival.at.saturating_duration_since(answered));
    }
    took.sort();
    Ok(Latency {
        samples,
        p50: percentile(&took, 0.5),
        p99: percentile(&took, 0.99),
        max: took.last().copied().unwrap_or_default(),
    })
}

pub struct Burst {
    pub events: usize,
    pub referrals: usize,
    pub publish: Duration,
    /// Commit → the first and the last arrival.
    pub first: Option<Duration>,
    pub last: Option<Duration>,
    pub arrived: usize,
    /// Problems: missing, duplicated or out-of-order events.
    pub problems: Vec<String>,
}

impl Burst {
    /// Deliveries a second between the first and the last arrival.
    pub fn rate(&self) -> Option<f64> {
        let span = self.last?.checked_sub(self.first?)?.as_secs_f64();
        (span > 0.0).then(|| self.arrived as f64 / span)
    }
}

/// `events` events to `KUMASI` over `events / 10` referrals (ten each, in
/// order), committed in one transaction from this process through the
/// library (as the tests publish in bulk), then one event through the API,
/// which wakes the server's worker as any commit there does. Waits until all
/// `events + 1` have arrived, or `limit`.
#[allow(clippy::too_many_arguments)]
pub async fn burst(
    db: &Db,
    base: &str,
    tokens: &Tokens,
    fixtures: &Fixtures,
    receiver: &Receiver,
    events: usize,
    limit: Duration,
    open: &mut Option<String>,
) -> anyhow::Result<Burst> {
    let referrals = (events / 10).max(1);
    let from = receiver.len();
    let writer = db.clone();
    let started = Instant::now();
    tokio::task::spawn_blocking(move || {
        writer.write_blocking(|conn| {
            let now = chrono::Utc::now();
            for n in 0..events {
                let referral = format!("bench-burst-{:05}", n % referrals);
                brug::events::store::publish(
                    conn,
                    "referral.updated",
                    KUMASI,
                    Some(&referral),
                    json!({"referral_id": referral, "n": n / referrals}),
                    now,
                )?;
            }
            Ok::<_, DbError>(())
        })
    })
    .await??;
    let committed = Instant::now();
    let publish = committed - started;
    let http = reqwest::Client::new();
    let (wake_kind, wake_referral, _) = one_event(&http, base, tokens, fixtures, open).await?;
    let expected = events + 1;
    let deadline = committed + limit;
    loop {
        let got = receiver.since(from);
        if got.len() >= expected || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Anything delivered twice would show up a moment later.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.since(from);
    let mut problems = Vec::new();
    let mut ids = HashSet::new();
    let mut duplicates = 0;
    let mut last_n: HashMap<String, i64> = HashMap::new();
    let mut out_of_order = 0;
    let mut burst_arrived = 0;
    let mut woke = false;
    for arrival in &got {
        if !ids.insert(arrival.id.clone()) {
            duplicates += 1;
            continue;
        }
        if arrival.kind == wake_kind && arrival.referral == wake_referral {
            woke = true;
            continue;
        }
        if arrival.kind != "referral.updated" {
            continue;
        }
        burst_arrived += 1;
        let n = arrival.n.unwrap_or(-1);
        let before = last_n.insert(arrival.referral.clone(), n);
        if before.map_or(0, |b| b + 1) != n {
            out_of_order += 1;
        }
    }
    if burst_arrived < events {
        problems.push(format!(
            "only {burst_arrived} of {events} events arrived within {} s of the commit",
            limit.as_secs()
        ));
    }
    if !woke {
        problems.push("the event sent through the API did not arrive".into());
    }
    if duplicates > 0 {
        problems.push(format!("{duplicates} events delivered more than once"));
    }
    if out_of_order > 0 {
        problems.push(format!(
            "{out_of_order} events arrived before an earlier event of their referral"
        ));
    }
    let unique: Vec<&Arrival> = {
        let mut seen = HashSet::new();
        got.iter().filter(|a| seen.insert(a.id.clone())).collect()
    };
    Ok(Burst {
        events,
        referrals,
        publish,
        first: unique
            .first()
            .map(|a| a.at.saturating_duration_since(committed)),
        last: unique
            .last()
            .map(|a| a.at.saturating_duration_since(committed)),
        arrived: unique.len(),
        problems,
    })
}
