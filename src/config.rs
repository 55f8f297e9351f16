//! Typed settings, loaded in layers: defaults < TOML file (`--config` /
//! `BRUG_CONFIG`) < `BRUG_*` environment and `DATABASE_URL` < command-line flags.

use crate::domain::proxies::TrustedProxies;
use std::fmt;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::domain::checklist::{ChecklistTemplateItem, default_checklist};
use crate::domain::retry::RetrySchedule;

mod mail;
pub use mail::SmtpUrl;

/// Where the database lives. Held as a secret (wiped from memory when
/// dropped); printed, logged and serialized only with its password hidden.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(SecretString);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(SecretString::from(url.into()))
    }

    /// The full URL, password included: only for opening the connection.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The URL with every credential replaced by `***`: the password in
    /// the user part, also in libpq's multi-host form
    /// (`postgres://u:pw@h1:5432,h2:5432/db`), and any query parameter that
    /// carries a secret (`password`, `sslpassword`, ...), however encoded.
    /// Worked out on the text itself, so that a URL no parser accepts is
    /// hidden all the same.
    pub fn redacted(&self) -> String {
        redact_url(self.expose())
    }
}

/// Whether a connection parameter's value is a secret.
fn secret_parameter(key: &str) -> bool {
    let key: String = percent_decode(key).to_ascii_lowercase();
    ["password", "secret", "token"]
        .iter()
        .any(|word| key.contains(word))
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("k={text}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        // Not a URL: `sqlite:PATH` has no credentials; anything else that
        // names a password is hidden whole.
        return if url.to_ascii_lowercase().contains("password") {
            "***".to_owned()
        } else {
            url.to_owned()
        };
    };
    // As libpq reads it: the user part ends at the last `@` before the
    // first `/`, so a password may hold `?` or `#`.
    let before_path = rest.find('/').unwrap_or(rest.len());
    let (user, rest) = match rest[..before_path].rfind('@') {
        Some(at) => {
            let user = &rest[..at];
            let shown = match user.split_once(':') {
                Some((name, _)) => format!("{name}:***@"),
                None => format!("{user}@"),
            };
            (shown, &rest[at + 1..])
        }
        None => (String::new(), rest),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (hosts, tail) = rest.split_at(authority_end);
    let authority = format!("{user}{hosts}");
    let (before_fragment, fragment) = match tail.split_once('#') {
        Some((before, _)) => (before, "#***"),
        None => (tail, ""),
    };
    let tail = match before_fragment.split_once('?') {
        Some((path, query)) => {
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if secret_parameter(key) => format!("{key}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", pairs.join("&"))
        }
        None => before_fragment.to_owned(),
    };
    format!("{scheme}://{authority}{tail}{fragment}")
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Serialized redacted, like every other way out: `brug config` prints it.
impl Serialize for DatabaseUrl {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.redacted())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// JSON lines when standard error is not a terminal, readable text when it is.
    Auto,
    Json,
    Pretty,
}

/// How fast a partner must respond, in working days (Monday to Friday).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaSettings {
    pub acknowledge_working_days: u32,
    pub decide_working_days: u32,
}

