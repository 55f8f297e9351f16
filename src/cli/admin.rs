//! The administrative commands: staff users, tokens, partner keys, the
//! audit log's check, and the demonstration data.

use std::process::ExitCode;

use clap::Subcommand;

use crate::audit::anchor::Anchor;
use crate::auth::store::{self, AdminError};
use crate::auth::{Role, TokenKind};
use crate::config::Settings;
use crate::db::migrations;
use crate::startup;

#[derive(Debug, Subcommand)]
pub(super) enum UserCommand {
    /// Create a staff user and print their API token (alone on standard
    /// output, once); with --invite, a one-time link to set a password for
    /// the web UI instead.
    Add {
        email: String,
        /// counsellor, caseworker, lead or admin; repeat for several.
        #[arg(long = "role", required = true, value_parser = parse_role)]
        roles: Vec<Role>,
        /// The user's name, as colleagues know it.
        #[arg(long)]
        name: Option<String>,
        /// Print a link (valid 72 hours, usable once) to set a password,
        /// instead of an API token.
        #[arg(long)]
        invite: bool,
    },
    /// Set a user's password for the web UI: asked for twice on a
    /// terminal, else read from the first line of standard input. Their
    /// open sessions end.
    Password { email: String },
    /// Print a new one-time link (valid 72 hours) for an existing user to
    /// set their password.
    Invite { email: String },
    /// List staff users and their roles.
    List,
    /// Disable a user: every token of theirs stops working at once.
    Disable { email: String },
    /// Print a new API token for an existing user (alone on standard output, once).
    Token { email: String },
    /// Turn a user's email notifications (a plan to approve) on or off.
    Notify {
        email: String,
        switch: super::mail::Switch,
        /// The mails' language: nl (the default) or en.
        #[arg(long, value_parser = ["nl", "en"])]
        language: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum TokenCommand {
    /// List every staff token and partner key (prefix, owner, created, last used).
    List,
    /// Revoke a token or key, named by its id or by the token itself.
    Revoke { token: String },
}

#[derive(Debug, Subcommand)]
pub(super) enum PartnerCommand {
    /// Print a new API key for a partner (alone on standard output, once).
    Key { partner_id: String },
    /// List a partner's keys.
    Keys { partner_id: String },
    /// Revoke one partner key by its id.
    RevokeKey { key_id: String },
    /// People at a partner who use the portal (/portal).
    User {
        #[command(subcommand)]
        command: PartnerUserCommand,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum PartnerUserCommand {
    /// Invite a person at a partner to the portal: prints a one-time link
    /// (valid 72 hours) where they set a password and enrol a second factor.
    Add {
        partner_id: String,
        email: String,
        /// focal_point (does the work) or coordinator (also signs off).
        #[arg(long, value_parser = parse_partner_role)]
        role: crate::auth::partner_users::PartnerRole,
        /// The portal's language for them: en, fr or ar (default en).
        #[arg(long, default_value = "en", value_parser = parse_portal_language)]
        language: String,
    },
    /// Print a new one-time link for a person (older links stop working).
    Invite { email: String },
    /// List the people of a partner.
    List { partner_id: String },
}

fn parse_partner_role(value: &str) -> Result<crate::auth::partner_users::PartnerRole, String> {
    crate::auth::partner_users::PartnerRole::parse(value)
        .ok_or_else(|| format!("`{value}` is not a role: focal_point or coordinator"))
}

fn parse_portal_language(value: &str) -> Result<String, String> {
    crate::web::i18n::Lang::parse(value)
        .filter(|l| crate::web::i18n::Lang::PORTAL.contains(l))
        .map(|l| l.code().to_owned())
        .ok_or_else(|| format!("`{value}` is not a portal language: en, fr or ar"))
}

#[derive(Debug, Subcommand)]
pub(super) enum AuditCommand {
    /// Recompute the hash chain under the audit key; exit non-zero naming
    /// the first broken entry.
    Verify {
        /// An anchor printed earlier by `brug audit anchor`: also prove that
        /// the log still holds everything up to it unchanged.
        #[arg(long, value_name = "FILE")]
        anchor: Option<std::path::PathBuf>,
    },
    /// Print the chain's head with its sequence number and a signature:
    /// keep it apart from the database, to check later with
    /// `brug audit verify --anchor FILE`.
    Anchor,
}

fn parse_role(value: &str) -> Result<Role, String> {
    Role::parse(value)
        .ok_or_else(|| format!("`{value}` is not a role: counsellor, caseworker, lead or admin"))
}

/// Runs an administrative write on the configured database, migrated first.
pub(super) fn admin_write<T>(
    settings: &Settings,
    f: impl FnOnce(&mut crate::db::DbConn, chrono::DateTime<chrono::Utc>) -> Result<T, AdminError>,
) -> anyhow::Result<T> {
    let db = current_db(settings)?;
    let now = chrono::Utc::now();
    Ok(db.write_blocking(|conn| f(conn, now))?)
}

pub(super) fn admin_read<T>(
    settings: &Settings,
    f: impl FnOnce(&mut crate::db::DbConn) -> Result<T, AdminError>,
) -> anyhow::Result<T> {
    let db = current_db(settings)?;
    let mut conn = db.conn()?;
    Ok(f(&mut conn)?)
}

/// The database, if its schema is current: administrative commands never
/// migrate a database that a running server of another version may use.
pub(super) fn current_db(settings: &Settings) -> anyhow::Result<crate::db::Db> {
    let db = startup::open_db_with(settings, startup::AuditKey::MustExist)?;
    let pending = migrations::pending_count(&mut *db.conn()?)?;
    if pending > 0 {
        anyhow::bail!(
            "the database lacks {pending} migration(s): run `brug migrate` (or start `brug serve`) first"
        );
    }
    Ok(db)
}

pub(super) fn when(at: Option<chrono::NaiveDateTime>) -> String {
    at.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".to_owned())
}

pub(super) fn print_tokens(tokens: &[store::TokenSummary]) {
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

pub(super) fn user_command(settings: &Settings, command: UserCommand) -> anyhow::Result<ExitCode> {
    match command {
        UserCommand::Add {
            email,
            roles,
            name,
            invite: false,
        } => {
            let token = admin_write(settings, |conn, now| {
                crate::auth::commands::add_user(conn, &email, name.as_deref(), &roles, now)
            })?;
            println!("{}", token.secret);
        }
        UserCommand::Add {
            email,
            roles,
            name,
            invite: true,
        } => {
            let secret = admin_write(settings, |conn, now| {
                crate::auth::commands::invite_user(conn, &email, name.as_deref(), &roles, now)
            })?;
            println!("{}", invitation_link(settings, &secret));
            eprintln!("The link works once, for 72 hours.");
        }
        UserCommand::Invite { email } => {
            let secret = admin_write(settings, |conn, now| {
                crate::auth::commands::reinvite_user(conn, &email, now)
            })?;
            println!("{}", invitation_link(settings, &secret));
            eprintln!("The link works once, for 72 hours.");
        }
        UserCommand::Password { email } => {
            let password = read_password()?;
            admin_write(settings, |conn, now| {
                crate::auth::sessions::set_password(
                    conn,
                    &crate::audit::Actor::cli(),
                    &email,
                    &password,
                    now,
                )
            })?;
            eprintln!("The password of {email} is set; their open sessions have ended.");
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
            admin_write(settings, |conn, now| {
                crate::auth::commands::disable_user(conn, &email, now)
            })?;
            eprintln!("{email} is disabled; their tokens no longer work.");
        }
        UserCommand::Token { email } => {
            let token = admin_write(settings, |conn, now| {
                crate::auth::commands::issue_user_token(conn, &email, now)
            })?;
            println!("{}", token.secret);
        }
        UserCommand::Notify {
            email,
            switch,
            language,
        } => super::mail::notify(settings, &email, switch, language.as_deref())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Where the person opens their invitation: `public_url`, else the
/// address `serve` listens on.
fn invitation_link(settings: &Settings, secret: &str) -> String {
    let base = settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", settings.addr));
    format!("{}/invite/{secret}", base.trim_end_matches('/'))
}

/// A new password: asked twice without echo on a terminal, else the first
/// line of standard input (for scripts).
fn read_password() -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ")?;
        let again = rpassword::prompt_password("Again: ")?;
        if first != again {
            anyhow::bail!("the two passwords differ; nothing was changed");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

pub(super) fn token_command(
    settings: &Settings,
    command: TokenCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::List => print_tokens(&admin_read(settings, store::list_tokens)?),
        TokenCommand::Revoke { token } => {
            admin_write(settings, |conn, now| {
                crate::auth::commands::revoke_token(conn, &token, None, now)
            })?;
            eprintln!("Revoked.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn partner_command(
    settings: &Settings,
    command: PartnerCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        PartnerCommand::Key { partner_id } => {
            let key = admin_write(settings, |conn, now| {
                crate::auth::commands::add_partner_key(conn, &partner_id, now)
            })?;
            println!("{}", key.secret);
        }
        PartnerCommand::Keys { partner_id } => print_tokens(&admin_read(settings, |conn| {
            store::list_partner_keys(conn, &partner_id)
        })?),
        PartnerCommand::RevokeKey { key_id } => {
            admin_write(settings, |conn, now| {
                crate::auth::commands::revoke_token(conn, &key_id, Some(TokenKind::Partner), now)
            })?;
            eprintln!("Revoked.");
        }
        PartnerCommand::User { command } => partner_user_command(settings, command)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn partner_user_command(settings: &Settings, command: PartnerUserCommand) -> anyhow::Result<()> {
    use crate::auth::partner_users as people;
    let actor = crate::audit::Actor::cli();
    match command {
        PartnerUserCommand::Add {
            partner_id,
            email,
            role,
            language,
        } => {
            let (_, token) = admin_write(settings, |conn, now| {
                people::add(conn, &actor, &partner_id, &email, role, &language, now)
            })?;
            println!("{}", portal_invitation_link(settings, &token));
        }
        PartnerUserCommand::Invite { email } => {
            let token = admin_write(settings, |conn, now| {
                let email = store::normalise_email(&email)?;
                let user = people::by_email(conn, &email)?
                    .ok_or_else(|| AdminError::NotFound(format!("no portal user {email}")))?;
                if user.disabled {
                    return Err(AdminError::Conflict(format!("{email} is disabled")));
                }
                people::invite(conn, &actor, &user.id, now)
            })?;
            println!("{}", portal_invitation_link(settings, &token));
        }
        PartnerUserCommand::List { partner_id } => {
            let users = admin_read(settings, |conn| {
                people::of_partner(conn, &partner_id).map_err(AdminError::from)
            })?;
            for user in users {
                let state = if user.disabled {
                    "disabled"
                } else if !user.active {
                    "invited"
                } else if !user.second_factor {
                    "no second factor yet"
                } else {
                    "active"
                };
                println!("{}\t{}\t{}\t{}", user.id, user.email, user.role, state);
            }
        }
    }
    Ok(())
}

/// The portal's invitation page for a token, under `public_url`.
fn portal_invitation_link(settings: &Settings, secret: &str) -> String {
    let base = settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", settings.addr));
    format!("{}/portal/invite/{secret}", base.trim_end_matches('/'))
}

pub(super) fn audit_command(
    settings: &Settings,
    command: AuditCommand,
) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify { anchor } => {
            let anchor =
                match anchor {
                    Some(path) => {
                        let text = std::fs::read_to_string(&path).map_err(|e| {
                            anyhow::anyhow!("cannot read the anchor {}: {e}", path.display())
                        })?;
                        Some(Anchor::parse(&text).map_err(|e| {
                            anyhow::anyhow!("{} is not an anchor: {e}", path.display())
                        })?)
                    }
                    None => None,
                };
            let (db, key) = audited_db(settings)?;
            let mut conn = db.conn()?;
            let result = crate::audit::store::verify(&mut conn, Some(&key))?;
            if let Some(broken) = result.first_break {
                println!(
                    "audit entry {} ({}) is broken: {}; {} entries before it verified",
                    broken.seq, broken.id, broken.reason, result.checked
                );
                return Ok(ExitCode::FAILURE);
            }
            if result.checked > 0 && !result.sealed {
                println!(
                    "the last audit entry is not sealed with the audit key (forged, or the \
                     key is not this database's); {} entries verified",
                    result.checked
                );
                return Ok(ExitCode::FAILURE);
            }
            if let Some(anchor) = anchor {
                if let Err(why) = crate::audit::anchor::holds(&mut conn, &anchor, &key)? {
                    println!("{why}");
                    return Ok(ExitCode::FAILURE);
                }
                println!(
                    "{} audit entries verified; head {}; anchored entry {} unchanged",
                    result.checked, result.head, anchor.seq
                );
            } else {
                println!(
                    "{} audit entries verified; head {}",
                    result.checked, result.head
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Anchor => {
            let (db, key) = audited_db(settings)?;
            let mut conn = db.conn()?;
            match crate::audit::anchor::current(&mut conn, &key)? {
                Some(anchor) => {
                    println!("{}", anchor.to_line());
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    eprintln!("the audit log is empty: nothing to anchor");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}

/// The database and the audit key it was sealed with, which must exist
/// already: a key made up now would prove nothing.
fn audited_db(settings: &Settings) -> anyhow::Result<(crate::db::Db, Vec<u8>)> {
    let path = startup::audit_key_path(settings)?;
    let key = crate::audit::key::load(&path)?;
    Ok((current_db(settings)?, key))
}

pub(super) fn demo_data(
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
