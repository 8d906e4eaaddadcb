//! All SQL lives here. One SQL text serves both backends: SQLite (the embedded default) and
//! PostgreSQL, through plain `sqlx::query`/`query_as` with `$n` placeholders, behind [`Db`].
//! The `db!` and `tx!` macros expand one body for each backend, so every statement is
//! written once.
//!
//! This module must not decide anything: it stores and returns what the pipeline and the
//! commands give it.

pub mod consult;
pub mod contacts;
pub mod digest;
pub mod outbox;
mod rows;
pub mod staff;

pub use rows::*;

use std::path::Path;
use std::str::FromStr;

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use crate::domain::LetterKind;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// A database pool of either backend.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A transaction of either backend. Dropped without [`Tx::commit`], it rolls back.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs `$body` with `$p` bound to the backend's pool.
macro_rules! db {
    ($db:expr, |$p:ident| $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite($p) => $body,
            $crate::store::Db::Postgres($p) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to the transaction's connection.
macro_rules! tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::store::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

#[allow(unused_imports)]
pub(crate) use {db, tx};

/// A text value as PostgreSQL TEXT accepts it (no NUL); see [`crate::clean::storable`].
pub(crate) fn st(s: &str) -> String {
    crate::clean::storable(s).into_owned()
}

/// [`st`] for an optional value.
pub(crate) fn sto(s: Option<&str>) -> Option<String> {
    s.map(st)
}

impl Db {
    /// Connects to `url` (`sqlite://path` creates the file and its folder; `postgres://…`).
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .with_context(|| "failed to parse the SQLite database URL")?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(std::time::Duration::from_secs(10))
                .foreign_keys(true);
            if let Some(parent) = Path::new(opts.get_filename()).parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("failed to create {}", parent.display()))?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections.max(1))
                .connect_with(opts)
                .await
                .context("failed to open the SQLite database")?;
            Ok(Db::Sqlite(pool))
        } else {
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(1))
                .acquire_timeout(std::time::Duration::from_secs(15))
                .connect(url)
                .await
                .context("failed to connect to PostgreSQL")?;
            Ok(Db::Postgres(pool))
        }
    }

    /// Applies the migrations of this backend (idempotent).
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(p) => sqlx::migrate!("migrations/sqlite").run(p).await,
            Db::Postgres(p) => sqlx::migrate!("migrations/postgres").run(p).await,
        }
        .context("failed to apply database migrations")
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub async fn begin(&self) -> anyhow::Result<Tx> {
        Ok(match self {
            // IMMEDIATE takes SQLite's write lock at the start: a transaction that reads first
            // and writes later could otherwise fail with SQLITE_BUSY_SNAPSHOT when another
            // writer (the letter sender) committed in between; now it waits (busy_timeout).
            Db::Sqlite(p) => Tx::Sqlite(
                p.begin_with("BEGIN IMMEDIATE")
                    .await
                    .context("failed to begin a transaction")?,
            ),
            Db::Postgres(p) => {
                Tx::Postgres(p.begin().await.context("failed to begin a transaction")?)
            }
        })
    }

    pub async fn close(&self) {
        db!(self, |p| p.close().await)
    }
}

impl Tx {
    pub async fn commit(self) -> anyhow::Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
        .context("failed to commit")
    }
}

// ---------------------------------------------------------------------------------------------
// Calls, partners and leases

/// The call as the database records it: what `sync_call` writes.
#[derive(Debug, Clone)]
pub struct CallRecord<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub deadline_at: DateTime<Utc>,
    /// Each partner: id, name and registered addresses.
    pub partners: Vec<(&'a str, &'a str, &'a [String])>,
}