impl Default for SlaSettings {
    fn default() -> Self {
        Self {
            acknowledge_working_days: 2,
            decide_working_days: 10,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://PATH` or `postgres://...`.
    pub database_url: DatabaseUrl,
    /// Address to listen on, `host:port`.
    pub addr: String,
    /// Where `GET /metrics` (Prometheus text) listens, `host:port`, apart
    /// from `addr`; no metrics at all when unset or empty.
    pub metrics_addr: Option<String>,
    /// The partner directory: one TOML file per partner organisation.
    pub partners_dir: PathBuf,
    pub log_format: LogFormat,
    /// Most database connections held at once.
    pub db_pool_size: u32,
    /// Seconds a request may wait for a database connection before 503.
    pub db_timeout_secs: u64,
    /// The file holding the key that seals the audit chain. When unset:
    /// beside the SQLite database (`PATH.audit-key`), or `brug-audit.key`
    /// in the working directory for PostgreSQL; created on first start.
    pub audit_key_file: Option<PathBuf>,
    /// The key file: one or more 256-bit key-encryption keys, each under an
    /// id, one of them current (`brug keys add` makes and extends it). It
    /// encrypts backups (`brug backup --encrypt`); never stored in the
    /// database or a backup.
    pub key_file: Option<PathBuf>,
    /// Proxies whose `X-Forwarded-For` header is believed
    /// for the caller's address (throttling, logs); none by default.
    pub trusted_proxies: TrustedProxies,
    /// Writers per process on PostgreSQL (each with its own connection and
    /// batches); SQLite always has one.
    pub pg_writers: usize,
    /// Most writes the writer commits together in one transaction.
    pub write_batch_max: usize,
    /// Microseconds the writer waits for more writes after the first of a
    /// batch; 0 takes only those already waiting (the default: under load
    /// they queue up while the last batch commits anyway).
    pub write_batch_wait_us: u64,
    /// Seconds that requests in flight get to finish on SIGTERM or ctrl-c.
    pub shutdown_timeout_secs: u64,
    /// HTTP worker threads; 0 means one per CPU core.
    pub workers: usize,
    pub sla: SlaSettings,
    /// Days after the planned departure when a referral with no departure is
    /// flagged "not departed".
    pub not_departed_after_days: u32,
    /// Days before a consent's `valid_until` when its counsellor sees it in
    /// My work and the partners sharing under it hear `consent.expiring`.
    pub consent_warning_days: u32,
    /// The departure checklist created when a partner accepts a referral.
    pub checklist: Vec<ChecklistTemplateItem>,
    /// Months after arrival when monitoring visits fall due.
    pub monitoring_schedule_months: Vec<u32>,
    /// A sustainability model file replacing the shipped default.
    pub monitoring_model: Option<PathBuf>,
    /// Let webhooks target `http://` and loopback or private addresses: for
    /// development and tests only (`BRUG_WEBHOOK_ALLOW_LOCAL=1`).
    #[serde(deserialize_with = "figment::util::bool_from_str_or_int")]
    pub webhook_allow_local: bool,
    /// The waits between delivery attempts, such as `5s,5m,30m,2h`; after
    /// the last, the event goes to the dead letters.
    pub webhook_retry_schedule: RetrySchedule,
    /// Seconds a partner's webhook has to answer.
    pub webhook_timeout_secs: u64,
    /// Milliseconds the delivery worker waits between looks at an empty queue.
    pub webhook_poll_ms: u64,
    /// The address people open Brug at, such as `https://brug.example.org`,
    /// for the links Brug prints (invitations); `http://` + `addr` when unset.
    pub public_url: Option<String>,
    /// Send the web UI's cookies without `Secure`, so that they work over
    /// plain `http://` during local development only
    /// (`BRUG_INSECURE_COOKIES=1`).
    #[serde(deserialize_with = "figment::util::bool_from_str_or_int")]
    pub insecure_cookies: bool,
    /// The SMTP server for email notifications; no mail is queued or sent
    /// when unset.
    pub smtp_url: Option<SmtpUrl>,
    /// The sender of email notifications, such as `Brug <brug@example.org>`;
    /// required with `smtp_url`.
    pub mail_from: Option<String>,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://brug.sqlite";

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: DatabaseUrl::new(DEFAULT_DATABASE_URL),
            addr: "127.0.0.1:8080".into(),
            metrics_addr: None,
            partners_dir: PathBuf::from("partners"),
            log_format: LogFormat::Auto,
            db_pool_size: 8,
            db_timeout_secs: 5,
            audit_key_file: None,
            key_file: None,
            trusted_proxies: TrustedProxies::default(),
            pg_writers: crate::db::DEFAULT_PG_WRITERS,
            write_batch_max: crate::db::writer::MAX_BATCH,
            write_batch_wait_us: 0,
            shutdown_timeout_secs: 30,
            workers: 0,
            sla: SlaSettings::default(),
            not_departed_after_days: 30,
            consent_warning_days: 14,
            checklist: default_checklist(),
            monitoring_schedule_months: vec![1, 3, 6, 12],
            monitoring_model: None,
            webhook_allow_local: false,
            webhook_retry_schedule: RetrySchedule::default(),
            webhook_timeout_secs: 10,
            webhook_poll_ms: 1000,
            public_url: None,
            insecure_cookies: false,
            smtp_url: None,
            mail_from: None,
        }
    }
}

