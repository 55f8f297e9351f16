//! A person's rights at the command line: erasure.

use std::process::ExitCode;

use clap::Subcommand;

use super::admin::current_db;
use crate::audit::{Actor, AuditContext};
use crate::config::Settings;
use crate::domain::{CommandError, Refusal};
use crate::rights::{ErasureRequest, commands};

#[derive(Debug, Subcommand)]
pub(super) enum ClientCommand {
    /// Erase a person at their request, at once: names, date of birth (kept
    /// only as closely as reports' age bands need), V-number, contact
    /// details, talk notes and every other free text about them go; what
    /// reports count stays, anonymous. Partners with an open referral are
    /// told (`client.erased`). Running it again does no harm.
    Erase {
        /// The client's id.
        id: String,
        /// Why: the request it answers (never the person's name).
        #[arg(long)]
        reason: String,
    },
}

pub(super) fn command(settings: &Settings, command: ClientCommand) -> anyhow::Result<ExitCode> {
    match command {
        ClientCommand::Erase { id, reason } => {
            let db = current_db(settings)?;
            let by = AuditContext::new(Actor::cli(), "clients.erase", None);
            let request = ErasureRequest { reason };
            let erased = db
                .write_blocking(|conn| {
                    commands::erase(conn, &by, id.trim(), &request, chrono::Utc::now())
                })
                .map_err(|err| match err {
                    CommandError::Refused(Refusal::Invalid(fields)) => anyhow::anyhow!(
                        "{}",
                        fields
                            .iter()
                            .map(|f| format!("--{} {}", f.field, f.message))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                    CommandError::Refused(refusal) => anyhow::anyhow!("{}", refusal.detail()),
                    other => anyhow::anyhow!(other),
                })?;
            if erased.first {
                eprintln!(
                    "Erased client {}; {} partner(s) with an open referral told.",
                    erased.client_id,
                    erased.partners_told.len()
                );
            } else {
                eprintln!(
                    "Client {} was erased on {} already; anything written since is gone too.",
                    erased.client_id,
                    erased.erased_at.format("%Y-%m-%d %H:%M")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
