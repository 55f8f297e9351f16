//! The delivery worker: claims due deliveries from the queue, sends each
//! signed to its partner's webhook, and writes back what came of it. It runs
//! inside `brug serve` and alone as `brug worker`; several may run at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::StreamExt;
use tokio::sync::watch;

use super::store::{self, DEAD, DELIVERED, EndpointStatus, Outcome, Outgoing, PENDING};
use super::wake::{self, Wake};
use super::{AfterFailure, Attempt, RetrySchedule, after_failure};
use crate::config::Settings;
use crate::db::{Db, DbError};
use crate::metrics::Delivery;

pub use super::sender::{GuardedResolver, Sender, check_url, resolve_checked};

/// Deliveries claimed per round, all of one partner, at most one per
/// referral: a backlog drains in few rounds.
const BATCH: i64 = 512;

/// Requests of one round in flight at once.
const SENDING: usize = 64;

/// Rounds a worker runs at once, each for another partner: a webhook that
/// answers slowly holds up one lane, while the others go on delivering.
const LANES: usize = 8;

/// How often the worker looks for monitoring visits that have fallen due.
const ANNOUNCE_EVERY: Duration = Duration::from_secs(60);

/// How long a claim holds beyond the request timeout, so that a slow answer
/// is written back before another worker may take the delivery over.
const LEASE_MARGIN: Duration = Duration::from_secs(30);

/// What a round keeps of its lease for writing its outcomes back: a
/// delivery is begun only while its timeout and this still fit.
const WRITE_BACK: Duration = Duration::from_secs(10);

/// A claimed delivery: sent, with what to write back, or given back.
enum Sent {
    Tried((i64, Outcome)),
    Released(i64),
}

/// A job the worker runs every minute beside announcing visits, handed to
/// it by the assembly (the job may belong to an area above this one): its
/// name for the logs, and one write transaction that says how many things
/// it did. It must be idempotent: every instance's worker runs it.
#[derive(Clone)]
pub struct Chore {
    pub name: &'static str,
    pub run: ChoreFn,
}

/// The write a [`Chore`] runs, at the time it is given.
pub type ChoreFn = Arc<
    dyn Fn(&mut crate::db::DbConn, chrono::DateTime<Utc>) -> Result<usize, DbError> + Send + Sync,
>;

/// Delivers the outbox to webhooks until told to stop.
pub struct Worker {
    db: Db,
    sender: Arc<Sender>,
    schedule: RetrySchedule,
    poll: Duration,
    id: String,
    /// The lanes of one worker claim in turn, so that each sees what the
    /// others have taken (and leaves a partner being sent to alone). It
    /// holds the last claim that found nothing.
    claiming: tokio::sync::Mutex<Option<Empty>>,
    /// Rung when events may have been committed.
    wake: Wake,
    /// Run every minute with the monitoring announcements.
    chores: Vec<Chore>,
}

/// The last claim that found nothing: the wake-up it had seen, and when.
#[derive(Debug, Clone, Copy)]
struct Empty {
    seen: u64,
    at: Instant,
}

/// Why a lane claims.
#[derive(Debug, Clone, Copy)]
enum Why {
    /// At start, or its last round took something: there may be more.
    Busy,
    /// Woken by a commit; it had seen this many wake-ups.
    Woken(u64),
    /// Its poll came round.
    Polled(u64),
}

impl Worker {
    pub fn new(db: Db, settings: &Settings, sender: Arc<Sender>) -> Self {
        Self {
            db,
            sender,
            schedule: settings.webhook_retry_schedule.clone(),
            poll: Duration::from_millis(settings.webhook_poll_ms.max(10)),
            id: format!("worker-{}", uuid::Uuid::now_v7()),
            claiming: tokio::sync::Mutex::new(None),
            wake: Arc::new(watch::Sender::new(0)),
            chores: Vec::new(),
        }
    }

    /// The worker, also running `chores` every minute.
    pub fn with_chores(mut self, chores: Vec<Chore>) -> Self {
        self.chores = chores;
        self
    }

    /// Delivers until `stop` turns true, in [`LANES`] lanes of rounds, woken
    /// by commits that published events (and by a poll should one go
    /// unheard), and looks for monitoring visits that fell due every
    /// minute; rounds in progress finish.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, "webhook delivery started");
        let worker = Arc::new(self);
        let mut lanes = tokio::task::JoinSet::new();
        lanes.spawn(wake::forward_published(
            worker.db.clone(),
            worker.wake.clone(),
            stop.clone(),
        ));
        let listener = wake::spawn_listener(worker.db.clone(), worker.wake.clone(), stop.clone());
        for lane in 0..LANES {
            // Each lane claims under its own name, so that one lane's lease
            // can never be taken for another's.
            let name = format!("{}-{lane}", worker.id);
            lanes.spawn(worker.clone().lane(name, stop.clone()));
        }
        loop {
            worker.announce_due_visits().await;
            for chore in &worker.chores {
                worker.run_chore(chore).await;
            }
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
        if let Some(Err(e)) = match listener {
            Some(listener) => Some(listener.await),
            None => None,
        } {
            tracing::error!(error = %e, "the webhook worker's listener failed");
        }
        tracing::info!(worker = %worker.id, "webhook delivery stopped");
    }

