//! The `brug` binary, run as a user would.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{partners_dir, test_database};

pub fn brug() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_brug"));
    for var in [
        "DATABASE_URL",
        "BRUG_CONFIG",
        "BRUG_ADDR",
        "BRUG_PARTNERS_DIR",
        "BRUG_WEBHOOK_ALLOW_LOCAL",
        "BRUG_WEBHOOK_RETRY_SCHEDULE",
        "RUST_LOG",
    ] {
        command.env_remove(var);
    }
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("brug runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn version_and_help() {
    let out = run(brug().arg("--version"));
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout).trim(),
        format!("brug {}", env!("CARGO_PKG_VERSION"))
    );
    let out = run(brug().arg("--help"));
    for command in ["serve", "migrate", "config", "partners"] {
        assert!(text(&out.stdout).contains(command), "help lacks {command}");
    }
}

#[test]
fn the_shipped_partner_directory_passes_the_check() {
    let out = run(brug().args(["partners", "check"]).arg(partners_dir()));
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stderr).contains("no problems"));
}

#[test]
fn a_bad_country_code_fails_the_check_naming_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(partners_dir())
        .expect("read")
        .filter_map(|e| e.ok())
    {
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
    }
    let file = dir.path().join("kumasi-homecoming-initiative.toml");
    let text_before = std::fs::read_to_string(&file).expect("read");
    std::fs::write(
        &file,
        text_before.replace("country = \"GH\"", "country = \"QQ\""),
    )
    .expect("write");

    let out = run(brug().args(["partners", "check"]).arg(dir.path()));
    assert_eq!(out.status.code(), Some(1));
    let expected = format!(
        "{}:15: service_areas[0].country: `QQ` is not an ISO 3166-1 alpha-2 country code",
        file.display()
    );
    assert!(
        text(&out.stdout).contains(&expected),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(text(&out.stdout).lines().count(), 1, "only the one problem");
}

#[test]
fn config_shows_the_layers_and_hides_the_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("brug.toml");
    std::fs::write(&file, "addr = \"0.0.0.0:9999\"\ndb_pool_size = 3\n").expect("write");
    let out = run(brug()
        .arg("config")
        .arg("--config")
        .arg(&file)
        .env(
            "DATABASE_URL",
            "postgres://brug:hunter2@db.example.org/brug",
        )
        .env("BRUG_PARTNERS_DIR", "/srv/partners"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("addr = \"0.0.0.0:9999\""), "{shown}");
    assert!(shown.contains("db_pool_size = 3"), "{shown}");
    assert!(
        shown.contains("partners_dir = \"/srv/partners\""),
        "{shown}"
    );
    assert!(
        shown.contains("postgres://brug:***@db.example.org/brug"),
        "{shown}"
    );
    assert!(!shown.contains("hunter2"));
}

#[test]
fn neither_config_nor_the_start_up_log_shows_a_password_in_any_url_form() {
    let dir = tempfile::tempdir().expect("tempdir");
    // libpq's multi-host form, a password in the query and a key passphrase;
    // nothing listens on port 1, so the server gives up connecting.
    let url = "postgres://brug:hunter2@127.0.0.1:1,127.0.0.2:1/brug\
               ?password=hunter3&sslpassword=hunter4";
    let shown = run(brug().arg("config").env("DATABASE_URL", url));
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    let config = text(&shown.stdout);
    assert!(
        config.contains(
            "database_url = \"postgres://brug:***@127.0.0.1:1,127.0.0.2:1/brug\
             ?password=***&sslpassword=***\""
        ),
        "{config}"
    );
    let mut serve = brug()
        .arg("serve")
        .current_dir(dir.path())
        .env("DATABASE_URL", url)
        .env("BRUG_ADDR", free_addr())
        .env("BRUG_DB_TIMEOUT_SECS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn brug serve");
    std::thread::sleep(Duration::from_secs(3));
    let _ = serve.kill();
    let out = serve.wait_with_output().expect("output");
    let log = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(log.contains("starting brug"), "{log}");
    assert!(log.contains("postgres://brug:***@127.0.0.1:1"), "{log}");
    assert!(!log.contains("hunter"), "{log}");
    assert!(!config.contains("hunter"), "{config}");
}

