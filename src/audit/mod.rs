//! The tamper-evident audit log: who did what to which subject, when, under
//! which request, and how it ended. Each entry carries the SHA-256 of the
//! previous entry's hash and its own canonical content, so that editing or
//! deleting any entry breaks the chain from there on. Ids only: never names
//! or notes.

pub mod anchor;
pub mod key;
pub mod queries;
pub mod read;
pub mod routes;
pub mod store;

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The outcome of an attempt on something that is not the caller's.
pub const REFUSED: &str = "refused";

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// `staff`, `partner`, `cli` or `system`.
    pub kind: &'static str,
    pub id: String,
}

impl Actor {
    pub fn staff(user_id: &str) -> Self {
        Self {
            kind: "staff",
            id: user_id.to_owned(),
        }
    }

    pub fn partner(partner_id: &str) -> Self {
        Self {
            kind: "partner",
            id: partner_id.to_owned(),
        }
    }

    /// An administrator at the command line; the OS user when known.
    pub fn cli() -> Self {
        let user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
        Self {
            kind: "cli",
            id: user,
        }
    }

    /// Brug itself (start-up sync, workers).
    pub fn system(component: &str) -> Self {
        Self {
            kind: "system",
            id: component.to_owned(),
        }
    }
}

/// What is about to be recorded.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub actor: Actor,
    /// The operation's name in the access policy, e.g. `partners.get`.
    pub operation: String,
    pub subject_type: String,
    pub subject_id: String,
    pub request_id: Option<String>,
    /// `ok`, or why not: `denied`, `failed`.
    pub outcome: String,
}

impl NewEntry {
    pub fn new(actor: Actor, operation: &str, subject_type: &str, subject_id: &str) -> Self {
        Self {
            actor,
            operation: operation.to_owned(),
            subject_type: subject_type.to_owned(),
            subject_id: subject_id.to_owned(),
            request_id: None,
            outcome: "ok".to_owned(),
        }
    }

    pub fn request(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id;
        self
    }

    pub fn outcome(mut self, outcome: &str) -> Self {
        self.outcome = outcome.to_owned();
        self
    }
}

/// One stored entry.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, diesel::Queryable, diesel::Selectable, utoipa::ToSchema,
)]
#[diesel(table_name = crate::db::schema::audit_log)]
pub struct Entry {
    pub seq: i64,
    pub id: String,
    #[serde(serialize_with = "crate::domain::utc::serialize")]
    pub at: NaiveDateTime,
    pub actor_type: String,
    pub actor_id: String,
    pub operation: String,
    pub subject_type: String,
    pub subject_id: String,
    pub request_id: Option<String>,
    pub outcome: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Both databases keep microseconds; the hash must cover what is stored.
pub fn stored_time(now: DateTime<Utc>) -> NaiveDateTime {
    now.naive_utc().trunc_subsecs(6)
}

impl Entry {
    /// The hash this entry must carry, from its content and `prev_hash`:
    /// an HMAC-SHA-256 under the audit key, so that nobody without the key
    /// (which lives outside the database) can recompute a chain; plain
    /// SHA-256 without one (entries written before the chain was keyed).
    pub fn expected_hash(&self, key: Option<&[u8]>) -> String {
        let canonical = self.canonical();
        match key {
            Some(key) => hex::encode(mac(key, canonical.as_bytes())),
            None => hex::encode(Sha256::digest(canonical.as_bytes())),
        }
    }

    fn canonical(&self) -> String {
        serde_json::json!([
            "brug-audit-v1",
            self.seq,
            self.id,
            self.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            self.actor_type,
            self.actor_id,
            self.operation,
            self.subject_type,
            self.subject_id,
            self.request_id,
            self.outcome,
            self.prev_hash,
        ])
        .to_string()
    }
}

/// HMAC-SHA-256 of `message` under `key`.
pub fn mac(key: &[u8], message: &[u8]) -> Vec<u8> {
    use hmac::Mac;
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    match hmac::Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut hmac) => {
            hmac.update(message);
            hmac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// Where a chain stops being intact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub seq: i64,
    pub id: String,
    pub reason: String,
}

/// Walks entries in `seq` order, carrying the state between batches. With
/// the key, entries sealed with it are checked under it; entries with a
/// plain hash are accepted only before the first sealed one (written before
/// the chain was keyed), never after it.
#[derive(Debug, Clone)]
pub struct ChainCheck {
    pub next_seq: i64,
    pub prev_hash: String,
    pub checked: u64,
    key: Option<Vec<u8>>,
    /// Whether the last entry checked was sealed with the key.
    pub sealed: bool,
}

impl Default for ChainCheck {
    fn default() -> Self {
        Self::keyed(None)
    }
}

impl ChainCheck {
    pub fn keyed(key: Option<&[u8]>) -> Self {
        Self {
            next_seq: 1,
            prev_hash: GENESIS.to_owned(),
            checked: 0,
            key: key.map(<[u8]>::to_vec),
            sealed: false,
        }
    }
}

impl ChainCheck {
    /// Checks the next entry; the first break is returned.
    pub fn check(&mut self, entry: &Entry) -> Result<(), Break> {
        let broken = |reason: String| Break {
            seq: entry.seq,
            id: entry.id.clone(),
            reason,
        };
        if entry.seq != self.next_seq {
            return Err(broken(format!(
                "entries {} to {} are missing (deleted?)",
                self.next_seq,
                entry.seq - 1
            )));
        }
        if entry.prev_hash != self.prev_hash {
            return Err(broken("does not link to the entry before it".to_owned()));
        }
        let sealed = self
            .key
            .as_deref()
            .is_some_and(|key| entry.hash == entry.expected_hash(Some(key)));
        if !sealed {
            if self.sealed {
                return Err(broken(
                    "it is not sealed with the audit key, unlike the entries before it \
                     (altered or forged?)"
                        .to_owned(),
                ));
            }
            if entry.hash != entry.expected_hash(None) {
                return Err(broken(
                    "its content does not match its hash (altered?)".to_owned(),
                ));
            }
        }
        self.sealed = sealed;
        self.next_seq += 1;
        self.prev_hash = entry.hash.clone();
        self.checked += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let mut entry = Entry {
                    seq,
                    id: format!("id-{seq}"),
                    at: stored_time(Utc::now()),
                    actor_type: "staff".into(),
                    actor_id: "user-1".into(),
                    operation: "clients.get".into(),
                    subject_type: "client".into(),
                    subject_id: format!("client-{seq}"),
                    request_id: None,
                    outcome: "ok".into(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                entry.hash = entry.expected_hash(None);
                prev = entry.hash.clone();
                entry
            })
            .collect()
    }

