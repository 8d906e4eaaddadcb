//! One mail from the mailbox to the database and the outbox. Reads like the architecture:
//!
//! ```text
//! known? ─► facts ─► duplicate? ─► classify ─┬─ nomination ─► documents ─► assess ─┐
//!                                            ├─ partner reply ─► consultation answer │
//!                                            ├─ bounce ─► link to outbox row         │
//!                                            └─ auto-reply / other: stored           │
//!         one transaction: message + submission + documents + claims + outbox ◄──────┘
//!         ─► commit ─► acknowledge in the mailbox (the caller)
//! ```
//!
//! Everything that reads untrusted bytes (parsing, documents, assessment) runs before the
//! transaction, in its own task, so a panic is caught here and the mail is quarantined with its
//! reason instead of stopping the loop. Nothing is sent from here: letters are outbox rows.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::assess::lexicon::Lexicon;
use crate::assess::{self, claims::DocText, municipality, pages};
use crate::classify::{self, Classification};
use crate::config::{Call, LatePolicy, MunicipalityRules};
use crate::documents::{self, Document, Origin, Status};
use crate::domain::{EmailAddress, MailKind, MessageStatus, Reference};
use crate::letters::{self, ConfirmationContext, ConfirmationDoc, Outgoing};
use crate::mail::{self, MailFacts};
use crate::mailbox::{Disposition, Fetched};
use crate::store::{self, NewClaim, NewDocument, NewMessage, NewSubmission, Tx};

use crate::app::App;

/// Where a mail is in the mailbox.
#[derive(Debug, Clone)]
pub struct Position {
    pub mailbox: String,
    pub uidvalidity: i64,
    pub uid: String,
}

/// What happened to one mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored on an earlier run; only acknowledged again.
    AlreadyStored,
    /// The same mail (Message-ID or bytes) was stored before.
    Duplicate { original: i64 },
    /// A nomination, with its reference and whether a confirmation was queued.
    Nomination {
        reference: String,
        confirmation: bool,
    },
    /// Another kind, stored with its kind.
    Stored { kind: MailKind },
    /// Could not be processed; stored with the reason.
    Quarantined { reason: String },
}

impl Outcome {
    pub fn disposition(&self) -> Disposition {
        match self {
            Outcome::Quarantined { .. } => Disposition::Quarantine,
            _ => Disposition::Processed,
        }
    }
}

/// A mail that was too large to load: recorded and quarantined unread.
pub async fn record_oversized(
    intake: &App,
    pos: &Position,
    size: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    if let Some(existing) =
        store::message_at(&intake.db, &pos.mailbox, pos.uidvalidity, &pos.uid).await?
    {
        return Ok(known(&existing));
    }
    let reason = if size == u64::MAX {
        "the mail server did not tell the size of this mail; not read".to_string()
    } else {
        format!(
            "mail of {size} bytes is larger than the limit of {} bytes; not read",
            intake.cfg.settings.mailbox.max_message_bytes
        )
    };
    let sha = hex::encode(Sha256::digest(format!(
        "oversized:{}:{}:{}",
        pos.mailbox, pos.uidvalidity, pos.uid
    )));
    let mut tx = intake.db.begin().await?;
    let id = store::insert_message(
        &mut tx,
        &NewMessage {
            mailbox: &pos.mailbox,
            uidvalidity: pos.uidvalidity,
            uid: &pos.uid,
            message_id: None,
            sha256: &sha,
            raw: None,
            size: i64::try_from(size).unwrap_or(i64::MAX),
            from_address: None,
            from_name: None,
            subject: None,
            date_header: None,
            arrived_at: now,
            arrival_source: mail::ArrivalSource::ReadTime.as_str(),
            kind: MailKind::Other,
            status: MessageStatus::Quarantined,
            reason: Some(&reason),
            duplicate_of: None,
            stored_at: now,
        },
    )
    .await?;
    store::event(
        &mut tx,
        now,
        "intake",
        "quarantined",
        None,
        Some(id),
        &reason,
    )
    .await?;
    store::mailbox_advance(&mut tx, &pos.mailbox, pos.uidvalidity, &pos.uid, now).await?;
    tx.commit().await?;
    tracing::warn!(uid = %pos.uid, size, "oversized mail quarantined");
    Ok(Outcome::Quarantined { reason })
}

fn known(m: &store::MessageRow) -> Outcome {
    if m.status == MessageStatus::Quarantined {
        Outcome::Quarantined {
            reason: m.reason.clone().unwrap_or_default(),
        }
    } else {
        Outcome::AlreadyStored
    }
}

