//! `brug backup` and `brug restore`, run as an operator would: a copy
//! taken while the service is being written to holds every row committed
//! before it began and an audit log that verifies; a restore never lands on
//! a database that holds data without --force; an encrypted backup shows
//! nothing in clear and opens only, and only whole, with its key.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use brug::auth::Role;
use brug::db::Target;
use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Text};
use serde_json::json;

use crate::cli::{brug, text};
use crate::helpers::{TestApp, spawn_app, test_database};

/// Runs `brug ARGS --database-url URL` with `env` on a blocking thread.
async fn run(args: &[&str], url: &str, env: &[(&str, &Path)]) -> Output {
    let mut command = brug();
    command.args(args).arg("--database-url").arg(url);
    command.env_remove("BRUG_KEY_FILE");
    command.env_remove("BRUG_AUDIT_KEY_FILE");
    for (name, value) in env {
        command.env(name, value);
    }
    tokio::task::spawn_blocking(move || command.output().expect("brug runs"))
        .await
        .expect("ran")
}

fn said(out: &Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

async fn new_client(app: &TestApp, token: &str, given: &str, family: &str) -> String {
    let client = app
        .post_ok(
            token,
            "/api/v1/clients",
            json!({"given_name": given, "family_name": family, "date_of_birth": "1990-04-05",
                   "country_of_origin": "GH", "languages": ["en"]}),
        )
        .await;
    client["id"].as_str().expect("id").to_owned()
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    family_name: String,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The clients of the database at `url`, as (id, family name).
async fn clients_in(url: &str) -> Vec<(String, String)> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = Target::parse(&url)
            .expect("url")
            .establish()
            .expect("connect");
        diesel::sql_query("SELECT id, family_name FROM clients")
            .load::<Name>(&mut conn)
            .expect("clients")
            .into_iter()
            .map(|n| (n.id, n.family_name))
            .collect()
    })
    .await
    .expect("ran")
}

/// Tables in the database at `url` (none in a fresh one).
async fn tables_in(url: &str) -> i64 {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let target = Target::parse(&url).expect("url");
        if let Target::Sqlite(path) = &target
            && !Path::new(path).exists()
        {
            return 0;
        }
        let mut conn = target.establish().expect("connect");
        let sql = match target {
            Target::Sqlite(_) => {
                "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%'"
            }
            Target::Postgres(_) => {
                "SELECT count(*) AS n FROM pg_catalog.pg_tables \
                 WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            }
        };
        diesel::sql_query(sql)
            .get_result::<Count>(&mut conn)
            .expect("count")
            .n
    })
    .await
    .expect("ran")
}

/// The audit key of the app's database, as an absolute path.
fn audit_key(app: &TestApp) -> PathBuf {
    let path = brug::startup::audit_key_path(&app.settings).expect("key path");
    std::env::current_dir().expect("cwd").join(path)
}

/// `brug audit verify` on the database at `url` under the app's audit key.
async fn verify(app: &TestApp, url: &str) -> Output {
    let key = audit_key(app);
    run(&["audit", "verify"], url, &[("BRUG_AUDIT_KEY_FILE", &key)]).await
}

