//! The load generator: `CONNECTIONS` tasks, each with its own HTTP
//! connection, sending one request after another for a fixed time.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub const CONNECTIONS: usize = 32;

/// Numbers every request of the run (unique names for new clients).
static SEQ: AtomicU64 = AtomicU64::new(0);

/// Builds the request numbered `n` on a connection's client.
pub type MakeRequest = Arc<dyn Fn(&reqwest::Client, u64) -> reqwest::RequestBuilder + Send + Sync>;

pub struct Stats {
    pub name: String,
    /// 2xx answers completed in the measured window.
    pub ok: u64,
    pub seconds: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// Answers other than 2xx, by status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no answer (connection refused, reset, timeout).
    pub transport: u64,
    /// The first failure, with the start of its body.
    pub first_error: Option<String>,
}

impl Stats {
    pub fn per_sec(&self) -> f64 {
        self.ok as f64 / self.seconds
    }

    pub fn errors(&self) -> u64 {
        self.statuses.values().sum::<u64>() + self.transport
    }

    /// The problems, one line (empty when there are none).
    pub fn problems(&self) -> String {
        let mut parts = Vec::new();
        for (status, n) in &self.statuses {
            parts.push(format!("{n} × HTTP {status}"));
        }
        if self.transport > 0 {
            parts.push(format!("{} without an answer", self.transport));
        }
        if self.ok == 0 {
            parts.push("no successful request".into());
        }
        let mut line = parts.join(", ");
        if let Some(first) = &self.first_error {
            line.push_str(&format!("; first: {first}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            line
        }
    }
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    ok: u64,
    statuses: BTreeMap<u16, u64>,
    transport: u64,
    first_error: Option<String>,
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    // Nearest rank.
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Runs `make` on `CONNECTIONS` connections: `warmup` unmeasured, then
/// `duration` measured (requests that complete inside the window).
pub async fn drive(name: &str, warmup: Duration, duration: Duration, make: MakeRequest) -> Stats {
    let measure_from = Instant::now() + warmup;
    let end = measure_from + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CONNECTIONS {
        let make = make.clone();
        tasks.spawn(async move {
            let mut tally = Tally::default();
            let client = match reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(30))
                .build()
            {
                Ok(client) => client,
                Err(e) => {
                    tally.transport += 1;
                    tally.first_error = Some(format!("no HTTP client: {e}"));
                    return tally;
                }
            };
            while Instant::now() < end {
                let n = SEQ.fetch_add(1, Ordering::Relaxed);
                let began = Instant::now();
                let outcome = match make(&client, n).send().await {
                    Ok(response) => {
                        let status = response.status();
                        match response.bytes().await {
                            Ok(body) => Ok((status, body)),
                            Err(e) => Err(e),
                        }
                    }
                    Err(e) => Err(e),
                };
                let done = Instant::now();
                if done < measure_from || done > end {
                    continue;
                }
                tally.latencies.push(done - began);
                match outcome {
                    Ok((status, _)) if status.is_success() => tally.ok += 1,
                    Ok((status, body)) => {
                        *tally.statuses.entry(status.as_u16()).or_default() += 1;
                        if tally.first_error.is_none() {
                            let body = String::from_utf8_lossy(&body);
                            let cut: String = body.chars().take(300).collect();
                            tally.first_error = Some(format!("HTTP {status}: {cut}"));
                        }
                    }
                    Err(e) => {
                        tally.transport += 1;
                        if tally.first_error.is_none() {
                            tally.first_error = Some(format!("{e:#}"));
                        }
                    }
                }
            }
            tally
        });
    }
    let mut all = Tally::default();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(tally) => {
                all.latencies.extend(tally.latencies);
                all.ok += tally.ok;
                all.transport += tally.transport;
                for (status, n) in tally.statuses {
                    *all.statuses.entry(status).or_default() += n;
                }
                if all.first_error.is_none() {
                    all.first_error = tally.first_error;
                }
            }
            Err(e) => {
                all.transport += 1;
                all.first_error
                    .get_or_insert_with(|| format!("a load task failed: {e}"));
            }
        }
    }
    all.latencies.sort();
    Stats {
        name: name.to_owned(),
        ok: all.ok,
        seconds: duration.as_secs_f64(),
        p50: percentile(&all.latencies, 0.50),
        p99: percentile(&all.latencies, 0.99),
        max: all.latencies.last().copied().unwrap_or_default(),
        statuses: all.statuses,
        transport: all.transport,
        first_error: all.first_error,
    }
}
