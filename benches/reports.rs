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

mod support;

use std::time::{Duration, Instant};

use anyhow::Context;
use brug::auth::Role;
use brug::db::schema::return_cases;
use brug::startup::Application;
use diesel::{QueryDsl, RunQueryDsl};
use support::{env_or, ms, percentile};

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; nothing else is expected.
    let support::Filled {
        database,
        settings,
        db,
        until,
        years,
    } = support::filled()?;
    let requests: usize = env_or("BENCH_REQUESTS", 60);
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