/// Processes one fetched mail: everything up to and including the commit.
///
/// Reading, assessing and writing all run in a task of their own, so a panic anywhere in them
/// (a parser, a reader of partner answers, a bounce) is caught here: the mail is then stored with
/// the reason and quarantined, and the next mail goes on. Only when even that record cannot be
/// written is an error returned (the caller counts it and tells staff).
pub async fn process(
    intake: &Arc<App>,
    pos: &Position,
    fetched: Fetched,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    let span = tracing::info_span!("mail", uid = %pos.uid);
    let _e = span.enter();
    if let Some(existing) =
        store::message_at(&intake.db, &pos.mailbox, pos.uidvalidity, &pos.uid).await?
    {
        return Ok(known(&existing));
    }
    let raw = Arc::new(fetched.raw);
    let sha = hex::encode(Sha256::digest(raw.as_slice()));

    let task = {
        let intake = Arc::clone(intake);
        let raw = Arc::clone(&raw);
        let pos = pos.clone();
        let sha = sha.clone();
        tokio::spawn(async move {
            let analysis = analyse(&intake, &raw, fetched.internal_date, fetched.file_time, now)
                .await
                .map_err(Failure::Processing)?;
            commit(&intake, &pos, &raw, &sha, &analysis, now)
                .await
                .map_err(Failure::Storing)
        })
    };
    let reason = match task.await {
        Ok(Ok(outcome)) => return Ok(outcome),
        Ok(Err(Failure::Processing(e))) => format!("could not be processed: {e:#}"),
        Ok(Err(Failure::Storing(e))) => {
            tracing::error!(error = %format!("{e:#}"), "failed to store a processed mail; quarantining it");
            format!("could not be stored: {e:#}")
        }
        Err(e) if e.is_panic() => "could not be processed: a parser failed (panic caught)".into(),
        Err(e) => return Err(e.into()),
    };
    quarantine(intake, pos, &raw, &sha, now, &reason).await
}

/// Why the guarded part of [`process`] failed.
enum Failure {
    Processing(anyhow::Error),
    Storing(anyhow::Error),
}

/// The result of reading and assessing one mail, before anything is written.
struct Analysis {
    facts: MailFacts,
    arrived_at: DateTime<Utc>,
    arrival_source: mail::ArrivalSource,
    class: Classification,
    nomination: Option<NominationAnalysis>,
    /// A partner answer's sender and authentication (DNS may be asked: outside the transaction).
    answer: Option<crate::consult::auth::Evidence>,
}

/// What the reading and assessing of a nomination found, before anything is written.
pub struct NominationAnalysis {
    pub docs: Vec<Document>,
    pub roles: Vec<pages::Role>,
    pub identification: municipality::Identification,
    pub page_finding: pages::PageFinding,
    pub deadline: assess::deadline::DeadlineFinding,
    pub claims: Vec<assess::claims::Claim>,
    pub verdicts: Vec<assess::verdict::CriterionVerdict>,
    pub meets_minimum: bool,
    pub is_addendum: bool,
    /// Local voices the letter names (advisory councils, panels): proposed to staff.
    pub mentions: Vec<assess::organisations::Mention>,
}

/// What reading and assessing a mail needs: the call, the settings of the stages that read
/// documents and name the municipality, the lexicon and our own addresses. No database and no
/// network, so the fuzz harness runs exactly these steps too ([`Analyser::of`] builds one from the app).
pub struct Analyser<'a> {
    pub call: &'a Call,
    pub documents: &'a documents::Limits,
    pub municipalities: &'a MunicipalityRules,
    pub lexicon: &'a Lexicon,
    pub own_addresses: &'a [EmailAddress],
}

impl Analyser<'_> {
    /// The reading and assessing of mails with the app's call, settings and lexicon.
    pub fn of(app: &App) -> Analyser<'_> {
        Analyser {
            call: &app.cfg.call,
            documents: &app.cfg.settings.documents,
            municipalities: &app.cfg.settings.municipalities,
            lexicon: &app.lexicon,
            own_addresses: app.letterhead.own_addresses(),
        }
    }

    /// The mail's facts, or why it was not opened (nested deeper than the documents' limit).
    pub fn facts(&self, raw: &[u8]) -> anyhow::Result<MailFacts> {
        let max_depth = self.documents.max_mime_depth as usize;
        let facts = mail::facts_within(raw, max_depth);
        if facts.too_deep {
            anyhow::bail!(
                "the mail is nested more than {max_depth} levels deep (multipart parts and attached messages); it was not opened"
            );
        }
        Ok(facts)
    }

    /// What kind of mail this is (nomination, partner answer, bounce, ...).
    pub fn classify(&self, facts: &MailFacts) -> Classification {
        let recipients: Vec<&str> = facts.recipients.iter().map(String::as_str).collect();
        let token = crate::consult::token::find_token(
            &recipients,
            &facts.subject,
            facts.text.as_deref().unwrap_or(""),
        );
        let from_partner = facts
            .from
            .as_ref()
            .is_some_and(|a| self.call.partner_by_address(a).is_some());
        classify::classify(
            facts,
            &classify::Context {
                own_addresses: self.own_addresses,
                from_partner,
                has_consult_token: token.is_some(),
            },
        )
    }

    /// Reads the documents of a nomination and assesses them: pages, deadline, municipality,
    /// claims and verdicts, whether it adds to an earlier one, the local voices it names.
    pub async fn nomination(
        &self,
        raw: &[u8],
        facts: &MailFacts,
        arrived_at: DateTime<Utc>,
    ) -> NominationAnalysis {
        let call = self.call;
        let mut docs = documents::from_mail(raw, self.documents).await;
        // File names come from the sender: cleaned once, before any finding, letter or row uses them.
        for d in &mut docs {
            d.name = d.name.as_deref().map(safe_name);
            d.path = crate::clean::line(&d.path, 2 * crate::clean::MAX_NAME);
        }
        let roles = pages::roles(&docs);
        let page_finding = pages::page_finding(&docs, &roles, call.max_pages);
        let deadline = assess::deadline::check(arrived_at, call);
        let from = facts
            .from
            .as_ref()
            .map(|a| a.as_str().to_string())
            .unwrap_or_default();
        let identification = municipality::identify(
            &municipality::IdentifyInput {
                from_address: &from,
                display_name: facts.from_name.as_deref(),
                subject: &facts.subject,
                texts: docs.iter().map(|d| d.text.as_str()).collect(),
            },
            self.municipalities,
        );
        let texts: Vec<DocText> = docs
            .iter()
            .enumerate()
            .filter(|(_, d)| d.status.has_text() && !d.text.trim().is_empty())
            .map(|(i, d)| DocText {
                index: i,
                text: &d.text,
                page_starts: &d.page_starts,
            })
            .collect();
        let claims = assess::claims::extract_claims(&texts, self.lexicon);
        let criteria = call.criterion_ids();
        let verdicts =
            assess::verdict::verdicts(&claims, self.lexicon, &criteria, &call.principle.id);
        let meets_minimum = assess::verdict::pre_assessment(
            &verdicts,
            call.minimum_criteria,
            &call.principle.id,
            call.require_principle,
        );
        let is_addendum = is_addendum(&facts.subject);
        let mentions =
            assess::organisations::mentions(&texts.iter().map(|t| t.text).collect::<Vec<_>>());
        NominationAnalysis {
            mentions,
            docs,
            roles,
            identification,
            page_finding,
            deadline,
            claims,
            verdicts,
            meets_minimum,
            is_addendum,
        }
    }
}

