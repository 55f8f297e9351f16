//! The partner directory: synced at start, listed, filtered and paginated.

use std::collections::BTreeSet;
use std::path::Path;

use brug::startup;
use serde_json::Value;

use crate::helpers::{named_fields, partners_dir, problem, spawn_app, spawn_app_with};

fn shipped_files() -> usize {
    std::fs::read_dir(partners_dir())
        .expect("partners/")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .count()
}

async fn all_pages(app: &crate::helpers::TestApp, query: &str, limit: u32) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/partners?limit={limit}{query}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let response = app.get(&path).await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let page: Value = response.json().await.expect("json");
        let batch = page["items"].as_array().cloned().unwrap_or_default();
        assert!(batch.len() <= limit as usize);
        items.extend(batch);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    items
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .filter_map(|p| p["id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn the_whole_directory_is_listed_over_55_countries_without_repeats() {
    let app = spawn_app().await;
    let items = all_pages(&app, "", 7).await;
    let listed = ids(&items);
    assert_eq!(listed.len(), shipped_files(), "every file, once");
    let unique: BTreeSet<&String> = listed.iter().collect();
    assert_eq!(
        unique.len(),
        listed.len(),
        "no partner repeats across pages"
    );
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(listed, sorted, "pages come in id order");

    let countries: BTreeSet<String> = items
        .iter()
        .flat_map(|p| p["countries"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect();
    assert!(countries.len() >= 55, "only {} countries", countries.len());

    let first = &items[0];
    for field in [
        "id",
        "name",
        "countries",
        "regions",
        "services",
        "languages",
        "capacity",
        "open_referrals",
        "status",
    ] {
        assert!(!first[field].is_null(), "partner lacks {field}: {first}");
    }
}

#[tokio::test]
async fn the_default_page_is_50() {
    let app = spawn_app().await;
    let page: Value = app
        .get("/api/v1/partners")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(50));
    assert!(page["next_cursor"].is_string());
}

#[tokio::test]
async fn filters_narrow_the_list() {
    let app = spawn_app().await;
    let ghana = ids(&all_pages(&app, "&country=GH", 50).await);
    assert_eq!(
        ghana,
        [
            "accra-reintegration-network",
            "kumasi-homecoming-initiative"
        ]
    );

    let kosovo = ids(&all_pages(&app, "&country=XK", 50).await);
    assert_eq!(
        kosovo,
        ["pristina-home-again", "western-balkans-return-network"]
    );

    let tracing_in_iraq = ids(&all_pages(&app, "&country=IQ&need=family_tracing", 50).await);
    assert_eq!(tracing_in_iraq, ["kurdistan-returnee-network"]);

    let paused = all_pages(&app, "&status=paused", 50).await;
    assert!(!paused.is_empty());
    assert!(paused.iter().all(|p| p["status"] == "paused"));

    // `ar` and `ara` name the same language.
    let arabic = ids(&all_pages(&app, "&language=ar", 50).await);
    assert!(arabic.contains(&"cairo-reintegration-alliance".to_owned()));
    assert_eq!(ids(&all_pages(&app, "&language=ara", 50).await), arabic);

    let dari = ids(&all_pages(&app, "&language=prs&country=AF", 50).await);
    assert_eq!(dari, ["herat-new-beginnings", "kabul-return-support"]);
}

#[tokio::test]
async fn bad_filters_are_422_naming_the_parameter() {
    let app = spawn_app().await;
    for (query, field) in [
        ("country=Ghana", "country"),
        ("need=spaceflight", "need"),
        ("language=xx", "language"),
        ("status=gone", "status"),
        ("cursor=garbage", "cursor"),
    ] {
        let body = problem(app.get(&format!("/api/v1/partners?{query}")).await, 422).await;
        assert_eq!(named_fields(&body), [field], "{query}");
    }
}

#[tokio::test]
async fn one_partner_in_full_and_an_unknown_one_is_404() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/partners/kurdistan-returnee-network").await;
    assert_eq!(response.status().as_u16(), 200);
    let partner: Value = response.json().await.expect("json");
    assert_eq!(partner["name"], "Kurdistan Returnee Network");
    assert_eq!(partner["countries"], serde_json::json!(["IQ"]));
    assert_eq!(
        partner["regions"],
        serde_json::json!(["IQ-AR", "IQ-DA", "IQ-SU"])
    );
    assert_eq!(partner["sla"]["acknowledge_working_days"], 2);
    assert_eq!(partner["service_areas"][0]["country"], "IQ");
    assert!(
        partner["contacts"][0]["email"]
            .as_str()
            .unwrap_or_default()
            .ends_with(".example.org")
    );

    problem(app.get("/api/v1/partners/no-such-partner").await, 404).await;
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from)
        .expect("read")
        .filter_map(|e| e.ok())
    {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

#[tokio::test]
async fn a_resync_adds_updates_and_deactivates_but_never_deletes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("partners");
    copy_dir(&partners_dir(), &copy);
    let copy_for_app = copy.clone();
    let app = spawn_app_with(move |s| s.partners_dir = copy_for_app).await;

    std::fs::remove_file(copy.join("tunis-new-horizon.toml")).expect("remove");
    let kabul = copy.join("kabul-return-support.toml");
    let text = std::fs::read_to_string(&kabul).expect("read");
    std::fs::write(&kabul, text.replace("capacity = 30", "capacity = 31")).expect("write");
    let settings = app.settings.clone();
    let db = app.db.clone();
    let report = tokio::task::spawn_blocking(move || startup::prepare(&settings, &db))
        .await
        .expect("ran")
        .expect("synced")
        .expect("a report");
    assert_eq!(report.updated, ["kabul-return-support"]);
    assert_eq!(report.deactivated, ["tunis-new-horizon"]);
    assert!(report.added.is_empty());

    let tunis: Value = app
        .get("/api/v1/partners/tunis-new-horizon")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(tunis["status"], "inactive", "kept, marked inactive");
    let kabul: Value = app
        .get("/api/v1/partners/kabul-return-support")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(kabul["capacity"], 31);
    let inactive = ids(&all_pages(&app, "&status=inactive", 50).await);
    assert_eq!(inactive, ["tunis-new-horizon"]);
}

#[tokio::test]
async fn an_invalid_directory_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("partners");
    copy_dir(&partners_dir(), &copy);
    let copy_for_app = copy.clone();
    let app = spawn_app_with(move |s| s.partners_dir = copy_for_app).await;
    let before = all_pages(&app, "", 500).await;

    std::fs::remove_file(copy.join("tunis-new-horizon.toml")).expect("remove");
    let ghana = copy.join("accra-reintegration-network.toml");
    let text = std::fs::read_to_string(&ghana).expect("read");
    std::fs::write(
        &ghana,
        text.replace("country = \"GH\"", "country = \"GHA\""),
    )
    .expect("write");
    let settings = app.settings.clone();
    let db = app.db.clone();
    let err = tokio::task::spawn_blocking(move || startup::prepare(&settings, &db))
        .await
        .expect("ran")
        .expect_err("the directory is invalid");
    assert!(
        err.to_string()
            .contains("accra-reintegration-network.toml:15: service_areas[0].country"),
        "{err}"
    );
    assert_eq!(all_pages(&app, "", 500).await, before, "nothing changed");
}

