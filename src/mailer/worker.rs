//! The mail worker: claims due mails from the outbox, renders each in its
//! recipient's language, sends it over SMTP, and writes back what came of
//! it, retrying on the webhooks' schedule (`webhook_retry_schedule`) and
//! then giving up (`brug mail dead`, `brug mail replay`). It runs inside
//! `brug serve` and `brug worker` when `smtp_url` is set; several may run.
//! Logs name the mail and the recipient's id, never an address.

use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::sync::watch;

use super::{language, render};
use crate::config::Settings;
use crate::db::{Db, DbError};
use crate::domain::retry::RetrySchedule;
use crate::mail::store::{self, Outcome, Queued};
use crate::metrics::Email;
use crate::webhooks::{AfterFailure, after_failure, random_unit};

/// Mails claimed per round.
const BATCH: i64 = 16;

/// Mails of one round sent at once.
const SENDING: usize = 4;

/// How long the SMTP server has for one mail.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a round holds its claim: its mails, four at a time, within
/// their timeouts, and the write back.
const LEASE: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("cannot use smtp_url {url}: {cause}")]
    Smtp { url: String, cause: String },
    #[error("mail_from is not an address: {0}")]
    From(String),
}

/// Sends the mail outbox until told to stop.
pub struct Mailer {
    db: Db,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    base_url: String,
    schedule: RetrySchedule,
    poll: Duration,
    id: String,
}

impl Mailer {
    /// The worker for these settings; `None` when mail is off (no `smtp_url`).
    pub fn new(db: Db, settings: &Settings) -> Result<Option<Self>, MailerError> {
        let Some(url) = &settings.smtp_url else {
            return Ok(None);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
            .map_err(|e| MailerError::Smtp {
                url: url.redacted(),
                cause: e.to_string(),
            })?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from = settings
            .mail_from
            .as_deref()
            .unwrap_or_default()
            .trim()
            .parse::<Mailbox>()
            .map_err(|e| MailerError::From(e.to_string()))?;
        let base_url = settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", settings.addr));
        Ok(Some(Self {
            db,
            transport,
            from,
            base_url: base_url.trim_end_matches('/').to_owned(),
            schedule: settings.webhook_retry_schedule.clone(),
            poll: Duration::from_millis(settings.webhook_poll_ms.max(10)),
            id: format!("mailer-{}", uuid::Uuid::now_v7()),
        }))
    }

    /// Sends until `stop` turns true: a round after another while there is
    /// work, else a look when a commit publishes events or every poll.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, "mail sending started");
        let mut published = self.db.published();
        loop {
            if *stop.borrow() {
                break;
            }
            match self.round().await {
                Ok(claimed) if claimed > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "mail round failed; trying again"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.poll) => {}
                _ = published.changed() => {}
                changed = stop.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
        tracing::info!(worker = %self.id, "mail sending stopped");
    }

    /// Claims what is due, sends it, and writes each outcome back; returns
    /// how many were claimed.
    pub async fn round(&self) -> Result<usize, DbError> {
        let round = format!("{}-{}", self.id, uuid::Uuid::now_v7().simple());
        let name = round.clone();
        let claimed = self
            .db
            .write(move |conn| store::claim(conn, &name, Utc::now(), LEASE, BATCH))
            .await?;
        let count = claimed.len();
        let outcomes: Vec<(String, Outcome)> = futures_util::stream::iter(claimed)
            .map(|mail| async move {
                let id = mail.id.clone();
                (id, self.deliver(mail).await)
            })
            .buffer_unordered(SENDING)
            .collect()
            .await;
        for (id, outcome) in outcomes {
            crate::metrics::email(match outcome {
                Outcome::Sent => Email::Sent,
                Outcome::Retry { .. } => Email::Failed,
                Outcome::Dead { .. } => Email::DeadLettered,
            });
            let name = round.clone();
            let written = self
                .db
                .write(move |conn| store::record(conn, &name, &id, &outcome, Utc::now()))
                .await;
            match written {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!("a mail's lease ran out before its outcome was written")
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot write a mail's outcome; it is sent again")
                }
            }
        }
        Ok(count)
    }