/// Whether the subject says the mail adds to or corrects an earlier nomination.
fn is_addendum(subject: &str) -> bool {
    let subject = subject.to_lowercase();
    [
        "aanvulling",
        "correctie",
        "gecorrigeerd",
        "nieuwe versie",
        "herziene",
        "aangepaste",
    ]
    .iter()
    .any(|w| subject.contains(w))
}

async fn analyse(
    intake: &App,
    raw: &[u8],
    internal_date: Option<DateTime<Utc>>,
    file_time: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> anyhow::Result<Analysis> {
    let analyser = Analyser::of(intake);
    let facts = analyser.facts(raw)?;
    let (arrived_at, arrival_source) = mail::arrival(internal_date, &facts, file_time, now);
    let class = analyser.classify(&facts);
    let nomination = if class.kind == MailKind::Nomination {
        Some(analyser.nomination(raw, &facts, arrived_at).await)
    } else {
        None
    };
    let answer = if class.kind == MailKind::PartnerReply {
        Some(
            crate::consult::auth::evidence(
                &crate::consult::auth::AuthSettings::of(&intake.cfg.settings.mailbox),
                raw,
            )
            .await,
        )
    } else {
        None
    };
    Ok(Analysis {
        facts,
        arrived_at,
        arrival_source,
        class,
        nomination,
        answer,
    })
}

async fn quarantine(
    intake: &Arc<App>,
    pos: &Position,
    raw: &Arc<Vec<u8>>,
    sha: &str,
    now: DateTime<Utc>,
    reason: &str,
) -> anyhow::Result<Outcome> {
    let reason = crate::clean::text(reason, 2_000);
    // Facts are read again in a task of their own: this path must not fail on the mail itself.
    let facts = {
        let raw = Arc::clone(raw);
        tokio::spawn(async move { mail::facts(&raw) })
            .await
            .unwrap_or_default()
    };
    match record_quarantined(intake, pos, raw, sha, now, &reason, Some(&facts)).await {
        Ok(outcome) => Ok(outcome),
        Err(e) => {
            // Whatever in the facts the database refused, the bare record holds none of it.
            tracing::error!(error = %format!("{e:#}"), "failed to record a quarantined mail with its facts; recording it bare");
            let bare = format!("{reason} (recorded without its headers: {e:#})");
            record_quarantined(intake, pos, raw, sha, now, &bare, None).await
        }
    }
}

/// Writes a quarantined mail: the raw bytes, the reason and, when given, the facts read from it.
async fn record_quarantined(
    intake: &App,
    pos: &Position,
    raw: &[u8],
    sha: &str,
    now: DateTime<Utc>,
    reason: &str,
    facts: Option<&MailFacts>,
) -> anyhow::Result<Outcome> {
    let empty = MailFacts::default();
    let f = facts.unwrap_or(&empty);
    let (arrived_at, src) = mail::arrival(None, f, None, now);
    let mut tx = intake.db.begin().await?;
    let id = store::insert_message(
        &mut tx,
        &NewMessage {
            mailbox: &pos.mailbox,
            uidvalidity: pos.uidvalidity,
            uid: &pos.uid,
            message_id: f.message_id.as_deref(),
            sha256: sha,
            raw: Some(raw),
            size: raw.len() as i64,
            from_address: f.from.as_ref().map(|a| a.as_str()),
            from_name: f.from_name.as_deref(),
            subject: facts.map(|f| f.subject.as_str()),
            date_header: f.date,
            arrived_at,
            arrival_source: src.as_str(),
            kind: MailKind::Other,
            status: MessageStatus::Quarantined,
            reason: Some(reason),
            duplicate_of: None,
            stored_at: now,
        },
    )
    .await?;
    store::event(
        &mut tx,
        now,
        "intake",
        "quarantined",
        None,
        Some(id),
        reason,
    )
    .await?;
    store::mailbox_advance(&mut tx, &pos.mailbox, pos.uidvalidity, &pos.uid, now).await?;
    tx.commit().await?;
    tracing::warn!(message = id, reason, "mail quarantined");
    Ok(Outcome::Quarantined {
        reason: reason.to_string(),
    })
}

async fn commit(
    intake: &App,
    pos: &Position,
    raw: &[u8],
    sha: &str,
    a: &Analysis,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    let f = &a.facts;
    let mut tx = intake.db.begin().await?;
    let original = store::original_of(&mut tx, f.message_id.as_deref(), sha).await?;
    let (status, reason) = match original {
        Some(_) => (
            MessageStatus::Duplicate,
            Some("the same mail was stored before".to_string()),
        ),
        None => (MessageStatus::Processed, a.class.no_reply_reason.clone()),
    };
    let message_id = store::insert_message(
        &mut tx,
        &NewMessage {
            mailbox: &pos.mailbox,
            uidvalidity: pos.uidvalidity,
            uid: &pos.uid,
            message_id: f.message_id.as_deref(),
            sha256: sha,
            raw: Some(raw),
            size: raw.len() as i64,
            from_address: f.from.as_ref().map(|x| x.as_str()),
            from_name: f.from_name.as_deref(),
            subject: Some(&f.subject),
            date_header: f.date,
            arrived_at: a.arrived_at,
            arrival_source: a.arrival_source.as_str(),
            kind: a.class.kind,
            status,
            reason: reason.as_deref(),
            duplicate_of: original,
            stored_at: now,
        },
    )
    .await?;
    store::mailbox_advance(&mut tx, &pos.mailbox, pos.uidvalidity, &pos.uid, now).await?;

    let outcome = if let Some(orig) = original {
        store::event(
            &mut tx,
            now,
            "intake",
            "duplicate",
            None,
            Some(message_id),
            &format!("same as message {orig}"),
        )
        .await?;
        Outcome::Duplicate { original: orig }
    } else {
        match (a.class.kind, &a.nomination) {
            (MailKind::Nomination, Some(n)) => {
                store_nomination(intake, &mut tx, message_id, a, n, now).await?
            }
            (MailKind::PartnerReply, _) => {
                let evidence = a.answer.as_ref();
                crate::consult::record_answer(intake, &mut tx, message_id, f, evidence, now)
                    .await?;
                Outcome::Stored {
                    kind: MailKind::PartnerReply,
                }
            }
            (MailKind::Bounce, _) => {
                link_bounce(&mut tx, message_id, raw, f, now).await?;
                Outcome::Stored {
                    kind: MailKind::Bounce,
                }
            }
            (k, _) => {
                store::event(
                    &mut tx,
                    now,
                    "intake",
                    "stored",
                    None,
                    Some(message_id),
                    k.as_str(),
                )
                .await?;
                Outcome::Stored { kind: k }
            }
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Links a bounce to the letter it returns: by the returned mail's Message-ID (in the
/// threading headers or the quoted headers), else by the recipient the delivery report names
/// (`Final-Recipient`, `Original-Recipient`): the newest letter to that address in the last
/// two weeks.
async fn link_bounce(
    tx: &mut Tx,
    message_id: i64,
    raw: &[u8],
    f: &MailFacts,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let text = String::from_utf8_lossy(&raw[..raw.len().min(512 * 1024)]);
    let mut candidates: Vec<String> = f.in_reply_to.iter().chain(&f.references).cloned().collect();
    let mut recipients: Vec<String> = Vec::new();
    for line in text.lines() {
        let l = line.trim_start();
        if let Some(v) = header_value(l, "message-id:") {
            candidates.extend(crate::clean::message_id(v));
        }
        for name in ["final-recipient:", "original-recipient:"] {
            if let Some(v) = header_value(l, name) {
                let addr = v.rsplit_once(';').map(|(_, a)| a).unwrap_or(v);
                if let Some(a) = crate::domain::EmailAddress::parse(addr) {
                    recipients.push(a.as_str().to_string());
                }
            }
        }
    }
    let reason = f.subject.clone();
    for c in candidates.iter().take(crate::clean::MAX_IDS) {
        let id = format!("<{c}>");
        if let Some(row) = store::outbox_bounced(tx, &id, &reason, now).await? {
            return bounce_event(tx, message_id, &format!("returns outbox row {row}"), now).await;
        }
    }
    let since = now - chrono::Duration::days(14);
    for r in recipients.iter().take(10) {
        if let Some(row) = store::outbox_bounced_to(tx, r, since, &reason, now).await? {
            return bounce_event(
                tx,
                message_id,
                &format!("returns outbox row {row} (by recipient)"),
                now,
            )
            .await;
        }
    }
    bounce_event(tx, message_id, "returned letter not found", now).await
}

/// The value of a header line `name: value` (name compared without case), if `line` is one.
fn header_value<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let head = line.get(..name.len())?;
    head.eq_ignore_ascii_case(name)
        .then(|| line[name.len()..].trim())
}

async fn bounce_event(
    tx: &mut Tx,
    message_id: i64,
    detail: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    store::event(tx, now, "intake", "bounce", None, Some(message_id), detail).await
}

/// Stores a nomination: reads what the plan depends on (the current version, the next
/// reference number), plans every row and letter ([`plan_nomination`], no I/O), then writes
/// the plan ([`write_nomination`]), all in the mail's transaction.
async fn store_nomination(
    intake: &App,
    tx: &mut Tx,
    message_id: i64,
    a: &Analysis,
    n: &NominationAnalysis,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    let sender = sender_of(&a.facts);
    // Versions: the current one of this municipality (or, unidentified, of this sender).
    let previous = match &n.identification.code {
        Some(code) => store::current_submission_for(tx, code).await?,
        None => store::current_submission_from(tx, &sender).await?,
    };
    let seq = store::next_seq(tx).await?;
    let plan = plan_nomination(intake, message_id, a, n, previous.as_ref(), seq, now)?;
    write_nomination(intake, tx, &plan, now).await
}

fn sender_of(f: &MailFacts) -> String {
    f.from
        .as_ref()
        .map(|x| x.as_str().to_string())
        .unwrap_or_default()
}

/// Everything a new nomination writes, decided before any row is written.
struct NominationPlan<'a> {
    reference: Reference,
    message_id: i64,
    /// The current version this one replaces (it stops being current).
    replaces: Option<i64>,
    submission: NewSubmission,
    /// Documents, claims and contacts; their `submission_id` is filled in when written.
    documents: Vec<NewDocument<'a>>,
    claims: Vec<NewClaim<'a>>,
    /// Per criterion: its verdict, the indexes of its evidence in `claims`, the note.
    assessments: Vec<(&'a str, crate::domain::Verdict, Vec<usize>, &'a str)>,
    contacts: Vec<store::contacts::NewContact<'a>>,
    /// The audit event's text.
    event: String,
    /// The confirmation to queue, unless the mail may not be answered.
    confirmation: Option<Outgoing>,
}

/// Plans a new nomination (no I/O): its version against `previous`, its reference from `seq`,
/// the rows of the submission, documents, claims, verdicts and proposed contacts, and the
/// confirmation letter.
fn plan_nomination<'a>(
    intake: &App,
    message_id: i64,
    a: &Analysis,
    n: &'a NominationAnalysis,
    previous: Option<&store::SubmissionRow>,
    seq: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<NominationPlan<'a>> {
    let call = &intake.cfg.call;
    let f = &a.facts;
    let sender = sender_of(f);
    let on_time = n.deadline.on_time;
    let version = plan_version(
        previous,
        &sender,
        n.identification.code.as_deref(),
        on_time,
        n.is_addendum,
        &intake.cfg.settings.municipalities,
    );
    // Reply-To is shown to staff when it differs from From; letters go to From.
    let reply_to = f
        .reply_to
        .as_ref()
        .filter(|r| Some(*r) != f.from.as_ref())
        .map(|r| r.as_str().to_string());
    let reference = Reference::new(&call.reference_prefix, seq);
    let pf = &n.page_finding;
    let submission = NewSubmission {
        reference: reference.to_string(),
        seq,
        call_id: call.id.clone(),
        message_id,
        sender: sender.clone(),
        sender_name: f.from_name.clone(),
        subject: Some(f.subject.clone()),
        municipality_code: n.identification.code.clone(),
        municipality_basis: Some(n.identification.basis.clone()),
        municipality_confidence: Some(n.identification.confidence.as_str().to_string()),
        municipality_flags: serde_json::to_string(&n.identification.flags)?,
        arrived_at: a.arrived_at,
        deadline_at: n.deadline.deadline,
        on_time,
        deadline_diff_secs: n.deadline.diff_secs,
        pages: pf.counted_pages.map(|p| p as i32),
        page_basis: pf.basis.map(|b| b.as_str().to_string()),
        over_by: pf.over_by.map(|p| p as i32),
        page_uncertain: pf.uncertain.map(|u| u.as_str().to_string()),
        non_a4: serde_json::to_string(&pf.non_a4)?,
        page_note: Some(pf.note.clone()),
        version: version.version,
        supersedes: version.supersedes,
        is_current: version.is_current,
        version_note: version.note.clone(),
        meets_minimum: n.meets_minimum,
        created_at: now,
        reply_to,
        other_sender: version.other_sender,
    };
    let documents = n
        .docs
        .iter()
        .zip(&n.roles)
        .enumerate()
        .map(|(i, (d, role))| NewDocument {
            submission_id: None,
            message_id,
            idx: i as i32,
            origin: match d.origin {
                Origin::Body => "body",
                Origin::Attachment => "attachment",
            },
            // Cleaned by the analysis already (safe_name).
            name: d.name.as_deref(),
            path: &d.path,
            format: d.format.as_str(),
            bytes: d.bytes as i64,
            sha256: &d.sha256,
            pages: d.pages.map(|p| p as i32),
            page_basis: d.page_basis.map(|b| b.as_str()),
            paper_w_pt: d.paper.as_ref().map(|p| p.width_pt),
            paper_h_pt: d.paper.as_ref().map(|p| p.height_pt),
            is_a4: d.paper.as_ref().map(|p| p.is_a4()),
            status: d.status.as_str(),
            reason: d.reason.as_deref(),
            text_basis: d.text_basis.as_str(),
            ocr_confidence: d.ocr_confidence.map(f64::from),
            role: role_str(role),
            chars: d.text.chars().count() as i64,
            text: &d.text,
        })
        .collect();
    let claims = n
        .claims
        .iter()
        .map(|c| NewClaim {
            document_idx: c.doc_index as i32,
            criterion: &c.criterion,
            domain: c.domain.as_deref(),
            sentence: &c.sentence,
            page: c.page.map(|p| p as i32),
            byte_offset: c.offset as i64,
            matched_terms: &c.matched_terms,
            strength: c.strength,
            kind: c.kind.as_str(),
        })
        .collect();
    let assessments = n
        .verdicts
        .iter()
        .map(|v| {
            (
                v.criterion.as_str(),
                v.verdict,
                v.evidence.clone(),
                v.note.as_str(),
            )
        })
        .collect();
    let contacts = n
        .mentions
        .iter()
        .map(|m| store::contacts::NewContact {
            submission_id: 0,
            name: &m.name,
            address: None,
            kind: m.kind,
            source: "letter",
            sentence: Some(&m.sentence),
            status: crate::domain::ContactStatus::Proposed,
            created_by: "intake",
            now,
        })
        .collect();
    let event = format!(
        "{reference}: {}, {}, {} pagina's",
        n.identification
            .code
            .as_deref()
            .unwrap_or("gemeente onbekend"),
        if on_time { "op tijd" } else { "te laat" },
        pf.counted_pages
            .map(|p| p.to_string())
            .unwrap_or_else(|| "?".into())
    );
    let confirmation = match (&a.class.no_reply_reason, &f.from) {
        (None, Some(to)) => {
            let previous_ref = previous
                .filter(|_| !version.other_sender)
                .map(|p| p.reference.clone());
            Some(confirmation_letter(
                intake,
                &reference,
                a,
                n,
                to,
                previous_ref,
                &version,
                now,
            )?)
        }
        _ => None,
    };
    Ok(NominationPlan {
        reference,
        message_id,
        replaces: previous.filter(|_| version.replaces_previous).map(|p| p.id),
        submission,
        documents,
        claims,
        assessments,
        contacts,
        event,
        confirmation,
    })
}

/// The confirmation of a nomination. It goes to From (never to a Reply-To alone: anyone can
/// set one); a Reply-To in the sender's own domain gets a copy. It answers the mail in its
/// thread.
#[allow(clippy::too_many_arguments)]
fn confirmation_letter(
    intake: &App,
    reference: &Reference,
    a: &Analysis,
    n: &NominationAnalysis,
    to: &EmailAddress,
    previous_ref: Option<String>,
    version: &VersionPlan,
    now: DateTime<Utc>,
) -> anyhow::Result<Outgoing> {
    let f = &a.facts;
    let cc: Vec<String> = f
        .reply_to
        .iter()
        .filter(|r| *r != to && r.domain() == to.domain() && !intake.letterhead.is_ours(r))
        .map(|r| r.as_str().to_string())
        .collect();
    let mut ctx = confirmation_context(intake, reference, a, n, previous_ref, version.is_current);
    ctx.other_sender = version.other_sender;
    let (text, html) = intake.templates.render("confirmation", &ctx)?;
    let subject = intake
        .templates
        .render_line(&intake.cfg.call.letters.confirmation_subject, &ctx)?;
    let mut references = f
        .references
        .iter()
        .map(|r| format!("<{r}>"))
        .collect::<Vec<_>>();
    let parent = f.message_id.as_ref().map(|m| format!("<{m}>"));
    if let Some(p) = &parent {
        references.push(p.clone());
    }
    Ok(Outgoing {
        cc,
        subject,
        text,
        html,
        message_id: intake
            .letterhead
            .message_id("confirmation", reference.as_str()),
        in_reply_to: parent,
        references,
        automatic: true,
        ..intake.letterhead.letter(to.as_str(), now)
    })
}

/// Writes a planned nomination in `tx`: the previous version stops being current, then the
/// submission, its documents, claims, verdicts, proposed contacts and audit event, and the
/// confirmation is queued (unless the caps on automatic replies hold it back, which is
/// recorded).
async fn write_nomination(
    intake: &App,
    tx: &mut Tx,
    plan: &NominationPlan<'_>,
    now: DateTime<Utc>,
) -> anyhow::Result<Outcome> {
    if let Some(previous) = plan.replaces {
        store::set_current(tx, previous, false).await?;
    }
    let submission_id = store::insert_submission(tx, &plan.submission).await?;
    for d in &plan.documents {
        let d = NewDocument {
            submission_id: Some(submission_id),
            ..d.clone()
        };
        store::insert_document(tx, &d).await?;
    }
    let mut claim_ids = Vec::with_capacity(plan.claims.len());
    for c in &plan.claims {
        claim_ids.push(store::insert_claim(tx, submission_id, c).await?);
    }
    for (criterion, verdict, evidence, note) in &plan.assessments {
        let evidence: Vec<i64> = evidence
            .iter()
            .filter_map(|i| claim_ids.get(*i).copied())
            .collect();
        store::insert_assessment(tx, submission_id, criterion, *verdict, &evidence, note).await?;
    }
    for c in &plan.contacts {
        let c = store::contacts::NewContact {
            submission_id,
            ..c.clone()
        };
        store::contacts::insert_contact(tx, &c).await?;
    }
    let reference = &plan.reference;
    store::event(
        tx,
        now,
        "intake",
        "nomination",
        Some(submission_id),
        Some(plan.message_id),
        &plan.event,
    )
    .await?;
    let mut confirmation = false;
    if let Some(letter) = &plan.confirmation {
        let queued = crate::outbox::queue_reply(
            tx,
            letter,
            &format!("confirmation:{reference}"),
            crate::domain::LetterKind::Confirmation,
            Some(submission_id),
            now,
            intake.outbox.caps,
        )
        .await?;
        match queued {
            crate::outbox::Queued::Added => confirmation = true,
            crate::outbox::Queued::Exists => {}
            crate::outbox::Queued::Capped(why) => {
                tracing::warn!(reference = %reference, "confirmation not sent: cap reached");
                store::event(
                    tx,
                    now,
                    "intake",
                    "no_confirmation",
                    Some(submission_id),
                    Some(plan.message_id),
                    &why,
                )
                .await?;
            }
        }
    }
    let on_time = plan.submission.on_time;
    tracing::info!(reference = %reference, on_time, confirmation, "nomination stored");
    Ok(Outcome::Nomination {
        reference: reference.to_string(),
        confirmation,
    })
}

/// How a new nomination relates to the current one of the same municipality (or sender).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionPlan {
    pub version: i32,
    /// The submission this one follows (id), if any.
    pub supersedes: Option<i64>,
    /// Whether this one becomes the current version.
    pub is_current: bool,
    /// Whether the previous one stops being current.
    pub replaces_previous: bool,
    /// A later version from another sender domain: kept, not current; staff decide.
    pub other_sender: bool,
    /// Dutch note for staff.
    pub note: Option<String>,
}

