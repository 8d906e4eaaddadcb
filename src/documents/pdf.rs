//! PDF: page count and first-page size with lopdf (inherited MediaBox, /Rotate), text per page
//! with pdf-extract. Empty-password encryption is opened; a real password gives `Protected`;
//! no text on any page gives `ScanWithoutText`.
//!
//! Runs inside the guarded blocking task of [`super::guarded`]; the text output device below
//! also stops pdf-extract at the deadline and at the text budget.

use lopdf::{Dictionary, Object, ObjectId};
use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};

use super::{Budget, Extracted, Limits, PageBasis, Paper, Status};

/// Stack for the thread that runs lopdf and pdf-extract: both recurse over the structure of
/// the file, and a debug build needs far more than the 2 MiB of a pool thread. It runs in the
/// document worker, whose address-space limit allows for it.
pub(crate) const STACK_BYTES: usize = 64 * 1024 * 1024;

pub(crate) fn extract(bytes: &[u8], limits: &Limits, budget: &Budget) -> Extracted {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("pdf-extract".to_string())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, || extract_on_big_stack(bytes, limits, budget));
        match worker.map(|w| w.join()) {
            Ok(Ok(ex)) => ex,
            Ok(Err(_)) => Extracted::failed(
                Status::Unreadable,
                "the PDF could not be read: the parser failed on its structure",
            ),
            Err(e) => Extracted::failed(
                Status::Unreadable,
                format!("the PDF could not be read: {e}"),
            ),
        }
    })
}

fn extract_on_big_stack(bytes: &[u8], limits: &Limits, budget: &Budget) -> Extracted {
    let doc = match load(bytes, true) {
        Ok(doc) => doc,
        Err(e) => return load_failure(bytes, &e),
    };
    if doc.trailer.get(b"Encrypt").is_ok() && doc.encryption_state.is_none() {
        // The page tree is not encrypted: load the structure alone to count the pages.
        let mut ex = Extracted::failed(
            Status::Protected,
            "the PDF is protected with a password (it cannot be opened without it)",
        );
        if let Ok(plain) = load(bytes, false).or_else(|_| {
            repair(bytes, false)
                .ok_or(lopdf::Error::Unimplemented("repair"))
                .and_then(|b| lopdf::Document::load_mem(&b))
        }) {
            let (count, ids) = page_count(&plain);
            if count > 0 {
                ex.pages = Some(count);
                ex.page_basis = Some(PageBasis::Exact);
                ex.paper = ids.first().and_then(|id| page_size(&plain, *id));
            }
        }
        return ex;
    }
    let (count, ids) = page_count(&doc);
    if count == 0 {
        return Extracted::failed(Status::Unreadable, "the PDF has no readable pages");
    }
    let paper = ids.first().and_then(|id| page_size(&doc, *id));

    let mut out = TextOut::new(budget, limits.max_pages);
    let mut failures = 0u32;
    let mut stopped = false;
    let mut last_error = None;
    let tree_pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    for page in tree_pages {
        if out.pages_seen >= limits.max_pages || budget.expired() {
            stopped = budget.expired();
            break;
        }
        if let Some(id) = doc.get_pages().get(&page)
            && let Err(why) = safe_for_pdf_extract(&doc, *id)
        {
            failures += 1;
            last_error = Some(why.to_string());
            continue;
        }
        // One page that breaks pdf-extract (a panic or an error) loses only that page.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pdf_extract::output_doc_page(&doc, &mut out, page)
        }));
        match result {
            Ok(Ok(())) => {}
            Ok(Err(OutputError::FormatError(_))) => {
                stopped = true;
                break;
            }
            Ok(Err(e)) => {
                failures += 1;
                last_error = Some(short(&e.to_string()));
            }
            Err(_) => {
                failures += 1;
                last_error = Some("the text extractor failed on this page".to_string());
            }
        }
    }
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
    if has_text {
        if failures > 0 {
            tracing::debug!(failures, "pdf text extraction failed on some pages");
        }
    } else if stopped && budget.expired() {
        ex.status = Some(Status::Unreadable);
        ex.reason = Some("the PDF text could not be read within the time limit".to_string());
    } else if failures > 0 {
        ex.status = Some(Status::Unreadable);
        ex.reason = Some(format!(
            "the PDF text could not be read: {}",
            last_error.unwrap_or_default()
        ));
    } else {
        ex.status = Some(Status::ScanWithoutText);
        ex.reason = Some(format!(
            "the PDF has no text layer on any of its {count} page{} (a scan or images only)",
            if count == 1 { "" } else { "s" }
        ));
    }
    ex
}

