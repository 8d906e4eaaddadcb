//! OCR: the text of scanned PDF pages and of photographed or scanned images, read with
//! Tesseract (Dutch model, `[documents] ocr_language`).
//!
//! Tesseract runs through its command line (`tesseract stdin stdout -l nld --psm 1 tsv`), not
//! through the library. Why: no FFI and no build dependency (the intake builds and runs without
//! it; `[documents] ocr = "auto"` uses it when it is installed); every program here runs as a
//! child of the document worker, so it inherits the worker's address-space limit, sits in the
//! worker's process group (killed at the document's deadline) and is killed by this module at
//! the deadline too — a crash or runaway in Tesseract or Leptonica on a hostile image costs one
//! child process. The price is loading the language model once per page (about a tenth of
//! the two seconds a page takes).
//!
//! PDF pages are rendered one at a time by poppler's `pdftoppm` (grey, [`Limits::ocr_dpi`],
//! lowered for pages larger than A3). Images (JPEG, PNG, TIFF page by page, GIF, BMP, WebP) are
//! decoded here with their EXIF orientation and scaled down to 20 million pixels; HEIC/HEIF
//! is converted to PNG first with libheif's `heif-convert`; what the decoder does not know
//! (JPEG 2000) goes to Tesseract as it is. Every page image is straightened ([`raster`]: a
//! page two degrees askew loses whole paragraphs in Tesseract's layout analysis) and handed
//! to Tesseract as a PGM on stdin. Page segmentation mode 1 detects the orientation, so a page
//! scanned upside down or a phone photo taken sideways is read too. Tesseract's TSV output
//! gives every word with its confidence: the text is rebuilt from it line by line, and the
//! mean word confidence is the document's confidence.
//!
//! Runs only inside the document worker ([`super::worker`]). Never logs, and returns text only
//! in the extraction.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::raster::{self, DecodeError, Gray};
use super::{Budget, Extracted, Limits, OcrMode, PageBasis, Paper, Status, TextBasis};

/// Largest page image handed to Tesseract, in pixels: an A3 page at 300 dpi (17.5 million)
/// fits; larger PDF pages are rendered at a lower resolution, larger photos scaled down.
pub(crate) const MAX_PIXELS: u64 = 20_000_000;

/// Largest image that is decoded at all (a 48-megapixel phone photo is), in pixels.
const MAX_IMAGE_PIXELS: u64 = 100_000_000;

/// Fewer words than this are too few to judge a reading by its confidence: a logo or a
/// photo with a few letters on it.
const MIN_WORDS_TO_JUDGE: u32 = 10;

/// Stack of the helper threads that feed and drain the OCR programs.
const HELPER_STACK: usize = 256 * 1024;

/// Most bytes read from Tesseract's stdout (a page of TSV is about 40 KB).
const MAX_OUTPUT: u64 = 16 * 1024 * 1024;

/// How much of an OCR program's stderr is kept to tell why it failed.
const STDERR_TAIL: usize = 4096;

/// The programs OCR needs, found on `PATH` (or configured).
#[derive(Debug, Clone)]
pub(crate) struct Tools {
    tesseract: PathBuf,
    pdftoppm: Option<PathBuf>,
    heif_convert: Option<PathBuf>,
}

/// The OCR programs, or why there is no OCR (words that complete "...; " in a reason).
pub(crate) fn tools(limits: &Limits) -> Result<Tools, String> {
    if limits.ocr == OcrMode::Off {
        return Err("OCR is off".to_string());
    }
    let tesseract = match &limits.tesseract_path {
        Some(path) if path.is_file() => path.clone(),
        Some(path) => {
            return Err(format!(
                "OCR is not available: no tesseract at {}",
                path.display()
            ));
        }
        None => on_path("tesseract")
            .ok_or_else(|| "OCR is not available: tesseract is not installed".to_string())?,
    };
    Ok(Tools {
        tesseract,
        pdftoppm: on_path("pdftoppm"),
        heif_convert: on_path("heif-convert"),
    })
}

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// The OCR text of one page.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PageText {
    /// Lines of words; a blank line between paragraphs.
    pub text: String,
    /// Words recognised (with a confidence).
    pub words: u32,
    /// Sum of the words' confidences (0–100 each).
    pub confidence_sum: f64,
}

impl PageText {
    pub(crate) fn add(&mut self, other: &PageText) {
        self.words += other.words;
        self.confidence_sum += other.confidence_sum;
    }

    /// Mean word confidence in percent; `None` without words.
    pub fn confidence(&self) -> Option<f32> {
        (self.words > 0).then(|| (self.confidence_sum / f64::from(self.words)) as f32)
    }

