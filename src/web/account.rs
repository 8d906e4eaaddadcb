//! Staff accounts: the roles, the password rule and hashing (argon2id), the random tokens of
//! sessions and CSRF, and the lock-out after repeated failed sign-ins.
//!
//! Everything here is pure (the clock is passed in) except the hashing, which is slow on
//! purpose: call [`hash_password`] and [`verify_password`] off the async runtime
//! (`spawn_blocking`). Passwords and tokens are never logged; only hashes are stored.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest as _, Sha256};

pub use crate::domain::Role;

/// The shortest password accepted (characters).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password accepted (characters); longer input is refused before hashing.
pub const MAX_PASSWORD_CHARS: usize = 200;

/// Why a password is not accepted, in Dutch; `None` when it is.
pub fn password_problem(password: &str) -> Option<String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Some(format!(
            "het wachtwoord moet minstens {MIN_PASSWORD_CHARS} tekens hebben"
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Some(format!(
            "het wachtwoord mag hoogstens {MAX_PASSWORD_CHARS} tekens hebben"
        ));
    }
    if password.chars().any(char::is_control) {
        return Some("het wachtwoord bevat een stuurteken".into());
    }
    None
}

/// The argon2id hash of `password` as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`), with
/// a fresh random salt. Slow on purpose.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| anyhow::anyhow!("failed to encode a salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("failed to hash a password: {e}"))
}

/// Whether `password` matches the stored PHC string. A malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return false;
    }
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A new random token (256 bits, URL-safe base64 without padding): a session's cookie value,
/// a CSRF token.
pub fn new_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// A random password for `intake staff add --generate-password`: 20 characters from an
/// alphabet without look-alikes (about 115 bits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..20)
        .map(|_| {
            let i = rand::random_range(0..ALPHABET.len());
            char::from(ALPHABET[i])
        })
        .collect()
}

/// What the database keeps of a token: its SHA-256, hex. A stolen database does not give
/// working session cookies.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How many failed sign-ins lock an account, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub lock_minutes: u32,
}

/// An account's failure count and lock after one more failed sign-in at `now`: the count
/// goes up; reaching the maximum locks the account and starts the count again.
pub fn after_failure(
    failures: u32,
    policy: LockoutPolicy,
    now: DateTime<Utc>,
) -> (u32, Option<DateTime<Utc>>) {
    let failures = failures.saturating_add(1);
    if failures >= policy.max_failures.max(1) {
        (
            0,
            Some(now + Duration::minutes(i64::from(policy.lock_minutes))),
        )
    } else {
        (failures, None)
    }
}

/// Whether an account locked until `until` is still locked at `now`.
pub fn is_locked(until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    until.is_some_and(|u| u > now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_only_staff_act_and_only_office_holders_ratify() {
        for r in [Role::Staff, Role::OfficeHolder, Role::ReadOnly] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("admin"), None);
        assert!(Role::Staff.can_act() && !Role::Staff.can_ratify());
        assert!(Role::OfficeHolder.can_ratify() && !Role::OfficeHolder.can_act());
        assert!(!Role::ReadOnly.can_act() && !Role::ReadOnly.can_ratify());
        assert!(!Role::ReadOnly.can_send_letters());
    }

    #[test]
    fn a_password_hash_is_argon2id_salted_and_verifies_only_the_same_password() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert_ne!(h, hash_password("correct horse battery").unwrap());
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("correct horse battery", "not a hash"));
    }

    #[test]
    fn short_long_and_control_character_passwords_are_refused() {
        assert!(password_problem("kort").is_some());
        assert!(password_problem(&"x".repeat(201)).is_some());
        assert!(password_problem("twaalf tekens\u{7}!").is_some());
        assert!(password_problem("lang genoeg wachtwoord").is_none());
        // Characters, not bytes: twelve accented letters are enough.
        assert!(password_problem("éééééééééééé").is_none());
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &b));
        assert!(!same_secret(&a, &a[..42]));
        let p = generate_password();
        assert_eq!(p.chars().count(), 20);
        assert!(password_problem(&p).is_none());
    }

    #[test]
    fn the_fifth_failure_locks_the_account_for_the_policy_minutes() {
        let policy = LockoutPolicy {
            max_failures: 5,
            lock_minutes: 15,
        };
        let now = Utc::now();
        let mut failures = 0;
        for _ in 0..4 {
            let (f, lock) = after_failure(failures, policy, now);
            assert!(lock.is_none());
            failures = f;
        }
        let (f, lock) = after_failure(failures, policy, now);
        assert_eq!(f, 0);
        let until = lock.unwrap();
        assert_eq!(until, now + Duration::minutes(15));
        assert!(is_locked(Some(until), now + Duration::minutes(14)));
        assert!(!is_locked(Some(until), now + Duration::minutes(15)));
        assert!(!is_locked(None, now));
    }
}
