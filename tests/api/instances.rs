//! Several `brug serve` processes on one database, each with its own
//! writer: every rule still holds without one lock over all writes (on
//! PostgreSQL there is none; on SQLite the database file's own lock).

use std::process::{Child, Stdio};

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::cli::{brug, free_addr, stop, wait_until_ready};
use crate::helpers::partners_dir;
use crate::referrals::{ACCRA, Stage, day, ok};

/// Running `brug serve` processes on one database, stopped when dropped.
struct Instances {
    running: Vec<(Child, String)>,
    client: reqwest::Client,
}

impl Instances {
    async fn start(database_url: &str, count: usize) -> Self {
        let mut running = Vec::new();
        for _ in 0..count {
            let addr = free_addr();
            let mut child = brug()
                .arg("serve")
                .env("DATABASE_URL", database_url)
                .env("BRUG_ADDR", &addr)
                .env("BRUG_PARTNERS_DIR", partners_dir())
                .env("RUST_LOG", "warn")
                // On PostgreSQL, several writers in each process as well.
                .env("BRUG_PG_WRITERS", "3")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn brug serve");
            assert!(wait_until_ready(&mut child, &addr).await, "instance ready");
            running.push((child, addr));
        }
        Self {
            running,
            client: reqwest::Client::new(),
        }
    }

    /// A request to instance `n`.
    fn request(
        &self,
        n: usize,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        let (_, addr) = &self.running[n % self.running.len()];
        self.client
            .request(method, format!("http://{addr}{path}"))
            .bearer_auth(token)
    }

    /// The same POST sent to every instance at once; the statuses, in
    /// instance order.
    async fn race(&self, token: &str, path: &str, body: Value) -> Vec<u16> {
        let sends = (0..self.running.len()).map(|n| {
            self.request(n, reqwest::Method::POST, path, token)
                .json(&body)
                .send()
        });
        futures_util::future::join_all(sends)
            .await
            .into_iter()
            .map(|r| r.map(|r| r.status().as_u16()).unwrap_or(0))
            .collect()
    }
}

impl Drop for Instances {
    fn drop(&mut self) {
        for (child, _) in &mut self.running {
            stop(child);
        }
    }
}

/// Exactly one 200 and the rest 409.
fn one_wins(statuses: &[u16], what: &str) {
    let mut sorted = statuses.to_vec();
    sorted.sort_unstable();
    assert_eq!(sorted, [200, 409], "{what}: {statuses:?}");
}

