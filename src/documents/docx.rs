//! DOCX/DOCM (Office Open XML): text of the body (paragraphs, tables, text boxes), footnotes,
//! endnotes, headers and footers; paper size from the first section's `w:pgSz`; Word's own
//! page statistics (`docProps/app.xml`) as `metadata` when Word wrote them, else an estimate
//! of the body text. Also hosts [`Package`], the bounded ZIP reader shared with ODT.

// An `Err` here is the document's final outcome (an `Extracted` with its reason), made once per
// file, so its size does not matter.
#![allow(clippy::result_large_err)]

use std::io::Cursor;

use super::estimate::{Layout, LayoutTally, TextProps};
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
    let styles = pkg.text("word/styles.xml")?.unwrap_or_default();
    let theme = pkg.text("word/theme/theme1.xml")?.unwrap_or_default();
    let layout = word_layout(&document, &styles, &theme, budget);
    let estimated = estimate::pages_with(&body, &paper_or_a4, &layout);
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
    // A section that ends in a paragraph (its sectPr in the paragraph's properties) starts the
    // next one on a new page unless it is "continuous": a form feed after that paragraph.
    let (mut in_section, mut section_break, mut page_after) = (false, false, false);
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
                    "sectPr" if in_props > 0 && !empty => {
                        in_section = true;
                        section_break = true;
                    }
                    "type" if in_section && tag.attr("val") == Some("continuous") => {
                        section_break = false;
                    }
                    "pageBreakBefore"
                        if in_props > 0
                            && !matches!(tag.attr("val"), Some("0" | "false" | "off")) =>
                    {
                        out.push('\u{c}');
                    }
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
                    "sectPr" if in_section => {
                        in_section = false;
                        page_after = section_break;
                    }
                    "p" => {
                        out.push('\n');
                        if std::mem::take(&mut page_after) {
                            out.push('\u{c}');
                        }
                    }
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

/// `w:val`-style twips (twentieths of a point) as points.
fn twips(v: Option<&str>) -> Option<f64> {
    v.and_then(|v| v.trim().parse::<f64>().ok())
        .map(|t| t / 20.0)
}

/// The spacing of a `w:spacing` element into `props`: space after, and line spacing as a
/// multiple (`lineRule="auto"`, 240ths of a line) or a fixed height (`exact`, `atLeast`).
fn word_spacing(tag: &super::xml::Tag, props: &mut TextProps) {
    if let Some(after) = twips(tag.attr("after")) {
        props.space_after_pt = Some(after);
    }
    if let Some(line) = tag.attr("line").and_then(|v| v.trim().parse::<f64>().ok()) {
        match tag.attr("lineRule").unwrap_or("auto") {
            "auto" => {
                props.line_spacing = Some(line / 240.0);
                props.line_pt = None;
            }
            _ => {
                props.line_pt = Some(line / 20.0);
                props.line_spacing = None;
            }
        }
    }
}

/// A font of `w:rFonts`: its `ascii` name, or the theme font it points to.
fn word_font(tag: &super::xml::Tag, theme: &(Option<String>, Option<String>)) -> Option<String> {
    if let Some(f) = tag.attr("ascii").or_else(|| tag.attr("hAnsi")) {
        return Some(f.to_string());
    }
    match tag.attr("asciiTheme").or_else(|| tag.attr("hAnsiTheme")) {
        Some(t) if t.starts_with("major") => theme.0.clone(),
        Some(_) => theme.1.clone(),
        None => None,
    }
}

/// The major and minor Latin fonts of a DrawingML theme.
fn theme_fonts(theme: &str, budget: &Budget) -> (Option<String>, Option<String>) {
    let (mut major, mut minor) = (None, None);
    let mut which = 0u8;
    let _ = walk(theme, budget, |ev| match ev {
        Ev::Open { name, tag, .. } => match name {
            "majorFont" => which = 1,
            "minorFont" => which = 2,
            "latin" => {
                let face = tag.attr("typeface").map(str::to_string);
                match which {
                    1 if major.is_none() => major = face,
                    2 if minor.is_none() => minor = face,
                    _ => {}
                }
            }
            _ => {}
        },
        Ev::Close { name } if name == "majorFont" || name == "minorFont" => which = 0,
        _ => {}
    });
    (major, minor)
}

/// Paragraph styles of `styles.xml`: id → (based on, own properties), the document defaults
/// and the default paragraph style.
struct WordStyles {
    styles: Vec<(String, Option<String>, TextProps)>,
    defaults: TextProps,
    default_style: Option<String>,
}

