//! Report latency over years of demo data, through the real HTTP stack, at
//! two sizes of history side by side: a view over one period should cost
//! the same however long the history, and a whole-period view should grow
//! no faster than the rows it counts (issue 19).
//!
//! `cargo bench --bench reports` runs on an SQLite file in a temp dir;
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/brug_bench cargo
//! bench --bench reports` on PostgreSQL (the database named is dropped and
//! created afresh, then dropped again). `BENCH_YEARS` (default `10,25`: a
//! fresh database for each size, one after the other; one size, e.g. `1`,
//! prints one column), `BENCH_SEED` (default 42), `BENCH_UNTIL` (default
//! yesterday) and `BENCH_REQUESTS` (default 60 per report) change the run.
//! It prints the fill time, the rows per table, and the median and p95
//! latency of each report at each size, with the ratio of the p95s; for a
//! view over one period also what that period holds at each size (the sum
//! of the funnel's stage counts over it: the demo data's last year is a
//! different draw at each size) and the ratio per row of the period.
//! BENCHMARKS.md keeps the numbers.

mod support;

use std::time::{Duration, Instant};

use anyhow::Context;
use brug::auth::Role;
use brug::db::schema::return_cases;
use brug::startup::Application;
use diesel::{QueryDsl, RunQueryDsl};
use support::{env_or, ms, percentile};

/// One report at one size: its label and p95, and for a view over a
/// period, what that period holds: the sum of the funnel's stage counts
/// over the same period and country (the talks, cases, referrals, steps and
/// visits it reads). The demo data's last year is not the same draw at
/// every size, so a period view's cost is compared per row of its period
/// too.
struct Measured {
    label: String,
    p95: Duration,
    content: Option<i64>,
}

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; nothing else is expected.
    let sizes = support::bench_years(&[10, 25]);
    let mut runs: Vec<(u32, usize, Vec<Measured>)> = Vec::new();
    // The busiest destination of the first size, for the country-filtered
    // variants of every size (the same country, so the sizes compare).
    let mut country: Option<String> = None;
    for years in sizes {
        let (rows, measured) = run(years, &mut country)?;
        runs.push((years, rows, measured));
    }
    let country = country.unwrap_or_default();
    println!("\np95 (ms) by years of history; country = {country}");
    let mut header = format!("{:<36}", "report");
    for (years, _, _) in &runs {
        header.push_str(&format!(" {:>10}", format!("{years} y")));
    }
    if runs.len() > 1 {
        header.push_str(&format!(" {:>8}", "ratio"));
        for (years, _, _) in &runs {
            header.push_str(&format!(" {:>10}", format!("rows {years} y")));
        }
        header.push_str(&format!(" {:>10}", "per row"));
    }
    println!("{header}");
    let mut rows_line = format!("{:<36}", "rows (every table)");
    for (_, rows, _) in &runs {
        rows_line.push_str(&format!(" {rows:>10}"));
    }
    if let (Some(first), Some(last)) = (runs.first(), runs.last())
        && runs.len() > 1
    {
        rows_line.push_str(&format!(" {:>8.2}", last.1 as f64 / first.1 as f64));
    }
    println!("{rows_line}");
    if let Some((_, _, first)) = runs.first() {
        for (i, m) in first.iter().enumerate() {
            let mut line = format!("{:<36}", m.label);
            for (_, _, measured) in &runs {
                let p95 = measured.get(i).map_or(0.0, |m| ms(m.p95));
                line.push_str(&format!(" {p95:>10.1}"));
            }
            if let Some((_, _, last)) = runs.last()
                && runs.len() > 1
                && let Some(l) = last.get(i)
            {
                let ratio = ms(l.p95) / ms(m.p95).max(0.001);
                line.push_str(&format!(" {ratio:>8.2}"));
                // A period view: its period's rows at each size, and its
                // cost ratio per row of the period.
                if let (Some(first), Some(last)) = (m.content, l.content) {
                    line.push_str(&format!(" {first:>10} {last:>10}"));
                    let rows = last as f64 / (first as f64).max(1.0);
                    line.push_str(&format!(" {:>10.2}", ratio / rows));
                }
            }
            println!("{line}");
        }
    }
    Ok(())
}

/// Fills a fresh database with `years` of demo data, requests each report,
/// prints what it measured and drops the database.
fn run(years: u32, country: &mut Option<String>) -> anyhow::Result<(usize, Vec<Measured>)> {
    let support::Filled {
        database,
        settings,
        db,
        until,
        years,
        rows,
    } = support::filled_with(years)?;
    let requests: usize = env_or("BENCH_REQUESTS", 60);
    // The busiest destination, for the country-filtered variants.
    let destinations: Vec<String> = return_cases::table
        .select(return_cases::destination_country)
        .load(&mut *db.conn()?)?;
    let mut tally = std::collections::BTreeMap::<String, usize>::new();
    for country in destinations {
        *tally.entry(country).or_default() += 1;
    }
    let busiest = tally
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(c, _)| c.clone())
        .context("no return cases")?;
    let country = country.get_or_insert(busiest).clone();

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
    let measured = runtime.block_on(async move {
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
        // Each view with the funnel of its period and country, whose
        // stage counts say what the period holds (none for a view of
        // today's state or of the whole history).
        let funnel_1y = format!("funnel?from={year_ago}&to={until}");
        let funnel_1y_country = format!("funnel?from={year_ago}&to={until}&country={country}");
        let funnel_last_year = format!("funnel?from={last_year}-01-01&to={last_year}-12-31");
        let this_year = chrono::Datelike::year(&until);
        let funnel_this_year = format!("funnel?from={this_year}-01-01&to={until}");
        let period_of = |label: &str| -> Option<String> {
            match label {
                "funnel, 1 year" | "partners, 1 year" => Some(funnel_1y.clone()),
                "funnel, 1 year, 1 country"
                | "funnel by age, 1 year, 1 country"
                | "partners, 1 year, 1 country"
                | "sustainability, 1 year, 1 country" => Some(funnel_1y_country.clone()),
                "amif, last full year" => Some(funnel_last_year.clone()),
                "amif, this year" => Some(funnel_this_year.clone()),
                _ => None,
            }
        };
        let cases: Vec<(String, String, bool)> = vec![
            (
                "funnel, whole period".into(),
                format!("funnel?from={start}&to={until}"),
                false,
            ),
            (
                "funnel, 1 year".into(),
                format!("funnel?from={year_ago}&to={until}"),
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
                "funnel by age, 1 year, 1 country".into(),
                format!("funnel?from={year_ago}&to={until}&country={country}&by=age_band"),
                false,
            ),
            (
                "partners, 1 year".into(),
                format!("partners?from={year_ago}&to={until}"),
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
        let mut measured = Vec::new();
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
            let content = match period_of(&label) {
                Some(path) => {
                    let url = format!("{base}/api/v1/reports/{path}");
                    let funnel: serde_json::Value = client
                        .get(&url)
                        .bearer_auth(&token.secret)
                        .send()
                        .await?
                        .error_for_status()?
                        .json()
                        .await?;
                    // Hidden counts ("<5") are too few to matter here.
                    let rows = funnel
                        .as_object()
                        .map(|stages| stages.values().filter_map(serde_json::Value::as_i64).sum())
                        .unwrap_or(0);
                    Some(rows)
                }
                None => None,
            };
            measured.push(Measured {
                label,
                p95,
                content,
            });
        }
        println!("\nworst p95: {:.1} ms (target < 100 ms)", ms(worst));
        handle.stop(true).await;
        anyhow::Ok(measured)
    })?;
    drop(database);
    Ok((rows, measured))
}
