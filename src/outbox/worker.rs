//! The outbox worker: one step ([`drain_once`]) that sends every due row, and the retry policy.
//! Transient failures (4xx, connection errors) are retried with exponential backoff and jitter;
//! a permanent failure (5xx) marks the row failed with the server's answer.
//!
//! A crash between the SMTP server's "250" and the commit of `sent` leaves a row whose mail may
//! have left already; SMTP itself cannot tell. Each attempt is therefore marked in the row before
//! the mail is handed over ([`store::outbox::start_attempt`]), and a row claimed with that mark
//! still set is *interrupted*. Before sending an interrupted row again the worker looks its
//! Message-ID up in the account's sent folder, where Microsoft 365 and Gmail keep a copy of all
//! they accepted ([`SentFolderCheck`]): found means sent. Without a sent folder it sends again
//! (the same Message-ID) and warns that a duplicate is possible.

use chrono::{DateTime, Utc};

use super::transport::{SendOutcome, Transport};
use crate::mailbox::imap::{self, ImapSettings};
use crate::store::{self, Db};

/// What one drain did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainOutcome {
    /// Rows recorded as sent, including those found in the sent folder.
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    /// Interrupted rows found in the sent folder and recorded as sent without sending (also
    /// counted in `sent`).
    pub found_in_sent_folder: usize,
    /// Interrupted rows sent again without knowing whether the first attempt had arrived (no
    /// sent folder, or it could not be read for too long): each may reach its recipient twice.
    pub resent_unverified: usize,
    /// Rows put back because the server asked us to slow down (not counted as attempts).
    pub throttled: usize,
    /// Set when the drain stopped early because of the rate limit or a pause: the time from
    /// which sending may go on.
    pub paused_until: Option<DateTime<Utc>>,
}

/// Where to look for a letter whose sending was cut off: the IMAP folder in which the SMTP
/// server keeps a copy of every mail it accepted (`Sent Items`, `[Gmail]/Sent Mail`).
#[derive(Debug, Clone)]
pub struct SentFolderCheck {
    /// The IMAP account (the mailbox's own settings; a short connection of its own is opened).
    pub imap: ImapSettings,
    /// The folder name, e.g. `Sent Items`.
    pub folder: String,
}

/// Settings of the worker.
#[derive(Debug, Clone)]
pub struct Policy {
    pub worker_id: String,
    pub max_attempts: u32,
    pub retry_base_secs: u64,
    /// How long a claimed row is ours before another worker may take it (a crash mid-send).
    pub claim_secs: i64,
    /// Where an interrupted row is looked up before it is sent again; `None`: send it again.
    pub sent_folder: Option<SentFolderCheck>,
    /// At most this many letters per minute, over every worker (0: no limit).
    pub max_per_minute: u32,
}

/// The pause of all sending after the `streak`-th throttling answer in a row: one rate window
/// (a minute), doubling per answer, at most an hour.
pub fn throttle_pause(streak: u32) -> chrono::Duration {
    chrono::Duration::seconds((60i64 << streak.saturating_sub(1).min(6)).min(3600))
}

/// When sending may go on, if it may not now: a pause after a throttling answer, or the rate
/// limit of `max_per_minute` reached in the last minute.
async fn must_wait(
    db: &Db,
    policy: &Policy,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<DateTime<Utc>>> {
    if let Some((until, _)) = store::outbox::pause(db).await?
        && until > now
    {
        return Ok(Some(until));
    }
    if policy.max_per_minute > 0 {
        let window = chrono::Duration::seconds(60);
        let n = store::outbox::sent_since(db, now - window).await?;
        if n >= i64::from(policy.max_per_minute) {
            return Ok(Some(now + chrono::Duration::seconds(1)));
        }
    }
    Ok(None)
}

/// The delay before retry number `attempt` (1-based): base × 2^(attempt-1), capped at an hour,
/// with ±20 % jitter ([`crate::backoff::delay`]).
pub fn retry_delay(base_secs: u64, attempt: u32) -> chrono::Duration {
    let d = crate::backoff::delay(
        std::time::Duration::from_secs(base_secs),
        attempt,
        std::time::Duration::from_secs(3600),
    );
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::hours(1))
}

/// What to do with an interrupted row.
enum Reconciled {
    /// The sent folder has it: record it as sent, do not send.
    Found,
    /// Send it (again); `verified` when the sent folder was read and does not have it.
    Send { verified: bool },
    /// Ask again later: the sent folder could not be read.
    Postponed,
}

