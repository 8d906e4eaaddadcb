//! RTF: text with code pages (`\ansicpg`, font charsets, `\'hh` including double-byte
//! scripts), Unicode escapes (`\uN` with `\ucN` fallbacks), skipped destinations (font and
//! colour tables, pictures, field instructions, headers and footers), `\page` breaks and the
//! paper size (`\paperw`, `\paperh`). A single pass; group depth is bounded.

use std::collections::HashMap;

use encoding_rs::Encoding;

use super::estimate::{Layout, LayoutTally, TextProps};
use super::{Budget, Extracted, Paper, Status, estimate, push_bounded};

const MAX_DEPTH: usize = 1000;

#[derive(Clone, Copy, PartialEq)]
enum Dest {
    Text,
    Skip,
    FontTable,
    /// `{\stylesheet …}`: only the Normal style's font and size are read (LibreOffice takes
    /// them as the defaults `\plain` returns to; other styles' formatting is not applied).
    StyleSheet,
}

#[derive(Clone, Copy)]
struct Group {
    dest: Dest,
    uc: usize,
    enc: &'static Encoding,
    /// Character and paragraph formatting in effect, for the page estimate's layout.
    fmt: Format,
}

/// The formatting the page estimate uses: font size (half-points), font, line spacing
/// (`\sl`, `\slmult`) and space after (`\sa`, twips).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Format {
    fs: i64,
    f: Option<i64>,
    sl: i64,
    slmult: bool,
    sa: i64,
}

impl Format {
    const PLAIN: Format = Format {
        fs: 24,
        f: None,
        sl: 0,
        slmult: false,
        sa: 0,
    };

    fn props(&self, fonts: &HashMap<i64, String>, deff: Option<i64>) -> TextProps {
        let (line_spacing, line_pt) = match (self.sl, self.slmult) {
            (0, _) => (Some(1.0), None),
            (n, true) if n > 0 => (Some(n as f64 / 240.0), None),
            (n, _) => (None, Some(n.unsigned_abs() as f64 / 20.0)),
        };
        TextProps {
            font_pt: Some(self.fs as f64 / 2.0),
            font: self.f.or(deff).and_then(|f| fonts.get(&f).cloned()),
            line_spacing,
            line_pt,
            space_after_pt: Some(self.sa as f64 / 20.0),
        }
    }
}

pub(crate) fn extract(bytes: &[u8], budget: &Budget) -> Extracted {
    let ex = to_text(bytes, budget);
    if ex.status.is_none() && !bytes.windows(5).take(64).any(|w| w == b"{\\rtf") {
        return Extracted::failed(Status::Unreadable, "not an RTF document");
    }
    ex
}

fn codepage(cp: i64) -> &'static Encoding {
    match cp {
        932 => encoding_rs::SHIFT_JIS,
        936 => encoding_rs::GBK,
        949 => encoding_rs::EUC_KR,
        950 => encoding_rs::BIG5,
        10000 => encoding_rs::MACINTOSH,
        874 => encoding_rs::WINDOWS_874,
        1250..=1258 => Encoding::for_label(format!("windows-{cp}").as_bytes())
            .unwrap_or(encoding_rs::WINDOWS_1252),
        65001 => encoding_rs::UTF_8,
        _ => encoding_rs::WINDOWS_1252,
    }
}

fn charset(cs: i64) -> Option<&'static Encoding> {
    Some(match cs {
        128 => encoding_rs::SHIFT_JIS,
        129 => encoding_rs::EUC_KR,
        134 => encoding_rs::GBK,
        136 => encoding_rs::BIG5,
        161 => encoding_rs::WINDOWS_1253,
        162 => encoding_rs::WINDOWS_1254,
        163 => encoding_rs::WINDOWS_1258,
        177 => encoding_rs::WINDOWS_1255,
        178 => encoding_rs::WINDOWS_1256,
        186 => encoding_rs::WINDOWS_1257,
        204 => encoding_rs::WINDOWS_1251,
        222 => encoding_rs::WINDOWS_874,
        238 => encoding_rs::WINDOWS_1250,
        77 => encoding_rs::MACINTOSH,
        _ => return None,
    })
}