/// Records the call and its partners (from config) so the database is self-describing.
pub async fn sync_call(db: &Db, call: &CallRecord<'_>, now: DateTime<Utc>) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    tx!(&mut tx, |c| {
        sqlx::query(
            "INSERT INTO calls (id, title, deadline_at, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, deadline_at = excluded.deadline_at, updated_at = excluded.updated_at",
        )
        .bind(call.id)
        .bind(call.title)
        .bind(call.deadline_at)
        .bind(now)
        .execute(&mut *c)
        .await.map(|r| r.rows_affected())?;
        for (id, name, addresses) in &call.partners {
            sqlx::query(
                "INSERT INTO partners (id, name, addresses) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, addresses = excluded.addresses",
            )
            .bind(*id)
            .bind(*name)
            .bind(serde_json::to_string(addresses)?)
            .execute(&mut *c)
            .await.map(|r| r.rows_affected())?;
        }
        anyhow::Ok(())
    })?;
    tx.commit().await
}

/// Takes or renews the lease `name` for `holder` until `now + secs`. True when held.
pub async fn try_lease(
    db: &Db,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    secs: u64,
) -> anyhow::Result<bool> {
    let until = now + chrono::Duration::seconds(secs as i64);
    let rows = db!(db, |p| sqlx::query(
        "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at < $4",
    )
    .bind(name)
    .bind(holder)
    .bind(until)
    .bind(now)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows > 0)
}

/// Who holds the lease `name` and until when, if anyone (the time may have passed already).
pub async fn lease_holder(db: &Db, name: &str) -> anyhow::Result<Option<(String, DateTime<Utc>)>> {
    Ok(db!(db, |p| sqlx::query_as::<_, (String, DateTime<Utc>)>(
        "SELECT holder, expires_at FROM leases WHERE name = $1"
    )
    .bind(name)
    .fetch_optional(p)
    .await)?)
}

/// Gives a lease up (on clean shutdown), so another daemon can take over at once.
pub async fn release_lease(db: &Db, name: &str, holder: &str) -> anyhow::Result<()> {
    db!(db, |p| sqlx::query(
        "DELETE FROM leases WHERE name = $1 AND holder = $2"
    )
    .bind(name)
    .bind(holder)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Mailbox state

pub async fn mailbox_state(db: &Db, mailbox: &str) -> anyhow::Result<Option<MailboxStateRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, MailboxStateRow>(
        "SELECT * FROM mailbox_state WHERE mailbox = $1"
    )
    .bind(mailbox)
    .fetch_optional(p)
    .await)?)
}

pub async fn all_mailbox_states(db: &Db) -> anyhow::Result<Vec<MailboxStateRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, MailboxStateRow>(
        "SELECT * FROM mailbox_state ORDER BY mailbox"
    )
    .fetch_all(p)
    .await)?)
}