/// Sends every row that is due now. Returns when nothing is due.
pub async fn drain_once(
    db: &Db,
    transport: &Transport,
    policy: &Policy,
    now: impl Fn() -> DateTime<Utc>,
) -> anyhow::Result<DrainOutcome> {
    let mut out = DrainOutcome::default();
    let claim_for = chrono::Duration::seconds(policy.claim_secs);
    loop {
        let t = now();
        if let Some(until) = must_wait(db, policy, t).await? {
            out.paused_until = Some(until);
            return Ok(out);
        }
        let Some(claimed) = store::outbox::claim(db, &policy.worker_id, t, t + claim_for).await?
        else {
            return Ok(out);
        };
        let row = &claimed.row;
        let span = tracing::info_span!("deliver", key = %row.key, kind = %row.kind, attempt = row.attempts + 1);
        let _enter = span.enter();
        if let Some(started) = claimed.interrupted_attempt {
            match reconcile(db, transport, policy, row, started, &now).await? {
                Reconciled::Found => {
                    out.sent += 1;
                    out.found_in_sent_folder += 1;
                    continue;
                }
                Reconciled::Postponed => {
                    out.retried += 1;
                    continue;
                }
                Reconciled::Send { verified: true } => {}
                Reconciled::Send { verified: false } => out.resent_unverified += 1,
            }
        }
        let t = now();
        if !store::outbox::start_attempt(db, row.id, &policy.worker_id, t, t + claim_for).await? {
            tracing::warn!(key = %row.key, "claim lost to another worker before sending; leaving the letter to it");
            continue;
        }
        let outcome = transport
            .send_raw(&row.sender, &row.envelope_recipients(), &row.raw)
            .await;
        match outcome {
            SendOutcome::Sent { detail } => {
                store::outbox_sent(db, row.id, &policy.worker_id, now(), &detail).await?;
                tracing::info!(key = %row.key, "letter sent");
                out.sent += 1;
            }
            SendOutcome::Transient(err) => {
                let attempt = row.attempts as u32 + 1;
                if attempt >= policy.max_attempts {
                    store::outbox_failed(
                        db,
                        row.id,
                        &format!("gave up after {attempt} attempts: {err}"),
                    )
                    .await?;
                    tracing::error!(key = %row.key, error = %err, "letter failed after the last attempt");
                    out.failed += 1;
                } else {
                    let next = now() + retry_delay(policy.retry_base_secs, attempt);
                    store::outbox_retry(db, row.id, next, &err).await?;
                    tracing::warn!(key = %row.key, error = %err, next = %next, "letter not sent; will retry");
                    out.retried += 1;
                }
            }
            SendOutcome::Throttled(err) => {
                // Throttling is about the mailbox, not this letter: every worker pauses.
                let t = now();
                let streak = match store::outbox::pause(db).await? {
                    // A throttling answer soon after the last pause ended continues the streak.
                    Some((until, n)) if t - until < chrono::Duration::minutes(10) => n + 1,
                    _ => 1,
                };
                let until = t + throttle_pause(streak);
                store::outbox::set_pause(db, until, streak).await?;
                store::outbox::throttled(db, row.id, until, &err).await?;
                tracing::warn!(key = %row.key, error = %err, until = %until, "the mail server asks to slow down; sending paused");
                out.throttled += 1;
                out.paused_until = Some(until);
                return Ok(out);
            }
            SendOutcome::Permanent(err) => {
                store::outbox_failed(db, row.id, &err).await?;
                tracing::error!(key = %row.key, error = %err, "letter refused by the server");
                out.failed += 1;
            }
        }
    }
}

/// Decides about a row whose previous attempt (begun at `started`) never recorded an outcome:
/// it may have reached the SMTP server just before a crash.
async fn reconcile(
    db: &Db,
    transport: &Transport,
    policy: &Policy,
    row: &store::OutboxRow,
    started: DateTime<Utc>,
    now: &impl Fn() -> DateTime<Utc>,
) -> anyhow::Result<Reconciled> {
    let Some(check) = &policy.sent_folder else {
        if matches!(transport, Transport::File(_)) {
            // The file transport overwrites the file named after the Message-ID: no duplicate.
            tracing::info!(key = %row.key, started = %started, "an earlier attempt was cut off; writing the letter again");
        } else {
            tracing::warn!(
                key = %row.key,
                message_id = %row.message_id,
                started = %started,
                "an earlier attempt to send this letter was cut off and no sent folder is configured \
                 ([outbox] sent_folder); sending it again with the same Message-ID, a duplicate is possible"
            );
        }
        return Ok(Reconciled::Send { verified: false });
    };
    match imap::message_id_in_folder(&check.imap, &check.folder, &row.message_id).await {
        Ok(true) => {
            store::outbox_sent(
                db,
                row.id,
                &policy.worker_id,
                now(),
                &format!("found in the sent folder {:?} after a crash", check.folder),
            )
            .await?;
            tracing::info!(key = %row.key, folder = %check.folder, "an interrupted letter was found in the sent folder; recorded as sent without sending it again");
            Ok(Reconciled::Found)
        }
        Ok(false) => {
            tracing::info!(key = %row.key, folder = %check.folder, "an interrupted letter is not in the sent folder; sending it again");
            Ok(Reconciled::Send { verified: true })
        }
        Err(e) => {
            let attempt = row.attempts as u32 + 1;
            let error = format!(
                "failed to look in the sent folder {:?}: {e:#}",
                check.folder
            );
            if attempt >= policy.max_attempts {
                tracing::warn!(
                    key = %row.key,
                    message_id = %row.message_id,
                    error = %error,
                    "could not check the sent folder for an interrupted letter, last attempt; \
                     sending it again with the same Message-ID, a duplicate is possible"
                );
                return Ok(Reconciled::Send { verified: false });
            }
            let next = now() + retry_delay(policy.retry_base_secs, attempt);
            store::outbox::postpone(db, row.id, next, &error).await?;
            tracing::warn!(key = %row.key, error = %error, next = %next, "could not check the sent folder for an interrupted letter; will look again");
            Ok(Reconciled::Postponed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_and_are_capped_at_an_hour() {
        let d1 = retry_delay(30, 1).num_milliseconds();
        assert!((24_000..=36_000).contains(&d1));
        let d3 = retry_delay(30, 3).num_milliseconds();
        assert!((96_000..=144_000).contains(&d3));
        let d20 = retry_delay(30, 20).num_milliseconds();
        assert!(d20 <= 3_600_000 * 12 / 10);
    }
}
