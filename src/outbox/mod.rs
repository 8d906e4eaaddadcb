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
    kind: crate::domain::LetterKind,
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
            cc: &letter.cc,
            now,
        },
    )
    .await
}

/// Limits on automatic replies (letters that answer an incoming mail: confirmations,
/// thank-yous), so that a flood of mail, forged or looping, cannot make us flood others.
#[derive(Debug, Clone, Copy)]
pub struct ReplyCaps {
    /// Per recipient address (the addressee and every copy) per 24 hours.
    pub per_address_per_day: u32,
    /// All automatic replies together per 24 hours.
    pub total_per_day: u32,
}

/// What became of an automatic reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Queued {
    /// Added to the outbox.
    Added,
    /// A letter with this key exists already (the same occasion): nothing added.
    Exists,
    /// Not added: a cap was reached; the reason says which (Dutch, for staff).
    Capped(String),
}

/// [`queue_letter`] for an automatic reply, after checking the [`ReplyCaps`] in `tx` (the
/// count includes letters not sent yet).
pub async fn queue_reply(
    tx: &mut crate::store::Tx,
    letter: &crate::letters::Outgoing,
    key: &str,
    kind: crate::domain::LetterKind,
    submission_id: Option<i64>,
    now: chrono::DateTime<chrono::Utc>,
    caps: ReplyCaps,
) -> anyhow::Result<Queued> {
    let since = now - chrono::Duration::days(1);
    let total =
        crate::store::replies_since(tx, &crate::domain::LetterKind::REPLIES, None, since).await?;
    if total >= i64::from(caps.total_per_day) {
        return Ok(Queued::Capped(format!(
            "daglimiet van {} automatische antwoorden bereikt",
            caps.total_per_day
        )));
    }
    for to in std::iter::once(&letter.to).chain(&letter.cc) {
        let n =
            crate::store::replies_since(tx, &crate::domain::LetterKind::REPLIES, Some(to), since)
                .await?;
        if n >= i64::from(caps.per_address_per_day) {
            return Ok(Queued::Capped(format!(
                "daglimiet van {} automatische antwoorden aan dit adres bereikt",
                caps.per_address_per_day
            )));
        }
    }
    Ok(
        if queue_letter(tx, letter, key, kind, submission_id, now).await? {
            Queued::Added
        } else {
            Queued::Exists
        },
    )
}
