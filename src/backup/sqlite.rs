//! SQLite: `VACUUM INTO` copies the database as one read transaction sees
//! it, while writers go on (WAL lets them); a restore checks the copy,
//! makes sure nothing has the database open, and moves it into place.

use std::fs::File;
use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;

use super::sealed::{self, Kind};
use super::{BackupError, Scratch};
use crate::keys::{Key, KeyRing};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn open(path: &Path) -> Result<SqliteConnection, BackupError> {
    let shown = path.to_string_lossy();
    let mut conn = SqliteConnection::establish(&shown)
        .map_err(|e| BackupError::Failed(format!("cannot open {shown}: {e}")))?;
    conn.batch_execute("PRAGMA busy_timeout = 5000;")?;
    Ok(conn)
}

/// The tables of the database at `path` (none when there is no file).
fn tables(path: &Path) -> Result<i64, BackupError> {
    if std::fs::metadata(path).map_or(true, |m| m.len() == 0) {
        return Ok(0);
    }
    let mut conn = open(path)?;
    Ok(diesel::sql_query(
        "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .get_result::<Count>(&mut conn)?
    .n)
}

/// Copies the live database at `db` into the empty file `into`.
fn copy(db: &Path, into: &Path) -> Result<(), BackupError> {
    if !db.is_file() {
        return Err(BackupError::Refused(format!(
            "there is no database at {}",
            db.display()
        )));
    }
    let mut conn = open(db)?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(into.to_string_lossy().into_owned())
        .execute(&mut conn)?;
    Ok(())
}

pub(super) fn backup(db: &Path, file: &Path, key: Option<(&str, &Key)>) -> Result<(), BackupError> {
    let finished = Scratch::beside(file, "partial")?;
    match key {
        None => copy(db, finished.path())?,
        Some((id, key)) => {
            // The clear copy stays beside the live database, which holds
            // the same in clear, and is gone once encrypted.
            let plain = Scratch::beside(db, "backup")?;
            copy(db, plain.path())?;
            let mut input = File::open(plain.path())?;
            let mut output = File::create(finished.path())?;
            sealed::seal(&mut input, &mut output, Kind::Sqlite, id, key)?;
        }
    }
    finished.publish(file)
}

pub(super) fn restore(
    db: &Path,
    file: &Path,
    ring: Option<&KeyRing>,
    force: bool,
) -> Result<(), BackupError> {
    let existing = tables(db)?;
    if existing > 0 && !force {
        return Err(BackupError::Refused(format!(
            "the database {} is not empty ({existing} tables): a restore replaces it whole; \
             add --force to overwrite it",
            db.display()
        )));
    }
    let restored = Scratch::beside(db, "restore")?;
    match ring {
        None => {
            std::fs::copy(file, restored.path())?;
        }
        Some(ring) => {
            let mut input = File::open(file)?;
            let mut output = File::create(restored.path())?;
            sealed::open(&mut input, &mut output, ring)?;
        }
    }
    check_copy(restored.path(), file)?;
    if db.exists() {
        close_for_good(db)?;
    }
    restored.replace(db)
}

/// Refuses a copy that is not a whole Brug database.
fn check_copy(copy: &Path, file: &Path) -> Result<(), BackupError> {
    let not_brug = || {
        BackupError::Refused(format!(
            "{} does not hold a whole Brug database; nothing was restored",
            file.display()
        ))
    };
    let mut conn = open(copy)?;
    #[derive(QueryableByName)]
    struct Check {
        #[diesel(sql_type = Text)]
        quick_check: String,
    }
    let checks = diesel::sql_query("PRAGMA quick_check")
        .load::<Check>(&mut conn)
        .map_err(|_| not_brug())?;
    if checks.iter().any(|c| c.quick_check != "ok") {
        return Err(not_brug());
    }
    let migrations = diesel::sql_query(
        "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' \
         AND name = '__diesel_schema_migrations'",
    )
    .get_result::<Count>(&mut conn)?
    .n;
    if migrations == 0 {
        return Err(not_brug());
    }
    Ok(())
}

/// Takes the database for this process alone, then lets it go with its
/// write-ahead log folded in and removed: a database another process has
/// open (a running `brug serve` or `brug worker`) is refused, since it
/// would go on writing to the file being replaced.
fn close_for_good(db: &Path) -> Result<(), BackupError> {
    let mut conn = open(db)?;
    let taken = conn.batch_execute(
        "PRAGMA busy_timeout = 2000; PRAGMA locking_mode = EXCLUSIVE; \
         BEGIN EXCLUSIVE; COMMIT;",
    );
    if taken.is_err() {
        return Err(BackupError::Refused(format!(
            "the database {} is in use: stop `brug serve` and `brug worker` first; \
             nothing was restored",
            db.display()
        )));
    }
    drop(conn);
    // Anything left of the old database's journal would be applied to the
    // restored one.
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut path = db.as_os_str().to_owned();
        path.push(suffix);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
