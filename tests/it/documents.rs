//! Document extraction against golden files and limits.
//!
//! Every file in `tests/fixtures/documents/` (made by `generate.py` there from one nomination
//! letter of ../shared/nominations-dev, in every format, with Dutch diacritics) has its
//! expected output checked in as `<file>.expected`: one `describe` line per document and its
//! text. A mismatch writes `<file>.failed` beside it.

use std::io::Write;
use std::path::{Path, PathBuf};

use intake::documents::{self, Document, Format, LibreOffice, Limits, Origin, PageBasis, Status};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/documents")
}

/// The default limits, with the built `intake` as document worker (this test binary is not one).
pub fn limits() -> Limits {
    Limits {
        worker_path: Some(env!("CARGO_BIN_EXE_intake").into()),
        ..Limits::default()
    }
}

async fn extract(path: &Path) -> Vec<Document> {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The parsers' own page counts (metadata, estimate), not a LibreOffice rendering.
    let limits = Limits {
        libreoffice: LibreOffice::Off,
        ..limits()
    };
    if name.ends_with(".eml") {
        documents::from_mail(&bytes, &limits).await
    } else {
        documents::from_file(&name, bytes, &limits).await
    }
}

fn render(docs: &[Document]) -> String {
    let mut out = String::new();
    for doc in docs {
        out.push_str(&documents::describe(doc));
        out.push_str(&format!("\nsha256 {}\n", doc.sha256));
        out.push_str(&doc.text);
        out.push_str("\n----\n");
    }
    out
}

#[tokio::test]
async fn every_fixture_matches_its_golden_text() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("tests/fixtures/documents exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            !matches!(ext, "expected" | "failed" | "py")
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "expected at least 10 fixtures, found {}",
        files.len()
    );
    let mut mismatches = Vec::new();
    for file in &files {
        let got = render(&extract(file).await);
        let expected_path = PathBuf::from(format!("{}.expected", file.display()));
        let failed_path = PathBuf::from(format!("{}.failed", file.display()));
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got == expected {
            let _ = std::fs::remove_file(&failed_path);
        } else {
            let mut f = std::fs::File::create(&failed_path).expect("can write a .failed file");
            f.write_all(got.as_bytes())
                .expect("can write a .failed file");
            mismatches.push(file.display().to_string());
        }
    }
    assert!(
        mismatches.is_empty(),
        "output differs from the golden file (see the .failed files): {mismatches:?}"
    );
}

#[tokio::test]
async fn the_letter_keeps_its_dutch_diacritics_in_every_format() {
    for name in [
        "nomination.pdf",
        "nomination.docx",
        "nomination.odt",
        "nomination.rtf",
        "nomination.html",
        "nomination.txt",
    ] {
        let docs = extract(&fixtures().join(name)).await;
        let doc = &docs[0];
        assert_eq!(doc.status, Status::Ok, "{name}: {:?}", doc.reason);
        for word in [
            "Coëxistentie",
            "één café",
            "ĳsbaan",
            "Toegankelijkheidsgroep Texel",
        ] {
            assert!(doc.text.contains(word), "{name} lacks {word:?}");
        }
    }
}

#[tokio::test]
async fn the_pdf_letter_is_one_exact_a4_page() {
    let docs = extract(&fixtures().join("nomination.pdf")).await;
    let doc = &docs[0];
    assert_eq!(doc.format, Format::Pdf);
    assert_eq!(doc.pages, Some(1));
    assert_eq!(doc.page_basis, Some(PageBasis::Exact));
    assert!(doc.paper.is_some_and(|p| p.is_a4()), "{:?}", doc.paper);
    assert_eq!(doc.paper.map(|p| p.label()).as_deref(), Some("A4"));
}

#[tokio::test]
async fn office_letters_are_estimated_at_one_or_two_a4_pages() {
    for name in ["nomination.docx", "nomination.odt", "nomination.rtf"] {
        let docs = extract(&fixtures().join(name)).await;
        let doc = &docs[0];
        assert!(matches!(doc.pages, Some(1..=2)), "{name}: {:?}", doc.pages);
        assert!(
            doc.paper.is_some_and(|p| p.is_a4()),
            "{name}: {:?}",
            doc.paper
        );
    }
}

