//! Report latency over ten years of demo data, through the real HTTP stack.
//!
//! `cargo bench --bench reports` runs on an SQLite file in a temp dir;
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/brug_bench cargo
//! bench --bench reports` on PostgreSQL (the database named is dropped and
//! created afresh, then dropped again). `BENCH_YEARS` (default 10),
//! `BENCH_SEED` (default 42), `BENCH_UNTIL` (default yesterday) and
//! `BENCH_REQUESTS` (default 60 per report) change the run. It prints the
//! fill time, the rows per table, and the median and p95 latency of each
//! report; BENCHMARKS.md keeps the numbers.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use brug::auth::Role;
use brug::config::{DatabaseUrl, Settings};
use brug::db::schema::return_cases;
use brug::startup::{self, Application};
use diesel::{Connection, QueryDsl, RunQueryDsl};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The database under test, dropped at the end.
enum BenchDb {
    Sqlite {
        url: String,
        _dir: tempfile::TempDir,
    },
    Postgres {
        url: String,
        admin: String,
        name: String,
    },
}

impl BenchDb {
    fn create() -> anyhow::Result<Self> {
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
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}", dir.path().join("bench.sqlite").display());
                Ok(BenchDb::Sqlite { url, _dir: dir })
            }
        }
    }

    fn url(&self) -> &str {
        match self {
            BenchDb::Sqlite { url, .. } | BenchDb::Postgres { url, .. } => url,
        }
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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    // Nearest rank.
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; nothing else is expected.
    let database = BenchDb::create()?;
    let years: u32 = env_or("BENCH_YEARS", 10);
    let seed: u64 = env_or("BENCH_SEED", 42);
    let requests: usize = env_or("BENCH_REQUESTS", 60);
    let until = std::env::var("BENCH_UNTIL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| chrono::Utc::now().date_naive() - chrono::Duration::days(1));
    let settings = Settings {
        database_url: DatabaseUrl::new(database.url()),
        addr: "127.0.0.1:0".into(),
        partners_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("partners"),
        workers: 2,
        ..Settings::default()
    };
    let backend = if database.url().starts_with("postgres") {
        "postgresql"
    } else {
        "sqlite"
    };
    println!("backend: {backend}; {years} years up to {until}, seed {seed}");

    let db = startup::open_db(&settings)?;
    let started = Instant::now();
    startup::prepare(&settings, &db)?;
    let prepared = started.elapsed();
    let model = brug::monitoring::Model::load(None).map_err(anyhow::Error::msg)?;
    let rules = brug::demo::Rules {
        sla: &settings.sla,
        checklist: &settings.checklist,
        monitoring_months: &settings.monitoring_schedule_months,
        model: &model,
    };
    let options = brug::demo::Options { years, seed, until };
    let started = Instant::now();
    let counts = brug::demo::store::fill(&db, options, &rules, chrono::Utc::now())?;
    let filled = started.elapsed();
    println!(
        "migrate + partner sync: {:.2} s; demo fill: {:.1} s",
        prepared.as_secs_f64(),
        filled.as_secs_f64()
    );
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    for (table, rows) in &counts {
        println!("  {table:<26} {rows:>9}");
    }
    println!("  {:<26} {total:>9}", "total");

    // The busiest destination, for the country-filtered variants.
    let destinations: Vec<String> = return_cases::table
        .select(return_cases::destination_country)
        .load(&mut *db.conn()?)?;
    let mut tally = std::collections::BTreeMap::<String, usize>::new();
    for country in destinations {
        *tally.entry(country).or_default() += 1;
    }
    let country = tally
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(c, _)| c.clone())
        .context("no return cases")?;

    let token = db.write_blocking(|conn| {
        brug::auth::commands::add_user(
            conn,
            "bench-lead@example.org",
            None,
            &[Role::Lead],
            chrono::Utc::now(),
        )
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let app = Application::build(settings, db, None)?;
        let base = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let start = until - chrono::Duration::days(365 * i64::from(years));
        let year_ago = until - chrono::Duration::days(365);
        let last_year = chrono::Datelike::year(&until) - 1;
        let cases: Vec<(String, String, bool)> = vec![
            (
                "funnel, whole period".into(),
                format!("funnel?from={start}&to={until}"),
                false,
            ),
            (
                "funnel, 1 year, 1 country".into(),
                format!("funnel?from={year_ago}&to={until}&country={country}"),
                false,
            ),
            (
                "funnel, whole period, CSV".into(),
                format!("funnel?from={start}&to={until}"),
                true,
            ),
            (
                "partners, whole period".into(),
                format!("partners?from={start}&to={until}"),
                false,
            ),
            (
                "partners, 1 year, 1 country".into(),
                format!("partners?from={year_ago}&to={until}&country={country}"),
                false,
            ),
            ("overdue, all".into(), "overdue".into(), false),
            (
                "overdue, 1 country".into(),
                format!("overdue?country={country}"),
                false,
            ),
            (
                "sustainability, whole period".into(),
                format!("sustainability?from={start}&to={until}"),
                false,
            ),
            (
                "sustainability, 1 year, 1 country".into(),
                format!("sustainability?from={year_ago}&to={until}&country={country}"),
                false,
            ),
            (
                "amif, last full year".into(),
                format!("amif?year={last_year}"),
                false,
            ),
            ("amif, this year".into(), "amif".into(), false),
        ];
        println!("\n{requests} requests per report, one at a time; country = {country}");
        println!(
            "{:<36} {:>10} {:>10} {:>10}",
            "report", "median ms", "p95 ms", "bytes"
        );
        let mut worst = Duration::ZERO;
        for (label, path, csv) in cases {
            let url = format!("{base}/api/v1/reports/{path}");
            let mut times = Vec::with_capacity(requests);
            let mut bytes = 0;
            for i in 0..requests + 3 {
                let mut request = client.get(&url).bearer_auth(&token.secret);
                if csv {
                    request = request.header("accept", "text/csv");
                }
                let began = Instant::now();
                let response = request.send().await?;
                let status = response.status();
                let body = response.bytes().await?;
                let took = began.elapsed();
                anyhow::ensure!(status.is_success(), "{url}: {status}");
                bytes = body.len();
                // The first three warm the caches and the pool.
                if i >= 3 {
                    times.push(took);
                }
            }
            times.sort();
            let p95 = percentile(&times, 0.95);
            worst = worst.max(p95);
            println!(
                "{label:<36} {:>10.1} {:>10.1} {bytes:>10}",
                ms(percentile(&times, 0.5)),
                ms(p95)
            );
        }
        println!("\nworst p95: {:.1} ms (target < 100 ms)", ms(worst));
        handle.stop(true).await;
        anyhow::Ok(())
    })?;
    drop(database);
    Ok(())
}