/// pdf-extract follows `/Parent` links and Form XObjects recursively without a cycle check;
/// a loop would overflow the stack (which aborts the process). Pages with one are skipped.
fn safe_for_pdf_extract(doc: &lopdf::Document, page: ObjectId) -> Result<(), &'static str> {
    let mut dict = doc
        .get_dictionary(page)
        .map_err(|_| "a page is not a dictionary")?;
    let mut seen = vec![page];
    let mut resources = None;
    let mut media_box = false;
    for _ in 0..64 {
        if resources.is_none()
            && let Ok(r) = dict.get(b"Resources")
        {
            resources = deref(doc, r).and_then(|o| o.as_dict().ok());
        }
        media_box |= dict.get(b"MediaBox").is_ok();
        if resources.is_some() && media_box {
            break;
        }
        let Ok(parent) = dict.get(b"Parent").and_then(Object::as_reference) else {
            break;
        };
        if seen.contains(&parent) {
            return Err("the page tree loops back on itself");
        }
        seen.push(parent);
        dict = doc
            .get_dictionary(parent)
            .map_err(|_| "a page's parent is missing")?;
    }
    let Some(resources) = resources else {
        return Ok(());
    };
    let mut stack = Vec::new();
    let mut visits = 0u32;
    if forms_loop(doc, resources, &mut stack, &mut visits) {
        return Err("a form on the page draws itself (an endless loop)");
    }
    Ok(())
}

fn forms_loop<'a>(
    doc: &'a lopdf::Document,
    resources: &'a Dictionary,
    stack: &mut Vec<ObjectId>,
    visits: &mut u32,
) -> bool {
    let Some(xobjects) = resources
        .get(b"XObject")
        .ok()
        .and_then(|o| deref(doc, o))
        .and_then(|o| o.as_dict().ok())
    else {
        return false;
    };
    for (_, entry) in xobjects.iter() {
        *visits += 1;
        if *visits > 10_000 || stack.len() > 24 {
            return true;
        }
        let Ok(id) = entry.as_reference() else {
            continue;
        };
        let Ok(Object::Stream(form)) = doc.get_object(id) else {
            continue;
        };
        if form.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Form".as_slice()) {
            continue;
        }
        if stack.contains(&id) {
            return true;
        }
        let inner = form
            .dict
            .get(b"Resources")
            .ok()
            .and_then(|o| deref(doc, o))
            .and_then(|o| o.as_dict().ok())
            .unwrap_or(resources);
        stack.push(id);
        let looped = forms_loop(doc, inner, stack, visits);
        stack.pop();
        if looped {
            return true;
        }
    }
    false
}

/// Loads with lopdf; a file whose cross-reference table or trailer is broken is loaded again
/// from a rebuilt one. `keep_encrypt: false` drops the encryption (structure only).
fn load(bytes: &[u8], keep_encrypt: bool) -> Result<lopdf::Document, lopdf::Error> {
    if !keep_encrypt {
        let fixed = repair(bytes, false).ok_or(lopdf::Error::Unimplemented("repair"))?;
        return lopdf::Document::load_mem(&fixed);
    }
    match lopdf::Document::load_mem(bytes) {
        // An encrypted file without the password loads without objects: that is an answer.
        Ok(doc)
            if !doc.get_pages().is_empty()
                || doc.objects.len() > 2
                || doc.trailer.get(b"Encrypt").is_ok() =>
        {
            Ok(doc)
        }
        first => match repair(bytes, true).map(|b| lopdf::Document::load_mem(&b)) {
            Some(Ok(doc)) => Ok(doc),
            _ => first,
        },
    }
}

/// Pages by the page tree; when the tree is broken (no pages, or fewer than the page
/// objects its root claims), the number of `/Type /Page` objects.
fn page_count(doc: &lopdf::Document) -> (u32, Vec<ObjectId>) {
    let tree: Vec<ObjectId> = doc.get_pages().values().copied().collect();
    let objects: Vec<ObjectId> = doc
        .objects
        .iter()
        .filter(|(_, o)| {
            o.as_dict()
                .ok()
                .and_then(|d| d.get(b"Type").ok())
                .and_then(|t| t.as_name().ok())
                == Some(b"Page".as_slice())
        })
        .map(|(id, _)| *id)
        .collect();
    let claimed = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Pages").ok())
        .and_then(|p| p.as_reference().ok())
        .and_then(|id| doc.get_dictionary(id).ok())
        .and_then(|d| d.get(b"Count").ok())
        .and_then(|c| c.as_i64().ok());
    let use_objects =
        tree.is_empty() || (tree.len() < objects.len() && claimed == Some(objects.len() as i64));
    let ids = if use_objects { objects } else { tree };
    let mut count = u32::try_from(ids.len()).unwrap_or(u32::MAX);
    // A page tree that loops back on itself: readers such as poppler trust the root's /Count.
    if let Some(claimed) = claimed.and_then(|c| u32::try_from(c).ok())
        && claimed > count
        && claimed <= 100_000
        && page_tree_loops(doc)
    {
        count = claimed;
    }
    (count, ids)
}

fn page_tree_loops(doc: &lopdf::Document) -> bool {
    let Some(root) = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Pages").ok())
        .and_then(|p| p.as_reference().ok())
    else {
        return false;
    };
    let mut seen = std::collections::HashSet::new();
    let mut todo = vec![root];
    while let Some(id) = todo.pop() {
        if !seen.insert(id) || seen.len() > 200_000 {
            return true;
        }
        if let Ok(kids) = doc
            .get_dictionary(id)
            .and_then(|d| d.get(b"Kids"))
            .and_then(Object::as_array)
        {
            todo.extend(kids.iter().filter_map(|k| k.as_reference().ok()));
        }
    }
    false
}