impl WordStyles {
    fn read(styles: &str, theme: &(Option<String>, Option<String>), budget: &Budget) -> Self {
        let mut out = WordStyles {
            styles: Vec::new(),
            defaults: TextProps::default(),
            default_style: None,
        };
        let mut in_defaults = false;
        let mut current: Option<(String, Option<String>, TextProps)> = None;
        let _ = walk(styles, budget, |ev| match ev {
            Ev::Open { name, tag, empty } => match name {
                "docDefaults" if !empty => in_defaults = true,
                "style" if !empty => {
                    if tag.attr("type") == Some("paragraph")
                        && let Some(id) = tag.attr("styleId")
                    {
                        if tag.attr("default").is_some_and(|d| d == "1" || d == "true") {
                            out.default_style = Some(id.to_string());
                        }
                        current = Some((id.to_string(), None, TextProps::default()));
                    }
                }
                _ => {
                    let props = match (&mut current, in_defaults) {
                        (Some((_, based, p)), _) => {
                            if name == "basedOn" {
                                *based = tag.attr("val").map(str::to_string);
                            }
                            p
                        }
                        (None, true) => &mut out.defaults,
                        (None, false) => return,
                    };
                    match name {
                        "sz" => props.font_pt = twips(tag.attr("val")).map(|t| t * 10.0),
                        "rFonts" => {
                            if let Some(f) = word_font(tag, theme) {
                                props.font = Some(f);
                            }
                        }
                        "spacing" => word_spacing(tag, props),
                        _ => {}
                    }
                }
            },
            Ev::Close { name } => match name {
                "docDefaults" => in_defaults = false,
                "style" => {
                    if let Some(done) = current.take() {
                        out.styles.push(done);
                    }
                }
                _ => {}
            },
            Ev::Text(_) => {}
        });
        out
    }

    /// The properties of paragraph style `id` through its `basedOn` chain and the defaults.
    fn props(&self, id: Option<&str>) -> TextProps {
        let mut chain = Vec::new();
        let mut next = id.or(self.default_style.as_deref()).map(str::to_string);
        while let Some(id) = next.take() {
            if chain.len() >= 10 {
                break;
            }
            if let Some((_, based, p)) = self.styles.iter().find(|(s, _, _)| *s == id) {
                chain.push(p.clone());
                next = based.clone();
            }
        }
        chain
            .iter()
            .fold(None::<TextProps>, |acc, p| match acc {
                None => Some(p.clone()),
                Some(a) => Some(a.or(p)),
            })
            .unwrap_or_default()
            .or(&self.defaults)
    }
}

/// The body layout of a WordprocessingML document: the styles and direct formatting of its
/// paragraphs and runs, averaged over their text; margins from the first `w:pgMar`.
fn word_layout(document: &str, styles: &str, theme: &str, budget: &Budget) -> Layout {
    let theme = theme_fonts(theme, budget);
    let styles = WordStyles::read(styles, &theme, budget);
    // One entry per open paragraph (text boxes nest paragraphs in paragraphs).
    struct Para {
        style: Option<String>,
        direct: TextProps,
        runs: Vec<(usize, TextProps)>,
    }
    let mut stack: Vec<Para> = Vec::new();
    let mut tally = LayoutTally::default();
    let mut margins = None;
    let (mut in_ppr, mut in_rpr, mut in_t, mut fallback) = (0u32, 0u32, false, 0u32);
    let (mut rows, mut cells) = (0u32, 0u32);
    let _ = walk(document, budget, |ev| match ev {
        Ev::Open { name, tag, empty } => {
            if name == "Fallback" && !empty {
                fallback += 1;
            }
            if fallback > 0 {
                return;
            }
            match name {
                "p" if !empty => stack.push(Para {
                    style: None,
                    direct: TextProps::default(),
                    runs: Vec::new(),
                }),
                "pPr" if !empty => in_ppr += 1,
                "r" if !empty => {
                    if let Some(p) = stack.last_mut() {
                        p.runs.push((0, TextProps::default()));
                    }
                }
                "rPr" if !empty => in_rpr += 1,
                "t" if !empty => in_t = true,
                "tr" => rows += 1,
                "tc" => cells += 1,
                "pgMar" if margins.is_none() => {
                    let side = |k: &str| twips(tag.attr(k));
                    if let (Some(t), Some(r), Some(b), Some(l)) =
                        (side("top"), side("right"), side("bottom"), side("left"))
                    {
                        margins = Some([t.abs(), r, b.abs(), l]);
                    }
                }
                _ => {
                    let Some(p) = stack.last_mut() else { return };
                    if in_ppr > 0 && in_rpr == 0 {
                        match name {
                            "pStyle" => p.style = tag.attr("val").map(str::to_string),
                            "spacing" => word_spacing(tag, &mut p.direct),
                            _ => {}
                        }
                    } else if in_rpr > 0
                        && in_ppr == 0
                        && let Some((_, run)) = p.runs.last_mut()
                    {
                        match name {
                            "sz" => run.font_pt = twips(tag.attr("val")).map(|t| t * 10.0),
                            "rFonts" => {
                                if let Some(f) = word_font(tag, &theme) {
                                    run.font = Some(f);
                                }
                            }
                            _ => {}
                        }
                    }
                }
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
                "pPr" => in_ppr = in_ppr.saturating_sub(1),
                "rPr" => in_rpr = in_rpr.saturating_sub(1),
                "t" => in_t = false,
                "p" => {
                    if let Some(p) = stack.pop() {
                        let para = p.direct.or(&styles.props(p.style.as_deref()));
                        let chars: usize = p.runs.iter().map(|(n, _)| n).sum();
                        for (n, run) in &p.runs {
                            tally.add(*n, &run.or(&para));
                        }
                        if chars > 0 {
                            tally.paragraph(para.space_after_pt);
                        }
                    }
                }
                _ => {}
            }
        }
        Ev::Text(t) => {
            if in_t
                && fallback == 0
                && let Some((n, _)) = stack.last_mut().and_then(|p| p.runs.last_mut())
            {
                *n += t.chars().count();
            }
        }
    });
    let mut layout = tally.layout(margins);
    layout.table_rows = rows;
    layout.table_cells = cells;
    layout
}
