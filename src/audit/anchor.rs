//! Anchors: the chain's head at one moment, signed with the audit key, to
//! keep apart from the database (printed by `brug audit anchor`). The key
//! stops anyone without it from rewriting the chain; an anchor also proves
//! that nothing up to it was cut off the end: `brug audit verify --anchor
//! FILE` checks that the entry it names still carries the same hash, which
//! covers every entry before it.

use chrono::{DateTime, Utc};

use super::store;
use super::{Actor, NewEntry};
use crate::db::{DbConn, DbError};

const TAG: &str = "brug-audit-anchor-v1";

/// One anchor: the sequence number and hash of the head, and the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub head: String,
    pub signature: String,
}

impl Anchor {
    fn signature_of(key: &[u8], seq: i64, head: &str) -> String {
        hex::encode(super::mac(key, format!("{TAG}|{seq}|{head}").as_bytes()))
    }

    pub fn sign(key: &[u8], seq: i64, head: &str) -> Self {
        Self {
            seq,
            head: head.to_owned(),
            signature: Self::signature_of(key, seq, head),
        }
    }

    /// Whether the audit key signed it.
    pub fn signed_with(&self, key: &[u8]) -> bool {
        use subtle_eq::eq;
        eq(
            self.signature.as_bytes(),
            Self::signature_of(key, self.seq, &self.head).as_bytes(),
        )
    }

    /// One line: `brug-audit-anchor-v1 seq=N head=HEX signature=HEX`.
    pub fn to_line(&self) -> String {
        format!(
            "{TAG} seq={} head={} signature={}",
            self.seq, self.head, self.signature
        )
    }

    /// Reads the line [`Anchor::to_line`] wrote (surrounding text ignored).
    pub fn parse(text: &str) -> Result<Self, String> {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(TAG))
            .ok_or_else(|| format!("no line starting with {TAG}"))?;
        let field = |name: &str| {
            line.split_whitespace()
                .find_map(|part| part.strip_prefix(&format!("{name}=")))
                .map(str::to_owned)
                .ok_or_else(|| format!("the anchor has no {name}="))
        };
        let seq = field("seq")?
            .parse::<i64>()
            .map_err(|_| "the anchor's seq is not a number".to_owned())?;
        Ok(Self {
            seq,
            head: field("head")?,
            signature: field("signature")?,
        })
    }
}

/// Constant-time comparison, so that checking a forged signature tells
/// nothing about the right one.
mod subtle_eq {
    pub fn eq(a: &[u8], b: &[u8]) -> bool {
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// The current head, signed; `None` for an empty log.
pub fn current(conn: &mut DbConn, key: &[u8]) -> Result<Option<Anchor>, DbError> {
    Ok(store::head(conn)?.map(|head| Anchor::sign(key, head.seq, &head.hash)))
}

/// Whether the log still holds the anchored entry unchanged; why not if not.
pub fn holds(
    conn: &mut DbConn,
    anchor: &Anchor,
    key: &[u8],
) -> Result<Result<(), String>, DbError> {
    if !anchor.signed_with(key) {
        return Ok(Err(
            "the anchor's signature does not match: it was not made with this audit key".to_owned(),
        ));
    }
    Ok(match store::at(conn, anchor.seq)? {
        None => Err(format!(
            "the anchored entry {} is gone: the log was cut back",
            anchor.seq
        )),
        Some(entry) if entry.hash != anchor.head => Err(format!(
            "the anchored entry {} no longer carries the anchored hash: the log was rewritten",
            anchor.seq
        )),
        Some(_) => Ok(()),
    })
}

/// What a chain's last entry says of the audit key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadSeal {
    Empty,
    Sealed,
    /// Written before the chain was keyed.
    Plain,
    /// Sealed with some other key.
    Foreign,
}

/// How the last entry is sealed.
pub fn head_seal(conn: &mut DbConn, key: &[u8]) -> Result<HeadSeal, DbError> {
    Ok(match store::head(conn)? {
        None => HeadSeal::Empty,
        Some(entry) if entry.hash == entry.expected_hash(Some(key)) => HeadSeal::Sealed,
        Some(entry) if entry.hash == entry.expected_hash(None) => HeadSeal::Plain,
        Some(_) => HeadSeal::Foreign,
    })
}

/// On start: a chain written before it was keyed gets a first sealed entry
/// (`audit.keyed`), after which no unsealed entry verifies; only when the
/// key was made by this start (`key_is_new`), the upgrade. A chain that
/// ends unsealed while the key already existed was rewritten (or written by
/// an older Brug), and sealing it now would bless the rewrite: refused, as
/// is a chain sealed with another key.
pub fn seal_chain(
    conn: &mut DbConn,
    key: &[u8],
    key_is_new: bool,
    now: DateTime<Utc>,
) -> Result<HeadSeal, DbError> {
    let seal = head_seal(conn, key)?;
    match seal {
        HeadSeal::Plain if !key_is_new => {
            return Err(DbError::Config(
                "the audit log's last entry is not sealed with the audit key, which existed \
                 already: the log was rewritten, or written by an older version of Brug. Run \
                 `brug audit verify` (with your last anchor) before anything else"
                    .to_owned(),
            ));
        }
        HeadSeal::Plain => {
            let entry = NewEntry::new(Actor::system("audit"), "audit.keyed", "audit_log", "chain");
            store::append(conn, entry, now)?;
        }
        HeadSeal::Foreign => {
            return Err(DbError::Config(
                "the audit log's last entry is sealed with another key: set audit_key_file to \
                 the key this database was started with"
                    .to_owned(),
            ));
        }
        HeadSeal::Empty | HeadSeal::Sealed => {}
    }
    Ok(seal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_anchor_reads_back_and_only_its_key_signed_it() {
        let anchor = Anchor::sign(b"0123456789abcdef", 42, "ab12");
        let line = anchor.to_line();
        assert_eq!(
            line,
            format!(
                "brug-audit-anchor-v1 seq=42 head=ab12 signature={}",
                anchor.signature
            )
        );
        let read = Anchor::parse(&format!("anchored on Monday\n{line}\n")).expect("parsed");
        assert_eq!(read, anchor);
        assert!(read.signed_with(b"0123456789abcdef"));
        assert!(!read.signed_with(b"fedcba9876543210"));
        let forged = Anchor { seq: 41, ..read };
        assert!(!forged.signed_with(b"0123456789abcdef"));
        assert!(Anchor::parse("seq=1").is_err());
    }
}
