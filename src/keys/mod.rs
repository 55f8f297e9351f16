//! The key file: Brug's key-encryption keys, 256 bits each, every one under
//! an id, one of them current. They live in a file outside the database
//! (`key_file`, `BRUG_KEY_FILE`) and never in it or in a backup: what they
//! encrypt names the key by its id, so that an older key still opens what
//! it sealed after a newer one became current.
//!
//! ```toml
//! current = "k20261222-5f3a9c"
//!
//! [keys]
//! k20261222-5f3a9c = "64 hexadecimal digits"
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use secrecy::{ExposeSecret, SecretBox};
use serde::{Deserialize, Serialize};

/// Bytes of a key: 256 bits.
pub const KEY_BYTES: usize = 32;

/// Longest key id.
const ID_MAX: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("no key file is set: set key_file (BRUG_KEY_FILE), and make one with `brug keys add`")]
    NotSet,
    #[error("no key file at {path}: make one with `brug keys add`")]
    Missing { path: String },
    #[error("the key file {path} cannot be read: {cause}")]
    Unreadable { path: String, cause: String },
    #[error("the key file {path} is not valid: {why}")]
    Malformed { path: String, why: String },
    #[error("cannot write the key file {path}: {cause}")]
    Unwritable { path: String, cause: String },
}

/// One key, wiped from memory when dropped and never printed.
pub struct Key(SecretBox<[u8; KEY_BYTES]>);

impl Key {
    pub fn bytes(&self) -> &[u8; KEY_BYTES] {
        self.0.expose_secret()
    }

    fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; KEY_BYTES];
        hex::decode_to_slice(text.trim(), &mut bytes).ok()?;
        Some(Self(SecretBox::new(Box::new(bytes))))
    }

    fn random() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; KEY_BYTES];
        getrandom::fill(&mut bytes)?;
        Ok(Self(SecretBox::new(Box::new(bytes))))
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(***)")
    }
}

/// The file as written.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    current: String,
    keys: BTreeMap<String, String>,
}

/// Every key of the key file, and which one is current.
#[derive(Debug)]
pub struct KeyRing {
    current: String,
    keys: BTreeMap<String, Key>,
}

/// Whether `id` may name a key: 1 to 64 of `A-Z a-z 0-9 . _ -`.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= ID_MAX
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl KeyRing {
    /// Reads the key file at `path`.
    pub fn load(path: &Path) -> Result<Self, KeyFileError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => KeyFileError::Missing {
                path: shown.clone(),
            },
            _ => KeyFileError::Unreadable {
                path: shown.clone(),
                cause: e.to_string(),
            },
        })?;
        Self::parse(&text).map_err(|why| KeyFileError::Malformed { path: shown, why })
    }

    fn parse(text: &str) -> Result<Self, String> {
        let file: KeyFile = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        let mut keys = BTreeMap::new();
        for (id, hex) in &file.keys {
            if !valid_id(id) {
                return Err(format!(
                    "`{id}` is not a key id (1 to 64 letters, digits, `.`, `_`, `-`)"
                ));
            }
            let key = Key::from_hex(hex)
                .ok_or_else(|| format!("key `{id}` is not 64 hexadecimal digits (256 bits)"))?;
            keys.insert(id.clone(), key);
        }
        if !keys.contains_key(&file.current) {
            return Err(format!(
                "the current key `{}` is not among its keys",
                file.current
            ));
        }
        Ok(Self {
            current: file.current,
            keys,
        })
    }

    /// The key new things are encrypted with, and its id (always there:
    /// a file whose current key is missing is not read).
    pub fn current(&self) -> Option<(&str, &Key)> {
        self.keys
            .get(&self.current)
            .map(|key| (self.current.as_str(), key))
    }

    /// The key under `id`, if the file holds it.
    pub fn get(&self, id: &str) -> Option<&Key> {
        self.keys.get(id)
    }

    /// The ids, in order, for listing.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    fn to_toml(&self) -> Result<String, String> {
        let file = KeyFile {
            current: self.current.clone(),
            keys: self
                .keys
                .iter()
                .map(|(id, key)| (id.clone(), hex::encode(key.bytes())))
                .collect(),
        };
        let body = toml::to_string(&file).map_err(|e| e.to_string())?;
        Ok(format!(
            "# Brug's key-encryption keys (`brug keys add`). Keep this file apart from the\n\
             # database and its backups, and keep a copy of it somewhere safe: without the\n\
             # key an encrypted backup cannot be read.\n{body}"
        ))
    }
}

/// Adds a new random key to the key file at `path` (made, readable by its
/// owner only, when there is none) and makes it current; returns its id.
/// The file is replaced whole, so that it is never seen half written.
pub fn add(path: &Path, now: chrono::DateTime<chrono::Utc>) -> Result<String, KeyFileError> {
    let shown = path.display().to_string();
    let failed = |cause: String| KeyFileError::Unwritable {
        path: shown.clone(),
        cause,
    };
    let mut ring = match KeyRing::load(path) {
        Ok(ring) => ring,
        Err(KeyFileError::Missing { .. }) => KeyRing {
            current: String::new(),
            keys: BTreeMap::new(),
        },
        Err(other) => return Err(other),
    };
    let mut suffix = [0u8; 3];
    getrandom::fill(&mut suffix).map_err(|e| failed(e.to_string()))?;
    let id = format!("k{}-{}", now.format("%Y%m%d"), hex::encode(suffix));
    let key = Key::random().map_err(|e| failed(e.to_string()))?;
    ring.keys.insert(id.clone(), key);
    ring.current = id.clone();
    let text = ring.to_toml().map_err(failed)?;
    let temporary = path.with_extension(format!("tmp-{}", uuid::Uuid::now_v7().simple()));
    let written =
        write_private(&temporary, text.as_bytes()).and_then(|()| std::fs::rename(&temporary, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(failed(e.to_string()));
    }
    Ok(id)
}

/// Creates `path` readable and writable by its owner only (the key
/// file, the audit key).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_added_private_and_the_newest_is_current() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("brug.keys");
        let now = chrono::Utc::now();
        let first = add(&path, now).expect("made");
        let second = add(&path, now).expect("added");
        assert_ne!(first, second);
        let ring = KeyRing::load(&path).expect("read");
        let (current, key) = ring.current().expect("a current key");
        assert_eq!(current, second);
        assert_eq!(ring.ids().count(), 2);
        assert!(ring.get(&first).is_some());
        assert_ne!(
            ring.get(&first).map(Key::bytes),
            ring.get(&second).map(Key::bytes)
        );
        assert!(!format!("{ring:?}").contains(&hex::encode(key.bytes())));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_file_that_is_not_a_key_ring_is_refused_with_the_reason() {
        let short = "current = \"a\"\n[keys]\na = \"00ff\"\n";
        assert!(
            KeyRing::parse(short)
                .expect_err("short")
                .contains("64 hexadecimal")
        );
        let lost = format!("current = \"b\"\n[keys]\na = \"{}\"\n", "0".repeat(64));
        assert!(
            KeyRing::parse(&lost)
                .expect_err("no current")
                .contains("`b`")
        );
        let bad_id = format!(
            "current = \"a b\"\n[keys]\n\"a b\" = \"{}\"\n",
            "0".repeat(64)
        );
        assert!(
            KeyRing::parse(&bad_id)
                .expect_err("id")
                .contains("not a key id")
        );
    }
}
