//! Page images for OCR: decoding of attached images (JPEG, PNG, TIFF page by page, GIF, BMP,
//! WebP) into grey pixels with their EXIF orientation applied, scaling down to the pixel
//! limit, evening out uneven light (a phone photo's shadowed corner), and straightening
//! ("deskewing") a page scanned or photographed a few degrees askew.
//!
//! Why deskew here: Tesseract's page layout analysis loses whole paragraphs of a page turned
//! by as little as 2.5 degrees (measured: 7 of 147 words), which a sheet laid on a flatbed
//! scanner or a phone photo easily is. The angle is found by the projection profile of the dark
//! pixels (text lines line up with the rows at the right angle), on a reduced copy.
//!
//! Pure functions over bytes and pixels; runs in the document worker under its memory limit.
//! Decoding is the `image` crate's (memory-safe Rust), with its allocation limit set.

use std::io::Cursor;
use std::time::Instant;

/// A grey page image, one byte per pixel (0 black, 255 white), row by row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Gray {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// Largest skew looked for, in degrees, either way.
const MAX_SKEW_DEGREES: f64 = 8.0;
/// Smaller angles are left alone: Tesseract reads them well.
const MIN_SKEW_DEGREES: f64 = 0.2;
/// The long side of the reduced copy the skew is measured on.
const SKEW_SIDE: u32 = 900;

impl Gray {
    /// A binary PGM (P5, 8 bit), as `pdftoppm -gray` writes it; `None` for anything else.
    pub(crate) fn from_pgm(bytes: &[u8]) -> Option<Gray> {
        let mut fields = Vec::new();
        let mut i = 0;
        while fields.len() < 4 {
            while bytes.get(i)?.is_ascii_whitespace() {
                i += 1;
            }
            if *bytes.get(i)? == b'#' {
                while *bytes.get(i)? != b'\n' {
                    i += 1;
                }
                continue;
            }
            let start = i;
            while !bytes.get(i)?.is_ascii_whitespace() {
                i += 1;
            }
            fields.push(std::str::from_utf8(&bytes[start..i]).ok()?);
        }
        // Exactly one whitespace byte separates the header from the samples.
        let data = bytes.get(i + 1..)?;
        let (width, height) = (
            fields[1].parse::<u32>().ok()?,
            fields[2].parse::<u32>().ok()?,
        );
        if fields[0] != "P5" || fields[3] != "255" {
            return None;
        }
        let len = usize::try_from(u64::from(width) * u64::from(height)).ok()?;
        Some(Gray {
            width,
            height,
            pixels: data.get(..len)?.to_vec(),
        })
    }

    /// The image as a binary PGM, which Tesseract (Leptonica) reads from stdin.
    pub(crate) fn to_pgm(&self) -> Vec<u8> {
        let mut out = format!("P5\n{} {}\n255\n", self.width, self.height).into_bytes();
        out.extend_from_slice(&self.pixels);
        out
    }

    fn at(&self, x: u32, y: u32) -> u8 {
        self.pixels[(y as usize) * (self.width as usize) + x as usize]
    }

    /// A copy reduced by an integer factor (the mean of each `factor` × `factor` block).
    fn reduced(&self, factor: u32) -> Gray {
        let factor = factor.max(1);
        let (w, h) = (self.width / factor, self.height / factor);
        let mut pixels = Vec::with_capacity(w as usize * h as usize);
        for by in 0..h {
            for bx in 0..w {
                let mut sum = 0u32;
                for y in by * factor..(by + 1) * factor {
                    for x in bx * factor..(bx + 1) * factor {
                        sum += u32::from(self.at(x, y));
                    }
                }
                pixels.push((sum / (factor * factor)) as u8);
            }
        }
        Gray {
            width: w,
            height: h,
            pixels,
        }
    }

