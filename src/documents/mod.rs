//! Documents: the text, page count and paper size of everything a municipality sends.
//!
//! Owns format detection by content ([`detect`]), unpacking of containers (MIME parts,
//! nested messages, TNEF `winmail.dat`, Outlook `.msg`, ZIP) and the extraction of text,
//! pages and paper size from PDF, DOCX/DOCM, ODT, legacy DOC, RTF, HTML and plain text.
//!
//! Every parser here handles untrusted bytes: each runs under [`Limits`] (bytes, decompressed
//! bytes, archive entries, compression ratio, nesting depth, pages, seconds, characters). A
//! mail's MIME nesting is bounded on its raw bytes before mail-parser sees it
//! ([`mime_depth_exceeds`]). PDF and office files are parsed in a child process with memory
//! and CPU limits that is killed at the deadline ([`worker`]); the rest runs off the async
//! executor, under `catch_unwind`, with a deadline. A file that cannot be read becomes a
//! [`Document`] with a [`Status`] and a specific `reason`; it is never an error of the whole
//! mail. This module must not log or return document text anywhere but in
//! [`Document::text`], and it does not judge the page limit (that is `assess`).

pub mod cli;
mod depth;
mod detect;
mod doc;
mod docx;
mod estimate;
use crate::html;
pub mod libreoffice;
mod message;
mod ocr;
mod odt;
mod pdf;
mod raster;
mod rtf;
mod tnef;
mod unpack;
pub mod worker;
mod xml;

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use sha2::{Digest, Sha256};

pub use crate::html::html_to_text;
pub use depth::mime_depth_exceeds;
pub use detect::detect;
pub use libreoffice::{Isolation, LibreOffice};

/// Resource limits for every parser of untrusted documents (`[documents]` in `config/intake.toml`).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest raw mail (RFC 822 bytes) that is parsed at all; a larger mail yields one
    /// body document with status `too_large`.
    pub max_mail_bytes: u64,
    /// Largest single attachment (after transfer decoding, or after unpacking from a
    /// container); a larger one is reported `too_large` and not parsed.
    pub max_attachment_bytes: u64,
    /// Total bytes that may be decompressed from archives and office containers for one mail
    /// (or one file given to `intake extract`); protects against ZIP bombs.
    pub max_decompressed_bytes: u64,
    /// Most entries read from one ZIP archive (including DOCX/ODT packages).
    pub max_archive_entries: u32,
    /// Largest ratio of uncompressed to compressed size accepted for one ZIP entry.
    pub max_compression_ratio: u32,
    /// Deepest nesting of containers (forwarded message in a ZIP in a `winmail.dat` ...).
    pub max_nesting_depth: u32,
    /// Deepest MIME nesting of one mail (multipart containers and attached messages counted
    /// together; the torture test of the corpus reaches 6), checked on the raw bytes before
    /// the mail is parsed at all; a deeper mail is not parsed and is reported `too_large`.
    pub max_mime_depth: u32,
    /// Most documents taken from one mail; the rest are reported `too_large`.
    pub max_documents: u32,
    /// Pages of one PDF whose text is extracted; the page count itself is always exact.
    pub max_pages: u32,
    /// Characters of text kept per document (body, attachment, file in an archive); the rest
    /// is cut and the document's reason says so. A two-page letter is about 6,000.
    pub max_text_chars: u64,
    /// Characters of text kept per mail, over all its documents in order (body first);
    /// documents past it keep their page count but lose (part of) their text.
    pub max_mail_text_chars: u64,
    /// Seconds one document may take to extract before it is reported `unreadable`; the
    /// document worker running it is killed then.
    pub timeout_secs_per_document: u64,
    /// The executable started as the document worker (`<path> document-worker`), which parses
    /// PDF and office files in a child process under memory and CPU limits. `None`: the
    /// running `intake` binary itself. Tests set it to the built `intake` binary.
    pub worker_path: Option<PathBuf>,
    /// Memory one document worker may use for parsing, in MB (its address space is limited to
    /// this plus 128 MB for its code and stacks); a document that needs more is reported
    /// `unreadable`. Two workers run at a time.
    pub worker_memory_mb: u64,
    /// Largest inline image (bytes) referenced from the HTML body that is treated as a
    /// signature logo and skipped rather than reported as a scan.
    pub max_signature_image_bytes: u64,
    /// Render Word, ODT and RTF files with LibreOffice headless for an exact page count:
    /// `"auto"` (default) when `soffice` is installed, `true` always, `false` never. Without a
    /// rendering the count comes from the file's metadata or an estimate from its text, and the
    /// page finding says when that is too close to the limit to be sure.
    pub libreoffice: LibreOffice,
    /// The `soffice` executable; `None` looks for `soffice` and `libreoffice` on PATH.
    pub libreoffice_path: Option<PathBuf>,
    /// Seconds one LibreOffice rendering may take before the estimate is used instead.
    pub libreoffice_timeout_secs: u64,
    /// How LibreOffice is kept off the network: `"auto"` (a network namespace of its own where
    /// the system allows one, plus profile settings that refuse linked content), `"namespace"`
    /// (not run at all where no namespace can be made) or `"profile"` (the settings alone).
    pub libreoffice_isolation: Isolation,
    /// Read PDF pages without a text layer and images (JPEG, PNG, TIFF, HEIC, ...) with
    /// Tesseract OCR: `auto` when `tesseract` is installed, `off` never. It runs in the
    /// document worker under its limits; a page takes about 2 s of one core.
    pub ocr: OcrMode,
    /// Tesseract language model(s), e.g. `nld` or `nld+eng` (Debian: `tesseract-ocr-nld`).
    pub ocr_language: String,
    /// Resolution (dots per inch) at which PDF pages are rendered for OCR; pages larger than
    /// A3 get less, so that a page image stays within 20 million pixels.
    pub ocr_dpi: u32,
    /// Pages of one document read by OCR (a letter has two); the page count stays exact.
    pub ocr_max_pages: u32,
    /// Tesseract's mean word confidence (percent) below which OCR text is "poorly readable":
    /// it is still used, and staff are asked to check it.
    pub ocr_min_confidence: u32,
    /// The `tesseract` executable; `None` looks for it on PATH.
    pub tesseract_path: Option<PathBuf>,
}