/// A successful look at the mailbox: its UIDVALIDITY, clears any failure.
pub async fn mailbox_ok(
    db: &Db,
    mailbox: &str,
    uidvalidity: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    db!(db, |p| {
        sqlx::query(
        "INSERT INTO mailbox_state (mailbox, uidvalidity, last_success_at, updated_at) VALUES ($1, $2, $3, $3)
         ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_success_at = excluded.last_success_at,
           failing_since = NULL, alerted_at = NULL, updated_at = excluded.updated_at",
    )
    .bind(mailbox)
    .bind(uidvalidity)
    .bind(now)
    .execute(p)
    .await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A failed look at the mailbox (the error text never holds secrets).
pub async fn mailbox_failed(
    db: &Db,
    mailbox: &str,
    error: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    db!(db, |p| {
        sqlx::query(
        "INSERT INTO mailbox_state (mailbox, uidvalidity, last_error, last_error_at, failing_since, updated_at) VALUES ($1, 0, $2, $3, $3, $3)
         ON CONFLICT (mailbox) DO UPDATE SET last_error = excluded.last_error, last_error_at = excluded.last_error_at,
           failing_since = COALESCE(mailbox_state.failing_since, excluded.failing_since), updated_at = excluded.updated_at",
    )
    .bind(mailbox)
    .bind(st(error))
    .bind(now)
    .execute(p)
    .await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Marks that staff were alerted about a failing mailbox (once per failure period).
pub async fn mailbox_alerted(tx: &mut Tx, mailbox: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    tx!(tx, |c| sqlx::query(
        "UPDATE mailbox_state SET alerted_at = $2 WHERE mailbox = $1"
    )
    .bind(mailbox)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Records the last UID committed, in the same transaction as the message.
pub async fn mailbox_advance(
    tx: &mut Tx,
    mailbox: &str,
    uidvalidity: i64,
    uid: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO mailbox_state (mailbox, uidvalidity, last_uid, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid, updated_at = excluded.updated_at",
    )
    .bind(mailbox)
    .bind(uidvalidity)
    .bind(uid)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Counts one more failed attempt to record the mail at this position; returns the count.
/// Written outside any transaction of the mail itself, so it survives that one's rollback.
pub async fn note_mail_failure(
    db: &Db,
    mailbox: &str,
    uidvalidity: i64,
    uid: &str,
    error: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let row: (i64,) = db!(db, |p| {
        sqlx::query_as(
        "INSERT INTO mail_failures (mailbox, uidvalidity, uid, failures, last_error, first_at, last_at)
         VALUES ($1, $2, $3, 1, $4, $5, $5)
         ON CONFLICT (mailbox, uidvalidity, uid) DO UPDATE SET failures = mail_failures.failures + 1,
           last_error = excluded.last_error, last_at = excluded.last_at
         RETURNING CAST(failures AS BIGINT)",
    )
    .bind(st(mailbox))
    .bind(uidvalidity)
    .bind(st(uid))
    .bind(st(error))
    .bind(now)
    .fetch_one(p)
    .await
    })?;
    Ok(row.0)
}

/// Mails that failed to be recorded at least once and are not stored yet (for `intake status`).
pub async fn open_mail_failures(db: &Db) -> anyhow::Result<Vec<MailFailureRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, MailFailureRow>(
        "SELECT f.* FROM mail_failures f
         WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.mailbox = f.mailbox
           AND m.uidvalidity = f.uidvalidity AND m.uid = f.uid)
         ORDER BY f.last_at"
    )
    .fetch_all(p)
    .await)?)
}

// ---------------------------------------------------------------------------------------------
// Messages

/// The message stored for this mailbox position, if any.
pub async fn message_at(
    db: &Db,
    mailbox: &str,
    uidvalidity: i64,
    uid: &str,
) -> anyhow::Result<Option<MessageRow>> {
    Ok(db!(db, |p| {
        sqlx::query_as::<_, MessageRow>(
        "SELECT id, mailbox, uidvalidity, uid, message_id, sha256, size, from_address, from_name, subject, date_header,
                arrived_at, arrival_source, kind, status, reason, duplicate_of, stored_at, processed_at
         FROM messages WHERE mailbox = $1 AND uidvalidity = $2 AND uid = $3",
    )
    .bind(mailbox)
    .bind(uidvalidity)
    .bind(uid)
    .fetch_optional(p)
    .await
    })?)
}

/// The first stored message with this Message-ID or these exact bytes.
pub async fn original_of(
    tx: &mut Tx,
    message_id: Option<&str>,
    sha256: &str,
) -> anyhow::Result<Option<i64>> {
    let row: Option<(i64,)> = tx!(tx, |c| {
        sqlx::query_as(
        "SELECT id FROM messages WHERE (sha256 = $1 OR ($2 IS NOT NULL AND message_id = $2)) AND duplicate_of IS NULL
         ORDER BY id LIMIT 1",
    )
    .bind(sha256)
    .bind(message_id)
    .fetch_optional(c)
    .await
    })?;
    Ok(row.map(|r| r.0))
}

/// Stores a raw mail as it came in (status `received`); the first write for every mail.
pub async fn insert_message(tx: &mut Tx, m: &NewMessage<'_>) -> anyhow::Result<i64> {
    let row: (i64,) = tx!(tx, |c| {
        sqlx::query_as(
        "INSERT INTO messages (mailbox, uidvalidity, uid, message_id, sha256, raw, size, from_address, from_name, subject,
            date_header, arrived_at, arrival_source, kind, status, reason, duplicate_of, stored_at, processed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) RETURNING id",
    )
    .bind(m.mailbox)
    .bind(m.uidvalidity)
    .bind(st(m.uid))
    .bind(sto(m.message_id))
    .bind(m.sha256)
    .bind(m.raw)
    .bind(m.size)
    .bind(sto(m.from_address))
    .bind(sto(m.from_name))
    .bind(sto(m.subject))
    .bind(m.date_header)
    .bind(m.arrived_at)
    .bind(m.arrival_source)
    .bind(m.kind)
    .bind(m.status)
    .bind(sto(m.reason))
    .bind(m.duplicate_of)
    .bind(m.stored_at)
    .fetch_one(c)
    .await
    })?;
    Ok(row.0)
}

/// The raw bytes of a stored message (for reprocessing and consultation attachments).
pub async fn message_raw(db: &Db, id: i64) -> anyhow::Result<Option<Vec<u8>>> {
    let row: Option<(Option<Vec<u8>>,)> = db!(db, |p| sqlx::query_as(
        "SELECT raw FROM messages WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(p)
    .await)?;
    Ok(row.and_then(|r| r.0))
}

pub async fn message_counts(db: &Db) -> anyhow::Result<Vec<(String, String, i64)>> {
    Ok(db!(db, |p| sqlx::query_as::<_, (String, String, i64)>(
        "SELECT kind, status, COUNT(*) FROM messages GROUP BY kind, status ORDER BY kind, status"
    )
    .fetch_all(p)
    .await)?)
}

// ---------------------------------------------------------------------------------------------
// Submissions

/// The next sequence number for a reference (inside the transaction that inserts it).
pub async fn next_seq(tx: &mut Tx) -> anyhow::Result<i64> {
    let row: (Option<i64>,) = tx!(tx, |c| sqlx::query_as("SELECT MAX(seq) FROM submissions")
        .fetch_one(c)
        .await)?;
    Ok(row.0.unwrap_or(0) + 1)
}

/// The current version of this municipality's nomination, if any.
pub async fn current_submission_for(
    tx: &mut Tx,
    code: &str,
) -> anyhow::Result<Option<SubmissionRow>> {
    Ok(tx!(tx, |c| {
        sqlx::query_as::<_, SubmissionRow>(
        "SELECT * FROM submissions WHERE municipality_code = $1 AND is_current = TRUE ORDER BY id DESC LIMIT 1"
    )
    .bind(code)
    .fetch_optional(c)
    .await
    })?)
}

/// The current submission answered by a sender address (for versions from unidentified senders).
pub async fn current_submission_from(
    tx: &mut Tx,
    sender: &str,
) -> anyhow::Result<Option<SubmissionRow>> {
    Ok(tx!(tx, |c| sqlx::query_as::<_, SubmissionRow>(
        "SELECT * FROM submissions WHERE sender = $1 AND is_current = TRUE ORDER BY id DESC LIMIT 1"
    )
    .bind(sender)
    .fetch_optional(c)
    .await)?)
}

pub async fn insert_submission(tx: &mut Tx, s: &NewSubmission) -> anyhow::Result<i64> {
    let row: (i64,) = tx!(tx, |c| {
        sqlx::query_as(
        "INSERT INTO submissions (reference, seq, call_id, message_id, sender, sender_name, subject, municipality_code,
            municipality_basis, municipality_confidence, municipality_flags, municipality_by_staff, arrived_at, deadline_at,
            on_time, deadline_diff_secs, pages, page_basis, over_by, non_a4, page_note, version, supersedes, is_current,
            version_note, meets_minimum, created_at, reply_to, other_sender, page_uncertain)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, FALSE, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
            $23, $24, $25, $26, $27, $28, $29) RETURNING id",
    )
    .bind(&s.reference)
    .bind(s.seq)
    .bind(&s.call_id)
    .bind(s.message_id)
    .bind(st(&s.sender))
    .bind(sto(s.sender_name.as_deref()))
    .bind(sto(s.subject.as_deref()))
    .bind(&s.municipality_code)
    .bind(sto(s.municipality_basis.as_deref()))
    .bind(&s.municipality_confidence)
    .bind(&s.municipality_flags)
    .bind(s.arrived_at)
    .bind(s.deadline_at)
    .bind(s.on_time)
    .bind(s.deadline_diff_secs)
    .bind(s.pages)
    .bind(&s.page_basis)
    .bind(s.over_by)
    .bind(st(&s.non_a4))
    .bind(sto(s.page_note.as_deref()))
    .bind(s.version)
    .bind(s.supersedes)
    .bind(s.is_current)
    .bind(sto(s.version_note.as_deref()))
    .bind(s.meets_minimum)
    .bind(s.created_at)
    .bind(sto(s.reply_to.as_deref()))
    .bind(s.other_sender)
    .bind(sto(s.page_uncertain.as_deref()))
    .fetch_one(c)
    .await
    })?;
    Ok(row.0)
}

/// Marks a submission as no longer the current version.
pub async fn set_current(tx: &mut Tx, id: i64, current: bool) -> anyhow::Result<()> {
    tx!(tx, |c| sqlx::query(
        "UPDATE submissions SET is_current = $2 WHERE id = $1"
    )
    .bind(id)
    .bind(current)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn insert_document(tx: &mut Tx, d: &NewDocument<'_>) -> anyhow::Result<i64> {
    let row: (i64,) = tx!(tx, |c| {
        sqlx::query_as(
        "INSERT INTO documents (submission_id, message_id, idx, origin, name, path, format, bytes, sha256, pages, page_basis,
            paper_w_pt, paper_h_pt, is_a4, status, reason, role, chars, text, text_basis, ocr_confidence)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
         RETURNING id",
    )
    .bind(d.submission_id)
    .bind(d.message_id)
    .bind(d.idx)
    .bind(d.origin)
    .bind(sto(d.name))
    .bind(st(d.path))
    .bind(d.format)
    .bind(d.bytes)
    .bind(d.sha256)
    .bind(d.pages)
    .bind(d.page_basis)
    .bind(d.paper_w_pt)
    .bind(d.paper_h_pt)
    .bind(d.is_a4)
    .bind(d.status)
    .bind(sto(d.reason))
    .bind(d.role)
    .bind(d.chars)
    .bind(st(d.text))
    .bind(d.text_basis)
    .bind(d.ocr_confidence)
    .fetch_one(c)
    .await
    })?;
    Ok(row.0)
}

pub async fn insert_claim(
    tx: &mut Tx,
    submission_id: i64,
    c: &NewClaim<'_>,
) -> anyhow::Result<i64> {
    let terms = serde_json::to_string(c.matched_terms)?;
    let row: (i64,) = tx!(tx, |conn| {
        sqlx::query_as(
        "INSERT INTO claims (submission_id, document_idx, criterion, domain, sentence, page, byte_offset, matched_terms, strength, kind)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(submission_id)
    .bind(c.document_idx)
    .bind(c.criterion)
    .bind(c.domain)
    .bind(st(c.sentence))
    .bind(c.page)
    .bind(c.byte_offset)
    .bind(st(&terms))
    .bind(c.strength)
    .bind(c.kind)
    .fetch_one(conn)
    .await
    })?;
    Ok(row.0)
}

pub async fn insert_assessment(
    tx: &mut Tx,
    submission_id: i64,
    criterion: &str,
    verdict: crate::domain::Verdict,
    evidence: &[i64],
    note: &str,
) -> anyhow::Result<()> {
    tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO assessments (submission_id, criterion, machine_verdict, evidence, note) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(submission_id)
    .bind(criterion)
    .bind(verdict)
    .bind(serde_json::to_string(evidence)?)
    .bind(note)
    .execute(c)
    .await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Staff override of one criterion verdict.
pub async fn override_assessment(
    tx: &mut Tx,
    submission_id: i64,
    criterion: &str,
    verdict: crate::domain::Verdict,
    note: &str,
    by: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let n = tx!(tx, |c| {
        sqlx::query(
        "UPDATE assessments SET staff_verdict = $3, staff_note = $4, staff_by = $5, staff_at = $6 WHERE submission_id = $1 AND criterion = $2"
    )
    .bind(submission_id)
    .bind(criterion)
    .bind(verdict)
    .bind(note)
    .bind(by)
    .bind(now)
    .execute(c)
    .await.map(|r| r.rows_affected())
    })?;
    Ok(n > 0)
}

pub async fn set_meets_minimum(tx: &mut Tx, submission_id: i64, meets: bool) -> anyhow::Result<()> {
    tx!(tx, |c| sqlx::query(
        "UPDATE submissions SET meets_minimum = $2 WHERE id = $1"
    )
    .bind(submission_id)
    .bind(meets)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Staff set the municipality of a submission.
pub async fn set_municipality(
    tx: &mut Tx,
    submission_id: i64,
    code: &str,
    by: &str,
) -> anyhow::Result<()> {
    tx!(tx, |c| {
        sqlx::query(
        "UPDATE submissions SET municipality_code = $2, municipality_basis = $3, municipality_confidence = 'staff',
            municipality_by_staff = TRUE WHERE id = $1"
    )
    .bind(submission_id)
    .bind(code)
    .bind(format!("vastgesteld door {by}"))
    .execute(c)
    .await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn submissions(db: &Db) -> anyhow::Result<Vec<SubmissionRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, SubmissionRow>(
        "SELECT * FROM submissions ORDER BY seq"
    )
    .fetch_all(p)
    .await)?)
}

pub async fn submission_by_reference(
    db: &Db,
    reference: &str,
) -> anyhow::Result<Option<SubmissionRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, SubmissionRow>(
        "SELECT * FROM submissions WHERE reference = $1"
    )
    .bind(reference)
    .fetch_optional(p)
    .await)?)
}

pub async fn submission_by_id(db: &Db, id: i64) -> anyhow::Result<Option<SubmissionRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, SubmissionRow>(
        "SELECT * FROM submissions WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(p)
    .await)?)
}

pub async fn documents_of(db: &Db, submission_id: i64) -> anyhow::Result<Vec<DocumentRow>> {
    Ok(db!(db, |p| {
        sqlx::query_as::<_, DocumentRow>(
        "SELECT id, submission_id, message_id, idx, origin, name, path, format, bytes, sha256, pages, page_basis, paper_w_pt,
                paper_h_pt, is_a4, status, reason, role, chars, text_basis, ocr_confidence
         FROM documents WHERE submission_id = $1 ORDER BY idx"
    )
    .bind(submission_id)
    .fetch_all(p)
    .await
    })?)
}

pub async fn claims_of(db: &Db, submission_id: i64) -> anyhow::Result<Vec<ClaimRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, ClaimRow>(
        "SELECT * FROM claims WHERE submission_id = $1 ORDER BY id"
    )
    .bind(submission_id)
    .fetch_all(p)
    .await)?)
}

