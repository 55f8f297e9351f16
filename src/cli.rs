//! The `brug` command line: one binary for the server and its tools.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Overrides, Settings};
use crate::db::migrations;
use crate::partners::file::{LoadError, load_dir};
use crate::startup::{self, Application};

#[derive(Debug, Parser)]
#[command(
    name = "brug",
    version,
    about = "Brug links return-counselling talks to referrals to partner organisations in countries of origin.",
    long_about = "Brug links return-counselling talks to referrals to partner organisations in \
countries of origin, carries every step between the organisation and its partners, and shows \
programme leads what comes of it.\n\n\
Settings come, weakest first, from built-in defaults, a TOML file (--config or BRUG_CONFIG), \
the environment (BRUG_* and DATABASE_URL) and flags. `brug config` shows the result."
)]
pub struct Cli {
    /// A TOML settings file.
    #[arg(long, global = true, env = "BRUG_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,

    /// The database: sqlite://PATH (default sqlite://brug.sqlite) or postgres://USER@HOST/DB.
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP service: migrates the database, syncs the partner directory, then listens.
    Serve {
        /// Address to listen on (BRUG_ADDR; default 127.0.0.1:8080).
        #[arg(long, value_name = "HOST:PORT")]
        addr: Option<String>,
        /// The partner directory (BRUG_PARTNERS_DIR; default ./partners).
        #[arg(long, value_name = "DIR")]
        partners_dir: Option<PathBuf>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the effective settings, with secrets hidden.
    Config,
    /// Check or sync the partner directory.
    Partners {
        #[command(subcommand)]
        command: PartnersCommand,
    },
}

#[derive(Debug, Subcommand)]
enum PartnersCommand {
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

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut overrides = Overrides {
        database_url: cli.database_url.clone(),
        ..Overrides::default()
    };
    if let Command::Serve { addr, partners_dir } = &cli.command {
        overrides.addr = addr.clone();
        overrides.partners_dir = partners_dir.clone();
    }
    let settings = Settings::load(cli.config.as_deref(), &overrides)?;
    let default_filter = match cli.command {
        Command::Serve { .. } => "info",
        _ => "warn",
    };
    crate::telemetry::init(settings.log_format, default_filter);

    match cli.command {
        Command::Serve { .. } => serve(settings),
        Command::Migrate => {
            let db = startup::open_db(&settings)?;
            let applied = migrations::run_pending(&mut *db.conn()?)?;
            if applied.is_empty() {
                eprintln!("The database is up to date.");
            } else {
                eprintln!(
                    "Applied {} migration(s): {}",
                    applied.len(),
                    applied.join(", ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Config => {
            print!("{}", settings.to_redacted_toml());
            Ok(ExitCode::SUCCESS)
        }
        Command::Partners {
            command: PartnersCommand::Check { dir },
        } => Ok(check_partners(
            dir.as_deref().unwrap_or(&settings.partners_dir),
        )),
        Command::Partners {
            command: PartnersCommand::Sync { dir },
        } => {
            let mut settings = settings;
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
    }
}

fn check_partners(dir: &Path) -> ExitCode {
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

fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    tracing::info!(
        database = %settings.database_url,
        addr = %settings.addr,
        partners_dir = %settings.partners_dir.display(),
        "starting brug {}",
        env!("CARGO_PKG_VERSION")
    );
    let db = startup::open_db(&settings)?;
    startup::prepare(&settings, &db)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let app = Application::build(settings, db, None)?;
        tracing::info!(port = app.port(), "listening");
        app.run_until_stopped().await?;
        tracing::info!("stopped");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
