//! What each report view costs in CPU instructions, counted by callgrind,
//! at two sizes of history side by side (issue 19): a view over one period
//! should cost the same however long the history (within 1.3×), a
//! whole-period view should grow no faster than the rows it counts.
//!
//! Milliseconds swing with whatever else the machine does; instructions do
//! not (the same binary, data and view count the same twice), so this is
//! the benchmark the bound is read from. `cargo bench --bench reports`
//! keeps the latencies.
//!
//! `cargo bench --bench report_cost` fills a fresh SQLite file per size
//! (`BENCH_YEARS`, default `10,25`; `BENCH_SEED` default 42; `BENCH_UNTIL`
//! default yesterday), then runs this binary again under
//! `valgrind --tool=callgrind` twice per view and size: once opening the
//! file and running the view once (which warms the page cache), once doing
//! the same and running it a second time. The difference between the two
//! totals is the view's cost, warm, without the start-up (the release
//! build is stripped, so callgrind cannot be pointed at a function).
//! SQLite only: PostgreSQL's work happens in its own server process, which
//! callgrind does not see. `BENCH_VIEWS` (labels separated by `;`) runs a
//! few views only, as CI's short mode does.
//!
//! For a view over one period it also prints what that period holds at
//! each size (the sum of the funnel's raw stage counts over the same
//! period and country): the demo data's last year is a different draw at
//! each size, so the cost is compared per row of the period as well.

#[allow(dead_code)] // The latency helpers serve the other benchmarks.
mod support;

use std::process::Command;

use anyhow::Context;
use brug::db::DbConn;
use brug::db::schema::return_cases;
use brug::reports::group::Grouping;
use brug::reports::{Scope, amif, funnel, overdue, partners, sustainability, who};
use chrono::{Datelike, NaiveDate};
use diesel::{QueryDsl, RunQueryDsl};

/// The views, by label; each is what its report's handler reads.
const VIEWS: [&str; 12] = [
    "funnel, 1 year",
    "funnel, 1 year, 1 country",
    "funnel, whole period",
    "funnel by age, 1 year, 1 country",
    "who (sex and age), 1 year",
    "partners, 1 year",
    "partners, 1 year, 1 country",
    "partners, whole period",
    "sustainability, 1 year, 1 country",
    "amif, last full year",
    "amif, this year",
    "overdue, 1 country",
];

/// The period and country a view reads, given the data's last day and
/// first year; `None` for a view of today's state.
fn scope_of(view: &str, until: NaiveDate, years: u32, country: &str) -> Option<Scope> {
    let year_ago = until - chrono::Duration::days(365);
    let start = until - chrono::Duration::days(365 * i64::from(years));
    let scope = |from: NaiveDate, to: NaiveDate, country: Option<&str>| {
        let (from, to) = brug::reports::scope::whole_months(from, to);
        Scope {
            from,
            to,
            country: country.map(str::to_owned),
            partner_id: None,
            requested: None,
        }
    };
    let year = |y: i32| {
        (
            NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or(until),
            NaiveDate::from_ymd_opt(y, 12, 31).unwrap_or(until),
        )
    };
    Some(match view {
        "funnel, 1 year" | "who (sex and age), 1 year" | "partners, 1 year" => {
            scope(year_ago, until, None)
        }
        "funnel, 1 year, 1 country"
        | "funnel by age, 1 year, 1 country"
        | "partners, 1 year, 1 country"
        | "sustainability, 1 year, 1 country" => scope(year_ago, until, Some(country)),
        "funnel, whole period" | "partners, whole period" => scope(start, until, None),
        "amif, last full year" => {
            let (from, to) = year(until.year() - 1);
            scope(from, to, None)
        }
        "amif, this year" => {
            let (from, _) = year(until.year());
            scope(from, until, None)
        }
        _ => return None,
    })
}

