//! Every file of the real-world corpus goes through the document extraction. By default that is
//! the curated part in `tests/data/corpus` (every file of the external corpus up to 150 KB, with
//! its MANIFEST.tsv and NOTICE); `INTAKE_CORPUS=../shared/corpus` runs the full external corpus
//! (scripts/test.sh does so when it is present). Each file goes: each is extracted or rejected with a specific reason,
//! with no panic and no hang. Prints a table of format × outcome and the page-count accuracy;
//! PDF page counts must equal the manifest's, office estimates must be within ±1 page for
//! at least 90% of the office files the manifest has a page count for.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures::StreamExt;
use intake::documents::{self, Document, LibreOffice, Limits, PageBasis, Status};

/// The fewest files a corpus may have for a run to count (the curated part has 181).
const MIN_ROWS: usize = 150;

pub fn corpus_dir() -> PathBuf {
    match std::env::var_os("INTAKE_CORPUS") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus"),
    }
}

struct Row {
    path: String,
    kind: String,
    notes: String,
    pages: Option<u32>,
    has_text: String,
}

fn manifest(dir: &std::path::Path) -> Vec<Row> {
    let file = dir.join("MANIFEST.tsv");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "the corpus is missing: cannot read {} ({e}). INTAKE_CORPUS must name a folder that \
             holds MANIFEST.tsv (default: tests/data/corpus)",
            file.display()
        )
    });
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let col = |i: usize| cols.get(i).copied().unwrap_or("").to_string();
            Row {
                path: col(0),
                kind: col(4),
                notes: col(5),
                pages: col(6).parse().ok(),
                has_text: col(9),
            }
        })
        .collect()
}

fn corpus_limits() -> Limits {
    Limits {
        timeout_secs_per_document: 10,
        // This test measures the parsers' own page counts; the next one LibreOffice's.
        libreoffice: LibreOffice::Off,
        worker_path: Some(env!("CARGO_BIN_EXE_intake").into()),
        ..Limits::default()
    }
}

