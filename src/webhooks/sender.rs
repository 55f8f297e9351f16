//! Sending signed messages to webhooks, and the address check made where
//! each connection is made.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::Utc;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::{Attempt, check_url_form, is_internal};
use crate::config::Settings;

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
    // One answer whether the name does not resolve or resolves to an
    // internal address: telling them apart would let a partner map which
    // internal names exist on our network.
    let unusable = || super::UNUSABLE_ADDRESS.to_owned();
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| unusable())?
        .collect();
    if addrs.is_empty() || (!allow_local && addrs.iter().any(|a| is_internal(a.ip()))) {
        return Err(unusable());
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
    /// Test calls per partner: a partner cannot turn them into a way to
    /// hammer an address of its choosing through us.
    tests: governor::DefaultKeyedRateLimiter<String>,
}

/// Test calls a partner may make per minute.
pub const TESTS_PER_MINUTE: u32 = 5;

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
            tests: governor::RateLimiter::keyed(governor::Quota::per_minute(
                std::num::NonZeroU32::new(TESTS_PER_MINUTE).unwrap_or(std::num::NonZeroU32::MIN),
            )),
        })
    }

    /// `Some(wait)` when `partner` has used up its test calls for now.
    pub fn test_wait(&self, partner: &str) -> Option<Duration> {
        use governor::clock::{Clock, DefaultClock};
        self.tests
            .check_key(&partner.to_owned())
            .err()
            .map(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn names_that_lead_inside_are_refused_where_the_connection_is_made() {
        let refused = resolve_checked("localhost", 443, false)
            .await
            .expect_err("localhost leads inside");
        assert_eq!(refused, crate::webhooks::UNUSABLE_ADDRESS, "{refused}");
        assert!(
            !refused.contains("127.0.0.1"),
            "the address is not given away"
        );
        let allowed = resolve_checked("localhost", 8080, true)
            .await
            .expect("allowed for development");
        assert!(allowed.iter().all(|a| a.port() == 8080));
    }
}
