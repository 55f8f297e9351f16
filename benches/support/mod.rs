//! What the latency benchmarks share: a database made (and dropped) for
//! the run, filled with demo data as `brug demo-data` fills it, and the
//! percentile arithmetic.

use std::path::Path;
use std::time::{Duration, Instant};

use brug::config::{DatabaseUrl, Settings};
use brug::db::Db;
use brug::startup;
use diesel::{Connection, RunQueryDsl};

pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The database under test, dropped at the end.
pub enum BenchDb {
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
    pub fn create() -> anyhow::Result<Self> {
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

    pub fn url(&self) -> &str {
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

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    // Nearest rank.
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A database filled with `BENCH_YEARS` (default 10; the first, when it
/// lists several) of demo data up to `BENCH_UNTIL` (default yesterday),
/// seed `BENCH_SEED` (default 42), ready to serve; prints what it did.
pub struct Filled {
    pub database: BenchDb,
    pub settings: Settings,
    pub db: Db,
    pub until: chrono::NaiveDate,
    pub years: u32,
    /// The rows the demo wrote, over every table.
    pub rows: usize,
}

/// The sizes `BENCH_YEARS` asks for: one (`10`) or several (`10,25`).
pub fn bench_years(default: &[u32]) -> Vec<u32> {
    let asked: Vec<u32> = std::env::var("BENCH_YEARS")
        .ok()
        .map(|v| v.split(',').filter_map(|y| y.trim().parse().ok()).collect())
        .unwrap_or_default();
    if asked.is_empty() {
        default.to_vec()
    } else {
        asked
    }
}

#[allow(dead_code)] // Used by the pages benchmark, not the reports one.
pub fn filled() -> anyhow::Result<Filled> {
    filled_with(bench_years(&[10])[0])
}

pub fn filled_with(years: u32) -> anyhow::Result<Filled> {
    let database = BenchDb::create()?;
    let seed: u64 = env_or("BENCH_SEED", 42);
    let until = std::env::var("BENCH_UNTIL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| chrono::Utc::now().date_naive() - chrono::Duration::days(1));
    let settings = Settings {
        database_url: DatabaseUrl::new(database.url()),
        addr: "127.0.0.1:0".into(),
        partners_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("partners"),
        workers: 2,
        insecure_cookies: true,
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
    Ok(Filled {
        database,
        settings,
        db,
        until,
        years,
        rows: total,
    })
}
