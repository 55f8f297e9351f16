//! `brug backup`, `brug restore` and `brug keys`: copies of the database,
//! and the key file that encrypts them.

use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Settings;
use crate::keys::{KeyFileError, KeyRing};

#[derive(Debug, Subcommand)]
pub(super) enum KeysCommand {
    /// Add a new random 256-bit key to the key file (key_file,
    /// BRUG_KEY_FILE; made, readable by its owner only, when missing) and
    /// make it current; prints its id. Older keys stay, to open what they
    /// encrypted.
    Add,
    /// List the key file's key ids; the current one is marked.
    List,
}

fn key_file(settings: &Settings) -> Result<&Path, KeyFileError> {
    settings.key_file.as_deref().ok_or(KeyFileError::NotSet)
}

pub(super) fn keys(settings: &Settings, command: KeysCommand) -> anyhow::Result<ExitCode> {
    let path = key_file(settings)?;
    match command {
        KeysCommand::Add => {
            let id = crate::keys::add(path, chrono::Utc::now())?;
            println!("{id}");
            eprintln!(
                "Key {id} is now current in {}. Keep a copy of the key file apart from the \
                 database and its backups: without it, what it encrypted cannot be read.",
                path.display()
            );
        }
        KeysCommand::List => {
            let ring = KeyRing::load(path)?;
            let current = ring.current().map(|(id, _)| id.to_owned());
            for id in ring.ids() {
                let mark = if current.as_deref() == Some(id) {
                    "  current"
                } else {
                    ""
                };
                println!("{id}{mark}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn backup(settings: &Settings, file: &Path, encrypt: bool) -> anyhow::Result<ExitCode> {
    let ring = if encrypt {
        Some(KeyRing::load(key_file(settings)?)?)
    } else {
        None
    };
    let done = crate::backup::backup(settings.database_url.expose(), file, ring.as_ref())?;
    match done.key_id {
        Some(id) => eprintln!(
            "Backed up {} to {} ({} bytes), encrypted with key {id}.",
            settings.database_url,
            file.display(),
            done.bytes
        ),
        None => eprintln!(
            "Backed up {} to {} ({} bytes), not encrypted: keep it as safe as the database.",
            settings.database_url,
            file.display(),
            done.bytes
        ),
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn restore(settings: &Settings, file: &Path, force: bool) -> anyhow::Result<ExitCode> {
    crate::backup::restore(
        settings.database_url.expose(),
        file,
        settings.key_file.as_deref(),
        force,
    )?;
    eprintln!(
        "Restored {} into {}. Start Brug with the audit key of the database the backup \
         was made from (audit_key_file); `brug audit verify` checks the restored log.",
        file.display(),
        settings.database_url
    );
    Ok(ExitCode::SUCCESS)
}
