//! The digest charts: horizontal bar charts drawn into small palette PNGs.
//!
//! Mail clients strip inline SVG and `data:` URIs, so the charts travel as PNG parts referenced
//! by `cid:`. Each chart is drawn with its labels and numbers (a built-in 5×7 pixel font, in
//! capitals, accents dropped) and always comes with alt text and a table carrying the same
//! numbers, so nobody depends on the picture. One colour (dark blue on white, contrast > 8:1)
//! carries no meaning of its own.
//!
//! The PNG encoder is minimal on purpose: 8-bit palette, one IDAT chunk compressed with flate2.

use std::io::Write as _;

use anyhow::Context as _;
use unicode_normalization::UnicodeNormalization as _;

use super::DigestData;
use crate::domain::Verdict;

/// One chart of the digest with the numbers behind it.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Content-ID of the image part, without angle brackets.
    pub cid: String,
    /// Heading above the chart.
    pub title: String,
    /// Caption of the table with the same numbers.
    pub caption: String,
    pub alt: String,
    pub png: Vec<u8>,
    /// Pixel width of the PNG (the HTML scales it down on narrow screens).
    pub width: u32,
    /// Column headers of the table; the first is the header of the row labels.
    pub headers: Vec<String>,
    /// Row label and the other cells.
    pub rows: Vec<(String, Vec<String>)>,
}

