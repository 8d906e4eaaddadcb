//! ODT (OpenDocument text): text from `content.xml` (plus header/footer text of the master
//! pages in `styles.xml`), page count from `meta.xml` (`meta:page-count`, metadata) or from
//! LibreOffice's soft page breaks, paper size from the page layout of the first master page.
//! An encrypted package (manifest `encryption-data`) is `Protected`.

use super::docx::Package;
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
    let paper = page_size(&styles, budget);
    let mut header_footer = String::new();
    let _ = odf_text(&styles, budget, &mut header_footer, &mut 0, true);
    let header_footer = super::rtf::tidy(&header_footer);
    let meta_pages = pkg
        .text("meta.xml")?
        .and_then(|m| meta_page_count(&m, budget));
    let estimated = estimate::pages(&body, &paper.unwrap_or(Paper::A4));
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

/// Length in points of an ODF length such as `21.001cm`, `8.5in`, `210mm`, `595pt`.
fn length_pt(v: &str) -> Option<f64> {
    let v = v.trim();
    let split = v.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = v.split_at(split);
    let n: f64 = num.parse().ok()?;
    Some(match unit {
        "cm" => n / 2.54 * 72.0,
        "mm" => n / 25.4 * 72.0,
        "in" | "inch" => n * 72.0,
        "pt" => n,
        "pc" => n * 12.0,
        _ => return None,
    })
}

/// The page size of the layout used by the first master page (usually "Standard").
fn page_size(styles: &str, budget: &Budget) -> Option<Paper> {
    let mut layouts: Vec<(String, Paper)> = Vec::new();
    let mut current: Option<String> = None;
    let mut first_master: Option<String> = None;
    let _ = walk(styles, budget, |ev| {
        if let Ev::Open { name, tag, .. } = ev {
            match name {
                "page-layout" => current = tag.attr("name").map(str::to_string),
                "page-layout-properties" => {
                    let w = tag.attr("page-width").and_then(length_pt);
                    let h = tag.attr("page-height").and_then(length_pt);
                    if let (Some(name), Some(w), Some(h)) = (current.clone(), w, h) {
                        layouts.push((
                            name,
                            Paper {
                                width_pt: w,
                                height_pt: h,
                            },
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
    match first_master {
        Some(m) => layouts.iter().find(|(n, _)| *n == m).map(|(_, p)| *p),
        None => layouts.first().map(|(_, p)| *p),
    }
}
