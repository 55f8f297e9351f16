//! The `brug` command line: one binary for the server and its tools.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::auth::store::{self, AdminError};
use crate::auth::{Role, TokenKind};
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
        /// Do not deliver webhooks from this instance (run `brug worker` instead).
        #[arg(long)]
        no_worker: bool,
    },
    /// Deliver webhooks only, without serving HTTP; several may run at once.
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

#[derive(Debug, Subcommand)]
enum EventsCommand {
    /// List the dead letters: events whose delivery gave up after the last retry.
    Dead {
        /// Only this partner's.
        #[arg(long)]
        partner: Option<String>,
    },
    /// Queue dead letters for delivery again, now, with a fresh set of retries.
    Replay {
        /// The events to send again, by id.
        event_ids: Vec<String>,
        /// Every dead letter of this partner.
        #[arg(long, conflicts_with = "all")]
        partner: Option<String>,
        /// Every dead letter.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a staff user and print their API token (alone on standard output, once).
    Add {
        email: String,
        /// counsellor, caseworker, lead or admin; repeat for several.
        #[arg(long = "role", required = true, value_parser = parse_role)]
        roles: Vec<Role>,
        /// The user's name, as colleagues know it.
        #[arg(long)]
        name: Option<String>,
    },
    /// List staff users and their roles.
    List,
    /// Disable a user: every token of theirs stops working at once.
    Disable { email: String },
    /// Print a new API token for an existing user (alone on standard output, once).
    Token { email: String },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// List every staff token and partner key (prefix, owner, created, last used).
    List,
    /// Revoke a token or key, named by its id or by the token itself.
    Revoke { token: String },
}

#[derive(Debug, Subcommand)]
enum PartnerCommand {
    /// Print a new API key for a partner (alone on standard output, once).
    Key { partner_id: String },
    /// List a partner's keys.
    Keys { partner_id: String },
    /// Revoke one partner key by its id.
    RevokeKey { key_id: String },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain; exit non-zero naming the first broken entry.
    Verify,
}

fn parse_role(value: &str) -> Result<Role, String> {
    Role::parse(value)
        .ok_or_else(|| format!("`{value}` is not a role: counsellor, caseworker, lead or admin"))
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
        Command::Serve { no_worker, .. } => serve(settings, !no_worker),
        Command::Worker => worker(settings),
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
        Command::User { command } => user_command(&settings, command),
        Command::Token { command } => token_command(&settings, command),
        Command::Partner { command } => partner_command(&settings, command),
        Command::Audit { command } => audit_command(&settings, command),
        Command::Events { command } => events_command(&settings, command),
        Command::DemoData { years, seed, until } => demo_data(&settings, years, seed, until),
    }
}

/// Runs an administrative write on the configured database, migrated first.
fn admin_write<T>(
    settings: &Settings,
    f: impl FnOnce(&mut crate::db::DbConn, chrono::DateTime<chrono::Utc>) -> Result<T, AdminError>,
) -> anyhow::Result<T> {
    let db = current_db(settings)?;
    let now = chrono::Utc::now();
    Ok(db.write_blocking(|conn| f(conn, now))?)
}

fn admin_read<T>(
    settings: &Settings,
    f: impl FnOnce(&mut crate::db::DbConn) -> Result<T, AdminError>,
) -> anyhow::Result<T> {
    let db = current_db(settings)?;
    let mut conn = db.conn()?;
    Ok(f(&mut conn)?)
}

/// The database, if its schema is current: administrative commands never
/// migrate a database that a running server of another version may use.
fn current_db(settings: &Settings) -> anyhow::Result<crate::db::Db> {
    let db = startup::open_db(settings)?;
    let pending = migrations::pending_count(&mut *db.conn()?)?;
    if pending > 0 {
        anyhow::bail!(
            "the database lacks {pending} migration(s): run `brug migrate` (or start `brug serve`) first"
        );
    }
    Ok(db)
}

fn when(at: Option<chrono::NaiveDateTime>) -> String {
    at.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".to_owned())
}

