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
        ..Limits::default()
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
    let docs = documents::from_file("bijlagen.zip", bomb, &Limits::default()).await;
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
        ..Limits::default()
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
        ..Limits::default()
    };
    let pdf = std::fs::read(fixtures().join("nomination.pdf")).expect("fixture");
    let docs = documents::from_file("groot.pdf", pdf, &limits).await;
    assert_eq!(docs[0].status, Status::TooLarge);
    assert!(docs[0].text.is_empty());
}

#[tokio::test]
async fn garbage_is_unsupported_with_a_reason_and_empty_input_too() {
    let docs =
        documents::from_file("x.bin", vec![0u8, 1, 2, 3, 200, 201], &Limits::default()).await;
    assert_eq!(docs[0].status, Status::Unsupported);
    assert!(docs[0].reason.is_some());
    let docs = documents::from_mail(b"", &Limits::default()).await;
    assert_eq!(docs[0].origin, Origin::Body);
}
