//! SQL for the staff workspace (`intake serve`): staff accounts, their sessions, and the few
//! reads the workspace needs that no other part of the program makes (a document's text).
//!
//! Only hashes are stored: the argon2id hash of a password and the SHA-256 of a session token.
//! Deciding whether a session is still valid or an account locked is not done here (see
//! `web::account`); this module stores and returns.

use chrono::{DateTime, Utc};

use super::{Db, Tx, db, st, tx};
use crate::domain::Role;

/// One staff account.
#[derive(Debug, Clone)]
pub struct StaffAccount {
    pub id: i64,
    /// Lower case, unique.
    pub email: String,
    /// Display name; for an office holder, the name as in the call config.
    pub name: String,
    pub role: Role,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Failed sign-ins since the last success or lock.
    pub failed_sign_ins: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

/// The columns as stored; the role is text there.
#[derive(sqlx::FromRow)]
struct AccountRecord {
    id: i64,
    email: String,
    name: String,
    role: String,
    password_hash: String,
    failed_sign_ins: i32,
    locked_until: Option<DateTime<Utc>>,
    disabled_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    last_sign_in_at: Option<DateTime<Utc>>,
}

impl TryFrom<AccountRecord> for StaffAccount {
    type Error = anyhow::Error;

    fn try_from(r: AccountRecord) -> anyhow::Result<StaffAccount> {
        let role = Role::parse(&r.role)
            .ok_or_else(|| anyhow::anyhow!("staff account {}: unknown role {:?}", r.id, r.role))?;
        Ok(StaffAccount {
            id: r.id,
            email: r.email,
            name: r.name,
            role,
            password_hash: r.password_hash,
            failed_sign_ins: r.failed_sign_ins,
            locked_until: r.locked_until,
            disabled_at: r.disabled_at,
            created_at: r.created_at,
            last_sign_in_at: r.last_sign_in_at,
        })
    }
}

/// `SELECT` of every account column, followed by the given clause.
macro_rules! select_accounts {
    ($rest:literal) => {
        concat!(
            "SELECT id, email, name, role, password_hash, failed_sign_ins, locked_until,
                 disabled_at, created_at, last_sign_in_at FROM staff_accounts ",
            $rest
        )
    };
}

/// The account with this (lower-case) e-mail address.
pub async fn account_by_email(db: &Db, email: &str) -> anyhow::Result<Option<StaffAccount>> {
    let r = db!(db, |p| sqlx::query_as::<_, AccountRecord>(
        select_accounts!("WHERE email = $1")
    )
    .bind(email)
    .fetch_optional(p)
    .await)?;
    r.map(StaffAccount::try_from).transpose()
}

/// Every account, by e-mail address.
pub async fn all_accounts(db: &Db) -> anyhow::Result<Vec<StaffAccount>> {
    let rows = db!(db, |p| sqlx::query_as::<_, AccountRecord>(
        select_accounts!("ORDER BY email")
    )
    .fetch_all(p)
    .await)?;
    rows.into_iter().map(StaffAccount::try_from).collect()
}

/// Adds an account; false when the address exists already (nothing changed).
pub async fn insert_account(
    tx: &mut Tx,
    email: &str,
    name: &str,
    role: Role,
    password_hash: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let n = tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO staff_accounts (email, name, role, password_hash, failed_sign_ins, created_at)
         VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (email) DO NOTHING"
    )
    .bind(st(email))
    .bind(st(name))
    .bind(role.as_str())
    .bind(password_hash)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(n > 0)
}