    /// Sends one claimed mail; answers what to write back.
    async fn deliver(&self, mail: Queued) -> Outcome {
        let (kind, recipient) = (mail.recipient_kind, mail.recipient_id.clone());
        let address = self
            .db
            .read(move |conn| store::address(conn, kind, &recipient))
            .await;
        let address = match address {
            Ok(Some(address)) => address,
            Ok(None) => {
                return self.give_up(&mail, "the recipient no longer takes mail".to_owned());
            }
            Err(e) => return self.failed(&mail, format!("cannot look the recipient up: {e}")),
        };
        let Ok(to) = address.parse::<Mailbox>() else {
            return self.give_up(&mail, "the recipient's address is not valid".to_owned());
        };
        let lang = language(mail.recipient_kind, &mail.language);
        let link = format!("{}{}", self.base_url, mail.link_path);
        let text = render(mail.kind, lang, &mail.reference, mail.item_count, &link);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(text.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(text.body);
        let message = match message {
            Ok(message) => message,
            Err(e) => return self.give_up(&mail, format!("cannot build the mail: {e}")),
        };
        match self.transport.send(message).await {
            Ok(_) => {
                tracing::debug!(mail = %mail.id, recipient = %mail.recipient_id, "mail sent");
                Outcome::Sent
            }
            // The server's answer may quote the address: it is not kept.
            Err(e) if e.is_permanent() => {
                let error = hide(&e.to_string(), &address);
                self.give_up(&mail, format!("the mail server refused it: {error}"))
            }
            Err(e) => self.failed(&mail, hide(&e.to_string(), &address)),
        }
    }

    /// A failed attempt: tried again on the schedule, or given up on.
    fn failed(&self, mail: &Queued, error: String) -> Outcome {
        let attempts = u32::try_from(mail.attempts).unwrap_or(0) + 1;
        match after_failure(&self.schedule, attempts, None, random_unit()) {
            AfterFailure::RetryIn(wait) => {
                tracing::info!(
                    mail = %mail.id,
                    recipient_kind = %mail.recipient_kind,
                    recipient = %mail.recipient_id,
                    attempts,
                    %error,
                    "a mail could not be sent; trying again later"
                );
                let at = chrono::Duration::from_std(wait)
                    .ok()
                    .and_then(|wait| Utc::now().checked_add_signed(wait))
                    .unwrap_or_else(|| Utc::now() + chrono::Duration::days(7));
                Outcome::Retry { error, at }
            }
            AfterFailure::DeadLetter => self.give_up(mail, error),
        }
    }

    fn give_up(&self, mail: &Queued, error: String) -> Outcome {
        tracing::warn!(
            mail = %mail.id,
            recipient_kind = %mail.recipient_kind,
            recipient = %mail.recipient_id,
            attempts = mail.attempts + 1,
            %error,
            "a mail gave up; it is in the dead letters (brug mail dead)"
        );
        Outcome::Dead { error }
    }
}

/// `text` with every mention of `address` replaced, whatever its case.
fn hide(text: &str, address: &str) -> String {
    if address.is_empty() {
        return text.to_owned();
    }
    // ASCII lower case keeps every byte where it was.
    let lower = text.to_ascii_lowercase();
    let wanted = address.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while let Some(found) = lower[at..].find(&wanted) {
        out.push_str(&text[at..at + found]);
        out.push_str("<recipient>");
        at += found + wanted.len();
    }
    out.push_str(&text[at..]);
    out
}

/// A running worker: send `true` to stop it, then await it.
pub type Running = (watch::Sender<bool>, tokio::task::JoinHandle<()>);

/// Starts the mail worker on the current runtime when mail is on; send
/// `true` to stop it.
pub fn spawn(db: Db, settings: &Settings) -> Result<Option<Running>, MailerError> {
    let Some(mailer) = Mailer::new(db, settings)? else {
        return Ok(None);
    };
    let (stop, stopped) = watch::channel(false);
    Ok(Some((stop, tokio::spawn(mailer.run(stopped)))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_in_a_servers_answer_is_hidden() {
        assert_eq!(
            hide(
                "permanent error (550): 5.1.1 <Ama@Partner.example>: no such user",
                "ama@partner.example"
            ),
            "permanent error (550): 5.1.1 <<recipient>>: no such user"
        );
        assert_eq!(
            hide("connection refused", "a@b.example"),
            "connection refused"
        );
    }
}
