//! The outbox worker: one step ([`drain_once`]) that sends every due row, and the retry policy.
//! Transient failures (4xx, connection errors) are retried with exponential backoff and jitter;
//! a permanent failure (5xx) marks the row failed with the server's answer.

use chrono::{DateTime, Utc};

use super::transport::{SendOutcome, Transport};
use crate::store::{self, Db};

/// What one drain did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainOutcome {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Settings of the worker.
#[derive(Debug, Clone)]
pub struct Policy {
    pub worker_id: String,
    pub max_attempts: u32,
    pub retry_base_secs: u64,
    /// How long a claimed row is ours before another worker may take it (a crash mid-send).
    pub claim_secs: i64,
}

/// The delay before retry number `attempt` (1-based): base × 2^(attempt-1), capped at an hour,
/// with ±20 % jitter so that several workers do not retry in step.
pub fn retry_delay(base_secs: u64, attempt: u32) -> chrono::Duration {
    let exp = base_secs
        .saturating_mul(1u64 << attempt.saturating_sub(1).min(16))
        .min(3600);
    let jitter = rand::random::<f64>() * 0.4 + 0.8;
    chrono::Duration::milliseconds(((exp as f64) * 1000.0 * jitter) as i64)
}

/// Sends every row that is due now. Returns when nothing is due.
pub async fn drain_once(
    db: &Db,
    transport: &Transport,
    policy: &Policy,
    now: impl Fn() -> DateTime<Utc>,
) -> anyhow::Result<DrainOutcome> {
    let mut out = DrainOutcome::default();
    loop {
        let t = now();
        let Some(row) = store::claim_outbox(
            db,
            &policy.worker_id,
            t,
            t + chrono::Duration::seconds(policy.claim_secs),
        )
        .await?
        else {
            return Ok(out);
        };
        let span = tracing::info_span!("deliver", key = %row.key, kind = %row.kind, attempt = row.attempts + 1);
        let _enter = span.enter();
        let outcome = transport
            .send_raw(&row.sender, std::slice::from_ref(&row.recipient), &row.raw)
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
            SendOutcome::Permanent(err) => {
                store::outbox_failed(db, row.id, &err).await?;
                tracing::error!(key = %row.key, error = %err, "letter refused by the server");
                out.failed += 1;
            }
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
