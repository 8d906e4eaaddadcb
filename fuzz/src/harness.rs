//! The fuzz harness: one function per fuzz target that feeds one input through the library's
//! public stages the way the intake does. Shared, as source, by the cargo-fuzz targets
//! (`fuzz/fuzz_targets/`) and by the replay test of their regressions
//! (`tests/it/fuzz_regressions.rs`), so a regression file is replayed through exactly the code
//! that found it.
//!
//! It uses only the public API of the `intake` library, `tokio`, `zip` and `std` (all of them
//! dependencies of the main package). It never touches a database, the network or the clock
//! (`now` is fixed), and never prints what it reads.

use std::fmt;
use std::io::{Cursor, Write as _};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use intake::assess::{self, claims::DocText, lexicon::Lexicon};
use intake::clean;
use intake::config::Config;
use intake::consult;
use intake::documents::{self, Document, Format, Limits};
use intake::domain::{EmailAddress, MailKind};
use intake::mail;
use intake::pipeline::Analyser;

/// One fuzz target: a stage of the intake that reads untrusted bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// (a) The whole analysis of a raw mail, as `pipeline::analyse` does it, without a database.
    Mail,
    /// (b) The document readers, one target per format the content detector tells apart.
    Pdf,
    Docx,
    Odt,
    Doc,
    Rtf,
    Tnef,
    Zip,
    Html,
    Message,
    /// (c) The partner reply reader and the consultation token finder.
    Reply,
    /// (d) Claims extraction with the shipped lexicon on any UTF-8 text.
    Claims,
}

impl Target {
    /// Every target, in the order `scripts/fuzz.sh` runs them.
    pub const ALL: [Target; 12] = [
        Target::Mail,
        Target::Pdf,
        Target::Docx,
        Target::Odt,
        Target::Doc,
        Target::Rtf,
        Target::Tnef,
        Target::Zip,
        Target::Html,
        Target::Message,
        Target::Reply,
        Target::Claims,
    ];

    /// The name of the cargo-fuzz target and of its regression directory.
    pub fn name(self) -> &'static str {
        match self {
            Target::Mail => "mail",
            Target::Pdf => "document_pdf",
            Target::Docx => "document_docx",
            Target::Odt => "document_odt",
            Target::Doc => "document_doc",
            Target::Rtf => "document_rtf",
            Target::Tnef => "document_tnef",
            Target::Zip => "document_zip",
            Target::Html => "document_html",
            Target::Message => "document_message",
            Target::Reply => "reply",
            Target::Claims => "claims",
        }
    }

    /// The target called `name`, if any.
    pub fn parse(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The formats a document target reads; an input detected as anything else is skipped, so
    /// that each target's corpus stays about its own reader.
    fn formats(self) -> &'static [Format] {
        match self {
            Target::Pdf => &[Format::Pdf],
            Target::Docx => &[Format::Docx, Format::Docm],
            Target::Odt => &[Format::Odt],
            Target::Doc => &[Format::Doc],
            Target::Rtf => &[Format::Rtf],
            Target::Tnef => &[Format::Tnef],
            Target::Zip => &[Format::Zip],
            Target::Html => &[Format::Html],
            Target::Message => &[Format::Message],
            Target::Mail | Target::Reply | Target::Claims => &[],
        }
    }
}

/// Something the intake promises never to do, seen while running one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// A document parser kept running past its deadline: the library gave up waiting for it
    /// and abandoned its thread (the thread still burns a core).
    Hang { path: String, reason: String },
    /// A panic reached a stage boundary: the document boundary (the document is reported
    /// unreadable) or the pipeline's task per mail (the mail is quarantined).
    Panic { message: String },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Hang { path, reason } => write!(f, "hang in document {path}: {reason}"),
            Finding::Panic { message } => write!(f, "panic at a stage boundary: {message}"),
        }
    }
}

/// What one input did, for the caller's statistics (never any text of the input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    /// The input was read by the target's stage.
    Read,
    /// A document target skipped an input detected as another format.
    Skipped,
}

/// Seconds one document may take in the harness: small, so a parser that ignores its budget is
/// seen within libFuzzer's `-timeout` of 20 s (the library waits this plus 2 s, then gives up).
pub const DOCUMENT_TIMEOUT_SECS: u64 = 5;

/// The library, its shipped configuration and a runtime, loaded once.
pub struct Harness {
    runtime: tokio::runtime::Runtime,
    cfg: Config,
    lexicon: Lexicon,
    limits: Limits,
    own: Vec<EmailAddress>,
    now: DateTime<Utc>,
}