#[tokio::test]
async fn a_mail_yields_its_body_then_inline_pdf_and_zipped_docx_but_not_the_logo() {
    let docs = extract(&fixtures().join("nomination.eml")).await;
    let summary: Vec<(Origin, Format, &str)> = docs
        .iter()
        .map(|d| (d.origin, d.format, d.path.as_str()))
        .collect();
    assert_eq!(docs[0].origin, Origin::Body);
    assert!(docs[0].text.contains("Hierbij onze aanmelding"));
    assert!(
        docs.iter().all(|d| d.format != Format::Image),
        "{summary:?}"
    );
    let pdf = docs
        .iter()
        .find(|d| d.format == Format::Pdf)
        .expect("the inline PDF");
    assert_eq!(
        pdf.name.as_deref(),
        Some("Aanmelding Texel – coëxistentie.pdf")
    );
    let docx = docs
        .iter()
        .find(|d| d.format == Format::Docx)
        .expect("the DOCX in the ZIP");
    assert_eq!(docx.path, "bijlagen.zip/bijlagen/aanmelding-texel.docx");
    assert_eq!(docx.status, Status::Ok);
}

#[tokio::test]
async fn a_forwarded_mail_is_opened_with_its_attachments() {
    let docs = extract(&fixtures().join("forwarded.eml")).await;
    assert!(docs.iter().any(|d| d.format == Format::Message));
    assert!(
        docs.iter()
            .any(|d| d.format == Format::Pdf && d.status == Status::Ok)
    );
    assert!(
        docs.iter()
            .any(|d| d.format == Format::Docx && d.status == Status::Ok)
    );
}

#[tokio::test]
async fn a_winmail_dat_yields_its_word_and_pdf_attachments() {
    let docs = extract(&fixtures().join("winmail.dat")).await;
    assert_eq!(docs[0].format, Format::Tnef);
    assert!(
        docs.iter()
            .any(|d| d.format == Format::Doc && d.status == Status::Ok)
    );
    assert!(
        docs.iter()
            .any(|d| d.format == Format::Pdf && d.status == Status::Ok)
    );
}

fn zip_of(name: &str, data: &[u8]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file(name, opts).expect("zip entry");
        z.write_all(data).expect("zip data");
        z.finish().expect("zip finish");
    }
    buf.into_inner()
}

#[tokio::test]
async fn a_zip_bomb_is_rejected_as_too_large() {
    let bomb = zip_of("brief.txt", &vec![b'a'; 20 * 1024 * 1024]);
    let docs = documents::from_file("bijlagen.zip", bomb, &limits()).await;
    assert_eq!(docs[0].format, Format::Zip);
    assert_eq!(docs[0].status, Status::TooLarge, "{:?}", docs[0].reason);
    assert!(
        docs[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("ZIP bomb"))
    );
}

#[tokio::test]
async fn containers_nested_too_deep_are_not_opened() {
    let mut data = b"Geachte heer, een brief.".to_vec();
    for i in 0..8 {
        data = zip_of(&format!("laag-{i}.zip"), &data);
    }
    let limits = Limits {
        max_nesting_depth: 3,
        ..limits()
    };
    let docs = documents::from_file("diep.zip", data, &limits).await;
    let deepest = docs.last().expect("some documents");
    assert_eq!(deepest.status, Status::TooLarge);
    assert!(
        deepest
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("nested"))
    );
    assert!(docs.len() <= 4, "{} documents", docs.len());
}

#[tokio::test]
async fn an_oversized_attachment_is_reported_not_parsed() {
    let limits = Limits {
        max_attachment_bytes: 1000,
        ..limits()
    };
    let pdf = std::fs::read(fixtures().join("nomination.pdf")).expect("fixture");
    let docs = documents::from_file("groot.pdf", pdf, &limits).await;
    assert_eq!(docs[0].status, Status::TooLarge);
    assert!(docs[0].text.is_empty());
}