    /// Whether this reading is too unsure to use: enough words to judge, and a mean
    /// confidence below the threshold.
    pub(crate) fn poor(&self, limits: &Limits) -> bool {
        self.words >= MIN_WORDS_TO_JUDGE
            && self
                .confidence()
                .is_some_and(|c| c < limits.ocr_min_confidence as f32)
    }

    /// Whether this reading holds no usable text: no words, or a few unsure ones (a photo).
    pub(crate) fn empty(&self, limits: &Limits) -> bool {
        self.words == 0
            || (self.words < MIN_WORDS_TO_JUDGE
                && self
                    .confidence()
                    .is_some_and(|c| c < limits.ocr_min_confidence as f32))
    }
}

/// Rebuilds the text of Tesseract's TSV output (`level page block par line word left top
/// width height conf text`): words of a line joined by a space, lines by a newline,
/// paragraphs by a blank line.
pub(crate) fn parse_tsv(tsv: &str) -> PageText {
    let mut page = PageText::default();
    let mut last: Option<(&str, &str, &str, &str)> = None;
    for row in tsv.lines() {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let word = cols[11].trim();
        let Ok(conf) = cols[10].trim().parse::<f64>() else {
            continue;
        };
        if word.is_empty() || !(0.0..=100.0).contains(&conf) {
            continue;
        }
        let at = (cols[1], cols[2], cols[3], cols[4]);
        match last {
            None => {}
            Some(prev) if (prev.0, prev.1, prev.2) != (at.0, at.1, at.2) => {
                page.text.push_str("\n\n");
            }
            Some(prev) if prev.3 != at.3 => page.text.push('\n'),
            Some(_) => page.text.push(' '),
        }
        page.text.push_str(&misread_fixed(word));
        page.words += 1;
        page.confidence_sum += conf;
        last = Some(at);
    }
    page
}

/// Dutch words that begin with a capital I followed by a lowercase letter, which Tesseract's
/// Dutch model reads as a lowercase l in common sans-serif fonts ("ledereen" for "Iedereen"):
/// a sentence that starts with one is otherwise lost to the claim finder. None of the misread
/// forms is a Dutch word ("Ieder" is left out: "leder" is one).
const CAPITAL_I_WORDS: &[&str] = &["Iedereen", "Iedere", "Ieders", "Iemand", "Iemands", "Iets"];

/// `word` with a known misreading of Tesseract undone (see [`CAPITAL_I_WORDS`]); the rest of
/// the word, quotes and punctuation around it, stay as read.
fn misread_fixed(word: &str) -> std::borrow::Cow<'_, str> {
    // Opening quotes or brackets before the word.
    let start = word
        .char_indices()
        .find(|(_, c)| c.is_alphanumeric())
        .map_or(word.len(), |(i, _)| i);
    let (lead, rest) = word.split_at(start);
    let letters: String = rest.chars().take_while(|c| c.is_alphabetic()).collect();
    let Some(tail) = letters.strip_prefix('l') else {
        return word.into();
    };
    if CAPITAL_I_WORDS
        .iter()
        .any(|w| w.strip_prefix('I') == Some(tail))
    {
        let after = &rest['l'.len_utf8()..];
        return format!("{lead}I{after}").into();
    }
    word.into()
}

/// A PDF page to read: its number (1-based, as poppler counts) and displayed size.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PdfPage {
    pub number: u32,
    pub paper: Option<Paper>,
}

/// The OCR of some pages of a PDF.
#[derive(Debug, Default)]
pub(crate) struct Reading {
    /// Page number and its text, for every page that was read (also when nothing was found).
    pub pages: Vec<(u32, PageText)>,
    /// Why not every page asked for was read, or a page failed.
    pub problems: Vec<String>,
}

/// Resolution for a page: [`Limits::ocr_dpi`], lowered so the image stays within
/// [`MAX_PIXELS`].
pub(crate) fn dpi_for(paper: Option<Paper>, limits: &Limits) -> u32 {
    let dpi = limits.ocr_dpi.clamp(50, 1200);
    let Some(p) = paper else {
        return dpi;
    };
    let square_inches = (p.width_pt / 72.0) * (p.height_pt / 72.0);
    if !(square_inches.is_finite() && square_inches > 0.0) {
        return dpi;
    }
    let fits = (MAX_PIXELS as f64 / square_inches).sqrt().floor();
    if fits < f64::from(dpi) {
        fits.max(20.0) as u32
    } else {
        dpi
    }
}