/// Decides the version of a new nomination (pure). A later mail replaces the current version
/// only when it is on time (or the current one was late too) and it comes from the same sender
/// domain or a domain that speaks for the municipality (`[municipalities]` rules): anyone can
/// write "Aanvulling voordracht gemeente Ede", only Ede can replace Ede's letter. Otherwise it
/// is kept beside the current one and flagged for staff.
pub fn plan_version(
    previous: Option<&store::SubmissionRow>,
    sender: &str,
    municipality: Option<&str>,
    on_time: bool,
    is_addendum: bool,
    rules: &municipality::Rules,
) -> VersionPlan {
    let Some(p) = previous else {
        return VersionPlan {
            version: 1,
            supersedes: None,
            is_current: true,
            replaces_previous: false,
            other_sender: false,
            note: None,
        };
    };
    let domain_of = |a: &str| a.rsplit_once('@').map(|(_, d)| d.to_lowercase());
    let new_domain = domain_of(sender);
    let same_domain = new_domain.is_some() && new_domain == domain_of(&p.sender);
    let speaks_for = match (&new_domain, municipality) {
        (Some(d), Some(code)) => rules.domain_speaks_for(d, code),
        _ => false,
    };
    let base = VersionPlan {
        version: p.version + 1,
        supersedes: Some(p.id),
        is_current: false,
        replaces_previous: false,
        other_sender: false,
        note: None,
    };
    if !(same_domain || speaks_for) {
        return VersionPlan {
            other_sender: true,
            note: Some(format!(
                "nieuwe versie van een ander afzenderdomein ({}) dan {} ({}); {} blijft de geldende versie tot een medewerker beslist",
                new_domain.as_deref().unwrap_or("onbekend"),
                p.reference,
                domain_of(&p.sender).as_deref().unwrap_or("onbekend"),
                p.reference
            )),
            ..base
        };
    }
    if on_time || !p.on_time {
        let note = format!(
            "vervangt {}{}",
            p.reference,
            if is_addendum {
                " (aanvulling of correctie)"
            } else {
                ""
            }
        );
        return VersionPlan {
            is_current: true,
            replaces_previous: true,
            note: Some(note),
            ..base
        };
    }
    VersionPlan {
        note: Some(format!(
            "nieuwe versie na de deadline; {} blijft de geldende versie",
            p.reference
        )),
        ..base
    }
}

