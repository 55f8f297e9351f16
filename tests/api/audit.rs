//! The audit log: written with every change, readable by admins, and its
//! hash chain breaks when any row is altered or removed in the database.

use std::process::Command;

use brug::auth::Role;
use brug::db::DbConn;
use diesel::RunQueryDsl;
use serde_json::Value;

use crate::helpers::{problem, spawn_app};

pub fn verify(url: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_brug"))
        .args(["audit", "verify", "--database-url", url])
        .env_remove("DATABASE_URL")
        .output()
        .expect("brug runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Changes the database behind the application's back, as an intruder with
/// database access could: the append-only trigger is dropped first.
pub async fn tamper(app: &crate::helpers::TestApp, sql: String) {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.conn().expect("conn");
        let drop_trigger = match &*conn {
            DbConn::Sqlite(_) => {
                "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;"
            }
            DbConn::Pg(_) => "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;",
        };
        diesel::connection::SimpleConnection::batch_execute(&mut *conn, drop_trigger)
            .expect("drop trigger");
        diesel::sql_query(sql).execute(&mut *conn).expect("tamper");
    })
    .await
    .expect("ran");
}

/// A sequence number in the middle of the log.
async fn middle_seq(app: &crate::helpers::TestApp) -> i64 {
    let db = app.db.clone();
    let newest = tokio::task::spawn_blocking(move || {
        let mut conn = db.conn().expect("conn");
        brug::audit::store::list(&mut conn, &Default::default(), None, 1).expect("list")
    })
    .await
    .expect("ran");
    let last = newest.first().map(|e| e.seq).expect("a non-empty log");
    assert!(last > 4, "enough entries to pick from: {last}");
    last / 2
}

#[tokio::test]
async fn the_application_cannot_edit_the_log() {
    let app = spawn_app().await;
    let db = app.db.clone();
    let refused = tokio::task::spawn_blocking(move || {
        let mut conn = db.conn().expect("conn");
        diesel::sql_query("UPDATE audit_log SET outcome = 'denied'")
            .execute(&mut *conn)
            .is_err()
    })
    .await
    .expect("ran");
    assert!(refused, "the append-only trigger refuses updates");
}

#[tokio::test]
async fn verify_passes_untouched_and_names_an_altered_row() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.staff_token(&[Role::Counsellor]).await;
    }
    let (ok, out) = verify(&app.database.url);
    assert!(ok, "{out}");
    assert!(out.contains("audit entries verified"), "{out}");

    let seq = middle_seq(&app).await;
    tamper(
        &app,
        format!("UPDATE audit_log SET subject_id = 'someone-else' WHERE seq = {seq}"),
    )
    .await;
    let (ok, out) = verify(&app.database.url);
    assert!(!ok, "an altered row must fail: {out}");
    assert!(out.starts_with(&format!("audit entry {seq} ")), "{out}");
}

#[tokio::test]
async fn verify_names_the_gap_of_a_deleted_row() {
    let app = spawn_app().await;
    app.staff_token(&[Role::Counsellor]).await;
    let seq = middle_seq(&app).await;
    tamper(&app, format!("DELETE FROM audit_log WHERE seq = {seq}")).await;
    let (ok, out) = verify(&app.database.url);
    assert!(!ok, "{out}");
    assert!(
        out.starts_with(&format!("audit entry {} ", seq + 1)),
        "{out}"
    );
    assert!(out.contains("missing"), "{out}");
}

#[tokio::test]
async fn admins_read_the_log_by_subject_and_actor_and_it_holds_no_names() {
    let app = spawn_app().await;
    let admin = app.staff_token(&[Role::Admin]).await;
    let page: Value = app
        .get_as(
            Some(&admin),
            "/api/v1/audit?subject_type=partner&subject_id=kabul-return-support",
        )
        .await
        .json()
        .await
        .expect("json");
    let items = page["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["operation"], "partners.add");
    assert_eq!(items[0]["actor_type"], "system");

    let page: Value = app
        .get_as(Some(&admin), "/api/v1/audit?subject_type=user&limit=1")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let next: Value = app
        .get_as(
            Some(&admin),
            &format!("/api/v1/audit?subject_type=user&limit=1&cursor={cursor}"),
        )
        .await
        .json()
        .await
        .expect("json");
    assert!(
        next["items"][0]["seq"].as_i64() < page["items"][0]["seq"].as_i64(),
        "newest first"
    );

    let text = app
        .get_as(Some(&admin), "/api/v1/audit?limit=500")
        .await
        .text()
        .await
        .expect("text");
    assert!(
        !text.contains("@example.org"),
        "the log holds ids, not emails"
    );

    let lead = app.staff_token(&[Role::Lead]).await;
    problem(app.get_as(Some(&lead), "/api/v1/audit").await, 403).await;
}

/// Audited reads run beside each other on read connections, and their
/// entries reach the log through the one writer: every read is recorded
/// once, naming who read what under which operation, and the chain stays
/// unbroken.
#[tokio::test]
async fn concurrent_reads_are_each_recorded_once_and_the_chain_holds() {
    let stage = crate::referrals::Stage::new().await;
    let referral = stage.accepted_referral().await;
    let app = &stage.app;
    let admin = app.staff_token(&[Role::Admin]).await;
    let client_path = format!("/api/v1/clients/{}", stage.client_id);
    let referral_path = format!("/partner/v1/referrals/{referral}");
    let reads = (0..24).map(|i| {
        let (token, path) = if i % 2 == 0 {
            (stage.caseworker.clone(), client_path.clone())
        } else {
            (stage.accra.clone(), referral_path.clone())
        };
        let url = app.url(&path);
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    });
    let statuses: Vec<Option<u16>> = futures_util::future::join_all(reads)
        .await
        .into_iter()
        .map(Result::ok)
        .collect();
    assert_eq!(statuses, vec![Some(200); 24]);

    let entries = |query: String| {
        let admin = admin.clone();
        async move {
            let body: Value = app
                .get_as(Some(&admin), &format!("/api/v1/audit?limit=500&{query}"))
                .await
                .json()
                .await
                .expect("json");
            body["items"].as_array().cloned().unwrap_or_default()
        }
    };
    let client_reads: Vec<Value> = entries(format!("subject_id={}", stage.client_id))
        .await
        .into_iter()
        .filter(|e| e["operation"] == "clients.get")
        .collect();
    assert_eq!(client_reads.len(), 12, "{client_reads:?}");
    assert!(client_reads.iter().all(|e| e["actor_type"] == "staff"
        && e["subject_type"] == "client"
        && e["outcome"] == "ok"));
    let partner_reads: Vec<Value> = entries(format!("subject_id={referral}"))
        .await
        .into_iter()
        .filter(|e| e["operation"] == "partner.referrals.get")
        .collect();
    assert_eq!(partner_reads.len(), 12, "{partner_reads:?}");
    assert!(partner_reads.iter().all(|e| e["actor_type"] == "partner"
        && e["actor_id"] == crate::referrals::ACCRA
        && e["subject_type"] == "referral"));
    let (intact, report) = verify(&app.database.url);
    assert!(intact, "{report}");
}
