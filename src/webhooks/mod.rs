//! Webhooks: each partner's endpoint and signing secret, and the rules of
//! delivery (which URLs may be called, when to retry, how a message is
//! signed). The worker that delivers lives in `worker.rs`; the queue in
//! `store.rs`.

pub mod commands;
pub mod queries;
pub mod routes;
pub mod sender;
pub mod settings;
pub mod store;
pub mod wake;
pub mod worker;

pub use settings::{
    DeliveryCounts, WebhookInput, WebhookTestResult, WebhookView, chosen_url, view,
};

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};

/// The longest URL a partner may register.
pub const MAX_URL_LEN: usize = 2000;

/// The longest wait a receiver's `Retry-After` can impose.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// What a partner is told of an address it may not use, whether it wrote
/// an internal address, or a name that does not resolve or resolves to an
/// internal address: one answer, so that nobody can map our network.
pub const UNUSABLE_ADDRESS: &str = "does not lead to a public internet address";

/// Checks a webhook URL's form: `https://` with a host, no credentials, and
/// not an internal address written as an IP literal or `localhost`. With
/// `allow_local`, internal addresses pass, and `http://` too but only to
/// them (plain HTTP never crosses a network). Names are resolved and checked
/// again at delivery (see [`worker::GuardedResolver`]).
pub fn check_url_form(raw: &str, allow_local: bool) -> Result<url::Url, String> {
    if raw.len() > MAX_URL_LEN {
        return Err(format!("must be at most {MAX_URL_LEN} characters"));
    }
    let url = url::Url::parse(raw).map_err(|e| format!("is not a URL ({e})"))?;
    let plain = match url.scheme() {
        "https" => false,
        "http" if allow_local => true,
        _ => return Err("must be an https:// URL".to_owned()),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password".to_owned());
    }
    if url.fragment().is_some() {
        return Err("must not have a #fragment".to_owned());
    }
    let internal = match url.host() {
        None => return Err("must name a host".to_owned()),
        Some(url::Host::Ipv4(ip)) => is_internal(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_internal(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    };
    if internal && !allow_local {
        return Err(UNUSABLE_ADDRESS.to_owned());
    }
    if plain && !internal {
        return Err("must be an https:// URL (http:// only to a local address)".to_owned());
    }
    Ok(url)
}

/// True for every address a webhook must not reach from inside our network:
/// loopback, private, link-local, carrier-grade NAT, documentation,
/// benchmarking, multicast, reserved and unspecified ranges, including IPv4
/// addresses wrapped in IPv6.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => is_internal_v6(v6),
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // 100.64.0.0/10, shared (CGNAT)
        || (a == 192 && b == 0 && c == 0) // 192.0.0.0/24, IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // 198.18.0.0/15, benchmarking
        || a >= 240 // 240.0.0.0/4, reserved
}

/// IPv6: only global unicast (2000::/3) passes, less the special ranges
/// inside it; everything else (loopback, unique local, link-local,
/// multicast, NAT64, IPv4-compatible, discard, ...) is internal.
fn is_internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_internal_v4(v4);
    }
    let segments = ip.segments();
    let global_unicast = (segments[0] & 0xe000) == 0x2000;
    !global_unicast
        || (segments[0] == 0x2001 && segments[1] < 0x0200) // 2001::/23, IETF protocol assignments (Teredo, benchmarking, ORCHID)
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // 2001:db8::/32, documentation
        || segments[0] == 0x2002 // 2002::/16, 6to4: reaches an IPv4 address
        || (segments[0] == 0x3fff && segments[1] < 0x1000) // 3fff::/20, documentation
}

/// A new signing secret: `whsec_` and 32 random bytes in base64, as
/// Standard Webhooks libraries expect.
pub fn new_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// The three headers of a signed message.
#[derive(Debug, Clone)]
pub struct Signed {
    pub id: String,
    pub timestamp: i64,
    pub signature: String,
}

/// Signs `body` after Standard Webhooks: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` under the secret's key.
pub fn sign(secret: &str, id: &str, at: DateTime<Utc>, body: &str) -> Result<Signed, String> {
    sign_with_all(&[secret], id, at, body)
}

/// Signs with each secret: the signatures go in one header, separated by
/// spaces, and a receiver accepts the message if any of them verifies (how
/// Standard Webhooks rotates secrets without a gap).
pub fn sign_with_all(
    secrets: &[&str],
    id: &str,
    at: DateTime<Utc>,
    body: &str,
) -> Result<Signed, String> {
    let timestamp = at.timestamp();
    let mut signatures = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let webhook = standardwebhooks::Webhook::new(secret).map_err(|e| e.to_string())?;
        signatures.push(
            webhook
                .sign(id, timestamp, body.as_bytes())
                .map_err(|e| e.to_string())?,
        );
    }
    Ok(Signed {
        id: id.to_owned(),
        timestamp,
        signature: signatures.join(" "),
    })
}

pub use crate::domain::retry::RetrySchedule;