/// Reads `pages` of a PDF one at a time (render, straighten, then OCR), until the deadline or
/// [`Limits::ocr_max_pages`].
pub(crate) fn read_pdf_pages(
    pdf: &[u8],
    pages: &[PdfPage],
    tools: &Tools,
    limits: &Limits,
    budget: &Budget,
) -> Reading {
    let mut reading = Reading::default();
    let Some(pdftoppm) = &tools.pdftoppm else {
        reading.problems.push(
            "OCR is not available for PDF pages: poppler's pdftoppm is not installed".to_string(),
        );
        return reading;
    };
    let max = limits.ocr_max_pages as usize;
    for (i, page) in pages.iter().enumerate() {
        if i >= max {
            reading.problems.push(format!(
                "OCR read {max} of the {} pages without text (the limit per document)",
                pages.len()
            ));
            break;
        }
        if budget.expired() {
            reading.problems.push(stopped_note(i, pages.len()));
            break;
        }
        let dpi = dpi_for(page.paper, limits);
        match read_pdf_page(pdf, page.number, dpi, pdftoppm, tools, limits, budget) {
            Ok(text) => reading.pages.push((page.number, text)),
            Err(RunError::Timeout) => {
                reading.problems.push(stopped_note(i, pages.len()));
                break;
            }
            Err(e) => reading.problems.push(format!(
                "OCR failed on page {}: {}",
                page.number,
                e.reason(limits)
            )),
        }
    }
    reading
}

fn read_pdf_page(
    pdf: &[u8],
    number: u32,
    dpi: u32,
    pdftoppm: &Path,
    tools: &Tools,
    limits: &Limits,
    budget: &Budget,
) -> Result<PageText, RunError> {
    let mut render = Command::new(pdftoppm);
    render.args(["-r", &dpi.to_string(), "-gray"]).args([
        "-f",
        &number.to_string(),
        "-l",
        &number.to_string(),
        "-",
    ]);
    let pgm = run(vec![render], Some(pdf), budget.deadline, MAX_PIXELS + 1024)?;
    let page = Gray::from_pgm(&pgm)
        .ok_or_else(|| RunError::Failed("pdftoppm gave no page image".to_string()))?;
    drop(pgm);
    read_gray(page, Some(dpi), tools, limits, budget)
}

/// Evens out the light of a page image, straightens it and reads it.
fn read_gray(
    mut page: Gray,
    dpi: Option<u32>,
    tools: &Tools,
    limits: &Limits,
    budget: &Budget,
) -> Result<PageText, RunError> {
    // The skew is measured before the light is evened out: a photo's dark table is then
    // still one dark frame, which the measurement leaves out.
    // The pixel work takes a few tenths of a second a page (seconds in a debug build or on a
    // busy machine): it stops at the deadline, so that the worker answers in time.
    let until = Some(budget.deadline);
    let skew = page.skew_degrees();
    if budget.expired() || !page.flatten(until) || page.straighten(skew, until).is_none() {
        return Err(RunError::Timeout);
    }
    let pgm = page.to_pgm();
    drop(page);
    let ocr = tesseract(tools, limits, dpi, None);
    let tsv = run(vec![ocr], Some(&pgm), budget.deadline, MAX_OUTPUT)?;
    Ok(parse_tsv(&String::from_utf8_lossy(&tsv)))
}

fn stopped_note(done: usize, of: usize) -> String {
    format!("OCR stopped at the time limit after {done} of the {of} pages without text")
}

/// Tesseract reading an image from stdin and writing TSV to stdout.
fn tesseract(tools: &Tools, limits: &Limits, dpi: Option<u32>, tiff_page: Option<u32>) -> Command {
    let mut c = Command::new(&tools.tesseract);
    c.args(["stdin", "stdout", "-l", &limits.ocr_language, "--psm", "1"]);
    if let Some(dpi) = dpi {
        c.args(["--dpi", &dpi.to_string()]);
    }
    if let Some(page) = tiff_page {
        c.args(["-c", &format!("tessedit_page_number={page}")]);
    }
    // One thread: OpenMP's spinning threads cost more than they give on a shared machine.
    c.arg("tsv").env("OMP_THREAD_LIMIT", "1");
    c
}

/// What kind of image the bytes are, as far as OCR cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ImageKind {
    Jpeg,
    Png,
    Tiff,
    Heif,
    /// GIF, BMP, WebP, JPEG 2000: no size check beforehand.
    Other,
}

fn image_kind(b: &[u8]) -> ImageKind {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        ImageKind::Jpeg
    } else if b.starts_with(b"\x89PNG") {
        ImageKind::Png
    } else if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        ImageKind::Tiff
    } else if b.len() > 12 && &b[4..8] == b"ftyp" && is_heif_brand(&b[8..12]) {
        ImageKind::Heif
    } else {
        ImageKind::Other
    }
}

fn is_heif_brand(brand: &[u8]) -> bool {
    matches!(
        brand,
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" | b"heif"
    )
}

/// One image of an attachment.
enum Source {
    /// The file itself, or the first page of a TIFF.
    Whole,
    /// A later page of a TIFF: the offset of its directory.
    TiffPage(u32),
    /// An image `heif-convert` wrote.
    File(PathBuf),
}

