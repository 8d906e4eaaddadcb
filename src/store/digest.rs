//! SQL for the staff digest, the decisions and the ratification: the `digests`, `decisions` and
//! `ratifications` tables, and light read-only views of other tables that the digest needs
//! (all assessments, all evidence domains, documents without their text, the outbox without the
//! raw letters, quarantined messages without their bytes).
//!
//! Like the rest of `store`, this module decides nothing: the digest module filters and counts.

use chrono::{DateTime, Utc};

use crate::domain::{LetterKind, MailKind, MessageStatus, OutboxStatus};

use super::{AssessmentRow, Db, Tx, db, tx};

/// One row of `digests`: a day on which the scheduled digest was decided. `outbox_key` is
/// `None` on a day without news (nothing was sent, but the day is done).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DigestRow {
    pub id: i64,
    /// Local date in the call's time zone, `YYYY-MM-DD`.
    pub for_date: String,
    pub period_start: Option<DateTime<Utc>>,
    pub period_end: DateTime<Utc>,
    pub outbox_key: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One staff decision; the latest per submission counts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DecisionRow {
    pub id: i64,
    pub submission_id: i64,
    pub decision: crate::domain::Decision,
    pub note: Option<String>,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
}

/// One office holder's ratification of the selection.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RatificationRow {
    pub id: i64,
    pub office_holder: String,
    pub ratified_at: DateTime<Utc>,
    pub note: Option<String>,
}

/// An outbox row without its raw bytes (digests carry charts and a CSV: no need to load them).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxBrief {
    pub id: i64,
    pub key: String,
    pub kind: LetterKind,
    pub submission_id: Option<i64>,
    pub recipient: String,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub bounced_at: Option<DateTime<Utc>>,
    pub bounce_reason: Option<String>,
}

/// A stored message without its raw bytes.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageBrief {
    pub id: i64,
    pub from_address: Option<String>,
    pub arrived_at: DateTime<Utc>,
    pub kind: MailKind,
    pub status: MessageStatus,
    pub reason: Option<String>,
    pub stored_at: DateTime<Utc>,
}

/// A document without its text.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentBrief {
    pub submission_id: i64,
    pub idx: i32,
    pub name: Option<String>,
    pub format: String,
    pub status: String,
    pub reason: Option<String>,
    pub role: String,
    /// `text`, `ocr` or `mixed`.
    pub text_basis: String,
    pub ocr_confidence: Option<f64>,
}

// ---------------------------------------------------------------------------------------------
// Digests

/// The digest decided for this local date, if any.
pub async fn digest_for_date(db: &Db, for_date: &str) -> anyhow::Result<Option<DigestRow>> {
    Ok(db!(db, |p| {
        sqlx::query_as::<_, DigestRow>(
        "SELECT id, for_date, period_start, period_end, outbox_key, created_at FROM digests WHERE for_date = $1"
    )
    .bind(for_date)
    .fetch_optional(p)
    .await
    })?)
}

/// The most recent digest that was actually sent (a day without news does not count).
pub async fn last_sent_digest(db: &Db) -> anyhow::Result<Option<DigestRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, DigestRow>(
        "SELECT id, for_date, period_start, period_end, outbox_key, created_at FROM digests
         WHERE outbox_key IS NOT NULL ORDER BY period_end DESC, id DESC LIMIT 1"
    )
    .fetch_optional(p)
    .await)?)
}

/// Every digest, oldest first.
pub async fn all_digests(db: &Db) -> anyhow::Result<Vec<DigestRow>> {
    Ok(db!(db, |p| {
        sqlx::query_as::<_, DigestRow>(
        "SELECT id, for_date, period_start, period_end, outbox_key, created_at FROM digests ORDER BY for_date"
    )
    .fetch_all(p)
    .await
    })?)
}

/// Records the digest of `for_date`. False when that date already has one (another daemon, or
/// an earlier run): the caller then rolls back and sends nothing.
pub async fn insert_digest(
    tx: &mut Tx,
    for_date: &str,
    period_start: Option<DateTime<Utc>>,
    period_end: DateTime<Utc>,
    outbox_key: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let n = tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO digests (for_date, period_start, period_end, outbox_key, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (for_date) DO NOTHING"
    )
    .bind(for_date)
    .bind(period_start)
    .bind(period_end)
    .bind(outbox_key)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(n > 0)
}

// ---------------------------------------------------------------------------------------------
// Read-only views for the digest

/// Every assessment of every submission.
pub async fn all_assessments(db: &Db) -> anyhow::Result<Vec<AssessmentRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, AssessmentRow>(
        "SELECT * FROM assessments ORDER BY submission_id, criterion"
    )
    .fetch_all(p)
    .await)?)
}

/// (submission id, domain) of every evidence claim that names a domain, without repeats.
pub async fn evidence_domains(db: &Db) -> anyhow::Result<Vec<(i64, String)>> {
    Ok(db!(db, |p| {
        sqlx::query_as::<_, (i64, String)>(
        "SELECT DISTINCT submission_id, domain FROM claims WHERE domain IS NOT NULL AND kind = 'evidence'
         ORDER BY submission_id, domain"
    )
    .fetch_all(p)
    .await
    })?)
}

