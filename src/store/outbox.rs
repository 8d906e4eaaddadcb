//! The outbox's record of send attempts: which attempt began and never recorded an outcome.
//!
//! A worker claims a row ([`claim`]), marks the start of its attempt ([`start_attempt`]) right
//! before it hands the mail to the SMTP server, and records the outcome with
//! [`super::outbox_sent`], [`super::outbox_retry`] or [`super::outbox_failed`], each of which
//! clears the mark. A mark still present at the next claim means the previous attempt was cut
//! off (a crash between the server's answer and the commit): the mail may have left already.
//! [`postpone`] puts such a row back without clearing the mark, for when that question could
//! not be answered yet.
//!
//! Like the rest of the store, this module decides nothing.

use chrono::{DateTime, Utc};

use super::{Db, OutboxRow, db};

/// A row this worker has claimed, with what is known about its previous attempt.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub row: OutboxRow,
    /// When an earlier attempt began that never recorded its outcome: the mail may or may not
    /// have reached the SMTP server. `None` for a row never tried or whose last try ended
    /// cleanly.
    pub interrupted_attempt: Option<DateTime<Utc>>,
}

/// Claims one due row for `worker` until `until` (see [`super::claim_outbox`]) and reports
/// whether an earlier attempt on it was cut off.
pub async fn claim(
    db: &Db,
    worker: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> anyhow::Result<Option<Claimed>> {
    let Some(row) = super::claim_outbox(db, worker, now, until).await? else {
        return Ok(None);
    };
    let (started,): (Option<DateTime<Utc>>,) = db!(db, |p| sqlx::query_as(
        "SELECT attempt_started_at FROM outbox WHERE id = $1"
    )
    .bind(row.id)
    .fetch_one(p)
    .await)?;
    Ok(Some(Claimed {
        row,
        interrupted_attempt: started,
    }))
}

/// Marks that `worker` is about to hand row `id` to the server, and renews its claim until
/// `until`. False when the row is no longer this worker's (its claim ran out and another worker
/// took it, or it is no longer pending): then it must not be sent.
pub async fn start_attempt(
    db: &Db,
    id: i64,
    worker: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let n = db!(db, |p| sqlx::query(
        "UPDATE outbox SET attempt_started_at = $3, claimed_until = $4
         WHERE id = $1 AND claimed_by = $2 AND status = 'pending'"
    )
    .bind(id)
    .bind(worker)
    .bind(now)
    .bind(until)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Puts row `id` back for another try at `next` (counting an attempt) while keeping the mark of
/// its interrupted attempt: whether that one reached the server is still unknown.
pub async fn postpone(db: &Db, id: i64, next: DateTime<Utc>, error: &str) -> anyhow::Result<()> {
    db!(db, |p| {
        sqlx::query(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3, claimed_until = NULL
         WHERE id = $1"
    )
    .bind(id)
    .bind(next)
    .bind(error)
    .execute(p)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// When the attempt on row `id` that has no outcome yet began (for tests and `intake status`).
pub async fn attempt_started_at(db: &Db, id: i64) -> anyhow::Result<Option<DateTime<Utc>>> {
    let row: Option<(Option<DateTime<Utc>>,)> = db!(db, |p| sqlx::query_as(
        "SELECT attempt_started_at FROM outbox WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(p)
    .await)?;
    Ok(row.and_then(|(t,)| t))
}

/// Puts row `id` back for `next` after the server asked us to slow down: not counted as an
/// attempt (a throttled letter has not failed), the attempt mark cleared (the server refused it).
pub async fn throttled(db: &Db, id: i64, next: DateTime<Utc>, error: &str) -> anyhow::Result<()> {
    db!(db, |p| sqlx::query(
        "UPDATE outbox SET next_attempt_at = $2, last_error = $3, claimed_until = NULL,
            attempt_started_at = NULL WHERE id = $1"
    )
    .bind(id)
    .bind(next)
    .bind(super::st(error))
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// How many letters were handed to the server since `since`, by every worker (the rate limit).
pub async fn sent_since(db: &Db, since: DateTime<Utc>) -> anyhow::Result<i64> {
    let (n,): (i64,) = db!(db, |p| sqlx::query_as(
        "SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL AND sent_at >= $1"
    )
    .bind(since)
    .fetch_one(p)
    .await)?;
    Ok(n)
}

/// The name of the lease row that holds a pause of all sending after a throttling answer.
const PAUSE: &str = "outbox-pause";

/// The current pause of all sending, if any: until when, and how many throttling answers in a
/// row led to it (its `holder` field).
pub async fn pause(db: &Db) -> anyhow::Result<Option<(DateTime<Utc>, u32)>> {
    let row: Option<(String, DateTime<Utc>)> = db!(db, |p| sqlx::query_as(
        "SELECT holder, expires_at FROM leases WHERE name = $1"
    )
    .bind(PAUSE)
    .fetch_optional(p)
    .await)?;
    Ok(row.map(|(streak, until)| (until, streak.parse().unwrap_or(1))))
}

/// Pauses all sending (every worker) until `until`; `streak` counts throttling answers in a row.
pub async fn set_pause(db: &Db, until: DateTime<Utc>, streak: u32) -> anyhow::Result<()> {
    db!(db, |p| {
        sqlx::query(
        "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at"
    )
    .bind(PAUSE)
    .bind(streak.to_string())
    .bind(until)
    .execute(p)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(())
}