    fn first_break(entries: &[Entry]) -> Option<Break> {
        let mut check = ChainCheck::default();
        entries.iter().find_map(|e| check.check(e).err())
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(first_break(&chain(5)), None);
    }

    #[test]
    fn an_altered_entry_is_named() {
        let mut entries = chain(5);
        entries[2].subject_id = "client-99".into();
        assert_eq!(first_break(&entries).map(|b| b.seq), Some(3));
    }

    #[test]
    fn a_deleted_entry_is_named() {
        let mut entries = chain(5);
        entries.remove(1);
        let broken = first_break(&entries).expect("broken");
        assert_eq!(broken.seq, 3);
        assert!(broken.reason.contains("missing"));
    }

    /// Entries `from..` re-sealed with `key`, linked again.
    fn sealed_from(mut entries: Vec<Entry>, from: usize, key: &[u8]) -> Vec<Entry> {
        for i in from..entries.len() {
            if i > 0 {
                entries[i].prev_hash = entries[i - 1].hash.clone();
            }
            entries[i].hash = entries[i].expected_hash(Some(key));
        }
        entries
    }

    #[test]
    fn plain_entries_verify_only_before_the_first_sealed_one() {
        let key = b"the audit key, 32 bytes or so...";
        let upgraded = sealed_from(chain(6), 3, key);
        let mut check = ChainCheck::keyed(Some(key));
        assert!(upgraded.iter().all(|e| check.check(e).is_ok()));
        assert!(check.sealed, "the chain ends sealed");

        // An entry after the first sealed one, rehashed without the key.
        let mut forged = upgraded.clone();
        forged[4].actor_id = "someone-else".into();
        forged[4].hash = forged[4].expected_hash(None);
        let mut check = ChainCheck::keyed(Some(key));
        let broken = forged.iter().find_map(|e| check.check(e).err());
        assert_eq!(broken.map(|b| b.seq), Some(5));

        // Without the key nothing sealed verifies.
        let mut check = ChainCheck::keyed(None);
        let broken = upgraded.iter().find_map(|e| check.check(e).err());
        assert_eq!(broken.map(|b| b.seq), Some(4));
    }

    #[test]
    fn a_rehashed_entry_breaks_the_next_link() {
        let mut entries = chain(5);
        entries[1].outcome = "denied".into();
        entries[1].hash = entries[1].expected_hash(None);
        assert_eq!(first_break(&entries).map(|b| b.seq), Some(3));
    }
}

/// Who is acting, under which operation and request id: every command and
/// audited query takes it, and stamps its audit entry with it. The API's
/// extractor fills it from the request (`crate::http::caller`).
#[derive(Debug, Clone)]
pub struct AuditContext {
    pub actor: Actor,
    pub operation: &'static str,
    pub request_id: Option<String>,
    /// Set for a read that runs beside others on a read connection
    /// ([`read::audited`]): its entries are kept here and written by the
    /// writer once the read is done.
    pub deferred: Option<read::Deferred>,
}

impl AuditContext {
    pub fn new(actor: Actor, operation: &'static str, request_id: Option<String>) -> Self {
        Self {
            actor,
            operation,
            request_id,
            deferred: None,
        }
    }

    pub fn entry(&self, subject_type: &str, subject_id: &str) -> NewEntry {
        NewEntry::new(self.actor.clone(), self.operation, subject_type, subject_id)
            .request(self.request_id.clone())
    }

    /// Appends one entry for this request (inside its write transaction).
    pub fn record(
        &self,
        conn: &mut crate::db::DbConn,
        subject_type: &str,
        subject_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), crate::db::DbError> {
        let entry = self.entry(subject_type, subject_id);
        match &self.deferred {
            Some(deferred) => {
                read::defer(deferred, entry, now);
                Ok(())
            }
            None => store::append(conn, entry, now).map(|_| ()),
        }
    }

    /// Records that this request was refused `subject_id` (outcome
    /// `refused`): the entry stays though the request fails.
    pub fn record_refused(
        &self,
        subject_type: &str,
        subject_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), crate::db::DbError> {
        let entry = self.entry(subject_type, subject_id).outcome(REFUSED);
        match &self.deferred {
            Some(deferred) => {
                read::defer(deferred, entry, now);
                Ok(())
            }
            None => store::append_refused(entry, now),
        }
    }
}
