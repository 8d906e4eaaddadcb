//! DOCX/DOCM (Office Open XML): text of the body (paragraphs, tables, text boxes), footnotes,
//! endnotes, headers and footers; paper size from the first section's `w:pgSz`; Word's own
//! page statistics (`docProps/app.xml`) as `metadata` when Word wrote them, else an estimate
//! of the body text. Also hosts [`Package`], the bounded ZIP reader shared with ODT.

use std::io::Cursor;

use super::unpack::read_limited;
use super::xml::{Ev, walk};
use super::{Budget, Extracted, Limits, PageBasis, Paper, Status, estimate, push_bounded};

/// An office ZIP package read under the decompression limits.
pub(crate) struct Package<'a> {
    archive: zip::ZipArchive<Cursor<&'a [u8]>>,
    limits: &'a Limits,
    spent: u64,
}

impl<'a> Package<'a> {
    pub(crate) fn open(bytes: &'a [u8], limits: &'a Limits, what: &str) -> Result<Self, Extracted> {
        let archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
            Extracted::failed(
                Status::Unreadable,
                format!("the {what} is damaged (not a complete ZIP package): {e}"),
            )
        })?;
        if archive.len() > limits.max_archive_entries as usize {
            return Err(Extracted::failed(
                Status::TooLarge,
                format!(
                    "the {what} has {} parts, more than the limit",
                    archive.len()
                ),
            ));
        }
        Ok(Package {
            archive,
            limits,
            spent: 0,
        })
    }

    pub(crate) fn names(&self) -> Vec<String> {
        self.archive
            .file_names()
            .filter_map(Result::ok)
            .map(|n| n.into_owned())
            .collect()
    }

    /// The part `name` as text, `Ok(None)` when absent.
    pub(crate) fn text(&mut self, name: &str) -> Result<Option<String>, Extracted> {
        let entry = match self.archive.by_name(name) {
            Ok(e) => e,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => {
                return Err(Extracted::failed(
                    Status::Unreadable,
                    format!("the part {name} cannot be read: {e}"),
                ));
            }
        };
        let data = read_limited(entry, self.limits, &mut self.spent)
            .map_err(|(status, reason)| Extracted::failed(status, reason))?;
        Ok(Some(super::decode_text(&data)))
    }
}

pub(crate) fn extract(bytes: &[u8], limits: &Limits, budget: &Budget) -> Extracted {
    match extract_inner(bytes, limits, budget) {
        Ok(ex) | Err(ex) => ex,
    }
}

fn extract_inner(bytes: &[u8], limits: &Limits, budget: &Budget) -> Result<Extracted, Extracted> {
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(Extracted::failed(
            Status::Protected,
            "the Word document is encrypted with a password",
        ));
    }
    let mut pkg = Package::open(bytes, limits, "Word document")?;
    let Some(document) = pkg.text("word/document.xml")? else {
        return Err(Extracted::failed(
            Status::Unreadable,
            "the Word document has no word/document.xml part",
        ));
    };
    let mut body = String::new();
    let mut paper = None;
    let walked = word_text(&document, budget, &mut body, &mut paper);
    if let Err(reason) = walked
        && body.trim().is_empty()
    {
        return Err(Extracted::failed(
            Status::Unreadable,
            format!("the Word document is damaged: {reason}"),
        ));
    }
    let body = super::rtf::tidy(&body);
    let mut extra = String::new();
    let mut names = pkg.names();
    names.sort();
    let notes = ["word/footnotes.xml", "word/endnotes.xml"];
    let headers: Vec<String> = names
        .iter()
        .filter(|n| {
            (n.starts_with("word/header") || n.starts_with("word/footer")) && n.ends_with(".xml")
        })
        .cloned()
        .collect();
    for part in notes.iter().map(|s| s.to_string()).chain(headers) {
        if let Some(xml) = pkg.text(&part)? {
            let mut t = String::new();
            let _ = word_text(&xml, budget, &mut t, &mut None);
            let t = super::rtf::tidy(&t);
            if !t.is_empty() && !extra.contains(&t) {
                extra.push_str("\n\n");
                extra.push_str(&t);
            }
        }
    }
    let paper_or_a4 = paper.unwrap_or(Paper::A4);
    let estimated = estimate::pages(&body, &paper_or_a4);
    let word_pages = pkg
        .text("docProps/app.xml")?
        .and_then(|app| word_statistics(&app, budget));
    let mut text = body;
    push_bounded(&mut text, &extra, budget);
    let (pages, basis) = match word_pages {
        Some(n) => (n, PageBasis::Metadata),
        None => (estimated, PageBasis::Estimate),
    };
    Ok(Extracted {
        text: text.replace('\u{c}', "\n"),
        pages: Some(pages),
        page_basis: Some(basis),
        page_estimate: Some(estimated),
        paper,
        ..Extracted::default()
    })
}

