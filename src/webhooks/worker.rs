//! The delivery worker: claims due deliveries from the queue, sends each
//! signed to its partner's webhook, and writes back what came of it. It runs
//! inside `brug serve` and alone as `brug worker`; several may run at once.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::sync::watch;

use super::store::{self, DEAD, DELIVERED, EndpointStatus, Outcome, Outgoing, PENDING};
use super::{AfterFailure, Attempt, RetrySchedule, after_failure, check_url_form, is_internal};
use crate::config::Settings;
use crate::db::{Db, DbError};

/// Deliveries claimed per round.
const BATCH: i64 = 32;

/// Rounds a worker runs at once: a webhook that answers slowly holds up
/// one lane, while the others go on delivering.
const LANES: usize = 4;

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
    if !allow_local && addrs.iter().any(|a| is_internal(a.ip())) {
        // Which address is not said: partners need not map our network.
        return Err(format!(
            "{host} resolves to a loopback, private or otherwise internal address"
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

    /// One POST of `body` as message `id`, signed with each of `secrets`.
    pub async fn send(&self, url: &str, secrets: &[&str], id: &str, body: &str) -> Attempt {
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
        let signed = match super::sign_with_all(secrets, id, now, body) {
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
    /// The lanes of one worker claim in turn, so that each sees what the
    /// others have taken (and leaves a partner being sent to alone).
    claiming: tokio::sync::Mutex<()>,
}

impl Worker {
    pub fn new(db: Db, settings: &Settings, sender: Arc<Sender>) -> Self {
        Self {
            db,
            sender,
            schedule: settings.webhook_retry_schedule.clone(),
            poll: Duration::from_millis(settings.webhook_poll_ms.max(10)),
            id: format!("worker-{}", uuid::Uuid::now_v7()),
            claiming: tokio::sync::Mutex::new(()),
        }
    }

    /// Delivers until `stop` turns true, in [`LANES`] lanes of rounds, and
    /// looks for monitoring visits that fell due every minute; rounds in
    /// progress finish.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, "webhook delivery started");
        let worker = Arc::new(self);
        let mut lanes = tokio::task::JoinSet::new();
        for lane in 0..LANES {
            // Each lane claims under its own name, so that one lane's lease
            // can never be taken for another's.
            let name = format!("{}-{lane}", worker.id);
            lanes.spawn(worker.clone().lane(name, stop.clone()));
        }
        loop {
            worker.announce_due_visits().await;
            tokio::select! {
                _ = tokio::time::sleep(ANNOUNCE_EVERY) => {}
                changed = stop.changed() => {
                    // Told to stop, or nobody is left who could tell us.
                    if changed.is_err() || *stop.borrow() {
                        break;
                    }
                }
            }
        }
        while let Some(ended) = lanes.join_next().await {
            if let Err(e) = ended {
                tracing::error!(error = %e, "a webhook delivery lane failed");
            }
        }
        tracing::info!(worker = %worker.id, "webhook delivery stopped");
    }

    /// One lane: a round after another while there is work, a look every
    /// `poll` while there is none.
    async fn lane(self: Arc<Self>, name: String, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                break;
            }
            let busy = match self.round(&name).await {
                Ok(claimed) => claimed > 0,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook delivery round failed; trying again");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    _ = tokio::time::sleep(self.poll) => {}
                    changed = stop.changed() => {
                        if changed.is_err() {
                            break;
                        }
                    }
                }
            }
        }
    }

    /// Publishes `monitoring.due` for the visits that fell due since the
    /// last look (each visit once, whichever instance gets there first).
    async fn announce_due_visits(&self) {
        let announced = self
            .db
            .write(|conn| crate::monitoring::commands::announce_due(conn, Utc::now()))
            .await;
        match announced {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "monitoring visits fell due; partners told"),
            Err(e) => tracing::warn!(error = %e, "cannot look for monitoring visits due"),
        }
    }

    /// Claims what is due, delivers it, and writes the outcomes back in one
    /// transaction; returns how many were claimed.
    pub async fn round(&self, name: &str) -> Result<usize, DbError> {
        let turn = self.claiming.lock().await;
        let now = Utc::now();
        let lease = self.sender.timeout() + LEASE_MARGIN;
        let worker = name.to_owned();
        let seqs = self
            .db
            .write_queue(move |conn| store::claim(conn, &worker, now, lease, BATCH))
            .await?;
        drop(turn);
        if seqs.is_empty() {
            return Ok(0);
        }
        let worker = name.to_owned();
        let claimed = seqs.clone();
        let outgoing = self
            .db
            .read(move |conn| store::outgoing(conn, &claimed, &worker))
            .await?;
        let outcomes =
            futures_util::future::join_all(outgoing.into_iter().map(|o| self.deliver(o))).await;
        self.write_back(name, outcomes).await;
        Ok(seqs.len())
    }

    /// Sends one claimed delivery; returns what to write back.
    async fn deliver(&self, outgoing: Outgoing) -> (i64, Outcome) {
        let seq = outgoing.event_seq;
        let (url, secret) = match (&outgoing.url, &outgoing.secret, &outgoing.endpoint_status) {
            (Some(url), Some(secret), Some(EndpointStatus::Active)) => (url, secret),
            _ => {
                let outcome = Outcome {
                    status: DEAD,
                    response_status: None,
                    error: Some("the partner has no active webhook".to_owned()),
                    next_attempt_at: None,
                };
                return (seq, outcome);
            }
        };
        let secrets = store::signing_secrets(
            secret,
            outgoing.previous_secret.as_deref(),
            outgoing.previous_secret_until,
            Utc::now().naive_utc(),
        );
        let attempt = self
            .sender
            .send(url, &secrets, &outgoing.event_id, &outgoing.payload)
            .await;
        let attempts = u32::try_from(outgoing.attempts).unwrap_or(0) + 1;
        let outcome = match attempt {
            Attempt::Delivered { status } => Outcome {
                status: DELIVERED,
                response_status: Some(status),
                error: None,
                next_attempt_at: None,
            },
            Attempt::Gone => self.disable(&outgoing, url, secret).await,
            Attempt::Failed {
                status,
                error,
                retry_after,
            } => match after_failure(&self.schedule, attempts, retry_after, super::random_unit()) {
                AfterFailure::RetryIn(wait) => Outcome {
                    status: PENDING,
                    response_status: status,
                    error: Some(error),
                    next_attempt_at: Some(later(Utc::now(), wait)),
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
        (seq, outcome)
    }

    /// Writes a round's outcomes back in one transaction, trying a few
    /// times: an outcome not written is sent again once its lease runs out.
    async fn write_back(&self, name: &str, outcomes: Vec<(i64, Outcome)>) {
        let outcomes = std::sync::Arc::new(outcomes);
        let mut wait = Duration::from_millis(200);
        for attempt in 1..=4 {
            let worker = name.to_owned();
            let batch = outcomes.clone();
            let written = self
                .db
                .write_queue(move |conn| {
                    let now = Utc::now();
                    let mut lost = 0;
                    for (seq, outcome) in batch.iter() {
                        if !store::record(conn, *seq, &worker, outcome, now)? {
                            lost += 1;
                        }
                    }
                    Ok::<_, DbError>(lost)
                })
                .await;
            match written {
                Ok(0) => return,
                Ok(lost) => {
                    tracing::warn!(
                        lost,
                        "deliveries whose lease ran out before their outcome was written"
                    );
                    return;
                }
                Err(e) if attempt < 4 => {
                    tracing::warn!(error = %e, attempt, "cannot write delivery outcomes yet");
                    tokio::time::sleep(wait).await;
                    wait *= 3;
                }
                Err(e) => tracing::error!(
                    error = %e,
                    count = outcomes.len(),
                    "cannot write delivery outcomes; they will be sent again"
                ),
            }
        }
    }

    /// The webhook answered 410 Gone: turn it off, dead-letter what waits
    /// for it, and keep the change in the audit log. If the partner set
    /// another webhook meanwhile, the answer came from the old one: the
    /// event is tried again at once, at the new one.
    async fn disable(&self, outgoing: &Outgoing, url: &str, secret: &str) -> Outcome {
        let partner = outgoing.partner_id.clone();
        let answered = (url.to_owned(), secret.to_owned());
        let now = Utc::now();
        let reason = format!(
            "the webhook answered 410 Gone at {}; set it again to resume",
            now.format("%Y-%m-%d %H:%M:%SZ")
        );
        let why = reason.clone();
        let result = self
            .db
            .write(move |conn| {
                super::commands::disable_gone(conn, &partner, (&answered.0, &answered.1), &why, now)
            })
            .await;
        match result {
            Ok(Some(moved)) => {
                tracing::warn!(
                    partner = %outgoing.partner_id,
                    dead_lettered = moved,
                    "a partner's webhook answered 410 Gone and is now disabled"
                );
                Outcome {
                    status: DEAD,
                    response_status: Some(410),
                    error: Some(reason),
                    next_attempt_at: None,
                }
            }
            Ok(None) => Outcome {
                status: PENDING,
                response_status: Some(410),
                error: Some("410 Gone from a webhook the partner has since replaced".to_owned()),
                next_attempt_at: None,
            },
            Err(e) => {
                tracing::error!(error = %e, "cannot disable a webhook that answered 410");
                Outcome {
                    status: PENDING,
                    response_status: Some(410),
                    error: Some(reason),
                    next_attempt_at: Some(later(now, Duration::from_secs(60))),
                }
            }
        }
    }
}

/// `wait` after `now`; waits are bounded when the settings load, so the
/// fallback (a week) is never reached in practice.
fn later(now: chrono::DateTime<Utc>, wait: Duration) -> chrono::DateTime<Utc> {
    chrono::Duration::from_std(wait)
        .ok()
        .and_then(|wait| now.checked_add_signed(wait))
        .unwrap_or(now + chrono::Duration::days(7))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn names_that_lead_inside_are_refused_where_the_connection_is_made() {
        let refused = resolve_checked("localhost", 443, false)
            .await
            .expect_err("localhost leads inside");
        assert!(refused.contains("internal"), "{refused}");
        assert!(
            !refused.contains("127.0.0.1"),
            "the address is not given away"
        );
        let allowed = resolve_checked("localhost", 8080, true)
            .await
            .expect("allowed for development");
        assert!(allowed.iter().all(|a| a.port() == 8080));
    }

    #[test]
    fn later_never_overflows() {
        let now = Utc::now();
        assert_eq!(
            later(now, Duration::from_secs(60)),
            now + chrono::Duration::seconds(60)
        );
        assert_eq!(later(now, Duration::MAX), now + chrono::Duration::days(7));
    }
}