/// Whether scans and photos are read with OCR (`[documents] ocr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OcrMode {
    /// Used when Tesseract is installed.
    #[default]
    Auto,
    /// Never: scans stay "scan without text".
    Off,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_mail_bytes: 60 * 1024 * 1024,
            max_attachment_bytes: 30 * 1024 * 1024,
            max_decompressed_bytes: 200 * 1024 * 1024,
            max_archive_entries: 2000,
            max_compression_ratio: 200,
            max_nesting_depth: 5,
            max_mime_depth: 20,
            max_documents: 100,
            max_pages: 1000,
            max_text_chars: 100_000,
            max_mail_text_chars: 300_000,
            timeout_secs_per_document: 30,
            worker_path: None,
            worker_memory_mb: 256,
            max_signature_image_bytes: 200 * 1024,
            libreoffice: LibreOffice::Auto,
            libreoffice_path: None,
            libreoffice_timeout_secs: 60,
            libreoffice_isolation: Isolation::Auto,
            ocr: OcrMode::Auto,
            ocr_language: "nld".to_string(),
            ocr_dpi: 300,
            ocr_max_pages: 10,
            ocr_min_confidence: 70,
            tesseract_path: None,
        }
    }
}

/// What a document is, decided from its content (never from its name or declared type).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Format {
    Pdf,
    Docx,
    Docm,
    Odt,
    Doc,
    Rtf,
    Html,
    Text,
    Zip,
    Tnef,
    Message,
    Image,
    Other,
}

impl Format {
    /// Stable lowercase name, used in the database and in logs.
    pub fn as_str(&self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Docm => "docm",
            Format::Odt => "odt",
            Format::Doc => "doc",
            Format::Rtf => "rtf",
            Format::Html => "html",
            Format::Text => "text",
            Format::Zip => "zip",
            Format::Tnef => "tnef",
            Format::Message => "message",
            Format::Image => "image",
            Format::Other => "other",
        }
    }

    /// Name of the format for a Dutch reader (confirmation letters).
    pub fn label_nl(&self) -> &'static str {
        match self {
            Format::Pdf => "PDF",
            Format::Docx => "Word-document",
            Format::Docm => "Word-document met macro's",
            Format::Odt => "OpenDocument-tekst",
            Format::Doc => "Word-document (oud formaat)",
            Format::Rtf => "RTF-document",
            Format::Html => "HTML-tekst",
            Format::Text => "platte tekst",
            Format::Zip => "ZIP-archief",
            Format::Tnef => "Outlook-bijlage (winmail.dat)",
            Format::Message => "e-mailbericht",
            Format::Image => "afbeelding",
            Format::Other => "onbekend bestandstype",
        }
    }

    /// Whether this format holds other documents rather than text of its own.
    pub fn is_container(&self) -> bool {
        matches!(self, Format::Zip | Format::Tnef | Format::Message)
    }
}