pub fn free_addr() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    format!("127.0.0.1:{}", addr.port())
}

/// Waits for `/readyz` to answer 200; returns false if the process ends first.
pub async fn wait_until_ready(child: &mut Child, addr: &str) -> bool {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if let Ok(response) = client.get(format!("http://{addr}/readyz")).send().await
            && response.status().as_u16() == 200
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

pub fn stop(child: &mut Child) -> std::process::ExitStatus {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("brug did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `brug serve` with the test's database: SQLite in an empty directory by
/// default, or a fresh PostgreSQL database.
#[tokio::test]
async fn serve_starts_on_a_fresh_database_and_stops_on_sigterm() {
    let work = tempfile::tempdir().expect("tempdir");
    let database = test_database();
    let addr = free_addr();
    let mut command = brug();
    command
        .arg("serve")
        .current_dir(work.path())
        .env("BRUG_ADDR", &addr)
        .env("BRUG_PARTNERS_DIR", partners_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if database.is_postgres() {
        command.env("DATABASE_URL", &database.url);
    }
    let mut child = command.spawn().expect("spawn");
    let ready = wait_until_ready(&mut child, &addr).await;
    // A search for a name: the name must not reach the log.
    let searched = reqwest::Client::new()
        .get(format!(
            "http://{addr}/api/v1/clients?q=Zarifa-Invented&country=GH"
        ))
        .send()
        .await
        .map(|r| r.status().as_u16());
    let status = stop(&mut child);
    let mut log = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        use std::io::Read;
        let _ = stderr.read_to_string(&mut log);
    }
    assert!(ready, "never ready:\n{log}");
    assert!(status.success(), "exit {status:?}:\n{log}");
    if !database.is_postgres() {
        assert!(
            Path::new(&work.path().join("brug.sqlite")).is_file(),
            "the default database lives in the working directory"
        );
    }
    assert!(log.contains("partner directory synced"), "{log}");
    assert_eq!(searched.ok(), Some(401));
    let requests: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("request finished"))
        .collect();
    assert_eq!(
        requests.len(),
        1,
        "one line for the search, none for the readiness probes:\n{log}"
    );
    let line = requests[0];
    assert!(line.contains("request_id"), "{line}");
    assert!(line.contains("/api/v1/clients"), "the route: {line}");
    assert!(line.contains("q,country"), "the parameters' names: {line}");
    assert!(line.contains("401"), "the status: {line}");
    assert!(line.len() < 400, "{} bytes: {line}", line.len());
    assert!(
        !log.contains("Zarifa-Invented"),
        "a searched name reached the log:\n{log}"
    );
}

#[tokio::test]
async fn serve_on_an_invalid_directory_exits_and_leaves_the_database_untouched() {
    let work = tempfile::tempdir().expect("tempdir");
    let partners = work.path().join("partners");
    std::fs::create_dir(&partners).expect("mkdir");
    std::fs::write(partners.join("broken.toml"), "id = \"broken\"\nname = 7\n").expect("write");
    let database = test_database();
    let mut command = brug();
    command
        .arg("serve")
        .current_dir(work.path())
        .env("BRUG_ADDR", free_addr());
    if database.is_postgres() {
        command.env("DATABASE_URL", &database.url);
    }
    let out = run(&mut command);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("partners/broken.toml:2: name: must be a string"),
        "{stderr}"
    );
    if database.is_postgres() {
        let db = brug::db::Db::new(&database.url, 1, Duration::from_secs(5)).expect("db");
        let mut conn = db.conn().expect("conn");
        let tables = brug::db::migrations::describe_schema(&mut conn).expect("schema");
        assert!(tables.is_empty(), "no table was created: {tables:?}");
    } else {
        assert!(
            !work.path().join("brug.sqlite").exists(),
            "no database was created"
        );
    }
}

#[test]
fn migrate_applies_and_then_reports_up_to_date() {
    let database = test_database();
    let out = run(brug()
        .arg("migrate")
        .arg("--database-url")
        .arg(&database.url));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("Applied"),
        "{}",
        text(&out.stderr)
    );
    let out = run(brug()
        .arg("migrate")
        .arg("--database-url")
        .arg(&database.url));
    assert!(
        text(&out.stderr).contains("up to date"),
        "{}",
        text(&out.stderr)
    );
}