#[tokio::test]
async fn two_instances_moving_one_referral_at_once_one_wins_and_the_other_gets_409() {
    let stage = Stage::new().await;
    let instances = Instances::start(&stage.app.database.url, 2).await;
    let mut referrals = Vec::new();
    for round in 0..4 {
        let referral = ok(stage.refer(ACCRA, &stage.consent_id).await, 201).await;
        let id = referral["id"].as_str().expect("id").to_owned();
        let step = |action: &str| format!("/partner/v1/referrals/{id}/{action}");
        one_wins(
            &instances
                .race(&stage.accra, &step("acknowledge"), json!({}))
                .await,
            &format!("acknowledge, round {round}"),
        );
        one_wins(
            &instances
                .race(&stage.accra, &step("accept"), json!({"note": "Yes."}))
                .await,
            &format!("accept, round {round}"),
        );
        one_wins(
            &instances
                .race(
                    &stage.caseworker,
                    &format!("/api/v1/referrals/{id}/cancel"),
                    json!({"reason": "Test round over."}),
                )
                .await,
            &format!("cancel, round {round}"),
        );
        referrals.push(id);
    }

    // Each step happened once: once in the history, one checklist, one
    // event each for the partner.
    let case = ok(
        stage
            .get(
                &stage.caseworker,
                &format!("/api/v1/return-cases/{}", stage.case_id),
            )
            .await,
        200,
    )
    .await;
    for id in &referrals {
        let referral = case["referrals"]
            .as_array()
            .and_then(|all| all.iter().find(|r| r["id"] == id.as_str()))
            .unwrap_or_else(|| panic!("{id} in the case: {case}"));
        assert_eq!(referral["status"], "cancelled");
        let statuses: Vec<&str> = referral["history"]
            .as_array()
            .expect("history")
            .iter()
            .filter_map(|h| h["status"].as_str())
            .collect();
        assert_eq!(
            statuses,
            ["requested", "received", "accepted", "cancelled"],
            "{referral}"
        );
    }
    let ids = referrals.clone();
    let checklists: Vec<i64> = stage
        .app
        .write(move |conn, _| {
            use brug::db::schema::checklist_items::dsl::*;
            use diesel::prelude::*;
            let mut counts = Vec::new();
            for one in &ids {
                counts.push(
                    checklist_items
                        .filter(referral_id.eq(one))
                        .count()
                        .get_result::<i64>(conn)?,
                );
            }
            Ok(counts)
        })
        .await;
    assert!(checklists[0] > 0, "{checklists:?}");
    assert!(
        checklists.iter().all(|n| *n == checklists[0]),
        "one checklist per acceptance: {checklists:?}"
    );
    let feed = ok(
        stage
            .get(&stage.accra, "/partner/v1/events?limit=200")
            .await,
        200,
    )
    .await;
    let events: Vec<(String, String)> = feed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["data"]["referral_id"].as_str().unwrap_or("").to_owned(),
                e["type"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    for id in &referrals {
        let kinds: Vec<&str> = events
            .iter()
            .filter(|(r, _)| r == id)
            .map(|(_, t)| t.as_str())
            .collect();
        assert_eq!(
            kinds,
            [
                "referral.requested",
                "referral.acknowledged",
                "referral.accepted",
                "referral.cancelled"
            ],
            "{id}"
        );
    }
}

#[tokio::test]
async fn four_instances_making_a_thousand_audited_requests_each_keep_one_chain() {
    let stage = Stage::new().await;
    let referral = stage.accepted_referral().await;
    let counsellor = stage.app.staff_token(&[brug::auth::Role::Counsellor]).await;
    let instances = Instances::start(&stage.app.database.url, 4).await;
    let client_path = format!("/api/v1/clients/{}", stage.client_id);
    let referral_path = format!("/partner/v1/referrals/{referral}");
    let talks_path = format!("/api/v1/clients/{}/talks", stage.client_id);

    // Per instance: 1,000 requests, 8 at a time: a tenth of them record a
    // talk, a third read the referral as its partner, the rest read the
    // client as a caseworker.
    let requests = (0..4usize).flat_map(|instance| (0..1000usize).map(move |i| (instance, i)));
    let statuses: Vec<(usize, u16)> = futures_util::stream::iter(requests)
        .map(|(instance, i)| {
            let request = if i.is_multiple_of(10) {
                instances
                    .request(instance, reqwest::Method::POST, &talks_path, &counsellor)
                    .json(&json!({
                        "held_on": day(-1), "mode": "phone", "topics": ["return"],
                        "intention": "undecided", "duration_minutes": 20
                    }))
            } else if i % 3 == 1 {
                instances.request(instance, reqwest::Method::GET, &referral_path, &stage.accra)
            } else {
                instances.request(
                    instance,
                    reqwest::Method::GET,
                    &client_path,
                    &stage.caseworker,
                )
            };
            async move {
                let status = request.send().await.map(|r| r.status().as_u16());
                (i, status.unwrap_or(0))
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let wanted = |i: usize| if i.is_multiple_of(10) { 201 } else { 200 };
    let wrong: Vec<&(usize, u16)> = statuses.iter().filter(|(i, s)| *s != wanted(*i)).collect();
    assert!(
        wrong.is_empty(),
        "{} answers were wrong: {wrong:?}",
        wrong.len()
    );
    drop(instances);

    // Every request is in the one chain, once, and the chain is unbroken.
    let counts = stage
        .app
        .write(|conn, _| {
            use brug::db::schema::audit_log::dsl::*;
            use diesel::prelude::*;
            let count = |op: &str, conn: &mut brug::db::DbConn| {
                audit_log
                    .filter(operation.eq(op))
                    .count()
                    .get_result::<i64>(conn)
            };
            Ok((
                count("clients.get", conn)?,
                count("partner.referrals.get", conn)?,
                count("talks.create", conn)?,
            ))
        })
        .await;
    // Per instance: 100 talks; of the other 900, i % 3 == 1 for 300.
    assert_eq!(counts, (4 * 600, 4 * 300, 4 * 100 + 1));
    let out = brug()
        .args(["audit", "verify", "--database-url", &stage.app.database.url])
        .output()
        .expect("brug runs");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    assert!(report.contains("audit entries verified"), "{report}");
}
