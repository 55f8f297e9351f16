//! Nothing acknowledged is lost: a client that got its 201 finds its record
//! after the server was killed (`kill -9`) in the middle of a burst of
//! writes and started again, round after round, on either database.

use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::cli::{brug, free_addr, text, wait_until_ready};
use crate::helpers::{partners_dir, test_database};

const ROUNDS: usize = 10;
const WRITERS: usize = 8;

fn start(url: &str, addr: &str) -> Child {
    brug()
        .args(["serve", "--no-worker"])
        .env("DATABASE_URL", url)
        .env("BRUG_ADDR", addr)
        .env("BRUG_PARTNERS_DIR", partners_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("brug serve starts")
}

/// Writers register clients as fast as they can until told to stop; each
/// returns the ids the server acknowledged with 201.
async fn write_until(
    stop: Arc<AtomicBool>,
    acked: Arc<AtomicUsize>,
    base: String,
    token: String,
    writer: usize,
) -> Vec<String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let mut acknowledged = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let body = json!({
            "given_name": format!("Durable{writer}x{n}"),
            "family_name": "Example",
            "date_of_birth": "1990-01-01",
            "country_of_origin": "GH",
            "languages": ["en"],
            "confirm_not_duplicate": true
        });
        let sent = client
            .post(format!("{base}/api/v1/clients"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().as_u16() == 201 => {
                if let Ok(created) = response.json::<serde_json::Value>().await
                    && let Some(id) = created["id"].as_str()
                {
                    acknowledged.push(id.to_owned());
                    acked.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok(response) if !stop.load(Ordering::Relaxed) => {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                panic!("a write was refused, not lost: {status} {body}");
            }
            // The server is gone: what it did not answer was never promised.
            Ok(_) | Err(_) => {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    acknowledged
}

/// `brug serve` on a fresh database, ready, with a counsellor's token:
/// (database, address, server, token).
async fn serving(email: &str) -> (crate::helpers::TestDatabase, String, Child, String) {
    let database = test_database();
    let addr = free_addr();
    let mut server = start(&database.url, &addr);
    assert!(wait_until_ready(&mut server, &addr).await, "never ready");
    let out = brug()
        .args(["user", "add", email, "--role", "counsellor"])
        .env("DATABASE_URL", &database.url)
        .output()
        .expect("brug user add");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_owned();
    (database, addr, server, token)
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9_mid_load() {
    let (database, addr, mut server, token) = serving("durable@example.org").await;
    let base = format!("http://{addr}");

    let mut all_acknowledged: Vec<String> = Vec::new();
    for round in 0..ROUNDS {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(AtomicUsize::new(0));
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                tokio::spawn(write_until(
                    stop.clone(),
                    acked.clone(),
                    base.clone(),
                    token.clone(),
                    round * WRITERS + w,
                ))
            })
            .collect();
        // Mid-load: once writes are being acknowledged, and while more are
        // in flight, the process dies (a little later each round).
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while acked.load(Ordering::Relaxed) == 0 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(150 + 40 * round as u64)).await;
        server.kill().expect("kill -9");
        let _ = server.wait();
        stop.store(true, Ordering::Relaxed);
        let mut this_round = Vec::new();
        for writer in writers {
            this_round.extend(writer.await.expect("writer"));
        }
        assert!(!this_round.is_empty(), "round {round} acknowledged nothing");

        server = start(&database.url, &addr);
        assert!(
            wait_until_ready(&mut server, &addr).await,
            "not ready after round {round}"
        );
        let lost = missing(&base, &token, &this_round).await;
        assert!(
            lost.is_empty(),
            "round {round}: {} of {} acknowledged clients are lost: {lost:?}",
            lost.len(),
            this_round.len()
        );
        all_acknowledged.extend(this_round);
    }
    // And none of the earlier rounds' went missing in a later crash.
    let lost = missing(&base, &token, &all_acknowledged).await;
    let _ = server.kill();
    let _ = server.wait();
    assert!(lost.is_empty(), "lost in a later round: {lost:?}");
}

/// The ids among `ids` that the server does not know.
async fn missing(base: &str, token: &str, ids: &[String]) -> Vec<String> {
    let client = reqwest::Client::new();
    let mut lost = Vec::new();
    for chunk in ids.chunks(16) {
        let checks = chunk.iter().map(|id| {
            let request = client
                .get(format!("{base}/api/v1/clients/{id}"))
                .bearer_auth(token)
                .send();
            async move { (id, request.await.map(|r| r.status().as_u16()).ok()) }
        });
        for (id, status) in futures_util::future::join_all(checks).await {
            if status != Some(200) {
                lost.push(format!("{id} ({status:?})"));
            }
        }
    }
    lost
}

/// SIGTERM while a request is in flight: the server stops taking new
/// connections, answers the request it is reading (its body still coming
/// in), commits it, and only then exits, cleanly.
#[tokio::test]
async fn a_request_in_flight_at_sigterm_is_answered_and_kept() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (database, addr, mut server, token) = serving("late@example.org").await;
    let base = format!("http://{addr}");

    let body = json!({
        "given_name": "Laatkomer", "family_name": "Example", "date_of_birth": "1990-01-01",
        "country_of_origin": "GH", "languages": ["en"]
    })
    .to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /api/v1/clients HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    stream
        .write_all(first.as_bytes())
        .await
        .expect("half a body");
    tokio::time::sleep(Duration::from_millis(300)).await;

    let terminated = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(server.id().to_string())
        .status()
        .expect("kill -TERM");
    assert!(terminated.success());
    tokio::time::sleep(Duration::from_millis(500)).await;
    // No new connection is taken any more...
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    assert!(
        quick.get(format!("{base}/healthz")).send().await.is_err(),
        "a new request was taken after SIGTERM"
    );
    assert!(
        server.try_wait().expect("status").is_none(),
        "the server left with a request in flight"
    );

    // ...but the one in flight is answered, even when its body takes a
    // while longer (actix looks at what is left once a second).
    tokio::time::sleep(Duration::from_millis(2000)).await;
    stream.write_all(rest.as_bytes()).await.expect("the rest");
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_string(&mut answer))
        .await
        .expect("answered in time")
        .expect("read");
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let created: serde_json::Value = serde_json::from_str(
        answer
            .split_once("\r\n\r\n")
            .map(|(_, body)| body)
            .unwrap_or_default(),
    )
    .expect("a client in the answer");
    let id = created["id"].as_str().expect("id").to_owned();

    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.try_wait().expect("status") {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "stopped with {status}");

    // What it answered, it kept.
    let mut server = start(&database.url, &addr);
    assert!(
        wait_until_ready(&mut server, &addr).await,
        "not ready again"
    );
    assert!(
        missing(&base, &token, &[id]).await.is_empty(),
        "the client is lost"
    );
    let _ = server.kill();
    let _ = server.wait();
}
