//! Page counts and how sure they are.
//!
//! - The curated measurement fixtures (`tests/fixtures/pages/`, a subset of what
//!   `scripts/make-page-corpus.py` makes; LibreOffice's rendered count is the truth in their
//!   MANIFEST.tsv): without LibreOffice every finding is either right or marked uncertain (golden
//!   table of count, basis, estimate and certainty); with LibreOffice every count is exact.
//! - LibreOffice renders a document that links an `http://127.0.0.1:PORT/` image without
//!   connecting to it, in a network namespace and with the profile settings alone.
//! - A count too close to the limit gets a confirmation that promises a check by a person, and
//!   staff see "controleer lengte"; with LibreOffice the same letter is counted and judged.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use intake::assess::pages::{self, Role, Uncertainty};
use intake::documents::{self, Isolation, LibreOffice, Limits, PageBasis, Status};
use intake::letters::{ConfirmationContext, ConfirmationDoc, Templates};
use intake::store;

use crate::helpers::{TestApp, root};

const MAX_PAGES: u32 = 2;

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/pages")
}

struct Fixture {
    file: String,
    truth: u32,
}

fn manifest() -> Vec<Fixture> {
    let text = std::fs::read_to_string(fixtures().join("MANIFEST.tsv"))
        .expect("tests/fixtures/pages/MANIFEST.tsv");
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            Some(Fixture {
                file: cols.first()?.to_string(),
                truth: cols.get(2)?.parse().ok()?,
            })
        })
        .collect()
}

fn limits(libreoffice: LibreOffice) -> Limits {
    Limits {
        libreoffice,
        libreoffice_timeout_secs: 120,
        ..crate::documents::limits()
    }
}

async fn extract(file: &str, limits: &Limits) -> documents::Document {
    let bytes = std::fs::read(fixtures().join(file)).expect("fixture");
    let docs = documents::from_file(file, bytes, limits).await;
    let doc = docs.into_iter().next().expect("one document");
    assert_eq!(doc.status, Status::Ok, "{file}: {:?}", doc.reason);
    doc
}

