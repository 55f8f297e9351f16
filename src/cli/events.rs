//! `brug events`: the webhook deliveries that gave up, listed and replayed.

use std::process::ExitCode;

use clap::Subcommand;

use super::admin::{admin_read, admin_write, when};
use crate::config::Settings;

#[derive(Debug, Subcommand)]
pub(super) enum EventsCommand {
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

pub(super) fn command(settings: &Settings, command: EventsCommand) -> anyhow::Result<ExitCode> {
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
                Ok(crate::webhooks::commands::replay(
                    conn,
                    &crate::audit::Actor::cli(),
                    &which,
                    now,
                )?)
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
