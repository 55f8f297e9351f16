//! Operators' metrics: the names, and the counters and histograms that move
//! where things happen (requests, the writer's batches, webhook deliveries,
//! mail). They go to the process's one Prometheus recorder, installed only
//! when `metrics_addr` is set (until then every record is a no-op); what is
//! read from the database when `/metrics` is scraped is in [`routes`].
//!
//! Labels carry route patterns, methods, statuses, outcomes and partner
//! ids: never a path with an id in it, a name or any free text.

pub mod routes;

use std::sync::OnceLock;
use std::time::Duration;

use ::metrics::{Unit, counter, describe_counter, describe_histogram, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const HTTP_REQUESTS: &str = "brug_http_requests_total";
pub const HTTP_DURATION: &str = "brug_http_request_duration_seconds";
pub const WRITER_BATCHES: &str = "brug_db_writer_batches_total";
pub const WRITER_BATCH_SIZE: &str = "brug_db_writer_batch_size";
pub const WRITER_COMMIT: &str = "brug_db_writer_commit_duration_seconds";
pub const WEBHOOK_DELIVERIES: &str = "brug_webhook_deliveries_total";
pub const EMAILS: &str = "brug_emails_total";

/// The route label of a request that matched no route: unknown paths are
/// not counted one by one.
pub const UNMATCHED: &str = "unmatched";

/// Seconds: from a fast read to a request that hit the database timeout.
const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Seconds for one commit (one fsync on SQLite).
const COMMIT_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
];
/// Writes in one batch, up to `write_batch_max`'s limit.
const BATCH_BUCKETS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
];

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder (once; later calls answer the same
/// handle). `None` when another recorder was installed first, which only
/// an embedding program could have done.
pub fn install() -> Option<&'static PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let handle = builder().install_recorder();
            if let Err(e) = &handle {
                tracing::error!(error = %e, "cannot install the metrics recorder");
            }
            let handle = handle.ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

/// The recorder's handle, once installed.
pub fn handle() -> Option<&'static PrometheusHandle> {
    RECORDER.get().and_then(Option::as_ref)
}

fn builder() -> PrometheusBuilder {
    let with_buckets = || {
        PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), DURATION_BUCKETS)?
            .set_buckets_for_metric(Matcher::Full(WRITER_COMMIT.to_owned()), COMMIT_BUCKETS)?
            .set_buckets_for_metric(Matcher::Full(WRITER_BATCH_SIZE.to_owned()), BATCH_BUCKETS)
    };
    // Only an empty list of buckets is refused, and none is.
    with_buckets().unwrap_or_else(|_| PrometheusBuilder::new())
}

fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by route pattern, method and status."
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time to answer an HTTP request, by route pattern and method."
    );
    describe_counter!(
        WRITER_BATCHES,
        "Write batches of the database writer, by outcome (committed, failed)."
    );
    describe_histogram!(
        WRITER_BATCH_SIZE,
        Unit::Count,
        "Writes committed together in one transaction by the database writer."
    );
    describe_histogram!(
        WRITER_COMMIT,
        Unit::Seconds,
        "Time the database writer's commit took (one durable commit per batch)."
    );
    describe_counter!(
        WEBHOOK_DELIVERIES,
        "Webhook delivery attempts, by partner and outcome (delivered, failed: tried \
         again later, dead_lettered, gone: the webhook answered 410)."
    );
    describe_counter!(
        EMAILS,
        "Email notifications, by outcome (sent, failed: tried again later, dead_lettered)."
    );
}

/// Only the standard methods are labels of their own.
fn method_label(method: &str) -> &'static str {
    const METHODS: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
    ];
    METHODS
        .into_iter()
        .find(|m| *m == method)
        .unwrap_or("OTHER")
}

/// One answered request: `route` is its pattern (`/api/v1/clients/{id}`)
/// or [`UNMATCHED`].
pub fn http_request(method: &str, route: &str, status: u16, took: Duration) {
    let method = method_label(method);
    counter!(
        HTTP_REQUESTS,
        "route" => route.to_owned(),
        "method" => method,
        "status" => status.to_string()
    )
    .increment(1);
    histogram!(HTTP_DURATION, "route" => route.to_owned(), "method" => method)
        .record(took.as_secs_f64());
}

/// One batch of the database writer: how many writes it held, how long its
/// commit took (none when it did not get that far), and whether it committed.
pub fn writer_batch(size: usize, commit: Option<Duration>, committed: bool) {
    let outcome = if committed { "committed" } else { "failed" };
    counter!(WRITER_BATCHES, "outcome" => outcome).increment(1);
    histogram!(WRITER_BATCH_SIZE).record(size as f64);
    if let Some(commit) = commit {
        histogram!(WRITER_COMMIT).record(commit.as_secs_f64());
    }
}

/// What came of one webhook delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Delivered,
    /// Failed; tried again later.
    Failed,
    /// Given up on: in the dead letters.
    DeadLettered,
    /// The webhook answered 410 Gone and was disabled.
    Gone,
}

impl Delivery {
    pub fn label(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::DeadLettered => "dead_lettered",
            Self::Gone => "gone",
        }
    }
}

pub fn webhook_delivery(partner_id: &str, outcome: Delivery) {
    counter!(
        WEBHOOK_DELIVERIES,
        "partner" => partner_id.to_owned(),
        "outcome" => outcome.label()
    )
    .increment(1);
}

/// What came of one attempt to send an email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Email {
    Sent,
    /// Failed; tried again later.
    Failed,
    /// Given up on: in the dead letters.
    DeadLettered,
}

impl Email {
    pub fn label(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::DeadLettered => "dead_lettered",
        }
    }
}

pub fn email(outcome: Email) {
    counter!(EMAILS, "outcome" => outcome.label()).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_standard_methods_are_labels() {
        assert_eq!(method_label("GET"), "GET");
        assert_eq!(method_label("PROPFIND"), "OTHER");
        assert_eq!(method_label("get"), "OTHER");
    }
}