/// How a page count was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum PageBasis {
    /// Counted from the document's own pages (PDF) or a LibreOffice rendering.
    Exact,
    /// Written into the file by the program that made it (ODT `meta:page-count`, Word statistics).
    Metadata,
    /// Computed from the text with a layout model of an A4 page.
    Estimate,
}

impl PageBasis {
    /// Stable lowercase name.
    pub fn as_str(&self) -> &'static str {
        match self {
            PageBasis::Exact => "exact",
            PageBasis::Metadata => "metadata",
            PageBasis::Estimate => "estimate",
        }
    }
}

/// Outcome of extracting one document.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Status {
    /// Text (possibly empty for a blank document) and pages were read.
    Ok,
    /// Text read by OCR from a scan or photo whose mean word confidence is below
    /// [`Limits::ocr_min_confidence`]: the text is used, and staff are asked to check it.
    PoorlyReadable,
    /// A PDF or image without a text layer (and no text that OCR could read): a scan. The
    /// sender is asked for a text file.
    ScanWithoutText,
    /// Encrypted with a password we do not have.
    Protected,
    /// Corrupt, truncated, hostile or timed out.
    Unreadable,
    /// A format we do not read (WordPerfect, spreadsheets, ...).
    Unsupported,
    /// Over one of the [`Limits`].
    TooLarge,
}

impl Status {
    /// Stable snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::PoorlyReadable => "poorly_readable",
            Status::ScanWithoutText => "scan_without_text",
            Status::Protected => "protected",
            Status::Unreadable => "unreadable",
            Status::Unsupported => "unsupported",
            Status::TooLarge => "too_large",
        }
    }

    /// Whether the document's text can be used (read normally, or by OCR even if poorly).
    pub fn has_text(&self) -> bool {
        matches!(self, Status::Ok | Status::PoorlyReadable)
    }
}

/// Where a document's text came from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum TextBasis {
    /// The document's own characters (text layer, Word/ODT text, mail text).
    #[default]
    Text,
    /// Read by OCR from page images (a scan, a photo).
    Ocr,
    /// Some pages from the text layer, the pages without one read by OCR.
    Mixed,
}

impl TextBasis {
    /// Stable lowercase name, used in the database.
    pub fn as_str(&self) -> &'static str {
        match self {
            TextBasis::Text => "text",
            TextBasis::Ocr => "ocr",
            TextBasis::Mixed => "mixed",
        }
    }

    /// Whether OCR read (part of) the text.
    pub fn is_ocr(&self) -> bool {
        !matches!(self, TextBasis::Text)
    }
}

/// Size of a (first) page in PostScript points, as displayed (after `/Rotate`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Paper {
    pub width_pt: f64,
    pub height_pt: f64,
}

impl Paper {
    /// ISO A4, portrait.
    pub const A4: Paper = Paper {
        width_pt: 595.276,
        height_pt: 841.89,
    };
    /// US Letter, portrait.
    pub const LETTER: Paper = Paper {
        width_pt: 612.0,
        height_pt: 792.0,
    };

    fn matches(&self, other: &Paper) -> bool {
        let close = |a: f64, b: f64| (a - b).abs() <= 3.0;
        (close(self.width_pt, other.width_pt) && close(self.height_pt, other.height_pt))
            || (close(self.width_pt, other.height_pt) && close(self.height_pt, other.width_pt))
    }

    /// A4 within ±3 pt, in either orientation.
    pub fn is_a4(&self) -> bool {
        self.matches(&Paper::A4)
    }

    /// "A4", "Letter" or the size in millimetres, e.g. "216 × 279 mm".
    pub fn label(&self) -> String {
        if self.is_a4() {
            "A4".to_string()
        } else if self.matches(&Paper::LETTER) {
            "Letter".to_string()
        } else {
            let mm = |pt: f64| (pt * 25.4 / 72.0).round() as i64;
            format!("{} × {} mm", mm(self.width_pt), mm(self.height_pt))
        }
    }
}

