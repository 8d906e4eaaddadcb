//! Outgoing mail, exactly once per outbox key. Letters are written into the `outbox` table in
//! the same transaction as the finding that caused them (transactional outbox); the worker in
//! [`worker`] claims rows one by one, sends them through [`transport`] (file or SMTP) and records
//! the outcome. A row keeps one Message-ID across retries, so a retry after a crash is the same
//! mail, not a second one.

pub mod transport;
pub mod worker;

pub use worker::{DrainOutcome, drain_once};

/// Builds a letter and adds it to the outbox in `tx` under `key` (unless a row with that key
/// exists). Recipient, sender, subject and Message-ID come from the letter itself, so they can
/// never disagree. True when added.
pub async fn queue_letter(
    tx: &mut crate::store::Tx,
    letter: &crate::letters::Outgoing,
    key: &str,
    kind: &str,
    submission_id: Option<i64>,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<bool> {
    let raw = crate::letters::build(letter)?;
    crate::store::enqueue(
        tx,
        &crate::store::NewOutbox {
            key,
            kind,
            submission_id,
            recipient: &letter.to,
            sender: &letter.from_address,
            subject: &letter.subject,
            message_id: &letter.message_id,
            raw: &raw,
            now,
        },
    )
    .await
}
