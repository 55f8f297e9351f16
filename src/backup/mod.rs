//! Backups of the whole database and their restore: `brug backup FILE`
//! writes a consistent copy of the live database while it is being written
//! (SQLite: `VACUUM INTO`; PostgreSQL: `pg_dump`'s custom format), in clear
//! or encrypted under the key file's current key (`sealed`); `brug restore
//! FILE` puts one back, whole or not at all, and never over a database that
//! holds data unless told to.

mod postgres;
pub mod sealed;
mod sqlite;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::db::{DbError, Target};
use crate::keys::{KeyFileError, KeyRing};
use sealed::{Kind, SealError};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Not done, for a reason the person can act on.
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Sealed(#[from] SealError),
    #[error(transparent)]
    Keys(#[from] KeyFileError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// What a backup or restore did, for the person who ran it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub bytes: u64,
    /// The key it was encrypted with, if it was.
    pub key_id: Option<String>,
}

/// Writes a backup of the database at `database_url` to `file`, which must
/// not exist yet; encrypted under the current key of `ring` when given.
pub fn backup(
    database_url: &str,
    file: &Path,
    ring: Option<&KeyRing>,
) -> Result<Done, BackupError> {
    if file.exists() {
        return Err(BackupError::Refused(format!(
            "{} exists already: `brug backup` never overwrites a file; name another",
            file.display()
        )));
    }
    let key = match ring {
        Some(ring) => Some(
            ring.current()
                .ok_or_else(|| BackupError::Failed("the key file has no current key".to_owned()))?,
        ),
        None => None,
    };
    match Target::parse(database_url)? {
        Target::Sqlite(path) => sqlite::backup(Path::new(&path), file, key)?,
        Target::Postgres(url) => postgres::backup(&url, file, key)?,
    }
    Ok(Done {
        bytes: std::fs::metadata(file)?.len(),
        key_id: key.map(|(id, _)| id.to_owned()),
    })
}

/// Replaces the database at `database_url` with the backup in `file`; a
/// database that holds any table is replaced only with `force`. An
/// encrypted backup is opened with the key file at `key_file`.
pub fn restore(
    database_url: &str,
    file: &Path,
    key_file: Option<&Path>,
    force: bool,
) -> Result<(), BackupError> {
    let (kind, sealed) = what_is(file)?;
    let ring = if sealed {
        Some(KeyRing::load(key_file.ok_or(KeyFileError::NotSet)?)?)
    } else {
        None
    };
    let target = Target::parse(database_url)?;
    match (&target, kind) {
        (Target::Sqlite(_), Kind::Postgres) => {
            return Err(BackupError::Refused(format!(
                "{} is a backup of a PostgreSQL database; the database here is SQLite",
                file.display()
            )));
        }
        (Target::Postgres(_), Kind::Sqlite) => {
            return Err(BackupError::Refused(format!(
                "{} is a backup of an SQLite database; the database here is PostgreSQL",
                file.display()
            )));
        }
        _ => {}
    }
    match target {
        Target::Sqlite(path) => sqlite::restore(Path::new(&path), file, ring.as_ref(), force)?,
        Target::Postgres(url) => postgres::restore(&url, file, ring.as_ref(), force)?,
    }
    Ok(())
}

/// What a backup file holds, and whether it is encrypted, from its first
/// bytes.
fn what_is(file: &Path) -> Result<(Kind, bool), BackupError> {
    let mut start = [0u8; 16];
    let mut opened = File::open(file).map_err(|e| {
        BackupError::Refused(format!("cannot read the backup {}: {e}", file.display()))
    })?;
    let read = opened.read(&mut start)?;
    let start = &start[..read];
    if sealed::is_sealed(start) {
        let kind = match start.get(8) {
            Some(b'S') => Kind::Sqlite,
            Some(b'P') => Kind::Postgres,
            _ => return Err(SealError::NotSealed.into()),
        };
        return Ok((kind, true));
    }
    if start.starts_with(b"SQLite format 3\0") {
        return Ok((Kind::Sqlite, false));
    }
    if start.starts_with(b"PGDMP") {
        return Ok((Kind::Postgres, false));
    }
    Err(BackupError::Refused(format!(
        "{} is not a backup made by `brug backup`",
        file.display()
    )))
}

/// A file of the work in progress beside its destination, readable by its
/// owner only, removed when dropped unless it was moved away.
struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// An empty private file in the folder of `beside`.
    fn beside(beside: &Path, what: &str) -> std::io::Result<Self> {
        let name = beside
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "brug".to_owned());
        let path =
            beside.with_file_name(format!(".{name}.{what}-{}", uuid::Uuid::now_v7().simple()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options.open(&path)?;
        Ok(Self { path })
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes the file to disk.
    fn sync(&self) -> std::io::Result<()> {
        File::open(&self.path)?.sync_all()
    }

    /// Gives the finished file its name, which must not exist (a backup
    /// never replaces a file).
    fn publish(self, name: &Path) -> Result<(), BackupError> {
        self.sync()?;
        match std::fs::hard_link(&self.path, name) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(BackupError::Refused(format!(
                    "{} appeared meanwhile: `brug backup` never overwrites a file",
                    name.display()
                )));
            }
            Err(e) => return Err(e.into()),
        }
        sync_folder(name);
        Ok(())
    }

    /// Moves the finished file over `name`, replacing whatever is there.
    fn replace(self, name: &Path) -> Result<(), BackupError> {
        self.sync()?;
        std::fs::rename(&self.path, name)?;
        sync_folder(name);
        Ok(())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let mut path = self.path.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(path));
        }
    }
}

/// Makes a new name in the folder of `file` durable (best effort: not
/// every platform can open a folder).
fn sync_folder(file: &Path) {
    if let Some(folder) = file.parent().filter(|p| !p.as_os_str().is_empty())
        && let Ok(folder) = File::open(folder)
    {
        let _ = folder.sync_all();
    }
}
