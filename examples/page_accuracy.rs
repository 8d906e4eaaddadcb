//! Measures office page counts against manifests of files with known page counts: the set made
//! by `scripts/make-page-corpus.py` (LibreOffice's rendered count as the truth) and the shared
//! corpus's `MANIFEST.tsv`. A measurement, not a test: it prints, it asserts nothing.
//!
//! Per basis (the text estimate alone, the file's metadata alone, what the intake does without
//! LibreOffice, and the LibreOffice rendering) and per format it counts: files, exact, within
//! ±1 page, the "over the limit" decision right, findings marked uncertain by the page rule
//! (`assess::pages`), and confident wrong answers (a certain finding on the wrong side of the
//! limit).
//!
//! ```sh
//! cargo run --release --example page_accuracy -- [--libreoffice] [--max-pages 2] [--misses] MANIFEST.tsv…
//! ```
//! `scripts/measure-pages.sh` makes the set and runs this on it and on the shared corpus.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use intake::assess::pages::{self, Role};
use intake::documents::{self, Document, LibreOffice, Limits, PageBasis, Status};

struct Case {
    path: PathBuf,
    format: String,
    truth: u32,
}

/// Rows of a manifest with a `path` column and a `pages` column; the format from a `format` or
/// `kind` column. Only office formats.
fn manifest(file: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (Some(path), Some(pages)) = (col("path"), col("pages")) else {
        panic!("{}: needs a path and a pages column", file.display());
    };
    let format = col("format").or(col("kind")).unwrap_or(path);
    let dir = file.parent().unwrap_or(Path::new("."));
    lines
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let truth = cols.get(pages)?.trim().parse().ok()?;
            let format = cols.get(format)?.trim().to_string();
            let file = dir.join(cols.get(path)?);
            matches!(format.as_str(), "doc" | "docx" | "docm" | "odt" | "rtf").then_some(Case {
                path: file,
                format,
                truth,
            })
        })
        .collect()
}

#[derive(Default, Clone, Copy)]
struct Tally {
    n: u32,
    exact: u32,
    within_one: u32,
    decision_right: u32,
    uncertain: u32,
    certain_wrong: u32,
    /// Certain findings (not uncertain) and how many of those decide right.
    certain: u32,
    certain_right: u32,
}

impl Tally {
    fn add(&mut self, got: u32, truth: u32, uncertain: bool, max: u32) {
        self.n += 1;
        self.exact += u32::from(got == truth);
        self.within_one += u32::from(got.abs_diff(truth) <= 1);
        let right = (got > max) == (truth > max);
        self.decision_right += u32::from(right);
        if uncertain {
            self.uncertain += 1;
        } else {
            self.certain += 1;
            self.certain_right += u32::from(right);
            self.certain_wrong += u32::from(!right);
        }
    }

    fn merge(&mut self, o: &Tally) {
        self.n += o.n;
        self.exact += o.exact;
        self.within_one += o.within_one;
        self.decision_right += o.decision_right;
        self.uncertain += o.uncertain;
        self.certain_wrong += o.certain_wrong;
        self.certain += o.certain;
        self.certain_right += o.certain_right;
    }
}

fn pct(a: u32, n: u32) -> String {
    if n == 0 {
        "-".into()
    } else {
        format!("{:.1}%", f64::from(a) * 100.0 / f64::from(n))
    }
}