/// The three digest charts: per province, per domain, criteria coverage.
pub fn digest_charts(d: &DigestData) -> anyhow::Result<Vec<Chart>> {
    let mut charts = Vec::new();

    let mut bars: Vec<(String, u32)> = d
        .provinces
        .iter()
        .map(|p| {
            let n = d
                .all
                .iter()
                .filter(|r| r.province.as_deref() == Some(p.as_str()))
                .count();
            (p.clone(), n as u32)
        })
        .collect();
    let unknown = d
        .all
        .iter()
        .filter(|r| {
            r.province
                .as_deref()
                .is_none_or(|p| !d.provinces.iter().any(|q| q == p))
        })
        .count();
    if unknown > 0 {
        bars.push(("Onbekend".to_string(), unknown as u32));
    }
    charts.push(simple_chart(
        "chart-provincies",
        "Voordrachten per provincie",
        "Aantal voordrachten per provincie",
        "Staafdiagram van het aantal voordrachten per provincie",
        "Provincie",
        &bars,
    )?);

    let mut bars: Vec<(String, u32)> = d
        .domains
        .iter()
        .map(|(id, title)| {
            let n = d.all.iter().filter(|r| r.domains.contains(id)).count();
            (title.clone(), n as u32)
        })
        .collect();
    let none = d.all.iter().filter(|r| r.domains.is_empty()).count();
    if none > 0 {
        bars.push(("Geen thema herkend".to_string(), none as u32));
    }
    charts.push(simple_chart(
        "chart-themas",
        "Voordrachten per thema",
        "Aantal voordrachten per thema (een voordracht kan bij meer thema's horen)",
        "Staafdiagram van het aantal voordrachten per thema",
        "Thema",
        &bars,
    )?);

    // Criteria coverage: the bar is the number that meets it; the table adds weak / not found.
    let mut items: Vec<(String, [usize; 3])> = d
        .criteria
        .iter()
        .map(|(id, title)| {
            let mut counts = [0usize; 3];
            for r in &d.all {
                let v = r
                    .verdicts
                    .iter()
                    .find(|(c, _)| c == id)
                    .map(|(_, v)| *v)
                    .unwrap_or(Verdict::NotFound);
                counts[verdict_index(v)] += 1;
            }
            (title.clone(), counts)
        })
        .collect();
    let mut counts = [0usize; 3];
    for r in &d.all {
        counts[verdict_index(r.principle)] += 1;
    }
    items.push((format!("Principe: {}", d.principle_title), counts));
    let bars: Vec<(String, u32)> = items
        .iter()
        .map(|(t, c)| (t.clone(), c[0] as u32))
        .collect();
    let meets = d.all.iter().filter(|r| r.meets_minimum).count();
    let alt = format!(
        "Staafdiagram: hoeveel voordrachten aan elk criterium voldoen. {}. Aan het minimum voldoen {} van de {} voordrachten. De cijfers staan ook in de tabel onder de afbeelding.",
        bars.iter()
            .map(|(l, n)| format!("{l}: {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        meets,
        d.all.len()
    );
    charts.push(Chart {
        cid: "chart-criteria".to_string(),
        title: "Criteria: hoeveel voordrachten voldoen".to_string(),
        caption: format!(
            "Per criterium: aantal voordrachten dat voldoet, deels voldoet of waar het niet gevonden is (totaal {})",
            d.all.len()
        ),
        alt,
        png: bar_chart_png(&bars)?,
        width: CHART_WIDTH,
        headers: vec![
            "Criterium".into(),
            "Voldoet".into(),
            "Deels".into(),
            "Niet gevonden".into(),
        ],
        rows: items
            .iter()
            .map(|(t, c)| {
                (
                    t.clone(),
                    c.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
                )
            })
            .collect(),
    });
    Ok(charts)
}

fn verdict_index(v: Verdict) -> usize {
    match v {
        Verdict::Met => 0,
        Verdict::Weak => 1,
        Verdict::NotFound => 2,
    }
}

fn simple_chart(
    cid: &str,
    title: &str,
    caption: &str,
    what: &str,
    label_header: &str,
    bars: &[(String, u32)],
) -> anyhow::Result<Chart> {
    let alt = format!(
        "{what}. {}. De cijfers staan ook in de tabel onder de afbeelding.",
        bars.iter()
            .map(|(l, n)| format!("{l}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(Chart {
        cid: cid.to_string(),
        title: title.to_string(),
        caption: caption.to_string(),
        alt,
        png: bar_chart_png(bars)?,
        width: CHART_WIDTH,
        headers: vec![label_header.to_string(), "Aantal".to_string()],
        rows: bars
            .iter()
            .map(|(l, n)| (l.clone(), vec![n.to_string()]))
            .collect(),
    })
}

/// Width of every chart in pixels.
pub const CHART_WIDTH: u32 = 720;
const SCALE: u32 = 2;
const GLYPH_W: u32 = 5;
const GLYPH_H: u32 = 7;
const ADVANCE: u32 = (GLYPH_W + 1) * SCALE;
const ROW_H: u32 = 30;
const MARGIN: u32 = 10;
const LABEL_CHARS: usize = 30;
const VALUE_W: u32 = 6 * ADVANCE;

/// Palette: white background, near-black text, dark blue bars, light grey baseline.
const PALETTE: [[u8; 3]; 4] = [
    [255, 255, 255],
    [26, 26, 26],
    [31, 78, 121],
    [200, 200, 200],
];
const WHITE: u8 = 0;
const INK: u8 = 1;
const BAR: u8 = 2;
const GRID: u8 = 3;

/// Draw a horizontal bar chart: label left, bar, number right of the bar.
pub fn bar_chart_png(bars: &[(String, u32)]) -> anyhow::Result<Vec<u8>> {
    let width = CHART_WIDTH;
    let rows = bars.len().max(1) as u32;
    let height = 2 * MARGIN + rows * ROW_H;
    let mut canvas = Canvas::new(width, height);
    let label_w = LABEL_CHARS as u32 * ADVANCE;
    let bar_x = MARGIN + label_w + MARGIN;
    let bar_max = width.saturating_sub(bar_x + VALUE_W + MARGIN).max(1);
    let max = bars.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    canvas.fill(bar_x - 1, MARGIN, 1, rows * ROW_H, GRID);
    for (i, (label, n)) in bars.iter().enumerate() {
        let y = MARGIN + i as u32 * ROW_H;
        let text_y = y + (ROW_H - GLYPH_H * SCALE) / 2;
        canvas.text(MARGIN, text_y, &fit(label, LABEL_CHARS), INK);
        let len = (u64::from(*n) * u64::from(bar_max) / u64::from(max)) as u32;
        canvas.fill(bar_x, y + 5, len, ROW_H - 10, BAR);
        canvas.text(bar_x + len + 6, text_y, &n.to_string(), INK);
    }
    canvas.png()
}

/// Upper-case, accents dropped, cut to `max` characters with ".." when too long.
fn fit(label: &str, max: usize) -> String {
    let plain: String = label
        .nfd()
        .filter(|c| c.is_ascii())
        .collect::<String>()
        .to_uppercase();
    if plain.chars().count() <= max {
        plain
    } else {
        let mut s: String = plain.chars().take(max.saturating_sub(2)).collect();
        s.push_str("..");
        s
    }
}

struct Canvas {
    width: u32,
    height: u32,
    px: Vec<u8>,
}

impl Canvas {
    fn new(width: u32, height: u32) -> Canvas {
        Canvas {
            width,
            height,
            px: vec![WHITE; (width * height) as usize],
        }
    }

    fn fill(&mut self, x: u32, y: u32, w: u32, h: u32, colour: u8) {
        for yy in y..(y + h).min(self.height) {
            for xx in x..(x + w).min(self.width) {
                self.px[(yy * self.width + xx) as usize] = colour;
            }
        }
    }

    fn text(&mut self, x: u32, y: u32, s: &str, colour: u8) {
        for (i, c) in s.chars().enumerate() {
            let gx = x + i as u32 * ADVANCE;
            let rows = glyph(c);
            for (ry, bits) in rows.iter().enumerate() {
                for rx in 0..GLYPH_W {
                    if bits & (1 << (GLYPH_W - 1 - rx)) != 0 {
                        self.fill(gx + rx * SCALE, y + ry as u32 * SCALE, SCALE, SCALE, colour);
                    }
                }
            }
        }
    }

    fn png(&self) -> anyhow::Result<Vec<u8>> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = Vec::with_capacity(13);
        ihdr.extend_from_slice(&self.width.to_be_bytes());
        ihdr.extend_from_slice(&self.height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 3, 0, 0, 0]); // 8 bit, palette, deflate, adaptive, no interlace
        chunk(&mut out, b"IHDR", &ihdr);
        let plte: Vec<u8> = PALETTE.iter().flatten().copied().collect();
        chunk(&mut out, b"PLTE", &plte);
        let mut raw = Vec::with_capacity(((self.width + 1) * self.height) as usize);
        for row in self.px.chunks(self.width as usize) {
            raw.push(0); // filter: none
            raw.extend_from_slice(row);
        }
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&raw).context("failed to compress chart")?;
        let idat = z.finish().context("failed to compress chart")?;
        chunk(&mut out, b"IDAT", &idat);
        chunk(&mut out, b"IEND", &[]);
        Ok(out)
    }
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

/// 5×7 glyph rows (bit 4 is the leftmost pixel). Unknown characters draw as blank.
fn glyph(c: char) -> [u8; 7] {
    match c {
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'J' => [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'Q' => [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'V' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x0A, 0x04, 0x04, 0x04, 0x04],
        'Z' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        '-' => [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
        '.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
        ',' => [0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08],
        ':' => [0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00],
        '/' => [0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00],
        '(' => [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
        ')' => [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
        '\'' => [0x04, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00],
        '&' => [0x0C, 0x12, 0x14, 0x08, 0x15, 0x12, 0x0D],
        '%' => [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
        _ => [0; 7],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_chart_is_a_valid_png_with_the_declared_size() {
        let png = bar_chart_png(&[("Groningen".into(), 3), ("Fryslân".into(), 0)]).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((w, h), (CHART_WIDTH, 2 * MARGIN + 2 * ROW_H));
        assert!(png.ends_with(&[0xAE, 0x42, 0x60, 0x82]), "IEND crc");
        assert!(png.len() < 10_000, "chart is small: {} bytes", png.len());
    }

    #[test]
    fn labels_lose_accents_and_are_cut_to_fit() {
        assert_eq!(fit("Fryslân", 24), "FRYSLAN");
        assert_eq!(fit("Toegankelijkheid openbare ruimte", 10), "TOEGANKE..");
    }
}