fn skipped(word: &str) -> bool {
    matches!(
        word,
        "colortbl"
            | "stylesheet"
            | "info"
            | "pict"
            | "objdata"
            | "header"
            | "headerl"
            | "headerr"
            | "headerf"
            | "footer"
            | "footerl"
            | "footerr"
            | "footerf"
            | "listtable"
            | "listoverridetable"
            | "rsidtbl"
            | "generator"
            | "xmlnstbl"
            | "themedata"
            | "colorschememapping"
            | "datastore"
            | "latentstyles"
            | "pgdsctbl"
            | "fldinst"
            | "filetbl"
            | "revtbl"
            | "pntxta"
            | "pntxtb"
            | "bkmkstart"
            | "bkmkend"
            | "shpinst"
            | "nonshppict"
            | "mmathPr"
            | "xe"
            | "tc"
            | "userprops"
            | "docvar"
            | "template"
            | "atnid"
            | "atnauthor"
            | "annotation"
            | "txe"
            | "sp"
            | "sn"
            | "sv"
            | "wgrffmtfilter"
            | "ftnsep"
            | "ftnsepc"
            | "aftnsep"
            | "aftnsepc"
            | "blipuid"
            | "falt"
            | "panose"
            | "fname"
            | "operator"
            | "author"
            | "title"
            | "footnote"
            | "listpicture"
            | "protusertbl"
            | "defchp"
            | "defpap"
            | "passwordhash"
    )
}

