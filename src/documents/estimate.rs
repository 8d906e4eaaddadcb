//! Page counts for documents without pages of their own: a layout model of the text on the
//! document's paper (A4 when unknown). What the file says about its layout ([`Layout`]: body
//! font and size, line spacing, space after paragraphs, margins) is used; the rest takes
//! defaults. An exact count comes from a LibreOffice rendering instead
//! ([`super::libreoffice`]) where it is available.
//!
//! The font metrics are the average advance of Dutch text and the single line height of the
//! metric-compatible free fonts (Carlito for Calibri, Liberation for Arial and Times New Roman,
//! Caladea for Cambria, DejaVu for Verdana); the defaults were calibrated against LibreOffice
//! renderings of the set `scripts/make-page-corpus.py` makes and of the shared corpus
//! (`examples/page_accuracy.rs` measures them). The estimate is a guess: `assess::pages` decides
//! when it is too close to the limit to judge on.

use super::Paper;

/// Margin on every side when the file names none, in points (Word's and LibreOffice's defaults
/// lie between 2 and 2.54 cm).
const MARGIN_PT: f64 = 66.0;
/// Body font size when the file names none, in points.
const FONT_PT: f64 = 11.0;
/// Average advance of a character of an unknown font, in ems (5.3 pt at 11 pt).
const CHAR_EM: f64 = 0.482;
/// Single line height of an unknown font, in ems.
const LINE_EM: f64 = 1.17;
/// Line spacing when the file names none (14 pt lines at 11 pt, between Word's 1.08 and 1.15).
const LINE_SPACING: f64 = 1.09;
/// Space after a paragraph when the file names none, in lines.
const PARAGRAPH_GAP_LINES: f64 = 0.35;
/// Share of a line's width that holds text: lines break between words, not at the margin.
const WRAP: f64 = 0.96;

/// What a file says about its layout; `None` takes the default.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Layout {
    /// Body font size, in points.
    pub font_pt: Option<f64>,
    /// Body font family as the file names it ("Calibri", "Liberation Serif").
    pub font: Option<String>,
    /// Proportional line spacing as a multiple of single (1.0, 1.15, 1.5).
    pub line_spacing: Option<f64>,
    /// Fixed line height in points (exact or at-least spacing), instead of a multiple.
    pub line_pt: Option<f64>,
    /// Space after a body paragraph, in points.
    pub space_after_pt: Option<f64>,
    /// Page margins in points: top, right, bottom, left.
    pub margins_pt: Option<[f64; 4]>,
    /// Table rows and cells of a format whose text puts every cell on a line of its own (DOCX,
    /// ODT): a row is about as high as one line, not one line per cell.
    pub table_rows: u32,
    pub table_cells: u32,
}

/// The layout of one stretch of body text (a paragraph or a run), as far as the file says.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TextProps {
    pub font_pt: Option<f64>,
    pub font: Option<String>,
    pub line_spacing: Option<f64>,
    pub line_pt: Option<f64>,
    pub space_after_pt: Option<f64>,
}

impl TextProps {
    /// `self` with the unset parts taken from `base` (a parent style, the defaults).
    pub(crate) fn or(&self, base: &TextProps) -> TextProps {
        TextProps {
            font_pt: self.font_pt.or(base.font_pt),
            font: self.font.clone().or_else(|| base.font.clone()),
            // A proportional and a fixed line height exclude each other: the nearest wins.
            line_spacing: if self.line_pt.is_some() {
                None
            } else {
                self.line_spacing.or(base.line_spacing)
            },
            line_pt: if self.line_spacing.is_some() {
                None
            } else {
                self.line_pt.or(base.line_pt)
            },
            space_after_pt: self.space_after_pt.or(base.space_after_pt),
        }
    }
}

/// The body text's layout, averaged over its characters.
#[derive(Debug, Default)]
pub(crate) struct LayoutTally {
    font_pt: (f64, f64),
    line_spacing: (f64, f64),
    line_pt: (f64, f64),
    space_after_pt: (f64, f64),
    paragraphs: f64,
    fonts: Vec<(String, f64)>,
}

impl LayoutTally {
    /// Counts `chars` characters of text laid out as `props`.
    pub(crate) fn add(&mut self, chars: usize, props: &TextProps) {
        if chars == 0 {
            return;
        }
        let w = chars as f64;
        let put = |slot: &mut (f64, f64), v: Option<f64>| {
            if let Some(v) = v.filter(|v| v.is_finite() && *v >= 0.0) {
                slot.0 += v * w;
                slot.1 += w;
            }
        };
        put(&mut self.font_pt, props.font_pt);
        put(&mut self.line_spacing, props.line_spacing);
        put(&mut self.line_pt, props.line_pt);
        if let Some(font) = &props.font {
            match self.fonts.iter_mut().find(|(f, _)| f == font) {
                Some((_, n)) => *n += w,
                None => self.fonts.push((font.clone(), w)),
            }
        }
    }

