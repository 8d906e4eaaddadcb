//! Page counts for documents without pages of their own: a layout model of the text on the
//! document's paper (A4 when unknown) with default margins and a default font. An exact count
//! comes from a LibreOffice rendering instead ([`super::libreoffice`]) where it is available.
//!
//! The model's constants were calibrated against the LibreOffice page counts of the office
//! documents in the shared corpus (see tests/it/corpus.rs).

use super::Paper;

/// Margin on every side, in points (Word's and LibreOffice's defaults lie between 2 and 2.54 cm).
const MARGIN_PT: f64 = 66.0;
/// Average advance of one character of 11–12 pt body text, in points.
const CHAR_PT: f64 = 5.3;
/// Height of one line of body text, in points.
const LINE_PT: f64 = 14.0;
/// Extra vertical space after a paragraph, in lines.
const PARAGRAPH_GAP_LINES: f64 = 0.35;

/// Estimated pages of `text` laid out on `paper`; a form feed (`\u{c}`) starts a new page.
pub(crate) fn pages(text: &str, paper: &Paper) -> u32 {
    let width = (paper.width_pt - 2.0 * MARGIN_PT).max(100.0);
    let height = (paper.height_pt - 2.0 * MARGIN_PT).max(100.0);
    let per_line = (width / CHAR_PT).floor().max(10.0);
    let per_page = (height / LINE_PT).floor().max(5.0);
    let mut total: u32 = 0;
    for section in text.split('\u{c}') {
        let mut lines = 0.0f64;
        let mut after_text = false;
        for para in section.split('\n') {
            let chars = para.trim_end().chars().count() as f64;
            // One empty line after a paragraph (plain text, HTML) is paragraph spacing, which
            // word processors make about half a line; more empty lines are lines of their own.
            lines += if chars > 0.0 {
                (chars / per_line).ceil() + PARAGRAPH_GAP_LINES
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_text_is_one_page() {
        assert_eq!(pages("", &Paper::A4), 1);
    }

    #[test]
    fn a_long_text_needs_more_pages_and_a_form_feed_starts_one() {
        let para = "woord ".repeat(80);
        let long = vec![para.as_str(); 60].join("\n");
        assert!(pages(&long, &Paper::A4) >= 3);
        assert_eq!(pages("a\u{c}b", &Paper::A4), 2);
    }
}