/// Reads an image attachment: one page per image (per page of a TIFF, per image of a HEIC).
pub(crate) fn read_image(bytes: &[u8], limits: &Limits, budget: &Budget) -> Extracted {
    let tools = match tools(limits) {
        Ok(t) => t,
        Err(why) => {
            return Extracted::failed(
                Status::ScanWithoutText,
                format!("an image (photo or scan) has no text layer; {why}"),
            );
        }
    };
    let kind = image_kind(bytes);
    if let Some((w, h)) = dimensions(bytes, kind)
        && u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS
    {
        return Extracted {
            pages: Some(1),
            page_basis: Some(PageBasis::Exact),
            ..Extracted::failed(
                Status::TooLarge,
                format!(
                    "the image is {w} × {h} pixels, more than OCR reads ({} million pixels)",
                    MAX_IMAGE_PIXELS / 1_000_000
                ),
            )
        };
    }
    // The images to read: the file, the pages of a TIFF, the images of a HEIC.
    let mut heif_dir = None;
    let sources: Vec<Source> = match kind {
        ImageKind::Heif => match convert_heif(bytes, &tools, budget) {
            Ok((dir, files)) => {
                heif_dir = Some(dir);
                files.into_iter().map(Source::File).collect()
            }
            Err(why) => return Extracted::failed(Status::Unreadable, why),
        },
        ImageKind::Tiff => {
            let dirs = Tiff::parse(bytes)
                .map(|t| t.directories())
                .unwrap_or_default();
            std::iter::once(Source::Whole)
                .chain(
                    dirs.iter()
                        .skip(1)
                        .map(|&at| Source::TiffPage(u32::try_from(at).unwrap_or(0))),
                )
                .collect()
        }
        _ => vec![Source::Whole],
    };
    let count = sources.len() as u32;
    let max = limits.ocr_max_pages.max(1);
    let max_alloc = limits.worker_memory_mb.saturating_mul(1024 * 1024);
    let mut pages = Vec::new();
    let mut problems = Vec::new();
    let mut failed = false;
    for (i, source) in sources.iter().enumerate().take(max as usize) {
        if budget.expired() {
            problems.push(format!(
                "OCR stopped at the time limit after {i} of {count} pages"
            ));
            break;
        }
        let file;
        let (data, tiff_page_at, tiff_page) = match source {
            Source::Whole => (bytes, None, (kind == ImageKind::Tiff).then_some(0)),
            Source::TiffPage(at) => (bytes, Some(*at), Some(i as u32)),
            Source::File(path) => {
                file = std::fs::read(path).unwrap_or_default();
                (file.as_slice(), None, None)
            }
        };
        let read = match raster::decode(data, tiff_page_at, max_alloc) {
            Ok(gray) => read_gray(gray.within(MAX_PIXELS), None, &tools, limits, budget),
            // Leptonica, inside Tesseract, reads a few formats the decoder here does not.
            Err(DecodeError::Unsupported) => {
                let ocr = tesseract(&tools, limits, None, tiff_page);
                run(vec![ocr], Some(data), budget.deadline, MAX_OUTPUT)
                    .map(|tsv| parse_tsv(&String::from_utf8_lossy(&tsv)))
            }
            Err(DecodeError::Failed(why)) => Err(RunError::Failed(format!(
                "the image could not be decoded: {why}"
            ))),
        };
        match read {
            Ok(text) => pages.push(text),
            Err(RunError::Timeout) => {
                problems.push(format!(
                    "OCR stopped at the time limit after {i} of {count} pages"
                ));
                break;
            }
            Err(e) => {
                failed = true;
                problems.push(if count > 1 {
                    format!("page {} could not be read: {}", i + 1, e.reason(limits))
                } else {
                    e.reason(limits)
                });
            }
        }
    }
    drop(heif_dir);
    if count > max {
        problems.push(format!(
            "OCR read {max} of {count} pages (the limit per document)"
        ));
    }
    image_extraction(pages, count, problems, failed, limits)
}

/// HEIC/HEIF (iPhone photos): converted to PNG by `heif-convert` in a temporary folder (it
/// reads and writes only files); the folder and the PNG files it holds (one, or one per
/// image of the file).
fn convert_heif(
    bytes: &[u8],
    tools: &Tools,
    budget: &Budget,
) -> Result<(TempDir, Vec<PathBuf>), String> {
    let Some(convert) = &tools.heif_convert else {
        return Err(
            "a HEIC photo: OCR cannot read it because heif-convert (libheif-examples) is not \
             installed"
                .to_string(),
        );
    };
    let dir = TempDir::new()
        .ok_or("the HEIC photo could not be converted: no temporary folder".to_string())?;
    let input = dir.path.join("photo.heic");
    std::fs::write(&input, bytes).map_err(|_| {
        "the HEIC photo could not be converted: the temporary folder is not writable".to_string()
    })?;
    let mut c = Command::new(convert);
    c.arg(&input).arg(dir.path.join("photo.png"));
    if let Err(e) = run(vec![c], None, budget.deadline, MAX_OUTPUT) {
        let why = match e {
            RunError::Timeout => "it took longer than the time limit".to_string(),
            RunError::Memory => "it needed more memory than allowed".to_string(),
            RunError::Failed(why) => why,
        };
        return Err(format!("the HEIC photo could not be converted: {why}"));
    }
    // One PNG, or photo-1.png, photo-2.png ... for a file with several images.
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir.path)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "png"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    if files.is_empty() {
        return Err("the HEIC photo could not be converted: it holds no image".to_string());
    }
    Ok((dir, files))
}