#[tokio::test]
async fn garbage_is_unsupported_with_a_reason_and_empty_input_too() {
    let docs = documents::from_file("x.bin", vec![0u8, 1, 2, 3, 200, 201], &limits()).await;
    assert_eq!(docs[0].status, Status::Unsupported);
    assert!(docs[0].reason.is_some());
    let docs = documents::from_mail(b"", &limits()).await;
    assert_eq!(docs[0].origin, Origin::Body);
}

#[tokio::test]
async fn a_mail_nested_fifty_thousand_deep_is_a_finding_and_is_never_parsed() {
    let raw = crate::hostile::deeply_nested_mail(50_000);
    assert!(raw.len() > 1_500_000);
    assert!(documents::mime_depth_exceeds(&raw, 20));
    let docs = documents::from_mail(&raw, &limits()).await;
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].origin, Origin::Body);
    assert_eq!(docs[0].status, Status::TooLarge);
    assert_eq!(
        docs[0].reason.as_deref(),
        Some(
            "the mail is nested more than 20 levels deep (multipart parts and attached \
             messages): it was not opened"
        )
    );
}

#[tokio::test]
async fn a_deeply_nested_mail_inside_a_zip_is_a_finding_and_the_rest_is_read() {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("doorgestuurd.eml", opts).expect("zip entry");
        z.write_all(&crate::hostile::deeply_nested_mail(50_000))
            .expect("zip data");
        z.start_file("brief.txt", opts).expect("zip entry");
        z.write_all("Geachte heer, één brief.".as_bytes())
            .expect("zip data");
        z.finish().expect("zip finish");
    }
    let docs = documents::from_file("bijlagen.zip", buf.into_inner(), &limits()).await;
    let eml = docs
        .iter()
        .find(|d| d.path == "bijlagen.zip/doorgestuurd.eml")
        .expect("the nested mail");
    assert_eq!(eml.status, Status::TooLarge, "{:?}", eml.reason);
    assert!(
        eml.reason
            .as_deref()
            .is_some_and(|r| r.contains("nested more than 20"))
    );
    let txt = docs
        .iter()
        .find(|d| d.path == "bijlagen.zip/brief.txt")
        .expect("the letter");
    assert_eq!(txt.text, "Geachte heer, één brief.");
}

use crate::corpus::corpus_dir;

/// Deepest level of mail-parser's own tree (multiparts and attached messages), each part
/// visited once (mail-parser can list a multipart among its own children).
fn parsed_depth(msg: &mail_parser::Message<'_>) -> usize {
    use mail_parser::PartType;
    let mut deepest = 0;
    let mut seen = std::collections::HashSet::new();
    let mut todo = vec![(msg, 0usize, 0usize)];
    while let Some((m, part, level)) = todo.pop() {
        if !seen.insert((std::ptr::from_ref(m) as usize, part)) {
            continue;
        }
        deepest = deepest.max(level);
        match m.parts.get(part).map(|p| &p.body) {
            Some(PartType::Multipart(children)) => {
                todo.extend(children.iter().map(|&c| (m, c as usize, level + 1)));
            }
            Some(PartType::Message(inner)) => todo.push((inner, 0, level + 1)),
            _ => {}
        }
    }
    deepest
}

