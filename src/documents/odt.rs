//! ODT (OpenDocument text): text from `content.xml` (plus header/footer text of the master
//! pages in `styles.xml`), page count from `meta.xml` (`meta:page-count`, metadata) or from
//! LibreOffice's soft page breaks, paper size from the page layout of the first master page.
//! An encrypted package (manifest `encryption-data`) is `Protected`.

// An `Err` here is the document's final outcome (an `Extracted` with its reason), made once per
// file, so its size does not matter.
#![allow(clippy::result_large_err)]

use super::docx::Package;
use super::estimate::{Layout, LayoutTally, TextProps, length_pt};
use super::xml::{Ev, walk};
use super::{Budget, Extracted, Limits, PageBasis, Paper, Status, estimate, push_bounded};

pub(crate) fn extract(bytes: &[u8], limits: &Limits, budget: &Budget) -> Extracted {
    match extract_inner(bytes, limits, budget) {
        Ok(ex) | Err(ex) => ex,
    }
}

fn extract_inner(bytes: &[u8], limits: &Limits, budget: &Budget) -> Result<Extracted, Extracted> {
    let mut pkg = Package::open(bytes, limits, "OpenDocument file")?;
    if let Some(manifest) = pkg.text("META-INF/manifest.xml")?
        && manifest.contains("encryption-data")
    {
        return Err(Extracted::failed(
            Status::Protected,
            "the OpenDocument file is encrypted with a password",
        ));
    }
    let Some(content) = pkg.text("content.xml")? else {
        return Err(Extracted::failed(
            Status::Unreadable,
            "the OpenDocument file has no content.xml part",
        ));
    };
    let mut body = String::new();
    let mut soft_breaks = 0u32;
    if let Err(reason) = odf_text(&content, budget, &mut body, &mut soft_breaks, false)
        && body.trim().is_empty()
    {
        return Err(Extracted::failed(
            Status::Unreadable,
            format!("the OpenDocument file is damaged: {reason}"),
        ));
    }
    let body = super::rtf::tidy(&body);
    let styles = pkg.text("styles.xml")?.unwrap_or_default();
    let (paper, margins) = page_size(&styles, budget);
    let mut header_footer = String::new();
    let _ = odf_text(&styles, budget, &mut header_footer, &mut 0, true);
    let header_footer = super::rtf::tidy(&header_footer);
    let meta_pages = pkg
        .text("meta.xml")?
        .and_then(|m| meta_page_count(&m, budget));
    let layout = odf_layout(&styles, &content, margins, budget);
    let estimated = estimate::pages_with(&body, &paper.unwrap_or(Paper::A4), &layout);
    let (pages, basis) = match meta_pages {
        Some(n) => (n, PageBasis::Metadata),
        None if soft_breaks > 0 => (soft_breaks + 1, PageBasis::Metadata),
        None => (estimated, PageBasis::Estimate),
    };
    let mut text = body;
    if !header_footer.is_empty() {
        push_bounded(&mut text, "\n\n", budget);
        push_bounded(&mut text, &header_footer, budget);
    }
    Ok(Extracted {
        text,
        pages: Some(pages),
        page_basis: Some(basis),
        page_estimate: Some(estimated),
        paper,
        ..Extracted::default()
    })
}

/// Appends the text of `content.xml`, or with `only_master` the header and footer text of
/// the master pages in `styles.xml`.
fn odf_text(
    xml: &str,
    budget: &Budget,
    out: &mut String,
    soft_breaks: &mut u32,
    only_master: bool,
) -> Result<(), String> {
    let mut in_body = !only_master;
    let mut skip = 0u32;
    let mut full = false;
    walk(xml, budget, |ev| {
        if full {
            return;
        }
        match ev {
            Ev::Open { name, tag, empty } => {
                if only_master && (name == "header" || name == "footer") && !empty {
                    in_body = true;
                }
                if !empty
                    && matches!(
                        name,
                        "tracked-changes"
                            | "annotation"
                            | "note-citation"
                            | "sequence-decls"
                            | "forms"
                    )
                {
                    skip += 1;
                }
                if skip > 0 || !in_body {
                    return;
                }
                match name {
                    "tab" => out.push('\t'),
                    "line-break" => out.push('\n'),
                    "s" => {
                        let n = tag
                            .attr("c")
                            .and_then(|c| c.parse::<usize>().ok())
                            .unwrap_or(1);
                        out.push_str(&" ".repeat(n.min(100)));
                    }
                    "soft-page-break" => *soft_breaks += 1,
                    "p" | "h" if empty => out.push('\n'),
                    _ => {}
                }
            }
            Ev::Close { name } => {
                if matches!(
                    name,
                    "tracked-changes" | "annotation" | "note-citation" | "sequence-decls" | "forms"
                ) {
                    skip = skip.saturating_sub(1);
                    return;
                }
                if only_master && (name == "header" || name == "footer") {
                    in_body = false;
                    out.push('\n');
                }
                if skip == 0 && in_body && matches!(name, "p" | "h") {
                    out.push('\n');
                }
            }
            Ev::Text(t) => {
                if skip == 0 && in_body && !push_bounded(out, t, budget) {
                    full = true;
                }
            }
        }
    })
}