impl Harness {
    /// Loads `config/intake.toml` and the call's lexicon from the repository at `root`;
    /// `worker` is the built `intake` binary, started as the document worker for the PDF and
    /// office files found in mails and containers (as the intake does).
    pub fn new(root: &Path, worker: PathBuf) -> Result<Harness, String> {
        let path = root.join("config/intake.toml");
        let cfg = Config::load_with_env(&path, &[])
            .map_err(|e| format!("failed to load {}: {e:?}", path.display()))?;
        let lexicon = Lexicon::load(&cfg.call.lexicon_path)
            .map_err(|e| format!("failed to load the lexicon: {e:#}"))?;
        let own = std::iter::once(&cfg.settings.mailbox.address)
            .chain(&cfg.settings.mailbox.other_addresses)
            .filter_map(|a| EmailAddress::parse(a))
            .collect();
        if !worker.is_file() {
            return Err(format!(
                "the document worker {} does not exist (cargo build --bin intake)",
                worker.display()
            ));
        }
        let limits = fuzz_limits(&cfg.settings.documents, worker);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("failed to start a tokio runtime: {e}"))?;
        // A fixed `now` a week before the deadline: deadline checks stay deterministic.
        let now = Utc
            .timestamp_opt(cfg.call.deadline_utc().timestamp() - 7 * 24 * 3600, 0)
            .single()
            .unwrap_or_else(Utc::now);
        Ok(Harness {
            runtime,
            cfg,
            lexicon,
            limits,
            own,
            now,
        })
    }

    /// Runs one input through `target`'s stage.
    pub fn run(&self, target: Target, data: &[u8]) -> Result<Ran, Finding> {
        match target {
            Target::Mail => self.mail(data),
            Target::Reply => {
                reply(data);
                Ok(Ran::Read)
            }
            Target::Claims => {
                self.claims(data);
                Ok(Ran::Read)
            }
            Target::Docx | Target::Odt => match package(target, data) {
                Some(bytes) => self.document(target, &bytes),
                None => self.document(target, data),
            },
            _ => self.document(target, data),
        }
    }

    /// (a) The whole analysis of a raw mail: the pipeline's own steps ([`Analyser`]), then the
    /// cleaning `store` applies to what it writes. Two differences from the pipeline: the
    /// nomination analysis runs for every kind of mail (the fuzzer need not first learn what a
    /// nomination looks like), and a partner reply is read as `consult::record_answer` reads it.
    /// A panic is caught where the pipeline catches it (its task per mail) and is a finding.
    fn mail(&self, raw: &[u8]) -> Result<Ran, Finding> {
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            self.runtime.block_on(self.analyse(raw))
        }));
        match result {
            Ok(docs) => findings_in(&docs),
            Err(panic) => Err(Finding::Panic {
                message: panic_message(&*panic),
            }),
        }
    }

    async fn analyse(&self, raw: &[u8]) -> Vec<Document> {
        let analyser = Analyser {
            call: &self.cfg.call,
            documents: &self.limits,
            municipalities: &self.cfg.settings.municipalities,
            lexicon: &self.lexicon,
            own_addresses: &self.own,
        };
        // Too deep to open: the pipeline quarantines it with that reason.
        let Ok(facts) = analyser.facts(raw) else {
            return Vec::new();
        };
        let (arrived_at, _source) = mail::arrival(None, &facts, None, self.now);
        let class = analyser.classify(&facts);
        if class.kind == MailKind::PartnerReply {
            let _ = consult::reply::read_reply(facts.text.as_deref(), facts.html.as_deref());
        }
        let found = analyser.nomination(raw, &facts, arrived_at).await;
        for d in &found.docs {
            let _ = clean::storable(&d.text);
            let _ = documents::describe(d);
        }
        for c in &found.claims {
            let _ = clean::storable(&c.sentence);
        }
        found.docs
    }

    /// (b) One document reader. A leaf format the intake parses in its document worker (PDF,
    /// Word, ODT, RTF) is parsed here in this process, as the worker does it, so that the
    /// fuzzer sees the parser's coverage; a panic is a finding, a hang is libFuzzer's timeout.
    /// Containers and HTML go through the public entry point `intake extract FILE` uses
    /// (detection by content, containers unpacked, every leaf extracted under the limits).
    fn document(&self, target: Target, data: &[u8]) -> Result<Ran, Finding> {
        let format = documents::detect(data);
        if !target.formats().contains(&format) {
            return Ok(Ran::Skipped);
        }
        if !format.is_container() && format != Format::Html {
            let read = std::panic::catch_unwind(AssertUnwindSafe(|| {
                documents::extract_in_process(target.name(), format, data, &self.limits)
            }));
            return match read {
                Ok(doc) => {
                    let _ = documents::describe(&doc);
                    findings_in(std::slice::from_ref(&doc))
                }
                Err(panic) => Err(Finding::Panic {
                    message: panic_message(&*panic),
                }),
            };
        }
        let docs = self.runtime.block_on(documents::from_file(
            target.name(),
            data.to_vec(),
            &self.limits,
        ));
        for d in &docs {
            let _ = documents::describe(d);
        }
        findings_in(&docs)
    }

    /// (d) Claims extraction with the shipped lexicon on any text. The input is read as UTF-8
    /// (invalid bytes replaced); form feeds mark page starts, as document readers set them.
    fn claims(&self, data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        let page_starts: Vec<usize> = text.match_indices('\u{c}').map(|(i, _)| i + 1).collect();
        let docs = [DocText {
            index: 0,
            text: &text,
            page_starts: &page_starts,
        }];
        let claims = assess::claims::extract_claims(&docs, &self.lexicon);
        let call = &self.cfg.call;
        let criteria = call.criterion_ids();
        let _ = assess::verdict::verdicts(&claims, &self.lexicon, &criteria, &call.principle.id);
    }
}

