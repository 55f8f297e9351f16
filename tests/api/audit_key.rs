//! The audit chain is sealed with a key kept outside the database: someone
//! who can change the database can neither rewrite the chain so that it
//! verifies nor, given an anchor kept elsewhere, cut entries off its end.

use std::process::Command;

use brug::audit::Entry;
use brug::auth::Role;
use diesel::prelude::*;

use crate::audit::{tamper, verify};
use crate::helpers::{TestApp, spawn_app};

fn brug_audit(url: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_brug"))
        .arg("audit")
        .args(args)
        .args(["--database-url", url])
        .env_remove("DATABASE_URL")
        .output()
        .expect("brug runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Every entry, in order.
async fn entries(app: &TestApp) -> Vec<Entry> {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        use brug::db::schema::audit_log::dsl::*;
        let mut conn = db.conn().expect("conn");
        audit_log
            .order(seq.asc())
            .select(Entry::as_select())
            .load(&mut *conn)
            .expect("entries")
    })
    .await
    .expect("ran")
}

/// Starts on the database as `serve` would; why it refused, if it did.
async fn restart_refused(settings: brug::config::Settings) -> Option<String> {
    tokio::task::spawn_blocking(move || {
        let db = brug::startup::open_db(&settings).expect("open");
        brug::startup::prepare(&settings, &db)
            .err()
            .map(|e| e.to_string())
    })
    .await
    .expect("ran")
}

async fn with_entries(n: usize) -> TestApp {
    let app = spawn_app().await;
    for _ in 0..n {
        app.staff_token(&[Role::Counsellor]).await;
    }
    app
}

#[tokio::test]
async fn a_chain_rewritten_and_rehashed_without_the_key_does_not_verify() {
    let app = with_entries(6).await;
    let (ok, out) = verify(&app.database.url);
    assert!(ok, "{out}");

    // What an intruder with the database but not the key can do: change an
    // entry, and recompute its hash and every later one with SHA-256, as
    // the chain was made before it was keyed.
    let all = entries(&app).await;
    let from = all.len() / 2;
    let mut prev = all[from - 1].hash.clone();
    let mut updates = Vec::new();
    for (i, entry) in all.iter().enumerate().skip(from) {
        let mut forged = entry.clone();
        if i == from {
            forged.actor_id = "someone-innocent".into();
        }
        forged.prev_hash = prev.clone();
        forged.hash = forged.expected_hash(None);
        prev = forged.hash.clone();
        updates.push(format!(
            "UPDATE audit_log SET actor_id = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
            forged.actor_id, forged.prev_hash, forged.hash, forged.seq
        ));
    }
    for sql in updates {
        tamper(&app, sql).await;
    }
    let (ok, out) = verify(&app.database.url);
    assert!(!ok, "a chain rehashed without the key must fail: {out}");
    assert!(
        out.starts_with(&format!("audit entry {} ", all[from].seq)),
        "names the first forged entry: {out}"
    );
    assert!(out.contains("not sealed with the audit key"), "{out}");

    // Rehashed under a key of the intruder's own: no better.
    let own_key = b"an intruder's own key, not ours";
    let mut prev = all[from - 1].hash.clone();
    for entry in all.iter().skip(from) {
        let mut forged = entry.clone();
        forged.prev_hash = prev.clone();
        forged.hash = forged.expected_hash(Some(own_key));
        prev = forged.hash.clone();
        tamper(
            &app,
            format!(
                "UPDATE audit_log SET actor_id = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
                forged.actor_id, forged.prev_hash, forged.hash, forged.seq
            ),
        )
        .await;
    }
    let (ok, out) = verify(&app.database.url);
    assert!(!ok, "{out}");
    assert!(
        out.starts_with(&format!("audit entry {} ", all[from].seq)),
        "{out}"
    );
}

#[tokio::test]
async fn an_anchor_proves_that_nothing_was_cut_off_the_end() {
    let app = with_entries(3).await;
    let url = app.database.url.clone();
    let (ok, anchor) = brug_audit(&url, &["anchor"]);
    assert!(ok, "{anchor}");
    let line = anchor.trim().to_owned();
    assert!(line.starts_with("brug-audit-anchor-v1 seq="), "{line}");
    let anchored_seq: i64 = line
        .split_whitespace()
        .find_map(|p| p.strip_prefix("seq="))
        .and_then(|s| s.parse().ok())
        .expect("a sequence number");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("anchor.txt");
    std::fs::write(&file, format!("{line}\n")).expect("write");
    let file = file.to_str().expect("utf-8 path").to_owned();

    // The log grows; the anchor still holds.
    for _ in 0..3 {
        app.staff_token(&[Role::Counsellor]).await;
    }
    let (ok, out) = brug_audit(&url, &["verify", "--anchor", &file]);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("anchored entry {anchored_seq} unchanged")),
        "{out}"
    );

    // Cut back to before the anchored entry: the chain that is left is
    // whole and sealed, so only the anchor can tell.
    tamper(
        &app,
        format!("DELETE FROM audit_log WHERE seq >= {anchored_seq}"),
    )
    .await;
    let (ok, out) = verify(&url);
    assert!(ok, "without the anchor a clean cut is not visible: {out}");
    let (ok, out) = brug_audit(&url, &["verify", "--anchor", &file]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("the anchored entry {anchored_seq} is gone")),
        "{out}"
    );

    // An anchor edited to point earlier is not signed.
    let forged = dir.path().join("forged.txt");
    std::fs::write(
        &forged,
        line.replace(
            &format!("seq={anchored_seq}"),
            &format!("seq={}", anchored_seq - 1),
        ),
    )
    .expect("write");
    let (ok, out) = brug_audit(
        &url,
        &["verify", "--anchor", forged.to_str().expect("utf-8 path")],
    );
    assert!(!ok, "{out}");
    assert!(out.contains("signature does not match"), "{out}");
}

#[tokio::test]
async fn the_key_file_is_private_and_a_database_sealed_with_another_key_does_not_start() {
    let app = with_entries(1).await;
    let key_path = brug::startup::audit_key_path(&app.settings).expect("path");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path)
            .expect("the key file exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{}", key_path.display());
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = app.settings.clone();
    settings.audit_key_file = Some(dir.path().join("another.key"));
    let refused = restart_refused(settings).await.expect("refused");
    assert!(refused.contains("sealed with another key"), "{refused}");
}

#[tokio::test]
async fn a_chain_rewritten_without_the_key_is_not_sealed_over_by_a_restart() {
    let app = with_entries(4).await;
    // The whole chain rewritten and rehashed with plain SHA-256, as it was
    // before the chain was keyed: what an intruder could hope a restart
    // would then seal over.
    let all = entries(&app).await;
    let mut prev = brug::audit::GENESIS.to_owned();
    for entry in &all {
        let mut forged = entry.clone();
        forged.prev_hash = prev.clone();
        forged.hash = forged.expected_hash(None);
        prev = forged.hash.clone();
        tamper(
            &app,
            format!(
                "UPDATE audit_log SET prev_hash = '{}', hash = '{}' WHERE seq = {}",
                forged.prev_hash, forged.hash, forged.seq
            ),
        )
        .await;
    }
    let settings = app.settings.clone();
    let refused = restart_refused(settings)
        .await
        .expect("a restart refuses the rewritten log");
    assert!(refused.contains("was rewritten"), "{refused}");
    let (ok, out) = verify(&app.database.url);
    assert!(!ok, "{out}");
    assert_eq!(
        entries(&app).await.len(),
        all.len(),
        "nothing was sealed over it"
    );
}
