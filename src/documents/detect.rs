//! Format detection by content: magic bytes, then a look inside ZIP and CFB containers.
//! Never trusts a file name or a declared MIME type; never parses more than directories.

use std::io::Cursor;

use super::Format;

const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const TNEF_MAGIC: &[u8] = &[0x78, 0x9F, 0x3E, 0x22];

/// The format of `bytes`, from their content alone.
pub fn detect(bytes: &[u8]) -> Format {
    let head = &bytes[..bytes.len().min(1024)];
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return zip_format(bytes);
    }
    if bytes.starts_with(CFB_MAGIC) {
        return cfb_format(bytes);
    }
    if bytes.starts_with(TNEF_MAGIC) {
        return Format::Tnef;
    }
    if find(head, b"%PDF-").is_some() {
        return Format::Pdf;
    }
    let trimmed = trim_start(head);
    if trimmed.starts_with(b"{\\rtf") {
        return Format::Rtf;
    }
    if is_image(bytes) {
        return Format::Image;
    }
    if looks_binary(head) {
        return Format::Other;
    }
    let lower: Vec<u8> = trimmed
        .iter()
        .take(512)
        .map(|b| b.to_ascii_lowercase())
        .collect();
    if lower.starts_with(b"<!doctype html")
        || lower.starts_with(b"<html")
        || (lower.starts_with(b"<") && find(&lower, b"<body").is_some())
    {
        return Format::Html;
    }
    if looks_like_message(trimmed) {
        return Format::Message;
    }
    Format::Text
}

/// A short, specific reason for a file we do not read (never its content).
pub(crate) fn describe_unknown(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "the file is empty".to_string();
    }
    if bytes.starts_with(b"\xFFWPC") {
        return "a WordPerfect document, which is not supported: please send PDF or Word"
            .to_string();
    }
    if bytes.starts_with(CFB_MAGIC) {
        return "an Office file that is not a Word document (e.g. Excel or PowerPoint)".to_string();
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return "an Office package that is not a text document (e.g. a spreadsheet)".to_string();
    }
    "an unknown file type that is not PDF, Word, ODT, RTF or text".to_string()
}

fn zip_format(bytes: &[u8]) -> Format {
    match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(mut archive) => {
            let names: Vec<String> = archive
                .file_names()
                .take(5000)
                .filter_map(Result::ok)
                .map(|n| n.into_owned())
                .collect();
            if names.iter().any(|n| n == "word/document.xml")
                || names.iter().any(|n| n.starts_with("word/"))
            {
                let macro_enabled = read_small(&mut archive, "[Content_Types].xml")
                    .map(|ct| ct.contains("macroEnabled"))
                    .unwrap_or(false);
                return if macro_enabled {
                    Format::Docm
                } else {
                    Format::Docx
                };
            }
            if let Some(mime) = read_small(&mut archive, "mimetype") {
                if mime.trim() == "application/vnd.oasis.opendocument.text"
                    || mime.trim() == "application/vnd.oasis.opendocument.text-template"
                {
                    return Format::Odt;
                }
                return Format::Other;
            }
            if names.iter().any(|n| n == "content.xml") {
                return Format::Odt;
            }
            if names.iter().any(|n| n == "[Content_Types].xml") {
                return Format::Other;
            }
            Format::Zip
        }
        // A broken archive: the local headers still say what it was meant to be.
        Err(_) => {
            let head = &bytes[..bytes.len().min(64 * 1024)];
            if find(head, b"word/").is_some() {
                Format::Docx
            } else if find(head, b"application/vnd.oasis.opendocument.text").is_some() {
                Format::Odt
            } else {
                Format::Zip
            }
        }
    }
}

fn read_small(archive: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Option<String> {
    use std::io::Read;
    let entry = archive.by_name(name).ok()?;
    let mut s = String::new();
    entry.take(64 * 1024).read_to_string(&mut s).ok()?;
    Some(s)
}

fn cfb_format(bytes: &[u8]) -> Format {
    let Ok(file) = cfb::CompoundFile::open(Cursor::new(bytes)) else {
        return Format::Other;
    };
    let names: Vec<String> = file
        .read_root_storage()
        .take(5000)
        .map(|e| e.name().to_string())
        .collect();
    let has = |n: &str| names.iter().any(|x| x == n);
    if has("WordDocument") {
        Format::Doc
    } else if has("EncryptedPackage") || has("EncryptionInfo") {
        // An encrypted OOXML package; it is a Word file in practice for this intake.
        Format::Docx
    } else if has("__properties_version1.0") || names.iter().any(|n| n.starts_with("__substg1.0_"))
    {
        Format::Message
    } else {
        Format::Other
    }
}

fn is_image(b: &[u8]) -> bool {
    b.starts_with(&[0xFF, 0xD8, 0xFF])
        || b.starts_with(b"\x89PNG")
        || b.starts_with(b"GIF8")
        || b.starts_with(b"II*\0")
        || b.starts_with(b"MM\0*")
        || b.starts_with(b"BM")
        || (b.len() > 12 && &b[4..8] == b"ftyp" && (&b[8..12] == b"heic" || &b[8..12] == b"heif"))
        || (b.len() > 12 && b.starts_with(b"RIFF") && &b[8..12] == b"WEBP")
        || b.starts_with(&[0, 0, 0, 0x0C, b'j', b'P'])
}

fn looks_binary(head: &[u8]) -> bool {
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return false;
    }
    let controls = head
        .iter()
        .filter(|&&b| b < 0x09 || (b > 0x0D && b < 0x20 && b != 0x1B))
        .count();
    controls * 20 > head.len().max(1) || head.contains(&0)
}

fn looks_like_message(b: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&b[..b.len().min(4096)]);
    let mut lines = text.lines();
    let Some(first) = lines.next() else {
        return false;
    };
    let known = [
        "from:",
        "received:",
        "return-path:",
        "mime-version:",
        "date:",
        "message-id:",
        "subject:",
        "to:",
        "delivered-to:",
        "x-",
        "content-type:",
        "dkim-signature:",
        "reply-to:",
        "sender:",
        "arc-",
        "authentication-results:",
    ];
    let is_header = |l: &str| {
        let lower = l.to_ascii_lowercase();
        known.iter().any(|k| lower.starts_with(k))
    };
    (first.starts_with("From ") && text.lines().nth(1).is_some_and(is_header)) || is_header(first)
}

fn trim_start(b: &[u8]) -> &[u8] {
    let b = b.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(b);
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_is_recognised_by_its_header_even_after_junk() {
        assert_eq!(detect(b"\n\n%PDF-1.4\n"), Format::Pdf);
    }

    #[test]
    fn rtf_and_html_and_text_are_told_apart() {
        assert_eq!(detect(b"{\\rtf1\\ansi hallo}"), Format::Rtf);
        assert_eq!(
            detect(b"<!DOCTYPE html><html><body>x</body></html>"),
            Format::Html
        );
        assert_eq!(detect("Geachte heer, één".as_bytes()), Format::Text);
        assert_eq!(
            detect(b"From: a@b.nl\r\nSubject: x\r\n\r\nhoi"),
            Format::Message
        );
    }

    #[test]
    fn wordperfect_is_other_with_a_specific_reason() {
        let wp = b"\xFFWPC\x10\x00\x00\x00\x01\x0a";
        assert_eq!(detect(wp), Format::Other);
        assert!(describe_unknown(wp).contains("WordPerfect"));
    }
}
