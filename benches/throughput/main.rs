//! Throughput of the real `brug serve` under 32 connections, each figure
//! beside the machine's ceiling measured in the same run (issue 14).
//!
//! `cargo bench --bench throughput` runs on an SQLite file in a temp dir;
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/brug_bench cargo
//! bench --bench throughput` on PostgreSQL (the database named is dropped
//! and created afresh, then dropped again).
//!
//! It starts the `brug` binary on a fresh database with one client and one
//! referral, drives it over HTTP from this process (32 connections, each
//! scenario `BENCH_SECONDS`, default 10, after a short warm-up) and prints
//! req/s, p50, p99 and every non-2xx answer. Ceilings: one small insert per
//! durable transaction on connections opened as Brug opens them (SQLite: one
//! writer; PostgreSQL: 32 connections), and `/healthz` of a second server
//! with `RUST_LOG=off`. Then webhook delivery to a local receiver (commit →
//! arrival with the worker idle; a backlog of `BENCH_EVENTS`, default
//! 10,000, to one partner), the server's peak RSS (VmHWM), and on SQLite the
//! largest `-wal` file during `BENCH_WAL_SECONDS` (default 60) of writes.
//!
//! `BENCH_SHORT=1` runs everything briefly (1 s a scenario, 200 events, a
//! 5 s write phase) and fails only if something does not work: an error
//! answer, no request served, an event not delivered. It runs in CI with
//! `--profile dev`, reusing the debug build. The full run fails on such
//! problems too, never on a missed target. BENCHMARKS.md keeps the numbers.

mod ceiling;
mod fixtures;
mod load;
mod server;
mod webhooks;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use brug::config::{DatabaseUrl, Settings};
use brug::startup;
use diesel::{Connection, RunQueryDsl};

use load::{MakeRequest, Stats};
use server::{Options, Server};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Mode {
    short: bool,
    warmup: Duration,
    seconds: Duration,
    wal_seconds: Duration,
    events: usize,
    latency_samples: usize,
    delivery_limit: Duration,
}

impl Mode {
    fn from_env() -> Self {
        let short = std::env::var("BENCH_SHORT").is_ok_and(|v| !v.is_empty() && v != "0");
        let (seconds, wal, events, samples, limit) = if short {
            (1.0, 5.0, 200, 5, 60)
        } else {
            (10.0, 60.0, 10_000, 50, 300)
        };
        Self {
            short,
            warmup: Duration::from_millis(if short { 300 } else { 1000 }),
            seconds: Duration::from_secs_f64(env_or("BENCH_SECONDS", seconds)),
            wal_seconds: Duration::from_secs_f64(env_or("BENCH_WAL_SECONDS", wal)),
            events: env_or("BENCH_EVENTS", events),
            latency_samples: env_or("BENCH_LATENCY_SAMPLES", samples),
            delivery_limit: Duration::from_secs(env_or("BENCH_DELIVERY_LIMIT", limit)),
        }
    }
}

/// The database under test, dropped at the end.
enum BenchDb {
    Sqlite {
        url: String,
        path: String,
    },
    Postgres {
        url: String,
        admin: String,
        name: String,
    },
}