pub async fn assessments_of(db: &Db, submission_id: i64) -> anyhow::Result<Vec<AssessmentRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, AssessmentRow>(
        "SELECT * FROM assessments WHERE submission_id = $1 ORDER BY criterion"
    )
    .bind(submission_id)
    .fetch_all(p)
    .await)?)
}

/// [`assessments_of`] inside a transaction (to recompute the pre-assessment with its change).
pub async fn assessments_of_tx(
    tx: &mut Tx,
    submission_id: i64,
) -> anyhow::Result<Vec<AssessmentRow>> {
    Ok(tx!(tx, |c| sqlx::query_as::<_, AssessmentRow>(
        "SELECT * FROM assessments WHERE submission_id = $1 ORDER BY criterion"
    )
    .bind(submission_id)
    .fetch_all(c)
    .await)?)
}

// ---------------------------------------------------------------------------------------------
// Events (audit log)

pub async fn event(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &str,
    action: &str,
    submission_id: Option<i64>,
    message_id: Option<i64>,
    detail: &str,
) -> anyhow::Result<()> {
    tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO events (at, actor, action, submission_id, message_id, detail) VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(now)
    .bind(st(actor))
    .bind(action)
    .bind(submission_id)
    .bind(message_id)
    .bind(st(detail))
    .execute(c)
    .await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn events_of(db: &Db, submission_id: i64) -> anyhow::Result<Vec<EventRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, EventRow>(
        "SELECT * FROM events WHERE submission_id = $1 ORDER BY id"
    )
    .bind(submission_id)
    .fetch_all(p)
    .await)?)
}