    /// Counts the space after one paragraph (once per paragraph, not per character).
    pub(crate) fn paragraph(&mut self, space_after_pt: Option<f64>) {
        self.paragraphs += 1.0;
        if let Some(v) = space_after_pt.filter(|v| v.is_finite() && *v >= 0.0) {
            self.space_after_pt.0 += v;
            self.space_after_pt.1 += 1.0;
        }
    }

    /// The averaged layout, with `margins_pt` from the page style.
    pub(crate) fn layout(self, margins_pt: Option<[f64; 4]>) -> Layout {
        let mean = |(sum, n): (f64, f64)| (n > 0.0).then(|| sum / n);
        // Most characters in proportional or in fixed line heights decides which applies.
        let (line_spacing, line_pt) = if self.line_spacing.1 >= self.line_pt.1 {
            (mean(self.line_spacing), None)
        } else {
            (None, mean(self.line_pt))
        };
        let font = self
            .fonts
            .into_iter()
            .fold(None::<(String, f64)>, |best, (f, n)| match best {
                Some((bf, bn)) if bn >= n => Some((bf, bn)),
                _ => Some((f, n)),
            })
            .map(|(f, _)| f);
        Layout {
            font_pt: mean(self.font_pt),
            font,
            line_spacing,
            line_pt,
            space_after_pt: mean(self.space_after_pt),
            margins_pt,
            table_rows: 0,
            table_cells: 0,
        }
    }
}

/// Length in points of an ODF/CSS length such as `21.001cm`, `8.5in`, `210mm`, `12pt`.
pub(crate) fn length_pt(v: &str) -> Option<f64> {
    let v = v.trim();
    let split = v.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = v.split_at(split);
    let n: f64 = num.trim().parse().ok()?;
    let pt = match unit {
        "cm" => n / 2.54 * 72.0,
        "mm" => n / 25.4 * 72.0,
        "in" | "inch" => n * 72.0,
        "pt" => n,
        "pc" => n * 12.0,
        "px" => n * 0.75,
        _ => return None,
    };
    pt.is_finite().then_some(pt)
}

/// Average character advance and single line height, in ems, of a font family named in a file.
fn metrics(font: Option<&str>) -> (f64, f64) {
    let Some(name) = font.map(str::to_ascii_lowercase) else {
        return (CHAR_EM, LINE_EM);
    };
    let has = |parts: &[&str]| parts.iter().any(|p| name.contains(p));
    if has(&["calibri", "carlito"]) {
        (0.418, 1.221)
    } else if has(&["cambria", "caladea"]) {
        (0.415, 1.172)
    } else if has(&["times", "liberation serif", "tinos", "georgia", "garamond"]) {
        (0.411, 1.15)
    } else if has(&["verdana", "tahoma", "dejavu sans", "bitstream vera sans"]) {
        (0.518, 1.164)
    } else if has(&["dejavu serif"]) {
        (0.524, 1.164)
    } else if has(&["lato"]) {
        (0.449, 1.2)
    } else if has(&["arial", "helvetica", "liberation sans", "arimo", "segoe"]) {
        (0.453, 1.15)
    } else {
        (CHAR_EM, LINE_EM)
    }
}

/// Estimated pages of `text` laid out on `paper` with default layout.
pub(crate) fn pages(text: &str, paper: &Paper) -> u32 {
    pages_with(text, paper, &Layout::default())
}