/// Where in the mail a document was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The text of the mail itself.
    Body,
    /// Any attachment (also inline parts, and documents unpacked from containers).
    Attachment,
}

/// One document of a mail (the body, an attachment, or a file found inside a container).
#[derive(Debug, Clone)]
pub struct Document {
    pub origin: Origin,
    /// File name as sent (decoded); `None` for the body.
    pub name: Option<String>,
    /// Where it was found, e.g. `body`, `brief.pdf`, `bijlagen.zip/brief.docx`.
    pub path: String,
    pub format: Format,
    pub bytes: u64,
    /// Hex SHA-256 of the document's own bytes.
    pub sha256: String,
    /// Extracted text (`""` when none).
    pub text: String,
    /// Byte offsets into `text` where page 2, 3, ... start, where known.
    pub page_starts: Vec<usize>,
    pub pages: Option<u32>,
    pub page_basis: Option<PageBasis>,
    /// Pages estimated from the text, kept beside a count from metadata or a rendering so the
    /// two can be compared; `None` where no estimate was made (PDF, failed documents).
    pub page_estimate: Option<u32>,
    pub paper: Option<Paper>,
    pub status: Status,
    /// Specific reason in plain English when `status` is not `Ok`, or why the text was cut or
    /// OCR did not read every page (then also with `Ok`); never document text.
    pub reason: Option<String>,
    /// Where the text came from: the document's own characters or OCR.
    pub text_basis: TextBasis,
    /// Tesseract's mean word confidence over the words OCR read, in percent (0–100);
    /// `None` when OCR read nothing.
    pub ocr_confidence: Option<f32>,
}

/// What one extractor found; the parts of a [`Document`] that depend on its content (also
/// the answer of the document [`worker`]).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Extracted {
    pub text: String,
    pub page_starts: Vec<usize>,
    pub pages: Option<u32>,
    pub page_basis: Option<PageBasis>,
    /// The text estimate beside a metadata count (see [`Document::page_estimate`]).
    pub page_estimate: Option<u32>,
    pub paper: Option<Paper>,
    pub status: Option<Status>,
    pub reason: Option<String>,
    /// Whether the page count should be estimated from the text when none was found.
    pub estimate_pages: bool,
    /// Where the text came from.
    #[serde(default)]
    pub text_basis: TextBasis,
    /// Mean word confidence of the OCR text, in percent.
    #[serde(default)]
    pub ocr_confidence: Option<f32>,
}

impl Extracted {
    pub(crate) fn failed(status: Status, reason: impl Into<String>) -> Self {
        Extracted {
            status: Some(status),
            reason: Some(reason.into()),
            ..Extracted::default()
        }
    }

    pub(crate) fn text(text: String) -> Self {
        Extracted {
            text,
            estimate_pages: true,
            ..Extracted::default()
        }
    }
}

/// A deadline and text budget shared by the parsers of one document.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub deadline: Instant,
    /// Bytes of text a parser collects: enough for one character more than
    /// [`Limits::max_text_chars`] (the exact cut, with its reason, is made in [`finish`]).
    pub max_text_chars: usize,
}

impl Budget {
    pub(crate) fn new(limits: &Limits) -> Self {
        let bytes = limits.max_text_chars.saturating_add(1).saturating_mul(4);
        Budget {
            deadline: Instant::now() + Duration::from_secs(limits.timeout_secs_per_document.max(1)),
            max_text_chars: usize::try_from(bytes).unwrap_or(usize::MAX),
        }
    }

    pub(crate) fn expired(&self) -> bool {
        Instant::now() >= self.deadline
    }
}

/// A leaf waiting for extraction, produced by [`unpack`].
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub origin: Origin,
    pub name: Option<String>,
    pub path: String,
    pub format: Format,
    pub bytes: Arc<Vec<u8>>,
    /// Already decided (containers, skipped parts, over-limit files): no extraction needed.
    pub preset: Option<Extracted>,
}

/// Parses a raw RFC 822 message and returns its documents: first the body, then every
/// document found in any MIME part, nested message, TNEF or ZIP archive.
pub async fn from_mail(raw: &[u8], limits: &Limits) -> Vec<Document> {
    let raw = raw.to_vec();
    let lim = limits.clone();
    let items = guarded(limits, move || unpack::mail_items(&raw, &lim)).await;
    let items = items.unwrap_or_else(|reason| {
        vec![Item {
            origin: Origin::Body,
            name: None,
            path: "body".to_string(),
            format: Format::Message,
            bytes: Arc::new(Vec::new()),
            preset: Some(Extracted::failed(Status::Unreadable, reason)),
        }]
    });
    extract_items(items, limits).await
}

