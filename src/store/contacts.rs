//! SQL for local contacts per candidate (advisory councils, client councils, local members of
//! the partners) and for settling partner answers. Decides nothing.

use chrono::{DateTime, Utc};

use super::{Db, Tx, db, st, sto, tx};
use crate::domain::{AnswerStatus, ContactStatus, PartnerVerdict};

/// One local contact of one nomination.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LocalContactRow {
    pub id: i64,
    pub submission_id: i64,
    pub name: String,
    /// None for a proposal taken from the letter (letters rarely carry addresses).
    pub address: Option<String>,
    /// What kind of organisation: `adviesraad`, `wmo-raad`, `clientenraad`, `inclusieraad`,
    /// `vn-panel`, `platform`, `werkgroep`, `lokale-partner`, `anders`.
    pub kind: String,
    /// `staff` or `letter`.
    pub source: String,
    /// The sentence of the letter that names it (proposals).
    pub sentence: Option<String>,
    pub status: ContactStatus,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl LocalContactRow {
    /// The id its consultation carries as `partner_id`.
    pub fn consultee_id(&self) -> String {
        format!("{}{}", crate::domain::LOCAL_PREFIX, self.id)
    }
}

/// A contact to add.
#[derive(Debug, Clone)]
pub struct NewContact<'a> {
    pub submission_id: i64,
    pub name: &'a str,
    pub address: Option<&'a str>,
    pub kind: &'a str,
    pub source: &'a str,
    pub sentence: Option<&'a str>,
    pub status: ContactStatus,
    pub created_by: &'a str,
    pub now: DateTime<Utc>,
}

pub async fn insert_contact(tx: &mut Tx, c: &NewContact<'_>) -> anyhow::Result<i64> {
    let (id,): (i64,) = tx!(tx, |conn| {
        sqlx::query_as(
        "INSERT INTO local_contacts (submission_id, name, address, kind, source, sentence, status, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id"
    )
    .bind(c.submission_id)
    .bind(st(c.name))
    .bind(sto(c.address))
    .bind(c.kind)
    .bind(c.source)
    .bind(sto(c.sentence))
    .bind(c.status)
    .bind(st(c.created_by))
    .bind(c.now)
    .fetch_one(conn)
    .await
    })?;
    Ok(id)
}

pub async fn contacts_of(db: &Db, submission_id: i64) -> anyhow::Result<Vec<LocalContactRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, LocalContactRow>(
        "SELECT * FROM local_contacts WHERE submission_id = $1 ORDER BY id"
    )
    .bind(submission_id)
    .fetch_all(p)
    .await)?)
}

pub async fn all_contacts(db: &Db) -> anyhow::Result<Vec<LocalContactRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, LocalContactRow>(
        "SELECT * FROM local_contacts ORDER BY id"
    )
    .fetch_all(p)
    .await)?)
}

pub async fn contact_by_id(db: &Db, id: i64) -> anyhow::Result<Option<LocalContactRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, LocalContactRow>(
        "SELECT * FROM local_contacts WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(p)
    .await)?)
}

pub async fn contact_by_id_tx(tx: &mut Tx, id: i64) -> anyhow::Result<Option<LocalContactRow>> {
    Ok(tx!(tx, |c| sqlx::query_as::<_, LocalContactRow>(
        "SELECT * FROM local_contacts WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}

/// Sets a contact's status, and its address when given.
pub async fn set_contact(
    tx: &mut Tx,
    id: i64,
    status: ContactStatus,
    address: Option<&str>,
) -> anyhow::Result<()> {
    tx!(tx, |c| sqlx::query(
        "UPDATE local_contacts SET status = $2, address = COALESCE($3, address) WHERE id = $1"
    )
    .bind(id)
    .bind(status)
    .bind(sto(address))
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Records that staff settled answer `id`: its new status (and verdict), who, when and why.
pub async fn settle_answer(
    tx: &mut Tx,
    id: i64,
    status: AnswerStatus,
    verdict: Option<PartnerVerdict>,
    by: &str,
    note: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    tx!(tx, |c| {
        sqlx::query(
        "UPDATE consultation_answers SET status = $2, verdict = COALESCE($3, verdict), accepted = $4,
           settled_by = $5, settled_at = $6, settle_note = $7 WHERE id = $1"
    )
    .bind(id)
    .bind(status)
    .bind(verdict)
    .bind(status.sets_consultation())
    .bind(st(by))
    .bind(now)
    .bind(st(note))
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Links an answer that matched no consultation to one (staff settled it for that partner).
pub async fn link_answer(tx: &mut Tx, id: i64, consultation_id: i64) -> anyhow::Result<()> {
    tx!(tx, |c| sqlx::query(
        "UPDATE consultation_answers SET consultation_id = $2 WHERE id = $1"
    )
    .bind(id)
    .bind(consultation_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}
