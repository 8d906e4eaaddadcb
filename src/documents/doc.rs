//! Legacy Word (`.doc`, Word 6/95 and 97–2003): text from the `WordDocument` stream through
//! the piece table (CLX) in the table stream, 8-bit pieces decoded as Windows-1252 and others
//! as UTF-16; encrypted files detected from the FIB; paper size from the first section
//! (`sXaPage`/`sYaPage`); Word's page statistic from `\x05SummaryInformation` as metadata.
//! Every offset is checked against the stream it points into.

use std::io::{Cursor, Read};

use super::{Budget, Extracted, Limits, PageBasis, Paper, Status, estimate, push_bounded};

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    b.get(i..i + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    b.get(i..i + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

type Cfb<'a> = cfb::CompoundFile<Cursor<&'a [u8]>>;

fn stream(cf: &mut Cfb<'_>, name: &str, limits: &Limits) -> Option<Vec<u8>> {
    let s = cf.open_stream(name).ok()?;
    let mut data = Vec::new();
    s.take(limits.max_attachment_bytes)
        .read_to_end(&mut data)
        .ok()?;
    Some(data)
}

pub(crate) fn extract(bytes: &[u8], limits: &Limits, budget: &Budget) -> Extracted {
    let Ok(mut cf) = cfb::CompoundFile::open(Cursor::new(bytes)) else {
        return Extracted::failed(
            Status::Unreadable,
            "the Word document is damaged (not a readable OLE container)",
        );
    };
    let Some(word) = stream(&mut cf, "/WordDocument", limits) else {
        return Extracted::failed(
            Status::Unreadable,
            "the Word document has no WordDocument stream",
        );
    };
    if u16_at(&word, 0) != Some(0xA5EC) && u16_at(&word, 0) != Some(0xA5DC) {
        return Extracted::failed(
            Status::Unsupported,
            "not a Word 6 or later document (unknown file information block)",
        );
    }
    let n_fib = u16_at(&word, 2).unwrap_or(0);
    let flags = u16_at(&word, 0x0A).unwrap_or(0);
    if flags & 0x0100 != 0 {
        return Extracted::failed(
            Status::Protected,
            "the Word document is encrypted with a password",
        );
    }
    let complex = flags & 0x0004 != 0;
    let table_name = if flags & 0x0200 != 0 {
        "/1Table"
    } else {
        "/0Table"
    };
    let ccp_text = u32_at(&word, 0x4C).unwrap_or(0) as usize;
    let ccp_ftn = u32_at(&word, 0x50).unwrap_or(0) as usize;
    let word97 = n_fib >= 0x00C1;
    let table = if word97 {
        stream(&mut cf, table_name, limits)
    } else {
        None
    };
    let raw = if word97 {
        let Some(table) = table.as_deref() else {
            return Extracted::failed(Status::Unreadable, "the Word document has no table stream");
        };
        let fc_clx = u32_at(&word, 0x01A2).unwrap_or(0) as usize;
        let lcb_clx = u32_at(&word, 0x01A6).unwrap_or(0) as usize;
        match table.get(fc_clx..fc_clx.saturating_add(lcb_clx)) {
            Some(clx) if lcb_clx > 0 => pieces(clx, &word, ccp_text + ccp_ftn, true, budget),
            _ => None,
        }
    } else if complex {
        let fc_clx = u32_at(&word, 0x01A2).unwrap_or(0) as usize;
        let lcb_clx = u32_at(&word, 0x01A6).unwrap_or(0) as usize;
        word.get(fc_clx..fc_clx.saturating_add(lcb_clx))
            .and_then(|clx| pieces(clx, &word, ccp_text + ccp_ftn, false, budget))
    } else {
        let fc_min = u32_at(&word, 0x18).unwrap_or(0) as usize;
        word.get(fc_min..fc_min.saturating_add(ccp_text + ccp_ftn).min(word.len()))
            .map(|b| {
                encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(b)
                    .0
                    .into_owned()
            })
    };
    let Some(raw) = raw else {
        return Extracted::failed(
            Status::Unreadable,
            "the Word document's piece table is damaged",
        );
    };
    let (main, notes) = split_at_char(&raw, ccp_text);
    let body = clean(main);
    let notes = clean(notes);
    let (paper, margins) = if word97 {
        table
            .as_deref()
            .and_then(|t| section_page(&word, t))
            .unwrap_or((None, None))
    } else {
        (None, None)
    };
    let normal = if word97 {
        table
            .as_deref()
            .and_then(|t| normal_style(&word, t))
            .unwrap_or_default()
    } else {
        estimate::TextProps::default()
    };
    let layout = estimate::Layout {
        font_pt: normal.font_pt,
        font: normal.font,
        line_spacing: normal.line_spacing,
        line_pt: normal.line_pt,
        space_after_pt: normal.space_after_pt,
        margins_pt: margins,
        ..estimate::Layout::default()
    };
    let estimated = estimate::pages_with(&body, &paper.unwrap_or(Paper::A4), &layout);
    let stat =
        stream(&mut cf, "/\u{5}SummaryInformation", limits).and_then(|s| summary_page_count(&s));
    let mut text = super::rtf::tidy(&body);
    if !notes.trim().is_empty() {
        push_bounded(&mut text, "\n\n", budget);
        push_bounded(&mut text, &super::rtf::tidy(&notes), budget);
    }
    let (pages, basis) = match stat {
        Some(n) => (n, PageBasis::Metadata),
        None => (estimated, PageBasis::Estimate),
    };
    Extracted {
        text: text.replace('\u{c}', "\n"),
        pages: Some(pages),
        page_basis: Some(basis),
        page_estimate: Some(estimated),
        paper,
        ..Extracted::default()
    }
}

fn split_at_char(s: &str, n: usize) -> (&str, &str) {
    match s.char_indices().nth(n) {
        Some((i, _)) => (&s[..i], &s[i..]),
        None => (s, ""),
    }
}

/// Reads `limit` characters through the piece table; Word 97 pieces are 8-bit when bit 30 of
/// their file offset is set, else UTF-16. Word 6/95 pieces are always 8-bit.
fn pieces(clx: &[u8], word: &[u8], limit: usize, word97: bool, budget: &Budget) -> Option<String> {
    let mut p = 0;
    // Skip Prc entries (property modifiers).
    while clx.get(p) == Some(&0x01) {
        let cb = u16_at(clx, p + 1)? as usize;
        p += 3 + cb;
    }
    if clx.get(p) != Some(&0x02) {
        return None;
    }
    let lcb = u32_at(clx, p + 1)? as usize;
    let plc = clx.get(p + 5..p + 5 + lcb.min(clx.len().saturating_sub(p + 5)))?;
    // PlcPcd: (n + 1) CPs of 4 bytes and n PCDs of 8 bytes.
    if plc.len() < 4 {
        return None;
    }
    let n = (plc.len() - 4) / 12;
    let mut out = String::new();
    let mut taken = 0usize;
    for k in 0..n {
        if taken >= limit || budget.expired() {
            break;
        }
        let cp0 = u32_at(plc, k * 4)? as usize;
        let cp1 = u32_at(plc, (k + 1) * 4)? as usize;
        let count = cp1.saturating_sub(cp0).min(limit - taken);
        let pcd = (n + 1) * 4 + k * 8;
        let fc_raw = u32_at(plc, pcd + 2)?;
        let eight_bit = !word97 || fc_raw & 0x4000_0000 != 0;
        let s = if eight_bit {
            let fc = if word97 {
                ((fc_raw & !0x4000_0000) / 2) as usize
            } else {
                fc_raw as usize
            };
            let bytes = word.get(fc..fc.saturating_add(count).min(word.len()))?;
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
                .into_owned()
        } else {
            let fc = fc_raw as usize;
            let bytes = word.get(fc..fc.saturating_add(count * 2).min(word.len()))?;
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        };
        if !push_bounded(&mut out, &s, budget) {
            break;
        }
        taken += count;
    }
    Some(out)
}

/// Word's special characters to plain text: paragraph and cell marks become line breaks and
/// tabs, field codes are dropped (their results kept), objects and hidden marks removed.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut field_depth = 0u32;
    let mut in_code: Vec<bool> = Vec::new();
    for c in s.chars() {
        match c {
            '\u{13}' => {
                field_depth += 1;
                in_code.push(true);
            }
            '\u{14}' => {
                if let Some(top) = in_code.last_mut() {
                    *top = false;
                }
            }
            '\u{15}' => {
                field_depth = field_depth.saturating_sub(1);
                in_code.pop();
            }
            _ if in_code.last() == Some(&true) => {}
            '\r' | '\u{b}' => out.push('\n'),
            '\u{7}' => out.push('\t'),
            '\u{c}' => out.push('\u{c}'),
            '\u{1e}' => out.push('-'),
            '\u{1f}' | '\u{1}' | '\u{8}' | '\u{5}' | '\u{2}' | '\u{3}' | '\u{4}' => {}
            '\t' | '\n' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    let _ = field_depth;
    // Cell marks end a row with two marks in a row: turn "\t\t" at row end into a newline.
    out.replace("\t\n", "\n")
}

/// Page size and margins (top, right, bottom, left) of the first section: sprms sXaPage
/// (0xB01F), sYaPage (0xB020), sDxaLeft (0xB021), sDxaRight (0xB022), sDyaTop (0x9023) and
/// sDyaBottom (0x9024) in its SEPX.
type SectionPage = (Option<Paper>, Option<[f64; 4]>);

fn section_page(word: &[u8], table: &[u8]) -> Option<SectionPage> {
    let fc = u32_at(word, 0x00CA)? as usize;
    let lcb = u32_at(word, 0x00CE)? as usize;
    let plc = table.get(fc..fc.checked_add(lcb)?)?;
    if plc.len() < 16 {
        return None;
    }
    let n = (plc.len() - 4) / 16;
    if n == 0 {
        return None;
    }
    let sed = (n + 1) * 4;
    let fc_sepx = u32_at(plc, sed + 2)? as usize;
    if fc_sepx == 0xFFFF_FFFF {
        return None;
    }
    let cb = u16_at(word, fc_sepx)? as usize;
    let grpprl = word.get(fc_sepx + 2..fc_sepx + 2 + cb)?;
    let (mut w, mut h) = (None, None);
    let (mut top, mut right, mut bottom, mut left) = (None, None, None, None);
    for (op, p) in sprms(grpprl) {
        match op {
            0xB01F => w = u16_at(grpprl, p),
            0xB020 => h = u16_at(grpprl, p),
            0xB021 => left = u16_at(grpprl, p),
            0xB022 => right = u16_at(grpprl, p),
            // Top and bottom are signed (negative: exact, not moved by a header).
            0x9023 => top = u16_at(grpprl, p).map(|v| (v as i16).unsigned_abs()),
            0x9024 => bottom = u16_at(grpprl, p).map(|v| (v as i16).unsigned_abs()),
            _ => {}
        }
    }
    let pt = |v: u16| f64::from(v) / 20.0;
    let paper = match (w, h) {
        (Some(w), Some(h)) => Some(Paper {
            width_pt: pt(w),
            height_pt: pt(h),
        }),
        _ => None,
    };
    // Word's defaults for a side the section does not set: 1 inch top and bottom, 1.25 inch
    // left and right.
    let margins = (top.is_some() || left.is_some()).then(|| {
        [
            pt(top.unwrap_or(1440)),
            pt(right.unwrap_or(1800)),
            pt(bottom.unwrap_or(1440)),
            pt(left.unwrap_or(1800)),
        ]
    });
    Some((paper, margins))
}

/// The sprms of a grpprl: each operation code with the offset of its operand.
fn sprms(grpprl: &[u8]) -> Vec<(u16, usize)> {
    let mut out = Vec::new();
    let mut p = 0;
    while p + 2 <= grpprl.len() && out.len() < 10_000 {
        let Some(op) = u16_at(grpprl, p) else { break };
        p += 2;
        let size = match op >> 13 {
            0 | 1 => 1,
            2 | 4 | 5 => 2,
            3 => 4,
            7 => 3,
            _ => match grpprl.get(p) {
                Some(&n) => 1 + n as usize,
                None => break,
            },
        };
        out.push((op, p));
        p += size;
    }
    out
}

/// Font size, font, line spacing and space after of the Normal style (istd 0) in the
/// stylesheet (STSH, `fcStshf` at 0xA2), with the font's name from `SttbfFfn` (0x112). Word 97
/// and later; what the style does not set takes Word's defaults (10 pt, single, no space).
fn normal_style(word: &[u8], table: &[u8]) -> Option<estimate::TextProps> {
    let at = |fc: usize, lcb: usize| -> Option<&[u8]> {
        let fc = u32_at(word, fc)? as usize;
        let lcb = u32_at(word, lcb)? as usize;
        table.get(fc..fc.checked_add(lcb)?)
    };
    let stsh = at(0x00A2, 0x00A6)?;
    let cb_stshi = u16_at(stsh, 0)? as usize;
    let stshi = stsh.get(2..2 + cb_stshi)?;
    let cb_base = u16_at(stshi, 2)? as usize;
    let default_font = u16_at(stshi, 12);
    let first = 2 + cb_stshi;
    let cb_std = u16_at(stsh, first)? as usize;
    let std = stsh.get(first + 2..first + 2 + cb_std)?;
    let paragraph_style = u16_at(std, 2)? & 0x000F == 1;
    let cupx = (u16_at(std, 4)? & 0x000F) as usize;
    let cch = u16_at(std, cb_base)? as usize;
    let mut q = cb_base + 2 + cch * 2 + 2;
    let (mut hps, mut ftc, mut line, mut after) = (20u16, default_font, None, None);
    for k in 0..cupx.min(3) {
        q += q % 2;
        let cb = u16_at(std, q)? as usize;
        q += 2;
        let upx = std.get(q..q + cb)?;
        // A paragraph style's first UPX is its PAPX: the style index, then its sprms.
        let grpprl = if paragraph_style && k == 0 {
            upx.get(2..)?
        } else {
            upx
        };
        for (op, p) in sprms(grpprl) {
            match op {
                0x4A43 => hps = u16_at(grpprl, p).unwrap_or(hps),
                0x4A4F => ftc = u16_at(grpprl, p).or(ftc),
                0x6412 => {
                    let dya = u16_at(grpprl, p).map(|v| v as i16);
                    let mult = u16_at(grpprl, p + 2).is_some_and(|m| m == 1);
                    line = dya.map(|d| (d, mult));
                }
                0xA414 => after = u16_at(grpprl, p),
                _ => {}
            }
        }
        q += cb;
    }
    let font = ftc.and_then(|i| font_name(at(0x0112, 0x0116)?, usize::from(i)));
    let (line_spacing, line_pt) = match line {
        Some((d, true)) if d > 0 => (Some(f64::from(d) / 240.0), None),
        Some((d, _)) if d != 0 => (None, Some(f64::from(d.unsigned_abs()) / 20.0)),
        _ => (Some(1.0), None),
    };
    Some(estimate::TextProps {
        font_pt: Some(f64::from(hps) / 2.0),
        font,
        line_spacing,
        line_pt,
        space_after_pt: Some(f64::from(after.unwrap_or(0)) / 20.0),
    })
}

/// Name of font `index` in a SttbfFfn: entries of a length byte (cbFfnM1) and an FFN whose
/// name (UTF-16, NUL-terminated) starts 39 bytes into it.
fn font_name(sttb: &[u8], index: usize) -> Option<String> {
    let count = u16_at(sttb, 0)? as usize;
    let mut p = 4;
    for i in 0..count.min(1000) {
        let len = *sttb.get(p)? as usize + 1;
        if i == index {
            let entry = sttb.get(p..p + len)?;
            let units: Vec<u16> = entry
                .get(40..)?
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .take_while(|&u| u != 0)
                .collect();
            return Some(String::from_utf16_lossy(&units)).filter(|n| !n.is_empty());
        }
        p += len;
    }
    None
}

/// PIDSI_PAGECOUNT (14) from a SummaryInformation property set, when positive.
fn summary_page_count(s: &[u8]) -> Option<u32> {
    let sections = u32_at(s, 24)?;
    if sections == 0 {
        return None;
    }
    let offset = u32_at(s, 28 + 16)? as usize;
    let count = u32_at(s, offset + 4)? as usize;
    for k in 0..count.min(1000) {
        let id = u32_at(s, offset + 8 + k * 8)?;
        let at = u32_at(s, offset + 12 + k * 8)? as usize;
        if id == 14 {
            let ty = u32_at(s, offset + at)?;
            if ty == 3 {
                let v = u32_at(s, offset + at + 4)?;
                return (v > 0 && v < 100_000).then_some(v);
            }
        }
    }
    None
}