/// `<Pages>` from `docProps/app.xml`, trusted only when Microsoft Word wrote it (other
/// producers copy a template value or write none).
fn word_statistics(app: &str, budget: &Budget) -> Option<u32> {
    let mut current = String::new();
    let mut application = String::new();
    let mut pages = None;
    walk(app, budget, |ev| match ev {
        Ev::Open { name, .. } => current = name.to_string(),
        Ev::Close { .. } => current.clear(),
        Ev::Text(t) => match current.as_str() {
            "Application" => application.push_str(t),
            "Pages" => pages = t.trim().parse::<u32>().ok(),
            _ => {}
        },
    })
    .ok()?;
    if application.starts_with("Microsoft Office Word")
        || application.starts_with("Microsoft Macintosh Word")
    {
        pages.filter(|&n| n > 0)
    } else {
        None
    }
}

/// Appends the text of one WordprocessingML part; records the first `w:pgSz`.
fn word_text(
    xml: &str,
    budget: &Budget,
    out: &mut String,
    paper: &mut Option<Paper>,
) -> Result<(), String> {
    let mut in_t = false;
    let mut fallback = 0u32;
    let mut in_props = 0u32;
    let mut full = false;
    let result = walk(xml, budget, |ev| {
        if full {
            return;
        }
        match ev {
            Ev::Open { name, tag, empty } => {
                if name == "Fallback" && !empty {
                    fallback += 1;
                }
                if fallback > 0 {
                    return;
                }
                match name {
                    "t" if !empty => in_t = true,
                    "pPr" | "rPr" | "tabs" if !empty => in_props += 1,
                    "tab" if in_props == 0 => out.push('\t'),
                    "br" => out.push(if tag.attr("type") == Some("page") {
                        '\u{c}'
                    } else {
                        '\n'
                    }),
                    "cr" => out.push('\n'),
                    "noBreakHyphen" => out.push('-'),
                    "pgSz" if paper.is_none() => {
                        let w = tag.attr("w").and_then(|v| v.parse::<f64>().ok());
                        let h = tag.attr("h").and_then(|v| v.parse::<f64>().ok());
                        if let (Some(w), Some(h)) = (w, h) {
                            *paper = Some(Paper {
                                width_pt: w / 20.0,
                                height_pt: h / 20.0,
                            });
                        }
                    }
                    _ => {}
                }
            }
            Ev::Close { name } => {
                if name == "Fallback" {
                    fallback = fallback.saturating_sub(1);
                    return;
                }
                if fallback > 0 {
                    return;
                }
                match name {
                    "t" => in_t = false,
                    "pPr" | "rPr" | "tabs" => in_props = in_props.saturating_sub(1),
                    "p" => out.push('\n'),
                    _ => {}
                }
            }
            Ev::Text(t) => {
                if in_t && fallback == 0 && !push_bounded(out, t, budget) {
                    full = true;
                }
            }
        }
    });
    // Without a page size in the document, Word uses Letter or A4 by locale: leave it unknown.
    result
}