/// Estimated pages of `text` laid out on `paper` as `layout` says; a form feed (`\u{c}`) starts
/// a new page, a tab separates table cells (a row is as high as its tallest cell).
pub(crate) fn pages_with(text: &str, paper: &Paper, layout: &Layout) -> u32 {
    let [top, right, bottom, left] = layout.margins_pt.unwrap_or([MARGIN_PT; 4]);
    let width = (paper.width_pt - left - right).max(100.0);
    let height = (paper.height_pt - top - bottom).max(100.0);
    let font = layout
        .font_pt
        .filter(|f| (4.0..=72.0).contains(f))
        .unwrap_or(FONT_PT);
    let (char_em, line_em) = metrics(layout.font.as_deref());
    let line = match (layout.line_pt, layout.line_spacing) {
        (Some(pt), _) if (4.0..=144.0).contains(&pt) => pt,
        (_, Some(m)) if (0.5..=4.0).contains(&m) => font * line_em * m,
        _ if layout.font_pt.is_some() || layout.font.is_some() => font * line_em * LINE_SPACING,
        _ => FONT_PT * LINE_EM * LINE_SPACING,
    };
    let gap = match layout.space_after_pt {
        Some(pt) if (0.0..=144.0).contains(&pt) => pt / line,
        _ => PARAGRAPH_GAP_LINES,
    };
    let per_line = (width * WRAP / (font * char_em)).floor().max(10.0);
    let per_page = (height / line).floor().max(5.0);
    // Cells counted as lines of their own, less the rows they share, plus cell padding.
    let table_lines =
        f64::from(layout.table_rows) * 1.3 - f64::from(layout.table_cells) * (1.0 + gap);
    let mut total: u32 = 0;
    for (i, section) in text.split('\u{c}').enumerate() {
        let mut lines = if i == 0 { table_lines.min(0.0) } else { 0.0 };
        let mut after_text = false;
        for para in section.split('\n') {
            let para = para.trim_end();
            let chars = para.chars().count() as f64;
            // One empty line after a paragraph (plain text, HTML) is paragraph spacing, which
            // word processors make about half a line; more empty lines are lines of their own.
            lines += if para.contains('\t') && !para.starts_with('\t') {
                // Legacy Word ends a table row with two cell marks: "\t\t" between rows.
                para.split("\t\t")
                    .filter(|row| !row.trim().is_empty())
                    .map(|row| row_lines(row, per_line))
                    .sum::<f64>()
                    + gap
            } else if chars > 0.0 {
                (chars / per_line).ceil() + gap
            } else if after_text {
                0.15
            } else {
                1.0
            };
            after_text = chars > 0.0;
        }
        // Trailing empty lines do not start a page of their own.
        let used = (lines / per_page).ceil().max(1.0);
        total = total.saturating_add(used as u32);
    }
    total.max(1)
}

/// Lines of a table row whose cells are separated by tabs: the tallest cell, each cell an
/// equal share of the line, plus cell padding.
fn row_lines(row: &str, per_line: f64) -> f64 {
    let cells: Vec<&str> = row.split('\t').collect();
    let width = (per_line / cells.len() as f64 - 2.0).max(4.0);
    let tallest = cells
        .iter()
        .map(|c| (c.trim().chars().count() as f64 / width).ceil().max(1.0))
        .fold(1.0, f64::max);
    tallest + 0.3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_text_is_one_page() {
        assert_eq!(pages("", &Paper::A4), 1);
    }

    #[test]
    fn larger_type_wider_spacing_and_wider_margins_need_more_pages() {
        let para = "Dit is een zin van een aanmeldingsbrief met gewone woorden. ".repeat(6);
        let text = vec![para.as_str(); 60].join("\n");
        let base = Layout {
            font_pt: Some(11.0),
            font: Some("Calibri".into()),
            line_spacing: Some(1.0),
            space_after_pt: Some(0.0),
            margins_pt: Some([72.0; 4]),
            ..Layout::default()
        };
        let at = |l: &Layout| pages_with(&text, &Paper::A4, l);
        let n = at(&base);
        assert!(
            at(&Layout {
                font_pt: Some(14.0),
                ..base.clone()
            }) > n
        );
        assert!(
            at(&Layout {
                line_spacing: Some(2.0),
                ..base.clone()
            }) > n
        );
        assert!(
            at(&Layout {
                font: Some("Verdana".into()),
                ..base.clone()
            }) > n
        );
        assert!(
            at(&Layout {
                margins_pt: Some([144.0; 4]),
                ..base.clone()
            }) > n
        );
        assert!(
            at(&Layout {
                font_pt: Some(9.0),
                ..base.clone()
            }) <= n
        );
    }

    #[test]
    fn a_table_row_is_as_high_as_its_tallest_cell() {
        let long = "woord ".repeat(40);
        let row = format!("kort\t{long}\tkort");
        let one_line_each = "kort\tkort\tkort\n".repeat(60);
        let tall_rows = format!("{row}\n").repeat(60);
        assert!(pages(&tall_rows, &Paper::A4) > pages(&one_line_each, &Paper::A4));
    }

    #[test]
    fn a_long_text_needs_more_pages_and_a_form_feed_starts_one() {
        let para = "woord ".repeat(80);
        let long = vec![para.as_str(); 60].join("\n");
        assert!(pages(&long, &Paper::A4) >= 3);
        assert_eq!(pages("a\u{c}b", &Paper::A4), 2);
    }
}