/// The original bytes of the document of a raw mail found at `path` with this SHA-256 (as
/// [`from_mail`] reported them), for staff to download; `None` when no part matches. The same
/// bounded unpacking as [`from_mail`], without extraction.
pub async fn original(raw: &[u8], path: &str, sha256: &str, limits: &Limits) -> Option<Vec<u8>> {
    let raw = raw.to_vec();
    let lim = limits.clone();
    let items = guarded(limits, move || unpack::mail_items(&raw, &lim))
        .await
        .ok()?;
    items
        .into_iter()
        .filter(|i| i.path == path)
        .map(|i| Arc::unwrap_or_clone(i.bytes))
        .find(|b| hex::encode(Sha256::digest(b)) == sha256)
}

/// Extracts one file given by name and content (for `intake extract FILE`); containers
/// (.eml, .msg, winmail.dat, .zip) yield the container followed by what it holds.
pub async fn from_file(name: &str, bytes: Vec<u8>, limits: &Limits) -> Vec<Document> {
    let lim = limits.clone();
    let owned = name.to_string();
    let items = guarded(limits, move || unpack::file_items(&owned, bytes, &lim)).await;
    let items = items.unwrap_or_else(|reason| {
        vec![Item {
            origin: Origin::Attachment,
            name: Some(name.to_string()),
            path: name.to_string(),
            format: Format::Other,
            bytes: Arc::new(Vec::new()),
            preset: Some(Extracted::failed(Status::Unreadable, reason)),
        }]
    });
    extract_items(items, limits).await
}

/// Extracts one leaf file of a known `format` in this process, without the document worker
/// and its limits, as the worker itself does (for the fuzz targets, which must see the
/// parsers' coverage; panics and hangs are the caller's to catch). The intake never calls it.
pub fn extract_in_process(name: &str, format: Format, bytes: &[u8], limits: &Limits) -> Document {
    let extracted = extract_blocking(format, bytes, limits);
    let path = name.to_string();
    let name = Some(path.clone());
    finish(
        Origin::Attachment,
        name,
        path,
        format,
        bytes,
        extracted,
        limits,
    )
}

/// Extracts the leaves at most two at a time, keeping their order, then holds the mail's
/// text to [`Limits::max_mail_text_chars`].
async fn extract_items(items: Vec<Item>, limits: &Limits) -> Vec<Document> {
    let mut docs: Vec<Document> =
        futures::stream::iter(items.into_iter().map(|item| extract_item(item, limits)))
            .buffered(2)
            .collect()
            .await;
    cap_mail_text(&mut docs, limits);
    docs
}

/// Cuts the text of the documents, in order, once [`Limits::max_mail_text_chars`] characters
/// were kept in all. Page counts stay as they were (they were estimated from the whole text).
fn cap_mail_text(docs: &mut [Document], limits: &Limits) {
    let max_chars = limits.max_mail_text_chars;
    let mut left = max_chars;
    for doc in docs {
        let (cut, kept) = char_cut(&doc.text, left);
        left -= kept;
        if let Some(at) = cut {
            truncate_text(&mut doc.text, &mut doc.page_starts, at);
            // The mail's limit replaces the document's own note: it cut further.
            if let Some(reason) = &doc.reason
                && let Some(before) = reason.strip_suffix(&document_cut_note(limits.max_text_chars))
            {
                let before = before.trim_end_matches("; ").to_string();
                doc.reason = (!before.is_empty()).then_some(before);
            }
            let note = if kept == 0 {
                format!("text not kept: the mail reached its limit of {max_chars} characters")
            } else {
                format!(
                    "text cut after {kept} characters: the mail reached its limit of \
                     {max_chars} characters"
                )
            };
            add_note(&mut doc.reason, note);
        }
    }
}

fn document_cut_note(kept: u64) -> String {
    format!("text cut after {kept} characters (the limit per document)")
}

/// The byte index where `text` must be cut to keep `max_chars` characters (`None`: it fits),
/// and the number of characters kept.
fn char_cut(text: &str, max_chars: u64) -> (Option<usize>, u64) {
    let mut kept = 0u64;
    for (at, _) in text.char_indices() {
        if kept == max_chars {
            return (Some(at), kept);
        }
        kept += 1;
    }
    (None, kept)
}

