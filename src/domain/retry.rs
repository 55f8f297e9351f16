//! How often and how long a webhook delivery is retried: a setting
//! (`BRUG_WEBHOOK_RETRY_SCHEDULE`) that the webhooks worker follows.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The waits between delivery attempts (`BRUG_WEBHOOK_RETRY_SCHEDULE`), as
/// comma-separated durations such as `5s,5m,30m,2h`.
#[derive(Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

impl RetrySchedule {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut waits = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            let wait = humantime::parse_duration(part)
                .map_err(|e| format!("`{part}` is not a duration such as 30s, 5m or 2h ({e})"))?;
            waits.push(wait);
        }
        Ok(Self(waits))
    }

    /// How many times a message is sent at most: the first attempt and one
    /// per wait.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX - 1) + 1
    }

    /// The wait after the `attempts`-th failed attempt, or `None` when that
    /// was the last one.
    pub fn wait_after(&self, attempts: u32) -> Option<Duration> {
        let index = usize::try_from(attempts).ok()?.checked_sub(1)?;
        self.0.get(index).copied()
    }

    pub fn total(&self) -> Duration {
        self.0.iter().sum()
    }

    pub fn longest(&self) -> Duration {
        self.0.iter().max().copied().unwrap_or_default()
    }
}

impl Default for RetrySchedule {
    fn default() -> Self {
        // About three and a half days in all.
        Self::parse("5s,5m,30m,2h,5h,10h,14h,20h,24h").unwrap_or(Self(Vec::new()))
    }
}

impl fmt::Display for RetrySchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|d| match (d.as_millis(), d.as_secs()) {
                (ms, _) if ms % 1000 != 0 => format!("{ms}ms"),
                (_, s) if s > 0 && s % 3600 == 0 => format!("{}h", s / 3600),
                (_, s) if s > 0 && s % 60 == 0 => format!("{}m", s / 60),
                (_, s) => format!("{s}s"),
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

impl fmt::Debug for RetrySchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RetrySchedule({self})")
    }
}

impl Serialize for RetrySchedule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for RetrySchedule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}