/// A file name as it may appear in a letter, the database and a terminal.
fn safe_name(name: &str) -> String {
    crate::clean::line(name, crate::clean::MAX_NAME)
}

fn role_str(r: &pages::Role) -> &'static str {
    match r {
        pages::Role::Letter => "letter",
        pages::Role::SupportLetter => "support_letter",
        pages::Role::Other => "other",
    }
}

/// The Dutch sentence for a document problem, with what the sender can do.
pub fn problem_nl(d: &Document) -> Option<String> {
    Some(
        match d.status {
            // OCR read it (a person checks poorly readable text): nothing to send again.
            Status::Ok | Status::PoorlyReadable => return None,
            Status::ScanWithoutText => {
                "Dit is een scan of foto zonder tekst. Wij kunnen de tekst niet lezen. Wilt u de brief ook sturen als pdf met tekst of als Word-bestand?"
            }
            Status::Protected => {
                "Dit bestand is beveiligd met een wachtwoord. Wij kunnen het niet openen. Wilt u het opnieuw sturen zonder wachtwoord?"
            }
            Status::Unreadable => {
                "Wij kunnen dit bestand niet lezen. Misschien is het beschadigd. Wilt u het opnieuw sturen als pdf of Word-bestand?"
            }
            Status::Unsupported => {
                "Dit soort bestand kunnen wij niet lezen. Wilt u de brief sturen als pdf, Word-bestand of ODT-bestand?"
            }
            Status::TooLarge => "Dit bestand is te groot om te lezen. Wilt u een kleinere pdf sturen?",
        }
        .to_string(),
    )
}

