//! PDF: page count and first-page size with lopdf (inherited MediaBox, /Rotate), text per page
//! with pdf-extract. Empty-password encryption is opened; a real password gives `Protected`;
//! no text on any page gives `ScanWithoutText`.
//!
//! Runs inside the guarded blocking task of [`super::guarded`]; the text output device below
//! also stops pdf-extract at the deadline and at the text budget.

use lopdf::{Dictionary, Object, ObjectId};
use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};

use super::{Budget, Extracted, Limits, PageBasis, Paper, Status};

pub(crate) fn extract(bytes: &[u8], limits: &Limits, budget: &Budget) -> Extracted {
    let doc = match lopdf::Document::load_mem(bytes) {
        Ok(doc) => doc,
        Err(e) => return load_failure(bytes, &e),
    };
    if doc.trailer.get(b"Encrypt").is_ok() && doc.encryption_state.is_none() {
        return Extracted::failed(
            Status::Protected,
            "the PDF is protected with a password (it cannot be opened without it)",
        );
    }
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Extracted::failed(Status::Unreadable, "the PDF has no readable pages");
    }
    let count = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    let paper = pages.values().next().and_then(|id| page_size(&doc, *id));

    let mut out = TextOut::new(budget, limits.max_pages);
    let result = pdf_extract::output_doc(&doc, &mut out);
    let TextOut {
        text, page_starts, ..
    } = out;
    let has_text = text.chars().any(|c| !c.is_whitespace());
    let mut ex = Extracted {
        text: if has_text { text } else { String::new() },
        page_starts: if has_text { page_starts } else { Vec::new() },
        pages: Some(count),
        page_basis: Some(PageBasis::Exact),
        paper,
        ..Extracted::default()
    };
    match result {
        Ok(()) | Err(OutputError::FormatError(_)) if has_text => {}
        Ok(()) => {
            ex.status = Some(Status::ScanWithoutText);
            ex.reason = Some(format!(
                "the PDF has no text layer on any of its {count} page{} (a scan or images only)",
                if count == 1 { "" } else { "s" }
            ));
        }
        Err(OutputError::FormatError(_)) if budget.expired() => {
            ex.status = Some(Status::Unreadable);
            ex.reason = Some("the PDF text could not be read within the time limit".to_string());
        }
        Err(e) if has_text => {
            tracing::debug!(error = %e, "pdf text extraction stopped early");
        }
        Err(e) => {
            ex.status = Some(Status::Unreadable);
            ex.reason = Some(format!(
                "the PDF text could not be read: {}",
                short(&e.to_string())
            ));
        }
    }
    ex
}

fn load_failure(bytes: &[u8], e: &lopdf::Error) -> Extracted {
    let msg = short(&e.to_string());
    if matches!(e, lopdf::Error::InvalidPassword)
        || msg.to_ascii_lowercase().contains("password")
        || (msg.to_ascii_lowercase().contains("decrypt")
            && super::detect::find(bytes, b"/Encrypt").is_some())
    {
        return Extracted::failed(
            Status::Protected,
            "the PDF is protected with a password (it cannot be opened without it)",
        );
    }
    if bytes.len() < 64 {
        return Extracted::failed(Status::Unreadable, "the PDF is truncated (only a header)");
    }
    Extracted::failed(Status::Unreadable, format!("the PDF is damaged: {msg}"))
}

fn short(s: &str) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    one.chars().take(160).collect()
}

/// Size of a page as displayed: MediaBox (inherited through /Parent, cropped by CropBox),
/// turned by /Rotate.
fn page_size(doc: &lopdf::Document, id: ObjectId) -> Option<Paper> {
    let page = doc.get_dictionary(id).ok()?;
    let media = inherited(doc, page, b"MediaBox").and_then(|o| rect(doc, o))?;
    let crop = inherited(doc, page, b"CropBox").and_then(|o| rect(doc, o));
    let [x0, y0, x1, y1] = match crop {
        Some(c) => [
            media[0].max(c[0]),
            media[1].max(c[1]),
            media[2].min(c[2]),
            media[3].min(c[3]),
        ],
        None => media,
    };
    let (mut w, mut h) = ((x1 - x0).abs(), (y1 - y0).abs());
    let rotate = inherited(doc, page, b"Rotate")
        .and_then(|o| number(doc, o))
        .unwrap_or(0.0) as i64;
    if rotate.rem_euclid(180) == 90 {
        std::mem::swap(&mut w, &mut h);
    }
    Some(Paper {
        width_pt: w,
        height_pt: h,
    })
}