/// Every document that belongs to a submission, without its text.
pub async fn all_documents(db: &Db) -> anyhow::Result<Vec<DocumentBrief>> {
    Ok(db!(db, |p| sqlx::query_as::<_, DocumentBrief>(
        "SELECT submission_id, idx, name, format, status, reason, role, text_basis, ocr_confidence
         FROM documents WHERE submission_id IS NOT NULL ORDER BY submission_id, idx"
    )
    .fetch_all(p)
    .await)?)
}

/// Messages with this status (e.g. `quarantined`), without their bytes.
pub async fn messages_with_status(db: &Db, status: &str) -> anyhow::Result<Vec<MessageBrief>> {
    Ok(db!(db, |p| {
        sqlx::query_as::<_, MessageBrief>(
        "SELECT id, from_address, arrived_at, kind, status, reason, stored_at FROM messages WHERE status = $1 ORDER BY id"
    )
    .bind(status)
    .fetch_all(p)
    .await
    })?)
}

/// Every outbox row, without the raw letters.
pub async fn outbox_briefs(db: &Db) -> anyhow::Result<Vec<OutboxBrief>> {
    Ok(db!(db, |p| {
        sqlx::query_as::<_, OutboxBrief>(
        "SELECT id, key, kind, submission_id, recipient, status, attempts, last_error, created_at, sent_at, bounced_at,
                bounce_reason
         FROM outbox ORDER BY id"
    )
    .fetch_all(p)
    .await
    })?)
}

/// Audit-log details of every event with this action (e.g. which failed deliveries a digest
/// already reported).
pub async fn event_details(db: &Db, action: &str) -> anyhow::Result<Vec<String>> {
    let rows: Vec<(String,)> = db!(db, |p| sqlx::query_as(
        "SELECT detail FROM events WHERE action = $1 ORDER BY id"
    )
    .bind(action)
    .fetch_all(p)
    .await)?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

// ---------------------------------------------------------------------------------------------
// Decisions and ratification

/// Records a staff decision (the history is kept; the latest counts).
pub async fn insert_decision(
    tx: &mut Tx,
    submission_id: i64,
    decision: crate::domain::Decision,
    note: Option<&str>,
    by: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let row: (i64,) = tx!(tx, |c| {
        sqlx::query_as(
        "INSERT INTO decisions (submission_id, decision, note, decided_by, decided_at) VALUES ($1, $2, $3, $4, $5) RETURNING id"
    )
    .bind(submission_id)
    .bind(decision)
    .bind(note.map(super::st))
    .bind(by)
    .bind(now)
    .fetch_one(c)
    .await
    })?;
    Ok(row.0)
}

/// Every decision, oldest first.
pub async fn all_decisions(db: &Db) -> anyhow::Result<Vec<DecisionRow>> {
    Ok(db!(db, |p| {
        sqlx::query_as::<_, DecisionRow>(
        "SELECT id, submission_id, decision, note, decided_by, decided_at FROM decisions ORDER BY id"
    )
    .fetch_all(p)
    .await
    })?)
}

/// Records one office holder's ratification. False when that office holder already ratified.
pub async fn insert_ratification(
    tx: &mut Tx,
    office_holder: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let n = tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO ratifications (office_holder, ratified_at, note) VALUES ($1, $2, $3) ON CONFLICT (office_holder) DO NOTHING"
    )
    .bind(office_holder)
    .bind(now)
    .bind(note)
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(n > 0)
}

/// Every ratification, oldest first.
pub async fn ratifications(db: &Db) -> anyhow::Result<Vec<RatificationRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, RatificationRow>(
        "SELECT id, office_holder, ratified_at, note FROM ratifications ORDER BY ratified_at, id"
    )
    .fetch_all(p)
    .await)?)
}

/// Ratifications inside a transaction (to check them where the letters are queued).
pub async fn ratifications_tx(tx: &mut Tx) -> anyhow::Result<Vec<RatificationRow>> {
    Ok(tx!(tx, |c| sqlx::query_as::<_, RatificationRow>(
        "SELECT id, office_holder, ratified_at, note FROM ratifications ORDER BY ratified_at, id"
    )
    .fetch_all(c)
    .await)?)
}

/// Staff set aside a partner's objection (it no longer blocks the shortlist); `note` says why.
/// False when there is no such consultation.
pub async fn override_objection(
    tx: &mut Tx,
    consultation_id: i64,
    note: &str,
) -> anyhow::Result<bool> {
    let n = tx!(tx, |c| sqlx::query(
        "UPDATE consultations SET staff_override = $2 WHERE id = $1"
    )
    .bind(consultation_id)
    .bind(note)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// Bounces whose returned letter could not be found among ours (the pipeline logged
/// "returned letter not found"), without their bytes.
pub async fn unlinked_bounces(db: &Db) -> anyhow::Result<Vec<MessageBrief>> {
    Ok(db!(db, |p| sqlx::query_as::<_, MessageBrief>(
        "SELECT m.id, m.from_address, m.arrived_at, m.kind, m.status, m.reason, m.stored_at
         FROM messages m JOIN events e ON e.message_id = m.id
         WHERE m.kind = 'bounce' AND e.action = 'bounce' AND e.detail = 'returned letter not found'
         ORDER BY m.id"
    )
    .fetch_all(p)
    .await)?)
}
