//! SQL for consultations of the partners.

use chrono::{DateTime, Utc};

use super::{Db, Tx, db, tx};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConsultationRow {
    pub id: i64,
    pub submission_id: i64,
    pub partner_id: String,
    pub token: String,
    pub state: String,
    pub verdict: Option<String>,
    pub motivation: Option<String>,
    pub needs_reading: bool,
    pub request_msgid: String,
    pub sent_at: DateTime<Utc>,
    pub answer_by: DateTime<Utc>,
    pub reminded_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub staff_override: Option<String>,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_consultation(
    tx: &mut Tx,
    submission_id: i64,
    partner_id: &str,
    token: &str,
    request_msgid: &str,
    sent_at: DateTime<Utc>,
    answer_by: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let n = tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO consultations (submission_id, partner_id, token, state, needs_reading, request_msgid, sent_at, answer_by)
         VALUES ($1, $2, $3, 'sent', FALSE, $4, $5, $6) ON CONFLICT (submission_id, partner_id) DO NOTHING"
    )
    .bind(submission_id)
    .bind(partner_id)
    .bind(token)
    .bind(request_msgid)
    .bind(sent_at)
    .bind(answer_by)
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(n > 0)
}

pub async fn consultation_by_token(
    tx: &mut Tx,
    token: &str,
) -> anyhow::Result<Option<ConsultationRow>> {
    Ok(tx!(tx, |c| sqlx::query_as::<_, ConsultationRow>(
        "SELECT * FROM consultations WHERE LOWER(token) = LOWER($1)"
    )
    .bind(token)
    .fetch_optional(c)
    .await)?)
}

/// The consultation whose request letter had Message-ID `msgid` (with angle brackets). Compared
/// without regard to case: some gateways and hand-written answers change it.
pub async fn consultation_by_request(
    tx: &mut Tx,
    msgid: &str,
) -> anyhow::Result<Option<ConsultationRow>> {
    Ok(tx!(tx, |c| sqlx::query_as::<_, ConsultationRow>(
        "SELECT * FROM consultations WHERE LOWER(request_msgid) = LOWER($1)"
    )
    .bind(msgid)
    .fetch_optional(c)
    .await)?)
}

/// The consultation of `partner_id` on the submission with `reference` (any version's own).
pub async fn consultation_by_reference(
    tx: &mut Tx,
    reference: &str,
    partner_id: &str,
) -> anyhow::Result<Option<ConsultationRow>> {
    Ok(tx!(tx, |c| sqlx::query_as::<_, ConsultationRow>(
        "SELECT c.* FROM consultations c JOIN submissions s ON s.id = c.submission_id
         WHERE UPPER(s.reference) = UPPER($1) AND c.partner_id = $2"
    )
    .bind(reference)
    .bind(partner_id)
    .fetch_optional(c)
    .await)?)
}