/// The extraction of an image read by OCR: one page per image, text per page.
fn image_extraction(
    pages: Vec<PageText>,
    count: u32,
    problems: Vec<String>,
    failed: bool,
    limits: &Limits,
) -> Extracted {
    let mut total = PageText::default();
    let mut text = String::new();
    let mut page_starts = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        total.add(page);
        if i > 0 {
            text.push('\n');
            page_starts.push(text.len());
        }
        text.push_str(&page.text);
    }
    let mut ex = Extracted {
        pages: Some(count.max(1)),
        page_basis: Some(PageBasis::Exact),
        ..Extracted::default()
    };
    if total.empty(limits) {
        if failed {
            ex.status = Some(Status::Unreadable);
            ex.reason = Some(format!(
                "the image could not be read: {}",
                problems.join("; ")
            ));
        } else {
            ex.status = Some(Status::ScanWithoutText);
            ex.reason = Some(if problems.is_empty() {
                "an image (photo or scan) without readable text: OCR found none".to_string()
            } else {
                format!(
                    "an image (photo or scan) without readable text: {}",
                    problems.join("; ")
                )
            });
        }
        return ex;
    }
    ex.text = text;
    ex.page_starts = page_starts;
    ex.text_basis = TextBasis::Ocr;
    ex.ocr_confidence = total.confidence();
    judge(&mut ex, &total, problems, limits);
    ex
}

/// Sets the status and reason of a text read (partly) by OCR: poorly readable below the
/// confidence threshold, with the problems met on the way as notes.
pub(crate) fn judge(ex: &mut Extracted, ocr: &PageText, problems: Vec<String>, limits: &Limits) {
    let mut notes = problems;
    if ocr.poor(limits) {
        ex.status = Some(Status::PoorlyReadable);
        notes.insert(
            0,
            format!(
                "text read by OCR with a mean word confidence of {} %, below {} %: words may \
                 be misread",
                ocr.confidence().map_or(0, |c| c.round() as i64),
                limits.ocr_min_confidence
            ),
        );
    }
    ex.reason = (!notes.is_empty()).then(|| notes.join("; "));
}

/// Width and height from the header of a JPEG, PNG or TIFF (first page); `None` otherwise.
fn dimensions(b: &[u8], kind: ImageKind) -> Option<(u32, u32)> {
    match kind {
        ImageKind::Png => {
            let w = u32::from_be_bytes(b.get(16..20)?.try_into().ok()?);
            let h = u32::from_be_bytes(b.get(20..24)?.try_into().ok()?);
            Some((w, h))
        }
        ImageKind::Jpeg => jpeg_dimensions(b),
        ImageKind::Tiff => tiff_dimensions(b),
        ImageKind::Heif | ImageKind::Other => None,
    }
}

/// The frame header (SOFn) of a JPEG, found by walking its segments.
fn jpeg_dimensions(b: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    while i + 4 <= b.len() {
        if b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        let sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if sof {
            let h = u16::from_be_bytes([*b.get(i + 5)?, *b.get(i + 6)?]);
            let w = u16::from_be_bytes([*b.get(i + 7)?, *b.get(i + 8)?]);
            return Some((u32::from(w), u32::from(h)));
        }
        if marker == 0xDA || len < 2 {
            return None;
        }
        i += 2 + len;
    }
    None
}

struct Tiff<'a> {
    b: &'a [u8],
    le: bool,
}