    /// Scaled down (never up) to at most `max_pixels`.
    pub(crate) fn within(self, max_pixels: u64) -> Gray {
        let pixels = u64::from(self.width) * u64::from(self.height);
        if pixels <= max_pixels || self.width < 2 || self.height < 2 {
            return self;
        }
        let factor = (pixels as f64 / max_pixels as f64).sqrt().ceil() as u32;
        self.reduced(factor)
    }

    /// The skew of the text lines in degrees (positive: the lines rise to the right, as after
    /// turning the page counter-clockwise), between ±[`MAX_SKEW_DEGREES`]; 0 without text.
    pub(crate) fn skew_degrees(&self) -> f64 {
        let long = self.width.max(self.height);
        let small = self.reduced(long.div_ceil(SKEW_SIDE).max(1));
        if small.width < 20 || small.height < 20 {
            return 0.0;
        }
        let threshold = otsu(&small.pixels);
        let (left, top, right, bottom) = small.sheet(threshold);
        let mut dark: Vec<(f64, f64)> = Vec::new();
        for y in top..bottom {
            for x in left..right {
                if small.at(x, y) < threshold {
                    dark.push((f64::from(x), f64::from(y)));
                }
            }
        }
        // Text is a small part of a page; mostly dark means a photo or a dark border, but the
        // lines still decide. Too few dark pixels: nothing to line up.
        if dark.len() < 200 {
            return 0.0;
        }
        let step = dark.len().div_ceil(60_000);
        let dark: Vec<(f64, f64)> = dark.into_iter().step_by(step.max(1)).collect();
        let height = f64::from(small.height);
        let width = f64::from(small.width);
        // The energy of the profile along lines rising by `degrees`: highest when they follow
        // the text lines.
        let score = |degrees: f64| -> f64 {
            let (sin, cos) = degrees.to_radians().sin_cos();
            // The offset keeps the bins positive.
            let offset = width * sin.abs();
            let bins = (height + 2.0 * offset).ceil() as usize + 2;
            let mut profile = vec![0u32; bins];
            for &(x, y) in &dark {
                let row = y * cos + x * sin + offset;
                if let Some(bin) = profile.get_mut(row.max(0.0) as usize) {
                    *bin += 1;
                }
            }
            profile.iter().map(|&c| f64::from(c) * f64::from(c)).sum()
        };
        let best_in = |from: f64, to: f64, step: f64| -> f64 {
            let mut best = (f64::MIN, 0.0);
            let mut a = from;
            while a <= to + 1e-9 {
                let s = score(a);
                if s > best.0 {
                    best = (s, a);
                }
                a += step;
            }
            best.1
        };
        let coarse = best_in(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES, 0.5);
        best_in(coarse - 0.5, coarse + 0.5, 0.1)
    }

    /// The part of the image inside a dark frame (the table around a photographed sheet, the
    /// black edge of a scanner lid), as (left, top, right, bottom), right and bottom exclusive:
    /// the rows and then the columns that are mostly darker than `threshold` are cut off the
    /// edges, and a few pixels more for the blurred edge of the sheet. Without it, the straight
    /// edges of the frame outweigh the text lines when the skew is measured. The whole image
    /// when there is no frame or nothing would be left.
    fn sheet(&self, threshold: u8) -> (u32, u32, u32, u32) {
        let (w, h) = (self.width, self.height);
        let whole = (0, 0, w, h);
        let dark = |x: u32, y: u32| self.at(x, y) < threshold;
        let row_dark: Vec<u32> = (0..h)
            .map(|y| (0..w).filter(|&x| dark(x, y)).count() as u32)
            .collect();
        let (Some(top), Some(last)) = (
            row_dark.iter().position(|&c| c * 2 < w),
            row_dark.iter().rposition(|&c| c * 2 < w),
        ) else {
            return whole;
        };
        let rows = last + 1 - top;
        let col_dark: Vec<u32> = (0..w)
            .map(|x| (top..=last).filter(|&y| dark(x, y as u32)).count() as u32)
            .collect();
        let (Some(left), Some(right)) = (
            col_dark.iter().position(|&c| (c as usize) * 2 < rows),
            col_dark.iter().rposition(|&c| (c as usize) * 2 < rows),
        ) else {
            return whole;
        };
        let (top, last) = (top as u32, last as u32);
        let (left, right) = (left as u32, right as u32);
        let framed = top > 0 || left > 0 || last + 1 < h || right + 1 < w;
        if !framed {
            return whole;
        }
        // A few pixels of the sheet's edge, blurred and turned, belong to the frame.
        const EDGE: u32 = 3;
        let (l, t) = (left + EDGE, top + EDGE);
        let (r, b) = (
            (right + 1).saturating_sub(EDGE),
            (last + 1).saturating_sub(EDGE),
        );
        if r <= l + 20 || b <= t + 20 {
            return whole;
        }
        (l, t, r, b)
    }

