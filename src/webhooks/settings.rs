//! What a partner sees of its webhook, and the rule for which URL it may
//! set.

use serde::{Deserialize, Serialize};
use validator::Validate;

use super::store::{Counts, Endpoint};
use crate::domain::{Refusal, utc};

/// `PUT /partner/v1/webhook`.
#[derive(Debug, Clone, Default, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// Where to deliver: `https://` and a public address. May be left out
    /// when the partner directory fixes the URL.
    #[serde(default)]
    pub url: Option<String>,
}

/// A partner's webhook.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookView {
    pub url: String,
    /// `active`, or `disabled` after the webhook answered 410 Gone.
    pub status: String,
    pub disabled_reason: Option<String>,
    /// True when the partner directory fixes the URL.
    pub set_by_directory: bool,
    pub created_at: String,
    pub updated_at: String,
    /// How the deliveries stand (`GET` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deliveries: Option<DeliveryCounts>,
    /// The signing secret (`whsec_...`), shown once, when the webhook is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryCounts {
    /// Waiting for their first attempt or a retry.
    pub pending: i64,
    pub delivered: i64,
    /// Given up after the last retry, or when the webhook answered 410.
    pub dead: i64,
}

/// What `POST /partner/v1/webhook/test` came to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookTestResult {
    /// The test message's `webhook-id`.
    pub webhook_id: String,
    pub url: String,
    /// True when the webhook answered 2xx.
    pub delivered: bool,
    pub response_status: Option<u16>,
    pub error: Option<String>,
}

/// How a partner sees its webhook; the secret only when it was just set.
pub fn view(endpoint: &Endpoint, preset: bool, counts: Option<&Counts>) -> WebhookView {
    WebhookView {
        url: endpoint.url.clone(),
        status: endpoint.status.as_str().to_owned(),
        disabled_reason: endpoint.disabled_reason.clone(),
        set_by_directory: preset,
        created_at: utc::format(&endpoint.created_at),
        updated_at: utc::format(&endpoint.updated_at),
        deliveries: counts.map(|c| DeliveryCounts {
            pending: c.pending,
            delivered: c.delivered,
            dead: c.dead,
        }),
        secret: None,
    }
}

/// The URL to set: the one given, or the directory's preset. A preset
/// cannot be overridden; without one, a URL is required.
pub fn chosen_url(given: Option<String>, preset: Option<&str>) -> Result<String, Refusal> {
    match (given, preset) {
        (None, None) => Err(Refusal::field(
            "url",
            "is required: the partner directory sets no webhook URL for you",
        )),
        (None, Some(preset)) => Ok(preset.to_owned()),
        (Some(url), Some(preset)) if url.trim() != preset => Err(Refusal::field(
            "url",
            format!("is fixed by the partner directory as {preset}; leave it out"),
        )),
        (Some(url), _) => Ok(url.trim().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preset_url_is_taken_and_cannot_be_overridden() {
        let preset = Some("https://hooks.partner.example/brug");
        assert_eq!(
            chosen_url(None, preset).ok().as_deref(),
            Some("https://hooks.partner.example/brug")
        );
        assert_eq!(
            chosen_url(Some(" https://hooks.partner.example/brug ".into()), preset)
                .ok()
                .as_deref(),
            Some("https://hooks.partner.example/brug")
        );
        let refused = chosen_url(Some("https://elsewhere.example/".into()), preset);
        assert!(
            matches!(&refused, Err(Refusal::Invalid(e)) if e[0].field == "url" && e[0].message.starts_with("is fixed by the partner directory")),
            "{refused:?}"
        );
        assert!(matches!(chosen_url(None, None), Err(Refusal::Invalid(_))));
        assert_eq!(
            chosen_url(Some("https://mine.example/h".into()), None)
                .ok()
                .as_deref(),
            Some("https://mine.example/h")
        );
    }
}