fn meta_page_count(meta: &str, budget: &Budget) -> Option<u32> {
    let mut pages = None;
    walk(meta, budget, |ev| {
        if let Ev::Open {
            name: "document-statistic",
            tag,
            ..
        } = ev
        {
            pages = tag.attr("page-count").and_then(|v| v.parse::<u32>().ok());
        }
    })
    .ok()?;
    pages.filter(|&n| n > 0)
}

/// The page size and margins (top, right, bottom, left) of the layout used by the first master
/// page (usually "Standard").
fn page_size(styles: &str, budget: &Budget) -> (Option<Paper>, Option<[f64; 4]>) {
    let mut layouts: Vec<(String, Paper, Option<[f64; 4]>)> = Vec::new();
    let mut current: Option<String> = None;
    let mut first_master: Option<String> = None;
    let _ = walk(styles, budget, |ev| {
        if let Ev::Open { name, tag, .. } = ev {
            match name {
                "page-layout" => current = tag.attr("name").map(str::to_string),
                "page-layout-properties" => {
                    let w = tag.attr("page-width").and_then(length_pt);
                    let h = tag.attr("page-height").and_then(length_pt);
                    let side = |k: &str| tag.attr(k).and_then(length_pt);
                    let margins = match (
                        side("margin-top"),
                        side("margin-right"),
                        side("margin-bottom"),
                        side("margin-left"),
                    ) {
                        (Some(t), Some(r), Some(b), Some(l)) => Some([t, r, b, l]),
                        _ => None,
                    };
                    if let (Some(name), Some(w), Some(h)) = (current.clone(), w, h) {
                        layouts.push((
                            name,
                            Paper {
                                width_pt: w,
                                height_pt: h,
                            },
                            margins,
                        ));
                    }
                }
                "master-page" if first_master.is_none() => {
                    first_master = tag.attr("page-layout-name").map(str::to_string);
                }
                _ => {}
            }
        }
    });
    let found = match first_master {
        Some(m) => layouts.iter().find(|(n, _, _)| *n == m),
        None => layouts.first(),
    };
    match found {
        Some((_, paper, margins)) => (Some(*paper), *margins),
        None => (None, None),
    }
}

/// One ODF style: family, parent and its own properties.
struct OdfStyle {
    name: String,
    family: String,
    parent: Option<String>,
    props: TextProps,
}

/// The properties of ODF style `name` (of `family`) through its parents and the default style.
fn odf_props(
    styles: &[OdfStyle],
    defaults: &TextProps,
    family: &str,
    name: Option<&str>,
) -> TextProps {
    let mut out = TextProps::default();
    let mut next = name.map(str::to_string);
    let mut depth = 0;
    while let Some(n) = next.take() {
        depth += 1;
        if depth > 10 {
            break;
        }
        if let Some(st) = styles.iter().find(|s| s.name == n && s.family == family) {
            out = out.or(&st.props);
            next = st.parent.clone();
        }
    }
    out.or(defaults)
}