    /// The image turned by `degrees` counter-clockwise about its centre (bilinear, white
    /// outside); the size stays. `None` when `until` passed first.
    pub(crate) fn rotated(&self, degrees: f64, until: Option<Instant>) -> Option<Gray> {
        let (w, h) = (self.width, self.height);
        let (cx, cy) = (f64::from(w) / 2.0, f64::from(h) / 2.0);
        let (sin, cos) = degrees.to_radians().sin_cos();
        let mut pixels = Vec::with_capacity(self.pixels.len());
        let sample = |x: i64, y: i64| -> f64 {
            if x < 0 || y < 0 || x >= i64::from(w) || y >= i64::from(h) {
                255.0
            } else {
                f64::from(self.at(x as u32, y as u32))
            }
        };
        for y in 0..h {
            if passed(until, y) {
                return None;
            }
            let dy = f64::from(y) - cy;
            for x in 0..w {
                let dx = f64::from(x) - cx;
                // The source pixel that lands here when the page turns counter-clockwise.
                let sx = cos * dx - sin * dy + cx;
                let sy = sin * dx + cos * dy + cy;
                let (x0, y0) = (sx.floor() as i64, sy.floor() as i64);
                let (fx, fy) = (sx - x0 as f64, sy - y0 as f64);
                let top = sample(x0, y0) * (1.0 - fx) + sample(x0 + 1, y0) * fx;
                let bottom = sample(x0, y0 + 1) * (1.0 - fx) + sample(x0 + 1, y0 + 1) * fx;
                pixels.push((top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8);
            }
        }
        Some(Gray {
            width: w,
            height: h,
            pixels,
        })
    }

    /// Evens out the light: every pixel divided by the brightness of the paper around it
    /// (the 90th percentile of its tile, smoothed over the neighbouring tiles), so that the
    /// shadowed corner of a phone photo is as white as the rest and one threshold fits the
    /// whole page. An evenly lit scan stays as it was. `false` when `until` passed first (the
    /// image is then partly evened out).
    pub(crate) fn flatten(&mut self, until: Option<Instant>) -> bool {
        let (w, h) = (self.width, self.height);
        let tile = (w.max(h) / 30).max(16);
        let (tw, th) = (w.div_ceil(tile), h.div_ceil(tile));
        if tw < 2 || th < 2 {
            return true;
        }
        let mut paper = vec![0f64; (tw * th) as usize];
        for ty in 0..th {
            for tx in 0..tw {
                let mut histogram = [0u32; 256];
                let mut n = 0u32;
                // Every second pixel each way is enough for a percentile.
                for y in (ty * tile..((ty + 1) * tile).min(h)).step_by(2) {
                    for x in (tx * tile..((tx + 1) * tile).min(w)).step_by(2) {
                        histogram[self.at(x, y) as usize] += 1;
                        n += 1;
                    }
                }
                let mut seen = 0u32;
                let mut level = 255usize;
                for (v, &c) in histogram.iter().enumerate() {
                    seen += c;
                    if seen * 10 >= n * 9 {
                        level = v;
                        break;
                    }
                }
                paper[(ty * tw + tx) as usize] = level as f64;
            }
        }
        // Smoothed over 3 × 3 tiles, and never below a floor (a dark border is not paper).
        let smooth: Vec<f64> = (0..th)
            .flat_map(|ty| (0..tw).map(move |tx| (tx, ty)))
            .map(|(tx, ty)| {
                let mut sum = 0.0;
                let mut n = 0.0;
                for y in ty.saturating_sub(1)..(ty + 2).min(th) {
                    for x in tx.saturating_sub(1)..(tx + 2).min(tw) {
                        sum += paper[(y * tw + x) as usize];
                        n += 1.0;
                    }
                }
                (sum / n).max(48.0)
            })
            .collect();
        let grid = |x: u32, y: u32| smooth[(y.min(th - 1) * tw + x.min(tw - 1)) as usize];
        let half = f64::from(tile) / 2.0;
        // Tile centres around a row or column, for bilinear interpolation of the paper level.
        let around = |v: u32| {
            let g = ((f64::from(v) - half) / f64::from(tile)).max(0.0);
            (g.floor() as u32, g.fract())
        };
        let columns: Vec<(usize, f64)> = (0..w)
            .map(|x| {
                let (x0, fx) = around(x);
                (x0 as usize, fx)
            })
            .collect();
        let mut row_level = vec![0f64; tw as usize + 1];
        for (y, row) in self.pixels.chunks_exact_mut(w as usize).enumerate() {
            if passed(until, y as u32) {
                return false;
            }
            let (y0, fy) = around(y as u32);
            for (tx, level) in row_level.iter_mut().enumerate() {
                let tx = tx as u32;
                *level = grid(tx, y0) * (1.0 - fy) + grid(tx, y0 + 1) * fy;
            }
            for (pixel, &(x0, fx)) in row.iter_mut().zip(&columns) {
                let level = row_level[x0] * (1.0 - fx) + row_level[x0 + 1] * fx;
                let v = f64::from(*pixel) * 255.0 / level;
                *pixel = v.round().clamp(0.0, 255.0) as u8;
            }
        }
        true
    }

    /// Straightened when it is askew by more than [`MIN_SKEW_DEGREES`]; returns the angle
    /// corrected. (OCR measures first and straightens after evening out the light.)
    #[cfg(test)]
    pub(crate) fn deskew(&mut self) -> f64 {
        let skew = self.skew_degrees();
        self.straighten(skew, None).unwrap_or(0.0)
    }

    /// Turned back by `skew` degrees (as measured by [`Gray::skew_degrees`]) when that is
    /// more than [`MIN_SKEW_DEGREES`]; returns the angle corrected, or `None` when `until`
    /// passed first (the image is then as it was).
    pub(crate) fn straighten(&mut self, skew: f64, until: Option<Instant>) -> Option<f64> {
        if skew.abs() >= MIN_SKEW_DEGREES {
            *self = self.rotated(-skew, until)?;
            Some(skew)
        } else {
            Some(0.0)
        }
    }
}

/// Whether the pixel loops stop at `row`: `until` has passed (looked at every 32 rows, a few
/// milliseconds of work).
fn passed(until: Option<Instant>, row: u32) -> bool {
    row.is_multiple_of(32) && until.is_some_and(|u| Instant::now() >= u)
}

/// Otsu's threshold of grey values: the split that best separates ink from paper.
fn otsu(pixels: &[u8]) -> u8 {
    let mut histogram = [0u64; 256];
    for &p in pixels {
        histogram[p as usize] += 1;
    }
    let total = pixels.len() as f64;
    let sum: f64 = histogram
        .iter()
        .enumerate()
        .map(|(v, &n)| v as f64 * n as f64)
        .sum();
    let (mut below, mut below_sum, mut best, mut threshold) = (0.0, 0.0, 0.0, 128u8);
    for (v, &n) in histogram.iter().enumerate() {
        below += n as f64;
        if below == 0.0 {
            continue;
        }
        let above = total - below;
        if above == 0.0 {
            break;
        }
        below_sum += v as f64 * n as f64;
        let mean_below = below_sum / below;
        let mean_above = (sum - below_sum) / above;
        let between = below * above * (mean_below - mean_above).powi(2);
        if between > best {
            best = between;
            threshold = (v as u8).saturating_add(1);
        }
    }
    threshold
}

/// Why an image could not be decoded here.
#[derive(Debug)]
pub(crate) enum DecodeError {
    /// A format the decoder does not know (JPEG 2000, ...): Tesseract may still read it.
    Unsupported,
    /// Damaged, or over the allocation limit; the text says which.
    Failed(String),
}

/// Decodes an image (for a TIFF: the page whose directory starts at `tiff_page_at`) into grey
/// pixels, turned as its EXIF orientation says, with at most `max_alloc` bytes allocated by
/// the decoder.
pub(crate) fn decode(
    bytes: &[u8],
    tiff_page_at: Option<u32>,
    max_alloc: u64,
) -> Result<Gray, DecodeError> {
    // A TIFF page other than the first: the header is made to point at its directory.
    let patched;
    let bytes = match tiff_page_at {
        Some(at) if bytes.len() >= 8 => {
            let mut copy = bytes.to_vec();
            let offset = if copy.starts_with(b"II") {
                at.to_le_bytes()
            } else {
                at.to_be_bytes()
            };
            copy[4..8].copy_from_slice(&offset);
            patched = copy;
            patched.as_slice()
        }
        _ => bytes,
    };
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| DecodeError::Failed(e.to_string()))?;
    if reader.format().is_none() {
        return Err(DecodeError::Unsupported);
    }
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(max_alloc);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    use image::ImageDecoder;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = image::DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    img.apply_orientation(orientation);
    let luma = img.into_luma8();
    let (width, height) = luma.dimensions();
    Ok(Gray {
        width,
        height,
        pixels: luma.into_raw(),
    })
}

