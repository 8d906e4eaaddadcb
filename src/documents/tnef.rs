//! TNEF (`winmail.dat`, `application/ms-tnef`): the message body and the attachments that
//! Outlook packs into one stream. Every length is checked against the data; a truncated or
//! corrupt stream yields what was read before the damage and a `problem`.

use super::{Budget, Limits, decode_text, html, message, rtf};

const SIGNATURE: u32 = 0x223E_9F78;

pub(crate) struct Tnef {
    pub body: Option<String>,
    pub attachments: Vec<(Option<String>, Vec<u8>)>,
    /// Why reading stopped early, if it did.
    pub problem: Option<String>,
}

#[derive(Default)]
struct Att {
    title: Option<String>,
    long_name: Option<String>,
    data: Option<Vec<u8>>,
}

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    b.get(i..i + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    b.get(i..i + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn cstring(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    decode_text(&b[..end]).trim().to_string()
}

/// Parses a TNEF stream; `Err` only when it is not TNEF at all.
pub(crate) fn parse(bytes: &[u8], limits: &Limits) -> Result<Tnef, String> {
    if u32_at(bytes, 0) != Some(SIGNATURE) {
        return Err("not a TNEF stream (bad signature)".to_string());
    }
    let budget = Budget::new(limits);
    let mut pos = 6;
    let mut atts: Vec<Att> = Vec::new();
    let mut body_plain: Option<String> = None;
    let mut body_rtf: Option<String> = None;
    let mut body_html: Option<String> = None;
    let mut problem = None;
    while pos < bytes.len() {
        if budget.expired() {
            problem = Some("time limit reached".to_string());
            break;
        }
        let (Some(&level), Some(id), Some(len)) = (
            bytes.get(pos),
            u32_at(bytes, pos + 1),
            u32_at(bytes, pos + 5),
        ) else {
            problem = Some("truncated attribute header".to_string());
            break;
        };
        let start = pos + 9;
        let Some(end) = start
            .checked_add(len as usize)
            .filter(|&e| e <= bytes.len())
        else {
            problem = Some("an attribute runs past the end of the data".to_string());
            break;
        };
        let data = &bytes[start..end];
        pos = end + 2;
        let kind = id & 0xFFFF;
        match (level, kind) {
            (2, 0x9002) => atts.push(Att::default()),
            (2, 0x8010) => {
                if let Some(a) = atts.last_mut() {
                    a.title = Some(cstring(data));
                }
            }
            (2, 0x800F) => {
                if let Some(a) = atts.last_mut() {
                    a.data = Some(data.to_vec());
                }
            }
            (2, 0x9005) => {
                if atts.is_empty() {
                    atts.push(Att::default());
                }
                if let Some(a) = atts.last_mut() {
                    for (pid, ptype, value) in mapi_props(data) {
                        match pid {
                            0x3707 | 0x3704 if a.long_name.is_none() || pid == 0x3707 => {
                                let name = prop_string(ptype, &value);
                                if !name.is_empty() {
                                    a.long_name = Some(name);
                                }
                            }
                            0x3701 if a.data.is_none() => {
                                // An embedded object starts with the 16-byte interface id.
                                let v = if ptype == 0x000D && value.len() > 16 {
                                    value[16..].to_vec()
                                } else {
                                    value
                                };
                                a.data = Some(v);
                            }
                            _ => {}
                        }
                    }
                }
            }
            (1, 0x800C) => body_plain = Some(cstring(data)),
            (1, 0x9003) => {
                for (pid, ptype, value) in mapi_props(data) {
                    match pid {
                        0x1000 => body_plain = Some(prop_string(ptype, &value)),
                        0x1009 => {
                            body_rtf = message::decompress_rtf(&value)
                                .map(|raw| rtf::to_text(&raw, &budget).text)
                        }
                        0x1013 => body_html = Some(html::html_to_text(&decode_text(&value))),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    let body = [body_plain, body_rtf, body_html]
        .into_iter()
        .flatten()
        .find(|b| !b.trim().is_empty());
    let attachments = atts
        .into_iter()
        .filter_map(|a| {
            let name = a.long_name.or(a.title).filter(|n| !n.is_empty());
            a.data.map(|d| (name, d))
        })
        .collect();
    Ok(Tnef {
        body,
        attachments,
        problem,
    })
}

fn prop_string(ptype: u16, value: &[u8]) -> String {
    if ptype == 0x001F {
        let units: Vec<u16> = value
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
            .trim_end_matches('\0')
            .trim()
            .to_string()
    } else {
        cstring(value)
    }
}

/// The MAPI properties of an attribute: (id, type, first value). Stops at the first damage.
fn mapi_props(b: &[u8]) -> Vec<(u16, u16, Vec<u8>)> {
    let mut out = Vec::new();
    let Some(count) = u32_at(b, 0) else {
        return out;
    };
    let mut p = 4;
    for _ in 0..count.min(10_000) {
        let (Some(ptype), Some(pid)) = (u16_at(b, p), u16_at(b, p + 2)) else {
            break;
        };
        p += 4;
        if pid >= 0x8000 {
            // Named property: GUID, kind, then an id or a UTF-16 name.
            p += 16;
            let Some(kind) = u32_at(b, p) else { break };
            p += 4;
            if kind == 0 {
                p += 4;
            } else {
                let Some(n) = u32_at(b, p) else { break };
                p += 4 + pad4(n as usize);
            }
        }
        let multi = ptype & 0x1000 != 0;
        let base = ptype & 0x0FFF;
        let values = if multi {
            let Some(n) = u32_at(b, p) else { break };
            p += 4;
            n
        } else {
            1
        };
        let mut first: Option<Vec<u8>> = None;
        let mut ok = true;
        for _ in 0..values.min(10_000) {
            let fixed = match base {
                0x0002 | 0x0003 | 0x0004 | 0x000A | 0x000B => Some(4),
                0x0005 | 0x0006 | 0x0007 | 0x0014 | 0x0040 => Some(8),
                0x0048 => Some(16),
                _ => None,
            };
            match fixed {
                Some(n) => {
                    let Some(v) = b.get(p..p + n) else {
                        ok = false;
                        break;
                    };
                    first.get_or_insert_with(|| v.to_vec());
                    p += n;
                }
                None => {
                    // Variable: (for single values also) a count of 1, then length + data.
                    let count = if multi {
                        1
                    } else {
                        let Some(c) = u32_at(b, p) else {
                            ok = false;
                            break;
                        };
                        p += 4;
                        c
                    };
                    for _ in 0..count.min(10_000) {
                        let Some(n) = u32_at(b, p) else {
                            ok = false;
                            break;
                        };
                        p += 4;
                        let Some(v) = b.get(p..p.saturating_add(n as usize)) else {
                            ok = false;
                            break;
                        };
                        first.get_or_insert_with(|| v.to_vec());
                        p += pad4(n as usize);
                    }
                    if !ok {
                        break;
                    }
                }
            }
        }
        if let Some(v) = first {
            out.push((pid, base, v));
        }
        if !ok {
            break;
        }
    }
    out
}

fn pad4(n: usize) -> usize {
    n.saturating_add(3) & !3
}
