//! The audit key: the secret that seals the audit chain (HMAC-SHA-256). It
//! lives in a file outside the database, so that whoever can change the
//! database cannot recompute a chain that verifies. Brug generates one on
//! first start when none is set, readable by its owner only.

use crate::keys::write_private;
use std::path::Path;

/// Bytes of a generated key.
const KEY_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the audit key file {path} cannot be read: {cause}")]
    Unreadable { path: String, cause: String },
    #[error("the audit key file {path} holds no key (64 hexadecimal digits)")]
    Malformed { path: String },
    #[error("no audit key at {path}: set audit_key_file to the key this database was sealed with")]
    Missing { path: String },
    #[error("cannot create the audit key file {path}: {cause}")]
    Uncreatable { path: String, cause: String },
}

/// Reads the key at `path`.
pub fn load(path: &Path) -> Result<Vec<u8>, KeyError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => KeyError::Missing {
            path: shown.clone(),
        },
        _ => KeyError::Unreadable {
            path: shown.clone(),
            cause: e.to_string(),
        },
    })?;
    match hex::decode(text.trim()) {
        Ok(key) if key.len() >= 16 => Ok(key),
        _ => Err(KeyError::Malformed { path: shown }),
    }
}

/// Reads the key at `path`, or creates one there (mode 0600) when there is
/// none; says whether it was created. Two processes starting at once end
/// up with the same key: the file appears whole or not at all.
pub fn load_or_create(path: &Path) -> Result<(Vec<u8>, bool), KeyError> {
    match load(path) {
        Ok(key) => return Ok((key, false)),
        Err(KeyError::Missing { .. }) => {}
        Err(other) => return Err(other),
    }
    let shown = path.display().to_string();
    let failed = |cause: String| KeyError::Uncreatable {
        path: shown.clone(),
        cause,
    };
    let mut key = vec![0u8; KEY_BYTES];
    getrandom::fill(&mut key).map_err(|e| failed(e.to_string()))?;
    let temporary = path.with_extension(format!("tmp-{}", uuid::Uuid::now_v7().simple()));
    let written = write_private(&temporary, format!("{}\n", hex::encode(&key)).as_bytes());
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(failed(e.to_string()));
    }
    // A hard link does not replace a file that appeared meanwhile.
    let linked = std::fs::hard_link(&temporary, path);
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => Ok((key, true)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok((load(path)?, false)),
        Err(e) => Err(failed(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_created_once_private_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("audit.key");
        let (first, created) = load_or_create(&path).expect("created");
        assert!(created);
        assert_eq!(first.len(), KEY_BYTES);
        let (again, created) = load_or_create(&path).expect("read");
        assert!(!created);
        assert_eq!(again, first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not a key").expect("write");
        assert!(matches!(load(&path), Err(KeyError::Malformed { .. })));
        assert!(matches!(
            load(&dir.path().join("none")),
            Err(KeyError::Missing { .. })
        ));
    }
}