#[tokio::test]
async fn an_empty_directory_is_refused_rather_than_deactivating_everyone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("partners");
    std::fs::create_dir(&empty).expect("mkdir");
    let app = spawn_app().await;
    let mut settings = app.settings.clone();
    settings.partners_dir = empty;
    let db = app.db.clone();
    let err = tokio::task::spawn_blocking(move || startup::prepare(&settings, &db))
        .await
        .expect("ran")
        .expect_err("an empty directory is refused");
    assert!(err.to_string().contains("holds no partner files"), "{err}");
    let active = all_pages(&app, "&status=active", 500).await;
    assert!(active.len() > 50, "partners stay active");
}

#[tokio::test]
async fn a_sync_from_the_command_line_shows_on_every_running_instance_at_the_next_read() {
    use std::process::Stdio;

    use crate::cli::{brug, free_addr, stop, wait_until_ready};

    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("partners");
    copy_dir(&partners_dir(), &copy);
    let copy_for_app = copy.clone();
    let app = spawn_app_with(move |s| s.partners_dir = copy_for_app).await;
    let addr = free_addr();
    let mut other = brug()
        .arg("serve")
        .env("DATABASE_URL", &app.database.url)
        .env("BRUG_ADDR", &addr)
        .env("BRUG_PARTNERS_DIR", &copy)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn brug serve");
    assert!(wait_until_ready(&mut other, &addr).await, "instance ready");
    let client = reqwest::Client::new();
    let on_both = |path: &'static str| {
        let client = client.clone();
        let here = app.url(path);
        let there = format!("http://{addr}{path}");
        let token = app.token.clone();
        async move {
            let mut bodies = Vec::new();
            for url in [here, there] {
                let response = client
                    .get(url)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("sent");
                assert_eq!(response.status(), 200);
                bodies.push(response.json::<Value>().await.expect("json"));
            }
            bodies
        }
    };
    // Both instances hold the directory in memory.
    for kabul in on_both("/api/v1/partners/kabul-return-support").await {
        assert_eq!(kabul["capacity"], 30);
    }
    for page in on_both("/api/v1/partners?status=inactive").await {
        assert_eq!(page["items"], serde_json::json!([]));
    }

    std::fs::remove_file(copy.join("tunis-new-horizon.toml")).expect("remove");
    let kabul = copy.join("kabul-return-support.toml");
    let text = std::fs::read_to_string(&kabul).expect("read");
    std::fs::write(&kabul, text.replace("capacity = 30", "capacity = 31")).expect("write");
    let synced = brug()
        .args(["partners", "sync", "--database-url", &app.database.url])
        .arg(&copy)
        .output()
        .expect("brug runs");
    assert!(
        synced.status.success(),
        "{}",
        String::from_utf8_lossy(&synced.stderr)
    );

    for kabul in on_both("/api/v1/partners/kabul-return-support").await {
        assert_eq!(kabul["capacity"], 31, "{kabul}");
    }
    for page in on_both("/api/v1/partners?status=inactive").await {
        assert_eq!(
            ids(&page["items"].as_array().cloned().unwrap_or_default()),
            ["tunis-new-horizon"]
        );
    }
    stop(&mut other);
}