fn truncate_text(text: &mut String, page_starts: &mut Vec<usize>, at: usize) {
    text.truncate(at);
    page_starts.retain(|&start| start < at);
}

/// Adds `note` to a document's reason (after the reason it already has).
fn add_note(reason: &mut Option<String>, note: String) {
    *reason = Some(match reason.take() {
        Some(first) => format!("{first}; {note}"),
        None => note,
    });
}

async fn extract_item(item: Item, limits: &Limits) -> Document {
    let Item {
        origin,
        name,
        path,
        format,
        bytes,
        preset,
    } = item;
    let extracted = match preset {
        Some(done) => done,
        // Parsers of complex formats, and OCR, run in a worker process under memory and CPU
        // limits.
        None if in_worker(format, limits) => {
            worker::extract(format, Arc::clone(&bytes), limits).await
        }
        None => {
            let lim = limits.clone();
            let data = Arc::clone(&bytes);
            match guarded(limits, move || extract_blocking(format, &data, &lim)).await {
                Ok(done) => done,
                Err(reason) => Extracted::failed(Status::Unreadable, reason),
            }
        }
    };
    let mut extracted = extracted;
    if libreoffice::wanted(limits, format) && extracted.status.is_none() {
        match libreoffice::pages(&bytes, format, limits).await {
            Ok(pages) => {
                extracted.pages = Some(pages);
                extracted.page_basis = Some(PageBasis::Exact);
            }
            Err(libreoffice::Failure::NotInstalled) if limits.libreoffice == LibreOffice::Auto => {}
            Err(why) => tracing::warn!(%why, format = format.as_str(), "no LibreOffice page count"),
        }
    }
    finish(origin, name, path, format, &bytes, extracted, limits)
}

/// Formats whose parsers (lopdf and pdf-extract, ZIP and XML, CFB, RTF) get a worker process:
/// they can run away on hostile input; so do images when OCR is on (Tesseract and Leptonica
/// read them). Text and HTML are read in-process.
fn in_worker(format: Format, limits: &Limits) -> bool {
    match format {
        Format::Pdf | Format::Docx | Format::Docm | Format::Odt | Format::Doc | Format::Rtf => true,
        Format::Image => limits.ocr != OcrMode::Off,
        _ => false,
    }
}

/// Runs `work` on the blocking pool under `catch_unwind` and the per-document deadline.
async fn guarded<T, F>(limits: &Limits, work: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let secs = limits.timeout_secs_per_document.max(1);
    // The parsers check the deadline themselves; this outer limit catches the rest (the
    // thread of a truly stuck parser is abandoned, never waited for).
    let outer = Duration::from_secs(secs) + Duration::from_secs(2);
    let task =
        tokio::task::spawn_blocking(move || std::panic::catch_unwind(AssertUnwindSafe(work)));
    match tokio::time::timeout(outer, task).await {
        Ok(Ok(Ok(value))) => Ok(value),
        Ok(Ok(Err(panic))) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            tracing::warn!(panic = %what.chars().take(200).collect::<String>(), "document parser panicked");
            Err("the file could not be read: the parser failed on its structure".to_string())
        }
        Ok(Err(join)) => Err(format!("the file could not be read: {join}")),
        Err(_) => Err(format!(
            "the file could not be read within the time limit of {secs} s"
        )),
    }
}

/// Extracts one leaf document of a known format (blocking; called under [`guarded`]).
pub(crate) fn extract_blocking(format: Format, bytes: &[u8], limits: &Limits) -> Extracted {
    let budget = Budget::new(limits);
    match format {
        Format::Pdf => pdf::extract(bytes, limits, &budget),
        Format::Docx | Format::Docm => docx::extract(bytes, limits, &budget),
        Format::Odt => odt::extract(bytes, limits, &budget),
        Format::Doc => doc::extract(bytes, limits, &budget),
        Format::Rtf => rtf::extract(bytes, &budget),
        Format::Html => Extracted::text(html::html_to_text(&decode_text(bytes))),
        Format::Text => Extracted::text(decode_text(bytes)),
        Format::Image => ocr::read_image(bytes, limits, &budget),
        Format::Other => Extracted::failed(Status::Unsupported, detect::describe_unknown(bytes)),
        Format::Zip | Format::Tnef | Format::Message => Extracted::default(),
    }
}