/// The paragraph and text styles of `styles.xml` and `content.xml` (font-face names resolved
/// to their families) and the default paragraph style's properties.
fn odf_styles(styles: &str, content: &str, budget: &Budget) -> (Vec<OdfStyle>, TextProps) {
    let mut faces: Vec<(String, String)> = Vec::new();
    let mut all: Vec<OdfStyle> = Vec::new();
    let mut defaults = TextProps::default();
    for xml in [styles, content] {
        let mut current: Option<OdfStyle> = None;
        let mut in_default = false;
        let _ = walk(xml, budget, |ev| match ev {
            Ev::Open { name, tag, empty } => match name {
                "font-face" => {
                    if let (Some(n), Some(f)) = (tag.attr("name"), tag.attr("font-family")) {
                        faces.push((n.to_string(), f.trim_matches(['\'', '"', ' ']).to_string()));
                    }
                }
                "default-style" if !empty => {
                    in_default = tag.attr("family") == Some("paragraph");
                }
                "style" if !empty => {
                    current = tag.attr("name").map(|n| OdfStyle {
                        name: n.to_string(),
                        family: tag.attr("family").unwrap_or("").to_string(),
                        parent: tag.attr("parent-style-name").map(str::to_string),
                        props: TextProps::default(),
                    });
                }
                "paragraph-properties" | "text-properties" => {
                    let props = match (&mut current, in_default) {
                        (Some(st), _) => &mut st.props,
                        (None, true) => &mut defaults,
                        (None, false) => return,
                    };
                    if let Some(v) = tag.attr("font-size").and_then(length_pt) {
                        props.font_pt = Some(v);
                    }
                    if let Some(f) = tag.attr("font-name") {
                        props.font = Some(f.to_string());
                    }
                    if let Some(v) = tag.attr("margin-bottom").and_then(length_pt) {
                        props.space_after_pt = Some(v);
                    }
                    match tag.attr("line-height") {
                        Some(v) if v.trim_end().ends_with('%') => {
                            props.line_spacing = v
                                .trim()
                                .trim_end_matches('%')
                                .parse::<f64>()
                                .ok()
                                .map(|p| p / 100.0);
                            props.line_pt = None;
                        }
                        Some("normal") => {
                            props.line_spacing = Some(1.0);
                            props.line_pt = None;
                        }
                        Some(v) => {
                            if let Some(pt) = length_pt(v) {
                                props.line_pt = Some(pt);
                                props.line_spacing = None;
                            }
                        }
                        None => {}
                    }
                }
                _ => {}
            },
            Ev::Close { name } => match name {
                "style" => {
                    if let Some(st) = current.take() {
                        all.push(st);
                    }
                }
                "default-style" => in_default = false,
                _ => {}
            },
            Ev::Text(_) => {}
        });
    }
    // Font names of styles are font-face names: use the family they stand for.
    let family = |p: &mut TextProps| {
        if let Some(f) = &p.font
            && let Some((_, fam)) = faces.iter().find(|(n, _)| n == f)
        {
            p.font = Some(fam.clone());
        }
    };
    family(&mut defaults);
    for st in &mut all {
        family(&mut st.props);
    }
    (all, defaults)
}

/// The layout of the body paragraphs (and their spans) of `content.xml`, averaged over their
/// text, with the table rows and cells for the estimate.
fn odf_layout(styles: &str, content: &str, margins: Option<[f64; 4]>, budget: &Budget) -> Layout {
    let (all, defaults) = odf_styles(styles, content, budget);
    struct Para {
        props: TextProps,
        spans: Vec<TextProps>,
        chars: usize,
    }
    let mut stack: Vec<Para> = Vec::new();
    let mut tally = LayoutTally::default();
    let (mut rows, mut cells, mut skip) = (0u32, 0u32, 0u32);
    let _ = walk(content, budget, |ev| match ev {
        Ev::Open { name, tag, empty } => {
            if !empty && matches!(name, "tracked-changes" | "annotation" | "note" | "forms") {
                skip += 1;
            }
            if skip > 0 {
                return;
            }
            match name {
                "p" | "h" if !empty => stack.push(Para {
                    props: odf_props(&all, &defaults, "paragraph", tag.attr("style-name")),
                    spans: Vec::new(),
                    chars: 0,
                }),
                "span" if !empty => {
                    if let Some(p) = stack.last_mut() {
                        let outer = p.spans.last().cloned().unwrap_or_else(|| p.props.clone());
                        let own =
                            odf_props(&all, &TextProps::default(), "text", tag.attr("style-name"));
                        p.spans.push(own.or(&outer));
                    }
                }
                "table-row" => rows += 1,
                "table-cell" => cells += 1,
                _ => {}
            }
        }
        Ev::Close { name } => {
            if matches!(name, "tracked-changes" | "annotation" | "note" | "forms") {
                skip = skip.saturating_sub(1);
                return;
            }
            if skip > 0 {
                return;
            }
            match name {
                "span" => {
                    if let Some(p) = stack.last_mut() {
                        p.spans.pop();
                    }
                }
                "p" | "h" => {
                    if let Some(p) = stack.pop()
                        && p.chars > 0
                    {
                        tally.paragraph(p.props.space_after_pt);
                    }
                }
                _ => {}
            }
        }
        Ev::Text(t) => {
            if skip == 0
                && let Some(p) = stack.last_mut()
            {
                let n = t.chars().count();
                p.chars += n;
                let props = p.spans.last().unwrap_or(&p.props);
                tally.add(n, props);
            }
        }
    });
    let mut layout = tally.layout(margins);
    layout.table_rows = rows;
    layout.table_cells = cells;
    layout
}
