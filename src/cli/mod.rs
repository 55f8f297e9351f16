//! The `brug` command line: one binary for the server and its tools. This
//! file parses the arguments and dispatches; `serve` and `worker` run in
//! `crate::startup`, the administrative commands in the files beside it.

mod admin;
mod backup;
mod clients;
mod events;
mod mail;
mod partners;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Overrides, Settings};
use crate::db::migrations;
use crate::startup;
use admin::{AuditCommand, PartnerCommand, TokenCommand, UserCommand};
use backup::KeysCommand;
use clients::ClientCommand;
use events::EventsCommand;
use mail::MailCommand;
use partners::PartnersCommand;

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
        /// Do not deliver webhooks from this instance (run `brug worker` instead).
        #[arg(long)]
        no_worker: bool,
    },
    /// Deliver webhooks (and send mail, with smtp_url) only, without serving HTTP; several may run at once.
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the effective settings, with secrets hidden.
    Config,
    /// Check or sync the partner directory.
    Partners {
        #[command(subcommand)]
        command: PartnersCommand,
    },
    /// Staff users: add, list, disable, issue tokens.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// A person's rights: erase a client at their request.
    Client {
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// API tokens and partner keys: list, revoke.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Partner API keys.
    Partner {
        #[command(subcommand)]
        command: PartnerCommand,
    },
    /// The tamper-evident audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Webhook deliveries that gave up: list them, send them again.
    Events {
        #[command(subcommand)]
        command: EventsCommand,
    },
    /// Email notifications that gave up: list them, send them again.
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
    /// Write a consistent copy of the database to FILE while Brug runs
    /// (SQLite: a copy of the file; PostgreSQL: pg_dump's custom format).
    /// FILE must not exist.
    Backup {
        file: PathBuf,
        /// Encrypt it under the current key of the key file (key_file, BRUG_KEY_FILE).
        #[arg(long)]
        encrypt: bool,
    },
    /// Replace the database with a backup made by `brug backup`, whole or
    /// not at all; stop `brug serve` and `brug worker` first. An encrypted
    /// backup needs the key file it was made with.
    Restore {
        file: PathBuf,
        /// Overwrite a database that holds data.
        #[arg(long)]
        force: bool,
    },
    /// The key file's key-encryption keys (key_file, BRUG_KEY_FILE).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Fill an empty database with a synthetic programme over the partner directory
    /// (invented people), for trying Brug out and for benchmarks.
    /// Migrates and syncs the partner directory first, as `serve` does.
    DemoData {
        /// Years of programme to generate (1 to 30), ending on --until.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=30))]
        years: u32,
        /// The seed: the same seed, years and --until give the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The programme's last day, YYYY-MM-DD, before today (default: yesterday, UTC).
        #[arg(long, value_name = "DATE")]
        until: Option<chrono::NaiveDate>,
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
    if let Command::Serve {
        addr, partners_dir, ..
    } = &cli.command
    {
        overrides.addr = addr.clone();
        overrides.partners_dir = partners_dir.clone();
    }
    let settings = Settings::load(cli.config.as_deref(), &overrides)?;
    let default_filter = match cli.command {
        Command::Serve { .. } | Command::Worker => "info",
        _ => "warn",
    };
    crate::telemetry::init(settings.log_format, default_filter);

    match cli.command {
        Command::Serve { no_worker, .. } => {
            startup::serve(settings, !no_worker)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Worker => {
            let db = admin::current_db(&settings)?;
            startup::run_worker(settings, db)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let db = startup::open_db_with(&settings, startup::AuditKey::IfAny)?;
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
        } => Ok(partners::check(
            dir.as_deref().unwrap_or(&settings.partners_dir),
        )),
        Command::Partners {
            command: PartnersCommand::Sync { dir },
        } => partners::sync(settings, dir),
        Command::User { command } => admin::user_command(&settings, command),
        Command::Client { command } => clients::command(&settings, command),
        Command::Token { command } => admin::token_command(&settings, command),
        Command::Partner { command } => admin::partner_command(&settings, command),
        Command::Audit { command } => admin::audit_command(&settings, command),
        Command::Events { command } => events::command(&settings, command),
        Command::Mail { command } => mail::command(&settings, command),
        Command::Backup { file, encrypt } => backup::backup(&settings, &file, encrypt),
        Command::Restore { file, force } => backup::restore(&settings, &file, force),
        Command::Keys { command } => backup::keys(&settings, command),
        Command::DemoData { years, seed, until } => admin::demo_data(&settings, years, seed, until),
    }
}
