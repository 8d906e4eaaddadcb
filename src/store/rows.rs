//! Row types: what the store reads (`…Row`, `FromRow`) and what it writes (`New…`).

use chrono::{DateTime, Utc};

use crate::domain::{LetterKind, MailKind, MessageStatus, OutboxStatus};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailboxStateRow {
    pub mailbox: String,
    pub uidvalidity: i64,
    pub last_uid: Option<String>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    pub alerted_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub mailbox: String,
    pub uidvalidity: i64,
    pub uid: String,
    pub message_id: Option<String>,
    pub sha256: String,
    pub size: i64,
    pub from_address: Option<String>,
    pub from_name: Option<String>,
    pub subject: Option<String>,
    pub date_header: Option<DateTime<Utc>>,
    pub arrived_at: DateTime<Utc>,
    pub arrival_source: String,
    pub kind: MailKind,
    pub status: MessageStatus,
    pub reason: Option<String>,
    pub duplicate_of: Option<i64>,
    pub stored_at: DateTime<Utc>,
    /// When its end state was recorded: the same moment as `stored_at`, since a mail is stored
    /// with its outcome in one transaction (NULL only on rows of older versions).
    pub processed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub mailbox: &'a str,
    pub uidvalidity: i64,
    pub uid: &'a str,
    pub message_id: Option<&'a str>,
    pub sha256: &'a str,
    pub raw: Option<&'a [u8]>,
    pub size: i64,
    pub from_address: Option<&'a str>,
    pub from_name: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub date_header: Option<DateTime<Utc>>,
    pub arrived_at: DateTime<Utc>,
    pub arrival_source: &'a str,
    pub kind: MailKind,
    pub status: MessageStatus,
    pub reason: Option<&'a str>,
    pub duplicate_of: Option<i64>,
    pub stored_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubmissionRow {
    pub id: i64,
    pub reference: String,
    pub seq: i64,
    pub call_id: String,
    pub message_id: i64,
    pub sender: String,
    pub sender_name: Option<String>,
    pub subject: Option<String>,
    pub municipality_code: Option<String>,
    pub municipality_basis: Option<String>,
    pub municipality_confidence: Option<String>,
    /// JSON list of Dutch flag texts.
    pub municipality_flags: String,
    pub municipality_by_staff: bool,
    pub arrived_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
    pub on_time: bool,
    pub deadline_diff_secs: i64,
    pub pages: Option<i32>,
    pub page_basis: Option<String>,
    pub over_by: Option<i32>,
    /// JSON list of non-A4 paper descriptions.
    pub non_a4: String,
    pub page_note: Option<String>,
    /// Why the page count is too unsure to judge the limit on (`near_limit`,
    /// `metadata_disagrees`); `None` when it is sure. Staff see "controleer lengte".
    pub page_uncertain: Option<String>,
    pub version: i32,
    pub supersedes: Option<i64>,
    pub is_current: bool,
    pub version_note: Option<String>,
    pub meets_minimum: bool,
    pub created_at: DateTime<Utc>,
    /// The mail's Reply-To when it differs from From (shown to staff, never answered alone).
    pub reply_to: Option<String>,
    /// A later version from another sender domain than the current one: kept, not current,
    /// until staff decide.
    pub other_sender: bool,
}

impl SubmissionRow {
    pub fn flags(&self) -> Vec<String> {
        serde_json::from_str(&self.municipality_flags).unwrap_or_default()
    }
    pub fn non_a4_list(&self) -> Vec<String> {
        serde_json::from_str(&self.non_a4).unwrap_or_default()
    }
}

#[derive(Debug, Clone)]
pub struct NewSubmission {
    pub reference: String,
    pub seq: i64,
    pub call_id: String,
    pub message_id: i64,
    pub sender: String,
    pub sender_name: Option<String>,
    pub subject: Option<String>,
    pub municipality_code: Option<String>,
    pub municipality_basis: Option<String>,
    pub municipality_confidence: Option<String>,
    pub municipality_flags: String,
    pub arrived_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
    pub on_time: bool,
    pub deadline_diff_secs: i64,
    pub pages: Option<i32>,
    pub page_basis: Option<String>,
    pub over_by: Option<i32>,
    pub non_a4: String,
    pub page_note: Option<String>,
    pub page_uncertain: Option<String>,
    pub version: i32,
    pub supersedes: Option<i64>,
    pub is_current: bool,
    pub version_note: Option<String>,
    pub meets_minimum: bool,
    pub created_at: DateTime<Utc>,
    pub reply_to: Option<String>,
    pub other_sender: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentRow {
    pub id: i64,
    pub submission_id: Option<i64>,
    pub message_id: i64,
    pub idx: i32,
    pub origin: String,
    pub name: Option<String>,
    pub path: String,
    pub format: String,
    pub bytes: i64,
    pub sha256: String,
    pub pages: Option<i32>,
    pub page_basis: Option<String>,
    pub paper_w_pt: Option<f64>,
    pub paper_h_pt: Option<f64>,
    pub is_a4: Option<bool>,
    pub status: String,
    pub reason: Option<String>,
    pub role: String,
    pub chars: i64,
    /// `text`, `ocr` or `mixed` (see `documents::TextBasis`).
    pub text_basis: String,
    /// Tesseract's mean word confidence (percent) of OCR text.
    pub ocr_confidence: Option<f64>,
}

impl DocumentRow {
    /// "tekst via OCR (betrouwbaarheid 91 %)" for a document read (partly) by OCR.
    pub fn ocr_label_nl(&self) -> Option<String> {
        ocr_label_nl(&self.text_basis, self.ocr_confidence)
    }
}

/// "tekst via OCR (betrouwbaarheid 91 %)", "tekst deels via OCR (...)", or `None` for text
/// that was not read by OCR.
pub fn ocr_label_nl(text_basis: &str, confidence: Option<f64>) -> Option<String> {
    let what = match text_basis {
        "ocr" => "tekst via OCR",
        "mixed" => "tekst deels via OCR",
        _ => return None,
    };
    Some(match confidence {
        Some(c) => format!("{what} (betrouwbaarheid {} %)", c.round() as i64),
        None => what.to_string(),
    })
}

#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    pub submission_id: Option<i64>,
    pub message_id: i64,
    pub idx: i32,
    pub origin: &'a str,
    pub name: Option<&'a str>,
    pub path: &'a str,
    pub format: &'a str,
    pub bytes: i64,
    pub sha256: &'a str,
    pub pages: Option<i32>,
    pub page_basis: Option<&'a str>,
    pub paper_w_pt: Option<f64>,
    pub paper_h_pt: Option<f64>,
    pub is_a4: Option<bool>,
    pub status: &'a str,
    pub reason: Option<&'a str>,
    pub text_basis: &'a str,
    pub ocr_confidence: Option<f64>,
    pub role: &'a str,
    pub chars: i64,
    pub text: &'a str,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimRow {
    pub id: i64,
    pub submission_id: i64,
    pub document_idx: i32,
    pub criterion: String,
    pub domain: Option<String>,
    pub sentence: String,
    pub page: Option<i32>,
    pub byte_offset: i64,
    pub matched_terms: String,
    pub strength: f64,
    pub kind: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssessmentRow {
    pub submission_id: i64,
    pub criterion: String,
    pub machine_verdict: crate::domain::Verdict,
    /// JSON list of claim ids.
    pub evidence: String,
    pub note: String,
    pub staff_verdict: Option<crate::domain::Verdict>,
    pub staff_note: Option<String>,
    pub staff_by: Option<String>,
    pub staff_at: Option<DateTime<Utc>>,
}

impl AssessmentRow {
    /// The verdict that counts: the staff override when there is one.
    pub fn effective(&self) -> crate::domain::Verdict {
        self.staff_verdict.unwrap_or(self.machine_verdict)
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub submission_id: Option<i64>,
    pub message_id: Option<i64>,
    pub detail: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub key: String,
    pub kind: LetterKind,
    pub submission_id: Option<i64>,
    pub recipient: String,
    pub sender: String,
    pub subject: String,
    pub message_id: String,
    pub raw: Vec<u8>,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub bounced_at: Option<DateTime<Utc>>,
    pub bounce_reason: Option<String>,
    /// JSON list of copy recipients (also in the envelope).
    pub cc: String,
}

impl OutboxRow {
    /// Every envelope recipient: the addressee and the copies.
    pub fn envelope_recipients(&self) -> Vec<String> {
        let mut all = vec![self.recipient.clone()];
        all.extend(serde_json::from_str::<Vec<String>>(&self.cc).unwrap_or_default());
        all
    }
}

#[derive(Debug, Clone)]
pub struct NewOutbox<'a> {
    pub key: &'a str,
    pub kind: LetterKind,
    pub submission_id: Option<i64>,
    pub recipient: &'a str,
    pub sender: &'a str,
    pub subject: &'a str,
    pub message_id: &'a str,
    pub raw: &'a [u8],
    /// Copy recipients (also in the envelope); usually none.
    pub cc: &'a [String],
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewClaim<'a> {
    pub document_idx: i32,
    pub criterion: &'a str,
    pub domain: Option<&'a str>,
    pub sentence: &'a str,
    pub page: Option<i32>,
    pub byte_offset: i64,
    pub matched_terms: &'a [String],
    pub strength: f64,
    pub kind: &'a str,
}

/// A mail that could not be recorded (see `store::note_mail_failure`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailFailureRow {
    pub mailbox: String,
    pub uidvalidity: i64,
    pub uid: String,
    pub failures: i32,
    pub last_error: Option<String>,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
}