/// (c) The partner reply reader and the token finder. The input is split at NUL bytes into
/// recipients (one per line), subject, text body and HTML body; a missing part is `None`.
fn reply(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let recipients: Vec<&str> = parts.next().unwrap_or("").lines().collect();
    let subject = parts.next().unwrap_or("");
    let body = parts.next();
    let html = parts.next();
    let _ = consult::token::find_token(&recipients, subject, body.unwrap_or(""));
    let reading = consult::reply::read_reply(body, html);
    let _ = consult::reply::is_out_of_office(subject, &reading.new_text);
    let _ = consult::reply::truncate_chars(&reading.new_text, 100);
}

/// For the DOCX and ODT targets, an input that is not a ZIP file is the XML of the package's
/// parts (separated by NUL bytes), wrapped here in a fresh, valid package: byte mutations of a
/// deflated, checksummed ZIP almost never reach the XML readers, mutations of the XML do.
fn package(target: Target, data: &[u8]) -> Option<Vec<u8>> {
    if data.starts_with(b"PK") {
        return None;
    }
    let names: &[&str] = match target {
        Target::Docx => &[
            "word/document.xml",
            "docProps/app.xml",
            "word/footnotes.xml",
            "word/header1.xml",
            "[Content_Types].xml",
        ],
        Target::Odt => &[
            "content.xml",
            "styles.xml",
            "meta.xml",
            "META-INF/manifest.xml",
        ],
        _ => return None,
    };
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    if target == Target::Odt {
        zip.start_file("mimetype", stored).ok()?;
        zip.write_all(b"application/vnd.oasis.opendocument.text")
            .ok()?;
    }
    for (name, part) in names.iter().zip(data.split(|&b| b == 0)) {
        zip.start_file(*name, stored).ok()?;
        zip.write_all(part).ok()?;
    }
    zip.finish().ok().map(Cursor::into_inner)
}

/// The limits of `[documents]`, made small enough that one input stays well within
/// libFuzzer's per-input timeout and memory limit.
fn fuzz_limits(shipped: &Limits, worker: PathBuf) -> Limits {
    Limits {
        max_attachment_bytes: shipped.max_attachment_bytes.min(4 * 1024 * 1024),
        max_decompressed_bytes: shipped.max_decompressed_bytes.min(32 * 1024 * 1024),
        max_archive_entries: shipped.max_archive_entries.min(200),
        max_documents: shipped.max_documents.min(6),
        max_pages: shipped.max_pages.min(50),
        max_text_chars: shipped.max_text_chars.min(400_000),
        timeout_secs_per_document: DOCUMENT_TIMEOUT_SECS,
        libreoffice: documents::LibreOffice::Off,
        // Tesseract would take seconds per input; OCR output is plain text the other targets read.
        ocr: documents::OcrMode::Off,
        worker_path: Some(worker),
        ..shipped.clone()
    }
}

/// A document whose parser panicked (caught by the library, which words it "the parser failed
/// on its structure") or outlived the library's outer time limit (worded "within the time limit
/// of N s"; a parser that honours its budget says so without the "of").
fn findings_in(docs: &[Document]) -> Result<Ran, Finding> {
    for d in docs {
        let reason = d.reason.clone().unwrap_or_default();
        if reason.contains("the parser failed on its structure") {
            return Err(Finding::Panic {
                message: format!("caught by the document boundary in {}", d.path),
            });
        }
        if reason.contains("within the time limit of ") {
            return Err(Finding::Hang {
                path: d.path.clone(),
                reason,
            });
        }
    }
    Ok(Ran::Read)
}

/// The message of a caught panic.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}