/// Gives an existing account a new name, role and password, enables and unlocks it, and ends
/// its sessions. False when there is no such account.
pub async fn replace_account(
    tx: &mut Tx,
    email: &str,
    name: &str,
    role: Role,
    password_hash: &str,
) -> anyhow::Result<bool> {
    let n = tx!(tx, |c| {
        sqlx::query(
        "UPDATE staff_accounts SET name = $2, role = $3, password_hash = $4, failed_sign_ins = 0,
             locked_until = NULL, disabled_at = NULL WHERE email = $1"
    )
    .bind(email)
    .bind(st(name))
    .bind(role.as_str())
    .bind(password_hash)
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    if n > 0 {
        end_sessions_of_email(tx, email).await?;
    }
    Ok(n > 0)
}

/// Disables an account and ends its sessions. False when there is no such account.
pub async fn disable_account(tx: &mut Tx, email: &str, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let n = tx!(tx, |c| sqlx::query(
        "UPDATE staff_accounts SET disabled_at = $2 WHERE email = $1"
    )
    .bind(email)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    if n > 0 {
        end_sessions_of_email(tx, email).await?;
    }
    Ok(n > 0)
}

async fn end_sessions_of_email(tx: &mut Tx, email: &str) -> anyhow::Result<()> {
    tx!(tx, |c| {
        sqlx::query(
        "DELETE FROM staff_sessions WHERE account_id IN (SELECT id FROM staff_accounts WHERE email = $1)"
    )
    .bind(email)
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Records a failed sign-in: the new failure count and lock.
pub async fn record_failure(
    tx: &mut Tx,
    account_id: i64,
    failures: u32,
    locked_until: Option<DateTime<Utc>>,
) -> anyhow::Result<()> {
    tx!(tx, |c| sqlx::query(
        "UPDATE staff_accounts SET failed_sign_ins = $2,
             locked_until = COALESCE($3, locked_until) WHERE id = $1"
    )
    .bind(account_id)
    .bind(i32::try_from(failures).unwrap_or(i32::MAX))
    .bind(locked_until)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// One session: which account, its CSRF token and its times.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    pub account_id: i64,
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Starts a session after a successful sign-in: resets the failure count, records the time,
/// and stores the session (by the hash of its token).
pub async fn start_session(
    tx: &mut Tx,
    account_id: i64,
    token_hash: &str,
    csrf: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    tx!(tx, |c| {
        sqlx::query(
            "UPDATE staff_accounts SET failed_sign_ins = 0, locked_until = NULL, last_sign_in_at = $2
             WHERE id = $1",
        )
        .bind(account_id)
        .bind(now)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())?;
        sqlx::query(
            "INSERT INTO staff_sessions (token_hash, account_id, csrf, created_at, last_seen_at, expires_at)
             VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(token_hash)
        .bind(account_id)
        .bind(csrf)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The session with this token hash and its account.
pub async fn session(
    db: &Db,
    token_hash: &str,
) -> anyhow::Result<Option<(SessionRow, StaffAccount)>> {
    let Some(s) = db!(db, |p| sqlx::query_as::<_, SessionRow>(
        "SELECT token_hash, account_id, csrf, created_at, last_seen_at, expires_at
         FROM staff_sessions WHERE token_hash = $1"
    )
    .bind(token_hash)
    .fetch_optional(p)
    .await)?
    else {
        return Ok(None);
    };
    let a = db!(db, |p| sqlx::query_as::<_, AccountRecord>(
        select_accounts!("WHERE id = $1")
    )
    .bind(s.account_id)
    .fetch_optional(p)
    .await)?;
    Ok(match a {
        Some(a) => Some((s, StaffAccount::try_from(a)?)),
        None => None,
    })
}

/// Notes that a session was used at `now`.
pub async fn touch_session(db: &Db, token_hash: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    db!(db, |p| sqlx::query(
        "UPDATE staff_sessions SET last_seen_at = $2 WHERE token_hash = $1"
    )
    .bind(token_hash)
    .bind(now)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Ends a session (sign-out, expiry, or a cookie presented at sign-in).
pub async fn end_session(tx: &mut Tx, token_hash: &str) -> anyhow::Result<()> {
    tx!(tx, |c| sqlx::query(
        "DELETE FROM staff_sessions WHERE token_hash = $1"
    )
    .bind(token_hash)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Removes sessions that expired before `now`, returns how many.
pub async fn end_expired_sessions(db: &Db, now: DateTime<Utc>) -> anyhow::Result<u64> {
    Ok(db!(db, |p| sqlx::query(
        "DELETE FROM staff_sessions WHERE expires_at < $1"
    )
    .bind(now)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?)
}

/// The text of each document of a submission, by its index (the claims' `document_idx`).
pub async fn document_texts(db: &Db, submission_id: i64) -> anyhow::Result<Vec<(i32, String)>> {
    Ok(db!(db, |p| sqlx::query_as::<_, (i32, String)>(
        "SELECT idx, text FROM documents WHERE submission_id = $1 ORDER BY idx"
    )
    .bind(submission_id)
    .fetch_all(p)
    .await)?)
}

/// The audit events of the workspace itself (sign-ins, account changes), newest first.
pub async fn sign_in_events(db: &Db, limit: i64) -> anyhow::Result<Vec<super::EventRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, super::EventRow>(
        "SELECT * FROM events WHERE action LIKE 'staff_%' ORDER BY id DESC LIMIT $1"
    )
    .bind(limit)
    .fetch_all(p)
    .await)?)
}
