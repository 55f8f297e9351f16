//! The encrypted backup file: a short header in clear, then the backup in
//! chunks of 64 KiB, each sealed with XChaCha20-Poly1305 under a key of the
//! key file. The header names the key by its id (never the key) and what
//! the backup holds; every chunk authenticates the whole header, its own
//! place in the file and whether it is the last, so that a changed byte,
//! a chunk moved, dropped or added, or a file cut short is refused before
//! anything of it is used.
//!
//! ```text
//! "BRUGENC1"  kind (1 byte)  id length (1)  key id  nonce prefix (19 bytes)
//! chunk 0 .. chunk n: ciphertext of up to 65536 bytes + 16-byte tag
//! ```
//!
//! The nonce of chunk `i` is the random prefix, `i` as 4 bytes big-endian,
//! and 1 for the last chunk or 0 before it (the STREAM construction).

use std::io::{Read, Write};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::keys::{Key, KeyRing};

/// The first bytes of an encrypted backup.
pub const MAGIC: &[u8; 8] = b"BRUGENC1";

/// Plaintext bytes per chunk.
const CHUNK: usize = 64 * 1024;
/// The authentication tag after each chunk.
const TAG: usize = 16;
/// The random part of each nonce.
const PREFIX: usize = 19;

/// What a backup holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An SQLite database file.
    Sqlite,
    /// A PostgreSQL dump in `pg_dump`'s custom format.
    Postgres,
}

impl Kind {
    fn byte(self) -> u8 {
        match self {
            Kind::Sqlite => b'S',
            Kind::Postgres => b'P',
        }
    }

    fn of(byte: u8) -> Option<Self> {
        match byte {
            b'S' => Some(Kind::Sqlite),
            b'P' => Some(Kind::Postgres),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("the backup is not an encrypted Brug backup")]
    NotSealed,
    #[error(
        "the backup was encrypted with key `{0}`, which the key file does not hold: \
         set key_file (BRUG_KEY_FILE) to the key file it was made with"
    )]
    UnknownKey(String),
    #[error(
        "the backup cannot be decrypted with key `{0}`: it was altered or damaged, or the \
         key file holds another key under that id"
    )]
    Damaged(String),
    #[error("the backup ends early: it was cut short")]
    Truncated,
    #[error("cannot make a nonce: {0}")]
    Random(String),
    #[error("the backup is too large to encrypt in one file")]
    TooLarge,
}

/// The clear header, read or to be written.
#[derive(Debug, Clone)]
struct Header {
    kind: Kind,
    key_id: String,
    prefix: [u8; PREFIX],
}

impl Header {
    fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(MAGIC.len() + 2 + self.key_id.len() + PREFIX);
        bytes.extend_from_slice(MAGIC);
        bytes.push(self.kind.byte());
        // Ids are at most 64 bytes (`keys::valid_id`).
        bytes.push(u8::try_from(self.key_id.len()).unwrap_or(u8::MAX));
        bytes.extend_from_slice(self.key_id.as_bytes());
        bytes.extend_from_slice(&self.prefix);
        bytes
    }

    /// Reads the header, magic included.
    fn read(input: &mut impl Read) -> Result<Self, SealError> {
        let mut start = [0u8; 10];
        if fill(input, &mut start)? < start.len() || &start[..8] != MAGIC {
            return Err(SealError::NotSealed);
        }
        let kind = Kind::of(start[8]).ok_or(SealError::NotSealed)?;
        let mut id = vec![0u8; usize::from(start[9])];
        let mut prefix = [0u8; PREFIX];
        if fill(input, &mut id)? < id.len() || fill(input, &mut prefix)? < PREFIX {
            return Err(SealError::Truncated);
        }
        let key_id = String::from_utf8(id).map_err(|_| SealError::NotSealed)?;
        if !crate::keys::valid_id(&key_id) {
            return Err(SealError::NotSealed);
        }
        Ok(Self {
            kind,
            key_id,
            prefix,
        })
    }

    fn nonce(&self, counter: u32, last: bool) -> XNonce {
        let mut nonce = [0u8; 24];
        nonce[..PREFIX].copy_from_slice(&self.prefix);
        nonce[PREFIX..PREFIX + 4].copy_from_slice(&counter.to_be_bytes());
        nonce[23] = u8::from(last);
        XNonce::from(nonce)
    }
}

