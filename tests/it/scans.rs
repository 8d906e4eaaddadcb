//! Scanned letters, made by the tests themselves: a development letter
//! (`tests/data/nominations-dev`) is laid out by LibreOffice as an A4 PDF, rendered to page
//! images by poppler's `pdftoppm` (200 or 300 dpi, grey), then optionally turned a few degrees,
//! compressed hard as JPEG, or made to look like a phone photo (on a table, uneven light,
//! blur, sensor noise, colour), and wrapped as an image-only PDF or as image attachments.
//! Also the character accuracy of OCR text against the letter's source text.
//!
//! Shared by the OCR tests (`tests/it/ocr.rs`) and the OCR benchmark (`benches/ocr.rs`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use image::{GrayImage, ImageBuffer, Luma, Rgb, RgbImage};

/// A development letter as a municipality would print it.
pub struct Letter {
    /// File stem in `tests/data/nominations-dev`, e.g. `dev-01_deventer`.
    pub id: &'static str,
    /// The municipality's CBS code (from the letter's labels).
    pub code: &'static str,
    /// The text that was laid out (paragraphs separated by blank lines).
    pub text: String,
    /// The PDF LibreOffice made of it, with a text layer.
    pub pdf: Vec<u8>,
}

/// The letters the OCR tests scan: a formal letter of the mayor of Deventer, a letter full of
/// Frisian diacritics (Súdwest-Fryslân) and a one-page letter in plain language
/// (Midden-Groningen), in a serif and two sans-serif fonts.
const LETTERS: [(&str, &str, &str); 3] = [
    ("dev-01_deventer", "GM0150", "DejaVu Serif"),
    ("dev-02_sudwest-fryslan", "GM1900", "Lato"),
    ("dev-12_midden-groningen", "GM1952", "DejaVu Sans"),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn installed(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Fails (never skips) when a program the OCR tests need is missing: the test command
/// installs them all.
pub fn require_tools() {
    for (program, package) in [
        ("tesseract", "tesseract-ocr"),
        ("pdftoppm", "poppler-utils"),
        ("soffice", "libreoffice-writer-nogui"),
        ("heif-enc", "libheif-examples"),
    ] {
        assert!(
            installed(program),
            "{program} is not installed: run scripts/install-test-deps.sh (it installs {package})"
        );
    }
    let langs = Command::new("tesseract")
        .arg("--list-langs")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    assert!(
        langs.lines().any(|l| l.trim() == "nld"),
        "tesseract has no Dutch model: run scripts/install-test-deps.sh (it installs tesseract-ocr-nld)"
    );
}

/// The letters, laid out by LibreOffice once per test binary (one `soffice` run for all).
pub fn letters() -> &'static [Letter] {
    static CELL: OnceLock<Vec<Letter>> = OnceLock::new();
    CELL.get_or_init(|| {
        require_tools();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut inputs = Vec::new();
        let mut texts = Vec::new();
        for (id, _, font) in LETTERS {
            let source = root()
                .join("tests/data/nominations-dev")
                .join(format!("{id}.txt"));
            let raw = std::fs::read_to_string(&source)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", source.display()));
            let paragraphs: Vec<String> = raw
                .split("\n\n")
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect();
            let path = dir.path().join(format!("{id}.fodt"));
            std::fs::write(&path, flat_odt(&paragraphs, font)).expect("write the letter");
            inputs.push(path);
            texts.push(paragraphs.join("\n\n"));
        }
        let profile = dir.path().join("profile");
        let out = Command::new("soffice")
            .arg(format!(
                "-env:UserInstallation=file://{}",
                profile.display()
            ))
            .args([
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
            ])
            .arg(dir.path())
            .args(&inputs)
            .env("HOME", dir.path())
            .stdin(Stdio::null())
            .output()
            .expect("soffice runs");
        assert!(out.status.success(), "soffice failed: {out:?}");
        LETTERS
            .iter()
            .zip(texts)
            .map(|(&(id, code, _), text)| {
                let pdf = std::fs::read(dir.path().join(format!("{id}.pdf")))
                    .unwrap_or_else(|e| panic!("LibreOffice made no PDF of {id}: {e}"));
                Letter {
                    id,
                    code,
                    text,
                    pdf,
                }
            })
            .collect()
    })
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A flat ODT: A4, 2.5 cm margins, 10.5 pt `font`, one paragraph each (line breaks kept).
fn flat_odt(paragraphs: &[String], font: &str) -> String {
    let body: String = paragraphs
        .iter()
        .map(|p| {
            let lines: Vec<String> = p.lines().map(xml_escape).collect();
            format!("<text:p>{}</text:p>\n", lines.join("<text:line-break/>"))
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.text">
<office:font-face-decls><style:font-face style:name="{font}" svg:font-family="'{font}'"/></office:font-face-decls>
<office:styles><style:default-style style:family="paragraph">
<style:paragraph-properties fo:margin-bottom="0.25cm"/>
<style:text-properties style:font-name="{font}" fo:font-size="10.5pt" fo:language="nl" fo:country="NL"/>
</style:default-style></office:styles>
<office:automatic-styles><style:page-layout style:name="pm1"><style:page-layout-properties
 fo:page-width="21cm" fo:page-height="29.7cm" fo:margin-top="2cm" fo:margin-bottom="2cm"
 fo:margin-left="2.5cm" fo:margin-right="2.5cm"/></style:page-layout></office:automatic-styles>
<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="pm1"/></office:master-styles>
<office:body><office:text>
{body}</office:text></office:body></office:document>
"#
    )
}

/// Pages of a PDF (poppler's count).
pub fn page_count(pdf: &[u8]) -> u32 {
    lopdf::Document::load_mem(pdf)
        .map(|d| d.get_pages().len() as u32)
        .expect("a PDF lopdf reads")
}

/// Page `page` (1-based) of a PDF as a grey image at `dpi`, rendered by pdftoppm.
pub fn render(pdf: &[u8], page: u32, dpi: u32) -> GrayImage {
    let mut child = Command::new("pdftoppm")
        .args(["-r", &dpi.to_string(), "-gray", "-f", &page.to_string()])
        .args(["-l", &page.to_string(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("pdftoppm runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = pdf.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().expect("pdftoppm output");
    writer.join().expect("writer").expect("pdf written");
    assert!(out.status.success(), "pdftoppm failed");
    image::load_from_memory_with_format(&out.stdout, image::ImageFormat::Pnm)
        .expect("a PGM image")
        .to_luma8()
}

/// Every page of a PDF at `dpi`.
pub fn render_all(pdf: &[u8], dpi: u32) -> Vec<GrayImage> {
    (1..=page_count(pdf)).map(|p| render(pdf, p, dpi)).collect()
}

/// Bilinear sample of `img` at (x, y); white outside.
fn sample(img: &GrayImage, x: f64, y: f64) -> f64 {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let (x0, y0) = (x.floor() as i64, y.floor() as i64);
    let (fx, fy) = (x - x0 as f64, y - y0 as f64);
    let px = |xi: i64, yi: i64| -> f64 {
        if xi < 0 || yi < 0 || xi >= w || yi >= h {
            255.0
        } else {
            f64::from(img.get_pixel(xi as u32, yi as u32).0[0])
        }
    };
    let top = px(x0, y0) * (1.0 - fx) + px(x0 + 1, y0) * fx;
    let bottom = px(x0, y0 + 1) * (1.0 - fx) + px(x0 + 1, y0 + 1) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// The page turned `degrees` (counter-clockwise) about its centre, as a scanner feeds a
/// sheet askew; the size stays, the corners are white.
pub fn rotate(img: &GrayImage, degrees: f64) -> GrayImage {
    let (w, h) = (img.width(), img.height());
    let (cx, cy) = (f64::from(w) / 2.0, f64::from(h) / 2.0);
    let (sin, cos) = degrees.to_radians().sin_cos();
    ImageBuffer::from_fn(w, h, |x, y| {
        let (dx, dy) = (f64::from(x) - cx, f64::from(y) - cy);
        let sx = cos * dx - sin * dy + cx;
        let sy = sin * dx + cos * dy + cy;
        Luma([sample(img, sx, sy).round().clamp(0.0, 255.0) as u8])
    })
}

/// A JPEG of a grey image at `quality` (1–100).
pub fn jpeg(img: &GrayImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .expect("jpeg encodes");
    out
}

/// A PNG of a grey image.
pub fn png(img: &GrayImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png encodes");
    out.into_inner()
}

/// A TIFF of a grey image.
pub fn tiff(img: &GrayImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Tiff)
        .expect("tiff encodes");
    out.into_inner()
}

/// A deterministic source of noise (xorshift), so a test sees the same image every run.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Roughly normal, mean 0, deviation 1 (sum of four uniforms).
    fn gauss(&mut self) -> f64 {
        ((0..4).map(|_| self.next()).sum::<f64>() - 2.0) * 3f64.sqrt()
    }
}

/// The page as a phone photo of it: the sheet askew on a darker table, light falling off
/// towards one corner, a little blur, sensor noise, warm colour, 60 % of the scan's
/// resolution (about 180 dpi for a 300 dpi scan) and JPEG quality 75.
pub fn photo(img: &GrayImage) -> Vec<u8> {
    let turned = rotate(img, -2.5);
    let (w, h) = (turned.width(), turned.height());
    let (mx, my) = (w / 12, h / 14);
    let (pw, ph) = (w + 2 * mx, h + 2 * my);
    let mut noise = Noise(0x5eed_1234_abcd_0001);
    let mut photo: RgbImage = ImageBuffer::from_fn(pw, ph, |x, y| {
        let inside = x >= mx && y >= my && x < mx + w && y < my + h;
        let paper = if inside {
            f64::from(turned.get_pixel(x - mx, y - my).0[0])
        } else {
            70.0
        };
        // Light from the top left, fading to 65 % at the far corner.
        let fall = 1.0
            - 0.35 * (f64::from(x) / f64::from(pw)) * (0.4 + 0.6 * f64::from(y) / f64::from(ph));
        let v = paper * fall;
        let n = noise.gauss() * 6.0;
        let c = |k: f64| (v * k + n).round().clamp(0.0, 255.0) as u8;
        Rgb([c(1.0), c(0.96), c(0.88)])
    });
    photo = image::imageops::blur(&photo, 1.1);
    let small = image::imageops::resize(
        &photo,
        pw * 3 / 5,
        ph * 3 / 5,
        image::imageops::FilterType::Triangle,
    );
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 75)
        .encode_image(&small)
        .expect("jpeg encodes");
    out
}

/// How a page image is stored in an image-only PDF.
pub enum PageImage {
    /// Lossless: raw grey samples, deflated.
    Gray(GrayImage),
    /// A JPEG (DCTDecode), grey or colour.
    Jpeg(Vec<u8>),
}

/// An image-only PDF: each page is `paper` (width, height in points) filled by its image;
/// no text layer, as a scanner or a phone app makes it.
pub fn image_pdf(pages: &[PageImage], paper: (f64, f64)) -> Vec<u8> {
    let mut objects: Vec<Vec<u8>> = Vec::new();
    let n = pages.len();
    // 1 catalog, 2 page tree, then per page: page, image, contents.
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 3 + 3 * i)).collect();
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes());
    for (i, page) in pages.iter().enumerate() {
        let (page_id, image_id, contents_id) = (3 + 3 * i, 4 + 3 * i, 5 + 3 * i);
        let _ = page_id;
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {:.3} {:.3}] \
                 /Resources << /XObject << /Im0 {image_id} 0 R >> >> /Contents {contents_id} 0 R >>",
                paper.0, paper.1
            )
            .into_bytes(),
        );
        let (dict, data) = match page {
            PageImage::Gray(img) => {
                let mut z =
                    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
                z.write_all(img.as_raw()).expect("deflate");
                (
                    format!(
                        "/Width {} /Height {} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
                        img.width(),
                        img.height()
                    ),
                    z.finish().expect("deflate"),
                )
            }
            PageImage::Jpeg(bytes) => {
                let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg)
                    .expect("a JPEG");
                let space = if img.color().has_color() {
                    "/DeviceRGB"
                } else {
                    "/DeviceGray"
                };
                (
                    format!(
                        "/Width {} /Height {} /ColorSpace {space} /BitsPerComponent 8 /Filter /DCTDecode",
                        img.width(),
                        img.height()
                    ),
                    bytes.clone(),
                )
            }
        };
        let mut image = format!(
            "<< /Type /XObject /Subtype /Image {dict} /Length {} >>\nstream\n",
            data.len()
        )
        .into_bytes();
        image.extend_from_slice(&data);
        image.extend_from_slice(b"\nendstream");
        objects.push(image);
        let draw = format!("q {:.3} 0 0 {:.3} 0 0 cm /Im0 Do Q", paper.0, paper.1);
        objects
            .push(format!("<< /Length {} >>\nstream\n{draw}\nendstream", draw.len()).into_bytes());
    }
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// Width and height (points) of the first page of a PDF.
pub fn paper_of(pdf: &[u8]) -> (f64, f64) {
    let doc = lopdf::Document::load_mem(pdf).expect("a PDF");
    let (_, id) = doc.get_pages().into_iter().next().expect("a page");
    let page = doc.get_dictionary(id).expect("a page dictionary");
    let mb = page
        .get(b"MediaBox")
        .and_then(lopdf::Object::as_array)
        .expect("a MediaBox on the page");
    let n = |o: &lopdf::Object| match o {
        lopdf::Object::Integer(i) => *i as f64,
        lopdf::Object::Real(r) => f64::from(*r),
        other => panic!("not a number: {other:?}"),
    };
    (n(&mb[2]) - n(&mb[0]), n(&mb[3]) - n(&mb[1]))
}