    /// One lane: a round after another while there is work; while there is
    /// none, a look when woken or every `poll`.
    async fn lane(self: Arc<Self>, name: String, mut stop: watch::Receiver<bool>) {
        let mut wake = self.wake.subscribe();
        let mut why = Why::Busy;
        loop {
            if *stop.borrow() {
                break;
            }
            let busy = match self.round_for(&name, why).await {
                Ok(claimed) => claimed > 0,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook delivery round failed; trying again");
                    false
                }
            };
            if busy {
                why = Why::Busy;
                continue;
            }
            // Seen before waiting: a commit from now on wakes the lane.
            let seen = *wake.borrow_and_update();
            why = tokio::select! {
                _ = tokio::time::sleep(self.poll) => Why::Polled(seen),
                changed = wake.changed() => match changed {
                    Ok(()) => Why::Woken(*wake.borrow_and_update()),
                    Err(_) => Why::Polled(seen),
                },
                changed = stop.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    Why::Busy
                }
            };
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

    /// Runs one chore in its own write transaction, at the current time.
    async fn run_chore(&self, chore: &Chore) {
        let run = chore.run.clone();
        match self.db.write(move |conn| run(conn, Utc::now())).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(chore = chore.name, count, "worker chore done"),
            Err(e) => tracing::warn!(chore = chore.name, error = %e, "a worker chore failed"),
        }
    }

    /// Claims what is due, delivers it, and writes the outcomes back in one
    /// transaction; returns how many were claimed.
    pub async fn round(&self, name: &str) -> Result<usize, DbError> {
        self.round_for(name, Why::Busy).await
    }

    /// A round, unless another lane has just looked and found nothing since
    /// what woke this one: one wake-up costs one empty claim, not one a lane.
    async fn round_for(&self, name: &str, why: Why) -> Result<usize, DbError> {
        let mut empty = self.claiming.lock().await;
        let skip = match (why, *empty) {
            (Why::Busy, _) | (_, None) => false,
            (Why::Woken(seen), Some(last)) => last.seen >= seen,
            (Why::Polled(seen), Some(last)) => {
                last.seen >= seen && last.at.elapsed() < self.poll / 2
            }
        };
        if skip {
            return Ok(0);
        }
        let seen = *self.wake.borrow();
        let started = Instant::now();
        let now = Utc::now();
        let lease = self.sender.timeout() + LEASE_MARGIN;
        let worker = name.to_owned();
        let seqs = self
            .db
            .write_queue(move |conn| store::claim(conn, &worker, now, lease, BATCH))
            .await?;
        if seqs.is_empty() {
            *empty = Some(Empty { seen, at: started });
            return Ok(0);
        }
        drop(empty);
        let worker = name.to_owned();
        let claimed = seqs.clone();
        let outgoing = self
            .db
            .read(move |conn| store::outgoing(conn, &claimed, &worker))
            .await?;
        // A delivery not begun while the lease still covers its timeout and
        // the write back is given back unattempted, for the next round.
        let begin_by = started + LEASE_MARGIN.saturating_sub(WRITE_BACK);
        let sent: Vec<Sent> = futures_util::stream::iter(outgoing)
            .map(|o| async move {
                if Instant::now() > begin_by {
                    Sent::Released(o.event_seq)
                } else {
                    Sent::Tried(self.deliver(o).await)
                }
            })
            .buffer_unordered(SENDING)
            .collect()
            .await;
        let mut outcomes = Vec::with_capacity(sent.len());
        let mut released = Vec::new();
        for s in sent {
            match s {
                Sent::Tried(outcome) => outcomes.push(outcome),
                Sent::Released(seq) => released.push(seq),
            }
        }
        self.write_back(name, outcomes, released).await;
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
                crate::metrics::webhook_delivery(&outgoing.partner_id, Delivery::DeadLettered);
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
        let gone = matches!(attempt, Attempt::Gone);
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
        let counted = match outcome.status {
            _ if gone => Delivery::Gone,
            DELIVERED => Delivery::Delivered,
            DEAD => Delivery::DeadLettered,
            _ => Delivery::Failed,
        };
        crate::metrics::webhook_delivery(&outgoing.partner_id, counted);
        (seq, outcome)
    }

    /// Writes a round's outcomes back in one transaction, trying a few
    /// times: an outcome not written is sent again once its lease runs out.
    async fn write_back(&self, name: &str, outcomes: Vec<(i64, Outcome)>, released: Vec<i64>) {
        let round = Arc::new((outcomes, released));
        let mut wait = Duration::from_millis(200);
        for attempt in 1..=4 {
            let worker = name.to_owned();
            let batch = round.clone();
            let written = self
                .db
                .write_queue(move |conn| {
                    store::record_round(conn, &worker, &batch.0, &batch.1, Utc::now())
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
                    count = round.0.len(),
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
    spawn_with(db, settings, sender, Vec::new())
}

/// [`spawn`], the worker also running `chores` every minute.
pub fn spawn_with(
    db: Db,
    settings: &Settings,
    sender: Arc<Sender>,
    chores: Vec<Chore>,
) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = watch::channel(false);
    let worker = Worker::new(db, settings, sender).with_chores(chores);
    (stop, tokio::spawn(worker.run(stopped)))
}

#[cfg(test)]
mod tests {
    use super::*;

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