/// The subjects of the letters we sent that carry `tag` (a consultation's `[C-…]`).
pub async fn subjects_with_tag(tx: &mut Tx, tag: &str) -> anyhow::Result<Vec<String>> {
    let rows: Vec<(String,)> = tx!(tx, |c| sqlx::query_as(
        "SELECT DISTINCT subject FROM outbox WHERE subject LIKE $1"
    )
    .bind(format!("%{tag}%"))
    .fetch_all(c)
    .await)?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub async fn record_answer(
    tx: &mut Tx,
    id: i64,
    verdict: Option<&str>,
    motivation: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    tx!(tx, |c| {
        sqlx::query(
        "UPDATE consultations SET state = 'answered', verdict = $2, motivation = $3, needs_reading = $4, answered_at = $5 WHERE id = $1"
    )
    .bind(id)
    .bind(verdict)
    .bind(motivation)
    .bind(verdict.is_none())
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_answer(
    tx: &mut Tx,
    consultation_id: Option<i64>,
    message_id: i64,
    from: &str,
    verdict: Option<&str>,
    motivation: &str,
    accepted: bool,
    hold_reason: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO consultation_answers (consultation_id, message_id, from_address, verdict, motivation, accepted, hold_reason, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(consultation_id)
    .bind(message_id)
    .bind(from)
    .bind(verdict)
    .bind(motivation)
    .bind(accepted)
    .bind(hold_reason)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(())
}

const ANSWERS_COUNT: &str =
    "SELECT COUNT(*) FROM consultation_answers WHERE consultation_id = $1 AND accepted = TRUE";

pub async fn answers_count(tx: &mut Tx, consultation_id: i64) -> anyhow::Result<i64> {
    let r: (i64,) = tx!(tx, |c| sqlx::query_as(ANSWERS_COUNT)
        .bind(consultation_id)
        .fetch_one(c)
        .await)?;
    Ok(r.0)
}

pub async fn consultations_of(db: &Db, submission_id: i64) -> anyhow::Result<Vec<ConsultationRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, ConsultationRow>(
        "SELECT * FROM consultations WHERE submission_id = $1 ORDER BY partner_id"
    )
    .bind(submission_id)
    .fetch_all(p)
    .await)?)
}

pub async fn all_consultations(db: &Db) -> anyhow::Result<Vec<ConsultationRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, ConsultationRow>(
        "SELECT * FROM consultations ORDER BY submission_id, partner_id"
    )
    .fetch_all(p)
    .await)?)
}

pub async fn set_consultation_state(
    tx: &mut Tx,
    id: i64,
    state: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    tx!(tx, |c| sqlx::query(
        "UPDATE consultations SET state = $2,
            reminded_at = CASE WHEN $2 = 'reminded' THEN $3 ELSE reminded_at END,
            closed_at = CASE WHEN $2 = 'no_answer' THEN $3 ELSE closed_at END
         WHERE id = $1"
    )
    .bind(id)
    .bind(state)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// One partner answer as received: accepted (it set the consultation's verdict) or held for staff
/// with the reason. Every answer is kept, so a replaced verdict keeps its history.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnswerRow {
    pub id: i64,
    /// None: no consultation matched (no token, thread or subject).
    pub consultation_id: Option<i64>,
    /// The stored mail (`messages.id`).
    pub message_id: i64,
    pub from_address: String,
    pub verdict: Option<String>,
    pub motivation: String,
    pub accepted: bool,
    pub hold_reason: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// Every answer to one consultation, oldest first.
pub async fn answers_of(db: &Db, consultation_id: i64) -> anyhow::Result<Vec<AnswerRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, AnswerRow>(
        "SELECT * FROM consultation_answers WHERE consultation_id = $1 ORDER BY received_at, id"
    )
    .bind(consultation_id)
    .fetch_all(p)
    .await)?)
}

/// Every answer held for staff (not counted), oldest first.
pub async fn held_answers(db: &Db) -> anyhow::Result<Vec<AnswerRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, AnswerRow>(
        "SELECT * FROM consultation_answers WHERE accepted = FALSE ORDER BY received_at, id"
    )
    .fetch_all(p)
    .await)?)
}

/// Moves a consultation to `state` only while it is in one of `from` (a reminder or closing must
/// not overwrite an answer recorded meanwhile). Returns whether it moved.
pub async fn move_consultation_state(
    tx: &mut Tx,
    id: i64,
    from: &[&str],
    state: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let mut moved = false;
    for current in from {
        let n = tx!(tx, |c| sqlx::query(
            "UPDATE consultations SET state = $2,
                reminded_at = CASE WHEN $2 = 'reminded' THEN $3 ELSE reminded_at END,
                closed_at = CASE WHEN $2 = 'no_answer' THEN $3 ELSE closed_at END
             WHERE id = $1 AND state = $4"
        )
        .bind(id)
        .bind(state)
        .bind(now)
        .bind(*current)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        moved |= n > 0;
        if moved {
            break;
        }
    }
    Ok(moved)
}