fn inherited<'a>(doc: &'a lopdf::Document, page: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    let mut dict = page;
    for _ in 0..32 {
        if let Ok(v) = dict.get(key) {
            return Some(v);
        }
        let parent = dict.get(b"Parent").ok()?.as_reference().ok()?;
        dict = doc.get_dictionary(parent).ok()?;
    }
    None
}

fn deref<'a>(doc: &'a lopdf::Document, o: &'a Object) -> Option<&'a Object> {
    match o {
        Object::Reference(id) => doc.get_object(*id).ok(),
        other => Some(other),
    }
}

fn number(doc: &lopdf::Document, o: &Object) -> Option<f64> {
    match deref(doc, o)? {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

fn rect(doc: &lopdf::Document, o: &Object) -> Option<[f64; 4]> {
    let arr = deref(doc, o)?.as_array().ok()?;
    if arr.len() != 4 {
        return None;
    }
    let mut r = [0.0; 4];
    for (slot, v) in r.iter_mut().zip(arr) {
        *slot = number(doc, v)?;
    }
    Some(r)
}

/// Plain-text output device (the layout rules of pdf-extract's own `PlainTextOutput`) that
/// records where each page starts and stops at the deadline, the text budget and `max_pages`.
struct TextOut<'b> {
    text: String,
    page_starts: Vec<usize>,
    budget: &'b Budget,
    max_pages: u32,
    pages_seen: u32,
    last_end: f64,
    last_y: f64,
    first_char: bool,
    page_height: f64,
    calls: u32,
}

impl<'b> TextOut<'b> {
    fn new(budget: &'b Budget, max_pages: u32) -> Self {
        TextOut {
            text: String::new(),
            page_starts: Vec::new(),
            budget,
            max_pages,
            pages_seen: 0,
            last_end: 100_000.0,
            last_y: 0.0,
            first_char: false,
            page_height: 0.0,
            calls: 0,
        }
    }

    fn stop() -> OutputError {
        OutputError::FormatError(std::fmt::Error)
    }
}

impl OutputDev for TextOut<'_> {
    fn begin_page(
        &mut self,
        _page_num: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        if self.budget.expired() || self.pages_seen >= self.max_pages {
            return Err(Self::stop());
        }
        if self.pages_seen > 0 {
            if !self.text.ends_with('\n') && !self.text.is_empty() {
                self.text.push('\n');
            }
            self.page_starts.push(self.text.len());
        }
        self.pages_seen += 1;
        self.page_height = media_box.ury - media_box.lly;
        self.last_end = 100_000.0;
        self.first_char = false;
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        ch: &str,
    ) -> Result<(), OutputError> {
        self.calls = self.calls.wrapping_add(1);
        if self.calls % 1024 == 0 && self.budget.expired() {
            return Err(Self::stop());
        }
        if self.text.len() >= self.budget.max_text_chars {
            return Err(Self::stop());
        }
        // The device flips y: (x, y) = (m31, page_height - m32); the font size is the side of
        // the square with the area of the transformed (size, size) vector.
        let (x, y) = (trm.m31, self.page_height - trm.m32);
        let vx = font_size * trm.m11 + font_size * trm.m21;
        let vy = font_size * trm.m12 + font_size * trm.m22;
        let size = (vx * vy).abs().sqrt();
        if self.first_char {
            if (y - self.last_y).abs() > size * 1.5 {
                self.text.push('\n');
            }
            if x < self.last_end && (y - self.last_y).abs() > size * 0.5 {
                self.text.push('\n');
            }
            if x > self.last_end + size * 0.1 {
                self.text.push(' ');
            }
        }
        self.text.push_str(ch);
        self.first_char = false;
        self.last_y = y;
        self.last_end = x + width * size;
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        self.first_char = true;
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}
