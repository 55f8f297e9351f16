//! Who is calling: staff users with roles, and partner organisations with
//! keys. Tokens are random, shown once, and stored only as a hash. What each
//! caller may do is decided in one place, [`policy`].

pub mod assignment;
pub mod commands;
pub mod partner_users;
pub mod policy;
pub mod portal_sessions;
pub mod routes;
pub mod sessions;
pub mod store;
pub mod throttle;
pub mod totp;

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Toekomst Oriëntatie: registers clients, records talks and consent.
    Counsellor,
    /// Met Opgeheven Hoofd: runs return cases and referrals.
    Caseworker,
    /// Programme lead: aggregate reports only.
    Lead,
    /// Users, keys, retention, the audit log.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Counsellor, Role::Caseworker, Role::Lead, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Counsellor => "counsellor",
            Role::Caseworker => "caseworker",
            Role::Lead => "lead",
            Role::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which kind of credential a token is; its prefix says so too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Staff,
    Partner,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Staff => "staff",
            TokenKind::Partner => "partner",
        }
    }

    pub fn prefix(self) -> &'static str {
        match self {
            TokenKind::Staff => "brug_st_",
            TokenKind::Partner => "brug_pk_",
        }
    }
}

/// A new secret token, with what is stored of it.
pub struct NewToken {
    /// Shown once, never stored.
    pub secret: String,
    pub hash: String,
    /// Enough to recognise it in a list: the kind prefix and 4 characters.
    pub display_prefix: String,
}

/// The operating system gave no randomness: nothing secret can be made.
#[derive(Debug, thiserror::Error)]
#[error("no randomness from the operating system: {0}")]
pub struct NoRandomness(pub String);

/// 32 random bytes (256 bits) from the operating system, URL-safe.
pub fn generate_token(kind: TokenKind) -> Result<NewToken, NoRandomness> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| NoRandomness(e.to_string()))?;
    let secret = format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(bytes));
    let display_prefix = secret.chars().take(kind.prefix().len() + 4).collect();
    Ok(NewToken {
        hash: hash_token(&secret),
        secret,
        display_prefix,
    })
}

/// SHA-256 suffices for tokens with 256 bits of entropy: there is nothing to
/// guess, so a slow password hash would only slow every request.
pub fn hash_token(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two hashes in constant time.
pub fn hashes_match(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// A signed-in staff user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Staff {
    pub user_id: String,
    pub email: String,
    pub roles: Vec<Role>,
}

impl Staff {
    pub fn has_any(&self, roles: &[Role]) -> bool {
        self.roles.iter().any(|r| roles.contains(r))
    }
}

/// A partner organisation calling with one of its keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartnerCaller {
    pub partner_id: String,
    pub key_id: String,
}

/// Whoever the access policy let in; handlers take [`Staff`] or
/// [`PartnerCaller`] instead (their extractors are in `crate::http::caller`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Staff(Staff),
    Partner(PartnerCaller),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_recognisable() {
        let a = generate_token(TokenKind::Staff).expect("token");
        let b = generate_token(TokenKind::Staff).expect("token");
        assert!(a.secret.starts_with("brug_st_"));
        assert_eq!(a.secret.len(), "brug_st_".len() + 43);
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.hash, hash_token(&a.secret));
        assert!(!a.hash.contains(&a.secret));
        assert_eq!(a.display_prefix.len(), 12);
        let key = generate_token(TokenKind::Partner).expect("key");
        assert!(key.secret.starts_with("brug_pk_"));
    }

    #[test]
    fn hashes_compare_by_value() {
        assert!(hashes_match("abc", "abc"));
        assert!(!hashes_match("abc", "abd"));
        assert!(!hashes_match("abc", "abcd"));
    }
}