/// Text of an RTF document (also used for compressed-RTF mail bodies).
pub(crate) fn to_text(bytes: &[u8], budget: &Budget) -> Extracted {
    let mut out = String::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut doc_enc: &'static Encoding = encoding_rs::WINDOWS_1252;
    let mut fonts: HashMap<i64, &'static Encoding> = HashMap::new();
    let mut font_def: Option<i64> = None;
    let mut stack: Vec<Group> = Vec::new();
    let mut cur = Group {
        dest: Dest::Text,
        uc: 1,
        enc: doc_enc,
        fmt: Format::PLAIN,
    };
    // For the page estimate: characters per formatting, paragraphs with their space after,
    // font names of the font table, the default font and the page margins (twips).
    let mut chars_by_fmt: HashMap<Format, usize> = HashMap::new();
    let mut para_chars = 0usize;
    let mut paras: Vec<i64> = Vec::new();
    let mut font_names: HashMap<i64, String> = HashMap::new();
    let mut font_name = Vec::new();
    let mut deff: Option<i64> = None;
    let mut margins: [Option<i64>; 4] = [None; 4];
    // The Normal style's size and font, and whether the style entry being read is Normal.
    let mut normal = (24i64, None::<i64>);
    let mut in_normal = false;
    let mut skip_chars = 0usize;
    let mut star = false;
    let mut group_start = false;
    let (mut paperw, mut paperh) = (None, None);
    let mut full = false;
    let mut i = 0;
    let n = bytes.len();

    macro_rules! flush {
        () => {
            if !pending.is_empty() {
                let s = cur.enc.decode_without_bom_handling(&pending).0;
                let n = s.chars().count();
                *chars_by_fmt.entry(cur.fmt).or_default() += n;
                para_chars += n;
                if !push_bounded(&mut out, &s, budget) {
                    full = true;
                }
                pending.clear();
            }
        };
    }
    macro_rules! emit {
        ($s:expr) => {
            if cur.dest == Dest::Text {
                flush!();
                if $s == "\n" || $s == "\u{c}" {
                    if para_chars > 0 {
                        paras.push(cur.fmt.sa);
                    }
                    para_chars = 0;
                }
                if !push_bounded(&mut out, $s, budget) {
                    full = true;
                }
            }
        };
    }

    while i < n && !full {
        if i.is_multiple_of(65_536) && budget.expired() {
            return Extracted::failed(
                Status::Unreadable,
                "the RTF could not be read within the time limit",
            );
        }
        let b = bytes[i];
        match b {
            b'{' => {
                flush!();
                if cur.dest == Dest::StyleSheet {
                    in_normal = true;
                }
                if stack.len() < MAX_DEPTH {
                    stack.push(cur);
                } else {
                    cur.dest = Dest::Skip;
                    stack.push(cur);
                }
                group_start = true;
                star = false;
                i += 1;
                continue;
            }
            b'}' => {
                flush!();
                if let Some(g) = stack.pop() {
                    if cur.dest == Dest::FontTable && g.dest != Dest::FontTable {
                        font_def = None;
                    }
                    cur = g;
                }
                skip_chars = 0;
                group_start = false;
                i += 1;
                continue;
            }
            b'\\' => {
                let Some(&next) = bytes.get(i + 1) else { break };
                if next.is_ascii_alphabetic() {
                    let start = i + 1;
                    let mut j = start;
                    while j < n && j - start < 32 && bytes[j].is_ascii_alphabetic() {
                        j += 1;
                    }
                    let word = std::str::from_utf8(&bytes[start..j]).unwrap_or("");
                    let num_start = j;
                    if j < n && bytes[j] == b'-' {
                        j += 1;
                    }
                    while j < n && j - num_start < 11 && bytes[j].is_ascii_digit() {
                        j += 1;
                    }
                    let param: Option<i64> = std::str::from_utf8(&bytes[num_start..j])
                        .ok()
                        .and_then(|s| s.parse().ok());
                    if j < n && bytes[j] == b' ' {
                        j += 1;
                    }
                    i = j;
                    let first_in_group = group_start;
                    group_start = false;
                    if word == "bin" {
                        let len = param.unwrap_or(0).max(0) as usize;
                        i = i.saturating_add(len);
                        continue;
                    }
                    if cur.dest == Dest::FontTable {
                        match word {
                            "f" => {
                                font_def = param;
                                font_name.clear();
                            }
                            "fcharset" => {
                                if let (Some(f), Some(enc)) = (font_def, param.and_then(charset)) {
                                    fonts.insert(f, enc);
                                }
                            }
                            _ => {}
                        }
                        continue;
                    }
                    if cur.dest == Dest::Skip {
                        continue;
                    }
                    if cur.dest == Dest::StyleSheet {
                        match word {
                            "s" | "cs" | "ds" | "ts" => {
                                in_normal = in_normal && word == "s" && param == Some(0);
                            }
                            "fs" if in_normal => normal.0 = param.unwrap_or(24).clamp(2, 400),
                            "f" if in_normal => normal.1 = param,
                            _ => {}
                        }
                        if first_in_group && star {
                            cur.dest = Dest::Skip;
                            star = false;
                        }
                        continue;
                    }
                    if first_in_group && word == "stylesheet" {
                        flush!();
                        cur.dest = Dest::StyleSheet;
                        star = false;
                        continue;
                    }
                    if first_in_group && (star || skipped(word)) {
                        flush!();
                        cur.dest = if word == "fonttbl" {
                            Dest::FontTable
                        } else {
                            Dest::Skip
                        };
                        star = false;
                        continue;
                    }
                    if word == "fonttbl" {
                        flush!();
                        cur.dest = Dest::FontTable;
                        continue;
                    }
                    if skip_chars > 0 && word != "u" {
                        skip_chars = 0;
                    }
                    match word {
                        "par" | "line" | "sect" | "row" => emit!("\n"),
                        "page" => emit!("\u{c}"),
                        "tab" | "cell" => emit!("\t"),
                        "emdash" => emit!("—"),
                        "endash" => emit!("–"),
                        "bullet" => emit!("•"),
                        "lquote" => emit!("‘"),
                        "rquote" => emit!("’"),
                        "ldblquote" => emit!("“"),
                        "rdblquote" => emit!("”"),
                        "emspace" | "enspace" | "qmspace" => emit!(" "),
                        "u" => {
                            if let Some(v) = param {
                                let code = if v < 0 { v + 65_536 } else { v };
                                let c = u32::try_from(code)
                                    .ok()
                                    .and_then(char::from_u32)
                                    .filter(|c| !c.is_control() || *c == '\t')
                                    .unwrap_or('\u{fffd}');
                                let mut buf = [0u8; 4];
                                emit!(c.encode_utf8(&mut buf));
                                skip_chars = cur.uc;
                            }
                        }
                        "uc" => cur.uc = param.unwrap_or(1).clamp(0, 10) as usize,
                        "ansicpg" => {
                            flush!();
                            doc_enc = codepage(param.unwrap_or(1252));
                            cur.enc = doc_enc;
                            for g in stack.iter_mut() {
                                g.enc = doc_enc;
                            }
                        }
                        "mac" => {
                            doc_enc = encoding_rs::MACINTOSH;
                            cur.enc = doc_enc;
                        }
                        "f" => {
                            flush!();
                            cur.fmt.f = param;
                            cur.enc = param
                                .and_then(|f| fonts.get(&f).copied())
                                .unwrap_or(doc_enc);
                        }
                        "paperw" => paperw = param,
                        "paperh" => paperh = param,
                        "margt" => margins[0] = param,
                        "margr" => margins[1] = param,
                        "margb" => margins[2] = param,
                        "margl" => margins[3] = param,
                        "deff" => deff = param,
                        "fs" => cur.fmt.fs = param.unwrap_or(24).clamp(2, 400),
                        "sl" => cur.fmt.sl = param.unwrap_or(0).clamp(-20_000, 20_000),
                        "slmult" => cur.fmt.slmult = param.unwrap_or(1) != 0,
                        "sa" => cur.fmt.sa = param.unwrap_or(0).clamp(0, 20_000),
                        "pard" => {
                            cur.fmt.sl = 0;
                            cur.fmt.slmult = false;
                            cur.fmt.sa = 0;
                        }
                        "plain" => {
                            (cur.fmt.fs, cur.fmt.f) = normal;
                        }
                        _ => {}
                    }
                    continue;
                }
                // Control symbols.
                i += 2;
                group_start = false;
                match next {
                    b'*' => {
                        star = true;
                        group_start = true;
                    }
                    b'\'' => {
                        let hex = bytes
                            .get(i..i + 2)
                            .and_then(|h| std::str::from_utf8(h).ok());
                        i += 2;
                        if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok())
                            && cur.dest == Dest::Text
                        {
                            if skip_chars > 0 {
                                skip_chars -= 1;
                            } else {
                                pending.push(v);
                            }
                        }
                    }
                    b'~' => emit!("\u{a0}"),
                    b'_' => emit!("-"),
                    b'-' => {}
                    b'\n' | b'\r' => emit!("\n"),
                    b'\\' | b'{' | b'}' => {
                        if skip_chars > 0 {
                            skip_chars -= 1;
                        } else if cur.dest == Dest::Text {
                            pending.push(next);
                        }
                    }
                    _ => {}
                }
                continue;
            }
            b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            _ => {
                group_start = false;
                i += 1;
                if cur.dest == Dest::FontTable
                    && let Some(f) = font_def
                {
                    if b == b';' {
                        let name = String::from_utf8_lossy(&font_name).trim().to_string();
                        if !name.is_empty() {
                            font_names.insert(f, name);
                        }
                        font_name.clear();
                    } else if font_name.len() < 64 {
                        font_name.push(b);
                    }
                }
                if cur.dest != Dest::Text {
                    continue;
                }
                if skip_chars > 0 {
                    skip_chars -= 1;
                    continue;
                }
                pending.push(b);
            }
        }
    }
    if !pending.is_empty() {
        let s = cur.enc.decode_without_bom_handling(&pending).0;
        push_bounded(&mut out, &s, budget);
    }
    let text = tidy(&out);
    let paper = match (paperw, paperh) {
        (Some(w), Some(h)) if w > 0 && h > 0 => Some(Paper {
            width_pt: w as f64 / 20.0,
            height_pt: h as f64 / 20.0,
        }),
        _ => None,
    };
    let layout = rtf_layout(&chars_by_fmt, &paras, &font_names, deff, margins);
    let estimated = estimate::pages_with(&text, &paper.unwrap_or(Paper::A4), &layout);
    Extracted {
        paper,
        page_estimate: Some(estimated),
        ..Extracted::text(text)
    }
}