// ---------------------------------------------------------------------------------------------
// Outbox

/// Adds a letter to the outbox unless a row with the same key exists. True when added.
pub async fn enqueue(tx: &mut Tx, o: &NewOutbox<'_>) -> anyhow::Result<bool> {
    let n = tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO outbox (key, kind, submission_id, recipient, sender, subject, message_id, raw, status, attempts,
            next_attempt_at, created_at, cc)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $9, $10) ON CONFLICT (key) DO NOTHING",
    )
    .bind(o.key)
    .bind(o.kind)
    .bind(o.submission_id)
    .bind(st(o.recipient))
    .bind(o.sender)
    .bind(st(o.subject))
    .bind(st(o.message_id))
    .bind(o.raw)
    .bind(o.now)
    .bind(serde_json::to_string(o.cc)?)
    .execute(c)
    .await.map(|r| r.rows_affected())
    })?;
    Ok(n > 0)
}

/// How many letters of `kinds` went (or will go) since `since`: to `recipient` as addressee or
/// copy when given, else to anyone (loop and flood guard).
pub async fn replies_since(
    tx: &mut Tx,
    kinds: &[LetterKind],
    recipient: Option<&str>,
    since: DateTime<Utc>,
) -> anyhow::Result<i64> {
    let rows: Vec<(LetterKind, String, String)> = tx!(tx, |c| sqlx::query_as(
        "SELECT kind, recipient, cc FROM outbox WHERE created_at >= $1"
    )
    .bind(since)
    .fetch_all(c)
    .await)?;
    let n = rows
        .iter()
        .filter(|(kind, _, _)| kinds.contains(kind))
        .filter(|(_, to, cc)| match recipient {
            None => true,
            Some(r) => {
                to.eq_ignore_ascii_case(r)
                    || serde_json::from_str::<Vec<String>>(cc)
                        .unwrap_or_default()
                        .iter()
                        .any(|c| c.eq_ignore_ascii_case(r))
            }
        })
        .count();
    Ok(n as i64)
}