#[tokio::test]
async fn a_backup_under_write_load_restores_every_row_committed_before_it_began() {
    let app = spawn_app().await;
    let counsellor = app.staff_token(&[Role::Counsellor]).await;
    // (client id, when its creation was answered)
    let committed: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let writer =
        {
            let (client, base, token, committed) = (
                app.client.clone(),
                app.address.clone(),
                counsellor.clone(),
                committed.clone(),
            );
            tokio::spawn(async move {
                let mut n = 0;
                while !*stopped.borrow_and_update() {
                    n += 1;
                    let answer = client
                    .post(format!("{base}/api/v1/clients"))
                    .bearer_auth(&token)
                    .json(&json!({"given_name": "Loadtest", "family_name": format!("Schrijver {n}"),
                                  "date_of_birth": "1991-01-01", "country_of_origin": "GH",
                                  "languages": ["en"]}))
                    .send()
                    .await
                    .expect("sent");
                    assert_eq!(answer.status().as_u16(), 201);
                    let body: serde_json::Value = answer.json().await.expect("json");
                    let id = body["id"].as_str().expect("id").to_owned();
                    committed.lock().expect("lock").push((id, Instant::now()));
                }
            })
        };
    while committed.lock().expect("lock").len() < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("brug.backup");
    let began = Instant::now();
    let before: HashSet<String> = committed
        .lock()
        .expect("lock")
        .iter()
        .map(|(id, _)| id.clone())
        .collect();
    let out = run(
        &["backup", file.to_str().expect("path")],
        &app.database.url,
        &[],
    )
    .await;
    let ended = Instant::now();
    assert!(out.status.success(), "{}", said(&out));
    // Let a few more land after it, then stop writing.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stop.send(true).expect("writer listens");
    writer.await.expect("the writer ran without a failed write");
    let all = committed.lock().expect("lock").clone();
    let during = all
        .iter()
        .filter(|(_, at)| *at > began && *at < ended)
        .count();
    assert!(during > 0, "clients were written while the backup ran");

    let copy = test_database();
    let out = run(&["restore", file.to_str().expect("path")], &copy.url, &[]).await;
    assert!(out.status.success(), "{}", said(&out));
    let restored: HashSet<String> = clients_in(&copy.url)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let missing: Vec<&String> = before.difference(&restored).collect();
    assert!(
        missing.is_empty(),
        "committed before the backup, not in it: {missing:?}"
    );
    let created: HashSet<String> = all.into_iter().map(|(id, _)| id).collect();
    assert!(
        restored.is_subset(&created),
        "the copy holds only real clients"
    );
    assert!(
        restored.len() < created.len(),
        "what came after is not in it"
    );

    let out = verify(&app, &copy.url).await;
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        said(&out).contains("audit entries verified"),
        "{}",
        said(&out)
    );
}

