//! `brug partners`: check the partner directory's files, or sync them into
//! the database.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Settings;
use crate::partners::file::{LoadError, load_dir};
use crate::startup;

#[derive(Debug, Subcommand)]
pub(super) enum PartnersCommand {
    /// Check every partner file; print each problem as FILE:LINE: FIELD: MESSAGE.
    /// Exits non-zero on any problem.
    Check {
        /// The directory to check (default: the configured partner directory).
        dir: Option<PathBuf>,
    },
    /// Load the partner directory into the database: add new partners, update
    /// changed ones, mark removed ones inactive. Changes nothing if a file is invalid.
    Sync {
        /// The directory to load (default: the configured partner directory).
        dir: Option<PathBuf>,
    },
}

/// Checks the directory, migrates the database and syncs the directory
/// into it, as `serve` does before it listens.
pub(super) fn sync(mut settings: Settings, dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    if let Some(dir) = dir {
        settings.partners_dir = dir;
    }
    if !settings.partners_dir.is_dir() {
        anyhow::bail!("{} is not a directory", settings.partners_dir.display());
    }
    let db = startup::open_db(&settings)?;
    match startup::prepare(&settings, &db)? {
        Some(report) => eprintln!("Partner directory synced: {report}."),
        None => eprintln!("No partner directory; nothing synced."),
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn check(dir: &Path) -> ExitCode {
    match load_dir(dir) {
        Ok(records) => {
            let mut countries: Vec<&str> = records
                .iter()
                .flat_map(|r| r.countries().map(|c| c.as_str()))
                .collect();
            countries.sort();
            countries.dedup();
            eprintln!(
                "{}: {} partner files, {} countries, no problems.",
                dir.display(),
                records.len(),
                countries.len()
            );
            ExitCode::SUCCESS
        }
        Err(LoadError::Missing(dir)) => {
            eprintln!("{} is not a directory", dir.display());
            ExitCode::FAILURE
        }
        Err(LoadError::Invalid(problems)) => {
            for problem in &problems {
                println!("{problem}");
            }
            eprintln!("{}: {} problem(s).", dir.display(), problems.len());
            ExitCode::FAILURE
        }
    }
}
