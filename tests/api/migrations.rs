//! Both migration trees describe the same schema, and every migration goes
//! up, down and up again.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use brug::db::{Db, migrations};

use crate::helpers::test_database;

fn migration_names(backend: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| {
            let path = entry.path();
            for script in ["up.sql", "down.sql"] {
                assert!(
                    path.join(script).is_file(),
                    "{} lacks {script}",
                    path.display()
                );
            }
            entry.file_name().to_string_lossy().into_owned()
        })
        .collect()
}

#[test]
fn both_trees_have_the_same_migrations() {
    let sqlite = migration_names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migration_names("postgres"));
}

fn schema_of(url: &str) -> Vec<(String, Vec<String>)> {
    let db = Db::new(url, 1, Duration::from_secs(5)).expect("db");
    let mut conn = db.conn().expect("conn");
    migrations::run_pending(&mut conn).expect("migrate");
    migrations::describe_schema(&mut conn).expect("schema")
}

#[test]
fn both_trees_give_the_same_tables_and_columns() {
    let sqlite_dir = tempfile::tempdir().expect("tempdir");
    let sqlite_url = format!(
        "sqlite://{}",
        sqlite_dir.path().join("schema.sqlite").display()
    );
    let sqlite = schema_of(&sqlite_url);
    assert!(
        sqlite.iter().any(|(table, _)| table == "partners"),
        "{sqlite:?}"
    );
    let database = test_database();
    if database.is_postgres() {
        assert_eq!(schema_of(&database.url), sqlite);
    }
}

#[test]
fn every_migration_goes_up_down_and_up_again() {
    let database = test_database();
    let db = Db::new(&database.url, 1, Duration::from_secs(5)).expect("db");
    let mut conn = db.conn().expect("conn");
    let applied = migrations::run_pending(&mut conn).expect("up");
    assert_eq!(applied.len(), migration_names("sqlite").len());
    let before = migrations::describe_schema(&mut conn).expect("schema");

    let reverted = migrations::revert_all(&mut conn).expect("down");
    assert_eq!(reverted, applied.len());
    assert_eq!(
        migrations::describe_schema(&mut conn).expect("schema"),
        vec![],
        "down leaves no table behind"
    );
    assert_eq!(
        migrations::pending_count(&mut conn).expect("pending"),
        applied.len()
    );

    migrations::run_pending(&mut conn).expect("up again");
    assert_eq!(
        migrations::describe_schema(&mut conn).expect("schema"),
        before
    );
    assert_eq!(migrations::pending_count(&mut conn).expect("pending"), 0);
}