/// Runs one view as its report's handler does; the number returned keeps
/// the work from being optimised away.
fn run(
    conn: &mut DbConn,
    view: &str,
    until: NaiveDate,
    years: u32,
    country: &str,
) -> anyhow::Result<usize> {
    let scope = scope_of(view, until, years, country);
    let scope = scope.as_ref();
    Ok(match (view, scope) {
        (v, Some(scope)) if v.starts_with("funnel by age") => {
            who::who_by(conn, scope, &[Grouping::AgeBand])?
                .breakdowns
                .len()
        }
        (v, Some(scope)) if v.starts_with("funnel") => {
            let shown = funnel::shown(conn, scope)?;
            let durations = funnel::durations(conn, scope)?;
            funnel::body(&shown, &durations, scope).to_string().len()
        }
        (v, Some(scope)) if v.starts_with("who") => who::who(conn, scope)?.breakdowns.len(),
        (v, Some(scope)) if v.starts_with("partners") => partners::report(conn, scope)?.0.len(),
        (v, Some(scope)) if v.starts_with("sustainability") => {
            let visits = sustainability::scored_visits(conn, scope)?;
            let alerts = sustainability::alert_counts::alert_facts(conn, scope)?;
            let mut rows = sustainability::rows(&visits, scope);
            let cells = sustainability::alert_counts::cells(&alerts, scope);
            sustainability::alert_counts::add_alerts(&mut rows, &cells);
            rows.len()
        }
        (v, Some(scope)) if v.starts_with("amif") => {
            amif::rows(&amif::amif(conn, scope.from.year())?).len()
        }
        ("overdue, 1 country", None) => {
            let scope = Scope {
                from: until,
                to: until,
                country: Some(country.to_owned()),
                partner_id: None,
                requested: None,
            };
            overdue::overdue(conn, &scope, until, 14)?.len()
        }
        _ => anyhow::bail!("no view {view:?}"),
    })
}

/// The child's side: open the file, then run the view `runs` times.
fn measure(args: &[String]) -> anyhow::Result<()> {
    let [url, until, years, country, view, runs] = args else {
        anyhow::bail!("measure URL UNTIL YEARS COUNTRY VIEW RUNS");
    };
    let until: NaiveDate = until.parse()?;
    let years: u32 = years.parse()?;
    let runs: u32 = runs.parse()?;
    let settings = brug::config::Settings {
        database_url: brug::config::DatabaseUrl::new(url),
        ..brug::config::Settings::default()
    };
    let db = brug::startup::open_db(&settings)?;
    let mut conn = db.conn()?;
    for _ in 0..runs {
        let n = std::hint::black_box(run(&mut conn, view, until, years, country)?);
        anyhow::ensure!(n > 0, "{view}: nothing to show");
    }
    Ok(())
}

/// The instructions callgrind counts in a child that runs the view `runs`
/// times.
fn counted(
    url: &str,
    until: NaiveDate,
    years: u32,
    country: &str,
    view: &str,
    runs: u32,
) -> anyhow::Result<u64> {
    let out = tempfile::NamedTempFile::new()?;
    let exe = std::env::current_exe()?;
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.path().display()))
        .arg("--quiet")
        .arg(exe)
        .args(["measure", url, &until.to_string(), &years.to_string()])
        .args([country, view, &runs.to_string()])
        .status()
        .context("valgrind (Debian's package valgrind) must be on PATH")?;
    anyhow::ensure!(status.success(), "{view}: the measuring run failed");
    let text = std::fs::read_to_string(out.path())?;
    text.lines()
        .find_map(|l| l.strip_prefix("summary: ").or(l.strip_prefix("totals: ")))
        .and_then(|n| n.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .context("no instruction count in callgrind's output")
}

/// The instructions of one warm run of the view: a child running it twice
/// less one running it once.
fn instructions(
    url: &str,
    until: NaiveDate,
    years: u32,
    country: &str,
    view: &str,
) -> anyhow::Result<u64> {
    let once = counted(url, until, years, country, view, 1)?;
    let twice = counted(url, until, years, country, view, 2)?;
    anyhow::ensure!(twice > once, "{view}: a second run counted nothing");
    Ok(twice - once)
}