/// `pdf` with page `page` (1-based) replaced by the (first) page image of `scanned`, as when a
/// printed and signed last page is scanned and put back into the letter.
pub fn replace_page(pdf: &[u8], page: u32, scanned: &[u8]) -> Vec<u8> {
    use lopdf::{Object, Stream, dictionary};
    let mut doc = lopdf::Document::load_mem(pdf).expect("a PDF");
    let scan = lopdf::Document::load_mem(scanned).expect("the scan");
    let image = scan
        .objects
        .values()
        .find(|o| match o {
            Object::Stream(s) => {
                s.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(b"Image".as_slice())
            }
            _ => false,
        })
        .cloned()
        .expect("an image in the scan");
    let (w, h) = paper_of(pdf);
    let image_id = doc.add_object(image);
    let draw = format!("q {w:.3} 0 0 {h:.3} 0 0 cm /Scan Do Q");
    let content_id = doc.add_object(Stream::new(dictionary! {}, draw.into_bytes()));
    let page_id = *doc.get_pages().get(&page).expect("the page");
    let dict = doc.get_dictionary_mut(page_id).expect("a page dictionary");
    dict.set("Contents", content_id);
    dict.set(
        "Resources",
        dictionary! { "XObject" => dictionary! { "Scan" => image_id } },
    );
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("the PDF saves");
    out
}