impl Tiff<'_> {
    fn parse(b: &[u8]) -> Option<Tiff<'_>> {
        match b.get(..4)? {
            b"II*\0" => Some(Tiff { b, le: true }),
            b"MM\0*" => Some(Tiff { b, le: false }),
            _ => None,
        }
    }

    fn u16(&self, at: usize) -> Option<u16> {
        let v: [u8; 2] = self.b.get(at..at + 2)?.try_into().ok()?;
        Some(if self.le {
            u16::from_le_bytes(v)
        } else {
            u16::from_be_bytes(v)
        })
    }

    fn u32(&self, at: usize) -> Option<u32> {
        let v: [u8; 4] = self.b.get(at..at + 4)?.try_into().ok()?;
        Some(if self.le {
            u32::from_le_bytes(v)
        } else {
            u32::from_be_bytes(v)
        })
    }

    /// Offsets of the image file directories (pages), following the chain without loops.
    fn directories(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut at = self.u32(4).unwrap_or(0) as usize;
        while at != 0 && !out.contains(&at) && out.len() < 10_000 {
            let Some(entries) = self.u16(at) else {
                break;
            };
            out.push(at);
            at = self.u32(at + 2 + 12 * usize::from(entries)).unwrap_or(0) as usize;
        }
        out
    }

    /// A SHORT or LONG value of tag `tag` in the directory at `dir`.
    fn tag(&self, dir: usize, tag: u16) -> Option<u32> {
        let entries = self.u16(dir)?;
        (0..usize::from(entries)).find_map(|i| {
            let e = dir + 2 + 12 * i;
            if self.u16(e)? != tag {
                return None;
            }
            match self.u16(e + 2)? {
                3 => self.u16(e + 8).map(u32::from),
                4 => self.u32(e + 8),
                _ => None,
            }
        })
    }
}

fn tiff_dimensions(b: &[u8]) -> Option<(u32, u32)> {
    let t = Tiff::parse(b)?;
    let dirs = t.directories();
    // The largest page decides.
    dirs.iter()
        .filter_map(|&d| Some((t.tag(d, 256)?, t.tag(d, 257)?)))
        .max_by_key(|(w, h)| u64::from(*w) * u64::from(*h))
}

/// Why an OCR program gave no answer.
#[derive(Debug)]
enum RunError {
    /// Killed at the deadline, or stopped by its CPU limit.
    Timeout,
    /// An allocation failed under the memory limit.
    Memory,
    /// It failed otherwise; the text says how.
    Failed(String),
}

impl RunError {
    fn reason(&self, limits: &Limits) -> String {
        match self {
            RunError::Timeout => "it took longer than the time limit".to_string(),
            RunError::Memory => format!(
                "it needed more than {} MB memory",
                limits.worker_memory_mb + 128
            ),
            RunError::Failed(why) => why.clone(),
        }
    }
}

/// Runs `commands` as a pipeline (each one's stdout is the next one's stdin), writes `input`
/// to the first one's stdin and returns the last one's stdout (at most `max_output` bytes).
/// Every program is killed at the deadline.
fn run(
    commands: Vec<Command>,
    input: Option<&[u8]>,
    deadline: Instant,
    max_output: u64,
) -> Result<Vec<u8>, RunError> {
    let mut children: Vec<(String, Child)> = Vec::with_capacity(commands.len());
    let mut feed: Option<ChildStdout> = None;
    for mut command in commands {
        let name = Path::new(command.get_program())
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stdin = match (feed.take(), children.is_empty(), input.is_some()) {
            (Some(out), _, _) => Stdio::from(out),
            (None, true, true) => Stdio::piped(),
            _ => Stdio::null(),
        };
        command
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match command.spawn() {
            Ok(mut child) => {
                feed = child.stdout.take();
                children.push((name, child));
            }
            Err(e) => {
                kill_all(&mut children);
                return Err(RunError::Failed(format!("cannot start {name}: {e}")));
            }
        }
    }
    let stdin = children.first_mut().and_then(|(_, c)| c.stdin.take());
    let stderrs: Vec<_> = children.iter_mut().map(|(_, c)| c.stderr.take()).collect();
    let result = std::thread::scope(|scope| {
        let writer = helper(scope, move || {
            if let (Some(mut pipe), Some(data)) = (stdin, input) {
                // A program that stops reading early shows that in its exit status.
                let _ = pipe.write_all(data);
            }
        });
        let reader = helper(scope, move || read_capped(feed, max_output));
        let tails: Vec<_> = stderrs
            .into_iter()
            .map(|e| helper(scope, move || read_tail(e)))
            .collect();
        let (Ok(writer), Ok(reader)) = (writer, reader) else {
            kill_all(&mut children);
            return Err(RunError::Failed("cannot start a helper thread".to_string()));
        };
        let statuses = wait_all(&mut children, deadline);
        let _ = writer.join();
        let output = reader.join().unwrap_or_default();
        let tails: Vec<Vec<u8>> = tails
            .into_iter()
            .map(|t| t.ok().and_then(|h| h.join().ok()).unwrap_or_default())
            .collect();
        Ok((statuses, output, tails))
    });
    let (statuses, output, tails) = result?;
    let Some(statuses) = statuses else {
        return Err(RunError::Timeout);
    };
    for (((name, _), status), tail) in children.iter().zip(&statuses).zip(&tails) {
        if let Some(err) = failure(name, *status, tail) {
            return Err(err);
        }
    }
    Ok(output)
}

