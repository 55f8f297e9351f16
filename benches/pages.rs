//! Staff UI page latency over ten years of demo data, through the real
//! HTTP stack with a signed-in session, beside `/login` measured in the
//! same run (the machine is shared: the ratio holds when the milliseconds
//! swing).
//!
//! `cargo bench --bench pages` on an SQLite file in a temp dir;
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/brug_bench cargo
//! bench --bench pages` on PostgreSQL (that database is dropped, created and
//! dropped again). `BENCH_YEARS`, `BENCH_SEED`, `BENCH_UNTIL` as for the
//! reports bench; `BENCH_REQUESTS` (default 60 per page). Prints each page's
//! median and p95, its size with the stylesheet against the 50 KB budget,
//! and the worst p95 against the 20 ms target (BENCHMARKS.md).

#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};

use anyhow::Context;
use brug::audit::Actor;
use brug::cases::CaseStatus;
use brug::db::schema::{clients, return_cases, talks, user_roles, users};
use brug::startup::Application;
use diesel::dsl::count_star;
use diesel::prelude::*;
use support::{env_or, ms, percentile};

const PASSWORD: &str = "benchmark passphrase";
const TARGET_MS: f64 = 20.0;
/// The dashboards' target at p95 (issue 19).
const DASHBOARD_MS: f64 = 100.0;
const BUDGET_BYTES: usize = 50 * 1024;

/// The demo user of `role` who holds the most of `count`.
fn busiest(conn: &mut brug::db::DbConn, role: &str) -> anyhow::Result<(String, String)> {
    let people: Vec<(String, String)> = users::table
        .inner_join(user_roles::table)
        .filter(user_roles::role.eq(role))
        .select((users::id, users::email))
        .load(conn)?;
    let load = |conn: &mut brug::db::DbConn, id: &str| -> anyhow::Result<i64> {
        Ok(match role {
            "counsellor" => clients::table
                .filter(clients::counsellor_id.eq(id))
                .select(count_star())
                .first(conn)?,
            "caseworker" => return_cases::table
                .filter(return_cases::caseworker_id.eq(id))
                .filter(return_cases::status.eq(CaseStatus::Open.as_str()))
                .select(count_star())
                .first(conn)?,
            _ => 0,
        })
    };
    let mut best = None;
    for (id, email) in people {
        let n = load(conn, &id)?;
        if best.as_ref().is_none_or(|(m, _, _)| n > *m) {
            best = Some((n, id, email));
        }
    }
    let (n, id, email) = best.context("no such demo user")?;
    println!("  busiest {role}: {n} records");
    Ok((id, email))
}

/// Signs in through the form; the cookie header to send.
async fn sign_in(client: &reqwest::Client, base: &str, email: &str) -> anyhow::Result<String> {
    let page = client.get(format!("{base}/login")).send().await?;
    let form_cookie = page
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.split(';').next().filter(|p| p.starts_with("brug_form=")))
        .context("no form cookie")?
        .to_owned();
    let html = page.text().await?;
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).context("no csrf field")? + marker.len();
    let token = &html[start..start + html[start..].find('"').context("csrf end")?];
    let body = serde_urlencoded::to_string([
        ("csrf", token),
        ("email", email),
        ("password", PASSWORD),
        ("next", "/"),
    ])?;
    let answer = client
        .post(format!("{base}/login"))
        .header(reqwest::header::COOKIE, &form_cookie)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body)
        .send()
        .await?;
    anyhow::ensure!(
        answer.status().as_u16() == 303,
        "sign-in: {}",
        answer.status()
    );
    let session = answer
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.split(';')
                .next()
                .filter(|p| p.starts_with("brug_session="))
        })
        .context("no session cookie")?
        .to_owned();
    Ok(session)
}

struct Timed {
    median: Duration,
    p95: Duration,
    bytes: usize,
}