fn on(url: &str, args: &[&str]) -> Output {
    run(brug().args(args).arg("--database-url").arg(url))
}

#[tokio::test]
async fn user_and_partner_key_commands_print_the_secret_alone_and_it_works() {
    let app = crate::helpers::spawn_app().await;
    let url = app.database.url.clone();
    let out = on(
        &url,
        &[
            "user",
            "add",
            "amina@example.org",
            "--role",
            "counsellor",
            "--role",
            "caseworker",
            "--name",
            "Amina Example",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "the token alone: {stdout:?}");
    let token = stdout.trim().to_owned();
    assert!(token.starts_with("brug_st_"));
    let me: serde_json::Value = app
        .get_as(Some(&token), "/api/v1/me")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["roles"], serde_json::json!(["counsellor", "caseworker"]));

    let again = on(
        &url,
        &["user", "add", "amina@example.org", "--role", "lead"],
    );
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("already exists"));
    let bad_role = on(&url, &["user", "add", "x@example.org", "--role", "boss"]);
    assert_eq!(bad_role.status.code(), Some(2));

    let list = text(&on(&url, &["user", "list"]).stdout);
    assert!(
        list.contains("amina@example.org") && list.contains("counsellor,caseworker"),
        "{list}"
    );

    let out = on(&url, &["partner", "key", "accra-reintegration-network"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let key = text(&out.stdout).trim().to_owned();
    assert!(key.starts_with("brug_pk_"));
    let me: serde_json::Value = app
        .get_as(Some(&key), "/partner/v1/me")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["partner_id"], "accra-reintegration-network");
    let keys = text(&on(&url, &["partner", "keys", "accra-reintegration-network"]).stdout);
    let key_id = me["key_id"].as_str().expect("key id").to_owned();
    assert!(
        keys.contains(&key_id) && keys.contains(&key[..12]),
        "{keys}"
    );
    assert!(!keys.contains(&key), "the secret is never listed");

    assert!(
        on(&url, &["partner", "revoke-key", &key_id])
            .status
            .success()
    );
    assert_eq!(
        app.get_as(Some(&key), "/partner/v1/me")
            .await
            .status()
            .as_u16(),
        401
    );

    assert!(on(&url, &["token", "revoke", &token]).status.success());
    assert_eq!(
        app.get_as(Some(&token), "/api/v1/me")
            .await
            .status()
            .as_u16(),
        401
    );
    let out = on(&url, &["user", "disable", "amina@example.org"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        on(&url, &["partner", "key", "no-such-partner"])
            .status
            .code()
            == Some(1)
    );
}

#[tokio::test]
async fn a_password_from_standard_input_and_an_invitation_link_open_the_web_ui() {
    let app = crate::helpers::spawn_app().await;
    let url = app.database.url.clone();
    let out = on(
        &url,
        &[
            "user",
            "add",
            "ines@example.org",
            "--role",
            "counsellor",
            "--invite",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let link = text(&out.stdout).trim().to_owned();
    assert_eq!(link.lines().count(), 1, "the link alone: {link:?}");
    assert!(link.starts_with("http://127.0.0.1:8080/invite/"), "{link}");
    let path = link.trim_start_matches("http://127.0.0.1:8080");
    let page = app.client.get(app.url(path)).send().await.expect("sent");
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .expect("body")
            .contains("ines@example.org")
    );

    let out = password_from_stdin(&url, "ines@example.org", b"a long enough passphrase\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut browser = crate::web_helpers::Browser::new(&app);
    browser
        .sign_in("ines@example.org", "a long enough passphrase")
        .await;

    let out = password_from_stdin(&url, "ines@example.org", b"short\n");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("at least 12 characters"),
        "{}",
        text(&out.stderr)
    );
}

/// `brug user password EMAIL` with `input` on its standard input.
fn password_from_stdin(url: &str, email: &str, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = brug()
        .args(["user", "password", email, "--database-url", url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("brug runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("written");
    child.wait_with_output().expect("finished")
}