/// Turns an extraction into a [`Document`]: status, estimated pages (from the whole text),
/// text cut to [`Limits::max_text_chars`], hash.
fn finish(
    origin: Origin,
    name: Option<String>,
    path: String,
    format: Format,
    bytes: &[u8],
    mut ex: Extracted,
    limits: &Limits,
) -> Document {
    let status = ex.status.unwrap_or(Status::Ok);
    if status == Status::Ok && ex.estimate_pages {
        let paper = ex.paper.unwrap_or(Paper::A4);
        let estimated = if origin == Origin::Body && ex.text.trim().is_empty() {
            0
        } else {
            // RTF estimates with its own layout; plain text and HTML with the defaults.
            ex.page_estimate
                .unwrap_or_else(|| estimate::pages(&ex.text, &paper))
        };
        ex.page_estimate = Some(estimated);
        if ex.pages.is_none() {
            ex.pages = Some(estimated);
            ex.page_basis = Some(PageBasis::Estimate);
        }
    }
    if ex.text.contains('\u{c}') {
        ex.text = ex.text.replace('\u{c}', "\n");
    }
    if ex.pages.is_none() {
        ex.page_basis = None;
    }
    // An OCR reading keeps its notes (pages it did not read) also when it is fine.
    let mut reason = if status == Status::Ok && !ex.text_basis.is_ocr() {
        None
    } else {
        ex.reason
    };
    let ocr_confidence = if ex.text_basis.is_ocr() {
        ex.ocr_confidence
    } else {
        None
    };
    if let (Some(at), kept) = char_cut(&ex.text, limits.max_text_chars) {
        truncate_text(&mut ex.text, &mut ex.page_starts, at);
        add_note(&mut reason, document_cut_note(kept));
    }
    Document {
        origin,
        name,
        path,
        format,
        bytes: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(bytes)),
        text: ex.text,
        page_starts: ex.page_starts,
        pages: ex.pages,
        page_basis: ex.page_basis,
        page_estimate: ex.page_estimate,
        paper: ex.paper,
        status,
        reason,
        text_basis: ex.text_basis,
        ocr_confidence,
    }
}

/// Decodes bytes of unknown encoding as text: UTF-8 (with or without BOM), UTF-16 with BOM,
/// else Windows-1252 (which maps every byte).
pub(crate) fn decode_text(bytes: &[u8]) -> String {
    if let Some((enc, _)) = encoding_rs::Encoding::for_bom(bytes) {
        return enc.decode(bytes).0.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

/// Appends `s` to `out` unless the budget of characters is spent; returns false when full.
pub(crate) fn push_bounded(out: &mut String, s: &str, budget: &Budget) -> bool {
    if out.len() >= budget.max_text_chars {
        return false;
    }
    let room = budget.max_text_chars - out.len();
    if s.len() <= room {
        out.push_str(s);
        true
    } else {
        let mut cut = room;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&s[..cut]);
        false
    }
}

/// One line about a document for `intake extract`: format, pages and basis, paper, characters,
/// status and reason. Never includes the text itself.
pub fn describe(doc: &Document) -> String {
    let pages = match (doc.pages, doc.page_basis) {
        (Some(n), Some(basis)) => format!(
            "{n} page{} ({})",
            if n == 1 { "" } else { "s" },
            basis.as_str()
        ),
        (Some(n), None) => format!("{n} pages"),
        _ => "pages unknown".to_string(),
    };
    let paper = doc
        .paper
        .map(|p| p.label())
        .unwrap_or_else(|| "paper unknown".to_string());
    let chars = doc.text.chars().filter(|c| !c.is_whitespace()).count();
    let ocr = match (doc.text_basis, doc.ocr_confidence) {
        (TextBasis::Text, _) => String::new(),
        (basis, confidence) => format!(
            " ({}, confidence {})",
            if basis == TextBasis::Mixed {
                "partly by OCR"
            } else {
                "by OCR"
            },
            confidence.map_or("unknown".to_string(), |c| format!("{} %", c.round()))
        ),
    };
    let mut line = format!(
        "{}: {} ({}), {}, {}, {} characters{}, {}",
        doc.path,
        doc.format.as_str(),
        doc.format.label_nl(),
        pages,
        paper,
        chars,
        ocr,
        doc.status.as_str()
    );
    if let Some(reason) = &doc.reason {
        line.push_str(": ");
        line.push_str(reason);
    }
    line
}
