//! PostgreSQL: PostgreSQL's own tools do the work. `pg_dump` reads the
//! database in one snapshot while writers go on, in its custom format;
//! `pg_restore` puts it back in one transaction. Encrypted, the dump goes
//! through a pipe and never lies on disk in clear; a restore checks the
//! whole file first, then decrypts it again into `pg_restore`.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::sealed::{self, Kind};
use super::{BackupError, Scratch};
use crate::keys::{Key, KeyRing};

/// A PostgreSQL tool, if it is on this machine.
fn tool(name: &str) -> Result<Command, BackupError> {
    match Command::new(name).arg("--version").output() {
        Ok(out) if out.status.success() => Ok(Command::new(name)),
        Ok(_) | Err(_) => Err(BackupError::Refused(format!(
            "{name} is not installed on this machine: for a PostgreSQL database `brug backup` \
             and `brug restore` run PostgreSQL's own pg_dump and pg_restore (Debian and Ubuntu: \
             the postgresql-client package, of the server's major version or newer); or run \
             pg_dump --format=custom yourself (README, \"Data protection\")"
        ))),
    }
}

/// The URL without its password, and the password apart: handed to the
/// tools in their environment (`PGPASSWORD`), not on a command line that
/// every user of the machine can read.
fn connection(url: &str) -> (String, Option<String>) {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return (url.to_owned(), None);
    };
    let password = parsed.password().map(percent_decoded);
    if password.is_some() && parsed.set_password(None).is_err() {
        return (url.to_owned(), None);
    }
    (parsed.to_string(), password)
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn command(name: &str, url: &str) -> Result<Command, BackupError> {
    let (url, password) = connection(url);
    let mut command = tool(name)?;
    command.arg(format!("--dbname={url}"));
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    Ok(command)
}

/// Waits for a tool; its standard error in the message when it failed.
fn finished(name: &str, child: Child) -> Result<(), BackupError> {
    let out = child.wait_with_output()?;
    if out.status.success() {
        return Ok(());
    }
    Err(BackupError::Failed(format!(
        "{name} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    )))
}

pub(super) fn backup(url: &str, file: &Path, key: Option<(&str, &Key)>) -> Result<(), BackupError> {
    let finished_file = Scratch::beside(file, "partial")?;
    let mut dump = command("pg_dump", url)?;
    dump.arg("--format=custom").stderr(Stdio::piped());
    match key {
        None => {
            dump.arg(format!("--file={}", finished_file.path().display()))
                .stdout(Stdio::null());
            finished("pg_dump", dump.spawn()?)?;
        }
        Some((id, key)) => {
            let mut child = dump.stdout(Stdio::piped()).spawn()?;
            let sealed = match child.stdout.take() {
                Some(mut stdout) => {
                    let mut output = File::create(finished_file.path())?;
                    sealed::seal(&mut stdout, &mut output, Kind::Postgres, id, key)
                }
                None => Err(std::io::Error::other("pg_dump gave no output").into()),
            };
            if let Err(e) = sealed {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e.into());
            }
            finished("pg_dump", child)?;
        }
    }
    finished_file.publish(file)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The tables of the database, outside PostgreSQL's own schemas.
fn tables(url: &str) -> Result<i64, BackupError> {
    let mut conn = PgConnection::establish(url)
        .map_err(|e| BackupError::Failed(format!("cannot connect to the database: {e}")))?;
    Ok(diesel::sql_query(
        "SELECT count(*) AS n FROM pg_catalog.pg_tables \
         WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
    )
    .get_result::<Count>(&mut conn)?
    .n)
}

pub(super) fn restore(
    url: &str,
    file: &Path,
    ring: Option<&KeyRing>,
    force: bool,
) -> Result<(), BackupError> {
    let existing = tables(url)?;
    if existing > 0 && !force {
        return Err(BackupError::Refused(format!(
            "the database is not empty ({existing} tables): a restore replaces it whole; \
             add --force to overwrite it"
        )));
    }
    let mut restore = command("pg_restore", url)?;
    // All of it in one transaction, or nothing.
    restore
        .args(["--single-transaction", "--exit-on-error", "--no-owner"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if existing > 0 {
        restore.args(["--clean", "--if-exists"]);
    }
    let Some(ring) = ring else {
        restore.arg(file);
        return finished("pg_restore", restore.spawn()?);
    };
    // The whole file is checked before any of it reaches the database.
    sealed::open(&mut File::open(file)?, &mut std::io::sink(), ring)?;
    let mut child = restore.stdin(Stdio::piped()).spawn()?;
    let Some(mut stdin) = child.stdin.take() else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(std::io::Error::other("pg_restore took no input").into());
    };
    let fed = sealed::open(&mut File::open(file)?, &mut stdin, ring)
        .and_then(|_| stdin.flush().map_err(Into::into));
    match fed {
        Ok(()) => {
            drop(stdin);
            finished("pg_restore", child)
        }
        // pg_restore stopped reading: its own message says why.
        Err(sealed::SealError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            drop(stdin);
            finished("pg_restore", child)
        }
        Err(e) => {
            // Killed while its input is still open, pg_restore never
            // reaches the end of its one transaction.
            let _ = child.kill();
            let _ = child.wait();
            drop(stdin);
            Err(e.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        assert_eq!(
            connection("postgres://brug:s3%40cret@db.example.org:5432/brug"),
            (
                "postgres://brug@db.example.org:5432/brug".to_owned(),
                Some("s3@cret".to_owned())
            )
        );
        assert_eq!(
            connection("postgres://postgres@127.0.0.1:5432/test"),
            ("postgres://postgres@127.0.0.1:5432/test".to_owned(), None)
        );
    }
}