/// The Dutch sentence for a scan or photo whose text was read by OCR (no action needed).
pub fn note_nl(d: &Document) -> Option<String> {
    match d.status {
        Status::PoorlyReadable => Some(
            "Dit is een scan of foto. Wij hebben de tekst gelezen met tekstherkenning. De tekst is niet overal goed leesbaar. Een medewerker van de VNG leest uw brief daarom zelf na. U hoeft niets te doen."
                .to_string(),
        ),
        Status::Ok if d.text_basis.is_ocr() => Some(
            "Dit is een scan of foto. Wij hebben de tekst gelezen met tekstherkenning. U hoeft geen ander bestand te sturen."
                .to_string(),
        ),
        _ => None,
    }
}

fn confirmation_context(
    intake: &App,
    reference: &Reference,
    a: &Analysis,
    n: &NominationAnalysis,
    previous: Option<String>,
    is_current: bool,
) -> ConfirmationContext {
    let call = &intake.cfg.call;
    let tz = call.time_zone;
    let has_attachment_letter = n
        .docs
        .iter()
        .zip(&n.roles)
        .any(|(d, r)| d.origin == Origin::Attachment && matches!(r, pages::Role::Letter));
    let body_only = !has_attachment_letter;
    let documents = n
        .docs
        .iter()
        .zip(&n.roles)
        .filter(|(d, _)| d.origin == Origin::Attachment || body_only)
        .map(|(d, r)| ConfirmationDoc {
            name: d
                .name
                .as_deref()
                .map(safe_name)
                .unwrap_or_else(|| "tekst in de e-mail".into()),
            kind_nl: if d.origin == Origin::Body {
                "tekst in de e-mail".into()
            } else {
                d.format.label_nl().to_string()
            },
            pages_nl: match d.page_basis {
                Some(documents::PageBasis::Exact) | None => letters::pages_nl(d.pages),
                Some(_) => format!("ongeveer {}", letters::pages_nl(d.pages)),
            },
            paper_nl: d.paper.as_ref().map(|p| p.label()),
            counted: matches!(r, pages::Role::Letter),
            support_letter: matches!(r, pages::Role::SupportLetter),
            problem_nl: problem_nl(d),
            note_nl: note_nl(d),
        })
        .collect();
    let municipality = n
        .identification
        .code
        .as_deref()
        .and_then(|c| municipality::Municipalities::embedded().by_code(c))
        .map(|m| format!("Gemeente {}", m.name));
    let pf = &n.page_finding;
    let mut problems = Vec::new();
    if !pf.non_a4.is_empty() {
        problems.push(format!(
            "Uw brief is niet op A4-papier gemaakt ({}). Dat is geen probleem, maar wij tellen de pagina's zoals ze zijn.",
            pf.non_a4.join(", ")
        ));
    }
    ConfirmationContext {
        call_title: call.title.clone(),
        reference: reference.to_string(),
        sender_name: a.facts.from_name.clone(),
        municipality,
        received_nl: letters::dutch_datetime(a.arrived_at, tz),
        deadline_nl: letters::dutch_datetime(n.deadline.deadline, tz),
        on_time: n.deadline.on_time,
        late_by_nl: (!n.deadline.on_time)
            .then(|| assess::deadline::late_by_nl(n.deadline.diff_secs)),
        late_policy: match call.late_policy {
            LatePolicy::Accept => "accept".into(),
            LatePolicy::Reject => "reject".into(),
        },
        documents,
        body_only,
        counted_pages: pf.counted_pages,
        max_pages: call.max_pages,
        over_by: pf.over_by,
        pages_estimated: pf.basis == Some(documents::PageBasis::Estimate),
        pages_uncertain: pf.uncertain.is_some(),
        pages_basis: pf.basis.map(|b| b.as_str().to_string()),
        problems,
        supersedes: previous,
        version_late: !n.deadline.on_time && !is_current,
        other_sender: false,
        decision_expected_nl: call.letters.decision_expected.clone(),
        contact_address: intake.letterhead.address().to_string(),
        signature: call.letters.signature.clone(),
    }
}