#[tokio::test]
async fn a_restore_replaces_a_database_that_holds_data_only_with_force() {
    let app = spawn_app().await;
    let counsellor = app.staff_token(&[Role::Counsellor]).await;
    new_client(&app, &counsellor, "Marit", "Eerstbewaard").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let first = dir.path().join("first.backup");
    let second = dir.path().join("second.backup");
    let out = run(
        &["backup", first.to_str().expect("path")],
        &app.database.url,
        &[],
    )
    .await;
    assert!(out.status.success(), "{}", said(&out));
    new_client(&app, &counsellor, "Joost", "Laterbijgekomen").await;
    let out = run(
        &["backup", second.to_str().expect("path")],
        &app.database.url,
        &[],
    )
    .await;
    assert!(out.status.success(), "{}", said(&out));
    // A backup never replaces a file.
    let out = run(
        &["backup", first.to_str().expect("path")],
        &app.database.url,
        &[],
    )
    .await;
    assert!(!out.status.success());
    assert!(said(&out).contains("exists already"), "{}", said(&out));

    let copy = test_database();
    let out = run(&["restore", first.to_str().expect("path")], &copy.url, &[]).await;
    assert!(out.status.success(), "{}", said(&out));
    let families = |clients: Vec<(String, String)>| {
        let mut names: Vec<String> = clients.into_iter().map(|(_, f)| f).collect();
        names.sort();
        names
    };
    assert_eq!(families(clients_in(&copy.url).await), ["Eerstbewaard"]);

    let out = run(&["restore", second.to_str().expect("path")], &copy.url, &[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        said(&out).contains("is not empty") && said(&out).contains("add --force"),
        "{}",
        said(&out)
    );
    assert_eq!(
        families(clients_in(&copy.url).await),
        ["Eerstbewaard"],
        "the refused restore changed nothing"
    );

    let out = run(
        &["restore", second.to_str().expect("path"), "--force"],
        &copy.url,
        &[],
    )
    .await;
    assert!(out.status.success(), "{}", said(&out));
    assert_eq!(
        families(clients_in(&copy.url).await),
        ["Eerstbewaard", "Laterbijgekomen"]
    );
    let out = verify(&app, &copy.url).await;
    assert!(out.status.success(), "{}", said(&out));

    if app.database.is_postgres() {
        // Without PostgreSQL's client tools the command says what it needs.
        let nowhere = dir.path().join("no-tools");
        let third = dir.path().join("third.backup");
        let out = run(
            &["backup", third.to_str().expect("path")],
            &app.database.url,
            &[("PATH", nowhere.as_path())],
        )
        .await;
        assert!(!out.status.success());
        assert!(
            said(&out).contains("pg_dump is not installed"),
            "{}",
            said(&out)
        );
        assert!(!third.exists());
    } else {
        // The running service has the file open: replacing it under the
        // service would lose what it writes next.
        let out = run(
            &["restore", first.to_str().expect("path"), "--force"],
            &app.database.url,
            &[],
        )
        .await;
        assert!(!out.status.success());
        assert!(said(&out).contains("is in use"), "{}", said(&out));
        assert_eq!(clients_in(&app.database.url).await.len(), 2);
    }
}

#[tokio::test]
async fn an_encrypted_backup_shows_nothing_in_clear_and_opens_only_whole_with_its_key() {
    let app = spawn_app().await;
    let counsellor = app.staff_token(&[Role::Counsellor]).await;
    new_client(&app, &counsellor, "Zebedeus", "Quillfeather").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = dir.path().join("brug.keys");
    let with_keys = [("BRUG_KEY_FILE", keys.as_path())];
    let out = run(&["keys", "add"], &app.database.url, &with_keys).await;
    assert!(out.status.success(), "{}", said(&out));
    let key_id = text(&out.stdout).trim().to_owned();
    assert!(key_id.starts_with('k'), "{key_id}");
    let key_text = std::fs::read_to_string(&keys).expect("key file");

    // Without a key file there is nothing to encrypt with.
    let file = dir.path().join("sealed.backup");
    let out = run(
        &["backup", "--encrypt", file.to_str().expect("path")],
        &app.database.url,
        &[],
    )
    .await;
    assert!(!out.status.success());
    assert!(said(&out).contains("key_file"), "{}", said(&out));

    let out = run(
        &["backup", "--encrypt", file.to_str().expect("path")],
        &app.database.url,
        &with_keys,
    )
    .await;
    assert!(out.status.success(), "{}", said(&out));
    let sealed = std::fs::read(&file).expect("backup");
    let contains =
        |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(&sealed, b"Quillfeather"));
    assert!(!contains(&sealed, b"Zebedeus"));
    let hex_key = key_text
        .lines()
        .find_map(|l| l.split_once(" = \"").filter(|(id, _)| id.trim() == key_id))
        .map(|(_, v)| v.trim_end_matches('"').to_owned())
        .expect("the key in the file");
    assert!(
        !contains(&sealed, hex_key.as_bytes()),
        "the key is not in the backup"
    );
    assert!(
        contains(&sealed[..64], key_id.as_bytes()),
        "the header names the key"
    );
    if !app.database.is_postgres() {
        // The same backup in clear shows the name: the search above can find it.
        let plain = dir.path().join("plain.backup");
        let out = run(
            &["backup", plain.to_str().expect("path")],
            &app.database.url,
            &[],
        )
        .await;
        assert!(out.status.success(), "{}", said(&out));
        assert!(contains(
            &std::fs::read(&plain).expect("plain"),
            b"Quillfeather"
        ));
    }

    let copy = test_database();
    // Another key under the same id: the backup does not open.
    let wrong = dir.path().join("wrong.keys");
    std::fs::write(
        &wrong,
        format!(
            "current = \"{key_id}\"\n[keys]\n{key_id} = \"{}\"\n",
            "ab".repeat(32)
        ),
    )
    .expect("write");
    let out = run(
        &["restore", file.to_str().expect("path")],
        &copy.url,
        &[("BRUG_KEY_FILE", wrong.as_path())],
    )
    .await;
    assert!(!out.status.success());
    assert!(said(&out).contains("cannot be decrypted"), "{}", said(&out));
    assert_eq!(tables_in(&copy.url).await, 0, "nothing was restored");

    // One byte changed in the middle: refused, nothing restored.
    let flipped = dir.path().join("flipped.backup");
    let mut bytes = sealed.clone();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&flipped, &bytes).expect("write");
    let out = run(
        &["restore", flipped.to_str().expect("path")],
        &copy.url,
        &with_keys,
    )
    .await;
    assert!(!out.status.success());
    assert!(said(&out).contains("altered or damaged"), "{}", said(&out));
    assert_eq!(tables_in(&copy.url).await, 0, "nothing was restored");

    // Cut short: refused too.
    let cut = dir.path().join("cut.backup");
    std::fs::write(&cut, &sealed[..sealed.len() - 1000]).expect("write");
    let out = run(
        &["restore", cut.to_str().expect("path")],
        &copy.url,
        &with_keys,
    )
    .await;
    assert!(!out.status.success());
    assert_eq!(tables_in(&copy.url).await, 0, "nothing was restored");

    let out = run(
        &["restore", file.to_str().expect("path")],
        &copy.url,
        &with_keys,
    )
    .await;
    assert!(out.status.success(), "{}", said(&out));
    let names: Vec<String> = clients_in(&copy.url)
        .await
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    assert_eq!(names, ["Quillfeather"]);
    let out = verify(&app, &copy.url).await;
    assert!(out.status.success(), "{}", said(&out));
}