/// Whether the page finding of this one document as the letter is uncertain.
fn uncertain(doc: &Document, max: u32) -> bool {
    pages::page_finding(std::slice::from_ref(doc), &[Role::Letter], max)
        .uncertain
        .is_some()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (mut lo, mut max, mut misses, mut files) = (false, 2u32, false, Vec::new());
    while let Some(a) = args.next() {
        match a.as_str() {
            "--libreoffice" => lo = true,
            "--misses" => misses = true,
            "--max-pages" => max = args.next().and_then(|v| v.parse().ok()).unwrap_or(2),
            _ => files.push(PathBuf::from(a)),
        }
    }
    if files.is_empty() {
        eprintln!("usage: page_accuracy [--libreoffice] [--max-pages N] [--misses] MANIFEST.tsv…");
        std::process::exit(2);
    }
    // The document worker is the `intake` binary beside this example's folder
    // (target/debug/intake for target/debug/examples/page_accuracy): build it first.
    let worker = std::env::current_exe()
        .ok()
        .and_then(|e| Some(e.parent()?.parent()?.join("intake")))
        .filter(|p| p.is_file());
    let Some(worker) = worker else {
        eprintln!("the intake binary is not built beside this example: cargo build --bin intake");
        std::process::exit(2);
    };
    let without = Limits {
        libreoffice: LibreOffice::Off,
        worker_path: Some(worker),
        ..Limits::default()
    };
    let with = Limits {
        libreoffice: LibreOffice::On,
        ..without.clone()
    };
    let mut table: BTreeMap<(&str, String), Tally> = BTreeMap::new();
    let mut missed = Vec::new();
    for file in &files {
        for case in manifest(file) {
            let Ok(bytes) = std::fs::read(&case.path) else {
                eprintln!("missing: {}", case.path.display());
                continue;
            };
            let name = case
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            let docs = documents::from_file(&name, bytes.clone(), &without).await;
            let Some(doc) = docs.into_iter().next().filter(|d| d.status == Status::Ok) else {
                continue;
            };
            let mut record = |basis: &'static str, d: &Document| {
                if let Some(got) = d.pages {
                    let unsure = uncertain(d, max);
                    table
                        .entry((basis, case.format.clone()))
                        .or_default()
                        .add(got, case.truth, unsure, max);
                    if (got > max) != (case.truth > max) && !unsure {
                        missed.push(format!(
                            "CONFIDENT WRONG {basis}: {} {got} vs {}",
                            case.path.display(),
                            case.truth
                        ));
                    } else if misses && got != case.truth {
                        missed.push(format!(
                            "{basis}: {} {got} vs {}{}",
                            case.path.display(),
                            case.truth,
                            if unsure { " (uncertain)" } else { "" }
                        ));
                    }
                }
            };
            if let Some(est) = doc.page_estimate {
                let alone = Document {
                    pages: Some(est),
                    page_basis: Some(PageBasis::Estimate),
                    ..doc.clone()
                };
                record("1 estimate", &alone);
            }
            if doc.page_basis == Some(PageBasis::Metadata) {
                record("2 metadata", &doc);
            }
            record("3 without LibreOffice", &doc);
            if lo {
                let rendered = documents::from_file(&name, bytes, &with).await;
                if let Some(d) = rendered.first()
                    && d.page_basis == Some(PageBasis::Exact)
                {
                    record("4 LibreOffice", d);
                }
            }
        }
    }
    println!(
        "limit: more than {max} pages is over. uncertain = the page finding says a person checks \
         the length; confident wrong = a certain finding on the wrong side of the limit.\n"
    );
    println!(
        "{:<24} {:<6} {:>5} {:>14} {:>14} {:>16} {:>14} {:>15}",
        "basis",
        "format",
        "files",
        "exact",
        "within ±1",
        "decision right",
        "uncertain",
        "confident wrong"
    );
    let mut totals: BTreeMap<&str, Tally> = BTreeMap::new();
    for ((basis, format), t) in &table {
        totals.entry(basis).or_default().merge(t);
        print_row(basis, format, t);
    }
    println!();
    for (basis, t) in &totals {
        print_row(basis, "all", t);
        println!(
            "{:<24} {:<6} certain findings decide right: {} of {} ({})",
            "",
            "",
            t.certain_right,
            t.certain,
            pct(t.certain_right, t.certain)
        );
    }
    for m in &missed {
        println!("{m}");
    }
}

fn print_row(basis: &str, format: &str, t: &Tally) {
    let cell = |a: u32| format!("{a} ({})", pct(a, t.n));
    println!(
        "{:<24} {:<6} {:>5} {:>14} {:>14} {:>16} {:>14} {:>15}",
        basis,
        format,
        t.n,
        cell(t.exact),
        cell(t.within_one),
        cell(t.decision_right),
        cell(t.uncertain),
        t.certain_wrong
    );
}