/// One view at one size: instructions, and the rows of its period.
struct Cost {
    instructions: u64,
    content: Option<i64>,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("measure") {
        return measure(&args[1..]);
    }
    anyhow::ensure!(
        std::env::var("BENCH_DATABASE_URL").is_err(),
        "report_cost counts instructions in this process: SQLite only (unset BENCH_DATABASE_URL)"
    );
    let views: Vec<String> = match std::env::var("BENCH_VIEWS") {
        Ok(v) => v.split(';').map(|s| s.trim().to_owned()).collect(),
        Err(_) => VIEWS.iter().map(|v| (*v).to_owned()).collect(),
    };
    let mut country: Option<String> = None;
    let mut runs: Vec<(u32, usize, Vec<Cost>)> = Vec::new();
    for years in support::bench_years(&[10, 25]) {
        let filled = support::filled_with(years)?;
        let mut conn = filled.db.conn()?;
        let busiest: Vec<(String, i64)> = return_cases::table
            .group_by(return_cases::destination_country)
            .select((return_cases::destination_country, diesel::dsl::count_star()))
            .load(&mut *conn)?;
        let busiest = busiest
            .into_iter()
            .max_by_key(|(_, n)| *n)
            .map(|(c, _)| c)
            .context("no return cases")?;
        let country = country.get_or_insert(busiest).clone();
        let mut costs = Vec::new();
        for view in &views {
            let instructions = instructions(
                filled.database.url(),
                filled.until,
                filled.years,
                &country,
                view,
            )?;
            // What the period holds: the funnel's raw stage counts.
            let content = match scope_of(view, filled.until, filled.years, &country) {
                Some(scope) if !view.contains("whole period") => {
                    let f = funnel::funnel(&mut conn, &scope)?;
                    Some(funnel::stages(&f).iter().map(|(_, n)| n).sum())
                }
                _ => None,
            };
            println!("  {view:<36} {:>14} instructions", instructions);
            costs.push(Cost {
                instructions,
                content,
            });
        }
        runs.push((years, filled.rows, costs));
    }
    let country = country.unwrap_or_default();
    println!("\nmillions of instructions per view; country = {country}");
    let mut header = format!("{:<36}", "view");
    for (years, _, _) in &runs {
        header.push_str(&format!(" {:>9}", format!("{years} y")));
    }
    let compare = runs.len() > 1;
    if compare {
        header.push_str(&format!(" {:>7}", "ratio"));
        for (years, _, _) in &runs {
            header.push_str(&format!(" {:>10}", format!("rows {years} y")));
        }
        header.push_str(&format!(" {:>8}", "per row"));
    }
    println!("{header}");
    let mut rows_line = format!("{:<36}", "rows (every table)");
    for (_, rows, _) in &runs {
        rows_line.push_str(&format!(" {rows:>9}"));
    }
    if let (Some(first), Some(last)) = (runs.first(), runs.last())
        && compare
    {
        rows_line.push_str(&format!(" {:>7.2}", last.1 as f64 / first.1 as f64));
    }
    println!("{rows_line}");
    for (i, view) in views.iter().enumerate() {
        let mut line = format!("{view:<36}");
        for (_, _, costs) in &runs {
            let m = costs.get(i).map_or(0.0, |c| c.instructions as f64 / 1e6);
            line.push_str(&format!(" {m:>9.1}"));
        }
        if let (Some((_, _, first)), Some((_, _, last))) = (runs.first(), runs.last())
            && compare
            && let (Some(f), Some(l)) = (first.get(i), last.get(i))
        {
            let ratio = l.instructions as f64 / (f.instructions as f64).max(1.0);
            line.push_str(&format!(" {ratio:>7.2}"));
            if let (Some(a), Some(b)) = (f.content, l.content) {
                let rows = b as f64 / (a as f64).max(1.0);
                line.push_str(&format!(" {a:>10} {b:>10} {:>8.2}", ratio / rows));
            }
        }
        println!("{line}");
    }
    Ok(())
}
