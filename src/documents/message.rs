//! Outlook `.msg` files (MAPI properties in a CFB container): body text and attachments,
//! including embedded messages; and the compressed-RTF (LZFu) body format shared with TNEF.
//! Reads stream by stream with size limits; never follows more than the nesting limit.

use std::io::{Cursor, Read};

use super::{Budget, Limits, decode_text, html, rtf};

/// An Outlook message: its body as text and its attachments.
pub(crate) struct Msg {
    pub body: String,
    pub attachments: Vec<Attachment>,
}

pub(crate) enum Attachment {
    File { name: String, bytes: Vec<u8> },
    Embedded { name: String, msg: Box<Msg> },
}

type Cfb<'a> = cfb::CompoundFile<Cursor<&'a [u8]>>;

/// Parses a `.msg` file; `Err` holds a specific reason.
pub(crate) fn parse_msg(bytes: &[u8], limits: &Limits, depth: u32) -> Result<Msg, String> {
    let mut cf = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| format!("the Outlook message (.msg) is damaged: {e}"))?;
    Ok(read_msg(&mut cf, "/", limits, depth))
}

fn stream(cf: &mut Cfb<'_>, path: &str, limits: &Limits) -> Option<Vec<u8>> {
    if !cf.is_stream(path) {
        return None;
    }
    let s = cf.open_stream(path).ok()?;
    let mut data = Vec::new();
    s.take(limits.max_attachment_bytes)
        .read_to_end(&mut data)
        .ok()?;
    Some(data)
}

fn utf16(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
        .trim_end_matches('\0')
        .to_string()
}

fn string_prop(cf: &mut Cfb<'_>, root: &str, id: &str, limits: &Limits) -> Option<String> {
    if let Some(b) = stream(cf, &format!("{root}__substg1.0_{id}001F"), limits) {
        return Some(utf16(&b));
    }
    stream(cf, &format!("{root}__substg1.0_{id}001E"), limits)
        .map(|b| decode_text(&b).trim_end_matches('\0').to_string())
}

fn read_msg(cf: &mut Cfb<'_>, root: &str, limits: &Limits, depth: u32) -> Msg {
    let root = if root.ends_with('/') {
        root.to_string()
    } else {
        format!("{root}/")
    };
    let budget = Budget::new(limits);
    let body = string_prop(cf, &root, "1000", limits)
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            let rtf = stream(cf, &format!("{root}__substg1.0_10090102"), limits)?;
            let raw = decompress_rtf(&rtf)?;
            Some(rtf::to_text(&raw, &budget).text)
        })
        .or_else(|| {
            let h = stream(cf, &format!("{root}__substg1.0_10130102"), limits)?;
            Some(html::html_to_text(&decode_text(&h)))
        })
        .unwrap_or_default();

    let storages: Vec<String> = cf
        .read_storage(&root)
        .map(|it| {
            it.filter(|e| e.is_storage() && e.name().starts_with("__attach_version1.0_#"))
                .map(|e| e.name().to_string())
                .take(limits.max_documents as usize)
                .collect()
        })
        .unwrap_or_default();
    let mut attachments = Vec::new();
    for (i, storage) in storages.iter().enumerate() {
        let base = format!("{root}{storage}/");
        let name = string_prop(cf, &base, "3707", limits)
            .or_else(|| string_prop(cf, &base, "3704", limits))
            .or_else(|| string_prop(cf, &base, "3001", limits))
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| format!("attachment-{}", i + 1));
        if let Some(bytes) = stream(cf, &format!("{base}__substg1.0_37010102"), limits) {
            attachments.push(Attachment::File { name, bytes });
        } else if cf.is_storage(format!("{base}__substg1.0_3701000D"))
            && depth < limits.max_nesting_depth
        {
            let inner = read_msg(
                cf,
                &format!("{base}__substg1.0_3701000D"),
                limits,
                depth + 1,
            );
            let name = if name.contains('.') {
                name
            } else {
                format!("{name}.msg")
            };
            attachments.push(Attachment::Embedded {
                name,
                msg: Box::new(inner),
            });
        }
    }
    Msg { body, attachments }
}

const LZFU_DICT: &[u8] = b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";

/// Decompresses an MS-OXRTFCP compressed RTF (`LZFu`, or `MELA` for uncompressed) stream.
pub(crate) fn decompress_rtf(data: &[u8]) -> Option<Vec<u8>> {
    let u32_at = |i: usize| -> Option<u32> {
        data.get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let comp_size = u32_at(0)? as usize;
    let raw_size = u32_at(4)? as usize;
    let kind = data.get(8..12)?;
    let body = data.get(16..(comp_size + 4).min(data.len()).max(16))?;
    if kind == b"MELA" {
        return Some(body[..raw_size.min(body.len())].to_vec());
    }
    if kind != b"LZFu" {
        return None;
    }
    let mut dict = [0u8; 4096];
    dict[..LZFU_DICT.len()].copy_from_slice(LZFU_DICT);
    let mut write = LZFU_DICT.len();
    let mut out = Vec::with_capacity(raw_size.min(16 * 1024 * 1024));
    let mut i = 0;
    'outer: while i < body.len() {
        let flags = body[i];
        i += 1;
        for bit in 0..8 {
            if i >= body.len() {
                break 'outer;
            }
            if flags & (1 << bit) == 0 {
                let b = body[i];
                i += 1;
                out.push(b);
                dict[write % 4096] = b;
                write += 1;
            } else {
                let hi = *body.get(i)? as usize;
                let lo = *body.get(i + 1)? as usize;
                i += 2;
                let word = (hi << 8) | lo;
                let offset = word >> 4;
                let len = (word & 0xF) + 2;
                if offset == write % 4096 {
                    break 'outer;
                }
                for k in 0..len {
                    let b = dict[(offset + k) % 4096];
                    out.push(b);
                    dict[write % 4096] = b;
                    write += 1;
                }
            }
            if out.len() > raw_size.max(1) + 4096 {
                break 'outer;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specification_example_of_compressed_rtf_decompresses() {
        // MS-OXRTFCP 3.1.1.1: "{\rtf1\ansi\ansicpg1252\pard hello world}\r\n"
        let data: &[u8] = &[
            0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5,
            0xc7, 0xa7, 0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42,
            0x32, 0x0a, 0xf3, 0x20, 0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62, 0x77, 0x05, 0xb0,
            0x6c, 0x64, 0x7d, 0x0a, 0x80, 0x0f, 0xa0,
        ];
        let out = decompress_rtf(data).unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&out),
            "{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n"
        );
    }
}