/// Claims one due row for `worker` until `until`; the row is then this worker's alone.
pub async fn claim_outbox(
    db: &Db,
    worker: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> anyhow::Result<Option<OutboxRow>> {
    loop {
        let candidate: Option<(i64,)> = db!(db, |p| {
            sqlx::query_as(
            "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1
               AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY next_attempt_at, id LIMIT 1"
        )
        .bind(now)
        .fetch_optional(p)
        .await
        })?;
        let Some((id,)) = candidate else {
            return Ok(None);
        };
        // The conditional update is the claim: only one worker's update matches.
        let n = db!(db, |p| {
            sqlx::query(
            "UPDATE outbox SET claimed_by = $2, claimed_until = $3
             WHERE id = $1 AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < $4)"
        )
        .bind(id)
        .bind(worker)
        .bind(until)
        .bind(now)
        .execute(p)
        .await.map(|r| r.rows_affected())
        })?;
        if n == 1 {
            let row = db!(db, |p| sqlx::query_as::<_, OutboxRow>(
                "SELECT * FROM outbox WHERE id = $1"
            )
            .bind(id)
            .fetch_one(p)
            .await)?;
            return Ok(Some(row));
        }
    }
}

pub async fn outbox_sent(
    db: &Db,
    id: i64,
    worker: &str,
    now: DateTime<Utc>,
    detail: &str,
) -> anyhow::Result<()> {
    db!(db, |p| {
        sqlx::query(
        "UPDATE outbox SET status = 'sent', sent_at = $3, attempts = attempts + 1, last_error = NULL, claimed_until = NULL,
            attempt_started_at = NULL, claimed_by = $2 || ': ' || $4 WHERE id = $1"
    )
    .bind(id)
    .bind(worker)
    .bind(now)
    .bind(detail)
    .execute(p)
    .await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn outbox_retry(
    db: &Db,
    id: i64,
    next: DateTime<Utc>,
    error: &str,
) -> anyhow::Result<()> {
    db!(db, |p| {
        sqlx::query(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3, claimed_until = NULL,
            attempt_started_at = NULL WHERE id = $1"
    )
    .bind(id)
    .bind(next)
    .bind(st(error))
    .execute(p)
    .await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn outbox_failed(db: &Db, id: i64, error: &str) -> anyhow::Result<()> {
    db!(db, |p| {
        sqlx::query(
        "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = $2, claimed_until = NULL,
            attempt_started_at = NULL WHERE id = $1"
    )
    .bind(id)
    .bind(st(error))
    .execute(p)
    .await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Links a bounce to the outbox row whose Message-ID it returns. True when one matched.
pub async fn outbox_bounced(
    tx: &mut Tx,
    message_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<i64>> {
    let row: Option<(i64,)> = tx!(tx, |c| {
        sqlx::query_as(
        "UPDATE outbox SET bounced_at = $2, bounce_reason = $3 WHERE message_id = $1 RETURNING id"
    )
    .bind(message_id)
    .bind(now)
    .bind(st(reason))
    .fetch_optional(c)
    .await
    })?;
    Ok(row.map(|r| r.0))
}

/// Marks the newest sent, not yet bounced letter to `recipient` created after `since` as
/// bounced (for a delivery report that names the recipient but not our Message-ID).
pub async fn outbox_bounced_to(
    tx: &mut Tx,
    recipient: &str,
    since: DateTime<Utc>,
    reason: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<i64>> {
    let row: Option<(i64,)> = tx!(tx, |c| sqlx::query_as(
        "SELECT id FROM outbox WHERE recipient = $1 AND created_at >= $2 AND bounced_at IS NULL
         AND status <> 'failed' ORDER BY created_at DESC, id DESC LIMIT 1"
    )
    .bind(st(recipient))
    .bind(since)
    .fetch_optional(c)
    .await)?;
    let Some((id,)) = row else {
        return Ok(None);
    };
    tx!(tx, |c| sqlx::query(
        "UPDATE outbox SET bounced_at = $2, bounce_reason = $3 WHERE id = $1"
    )
    .bind(id)
    .bind(now)
    .bind(st(reason))
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(Some(id))
}

pub async fn outbox_all(db: &Db) -> anyhow::Result<Vec<OutboxRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, OutboxRow>(
        "SELECT * FROM outbox ORDER BY id"
    )
    .fetch_all(p)
    .await)?)
}

pub async fn outbox_counts(db: &Db) -> anyhow::Result<Vec<(String, i64)>> {
    Ok(db!(db, |p| sqlx::query_as::<_, (String, i64)>(
        "SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status"
    )
    .fetch_all(p)
    .await)?)
}

pub async fn outbox_by_key(db: &Db, key: &str) -> anyhow::Result<Option<OutboxRow>> {
    Ok(db!(db, |p| sqlx::query_as::<_, OutboxRow>(
        "SELECT * FROM outbox WHERE key = $1"
    )
    .bind(key)
    .fetch_optional(p)
    .await)?)
}

/// A submission by id, inside a transaction.
pub async fn submission_by_id_tx(tx: &mut Tx, id: i64) -> anyhow::Result<Option<SubmissionRow>> {
    Ok(tx!(tx, |c| sqlx::query_as::<_, SubmissionRow>(
        "SELECT * FROM submissions WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(c)
    .await)?)
}