fn decode_error(e: image::ImageError) -> DecodeError {
    match e {
        image::ImageError::Unsupported(_) => DecodeError::Unsupported,
        image::ImageError::Limits(_) => {
            DecodeError::Failed("the image needs more memory than allowed".to_string())
        }
        other => DecodeError::Failed(other.to_string().chars().take(160).collect::<String>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page of dark text lines on white, turned `degrees` counter-clockwise.
    fn lines(width: u32, height: u32, degrees: f64) -> Gray {
        let mut pixels = vec![255u8; (width * height) as usize];
        for y in 0..height {
            for x in 0..width {
                let line = y % 30;
                let word = (x / 40) % 5;
                if (10..18).contains(&line) && word != 4 && x > 60 && x < width - 60 {
                    pixels[(y * width + x) as usize] = 20;
                }
            }
        }
        Gray {
            width,
            height,
            pixels,
        }
        .rotated(degrees, None)
        .expect("no deadline")
    }

    #[test]
    fn a_page_turned_a_few_degrees_is_measured_and_straightened() {
        for degrees in [-6.0, -3.5, -1.0, 0.0, 2.5, 4.0] {
            let mut page = lines(800, 1100, degrees);
            let found = page.skew_degrees();
            assert!((found - degrees).abs() <= 0.15, "{degrees}: found {found}");
            let corrected = page.deskew();
            if degrees == 0.0 {
                assert_eq!(corrected, 0.0);
            }
            assert!(page.skew_degrees().abs() <= 0.15, "{degrees}: still askew");
        }
    }

    #[test]
    fn a_page_askew_inside_a_dark_frame_is_measured_by_its_lines_not_the_frame() {
        for degrees in [-3.0, 2.5] {
            let page = lines(800, 1100, degrees);
            // The sheet on a dark table, as a phone photographs it.
            let (mx, my) = (70, 90);
            let (w, h) = (page.width + 2 * mx, page.height + 2 * my);
            let mut pixels = vec![60u8; (w * h) as usize];
            for y in 0..page.height {
                for x in 0..page.width {
                    pixels[((y + my) * w + x + mx) as usize] = page.at(x, y);
                }
            }
            let photo = Gray {
                width: w,
                height: h,
                pixels,
            };
            let found = photo.skew_degrees();
            assert!((found - degrees).abs() <= 0.15, "{degrees}: found {found}");
        }
    }

    #[test]
    fn uneven_light_is_evened_out_and_even_light_is_left_alone() {
        let mut page = lines(600, 800, 0.0);
        let even = page.clone();
        assert!(page.flatten(None));
        assert_eq!(page, even, "white paper stays white, ink stays ink");
        // Light falling off to 55 % towards the right.
        let mut shadowed = even.clone();
        for y in 0..800u32 {
            for x in 0..600u32 {
                let i = (y * 600 + x) as usize;
                shadowed.pixels[i] =
                    (f64::from(even.pixels[i]) * (1.0 - 0.45 * f64::from(x) / 600.0)) as u8;
            }
        }
        assert!(shadowed.flatten(None));
        let paper_right = shadowed.at(590, 5);
        let ink_right = shadowed.at(500, 12);
        assert!(
            paper_right >= 245,
            "paper in the shadow is white again: {paper_right}"
        );
        assert!(ink_right <= 60, "ink stays dark: {ink_right}");
    }

    #[test]
    fn a_blank_page_has_no_skew() {
        let blank = Gray {
            width: 300,
            height: 400,
            pixels: vec![250; 120_000],
        };
        assert_eq!(blank.skew_degrees(), 0.0);
    }

    #[test]
    fn a_pgm_survives_the_round_trip_and_other_bytes_are_refused() {
        let page = lines(120, 90, 0.0);
        assert_eq!(Gray::from_pgm(&page.to_pgm()), Some(page));
        assert_eq!(
            Gray::from_pgm(b"P5\n# made by hand\n2 1\n255\n\x00\xff"),
            Some(Gray {
                width: 2,
                height: 1,
                pixels: vec![0, 255],
            })
        );
        assert_eq!(
            Gray::from_pgm(b"P6\n2 1\n255\n\x00\x00\x00\xff\xff\xff"),
            None
        );
        assert_eq!(Gray::from_pgm(b"P5\n4 4\n255\n\x00"), None, "truncated");
        assert_eq!(Gray::from_pgm(b"P5"), None);
    }

    #[test]
    fn a_large_image_is_scaled_down_to_the_limit() {
        let big = Gray {
            width: 4000,
            height: 3000,
            pixels: vec![200; 12_000_000],
        };
        let small = big.within(2_000_000);
        assert!(u64::from(small.width) * u64::from(small.height) <= 2_000_000);
        assert_eq!((small.width, small.height), (1333, 1000));
    }

    #[test]
    fn images_are_decoded_with_their_exif_orientation_and_garbage_is_refused() {
        let mut png = Vec::new();
        image::GrayImage::from_pixel(3, 2, image::Luma([7]))
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("png");
        let gray = decode(&png, None, 1 << 20).expect("decodes");
        assert_eq!((gray.width, gray.height, gray.pixels[0]), (3, 2, 7));
        assert!(matches!(
            decode(b"\xff\xd8\xff\xe0 not really a jpeg", None, 1 << 20),
            Err(DecodeError::Failed(_))
        ));
        assert!(matches!(
            decode(b"\0\0\0\x0cjP  \r\n\x87\n", None, 1 << 20),
            Err(DecodeError::Unsupported)
        ));
    }
}
