//! The mail settings: the SMTP server (a secret, like the database URL) and
//! the sender, checked together when the settings load.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{ConfigError, Settings, redact_url};

/// The SMTP server that sends email notifications, as lettre reads it:
/// `smtp://host:port` (plain, for a relay on the same machine),
/// `smtp://user:pass@host:587?tls=required` (STARTTLS) or
/// `smtps://user:pass@host` (TLS from the start). A secret like the
/// database URL: shown and logged only with its password hidden.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct SmtpUrl(SecretString);

impl SmtpUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(SecretString::from(url.into()))
    }

    /// The full URL, password included: only for connecting.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn redacted(&self) -> String {
        redact_url(self.expose())
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Serialized redacted: `brug config` prints it.
impl Serialize for SmtpUrl {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.redacted())
    }
}

/// Mail needs both settings, each in a form lettre takes.
pub(super) fn check(settings: &Settings) -> Result<(), ConfigError> {
    let out = |what: &str| Err(ConfigError::OutOfRange(what.to_owned()));
    let from = settings.mail_from.as_deref().map(str::trim);
    if let Some(from) = from
        && from.parse::<lettre::message::Mailbox>().is_err()
    {
        return out("mail_from must be an address such as Brug <brug@example.org>");
    }
    let Some(url) = &settings.smtp_url else {
        return Ok(());
    };
    match url::Url::parse(url.expose()) {
        Ok(parsed) if ["smtp", "smtps"].contains(&parsed.scheme()) && parsed.has_host() => {}
        _ => return out("smtp_url must be smtp://HOST[:PORT] or smtps://USER:PASSWORD@HOST"),
    }
    if from.is_none() {
        return out("mail_from must be set when smtp_url is");
    }
    Ok(())
}

#[cfg(test)]
// figment's Jail returns its own large error type.
#[allow(clippy::result_large_err)]
mod tests {
    use crate::config::{Overrides, Settings};

    #[test]
    fn mail_settings_come_from_the_documented_variables_and_hide_the_password() {
        figment::Jail::expect_with(|jail| {
            let defaults =
                Settings::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert!(defaults.smtp_url.is_none() && defaults.mail_from.is_none());
            jail.set_env("BRUG_SMTP_URL", "smtps://brug:s3cret@mail.example.org");
            let err = Settings::load(None, &Overrides::default())
                .expect_err("a server without a sender is refused");
            assert!(err.to_string().contains("mail_from"), "{err}");
            jail.set_env("BRUG_MAIL_FROM", "Brug <brug@example.org>");
            let settings =
                Settings::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            let shown = settings.to_redacted_toml();
            assert!(
                shown.contains("smtp_url = \"smtps://brug:***@mail.example.org\""),
                "{shown}"
            );
            assert!(!shown.contains("s3cret") && !format!("{settings:?}").contains("s3cret"));
            jail.set_env("BRUG_SMTP_URL", "http://mail.example.org");
            let err =
                Settings::load(None, &Overrides::default()).expect_err("another scheme is refused");
            assert!(err.to_string().contains("smtp_url"), "{err}");
            jail.set_env("BRUG_SMTP_URL", "smtp://127.0.0.1:2525");
            jail.set_env("BRUG_MAIL_FROM", "not an address");
            let err = Settings::load(None, &Overrides::default())
                .expect_err("a sender that is no address is refused");
            assert!(err.to_string().contains("mail_from"), "{err}");
            Ok(())
        });
    }
}