fn print_tokens(tokens: &[store::TokenSummary]) {
    println!(
        "{:<36}  {:<7}  {:<14}  {:<32}  {:<16}  {:<16}  revoked",
        "id", "kind", "prefix", "owner", "created", "last used"
    );
    for t in tokens {
        println!(
            "{:<36}  {:<7}  {:<14}  {:<32}  {:<16}  {:<16}  {}",
            t.id,
            t.kind,
            format!("{}...", t.prefix),
            t.owner,
            when(Some(t.created_at)),
            when(t.last_used_at),
            when(t.revoked_at)
        );
    }
}

fn user_command(settings: &Settings, command: UserCommand) -> anyhow::Result<ExitCode> {
    match command {
        UserCommand::Add { email, roles, name } => {
            let token = admin_write(settings, |conn, now| {
                store::add_user(conn, &email, name.as_deref(), &roles, now)
            })?;
            println!("{}", token.secret);
        }
        UserCommand::List => {
            let users = admin_read(settings, store::list_users)?;
            println!(
                "{:<32}  {:<24}  {:<28}  {:<16}  disabled",
                "email", "name", "roles", "created"
            );
            for u in users {
                let roles: Vec<&str> = u.roles.iter().map(|r| r.as_str()).collect();
                println!(
                    "{:<32}  {:<24}  {:<28}  {:<16}  {}",
                    u.email,
                    u.name.unwrap_or_default(),
                    roles.join(","),
                    when(Some(u.created_at)),
                    when(u.disabled_at)
                );
            }
        }
        UserCommand::Disable { email } => {
            admin_write(settings, |conn, now| store::disable_user(conn, &email, now))?;
            eprintln!("{email} is disabled; their tokens no longer work.");
        }
        UserCommand::Token { email } => {
            let token = admin_write(settings, |conn, now| {
                store::issue_user_token(conn, &email, now)
            })?;
            println!("{}", token.secret);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn token_command(settings: &Settings, command: TokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::List => print_tokens(&admin_read(settings, store::list_tokens)?),
        TokenCommand::Revoke { token } => {
            admin_write(settings, |conn, now| {
                store::revoke_token(conn, &token, None, now)
            })?;
            eprintln!("Revoked.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn partner_command(settings: &Settings, command: PartnerCommand) -> anyhow::Result<ExitCode> {
    match command {
        PartnerCommand::Key { partner_id } => {
            let key = admin_write(settings, |conn, now| {
                store::add_partner_key(conn, &partner_id, now)
            })?;
            println!("{}", key.secret);
        }
        PartnerCommand::Keys { partner_id } => print_tokens(&admin_read(settings, |conn| {
            store::list_partner_keys(conn, &partner_id)
        })?),
        PartnerCommand::RevokeKey { key_id } => {
            admin_write(settings, |conn, now| {
                store::revoke_token(conn, &key_id, Some(TokenKind::Partner), now)
            })?;
            eprintln!("Revoked.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn audit_command(settings: &Settings, command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify => {
            let db = current_db(settings)?;
            let mut conn = db.conn()?;
            let result = crate::audit::store::verify(&mut conn)?;
            Ok(match result.first_break {
                None => {
                    println!(
                        "{} audit entries verified; head {}",
                        result.checked, result.head
                    );
                    ExitCode::SUCCESS
                }
                Some(broken) => {
                    println!(
                        "audit entry {} ({}) is broken: {}; {} entries before it verified",
                        broken.seq, broken.id, broken.reason, result.checked
                    );
                    ExitCode::FAILURE
                }
            })
        }
    }
}

fn demo_data(
    settings: &Settings,
    years: u32,
    seed: u64,
    until: Option<chrono::NaiveDate>,
) -> anyhow::Result<ExitCode> {
    let now = chrono::Utc::now();
    let yesterday = now.date_naive() - chrono::Duration::days(1);
    let until = until.unwrap_or(yesterday);
    if until > yesterday {
        // The API refuses dates after today; the demo's history ends before it.
        anyhow::bail!(
            "--until {until} must lie before today ({})",
            now.date_naive()
        );
    }
    let db = startup::open_db(settings)?;
    startup::prepare(settings, &db)?;
    let model = crate::monitoring::Model::load(settings.monitoring_model.as_deref())
        .map_err(|e| anyhow::anyhow!("the monitoring model is not valid: {e}"))?;
    let options = crate::demo::Options { years, seed, until };
    let rules = crate::demo::Rules {
        sla: &settings.sla,
        checklist: &settings.checklist,
        monitoring_months: &settings.monitoring_schedule_months,
        model: &model,
    };
    let started = std::time::Instant::now();
    let counts = crate::demo::store::fill(&db, options, &rules, now)?;
    for (table, rows) in &counts {
        println!("{table:<26} {rows:>9}");
    }
    eprintln!(
        "Demo programme written: {years} year(s) up to {}, seed {seed}, in {:.1} s.",
        options.until,
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
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

fn events_command(settings: &Settings, command: EventsCommand) -> anyhow::Result<ExitCode> {
    use crate::webhooks::store::{self as queue, Replay};
    match command {
        EventsCommand::Dead { partner } => {
            let dead = admin_read(settings, |conn| Ok(queue::dead(conn, partner.as_deref())?))?;
            println!(
                "{:<36}  {:<22}  {:<28}  {:>8}  {:<16}  last error",
                "event", "type", "partner", "attempts", "gave up"
            );
            for d in &dead {
                println!(
                    "{:<36}  {:<22}  {:<28}  {:>8}  {:<16}  {}",
                    d.event_id,
                    d.event_type,
                    d.partner_id,
                    d.attempts,
                    when(d.finished_at),
                    d.last_error.as_deref().unwrap_or("-")
                );
            }
            eprintln!("{} dead letter(s).", dead.len());
        }
        EventsCommand::Replay {
            event_ids,
            partner,
            all,
        } => {
            let which = match (event_ids.is_empty(), partner, all) {
                (false, None, false) => Replay::Events(event_ids),
                (true, Some(partner), false) => Replay::Partner(partner),
                (true, None, true) => Replay::All,
                _ => anyhow::bail!("name event ids, or --partner PARTNER_ID, or --all"),
            };
            let replayed = admin_write(settings, |conn, now| {
                let ids = queue::replay(conn, &which, now)?;
                for id in &ids {
                    let entry = crate::audit::NewEntry::new(
                        crate::audit::Actor::cli(),
                        "events.replay",
                        "event",
                        id,
                    );
                    crate::audit::store::append(conn, entry, now)?;
                }
                Ok(ids)
            })?;
            if let Replay::Events(asked) = &which {
                for id in asked.iter().filter(|id| !replayed.contains(id)) {
                    eprintln!("{id} is not a dead letter; left alone.");
                }
            }
            eprintln!(
                "{} event(s) queued for delivery again; a running `brug serve` or `brug worker` sends them.",
                replayed.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Delivers webhooks until SIGTERM or ctrl-c.
fn worker(settings: Settings) -> anyhow::Result<ExitCode> {
    let db = current_db(&settings)?;
    let sender = std::sync::Arc::new(startup::webhook_sender(&settings)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let (stop, running) = crate::webhooks::worker::spawn(db, &settings, sender);
        shutdown_signal().await;
        let _ = stop.send(true);
        running.await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn serve(settings: Settings, with_worker: bool) -> anyhow::Result<ExitCode> {
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
        let worker_settings = settings.clone();
        let worker_db = db.clone();
        let app = Application::build(settings, db, None)?;
        let worker = if with_worker {
            let sender = std::sync::Arc::new(startup::webhook_sender(&worker_settings)?);
            Some(crate::webhooks::worker::spawn(
                worker_db,
                &worker_settings,
                sender,
            ))
        } else {
            None
        };
        tracing::info!(port = app.port(), "listening");
        app.run_until_stopped().await?;
        if let Some((stop, running)) = worker {
            let _ = stop.send(true);
            running.await?;
        }
        tracing::info!("stopped");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
