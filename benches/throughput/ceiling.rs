//! The machine's ceiling for one small insert per durable transaction, on
//! connections opened exactly as Brug opens them (`Target::establish`: on
//! SQLite WAL, `synchronous=FULL`, `busy_timeout`, ...).
//!
//! SQLite: one writer (`BEGIN IMMEDIATE; INSERT; COMMIT`), in a file of its
//! own beside the benchmark's database (same disk). PostgreSQL: 32
//! connections at once (`BEGIN; INSERT; COMMIT`), in a table of the
//! benchmark's database that is dropped afterwards.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use brug::db::{DbConn, Target};
use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::{Connection, RunQueryDsl};

pub struct Ceiling {
    pub inserts_per_sec: f64,
    pub connections: usize,
}

const PAYLOAD: &str = "a small row: about the size of an audit entry's fixed fields, 64 B";

pub fn sqlite(path: &Path, duration: Duration) -> anyhow::Result<Ceiling> {
    let target = Target::Sqlite(path.display().to_string());
    let DbConn::Sqlite(mut conn) = target.establish()? else {
        anyhow::bail!("not an SQLite connection");
    };
    conn.batch_execute(
        "CREATE TABLE ceiling (id INTEGER PRIMARY KEY, at TEXT NOT NULL, payload TEXT NOT NULL)",
    )?;
    let insert = |conn: &mut diesel::SqliteConnection| -> anyhow::Result<()> {
        conn.batch_execute("BEGIN IMMEDIATE")?;
        diesel::sql_query("INSERT INTO ceiling (at, payload) VALUES (?, ?)")
            .bind::<Text, _>(chrono::Utc::now().to_rfc3339())
            .bind::<Text, _>(PAYLOAD)
            .execute(conn)?;
        conn.batch_execute("COMMIT")?;
        Ok(())
    };
    // A moment of warm-up, then the measured window.
    let warm = Instant::now() + Duration::from_millis(200);
    while Instant::now() < warm {
        insert(&mut conn)?;
    }
    let started = Instant::now();
    let mut count = 0u64;
    while started.elapsed() < duration {
        insert(&mut conn)?;
        count += 1;
    }
    let inserts_per_sec = count as f64 / started.elapsed().as_secs_f64();
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(Ceiling {
        inserts_per_sec,
        connections: 1,
    })
}

pub fn postgres(url: &str, connections: usize, duration: Duration) -> anyhow::Result<Ceiling> {
    let target = Target::Postgres(url.to_owned());
    {
        let mut conn = target.establish()?;
        conn.batch_execute(
            "DROP TABLE IF EXISTS bench_ceiling; \
             CREATE TABLE bench_ceiling (id BIGSERIAL PRIMARY KEY, at TEXT NOT NULL, payload TEXT NOT NULL)",
        )?;
    }
    let mut conns = Vec::with_capacity(connections);
    for _ in 0..connections {
        let DbConn::Pg(conn) = target.establish()? else {
            anyhow::bail!("not a PostgreSQL connection");
        };
        conns.push(conn);
    }
    let count = AtomicU64::new(0);
    let start = Instant::now() + Duration::from_millis(200);
    let end = start + duration;
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let mut threads = Vec::new();
        for mut conn in conns {
            let count = &count;
            threads.push(scope.spawn(move || -> anyhow::Result<()> {
                loop {
                    conn.transaction(|conn| {
                        diesel::sql_query("INSERT INTO bench_ceiling (at, payload) VALUES ($1, $2)")
                            .bind::<Text, _>(chrono::Utc::now().to_rfc3339())
                            .bind::<Text, _>(PAYLOAD)
                            .execute(conn)
                    })?;
                    let now = Instant::now();
                    if now > end {
                        return Ok(());
                    }
                    if now >= start {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
        for thread in threads {
            thread
                .join()
                .map_err(|_| anyhow::anyhow!("an insert thread panicked"))??;
        }
        Ok(())
    })?;
    let mut conn = target.establish()?;
    conn.batch_execute("DROP TABLE bench_ceiling")?;
    Ok(Ceiling {
        inserts_per_sec: count.load(Ordering::Relaxed) as f64 / duration.as_secs_f64(),
        connections,
    })
}
