//! Accounts and sessions: who may sign in, at which region and in which role.

use chrono::{DateTime, Utc};

use super::access::{Principal, Role};
use super::{DomainError, RegionCode, RegionLevel};

/// An account. The password is kept only as its Argon2 hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub region: RegionCode,
    pub region_level: RegionLevel,
    /// The home region and its ancestors, root first.
    pub region_path: Vec<RegionCode>,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    /// A phone number for robot @mentions and a call when something is late.
    pub phone: Option<String>,
    /// The password was set by someone else (a new account, a reset): the account must choose
    /// its own before it does anything else.
    pub must_change_password: bool,
}

impl Account {
    /// Whom the account acts as.
    pub fn principal(&self) -> Principal {
        Principal {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
            region: self.region.clone(),
            region_level: self.region_level,
            region_path: self.region_path.clone(),
            must_change_password: self.must_change_password,
        }
    }

    /// Does the account work at `region` in `role`?
    pub fn is(&self, role: Role, region: &RegionCode) -> bool {
        self.role == role && &self.region == region
    }
}

/// A signed-in session; the token is kept only as its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub username: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
}

impl Session {
    /// Does the session let its account in at `now`?
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        !self.revoked && now < self.expires_at
    }
}

/// A contact phone as departments write it: a mobile (13812345678, +86 138 1234 5678) or a
/// landline with its area code (0851-33221100). Kept as digits with the `+` and `-` given.
pub fn phone(field: &str, s: &str) -> Result<Option<String>, DomainError> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if s.is_empty() {
        return Ok(None);
    }
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let shaped = s.chars().all(|c| c.is_ascii_digit() || c == '-' || c == '+')
        && !s[1..].contains('+')
        && (7..=15).contains(&digits);
    if shaped { Ok(Some(s)) } else { Err(DomainError::invalid(field, format!("`{s}` is not a phone number"))) }
}

/// A username: 2–64 of a-z, A-Z, 0-9, `.`, `_`, `-` (what the sign-in form and the URLs take).
pub fn username(s: &str) -> Result<String, DomainError> {
    let s = s.trim();
    let valid = (2..=64).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if valid {
        Ok(s.to_owned())
    } else {
        Err(DomainError::invalid("username", "2–64 of a-z, A-Z, 0-9, `.`, `_`, `-`"))
    }
}

/// A password someone else hands over (a new account, a reset): 12 characters from an alphabet
/// without look-alikes (no 0/O, 1/l/I), about 70 bits, easy to read out over the phone.
pub fn initial_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    // 256 is not a multiple of 56: reject the top values so every character is equally likely.
    let mut out = String::with_capacity(12);
    let mut pool = bytes.to_vec();
    while out.len() < 12 {
        for b in pool.drain(..) {
            if usize::from(b) < 256 - 256 % ALPHABET.len() && out.len() < 12 {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
        if out.len() < 12 {
            let mut more = [0u8; 12];
            getrandom::fill(&mut more).expect("the operating system provides randomness");
            pool.extend_from_slice(&more);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_as_departments_write_them() {
        assert_eq!(phone("phone", " 138 1234 5678 ").unwrap().as_deref(), Some("13812345678"));
        assert_eq!(phone("phone", "0851-33221100").unwrap().as_deref(), Some("0851-33221100"));
        assert_eq!(phone("phone", "+8613812345678").unwrap().as_deref(), Some("+8613812345678"));
        assert_eq!(phone("phone", "").unwrap(), None);
        assert!(phone("phone", "12ab").is_err());
        assert!(phone("phone", "138+1234").is_err());
    }

    #[test]
    fn initial_passwords_are_long_and_unambiguous() {
        let p = initial_password();
        assert_eq!(p.len(), 12);
        assert!(!p.contains(['0', 'O', '1', 'l', 'I']));
        assert_ne!(p, initial_password());
    }
}
