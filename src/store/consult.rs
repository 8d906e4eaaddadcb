//! SQL for consultations of the partners and their answers.

use chrono::{DateTime, Utc};

use super::{Db, Tx, db, tx};
use crate::domain::{AnswerStatus, ConsultationState, HoldReason, PartnerVerdict, Standing};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConsultationRow {
    pub id: i64,
    pub submission_id: i64,
    pub partner_id: String,
    pub token: String,
    pub state: crate::domain::ConsultationState,
    pub verdict: Option<crate::domain::PartnerVerdict>,
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

impl ConsultationRow {
    /// Where this consultation stands for staff: the verdict of the answer that counts, an
    /// answer to read, or the state of the request.
    pub fn standing(&self) -> Standing {
        use ConsultationState as S;
        let of = |v: PartnerVerdict| match v {
            PartnerVerdict::Support => Standing::Support,
            PartnerVerdict::Objection => Standing::Objection,
            PartnerVerdict::NoOpinion => Standing::NoOpinion,
        };
        match (self.state, self.verdict) {
            (S::Answered, _) if self.needs_reading => Standing::NeedsReading,
            (S::Answered, Some(v)) => of(v),
            (S::Answered, None) => Standing::NeedsReading,
            (_, Some(v)) if !self.needs_reading => of(v),
            (S::Sent, _) => Standing::Sent,
            (S::Reminded, _) => Standing::Reminded,
            (S::NoAnswer, _) => Standing::NoAnswer,
        }
    }
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

/// One partner answer to store (see [`AnswerRow`]).
#[derive(Debug, Clone)]
pub struct NewAnswer<'a> {
    pub consultation_id: Option<i64>,
    pub message_id: i64,
    pub from_address: &'a str,
    pub verdict: Option<&'a str>,
    pub motivation: &'a str,
    pub status: AnswerStatus,
    pub hold: Option<HoldReason>,
    /// Why it was held or not counted, in Dutch.
    pub hold_reason: Option<&'a str>,
    pub highlight: Option<&'a str>,
    pub authentication: Option<&'a str>,
    pub received_at: DateTime<Utc>,
}

/// Stores one answer as received, whatever became of it.
pub async fn insert_answer(tx: &mut Tx, a: &NewAnswer<'_>) -> anyhow::Result<()> {
    tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO consultation_answers (consultation_id, message_id, from_address, verdict,
                 motivation, accepted, hold_reason, received_at, status, hold, highlight, authentication)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(a.consultation_id)
        .bind(a.message_id)
        .bind(a.from_address)
        .bind(a.verdict)
        .bind(a.motivation)
        .bind(a.status.sets_consultation())
        .bind(a.hold_reason)
        .bind(a.received_at)
        .bind(a.status.as_str())
        .bind(a.hold.map(HoldReason::as_str))
        .bind(a.highlight)
        .bind(a.authentication)
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

/// One partner answer as received, with what became of it. Every answer is kept, so a replaced
/// verdict keeps its history.
#[derive(Debug, Clone)]
pub struct AnswerRow {
    pub id: i64,
    /// None: no consultation matched (no token, thread or subject).
    pub consultation_id: Option<i64>,
    /// The stored mail (`messages.id`).
    pub message_id: i64,
    /// The sender's address as written in the From header.
    pub from_address: String,
    pub verdict: Option<PartnerVerdict>,
    pub motivation: String,
    /// Counted or needs reading: it set the consultation's state.
    pub accepted: bool,
    pub status: AnswerStatus,
    pub hold: Option<HoldReason>,
    /// Why it was held or not counted, in Dutch.
    pub hold_reason: Option<String>,
    /// What in an unclear answer objects.
    pub highlight: Option<String>,
    /// How the sender was authenticated, or why not.
    pub authentication: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// The columns as stored; states are text there.
#[derive(sqlx::FromRow)]
struct AnswerRecord {
    id: i64,
    consultation_id: Option<i64>,
    message_id: i64,
    from_address: String,
    verdict: Option<String>,
    motivation: String,
    accepted: bool,
    status: String,
    hold: Option<String>,
    hold_reason: Option<String>,
    highlight: Option<String>,
    authentication: Option<String>,
    received_at: DateTime<Utc>,
}

impl TryFrom<AnswerRecord> for AnswerRow {
    type Error = anyhow::Error;

    fn try_from(r: AnswerRecord) -> anyhow::Result<AnswerRow> {
        let status = AnswerStatus::parse(&r.status)
            .ok_or_else(|| anyhow::anyhow!("answer {}: unknown status {:?}", r.id, r.status))?;
        let hold = match r.hold.as_deref() {
            Some(h) => Some(
                HoldReason::parse(h)
                    .ok_or_else(|| anyhow::anyhow!("answer {}: unknown hold {h:?}", r.id))?,
            ),
            None => None,
        };
        Ok(AnswerRow {
            id: r.id,
            consultation_id: r.consultation_id,
            message_id: r.message_id,
            from_address: r.from_address,
            verdict: r.verdict.as_deref().and_then(PartnerVerdict::parse),
            motivation: r.motivation,
            accepted: r.accepted,
            status,
            hold,
            hold_reason: r.hold_reason,
            highlight: r.highlight,
            authentication: r.authentication,
            received_at: r.received_at,
        })
    }
}

/// `SELECT` of every answer column `WHERE` the given condition, oldest first.
macro_rules! select_answers {
    ($condition:literal) => {
        concat!(
            "SELECT id, consultation_id, message_id, from_address, verdict, motivation, accepted,
                 status, hold, hold_reason, highlight, authentication, received_at
             FROM consultation_answers WHERE ",
            $condition,
            " ORDER BY received_at, id"
        )
    };
}

fn typed(records: Vec<AnswerRecord>) -> anyhow::Result<Vec<AnswerRow>> {
    records.into_iter().map(AnswerRow::try_from).collect()
}

/// Every answer to one consultation, oldest first.
pub async fn answers_of(db: &Db, consultation_id: i64) -> anyhow::Result<Vec<AnswerRow>> {
    typed(db!(db, |p| sqlx::query_as::<_, AnswerRecord>(
        select_answers!("consultation_id = $1")
    )
    .bind(consultation_id)
    .fetch_all(p)
    .await)?)
}

/// One answer by its id.
pub async fn answer_by_id(db: &Db, id: i64) -> anyhow::Result<Option<AnswerRow>> {
    Ok(typed(db!(db, |p| sqlx::query_as::<_, AnswerRecord>(
        select_answers!("id = $1")
    )
    .bind(id)
    .fetch_all(p)
    .await)?)?
    .into_iter()
    .next())
}

/// One consultation by its id, inside `tx`.
pub async fn consultation_by_id_tx(
    tx: &mut Tx,
    id: i64,
) -> anyhow::Result<Option<ConsultationRow>> {
    Ok(tx!(tx, |c| sqlx::query_as::<_, ConsultationRow>(
        "SELECT * FROM consultations WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

/// The consultation of one nomination with one partner (or `local-<id>`).
pub async fn consultation_of(
    db: &Db,
    submission_id: i64,
    partner_id: &str,
) -> anyhow::Result<Option<ConsultationRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, ConsultationRow>(
        "SELECT * FROM consultations WHERE submission_id = $1 AND partner_id = $2"
    )
    .bind(submission_id)
    .bind(partner_id)
    .fetch_optional(p)
    .await)?)
}

/// After staff rejected an answer: the consultation takes the verdict of its latest counted
/// answer that has one, or, with none, goes back to waiting (`sent`, or `reminded` when a
/// reminder went out).
pub async fn restore_consultation(tx: &mut Tx, id: i64) -> anyhow::Result<()> {
    let latest: Option<(String, String, DateTime<Utc>)> = tx!(tx, |c| sqlx::query_as(
        "SELECT verdict, motivation, received_at FROM consultation_answers
         WHERE consultation_id = $1 AND status = 'counted' AND verdict IS NOT NULL
         ORDER BY id DESC LIMIT 1"
    )
    .bind(id)
    .fetch_optional(c)
    .await)?;
    match latest {
        Some((verdict, motivation, at)) => {
            record_answer(tx, id, Some(&verdict), &motivation, at).await
        }
        None => {
            tx!(tx, |c| {
                sqlx::query(
                "UPDATE consultations SET verdict = NULL, needs_reading = FALSE, answered_at = NULL,
                   state = CASE WHEN reminded_at IS NULL THEN 'sent' ELSE 'reminded' END
                 WHERE id = $1"
            )
            .bind(id)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            })?;
            Ok(())
        }
    }
}

/// Every answer held for staff (not counted: unmatched, no token or thread, unregistered
/// sender, not authenticated), oldest first. Receipts and notes are not held.
pub async fn held_answers(db: &Db) -> anyhow::Result<Vec<AnswerRow>> {
    typed(db!(db, |p| sqlx::query_as::<_, AnswerRecord>(
        select_answers!("status = 'held'")
    )
    .fetch_all(p)
    .await)?)
}

/// An answer that waits for staff, with what they need to decide: which nomination and
/// partner (when it matched one), from whom, why.
#[derive(Debug, Clone)]
pub struct AnswerToSettle {
    pub answer: AnswerRow,
    /// The nomination's reference, when the answer matched a consultation.
    pub reference: Option<String>,
    pub submission_id: Option<i64>,
    pub partner_id: Option<String>,
}

/// The answers staff must settle, oldest first: every held answer, and each consultation's
/// latest answer while that consultation needs reading.
pub async fn answers_to_settle(db: &Db) -> anyhow::Result<Vec<AnswerToSettle>> {
    #[derive(sqlx::FromRow)]
    struct Link {
        id: i64,
        reference: Option<String>,
        submission_id: Option<i64>,
        partner_id: Option<String>,
    }
    let links: Vec<Link> = db!(db, |p| sqlx::query_as::<_, Link>(
        "SELECT a.id, s.reference, c.submission_id, c.partner_id
         FROM consultation_answers a
         LEFT JOIN consultations c ON c.id = a.consultation_id
         LEFT JOIN submissions s ON s.id = c.submission_id
         WHERE a.status = 'held'
            OR (a.status = 'needs_reading' AND c.needs_reading = TRUE
                AND a.id = (SELECT MAX(b.id) FROM consultation_answers b
                            WHERE b.consultation_id = a.consultation_id AND b.accepted = TRUE))"
    )
    .fetch_all(p)
    .await)?;
    let ids: Vec<i64> = links.iter().map(|l| l.id).collect();
    let records = db!(db, |p| sqlx::query_as::<_, AnswerRecord>(select_answers!(
        "status IN ('held', 'needs_reading')"
    ))
    .fetch_all(p)
    .await)?;
    let mut answers: Vec<AnswerRow> = typed(records)?
        .into_iter()
        .filter(|a| ids.contains(&a.id))
        .collect();
    answers.sort_by_key(|a| (a.received_at, a.id));
    Ok(answers
        .into_iter()
        .filter_map(|answer| {
            let l = links.iter().find(|l| l.id == answer.id)?;
            Some(AnswerToSettle {
                reference: l.reference.clone(),
                submission_id: l.submission_id,
                partner_id: l.partner_id.clone(),
                answer,
            })
        })
        .collect())
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