/// `wait` lengthened by up to a fifth, so that retries after an outage do
/// not all arrive at once; never shortened, so the schedule's total (and
/// the promise of retrying for at least three days) holds. `random` is
/// uniform in `[0, 1)`.
pub fn with_jitter(wait: Duration, random: f64) -> Duration {
    let factor = 1.0 + 0.2 * random.clamp(0.0, 1.0);
    wait.mul_f64(factor)
}

/// A uniform number in `[0, 1)` for jitter; 0.5 if the system has no
/// randomness to give.
pub fn random_unit() -> f64 {
    let mut bytes = [0u8; 4];
    match getrandom::fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

/// A receiver's `Retry-After`: seconds, or an HTTP date; capped at
/// [`MAX_RETRY_AFTER`].
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    let wait = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        let at = DateTime::parse_from_rfc2822(value).ok()?;
        (at.with_timezone(&Utc) - now).to_std().unwrap_or_default()
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// A 2xx answer.
    Delivered { status: u16 },
    /// 410 Gone: the partner has taken the endpoint down.
    Gone,
    /// Any other answer, or none.
    Failed {
        status: Option<u16>,
        error: String,
        retry_after: Option<Duration>,
    },
}

/// What happens to a delivery after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryIn(Duration),
    DeadLetter,
}

/// The next step after the `attempts`-th attempt failed: the scheduled wait
/// with jitter, at least as long as the receiver's `Retry-After`; or the
/// dead letters once the schedule is spent.
pub fn after_failure(
    schedule: &RetrySchedule,
    attempts: u32,
    retry_after: Option<Duration>,
    random: f64,
) -> AfterFailure {
    match schedule.wait_after(attempts) {
        None => AfterFailure::DeadLetter,
        Some(wait) => {
            let wait = with_jitter(wait, random);
            AfterFailure::RetryIn(retry_after.map_or(wait, |asked| asked.max(wait)))
        }
    }
}