#[test]
fn every_corpus_and_fixture_mail_is_within_the_depth_limit_and_measured_as_deep_as_parsed() {
    let mut files: Vec<PathBuf> = Vec::new();
    let corpus = corpus_dir();
    let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv"))
        .unwrap_or_else(|e| panic!("the corpus is missing ({e}); see tests/data/corpus/NOTICE"));
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if matches!(cols.get(4), Some(&("eml" | "emlx" | "mbox"))) {
            files.push(corpus.join(cols[0]));
        }
    }
    for dir in [
        "tests/fixtures/documents",
        "tests/fixtures/mail",
        "examples/mailbox/new",
    ] {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !name.starts_with('.') && !name.ends_with(".expected") && !name.ends_with(".py") {
                if dir.ends_with("documents") && !name.ends_with(".eml") {
                    continue;
                }
                files.push(path);
            }
        }
    }
    assert!(files.len() >= 70, "only {} mails found", files.len());
    let mut deepest = 0;
    for file in &files {
        let raw = std::fs::read(file).expect("readable");
        let depth = mail_parser::MessageParser::default()
            .parse(&raw[..])
            .map(|m| parsed_depth(&m))
            .unwrap_or(0);
        deepest = deepest.max(depth);
        assert!(
            !documents::mime_depth_exceeds(&raw, 20),
            "{} is within the default limit",
            file.display()
        );
        // The walk sees at least mail-parser's own depth (it may count one more for a
        // container mail-parser opens and leaves empty).
        if depth > 0 {
            assert!(
                documents::mime_depth_exceeds(&raw, depth - 1),
                "{}: measured shallower than mail-parser's tree ({depth})",
                file.display()
            );
        }
        assert!(
            !documents::mime_depth_exceeds(&raw, depth + 1),
            "{}: measured deeper than {} (mail-parser: {depth})",
            file.display(),
            depth + 1
        );
    }
    println!("{} mails, deepest {deepest}", files.len());
    assert!(deepest >= 6, "the torture test reaches 6 levels");
}

#[tokio::test]
async fn a_pdf_that_inflates_to_gigabytes_is_unreadable_for_using_too_much_memory() {
    let bomb = crate::hostile::memory_bomb_pdf();
    let docs = documents::from_file("bom.pdf", bomb, &limits()).await;
    assert_eq!(docs[0].format, Format::Pdf);
    assert_eq!(docs[0].status, Status::Unreadable);
    assert_eq!(
        docs[0].reason.as_deref(),
        Some("the PDF could not be read: it used more than 256 MB memory")
    );
}

#[tokio::test]
async fn a_pdf_that_keeps_a_core_busy_is_unreadable_for_taking_too_long() {
    let limits = Limits {
        timeout_secs_per_document: 2,
        ..limits()
    };
    let docs =
        documents::from_file("draaien.pdf", crate::hostile::cpu_spinner_pdf(), &limits).await;
    assert_eq!(docs[0].status, Status::Unreadable);
    assert_eq!(
        docs[0].reason.as_deref(),
        Some("the PDF could not be read: it took longer than 2 s")
    );
    // The fixture letter still reads with the same limits: one bad file costs one worker.
    let pdf = std::fs::read(fixtures().join("nomination.pdf")).expect("fixture");
    let docs = documents::from_file("brief.pdf", pdf, &limits).await;
    assert_eq!(docs[0].status, Status::Ok, "{:?}", docs[0].reason);
}

fn script(dir: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("worker.sh");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

#[tokio::test]
async fn a_worker_that_crashes_or_is_no_intake_makes_the_document_unreadable_not_the_mail() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pdf = std::fs::read(fixtures().join("nomination.pdf")).expect("fixture");
    let crashing = Limits {
        worker_path: Some(script(dir.path(), "cat >/dev/null; kill -SEGV $$")),
        ..limits()
    };
    let docs = documents::from_file("brief.pdf", pdf.clone(), &crashing).await;
    assert_eq!(docs[0].status, Status::Unreadable);
    assert_eq!(
        docs[0].reason.as_deref(),
        Some("the PDF could not be read: the reader crashed")
    );
    let silent = Limits {
        worker_path: Some(PathBuf::from("/bin/true")),
        ..limits()
    };
    let docs = documents::from_file("brief.pdf", pdf.clone(), &silent).await;
    assert_eq!(docs[0].status, Status::Unreadable);
    assert_eq!(
        docs[0].reason.as_deref(),
        Some("the PDF could not be read: the document reader is not working")
    );
    let missing = Limits {
        worker_path: Some(dir.path().join("no-such-intake")),
        ..limits()
    };
    let docs = documents::from_file("brief.pdf", pdf, &missing).await;
    assert_eq!(docs[0].status, Status::Unreadable);
}