async fn time(
    client: &reqwest::Client,
    url: &str,
    cookie: Option<&str>,
    requests: usize,
) -> anyhow::Result<Timed> {
    let mut times = Vec::with_capacity(requests);
    let mut bytes = 0;
    for i in 0..requests + 3 {
        let mut request = client.get(url);
        if let Some(cookie) = cookie {
            request = request.header(reqwest::header::COOKIE, cookie);
        }
        let began = Instant::now();
        let response = request.send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        let took = began.elapsed();
        anyhow::ensure!(status.is_success(), "{url}: {status}");
        bytes = body.len();
        if i >= 3 {
            times.push(took);
        }
    }
    times.sort();
    Ok(Timed {
        median: percentile(&times, 0.5),
        p95: percentile(&times, 0.95),
        bytes,
    })
}

fn main() -> anyhow::Result<()> {
    let filled = support::filled()?;
    let requests: usize = env_or("BENCH_REQUESTS", 60);
    let db = filled.db.clone();
    let mut conn = db.conn()?;
    let (counsellor, counsellor_email) = busiest(&mut conn, "counsellor")?;
    let (_, caseworker_email) = busiest(&mut conn, "caseworker")?;
    let (_, lead_email) = {
        let lead: (String, String) = users::table
            .inner_join(user_roles::table)
            .filter(user_roles::role.eq("lead"))
            .select((users::id, users::email))
            .first(&mut conn)?;
        lead
    };
    // The counsellor's client with the most talks, and the busiest open case.
    let client_id: String = talks::table
        .inner_join(clients::table)
        .filter(clients::counsellor_id.eq(&counsellor))
        .group_by(talks::client_id)
        .order(count_star().desc())
        .select(talks::client_id)
        .first(&mut conn)?;
    let talk_id: String = talks::table
        .filter(talks::client_id.eq(&client_id))
        .select(talks::id)
        .first(&mut conn)?;
    let case_id: String = return_cases::table
        .filter(return_cases::status.eq(CaseStatus::Open.as_str()))
        .order(return_cases::opened_at.asc())
        .select(return_cases::id)
        .first(&mut conn)?;
    // The partner with the most referrals, for its scorecard and filter.
    let partner_id: String = brug::db::schema::referrals::table
        .group_by(brug::db::schema::referrals::partner_id)
        .order(count_star().desc())
        .select(brug::db::schema::referrals::partner_id)
        .first(&mut conn)?;
    let (first, last) = (
        (filled.until - chrono::Duration::days(365 * i64::from(filled.years))).format("%Y-%m"),
        filled.until.format("%Y-%m"),
    );
    drop(conn);
    for email in [&counsellor_email, &caseworker_email, &lead_email] {
        let email = email.clone();
        db.write_blocking(|conn| {
            brug::auth::sessions::set_password(
                conn,
                &Actor::cli(),
                &email,
                PASSWORD,
                chrono::Utc::now(),
            )
        })?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let settings = filled.settings.clone();
    runtime.block_on(async move {
        let app = Application::build(settings, db, None)?;
        let base = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()?;
        let css = client
            .get(format!("{base}/static/brug.css"))
            .send()
            .await?
            .bytes()
            .await?
            .len();
        let counsellor = sign_in(&client, &base, &counsellor_email).await?;
        let caseworker = sign_in(&client, &base, &caseworker_email).await?;
        let lead = sign_in(&client, &base, &lead_email).await?;
        let pages: Vec<(&str, String, &str)> = vec![
            ("My work, counsellor", "/".into(), &counsellor),
            ("clients, mine", "/clients".into(), &counsellor),
            ("client, most talks", format!("/clients/{client_id}"), &counsellor),
            ("talk", format!("/talks/{talk_id}"), &counsellor),
            ("register a client", "/clients/new".into(), &counsellor),
            ("record consent", format!("/clients/{client_id}/consents/new"), &counsellor),
            ("My work, caseworker", "/".into(), &caseworker),
            ("return case", format!("/return-cases/{case_id}"), &caseworker),
            ("partners", "/partners".into(), &caseworker),
            ("team", "/team".into(), &lead),
        ];
        // The ceiling measured in the same run: the sign-in page, a
        // template rendered with no session and no query.
        let health = time(&client, &format!("{base}/login"), None, requests).await?;
        println!(
            "\n{requests} requests per page, one at a time; /login (no session, no query) in the same run: median {:.2} ms, p95 {:.2} ms",
            ms(health.median),
            ms(health.p95)
        );
        println!(
            "{:<28} {:>9} {:>8} {:>11} {:>12} {:>10}",
            "page", "median ms", "p95 ms", "p95/login", "HTML+CSS KB", "of 50 KB"
        );
        let (mut worst, mut heaviest) = (Duration::ZERO, 0usize);
        for (label, path, cookie) in pages {
            let timed = time(&client, &format!("{base}{path}"), Some(cookie), requests).await?;
            worst = worst.max(timed.p95);
            heaviest = heaviest.max(timed.bytes + css);
            println!(
                "{label:<28} {:>9.1} {:>8.1} {:>11.1} {:>12.1} {:>9.0}%",
                ms(timed.median),
                ms(timed.p95),
                ms(timed.p95) / ms(health.p95).max(0.001),
                (timed.bytes + css) as f64 / 1024.0,
                100.0 * (timed.bytes + css) as f64 / BUDGET_BYTES as f64
            );
        }
        println!(
            "\nworst p95: {:.1} ms ({:.2} of the {TARGET_MS} ms target); heaviest page with CSS: {:.1} KB ({:.0}% of 50 KB)",
            ms(worst),
            ms(worst) / TARGET_MS,
            heaviest as f64 / 1024.0,
            100.0 * heaviest as f64 / BUDGET_BYTES as f64
        );
        // The leads' dashboards: each over the last twelve months (the
        // default) and over the whole history, under 100 ms at p95.
        let partner = partner_id.clone();
        let dashboards: Vec<(&str, String)> = vec![
            ("overview, 12 months", "/dashboards".into()),
            ("overview, whole history", format!("/dashboards?from={first}&to={last}")),
            ("overview, 12 months, 1 partner", format!("/dashboards?partner_id={partner}")),
            ("partners, 12 months", "/dashboards/partners".into()),
            ("partners, whole history", format!("/dashboards/partners?from={first}&to={last}")),
            ("scorecard, last quarter", format!("/dashboards/partners/{partner}")),
            ("overdue", "/dashboards/overdue".into()),
            ("sustainability, 12 months", "/dashboards/sustainability".into()),
            ("who, 12 months", "/dashboards/who".into()),
            ("who, 12 months, 1 partner", format!("/dashboards/who?partner_id={partner}")),
            ("overview as CSV", "/dashboards?format=csv".into()),
        ];
        println!(
            "\n{:<34} {:>9} {:>8} {:>11} {:>12}",
            "dashboard", "median ms", "p95 ms", "p95/login", "HTML+CSS KB"
        );
        let mut worst_dashboard = Duration::ZERO;
        for (label, path) in dashboards {
            let timed = time(&client, &format!("{base}{path}"), Some(&lead), requests).await?;
            worst_dashboard = worst_dashboard.max(timed.p95);
            println!(
                "{label:<34} {:>9.1} {:>8.1} {:>11.1} {:>12.1}",
                ms(timed.median),
                ms(timed.p95),
                ms(timed.p95) / ms(health.p95).max(0.001),
                (timed.bytes + css) as f64 / 1024.0,
            );
        }
        println!(
            "\nworst dashboard p95: {:.1} ms ({:.2} of the {DASHBOARD_MS} ms target)",
            ms(worst_dashboard),
            ms(worst_dashboard) / DASHBOARD_MS,
        );
        handle.stop(true).await;
        anyhow::Ok(())
    })?;
    drop(filled.database);
    Ok(())
}
