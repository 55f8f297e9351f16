use std::time::Duration;

use brug::db::{Db, migrations};

use crate::helpers::{problem, serve, spawn_app, test_database, test_settings};

#[tokio::test]
async fn healthz_is_up_and_every_response_has_a_request_id() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status().as_u16(), 200);
    let first = response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(
        response.json::<serde_json::Value>().await.expect("json")["status"],
        "up"
    );

    let missing = app.get("/no/such/route").await;
    let second = missing.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_ne!(first, second, "each request has its own id");
    assert!(uuid::Uuid::parse_str(&second).is_ok(), "{second}");
}

#[tokio::test]
async fn readyz_answers_when_the_database_is_current() {
    let app = spawn_app().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["migrations"], "current");
    let backend = if app.database.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(body["database"], backend);
}

#[tokio::test]
async fn readyz_is_503_while_migrations_are_pending() {
    let app = spawn_app().await;
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || migrations::revert_all(&mut db.conn().expect("conn")))
        .await
        .expect("ran")
        .expect("reverted");
    let body = problem(app.get("/readyz").await, 503).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("pending"),
        "{body}"
    );

    let db = app.db.clone();
    tokio::task::spawn_blocking(move || migrations::run_pending(&mut db.conn().expect("conn")))
        .await
        .expect("ran")
        .expect("migrated");
    assert_eq!(app.get("/readyz").await.status().as_u16(), 200);
}

#[tokio::test]
async fn readyz_is_503_when_the_database_is_unreachable() {
    // Nothing listens on port 1: the database cannot be reached.
    let unreachable = "postgres://postgres@127.0.0.1:1/brug";
    let settings = test_settings(unreachable);
    let db = Db::new(unreachable, 2, Duration::from_secs(1)).expect("a lazy pool");
    let app = serve(settings, db, test_database());
    assert_eq!(
        app.get("/healthz").await.status().as_u16(),
        200,
        "the process is up"
    );
    let body = problem(app.get("/readyz").await, 503).await;
    assert_eq!(body["detail"], "The database does not answer.");
}