#[tokio::test]
async fn text_is_cut_per_document_and_per_mail_with_the_reason_and_pages_from_the_whole_text() {
    let paragraph = "De gemeente betrekt ervaringsdeskundigen bij elk besluit. ";
    let long = |chars: usize| -> String { paragraph.repeat(chars / paragraph.len() + 1) };
    let body = long(150_000);
    let file = long(80_000);
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for i in 0..4 {
            z.start_file(format!("tekst-{i}.txt"), opts)
                .expect("zip entry");
            z.write_all(file.as_bytes()).expect("zip data");
        }
        z.finish().expect("zip finish");
    }
    let zip = buf.into_inner();
    let mut b64 = String::new();
    {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for chunk in zip.chunks(57) {
            for three in chunk.chunks(3) {
                let v = (u32::from(three[0]) << 16)
                    | (u32::from(*three.get(1).unwrap_or(&0)) << 8)
                    | u32::from(*three.get(2).unwrap_or(&0));
                for i in 0..4 {
                    b64.push(if i <= three.len() {
                        T[((v >> (18 - 6 * i)) & 63) as usize] as char
                    } else {
                        '='
                    });
                }
            }
            b64.push_str("\r\n");
        }
    }
    let raw = format!(
        "From: a@example.nl\r\nSubject: lang\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n--b\r\n\
         Content-Type: application/zip; name=t.zip\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {b64}--b--\r\n"
    );
    let docs = documents::from_mail(raw.as_bytes(), &limits()).await;
    let chars = |d: &Document| d.text.chars().count();
    let texts: Vec<&Document> = docs.iter().filter(|d| d.format == Format::Text).collect();
    assert_eq!(texts.len(), 5, "body and four files");
    assert_eq!(chars(texts[0]), 100_000);
    assert_eq!(
        texts[0].reason.as_deref(),
        Some("text cut after 100000 characters (the limit per document)")
    );
    assert_eq!(texts[0].status, Status::Ok);
    assert!(
        texts[0].pages.is_some_and(|p| p > 20),
        "{:?}",
        texts[0].pages
    );
    assert_eq!(chars(texts[1]), file.chars().count());
    assert_eq!(texts[1].reason, None);
    assert_eq!(chars(texts[2]), file.chars().count());
    let left = 300_000 - 100_000 - 2 * file.chars().count();
    assert_eq!(chars(texts[3]), left);
    assert_eq!(
        texts[3].reason.as_deref(),
        Some(
            format!(
                "text cut after {left} characters: the mail reached its limit of 300000 characters"
            )
            .as_str()
        )
    );
    assert_eq!(chars(texts[4]), 0);
    assert_eq!(
        texts[4].reason.as_deref(),
        Some("text not kept: the mail reached its limit of 300000 characters")
    );
    // Its page count is still that of the whole file.
    assert_eq!(texts[4].pages, texts[1].pages);
    let total: usize = docs.iter().map(chars).sum();
    assert_eq!(total, 300_000);
}

#[tokio::test]
async fn a_pdf_longer_than_the_text_limit_keeps_its_exact_pages_and_says_the_text_was_cut() {
    let limits = Limits {
        max_text_chars: 500,
        ..limits()
    };
    let pdf = std::fs::read(fixtures().join("nomination.pdf")).expect("fixture");
    let docs = documents::from_file("brief.pdf", pdf, &limits).await;
    assert_eq!(docs[0].status, Status::Ok);
    assert_eq!(docs[0].text.chars().count(), 500);
    assert_eq!(docs[0].pages, Some(1));
    assert_eq!(docs[0].page_basis, Some(PageBasis::Exact));
    assert_eq!(
        docs[0].reason.as_deref(),
        Some("text cut after 500 characters (the limit per document)")
    );
}