/// The body layout of an RTF document from the characters per formatting (as written at each
/// paragraph: readers do not apply a `\sN` style's formatting, and neither does this); margins
/// default to the RTF defaults (1.25 inch left and right, 1 inch top and bottom).
fn rtf_layout(
    chars_by_fmt: &HashMap<Format, usize>,
    paras: &[i64],
    fonts: &HashMap<i64, String>,
    deff: Option<i64>,
    margins: [Option<i64>; 4],
) -> Layout {
    let mut tally = LayoutTally::default();
    for (fmt, n) in chars_by_fmt {
        tally.add(*n, &fmt.props(fonts, deff));
    }
    for sa in paras {
        tally.paragraph(Some(*sa as f64 / 20.0));
    }
    let side = |m: Option<i64>, default: i64| m.unwrap_or(default).clamp(0, 20_000) as f64 / 20.0;
    tally.layout(Some([
        side(margins[0], 1440),
        side(margins[1], 1800),
        side(margins[2], 1440),
        side(margins[3], 1800),
    ]))
}

/// Trims trailing spaces on lines and collapses runs of blank lines.
pub(crate) fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = 0;
    for line in s.split('\n') {
        let line = line.trim_end_matches([' ', '\t', '\r']);
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_matches('\n').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::Limits;

    fn text(rtf: &str) -> String {
        to_text(rtf.as_bytes(), &Budget::new(&Limits::default())).text
    }

    #[test]
    fn code_pages_unicode_escapes_and_destinations_are_handled() {
        let rtf = r"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}{\*\generator x;}{\info{\title T}}\f0 co\'ebxistentie \u233?t\uc0\u307 s\par tweede}";
        assert_eq!(text(rtf), "coëxistentie étĳs\ntweede");
    }

    #[test]
    fn shift_jis_bytes_are_decoded_in_pairs() {
        let rtf = r"{\rtf1\ansi\ansicpg932 \'93\'fa\'96\'7b}";
        assert_eq!(text(rtf), "日本");
    }
}