/// Values given on the command line: the last and strongest layer.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partners_dir: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
    #[error("invalid configuration: {0}")]
    OutOfRange(String),
}

impl Settings {
    /// Loads the settings from every layer. `file` is the `--config` path
    /// (clap already folds `BRUG_CONFIG` into it).
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let settings: Self = Self::figment(file, overrides)?
            .extract()
            .map_err(|e| ConfigError::Invalid(Box::new(e)))?;
        settings.check_ranges()?;
        Ok(settings)
    }

    /// Values that parse but make no sense (or would overflow a deadline).
    fn check_ranges(&self) -> Result<(), ConfigError> {
        let out = |what: &str| Err(ConfigError::OutOfRange(what.to_owned()));
        if !(1..=300).contains(&self.webhook_timeout_secs) {
            return out("webhook_timeout_secs must be from 1 to 300");
        }
        if !(10..=600_000).contains(&self.webhook_poll_ms) {
            return out("webhook_poll_ms must be from 10 to 600000");
        }
        if !(1..=32).contains(&self.pg_writers) {
            return out("pg_writers must be from 1 to 32");
        }
        if !(1..=1024).contains(&self.write_batch_max) {
            return out("write_batch_max must be from 1 to 1024");
        }
        if self.write_batch_wait_us > 100_000 {
            return out("write_batch_wait_us must be from 0 to 100000");
        }
        if !(1..=365).contains(&self.consent_warning_days) {
            return out("consent_warning_days must be from 1 to 365");
        }
        if self.webhook_retry_schedule.max_attempts() > 51 {
            return out("webhook_retry_schedule may hold at most 50 waits");
        }
        if self.webhook_retry_schedule.longest() > std::time::Duration::from_secs(7 * 24 * 3600) {
            return out("webhook_retry_schedule: no wait may be longer than 7 days");
        }
        mail::check(self)?;
        Ok(())
    }

    fn figment(file: Option<&Path>, overrides: &Overrides) -> Result<Figment, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::MissingFile(path.to_path_buf()));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        Ok(figment
            .merge(Env::raw().only(&["DATABASE_URL"]))
            .merge(
                Env::prefixed("BRUG_")
                    // Read by the CLI itself.
                    .ignore(&["CONFIG"])
                    .split("__"),
            )
            .merge(Serialized::globals(overrides)))
    }

    /// Where `/metrics` listens: `metrics_addr` unless it is unset or blank.
    pub fn metrics_listen_addr(&self) -> Option<&str> {
        self.metrics_addr
            .as_deref()
            .map(str::trim)
            .filter(|addr| !addr.is_empty())
    }

    /// The effective settings as TOML, secrets hidden: what `brug config` prints.
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render settings: {e}\n"))
    }
}