async fn run(dir: PathBuf, row: &Row, limits: &Limits) -> (Vec<Document>, Duration) {
    let bytes = std::fs::read(dir.join(&row.path))
        .unwrap_or_else(|e| panic!("cannot read corpus file {}: {e}", row.path));
    let started = Instant::now();
    let docs = match row.kind.as_str() {
        "eml" | "emlx" | "mbox" => documents::from_mail(&bytes, limits).await,
        _ => documents::from_file(&row.path, bytes, limits).await,
    };
    (docs, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_corpus_file_is_extracted_or_rejected_with_a_specific_reason() {
    let dir = corpus_dir();
    let rows = manifest(&dir);
    assert!(
        rows.len() >= MIN_ROWS,
        "MANIFEST.tsv lists {} files, fewer than {MIN_ROWS}",
        rows.len()
    );
    let limits = corpus_limits();
    let started = Instant::now();
    let results: Vec<(Vec<Document>, Duration)> =
        futures::stream::iter(rows.iter().map(|row| run(dir.clone(), row, &limits)))
            .buffered(2)
            .collect()
            .await;

    let mut table: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut pdf_checked = 0;
    let mut pdf_wrong = Vec::new();
    let mut office = Vec::new();
    for (row, (docs, took)) in rows.iter().zip(&results) {
        let Some(first) = docs.first() else {
            problems.push(format!("{}: no document at all", row.path));
            continue;
        };
        let outcome = if matches!(row.kind.as_str(), "eml" | "emlx" | "mbox" | "msg" | "tnef") {
            let attachments = docs.len() - 1;
            let bad = docs.iter().filter(|d| d.status != Status::Ok).count();
            format!(
                "{}{}",
                first.status.as_str(),
                if attachments > 0 {
                    format!(" +{attachments} docs ({bad} findings)")
                } else {
                    String::new()
                }
            )
        } else {
            match &first.reason {
                Some(r) => format!("{}: {r}", first.status.as_str()),
                None => first.status.as_str().to_string(),
            }
        };
        *table
            .entry((row.kind.clone(), first.status.as_str().to_string()))
            .or_default() += 1;
        println!("{:<70} {:>6} ms  {}", row.path, took.as_millis(), outcome);
        for doc in docs {
            if doc.status != Status::Ok && doc.reason.as_deref().is_none_or(|r| r.trim().is_empty())
            {
                problems.push(format!(
                    "{}: {} without a reason",
                    doc.path,
                    doc.status.as_str()
                ));
            }
        }
        if *took > Duration::from_secs(limits.timeout_secs_per_document * 3 + 5) {
            problems.push(format!("{}: took {took:?}", row.path));
        }
        match row.kind.as_str() {
            "pdf" => {
                if row.has_text == "password" && first.status != Status::Protected {
                    problems.push(format!(
                        "{}: needs a password but came out {}",
                        row.path,
                        first.status.as_str()
                    ));
                }
                if let (Some(expected), true) = (row.pages, row.has_text != "password") {
                    pdf_checked += 1;
                    if first.pages != Some(expected) {
                        pdf_wrong.push(format!(
                            "{}: {:?} pages, manifest {expected} ({})",
                            row.path,
                            first.pages,
                            first.status.as_str()
                        ));
                    }
                }
            }
            "doc" | "docx" | "docm" | "odt" | "rtf" => {
                if row.has_text == "password" && first.status != Status::Protected {
                    problems.push(format!(
                        "{}: needs a password but came out {}",
                        row.path,
                        first.status.as_str()
                    ));
                }
                if let (Some(expected), Some(got), Status::Ok) =
                    (row.pages, first.pages, first.status)
                {
                    office.push((row.path.clone(), expected, got, first.page_basis));
                }
            }
            _ => {}
        }
        let _ = &row.notes;
    }

    println!("\nformat × outcome (first document of each file)");
    let kinds: Vec<String> = {
        let mut k: Vec<String> = table.keys().map(|(k, _)| k.clone()).collect();
        k.dedup();
        k
    };
    for kind in kinds {
        let cells: Vec<String> = table
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|((_, s), n)| format!("{s}={n}"))
            .collect();
        println!("  {kind:<6} {}", cells.join("  "));
    }
    let within = office
        .iter()
        .filter(|(_, e, g, _)| (i64::from(*e) - i64::from(*g)).abs() <= 1)
        .count();
    let exact = office.iter().filter(|(_, e, g, _)| e == g).count();
    println!(
        "\noffice page counts: {within}/{} within ±1 page, {exact} equal",
        office.len()
    );
    for (path, expected, got, basis) in &office {
        if expected != got {
            println!(
                "  {path}: {got} ({}) vs manifest {expected}",
                basis.map(|b: PageBasis| b.as_str()).unwrap_or("-")
            );
        }
    }
    println!(
        "PDF page counts: {} of {pdf_checked} differ",
        pdf_wrong.len()
    );
    for w in &pdf_wrong {
        println!("  {w}");
    }
    println!("total time {:?}", started.elapsed());

    assert_eq!(results.len(), rows.len(), "every corpus file must be run");
    assert!(problems.is_empty(), "problems:\n{}", problems.join("\n"));
    assert!(
        pdf_checked > 40,
        "too few PDFs with a page count: {pdf_checked}"
    );
    assert!(
        pdf_wrong.is_empty(),
        "PDF page counts differ:\n{}",
        pdf_wrong.join("\n")
    );
    assert!(
        office.len() >= 30,
        "too few office files compared: {}",
        office.len()
    );
    assert!(
        within * 100 >= office.len() * 90,
        "office page counts within ±1 page for only {within} of {}",
        office.len()
    );
}

/// With LibreOffice enabled (the test command installs `libreoffice-writer-nogui`), Word, ODT
/// and RTF page counts are exact: equal to the manifest's LibreOffice-rendered counts for at
/// least 95 % of the readable office files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_page_counts_are_exact_with_libreoffice_enabled() {
    let soffice = ["soffice", "libreoffice"].iter().any(|b| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {b}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    assert!(
        soffice,
        "LibreOffice is not installed: run scripts/install-test-deps.sh (it installs libreoffice-writer-nogui)"
    );
    let dir = corpus_dir();
    let limits = Limits {
        libreoffice: LibreOffice::On,
        timeout_secs_per_document: 120,
        worker_path: Some(env!("CARGO_BIN_EXE_intake").into()),
        ..Limits::default()
    };
    let rows: Vec<Row> = manifest(&dir)
        .into_iter()
        .filter(|r| {
            matches!(r.kind.as_str(), "doc" | "docx" | "docm" | "odt" | "rtf") && r.pages.is_some()
        })
        .collect();
    let (mut readable, mut exact, mut equal) = (0, 0, 0);
    let mut misses = Vec::new();
    for row in &rows {
        let (docs, _) = run(dir.clone(), row, &limits).await;
        let Some(d) = docs.first() else { continue };
        if d.status != documents::Status::Ok {
            continue;
        }
        readable += 1;
        if d.page_basis == Some(documents::PageBasis::Exact) {
            exact += 1;
        }
        if d.pages == row.pages {
            equal += 1;
        } else {
            misses.push(format!(
                "{}: {:?} vs {:?} ({:?})",
                row.path, d.pages, row.pages, d.page_basis
            ));
        }
    }
    println!(
        "libreoffice: {readable} readable office files, {exact} rendered exactly, {equal} equal to the manifest"
    );
    assert!(
        readable >= 35,
        "expected the corpus's readable office files, ran {readable}"
    );
    assert!(
        exact * 100 >= readable * 95,
        "LibreOffice rendered only {exact} of {readable}: {misses:?}"
    );
    assert!(
        equal * 100 >= readable * 95,
        "only {equal} of {readable} equal: {misses:?}"
    );
}