/// What a partner is told of a failed test call: a short class, never the
/// underlying error (a TLS chain, a resolver's message, an address).
pub fn failure_class(status: Option<u16>, error: &str) -> String {
    if let Some(status) = status {
        return format!("answered HTTP {status}");
    }
    let error = error.to_ascii_lowercase();
    let class = if error.contains("timed out") || error.contains("timeout") {
        "timed out"
    } else if ["certificate", "tls", "ssl", "handshake"]
        .iter()
        .any(|w| error.contains(w))
    {
        "TLS handshake failed"
    } else if error.contains("refused") {
        "connection refused"
    } else if ["public internet address", "internal", "resolve", "dns"]
        .iter()
        .any(|w| error.contains(w))
    {
        "the address cannot be used"
    } else {
        "connection failed"
    };
    class.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_matches_the_standard_webhooks_test_vector() {
        // The specification's own example.
        let at = DateTime::from_timestamp(1_649_367_553, 0).expect("a time");
        let signed = sign(
            "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            at,
            r#"{"email":"test@example.com","username":"test_user"}"#,
        )
        .expect("signed");
        assert_eq!(
            signed.signature,
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
        assert_eq!(signed.timestamp, 1_649_367_553);
    }

    #[test]
    fn the_integration_guide_example_verifies() {
        // The worked example in partners/INTEGRATION.md.
        let at = DateTime::from_timestamp(1_764_410_400, 0).expect("a time");
        let body = r#"{"type":"referral.requested","timestamp":"2025-11-29T10:00:00.000000Z","data":{"referral_id":"01976a2e-8e11-7c40-a1b2-0f9e8d7c6b5a","return_case_id":"01976a2e-8d20-7f31-b2c3-1a2b3c4d5e6f","status":"requested"}}"#;
        let signed = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "01976a2e-8f0c-7b1e-9d4a-3c5b2a1f0e9d",
            at,
            body,
        )
        .expect("signed");
        assert_eq!(
            signed.signature,
            "v1,DRifJsyI2OpjmsbrzJvXYmzPITMtr4mMw7d0c6Ti39I="
        );
        let guide = include_str!("../../partners/INTEGRATION.md");
        assert!(guide.contains(body), "the guide shows this body");
        assert!(guide.contains(&signed.signature), "and this signature");
    }

    #[test]
    fn a_replaced_secret_signs_until_its_overlap_ends() {
        let now = DateTime::from_timestamp(1_764_410_400, 0)
            .expect("a time")
            .naive_utc();
        let later = now + chrono::Duration::hours(1);
        assert_eq!(
            store::signing_secrets("whsec_new", Some("whsec_old"), Some(later), now),
            ["whsec_new", "whsec_old"]
        );
        assert_eq!(
            store::signing_secrets("whsec_new", Some("whsec_old"), Some(now), later),
            ["whsec_new"]
        );
        assert_eq!(
            store::signing_secrets("whsec_new", None, None, now),
            ["whsec_new"]
        );
        let at = DateTime::from_timestamp(1_649_367_553, 0).expect("a time");
        let both = sign_with_all(
            &[
                "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            ],
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
            at,
            r#"{"email":"test@example.com","username":"test_user"}"#,
        )
        .expect("signed");
        assert!(
            both.signature
                .starts_with("v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw= v1,")
        );
    }

    #[test]
    fn new_secrets_are_standard_and_differ() {
        let one = new_secret().expect("random");
        let two = new_secret().expect("random");
        assert!(one.starts_with("whsec_"));
        assert_ne!(one, two);
        let key = base64::engine::general_purpose::STANDARD
            .decode(one.trim_start_matches("whsec_"))
            .expect("base64");
        assert_eq!(key.len(), 32);
    }

    #[test]
    fn only_public_https_urls_pass_unless_local_is_allowed() {
        assert!(check_url_form("https://hooks.example.org/brug", false).is_ok());
        for bad in [
            "http://hooks.example.org/brug",
            "ftp://hooks.example.org/brug",
            "https://user:pw@hooks.example.org/brug",
            "https://localhost/brug",
            "https://api.localhost./brug",
            "https://127.0.0.1/brug",
            "https://10.1.2.3/brug",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/brug",
            "https://[::ffff:192.168.1.1]/brug",
            "https://[fd00::1]/brug",
            "https://0.0.0.0/brug",
            "not a url",
            "https://hooks.example.org/brug#part",
        ] {
            assert!(check_url_form(bad, false).is_err(), "{bad} must be refused");
        }
        assert!(check_url_form("http://127.0.0.1:8081/hook", true).is_ok());
        assert!(check_url_form("http://localhost:8081/hook", true).is_ok());
        assert!(check_url_form("https://10.0.0.5/hook", true).is_ok());
        assert!(
            check_url_form("http://hooks.example.org/brug", true).is_err(),
            "plain HTTP never goes out, even in development"
        );
        assert!(check_url_form("ftp://127.0.0.1/hook", true).is_err());
    }

    #[test]
    fn a_failed_test_call_is_told_as_a_short_class() {
        assert_eq!(
            failure_class(Some(500), "the webhook answered 500"),
            "answered HTTP 500"
        );
        assert_eq!(
            failure_class(None, "error sending request: operation timed out"),
            "timed out"
        );
        assert_eq!(
            failure_class(
                None,
                "error sending request: invalid peer certificate: UnknownIssuer CN=int-ca.corp"
            ),
            "TLS handshake failed"
        );
        assert_eq!(
            failure_class(None, "tcp connect error: Connection refused (os error 111)"),
            "connection refused"
        );
        assert_eq!(
            failure_class(
                None,
                "hooks.example.org does not lead to a public internet address"
            ),
            "the address cannot be used"
        );
        assert_eq!(failure_class(None, "something else"), "connection failed");
    }

    #[test]
    fn internal_ranges_are_recognised() {
        for internal in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.0.1",
            "169.254.0.1",
            "100.64.0.1",
            "0.1.2.3",
            "192.0.0.8",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2002:c0a8:101::1",
            "2001:db8::1",
            "2001::1",
            "64:ff9b:1::a00:1",
            "::ffff:0:a00:1",
            "100::1",
            "ff02::1",
        ] {
            let ip: IpAddr = internal.parse().expect("an address");
            assert!(is_internal(ip), "{internal} is internal");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "2a00:1450:4001::1",
            "::ffff:8.8.8.8",
        ] {
            let ip: IpAddr = public.parse().expect("an address");
            assert!(!is_internal(ip), "{public} is public");
        }
    }

    #[test]
    fn the_default_schedule_retries_for_more_than_three_days() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.max_attempts(), 10);
        assert!(schedule.total() > Duration::from_secs(3 * 24 * 3600));
        assert_eq!(schedule.to_string(), "5s,5m,30m,2h,5h,10h,14h,20h,24h");
        assert!(RetrySchedule::parse("5s,soon").is_err());
        let short = RetrySchedule::parse("250ms, 90s,1d").expect("schedule");
        assert_eq!(short.to_string(), "250ms,90s,24h");
        assert_eq!(RetrySchedule::parse(&short.to_string()), Ok(short));
    }

    #[test]
    fn failures_wait_with_jitter_then_go_to_the_dead_letters() {
        let schedule = RetrySchedule::parse("10s,1m").expect("schedule");
        assert_eq!(
            after_failure(&schedule, 1, None, 0.0),
            AfterFailure::RetryIn(Duration::from_secs(10))
        );
        for random in [0.0, 0.3, 0.999] {
            let AfterFailure::RetryIn(wait) = after_failure(&schedule, 2, None, random) else {
                panic!("a second failure of two waits is retried");
            };
            assert!(wait >= Duration::from_secs(60) && wait <= Duration::from_secs(72));
        }
        assert_eq!(
            after_failure(&schedule, 1, Some(Duration::from_secs(120)), 0.5),
            AfterFailure::RetryIn(Duration::from_secs(120)),
            "Retry-After is honoured when it asks for longer"
        );
        assert_eq!(
            after_failure(&schedule, 3, None, 0.5),
            AfterFailure::DeadLetter
        );
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let now = DateTime::from_timestamp(1_700_000_000, 0).expect("a time");
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        let later = (now + chrono::Duration::seconds(90)).to_rfc2822();
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(parse_retry_after("9999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