#[cfg(test)]
// figment's Jail returns its own large error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn database_password_is_hidden_when_printed() {
        let url = DatabaseUrl::new("postgres://brug:s3cret@db.example.org:5432/brug");
        assert_eq!(
            url.redacted(),
            "postgres://brug:***@db.example.org:5432/brug"
        );
        assert!(!format!("{url:?}").contains("s3cret"));
        assert!(!format!("{url}").contains("s3cret"));
        assert_eq!(
            url.expose(),
            "postgres://brug:s3cret@db.example.org:5432/brug"
        );
        let settings = Settings {
            database_url: url.clone(),
            ..Settings::default()
        };
        assert!(
            settings
                .to_redacted_toml()
                .contains("database_url = \"postgres://brug:***@db.example.org:5432/brug\"\n")
        );
        assert_eq!(
            DatabaseUrl::new("sqlite://brug.sqlite").redacted(),
            "sqlite://brug.sqlite"
        );
        let query = DatabaseUrl::new("postgres://db.example.org/brug?user=brug&password=s3cret");
        assert_eq!(
            query.redacted(),
            "postgres://db.example.org/brug?user=brug&password=***"
        );
    }

    #[test]
    fn every_credential_form_of_a_postgres_url_is_hidden() {
        let cases = [
            (
                "postgres://brug:s3cret@db1:5432,db2:5433/brug?target_session_attrs=read-write",
                "postgres://brug:***@db1:5432,db2:5433/brug?target_session_attrs=read-write",
            ),
            (
                "postgresql://db1,db2/brug?user=brug&password=s3cret",
                "postgresql://db1,db2/brug?user=brug&password=***",
            ),
            (
                "postgres://brug@db.example.org/brug?sslmode=verify-full&sslpassword=s3cret",
                "postgres://brug@db.example.org/brug?sslmode=verify-full&sslpassword=***",
            ),
            (
                "postgres://db.example.org/brug?PASSWORD=s3cret",
                "postgres://db.example.org/brug?PASSWORD=***",
            ),
            (
                "postgres://db.example.org/brug?pass%77ord=s3cret",
                "postgres://db.example.org/brug?pass%77ord=***",
            ),
            (
                "postgres://brug:s3c%40ret@[2001:db8::1]:5432/brug",
                "postgres://brug:***@[2001:db8::1]:5432/brug",
            ),
            (
                "postgres://brug:s3cret@/brug?host=/var/run/postgresql",
                "postgres://brug:***@/brug?host=/var/run/postgresql",
            ),
            (
                "postgres://brug:s@cret@db/brug",
                "postgres://brug:***@db/brug",
            ),
            (
                "postgres://brug:s3?cret@db/brug",
                "postgres://brug:***@db/brug",
            ),
            (
                "postgres://brug:s3#cret@db/brug",
                "postgres://brug:***@db/brug",
            ),
            ("host=db password=s3cret", "***"),
        ];
        for (url, shown) in cases {
            let url = DatabaseUrl::new(url);
            assert_eq!(url.redacted(), shown);
            for printed in [format!("{url}"), format!("{url:?}"), url.redacted()] {
                assert!(!printed.contains("s3c"), "{printed}");
                assert!(!printed.contains("cret"), "{printed}");
            }
        }
    }

    #[test]
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "brug.toml",
                "addr = \"0.0.0.0:9000\"\npartners_dir = \"from-file\"\n[sla]\nacknowledge_working_days = 3\ndecide_working_days = 12\n",
            )?;
            jail.set_env("BRUG_PARTNERS_DIR", "from-env");
            jail.set_env("DATABASE_URL", "postgres://postgres@127.0.0.1/brug");
            let overrides = Overrides {
                addr: Some("127.0.0.1:7000".into()),
                ..Overrides::default()
            };
            let settings = Settings::load(Some(Path::new("brug.toml")), &overrides)
                .map_err(|e| e.to_string())?;
            assert_eq!(settings.addr, "127.0.0.1:7000");
            assert_eq!(settings.partners_dir, PathBuf::from("from-env"));
            assert_eq!(
                settings.database_url.expose(),
                "postgres://postgres@127.0.0.1/brug"
            );
            assert_eq!(settings.sla.decide_working_days, 12);
            assert_eq!(settings.db_pool_size, 8);
            Ok(())
        });
    }

    #[test]
    fn webhook_settings_come_from_the_documented_variables() {
        figment::Jail::expect_with(|jail| {
            let defaults =
                Settings::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert!(!defaults.webhook_allow_local);
            assert_eq!(defaults.webhook_retry_schedule, RetrySchedule::default());
            jail.set_env("BRUG_WEBHOOK_ALLOW_LOCAL", "1");
            jail.set_env("BRUG_WEBHOOK_RETRY_SCHEDULE", "1s,2m,3h");
            let settings =
                Settings::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert!(settings.webhook_allow_local);
            assert_eq!(settings.webhook_retry_schedule.to_string(), "1s,2m,3h");
            jail.set_env("BRUG_WEBHOOK_RETRY_SCHEDULE", "1s,later");
            let err = Settings::load(None, &Overrides::default())
                .expect_err("a schedule that does not parse is refused");
            assert!(err.to_string().contains("later"), "{err}");
            jail.set_env("BRUG_WEBHOOK_RETRY_SCHEDULE", "1s,30d");
            let err = Settings::load(None, &Overrides::default())
                .expect_err("a wait of a month is refused");
            assert!(err.to_string().contains("7 days"), "{err}");
            jail.set_env("BRUG_WEBHOOK_RETRY_SCHEDULE", "1s");
            jail.set_env("BRUG_WEBHOOK_TIMEOUT_SECS", "100000");
            let err = Settings::load(None, &Overrides::default())
                .expect_err("a timeout of days is refused");
            assert!(err.to_string().contains("webhook_timeout_secs"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn write_batching_comes_from_the_documented_variables_within_range() {
        figment::Jail::expect_with(|jail| {
            let defaults =
                Settings::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(
                (defaults.write_batch_max, defaults.write_batch_wait_us),
                (64, 0)
            );
            jail.set_env("BRUG_WRITE_BATCH_MAX", "16");
            jail.set_env("BRUG_WRITE_BATCH_WAIT_US", "250");
            let settings =
                Settings::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(
                (settings.write_batch_max, settings.write_batch_wait_us),
                (16, 250)
            );
            jail.set_env("BRUG_WRITE_BATCH_MAX", "0");
            let err = Settings::load(None, &Overrides::default())
                .expect_err("a batch of nothing is refused");
            assert!(err.to_string().contains("write_batch_max"), "{err}");
            jail.set_env("BRUG_WRITE_BATCH_MAX", "16");
            jail.set_env("BRUG_WRITE_BATCH_WAIT_US", "5000000");
            let err = Settings::load(None, &Overrides::default())
                .expect_err("waiting seconds for a batch is refused");
            assert!(err.to_string().contains("write_batch_wait_us"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn consent_warning_days_and_the_key_file_come_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            let defaults =
                Settings::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(defaults.consent_warning_days, 14);
            assert_eq!(defaults.key_file, None);
            jail.set_env("BRUG_CONSENT_WARNING_DAYS", "30");
            jail.set_env("BRUG_KEY_FILE", "/etc/brug/keys.toml");
            let set = Settings::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(set.consent_warning_days, 30);
            assert_eq!(set.key_file, Some(PathBuf::from("/etc/brug/keys.toml")));
            jail.set_env("BRUG_CONSENT_WARNING_DAYS", "0");
            let err = Settings::load(None, &Overrides::default())
                .expect_err("no warning at all is refused");
            assert!(err.to_string().contains("consent_warning_days"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn metrics_are_off_unless_an_address_is_given() {
        figment::Jail::expect_with(|jail| {
            let defaults =
                Settings::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(defaults.metrics_listen_addr(), None);
            jail.set_env("BRUG_METRICS_ADDR", " ");
            let blank = Settings::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(blank.metrics_listen_addr(), None);
            jail.set_env("BRUG_METRICS_ADDR", "127.0.0.1:9090");
            let set = Settings::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(set.metrics_listen_addr(), Some("127.0.0.1:9090"));
            Ok(())
        });
    }

    #[test]
    fn unknown_setting_in_file_is_an_error() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("brug.toml", "adress = \"0.0.0.0:9000\"\n")?;
            let err = Settings::load(Some(Path::new("brug.toml")), &Overrides::default())
                .expect_err("a misspelt key must not be ignored");
            assert!(err.to_string().contains("adress"), "{err}");
            Ok(())
        });
    }
}