impl BenchDb {
    fn create(dir: &Path) -> anyhow::Result<Self> {
        match std::env::var("BENCH_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => {
                let parsed = url::Url::parse(&url)?;
                let name = parsed.path().trim_start_matches('/').to_owned();
                anyhow::ensure!(
                    !name.is_empty() && name != "postgres",
                    "BENCH_DATABASE_URL must name a database to create (and drop) for the run"
                );
                let mut admin_url = parsed.clone();
                admin_url.set_path("postgres");
                let admin = admin_url.to_string();
                let mut conn = diesel::PgConnection::establish(&admin)?;
                diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn)?;
                diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut conn)?;
                Ok(BenchDb::Postgres { url, admin, name })
            }
            _ => {
                let path = dir.join("bench.sqlite").display().to_string();
                Ok(BenchDb::Sqlite {
                    url: format!("sqlite://{path}"),
                    path,
                })
            }
        }
    }

    fn url(&self) -> &str {
        match self {
            BenchDb::Sqlite { url, .. } | BenchDb::Postgres { url, .. } => url,
        }
    }

    fn is_sqlite(&self) -> bool {
        matches!(self, BenchDb::Sqlite { .. })
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        if let BenchDb::Postgres { admin, name, .. } = self
            && let Ok(mut conn) = diesel::PgConnection::establish(admin)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

/// The largest size the SQLite `-wal` file reached: over the whole run, and
/// since the last `reset`.
struct WalWatch {
    whole: AtomicU64,
    phase: AtomicU64,
    stop: AtomicBool,
}

impl WalWatch {
    fn spawn(path: PathBuf) -> Arc<Self> {
        let watch = Arc::new(Self {
            whole: AtomicU64::new(0),
            phase: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        });
        let sampler = watch.clone();
        tokio::spawn(async move {
            while !sampler.stop.load(Ordering::Relaxed) {
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                sampler.whole.fetch_max(size, Ordering::Relaxed);
                sampler.phase.fetch_max(size, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        watch
    }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn get(url: String, token: Option<String>) -> MakeRequest {
    Arc::new(move |client: &reqwest::Client, _| {
        let request = client.get(&url);
        match &token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    })
}

fn post(
    url: String,
    token: String,
    body: impl Fn(u64) -> String + Send + Sync + 'static,
) -> MakeRequest {
    Arc::new(move |client: &reqwest::Client, n| {
        client
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body(n))
    })
}

fn new_client_body(n: u64) -> String {
    fixtures::new_client(&format!("Bench {n}")).to_string()
}

/// A target: what, the figure against it, and whether it is met.
struct Check {
    what: String,
    figure: String,
    target: String,
    met: bool,
}

fn ratio_check(what: &str, value: f64, base: f64, at_least: f64) -> Check {
    let ratio = if base > 0.0 { value / base } else { 0.0 };
    Check {
        what: what.to_owned(),
        figure: format!("{value:.0} / {base:.0} = {ratio:.3}×"),
        target: format!("≥ {at_least}×"),
        met: ratio >= at_least,
    }
}

fn print_row(stats: &Stats, base: Option<(f64, &str)>) {
    let ratio = match base {
        Some((base, name)) if base > 0.0 => format!("{:.2}× {name}", stats.per_sec() / base),
        _ => String::new(),
    };
    println!(
        "| {:<36} | {:>9.0} | {:>7.1} | {:>7.1} | {:>7.1} | {:>6} | {ratio} |",
        stats.name,
        stats.per_sec(),
        ms(stats.p50),
        ms(stats.p99),
        ms(stats.max),
        stats.errors(),
    );
    let problems = stats.problems();
    if !problems.is_empty() {
        println!("!!! ERRORS in {}: {problems}", stats.name);
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(problems) if problems.is_empty() => ExitCode::SUCCESS,
        Ok(problems) => {
            eprintln!("\n!!! the benchmark found {} problem(s):", problems.len());
            for problem in problems {
                eprintln!("!!!   {problem}");
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("\n!!! the benchmark failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs everything; returns the problems found (errors, not missed targets).
fn run() -> anyhow::Result<Vec<String>> {
    // `cargo bench` passes `--bench`; nothing else is expected.
    let mode = Mode::from_env();
    let work = tempfile::tempdir()?;
    let database = BenchDb::create(work.path())?;
    let backend = if database.is_sqlite() {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    println!(
        "Brug throughput: {backend}, {} mode, {} build; {} connections, {:.0} s a scenario after {:.1} s warm-up",
        if mode.short { "short" } else { "full" },
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        load::CONNECTIONS,
        mode.seconds.as_secs_f64(),
        mode.warmup.as_secs_f64(),
    );
    println!(
        "load average at the start: {} ({} cores; the load generator runs in this process, beside the server)",
        load_average(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let settings = Settings {
        database_url: DatabaseUrl::new(database.url()),
        partners_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("partners"),
        db_pool_size: 2,
        ..Settings::default()
    };
    let db = startup::open_db(&settings)?;
    startup::prepare(&settings, &db)?;
    let tokens = fixtures::mint(&db)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let problems = runtime.block_on(measure(&mode, &database, work.path(), &db, &tokens))?;
    drop(db);
    drop(database);
    Ok(problems)
}

async fn insert_ceiling(
    database: &BenchDb,
    work: &Path,
    seconds: Duration,
    round: u32,
) -> anyhow::Result<ceiling::Ceiling> {
    match database {
        BenchDb::Sqlite { .. } => {
            let path = work.join(format!("ceiling-{round}.sqlite"));
            tokio::task::spawn_blocking(move || ceiling::sqlite(&path, seconds)).await?
        }
        BenchDb::Postgres { url, .. } => {
            let url = url.clone();
            tokio::task::spawn_blocking(move || ceiling::postgres(&url, load::CONNECTIONS, seconds))
                .await?
        }
    }
}

/// The load average, as `/proc/loadavg` gives it (1, 5, 15 minutes).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

async fn measure(
    mode: &Mode,
    database: &BenchDb,
    work: &Path,
    db: &brug::db::Db,
    tokens: &fixtures::Tokens,
) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut checks = Vec::new();
    let sqlite = database.is_sqlite();

    // (a) The insert ceiling, before the server starts and again after the
    // write scenarios: the disk is shared, and its fsyncs swing with what
    // else runs. The higher of the two is the base (the stricter one).
    let first = insert_ceiling(database, work, mode.seconds, 1).await?;
    println!(
        "\nceiling: {:.0} inserts/s, one small insert per durable transaction on {} connection(s) opened as Brug opens them",
        first.inserts_per_sec, first.connections
    );

    let url = database.url();
    let main = Server::start(Options {
        label: "serve",
        database_url: url,
        work,
        logging: true,
        worker: true,
    })
    .await?;
    let wal = match database {
        BenchDb::Sqlite { path, .. } => Some(WalWatch::spawn(PathBuf::from(format!("{path}-wal")))),
        BenchDb::Postgres { .. } => None,
    };
    let fixtures = fixtures::create(&main.base, tokens).await?;
    let base = main.base.clone();

    println!("\n| scenario (32 connections) | req/s | p50 ms | p99 ms | max ms | errors | ratio |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    let run =
        |name: &'static str, make: MakeRequest| load::drive(name, mode.warmup, mode.seconds, make);

    let healthz = run("GET /healthz", get(format!("{base}/healthz"), None)).await;
    // (b) The same binary with logging off, on the same database.
    let quiet = Server::start(Options {
        label: "serve-quiet",
        database_url: url,
        work,
        logging: false,
        worker: false,
    })
    .await?;
    let healthz_off = run(
        "GET /healthz, logging off",
        get(format!("{}/healthz", quiet.base), None),
    )
    .await;
    quiet.stop()?;
    let h = healthz_off.per_sec();
    print_row(&healthz_off, None);
    print_row(&healthz, Some((h, "logging off")));

    let counsellor = tokens.counsellor.clone();
    let client = run(
        "GET /api/v1/clients/{id} (audited)",
        get(
            format!("{base}/api/v1/clients/{}", fixtures.client_id),
            Some(counsellor.clone()),
        ),
    )
    .await;
    print_row(&client, Some((healthz.per_sec(), "/healthz")));
    let referral = run(
        "GET /partner/v1/referrals/{id} (audited)",
        get(
            format!("{base}/partner/v1/referrals/{}", fixtures.referral_id),
            Some(tokens.accra.clone()),
        ),
    )
    .await;
    print_row(&referral, Some((healthz.per_sec(), "/healthz")));
    let partners = run(
        "GET /api/v1/partners?limit=20",
        get(
            format!("{base}/api/v1/partners?limit=20"),
            Some(counsellor.clone()),
        ),
    )
    .await;
    print_row(&partners, Some((healthz.per_sec(), "/healthz")));
    let talk_body = fixtures::new_talk().to_string();
    let talks_url = format!("{base}/api/v1/clients/{}/talks", fixtures.client_id);
    let talk = run(
        "POST /api/v1/clients/{id}/talks",
        post(talks_url.clone(), counsellor.clone(), {
            let body = talk_body.clone();
            move |_| body.clone()
        }),
    )
    .await;
    let new_client = run(
        "POST /api/v1/clients",
        post(
            format!("{base}/api/v1/clients"),
            counsellor.clone(),
            new_client_body,
        ),
    )
    .await;
    let peak_under_load = main.peak_rss();
    let second = insert_ceiling(database, work, mode.seconds, 2).await?;
    let ceiling = first.inserts_per_sec.max(second.inserts_per_sec);
    print_row(&talk, Some((ceiling, "ceiling")));
    print_row(&new_client, Some((ceiling, "ceiling")));
    println!(
        "ceiling again after the writes: {:.0} inserts/s; the base is the higher, {ceiling:.0}",
        second.inserts_per_sec
    );

    let scenarios = [
        &healthz_off,
        &healthz,
        &client,
        &referral,
        &partners,
        &talk,
        &new_client,
    ];
    for stats in scenarios {
        if !stats.problems().is_empty() {
            problems.push(format!("{}: {}", stats.name, stats.problems()));
        }
    }

    // Sustained writes: the WAL must stay bounded.
    let mut wal_max = None;
    if let Some(wal) = &wal {
        wal.phase.store(0, Ordering::Relaxed);
        let clients_url = format!("{base}/api/v1/clients");
        let mixed: MakeRequest = Arc::new(move |http: &reqwest::Client, n| {
            let (url, body) = if n % 2 == 0 {
                (&talks_url, talk_body.clone())
            } else {
                (&clients_url, new_client_body(n))
            };
            http.post(url)
                .bearer_auth(&counsellor)
                .header("content-type", "application/json")
                .body(body)
        });
        let writes = load::drive(
            "POST talk + POST client, sustained",
            Duration::ZERO,
            mode.wal_seconds,
            mixed,
        )
        .await;
        let max = wal.phase.load(Ordering::Relaxed);
        wal_max = Some(max);
        println!(
            "\nsustained writes for {:.0} s: {:.0} req/s, p99 {:.1} ms, {} errors; largest -wal file {:.1} MB",
            mode.wal_seconds.as_secs_f64(),
            writes.per_sec(),
            ms(writes.p99),
            writes.errors(),
            mb(max)
        );
        if !writes.problems().is_empty() {
            println!("!!! ERRORS in the sustained writes: {}", writes.problems());
            problems.push(format!("{}: {}", writes.name, writes.problems()));
        }
    }

    // Webhooks.
    let receiver = webhooks::Receiver::start()?;
    webhooks::set_webhook(&base, tokens, &receiver.url).await?;
    let mut open = None;
    let latency = webhooks::latency(
        &base,
        tokens,
        &fixtures,
        &receiver,
        mode.latency_samples,
        &mut open,
    )
    .await;
    let burst = webhooks::burst(
        db,
        &base,
        tokens,
        &fixtures,
        &receiver,
        mode.events,
        mode.delivery_limit,
        &mut open,
    )
    .await;
    receiver.stop().await;
    println!();
    match &latency {
        Ok(l) => println!(
            "webhook, worker idle: API answer → arrival over {} single events: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            l.samples,
            ms(l.p50),
            ms(l.p99),
            ms(l.max)
        ),
        Err(e) => {
            println!("!!! ERROR: webhook latency: {e:#}");
            problems.push(format!("webhook latency: {e:#}"));
        }
    }
    match &burst {
        Ok(b) => {
            println!(
                "webhook backlog: {} events over {} referrals committed in one transaction ({:.2} s), plus one through the API: {} arrived; first {:.2} s, last {:.2} s after the commit; {:.0} deliveries/s",
                b.events,
                b.referrals,
                b.publish.as_secs_f64(),
                b.arrived,
                b.first.map_or(f64::NAN, |d| d.as_secs_f64()),
                b.last.map_or(f64::NAN, |d| d.as_secs_f64()),
                b.rate().unwrap_or(f64::NAN),
            );
            for problem in &b.problems {
                println!("!!! ERROR: webhook backlog: {problem}");
                problems.push(format!("webhook backlog: {problem}"));
            }
        }
        Err(e) => {
            println!("!!! ERROR: webhook backlog: {e:#}");
            problems.push(format!("webhook backlog: {e:#}"));
        }
    }

    let mut main = main;
    let peak = main.peak_rss();
    // Resident now, by kind: SQLite's memory-mapped database file counts as
    // file pages (the OS's page cache), not as the process's own memory.
    let (anon, file) = (main.status("RssAnon"), main.status("RssFile"));
    if !main.still_running() {
        problems.push("brug serve died during the run".into());
    }
    let logged = main.log_problems();
    let tail = main.log_tail(5);
    if let Err(e) = main.stop() {
        problems.push(format!("{e:#}"));
    }
    if let Some(wal) = &wal {
        wal.stop.store(true, Ordering::Relaxed);
        println!(
            "largest -wal file over the whole run: {:.1} MB",
            mb(wal.whole.load(Ordering::Relaxed))
        );
    }
    println!(
        "brug serve peak RSS (VmHWM): {:.1} MB after the load scenarios, {:.1} MB at the end",
        mb(peak_under_load.unwrap_or(0)),
        mb(peak.unwrap_or(0))
    );
    println!(
        "resident at the end: {:.1} MB anonymous (heap, stacks), {:.1} MB file-backed (the binary, and on SQLite the memory-mapped database)",
        mb(anon.unwrap_or(0)),
        mb(file.unwrap_or(0))
    );
    if !logged.is_empty() {
        println!(
            "!!! the server logged {} line(s) at WARN or ERROR; the first:",
            logged.len()
        );
        for line in logged.iter().take(5) {
            println!("!!!   {line}");
        }
    }
    if !problems.is_empty() {
        println!("last lines of the server's log:\n{tail}");
    }

    // Targets (issue 14).
    if sqlite {
        checks.push(ratio_check(
            "POST talk vs insert ceiling",
            talk.per_sec(),
            ceiling,
            1.0,
        ));
        checks.push(ratio_check(
            "POST client vs insert ceiling",
            new_client.per_sec(),
            ceiling,
            1.0,
        ));
        checks.push(ratio_check(
            "audited GET client vs /healthz",
            client.per_sec(),
            healthz.per_sec(),
            0.15,
        ));
        checks.push(ratio_check(
            "audited partner GET referral vs /healthz",
            referral.per_sec(),
            healthz.per_sec(),
            0.15,
        ));
        let worst = scenarios
            .iter()
            .max_by_key(|s| s.p99)
            .map(|s| (s.name.clone(), s.p99));
        if let Some((name, p99)) = worst {
            let slow: Vec<String> = scenarios
                .iter()
                .filter(|s| s.p99 >= Duration::from_millis(50))
                .map(|s| format!("{} {:.0} ms", s.name, ms(s.p99)))
                .collect();
            checks.push(Check {
                what: "p99 of every request".into(),
                figure: if slow.is_empty() {
                    format!("worst {:.1} ms ({name})", ms(p99))
                } else {
                    slow.join("; ")
                },
                target: "< 50 ms".into(),
                met: slow.is_empty(),
            });
        }
    } else {
        checks.push(ratio_check(
            "POST talk vs insert ceiling",
            talk.per_sec(),
            ceiling,
            0.3,
        ));
        checks.push(ratio_check(
            "POST client vs insert ceiling",
            new_client.per_sec(),
            ceiling,
            0.3,
        ));
        checks.push(ratio_check(
            "audited GET client vs /healthz",
            client.per_sec(),
            healthz.per_sec(),
            0.1,
        ));
        checks.push(ratio_check(
            "audited partner GET referral vs /healthz",
            referral.per_sec(),
            healthz.per_sec(),
            0.1,
        ));
    }
    checks.push(ratio_check(
        "/healthz vs logging off",
        healthz.per_sec(),
        healthz_off.per_sec(),
        0.7,
    ));
    let rss = peak_under_load.unwrap_or(0);
    checks.push(Check {
        what: "peak RSS under load".into(),
        figure: format!("{:.1} MB", mb(rss)),
        target: "< 64 MB".into(),
        met: rss > 0 && mb(rss) < 64.0,
    });
    if let Ok(b) = &burst {
        let within = b.last.filter(|_| b.problems.is_empty());
        checks.push(Check {
            what: format!("{} events to one receiver", b.events),
            figure: within.map_or_else(
                || format!("not all within {} s", mode.delivery_limit.as_secs()),
                |d| format!("{:.1} s", d.as_secs_f64()),
            ),
            target: "< 10 s".into(),
            met: within.is_some_and(|d| d < Duration::from_secs(10)),
        });
    }
    if let Ok(l) = &latency {
        checks.push(Check {
            what: "commit → first attempt p99, worker idle".into(),
            figure: format!("{:.0} ms", ms(l.p99)),
            target: "< 500 ms".into(),
            met: l.p99 < Duration::from_millis(500),
        });
    }
    if let Some(max) = wal_max {
        checks.push(Check {
            what: format!(
                "-wal file through {:.0} s of writes",
                mode.wal_seconds.as_secs_f64()
            ),
            figure: format!("{:.1} MB", mb(max)),
            target: "< 64 MB".into(),
            met: mb(max) < 64.0,
        });
    }
    println!(
        "\n| target ({backend}) | figure | target | met |",
        backend = if sqlite { "SQLite" } else { "PostgreSQL" }
    );
    println!("|---|---|---|---|");
    for check in &checks {
        println!(
            "| {} | {} | {} | {} |",
            check.what,
            check.figure,
            check.target,
            if check.met { "yes" } else { "**no**" }
        );
    }
    println!("\nload average at the end: {}", load_average());
    if mode.short {
        println!("\n(short mode: the numbers are not judged, only that everything works)");
    }
    Ok(problems)
}