/// Reads until `buf` is full or the input ends; how many bytes were read.
fn fill(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut read = 0;
    while read < buf.len() {
        match input.read(&mut buf[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(read)
}

fn cipher(key: &Key) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(&(*key.bytes()).into())
}

/// Encrypts all of `input` into `output` under `key` (named `key_id`).
pub fn seal(
    input: &mut impl Read,
    output: &mut impl Write,
    kind: Kind,
    key_id: &str,
    key: &Key,
) -> Result<(), SealError> {
    let mut prefix = [0u8; PREFIX];
    getrandom::fill(&mut prefix).map_err(|e| SealError::Random(e.to_string()))?;
    let header = Header {
        kind,
        key_id: key_id.to_owned(),
        prefix,
    };
    let aad = header.to_bytes();
    output.write_all(&aad)?;
    let cipher = cipher(key);
    let mut current = vec![0u8; CHUNK];
    let mut len = fill(input, &mut current)?;
    let mut next = vec![0u8; CHUNK];
    let mut counter: u32 = 0;
    loop {
        // A chunk is the last when nothing follows it.
        let next_len = if len == CHUNK {
            fill(input, &mut next)?
        } else {
            0
        };
        let last = next_len == 0;
        let sealed = cipher
            .encrypt(
                &header.nonce(counter, last),
                Payload {
                    msg: &current[..len],
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::TooLarge)?;
        output.write_all(&sealed)?;
        if last {
            return Ok(());
        }
        std::mem::swap(&mut current, &mut next);
        len = next_len;
        counter = counter.checked_add(1).ok_or(SealError::TooLarge)?;
    }
}

/// Decrypts an encrypted backup from `input` into `output` with the key its
/// header names; what it holds. Nothing unauthenticated reaches `output`,
/// but what came before a damaged chunk has: write into something that is
/// thrown away on error.
pub fn open(
    input: &mut impl Read,
    output: &mut impl Write,
    ring: &KeyRing,
) -> Result<Kind, SealError> {
    let header = Header::read(input)?;
    let key = ring
        .get(&header.key_id)
        .ok_or_else(|| SealError::UnknownKey(header.key_id.clone()))?;
    let aad = header.to_bytes();
    let cipher = cipher(key);
    let mut current = vec![0u8; CHUNK + TAG];
    let mut len = fill(input, &mut current)?;
    let mut next = vec![0u8; CHUNK + TAG];
    let mut counter: u32 = 0;
    loop {
        if len < TAG {
            // Every backup ends with a (possibly empty) last chunk.
            return Err(SealError::Truncated);
        }
        let next_len = if len == CHUNK + TAG {
            fill(input, &mut next)?
        } else {
            0
        };
        let last = next_len == 0;
        let plain = cipher
            .decrypt(
                &header.nonce(counter, last),
                Payload {
                    msg: &current[..len],
                    aad: &aad,
                },
            )
            // A file cut at a chunk boundary fails here too: its new last
            // chunk was sealed as not the last.
            .map_err(|_| SealError::Damaged(header.key_id.clone()))?;
        output.write_all(&plain)?;
        if last {
            return Ok(header.kind);
        }
        std::mem::swap(&mut current, &mut next);
        len = next_len;
        counter = counter.checked_add(1).ok_or(SealError::TooLarge)?;
    }
}

/// Whether `start` (the first bytes of a file) begins an encrypted backup.
pub fn is_sealed(start: &[u8]) -> bool {
    start.starts_with(MAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(dir: &std::path::Path) -> KeyRing {
        let path = dir.join("keys");
        crate::keys::add(&path, chrono::Utc::now()).expect("a key");
        KeyRing::load(&path).expect("read")
    }

    fn sealed(ring: &KeyRing, plain: &[u8]) -> Vec<u8> {
        let (id, key) = ring.current().expect("current");
        let mut out = Vec::new();
        seal(&mut &plain[..], &mut out, Kind::Sqlite, id, key).expect("sealed");
        out
    }

    #[test]
    fn what_is_sealed_opens_whole_at_every_length() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ring = ring(dir.path());
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let file = sealed(&ring, &plain);
            let mut back = Vec::new();
            let kind = open(&mut &file[..], &mut back, &ring).expect("opens");
            assert_eq!(kind, Kind::Sqlite);
            assert_eq!(back, plain, "length {len}");
        }
    }

    #[test]
    fn a_changed_byte_a_cut_or_another_key_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ring = ring(dir.path());
        let plain = vec![7u8; 2 * CHUNK + 100];
        let file = sealed(&ring, &plain);
        let mut flipped = file.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 1;
        assert!(matches!(
            open(&mut &flipped[..], &mut Vec::new(), &ring),
            Err(SealError::Damaged(_))
        ));
        // Cut at a chunk boundary: what is left is whole chunks.
        let header = file.len() - (2 * (CHUNK + TAG) + 100 + TAG);
        let cut = &file[..header + 2 * (CHUNK + TAG)];
        assert!(open(&mut &cut[..], &mut Vec::new(), &ring).is_err());
        let header_only = &file[..header];
        assert!(matches!(
            open(&mut &header_only[..], &mut Vec::new(), &ring),
            Err(SealError::Truncated)
        ));
        let other = tempfile::tempdir().expect("tempdir");
        let stranger = super::tests::ring(other.path());
        assert!(matches!(
            open(&mut &file[..], &mut Vec::new(), &stranger),
            Err(SealError::UnknownKey(_))
        ));
        assert!(matches!(
            open(&mut &b"SQLite format 3\0"[..], &mut Vec::new(), &ring),
            Err(SealError::NotSealed)
        ));
    }
}