fn helper<'scope, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    work: impl FnOnce() -> T + Send + 'scope,
) -> std::io::Result<std::thread::ScopedJoinHandle<'scope, T>> {
    std::thread::Builder::new()
        .stack_size(HELPER_STACK)
        .spawn_scoped(scope, work)
}

fn read_capped(pipe: Option<ChildStdout>, max: u64) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(pipe) = pipe {
        let mut limited = pipe.take(max);
        let _ = limited.read_to_end(&mut out);
        // Drain the rest so the program is not blocked on a full pipe.
        let _ = std::io::copy(&mut limited.into_inner(), &mut std::io::sink());
    }
    out
}

fn read_tail<R: Read>(pipe: Option<R>) -> Vec<u8> {
    let mut tail = Vec::new();
    let Some(mut pipe) = pipe else {
        return tail;
    };
    let mut buf = [0u8; 4096];
    while let Ok(n) = pipe.read(&mut buf) {
        if n == 0 {
            break;
        }
        tail.extend_from_slice(&buf[..n]);
        if tail.len() > STDERR_TAIL {
            tail.drain(..tail.len() - STDERR_TAIL);
        }
    }
    tail
}

/// Waits for every program; at the deadline kills them all and returns `None`.
fn wait_all(children: &mut [(String, Child)], deadline: Instant) -> Option<Vec<ExitStatus>> {
    let mut statuses: Vec<Option<ExitStatus>> = vec![None; children.len()];
    loop {
        for ((_, child), status) in children.iter_mut().zip(statuses.iter_mut()) {
            if status.is_none()
                && let Ok(Some(s)) = child.try_wait()
            {
                *status = Some(s);
            }
        }
        if statuses.iter().all(Option::is_some) {
            return Some(statuses.into_iter().flatten().collect());
        }
        if Instant::now() >= deadline {
            kill_all(children);
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn kill_all(children: &mut [(String, Child)]) {
    for (_, child) in children.iter_mut() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Why a program that exited with `status` failed; `None` when it succeeded.
fn failure(name: &str, status: ExitStatus, stderr_tail: &[u8]) -> Option<RunError> {
    use std::os::unix::process::ExitStatusExt;
    if status.success() {
        return None;
    }
    let said = String::from_utf8_lossy(stderr_tail);
    let lower = said.to_ascii_lowercase();
    if status.signal() == Some(rustix::process::Signal::XCPU.as_raw()) {
        return Some(RunError::Timeout);
    }
    if [
        "malloc fail",
        "bad_alloc",
        "cannot allocate",
        "out of memory",
    ]
    .iter()
    .any(|m| lower.contains(m))
    {
        return Some(RunError::Memory);
    }
    if lower.contains("failed loading language") {
        return Some(RunError::Failed(format!(
            "{name} has no language model for this language (install tesseract-ocr-nld)"
        )));
    }
    let last = said
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .map(|l| l.chars().take(160).collect::<String>());
    Some(RunError::Failed(match (status.code(), last) {
        (Some(code), Some(line)) => format!("{name} exited with {code}: {line}"),
        (Some(code), None) => format!("{name} exited with {code}"),
        (None, _) => format!("{name} crashed"),
    }))
}

/// A temporary folder, removed when dropped.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new() -> Option<TempDir> {
        let mut name = OsString::from("intake-ocr-");
        name.push(format!(
            "{}-{:016x}",
            std::process::id(),
            rand::random::<u64>()
        ));
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir(&path).ok()?;
        Some(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TSV: &str = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext
1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t
2\t1\t1\t0\t0\t0\t237\t243\t1074\t138\t-1\t
3\t1\t1\t1\t0\t0\t237\t243\t1074\t138\t-1\t
4\t1\t1\t1\t1\t0\t237\t243\t1074\t41\t-1\t
5\t1\t1\t1\t1\t1\t237\t243\t80\t41\t96.5\tGeachte
5\t1\t1\t1\t1\t2\t330\t243\t80\t41\t93.5\theer,
4\t1\t1\t1\t2\t0\t237\t300\t1074\t41\t-1\t
5\t1\t1\t1\t2\t1\t237\t300\t80\t41\t90\tGemeente
5\t1\t1\t1\t2\t2\t330\t300\t80\t41\t80\tEde
5\t1\t1\t1\t2\t3\t430\t300\t80\t41\t95\t \t
3\t1\t1\t2\t0\t0\t237\t400\t1074\t138\t-1\t
5\t1\t1\t2\t1\t1\t237\t400\t80\t41\t45\tcoëxistentie.
";

    #[test]
    fn the_tsv_becomes_lines_and_paragraphs_with_the_mean_word_confidence() {
        let page = parse_tsv(TSV);
        assert_eq!(page.text, "Geachte heer,\nGemeente Ede\n\ncoëxistentie.");
        assert_eq!(page.words, 5);
        assert_eq!(page.confidence(), Some(81.0));
    }

    #[test]
    fn a_capital_i_read_as_a_small_l_is_put_right_and_real_words_are_left_alone() {
        assert_eq!(misread_fixed("ledereen"), "Iedereen");
        assert_eq!(misread_fixed("“ledereen"), "“Iedereen");
        assert_eq!(misread_fixed("lemand,"), "Iemand,");
        assert_eq!(misread_fixed("lets"), "Iets");
        for word in [
            "leden",
            "leder",
            "lezen",
            "lijst",
            "Iedereen",
            "ledereens-achtig",
            "l",
            "",
        ] {
            assert_eq!(misread_fixed(word), word);
        }
    }

    #[test]
    fn a_tsv_without_words_is_empty_and_has_no_confidence() {
        let page = parse_tsv("level\tpage_num\n1\t1\t0\t0\t0\t0\t0\t0\t10\t10\t-1\t\n");
        assert_eq!(page, PageText::default());
        assert_eq!(page.confidence(), None);
        assert!(page.empty(&Limits::default()));
    }

    #[test]
    fn a_few_unsure_words_are_no_text_and_many_unsure_words_are_poorly_readable() {
        let limits = Limits::default();
        let few = PageText {
            text: "~ ae".into(),
            words: 2,
            confidence_sum: 60.0,
        };
        assert!(few.empty(&limits));
        let many = PageText {
            text: "x".into(),
            words: 40,
            confidence_sum: 40.0 * 50.0,
        };
        assert!(!many.empty(&limits) && many.poor(&limits));
        let good = PageText {
            text: "x".into(),
            words: 40,
            confidence_sum: 40.0 * 92.0,
        };
        assert!(!good.empty(&limits) && !good.poor(&limits));
    }

    #[test]
    fn pages_larger_than_a3_are_rendered_at_a_lower_resolution() {
        let limits = Limits::default();
        assert_eq!(dpi_for(Some(Paper::A4), &limits), 300);
        let a3 = Paper {
            width_pt: 841.89,
            height_pt: 1190.55,
        };
        assert_eq!(dpi_for(Some(a3), &limits), 300);
        let balloon = Paper {
            width_pt: 2716.0,
            height_pt: 3702.0,
        };
        let dpi = dpi_for(Some(balloon), &limits);
        let pixels = (2716.0 / 72.0 * f64::from(dpi)) * (3702.0 / 72.0 * f64::from(dpi));
        assert!(dpi < 150 && pixels <= MAX_PIXELS as f64, "{dpi} dpi");
        assert_eq!(dpi_for(None, &limits), 300);
    }

    #[test]
    fn jpeg_png_and_tiff_sizes_and_tiff_pages_are_read_from_their_headers() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&40_000u32.to_be_bytes());
        png.extend_from_slice(&30_000u32.to_be_bytes());
        assert_eq!(dimensions(&png, image_kind(&png)), Some((40_000, 30_000)));

        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x0B,
            0xB8, 0x0F, 0xA0,
        ];
        assert_eq!(image_kind(&jpeg), ImageKind::Jpeg);
        assert_eq!(dimensions(&jpeg, ImageKind::Jpeg), Some((4000, 3000)));

        // Two pages, little-endian: each directory has width (256) and height (257).
        let mut tiff = b"II*\0".to_vec();
        tiff.extend_from_slice(&8u32.to_le_bytes());
        let dir = |w: u32, h: u32, next: u32| {
            let mut d = 2u16.to_le_bytes().to_vec();
            for (tag, v) in [(256u16, w), (257u16, h)] {
                d.extend_from_slice(&tag.to_le_bytes());
                d.extend_from_slice(&4u16.to_le_bytes());
                d.extend_from_slice(&1u32.to_le_bytes());
                d.extend_from_slice(&v.to_le_bytes());
            }
            d.extend_from_slice(&next.to_le_bytes());
            d
        };
        tiff.extend(dir(2480, 3508, 8 + 30));
        tiff.extend(dir(5000, 7000, 0));
        let pages = |b: &[u8]| Tiff::parse(b).map_or(0, |t| t.directories().len());
        assert_eq!(pages(&tiff), 2);
        assert_eq!(dimensions(&tiff, ImageKind::Tiff), Some((5000, 7000)));
        // A directory chain that loops back counts each page once.
        let mut looped = tiff.clone();
        let at = 8 + 30 + 2 + 24;
        looped[at..at + 4].copy_from_slice(&8u32.to_le_bytes());
        assert_eq!(pages(&looped), 2);
        assert_eq!(pages(b"II*\0\xff\xff\xff\xff"), 0);
    }

    #[test]
    fn heic_photos_are_told_from_other_images() {
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        assert_eq!(image_kind(heic), ImageKind::Heif);
        assert_eq!(image_kind(b"GIF89a...."), ImageKind::Other);
    }
}