/// A copy of the file with a fresh cross-reference table and trailer appended, built by
/// scanning for `N G obj` headers (as PDF readers do for damaged files).
fn repair(bytes: &[u8], keep_encrypt: bool) -> Option<Vec<u8>> {
    let mut offsets: std::collections::BTreeMap<u32, (usize, u16)> = Default::default();
    let mut i = 0;
    while let Some(found) = super::detect::find(&bytes[i..], b"obj") {
        let at = i + found;
        i = at + 3;
        if at == 0 || !bytes[at - 1].is_ascii_whitespace() {
            continue;
        }
        // Walk back over "<num> <generation> ".
        let mut j = at;
        while j > 0 && bytes[j - 1].is_ascii_whitespace() {
            j -= 1;
        }
        let gen_end = j;
        while j > 0 && bytes[j - 1].is_ascii_digit() {
            j -= 1;
        }
        let gen_start = j;
        if gen_start == gen_end || j == 0 || !bytes[j - 1].is_ascii_whitespace() {
            continue;
        }
        while j > 0 && bytes[j - 1].is_ascii_whitespace() {
            j -= 1;
        }
        let num_end = j;
        while j > 0 && bytes[j - 1].is_ascii_digit() {
            j -= 1;
        }
        if j == num_end || (j > 0 && !bytes[j - 1].is_ascii_whitespace() && bytes[j - 1] != b'>') {
            continue;
        }
        let num = std::str::from_utf8(&bytes[j..num_end])
            .ok()?
            .parse::<u32>()
            .ok();
        let generation = std::str::from_utf8(&bytes[gen_start..gen_end])
            .ok()?
            .parse::<u16>()
            .ok();
        if let (Some(num), Some(generation)) = (num, generation)
            && num > 0
            && num < 10_000_000
        {
            offsets.insert(num, (j, generation));
        }
    }
    let size = offsets.keys().next_back().copied()? + 1;
    let reference = |key: &[u8]| -> Option<String> {
        let mut best = None;
        let mut k = 0;
        while let Some(found) = super::detect::find(&bytes[k..], key) {
            let at = k + found + key.len();
            k = at;
            let tail = &bytes[at..bytes.len().min(at + 32)];
            let text = String::from_utf8_lossy(tail);
            let parts: Vec<&str> = text.split_whitespace().take(3).collect();
            if parts.len() == 3
                && parts[0].parse::<u32>().is_ok()
                && parts[1].parse::<u16>().is_ok()
                && parts[2].starts_with('R')
            {
                best = Some(format!("{} {} R", parts[0], parts[1]));
            }
        }
        best
    };
    let root = reference(b"/Root").or_else(|| {
        let at = super::detect::find(bytes, b"/Catalog")?;
        let (num, (_, generation)) = offsets
            .iter()
            .filter(|(_, (off, _))| *off < at)
            .max_by_key(|(_, (off, _))| *off)?;
        Some(format!("{num} {generation} R"))
    })?;
    let mut out = bytes.to_vec();
    out.extend_from_slice(
        b"
",
    );
    let xref_at = out.len();
    let mut table = format!(
        "xref
0 {size}
0000000000 65535 f 
"
    );
    for n in 1..size {
        match offsets.get(&n) {
            Some((off, generation)) => table.push_str(&format!(
                "{off:010} {generation:05} n 
"
            )),
            None => table.push_str(
                "0000000000 65535 f 
",
            ),
        }
    }
    let mut trailer = format!(
        "trailer
<< /Size {size} /Root {root}"
    );
    if let Some(info) = reference(b"/Info") {
        trailer.push_str(&format!(" /Info {info}"));
    }
    if keep_encrypt {
        if let Some(enc) = reference(b"/Encrypt") {
            trailer.push_str(&format!(" /Encrypt {enc}"));
        }
        if let Some(at) = super::detect::find(bytes, b"/ID") {
            let tail = &bytes[at + 3..bytes.len().min(at + 300)];
            if let (Some(open), Some(close)) = (
                tail.iter().position(|&b| b == b'['),
                tail.iter().position(|&b| b == b']'),
            ) && open < close
            {
                trailer.push_str(" /ID ");
                trailer.push_str(&String::from_utf8_lossy(&tail[open..=close]));
            }
        }
    }
    trailer.push_str(&format!(
        " >>
startxref
{xref_at}
%%EOF
"
    ));
    out.extend_from_slice(table.as_bytes());
    out.extend_from_slice(trailer.as_bytes());
    Some(out)
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
    pages_seen: u32,
    last_end: f64,
    last_y: f64,
    first_char: bool,
    page_height: f64,
    calls: u32,
}

impl<'b> TextOut<'b> {
    fn new(budget: &'b Budget, _max_pages: u32) -> Self {
        TextOut {
            text: String::new(),
            page_starts: Vec::new(),
            budget,
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
        if self.budget.expired() {
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
        if self.calls.is_multiple_of(1024) && self.budget.expired() {
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