/// Compares `actual` with the golden file `name` in tests/fixtures/pages, writing
/// `name.failed` beside it on a mismatch.
fn golden(name: &str, actual: &str) {
    let path = fixtures().join(name);
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    let failed = PathBuf::from(format!("{}.failed", path.display()));
    if expected != actual {
        std::fs::write(&failed, actual).expect("write .failed");
        panic!(
            "{} differs from its golden file; see {}",
            path.display(),
            failed.display()
        );
    }
    let _ = std::fs::remove_file(failed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_libreoffice_every_fixture_is_right_or_marked_uncertain() {
    let fixtures = manifest();
    assert!(
        fixtures.len() >= 28,
        "expected the curated fixtures, found {}",
        fixtures.len()
    );
    let off = limits(LibreOffice::Off);
    let mut table = String::new();
    let mut confident_wrong = Vec::new();
    let (mut estimated, mut metadata, mut disagreeing) = (0, 0, 0);
    for f in &fixtures {
        let doc = extract(&f.file, &off).await;
        let finding = pages::page_finding(std::slice::from_ref(&doc), &[Role::Letter], MAX_PAGES);
        let got = finding.counted_pages.expect("a page count");
        let basis = finding.basis.expect("a basis");
        assert_ne!(basis, PageBasis::Exact, "{}: LibreOffice is off", f.file);
        estimated += usize::from(basis == PageBasis::Estimate);
        metadata += usize::from(basis == PageBasis::Metadata);
        disagreeing += usize::from(matches!(
            finding.uncertain,
            Some(Uncertainty::MetadataDisagrees { .. })
        ));
        let certainty = match finding.uncertain {
            None => "certain".to_string(),
            Some(u) => format!("uncertain ({})", u.as_str()),
        };
        table.push_str(&format!(
            "{}\ttruth {}\t{} {}\testimate {}\t{}\n",
            f.file,
            f.truth,
            basis.as_str(),
            got,
            doc.page_estimate
                .map(|e| e.to_string())
                .unwrap_or_else(|| "-".into()),
            certainty
        ));
        if finding.uncertain.is_none() && (got > MAX_PAGES) != (f.truth > MAX_PAGES) {
            confident_wrong.push(format!("{}: {got} pages, truth {}", f.file, f.truth));
        }
    }
    golden("without-libreoffice.expected", &table);
    assert!(
        estimated >= 10 && metadata >= 6 && disagreeing >= 1,
        "every basis is exercised: {estimated} estimated, {metadata} metadata, \
         {disagreeing} metadata contradicted by the text"
    );
    assert!(
        confident_wrong.is_empty(),
        "certain findings on the wrong side of the limit:\n{}",
        confident_wrong.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_libreoffice_every_fixture_is_counted_exactly_and_judged_with_certainty() {
    let on = limits(LibreOffice::On);
    let mut wrong = Vec::new();
    let fixtures = manifest();
    for f in &fixtures {
        let doc = extract(&f.file, &on).await;
        let finding = pages::page_finding(std::slice::from_ref(&doc), &[Role::Letter], MAX_PAGES);
        if doc.page_basis != Some(PageBasis::Exact)
            || doc.pages != Some(f.truth)
            || finding.uncertain.is_some()
        {
            wrong.push(format!(
                "{}: {:?} ({:?}), truth {}, {:?}",
                f.file, doc.pages, doc.page_basis, f.truth, finding.uncertain
            ));
        }
    }
    assert!(fixtures.len() >= 28, "ran {} fixtures", fixtures.len());
    assert!(wrong.is_empty(), "not exact:\n{}", wrong.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// LibreOffice without network.

/// Counts TCP connections to a listener on 127.0.0.1 (port from [`Listener::port`]).
struct Listener {
    port: u16,
    seen: Arc<AtomicUsize>,
}

impl Listener {
    fn start() -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("local addr").port();
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                counter.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        Listener { port, seen }
    }

    fn connections(&self) -> usize {
        self.seen.load(Ordering::SeqCst)
    }
}

/// An ODT whose only picture is linked (not embedded) from `url`.
fn odt_linking(url: &str) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.2">
<office:body><office:text>
<text:p>Geachte selectiecommissie, hierbij onze aanmelding met ons logo.</text:p>
<text:p><draw:frame draw:name="logo" text:anchor-type="as-char" svg:width="5cm" svg:height="5cm"><draw:image xlink:href="{url}" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/></draw:frame></text:p>
</office:text></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"#;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).expect("zip");
    zip.write_all(b"application/vnd.oasis.opendocument.text")
        .expect("zip");
    for (name, data) in [
        ("content.xml", content.as_str()),
        ("META-INF/manifest.xml", manifest),
    ] {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("zip");
        zip.write_all(data.as_bytes()).expect("zip");
    }
    zip.finish().expect("zip");
    out.into_inner()
}

/// Plain `soffice --convert-to pdf` with a fresh profile and none of the intake's protections.
async fn unprotected_soffice(odt: &[u8], dir: &Path) {
    let input = dir.join("linked.odt");
    std::fs::write(&input, odt).expect("write odt");
    let status = tokio::process::Command::new("soffice")
        .arg("--headless")
        .arg("--norestore")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            dir.join("profile").display()
        ))
        .arg("--convert-to")
        .arg("pdf")
        .arg("--outdir")
        .arg(dir)
        .arg(&input)
        .env("HOME", dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .status()
        .await
        .expect("soffice runs (scripts/install-test-deps.sh installs libreoffice-writer-nogui)");
    assert!(status.success(), "unprotected soffice: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libreoffice_renders_an_odt_with_a_linked_http_image_without_any_connection() {
    let listener = Listener::start();
    // The listener counts: one connection of our own.
    drop(std::net::TcpStream::connect(("127.0.0.1", listener.port)).expect("connect"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while listener.connections() < 1 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(listener.connections(), 1, "the listener sees connections");

    let odt = odt_linking(&format!("http://127.0.0.1:{}/logo.png", listener.port));
    // Control: LibreOffice as such does fetch the image, so a silent listener below means the
    // protections held, not that the document links nothing.
    let dir = tempfile::tempdir().expect("temp dir");
    unprotected_soffice(&odt, dir.path()).await;
    let fetched = listener.connections() - 1;
    assert!(
        fetched >= 1,
        "an unprotected LibreOffice should have fetched the linked image (it made {fetched} connections)"
    );

    assert!(
        documents::libreoffice::has_namespace().await,
        "this system cannot make a network namespace for LibreOffice (unshare --net); the tests \
         run as root, where it can"
    );
    for isolation in [Isolation::Namespace, Isolation::Profile, Isolation::Auto] {
        let before = listener.connections();
        let lim = Limits {
            libreoffice_isolation: isolation,
            ..limits(LibreOffice::On)
        };
        let docs = documents::from_file("aanmelding.odt", odt.clone(), &lim).await;
        let doc = docs.first().expect("a document");
        assert_eq!(
            (doc.pages, doc.page_basis),
            (Some(1), Some(PageBasis::Exact)),
            "{isolation:?}: LibreOffice rendered the document"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert_eq!(
            listener.connections(),
            before,
            "{isolation:?}: LibreOffice connected to the linked image's URL"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The confirmation and what staff see.

fn context(pages_basis: &str) -> ConfirmationContext {
    ConfirmationContext {
        call_title: "Koplopers VN-Verdrag Handicap".into(),
        reference: "KVN-0042".into(),
        sender_name: Some("Jan Jansen".into()),
        municipality: Some("Gemeente Tilburg".into()),
        received_nl: "14 maart 2018 om 10.12 uur".into(),
        deadline_nl: "21 maart 2018 om 23.59 uur".into(),
        on_time: true,
        late_by_nl: None,
        late_policy: "accept".into(),
        documents: vec![ConfirmationDoc {
            name: "Aanmelding Tilburg.docx".into(),
            kind_nl: "Word-document".into(),
            pages_nl: "ongeveer 3 pagina's".into(),
            paper_nl: Some("A4".into()),
            counted: true,
            support_letter: false,
            problem_nl: None,
            note_nl: None,
        }],
        body_only: false,
        counted_pages: Some(3),
        max_pages: 2,
        over_by: Some(1),
        pages_estimated: pages_basis == "estimate",
        pages_uncertain: true,
        pages_basis: Some(pages_basis.into()),
        problems: vec![],
        supersedes: None,
        version_late: false,
        other_sender: false,
        decision_expected_nl: "mei 2018".into(),
        contact_address: "koplopers@vng.nl".into(),
        signature: "Vereniging van Nederlandse Gemeenten".into(),
    }
}

#[tokio::test]
async fn a_count_too_close_to_the_limit_gets_a_letter_that_promises_a_check_not_a_verdict() {
    let templates = Templates::load(&root().join("config/templates")).expect("templates");
    let (text, html) = templates
        .render("confirmation", &context("estimate"))
        .expect("render");
    golden("confirmation-uncertain.txt.expected", &text);
    for (what, letter) in [("text", &text), ("html", &html)] {
        assert!(
            letter.contains("Een medewerker van de VNG controleert daarom de lengte."),
            "{what}: {letter}"
        );
        // (The HTML escapes the apostrophe of "pagina's".)
        assert!(
            letter.contains("ongeveer 3 pagina"),
            "{what}: says it is about 3"
        );
        for verdict in ["te lang", "Dat is in orde", "Alles is in orde"] {
            assert!(
                !letter.contains(verdict),
                "{what}: no verdict on a guess ({verdict:?})"
            );
        }
    }
    let (text, _) = templates
        .render("confirmation", &context("metadata"))
        .expect("render");
    assert!(
        text.contains("Het aantal staat in het bestand zelf"),
        "{text}"
    );
    // The same count, certain: judged.
    let mut certain = context("exact");
    certain.pages_uncertain = false;
    certain.documents[0].pages_nl = "3 pagina's".into();
    let (text, _) = templates.render("confirmation", &certain).expect("render");
    assert!(text.contains("1 pagina te lang"), "{text}");
    assert!(!text.contains("controleert daarom de lengte"), "{text}");
}

/// A nomination mail from Tilburg with one attachment, received on 14 March 2018.
fn mail_with(name: &str, content_type: &str, bytes: &[u8]) -> Vec<u8> {
    let mail = intake::letters::Outgoing {
        from_name: "Jan Jansen".into(),
        from_address: "j.jansen@tilburg.nl".into(),
        to: "koplopers@vng.nl".into(),
        subject: "Aanmelding Koplopers VN-Verdrag Handicap gemeente Tilburg".into(),
        text: "Geachte heer, mevrouw,\n\nIn de bijlage vindt u de aanmelding van de gemeente \
               Tilburg.\n\nMet vriendelijke groet,\nJan Jansen\n"
            .into(),
        html: "<p>Geachte heer, mevrouw,</p><p>In de bijlage vindt u de aanmelding van de \
               gemeente Tilburg.</p>"
            .into(),
        message_id: "<pages-test@tilburg.nl>".into(),
        attachments: vec![intake::letters::OutAttachment {
            name: name.into(),
            content_type: content_type.into(),
            bytes: bytes.to_vec(),
        }],
        ..Default::default()
    };
    let mut raw = b"Received: from mail.tilburg.nl (mail.tilburg.nl [198.51.100.20])\r\n\
                    \tby mx1.vng.nl (Postfix) with ESMTPS id 4P1\r\n\
                    \tfor <koplopers@vng.nl>; Wed, 14 Mar 2018 10:12:03 +0100\r\n"
        .to_vec();
    raw.extend(intake::letters::build(&mail).expect("build the mail"));
    raw
}

async fn submit_docx(extra: &[(&str, &str)]) -> (TestApp, store::SubmissionRow, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("intake.db").display());
    let app = TestApp::with(dir, &url, extra).await;
    // letter-002.docx: LibreOffice renders 3 pages; the estimate from its text says 2 or 3.
    let docx = std::fs::read(fixtures().join("letter-002.docx")).expect("fixture");
    app.deliver(
        "tilburg.eml",
        &mail_with(
            "Aanmelding Tilburg.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            &docx,
        ),
    );
    app.run_once().await;
    let subs = store::submissions(&app.intake.db)
        .await
        .expect("submissions");
    assert_eq!(subs.len(), 1, "one nomination");
    let sub = subs.into_iter().next().expect("one");
    let letter = app.letter_text(&sub.reference);
    (app, sub, letter)
}

#[tokio::test]
async fn a_word_letter_near_the_limit_without_libreoffice_is_checked_by_a_person_not_judged() {
    let (app, sub, letter) = submit_docx(&[("INTAKE__DOCUMENTS__LIBREOFFICE", "false")]).await;
    assert_eq!(sub.page_basis.as_deref(), Some("estimate"));
    assert_eq!(sub.page_uncertain.as_deref(), Some("near_limit"));
    assert!(
        sub.page_note
            .as_deref()
            .is_some_and(|n| n.contains("controleer lengte")),
        "{:?}",
        sub.page_note
    );
    assert!(
        letter.contains("Een medewerker van de VNG controleert daarom de lengte."),
        "{letter}"
    );
    assert!(
        !letter.contains("te lang") && !letter.contains("Dat is in orde"),
        "{letter}"
    );
    let snap = intake::digest::collect::Snapshot::load(&app.intake.db)
        .await
        .expect("snapshot");
    let row = intake::digest::collect::nomination_row(&app.intake.cfg.call, &snap, &sub);
    assert!(row.page_check && !row.over_limit);
    assert!(
        row.problems
            .iter()
            .any(|p| p.starts_with("controleer lengte")),
        "{:?}",
        row.problems
    );
}

#[tokio::test]
async fn the_same_word_letter_with_libreoffice_is_counted_and_judged() {
    let (_app, sub, letter) = submit_docx(&[]).await;
    assert_eq!(sub.page_basis.as_deref(), Some("exact"));
    assert_eq!((sub.pages, sub.over_by), (Some(3), Some(1)));
    assert_eq!(sub.page_uncertain, None);
    assert!(letter.contains("1 pagina te lang"), "{letter}");
    assert!(!letter.contains("controleert daarom de lengte"), "{letter}");
}