/// Keeps a made scan or the text read from it in `$INTAKE_OCR_DUMP/<name>` when that variable
/// is set, to look at what the tests made and read.
pub fn dump(name: &str, bytes: &[u8]) {
    if let Some(dir) = std::env::var_os("INTAKE_OCR_DUMP") {
        let dir = PathBuf::from(dir);
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(name), bytes);
    }
}

/// Text as compared: every run of whitespace one space.
fn normalise(s: &str) -> Vec<char> {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .collect()
}

/// Character accuracy of `read` against `source`: 1 − (edit distance / source length), over
/// the texts with their whitespace runs made one space (so line breaks do not count).
pub fn accuracy(source: &str, read: &str) -> f64 {
    let (a, b) = (normalise(source), normalise(read));
    if a.is_empty() {
        return if b.is_empty() { 1.0 } else { 0.0 };
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    1.0 - prev[b.len()] as f64 / a.len() as f64
}

/// A HEIC photo of a JPEG, made with libheif's `heif-enc`.
pub fn heic(jpeg: &[u8], dir: &Path) -> Vec<u8> {
    let input = dir.join("photo.jpg");
    let output = dir.join("photo.heic");
    std::fs::write(&input, jpeg).expect("write the JPEG");
    let out = Command::new("heif-enc")
        .args(["-q", "80", "-o"])
        .arg(&output)
        .arg(&input)
        .output()
        .expect("heif-enc runs");
    assert!(out.status.success(), "heif-enc failed: {out:?}");
    std::fs::read(&output).expect("the HEIC file")
}

/// A raw mail from `from` with `attachments` (file name, MIME type, bytes), base64.
pub fn mail(from: &str, subject: &str, body: &str, attachments: &[(&str, &str, &[u8])]) -> Vec<u8> {
    use base64::Engine;
    let mut raw = format!(
        "Received: from mail.example by mx1.vng.nl (Postfix); Mon, 12 Mar 2018 10:00:02 +0100\r\n\
         From: {from}\r\nTo: koplopers@vng.nl\r\nSubject: {subject}\r\n\
         Message-ID: <{}@scan.example>\r\nDate: Mon, 12 Mar 2018 10:00:00 +0100\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"grens\"\r\n\r\n\
         --grens\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        rand_id()
    )
    .into_bytes();
    for (name, mime, data) in attachments {
        raw.extend_from_slice(
            format!(
                "--grens\r\nContent-Type: {mime}; name=\"{name}\"\r\n\
                 Content-Disposition: attachment; filename=\"{name}\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n"
            )
            .as_bytes(),
        );
        let b64 = base64::engine::general_purpose::STANDARD.encode(data);
        for line in b64.as_bytes().chunks(76) {
            raw.extend_from_slice(line);
            raw.extend_from_slice(b"\r\n");
        }
    }
    raw.extend_from_slice(b"--grens--\r\n");
    raw
}

fn rand_id() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("scan-{t}-{n}-{}", std::process::id())
}
