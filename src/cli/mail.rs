//! `brug mail`: the email notifications that gave up, listed and queued
//! again; and `brug user notify`, a staff user's choice to be mailed.

use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};

use super::admin::{admin_read, admin_write, when};
use crate::auth::store::AdminError;
use crate::config::Settings;

#[derive(Debug, Subcommand)]
pub(super) enum MailCommand {
    /// List the dead letters: mails given up on after the last retry.
    Dead,
    /// Queue dead mails again, now, with a fresh set of retries.
    Replay {
        /// The mails to send again, by id.
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

/// On or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Switch {
    On,
    Off,
}

pub(super) fn command(settings: &Settings, command: MailCommand) -> anyhow::Result<ExitCode> {
    use crate::mail::store;
    match command {
        MailCommand::Dead => {
            let dead = admin_read(settings, |conn| Ok(store::dead(conn)?))?;
            println!(
                "{:<36}  {:<18}  {:<12}  {:<36}  {:>8}  {:<16}  last error",
                "mail", "kind", "to", "recipient", "attempts", "gave up"
            );
            for d in &dead {
                println!(
                    "{:<36}  {:<18}  {:<12}  {:<36}  {:>8}  {:<16}  {}",
                    d.id,
                    d.kind,
                    d.recipient_kind,
                    d.recipient_id,
                    d.attempts,
                    when(d.dead_at),
                    d.last_error.as_deref().unwrap_or("-")
                );
            }
            eprintln!("{} dead mail(s).", dead.len());
        }
        MailCommand::Replay { ids } => {
            let replayed = admin_write(settings, |conn, now| {
                Ok(store::replay(conn, &crate::audit::Actor::cli(), &ids, now)?)
            })?;
            for id in ids.iter().filter(|id| !replayed.contains(id)) {
                eprintln!("{id} is not a dead mail; left alone.");
            }
            eprintln!(
                "{} mail(s) queued again; a running `brug serve` or `brug worker` with smtp_url sends them.",
                replayed.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `brug user notify EMAIL on|off [--language nl|en]`.
pub(super) fn notify(
    settings: &Settings,
    email: &str,
    switch: Switch,
    language: Option<&str>,
) -> anyhow::Result<()> {
    let on = switch == Switch::On;
    admin_write(settings, |conn, now| {
        let email = crate::auth::store::normalise_email(email)?;
        let found = crate::mail::store::set_staff_notify(
            conn,
            &crate::audit::Actor::cli(),
            &email,
            on,
            language,
            now,
        )?;
        if found {
            Ok(())
        } else {
            Err(AdminError::NotFound(format!("no user {email}")))
        }
    })?;
    eprintln!(
        "{email} {} email notifications.",
        if on { "now gets" } else { "no longer gets" }
    );
    if on && settings.smtp_url.is_none() {
        eprintln!("No mail is sent until smtp_url (BRUG_SMTP_URL) is set.");
    }
    Ok(())
}
