//! The delivery worker: claims due deliveries from the queue, sends each
//! signed to its partner's webhook, and writes back what came of it. It runs
//! inside `brug serve` and alone as `brug worker`; several may run at once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::sync::watch;

use super::store::{self, ACTIVE, DEAD, DELIVERED, Outcome, Outgoing, PENDING};
use super::{AfterFailure, Attempt, RetrySchedule, after_failure, check_url_form, is_internal};
use crate::audit::{self, Actor, NewEntry};
use crate::config::Settings;
use crate::db::{Db, DbError};

/// Deliveries claimed per round.
const BATCH: i64 = 32;

/// How often the worker looks for monitoring visits that have fallen due.
const ANNOUNCE_EVERY: Duration = Duration::from_secs(60);

/// How long a claim holds beyond the request timeout, so that a slow answer
/// is written back before another worker may take the delivery over.
const LEASE_MARGIN: Duration = Duration::from_secs(30);

/// Resolves webhook hosts and refuses any that lead to an internal address:
/// the check happens where the connection is made, so a name cannot pass
/// the check and then resolve elsewhere (DNS rebinding).
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_local: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allow_local = self.allow_local;
        Box::pin(async move {
            let addrs = resolve_checked(&host, 0, allow_local).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Looks `host` up and fails if it has no address, or (unless
/// `allow_local`) any internal one.
pub async fn resolve_checked(
    host: &str,
    port: u16,
    allow_local: bool,
) -> Result<Vec<SocketAddr>, String> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("{host} does not resolve ({e})"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("{host} does not resolve"));
    }
    if !allow_local && let Some(bad) = addrs.iter().find(|a| is_internal(a.ip())) {
        return Err(format!(
            "{host} resolves to the internal address {}",
            bad.ip()
        ));
    }
    Ok(addrs)
}

/// Checks a URL a partner wants to use: its form, then where its host leads.
pub async fn check_url(raw: &str, allow_local: bool) -> Result<url::Url, String> {
    let url = check_url_form(raw, allow_local)?;
    if let Some(url::Host::Domain(host)) = url.host() {
        let port = url.port_or_known_default().unwrap_or(443);
        resolve_checked(host, port, allow_local).await?;
    }
    Ok(url)
}

/// Sends signed messages to webhooks.
pub struct Sender {
    client: reqwest::Client,
    allow_local: bool,
    timeout: Duration,
}

impl Sender {
    pub fn new(settings: &Settings) -> Result<Self, reqwest::Error> {
        let timeout = Duration::from_secs(settings.webhook_timeout_secs.max(1));
        let client = reqwest::Client::builder()
            .user_agent(concat!("Brug-Webhooks/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            // A redirect could lead anywhere, past the address check.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve the host itself, past the address check.
            .no_proxy()
            .dns_resolver(GuardedResolver {
                allow_local: settings.webhook_allow_local,
            })
            .build()?;
        Ok(Self {
            client,
            allow_local: settings.webhook_allow_local,
            timeout,
        })
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// One signed POST of `body` as message `id`.
    pub async fn send(&self, url: &str, secret: &str, id: &str, body: &str) -> Attempt {
        let failed = |error: String| Attempt::Failed {
            status: None,
            error,
            retry_after: None,
        };
        // Again at every attempt: the setting or the URL's address may have changed.
        if let Err(problem) = check_url_form(url, self.allow_local) {
            return failed(format!("the webhook URL {problem}"));
        }
        let now = Utc::now();
        let signed = match super::sign(secret, id, now, body) {
            Ok(signed) => signed,
            Err(e) => return failed(format!("cannot sign: {e}")),
        };
        let sent = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header(standardwebhooks::HEADER_WEBHOOK_ID, &signed.id)
            .header(
                standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
                signed.timestamp.to_string(),
            )
            .header(
                standardwebhooks::HEADER_WEBHOOK_SIGNATURE,
                &signed.signature,
            )
            .body(body.to_owned())
            .send()
            .await;
        match sent {
            Ok(response) => {
                let status = response.status();
                if status.is_success() {
                    Attempt::Delivered {
                        status: status.as_u16(),
                    }
                } else if status == reqwest::StatusCode::GONE {
                    Attempt::Gone
                } else {
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| super::parse_retry_after(v, Utc::now()));
                    Attempt::Failed {
                        status: Some(status.as_u16()),
                        error: format!("the webhook answered {status}"),
                        retry_after,
                    }
                }
            }
            Err(e) => failed(describe(&e)),
        }
    }
}

/// An error with its causes, which hold the useful part (refused, timed out,
/// resolves to an internal address).
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Delivers the outbox to webhooks until told to stop.
pub struct Worker {
    db: Db,
    sender: Arc<Sender>,
    schedule: RetrySchedule,
    poll: Duration,
    id: String,
}

impl Worker {
    pub fn new(db: Db, settings: &Settings, sender: Arc<Sender>) -> Self {
        Self {
            db,
            sender,
            schedule: settings.webhook_retry_schedule.clone(),
            poll: Duration::from_millis(settings.webhook_poll_ms.max(10)),
            id: format!("worker-{}", uuid::Uuid::now_v7()),
        }
    }

    /// Runs rounds until `stop` turns true; a round in progress finishes.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, "webhook delivery started");
        let mut announced: Option<std::time::Instant> = None;
        loop {
            if *stop.borrow() {
                break;
            }
            if announced.is_none_or(|at| at.elapsed() >= ANNOUNCE_EVERY) {
                announced = Some(std::time::Instant::now());
                self.announce_due_visits().await;
            }
            let busy = match self.round().await {
                Ok(claimed) => claimed > 0,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook delivery round failed; trying again");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    _ = tokio::time::sleep(self.poll) => {}
                    _ = stop.changed() => {}
                }
            }
        }
        tracing::info!(worker = %self.id, "webhook delivery stopped");
    }

    /// Publishes `monitoring.due` for the visits that fell due since the
    /// last look (each visit once, whichever instance gets there first).
    async fn announce_due_visits(&self) {
        let announced = self
            .db
            .write(|conn| crate::monitoring::store::announce_due(conn, Utc::now()))
            .await;
        match announced {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "monitoring visits fell due; partners told"),
            Err(e) => tracing::warn!(error = %e, "cannot look for monitoring visits due"),
        }
    }

    /// Claims what is due and delivers it; returns how many were claimed.
    pub async fn round(&self) -> Result<usize, DbError> {
        let now = Utc::now();
        let lease = self.sender.timeout() + LEASE_MARGIN;
        let lease_until = now + chrono::Duration::from_std(lease).unwrap_or_default();
        let worker = self.id.clone();
        let seqs = self
            .db
            .write_queue(move |conn| store::claim(conn, &worker, now, lease_until, BATCH))
            .await?;
        if seqs.is_empty() {
            return Ok(0);
        }
        let worker = self.id.clone();
        let claimed = seqs.clone();
        let outgoing = self
            .db
            .read(move |conn| store::outgoing(conn, &claimed, &worker))
            .await?;
        futures_util::future::join_all(outgoing.into_iter().map(|o| self.deliver(o))).await;
        Ok(seqs.len())
    }

    async fn deliver(&self, outgoing: Outgoing) {
        let seq = outgoing.event_seq;
        let attempt = match (&outgoing.url, &outgoing.secret, &outgoing.endpoint_status) {
            (Some(url), Some(secret), Some(status)) if status == ACTIVE => {
                self.sender
                    .send(url, secret, &outgoing.event_id, &outgoing.payload)
                    .await
            }
            _ => {
                let outcome = Outcome {
                    status: DEAD,
                    response_status: None,
                    error: Some("the partner has no active webhook".to_owned()),
                    next_attempt_at: None,
                };
                self.write_back(seq, outcome).await;
                return;
            }
        };
        let attempts = u32::try_from(outgoing.attempts).unwrap_or(0) + 1;
        let outcome = match attempt {
            Attempt::Delivered { status } => Outcome {
                status: DELIVERED,
                response_status: Some(status),
                error: None,
                next_attempt_at: None,
            },
            Attempt::Gone => {
                self.disable(&outgoing).await;
                return;
            }
            Attempt::Failed {
                status,
                error,
                retry_after,
            } => match after_failure(&self.schedule, attempts, retry_after, super::random_unit()) {
                AfterFailure::RetryIn(wait) => Outcome {
                    status: PENDING,
                    response_status: status,
                    error: Some(error),
                    next_attempt_at: Some(
                        Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default(),
                    ),
                },
                AfterFailure::DeadLetter => {
                    tracing::warn!(
                        event = %outgoing.event_id,
                        partner = %outgoing.partner_id,
                        attempts,
                        %error,
                        "webhook delivery gave up; the event is in the dead letters"
                    );
                    Outcome {
                        status: DEAD,
                        response_status: status,
                        error: Some(error),
                        next_attempt_at: None,
                    }
                }
            },
        };
        self.write_back(seq, outcome).await;
    }

    async fn write_back(&self, seq: i64, outcome: Outcome) {
        let worker = self.id.clone();
        let written = self
            .db
            .write_queue(move |conn| store::record(conn, seq, &worker, &outcome, Utc::now()))
            .await;
        match written {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                seq,
                "a delivery's lease ran out before its outcome was written"
            ),
            Err(e) => tracing::error!(seq, error = %e, "cannot write a delivery's outcome back"),
        }
    }

    /// The webhook answered 410 Gone: turn it off, dead-letter what waits
    /// for it, and keep the change in the audit log.
    async fn disable(&self, outgoing: &Outgoing) {
        let partner = outgoing.partner_id.clone();
        let worker = self.id.clone();
        let seq = outgoing.event_seq;
        let result = self
            .db
            .write(move |conn| {
                let now = Utc::now();
                let reason = format!(
                    "the webhook answered 410 Gone at {}; set it again to resume",
                    now.format("%Y-%m-%d %H:%M:%SZ")
                );
                let outcome = Outcome {
                    status: DEAD,
                    response_status: Some(410),
                    error: Some(reason.clone()),
                    next_attempt_at: None,
                };
                store::record(conn, seq, &worker, &outcome, now)?;
                let moved = store::disable_endpoint(conn, &partner, &reason, now)?;
                let entry = NewEntry::new(
                    Actor::system("webhook-worker"),
                    "webhook.disable",
                    "partner",
                    &partner,
                );
                audit::store::append(conn, entry, now)?;
                Ok::<_, DbError>(moved)
            })
            .await;
        match result {
            Ok(moved) => tracing::warn!(
                partner = %outgoing.partner_id,
                dead_lettered = moved,
                "a partner's webhook answered 410 Gone and is now disabled"
            ),
            Err(e) => tracing::error!(error = %e, "cannot disable a webhook that answered 410"),
        }
    }
}

/// Starts a worker on the current runtime; send `true` to stop it.
pub fn spawn(
    db: Db,
    settings: &Settings,
    sender: Arc<Sender>,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = watch::channel(false);
    let worker = Worker::new(db, settings, sender);
    (stop, tokio::spawn(worker.run(stopped)))
}
