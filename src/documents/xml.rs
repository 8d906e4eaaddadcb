//! A small streaming XML walker over quick-xml for office documents.
//!
//! Never resolves a DTD or an entity: only the five predefined entities and character
//! references are expanded; any other `&name;` (such as an external entity declared in a
//! hostile DOCTYPE) is dropped. Stops at the deadline.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::Budget;

/// One event of the walk, with namespace prefixes stripped from names.
pub(crate) enum Ev<'a> {
    /// An opening tag; `empty` for `<tag/>` (no matching `Close` follows).
    Open {
        name: &'a str,
        tag: &'a Tag,
        empty: bool,
    },
    Close {
        name: &'a str,
    },
    Text(&'a str),
}

/// The attributes of an opening tag.
pub(crate) struct Tag {
    attrs: Vec<(String, String)>,
}

impl Tag {
    /// Value of the attribute with this local name (prefix ignored).
    pub(crate) fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == local)
            .map(|(_, v)| v.as_str())
    }
}

fn local(name: &str) -> Cow<'_, str> {
    match name.rfind(':') {
        Some(i) => Cow::Borrowed(&name[i + 1..]),
        None => Cow::Borrowed(name),
    }
}

fn tag_of(e: &BytesStart<'_>) -> Tag {
    let attrs = e
        .attributes()
        .with_checks(false)
        .flatten()
        .map(|a| {
            let key = local(a.key.as_ref()).into_owned();
            (key, unescape(&a.value))
        })
        .collect();
    Tag { attrs }
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.find(';') {
            Some(j) if j < 12 => {
                out.push_str(&entity(&after[..j]));
                rest = &after[j + 1..];
            }
            _ => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text of a predefined entity or a character reference; anything else is dropped.
fn entity(name: &str) -> String {
    match name {
        "amp" => "&".into(),
        "lt" => "<".into(),
        "gt" => ">".into(),
        "quot" => "\"".into(),
        "apos" => "'".into(),
        _ => {
            let code =
                if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = name.strip_prefix('#') {
                    dec.parse().ok()
                } else {
                    None
                };
            code.and_then(char::from_u32)
                .map(String::from)
                .unwrap_or_default()
        }
    }
}

/// Walks `xml`, calling `on` for every tag and text run. Returns an error message (no
/// content) when the XML is malformed or the deadline passed; events seen so far were
/// delivered.
pub(crate) fn walk(xml: &str, budget: &Budget, mut on: impl FnMut(Ev<'_>)) -> Result<(), String> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = false;
    let mut n: u32 = 0;
    loop {
        n = n.wrapping_add(1);
        if n.is_multiple_of(4096) && budget.expired() {
            return Err("time limit reached while reading the XML".to_string());
        }
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let tag = tag_of(&e);
                let name = local(e.name().as_ref()).into_owned();
                on(Ev::Open {
                    name: &name,
                    tag: &tag,
                    empty: false,
                });
            }
            Ok(Event::Empty(e)) => {
                let tag = tag_of(&e);
                let name = local(e.name().as_ref()).into_owned();
                on(Ev::Open {
                    name: &name,
                    tag: &tag,
                    empty: true,
                });
            }
            Ok(Event::End(e)) => {
                let name = local(e.name().as_ref()).into_owned();
                on(Ev::Close { name: &name });
            }
            Ok(Event::Text(t)) => {
                let s = t.xml10_content();
                on(Ev::Text(&s));
            }
            Ok(Event::CData(t)) => {
                let s = t.xml10_content();
                on(Ev::Text(&s));
            }
            Ok(Event::GeneralRef(r)) => {
                let s = entity(&r.xml10_content());
                if !s.is_empty() {
                    on(Ev::Text(&s));
                }
            }
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(e) => {
                return Err(format!(
                    "malformed XML at byte {}: {e}",
                    reader.buffer_position()
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::Limits;

    #[test]
    fn external_entities_are_never_resolved() {
        let xml = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>a&x;b&amp;&#233;</r>"#;
        let mut text = String::new();
        let budget = Budget::new(&Limits::default());
        walk(xml, &budget, |ev| {
            if let Ev::Text(t) = ev {
                text.push_str(t)
            }
        })
        .ok();
        assert_eq!(text, "ab&é");
    }
}
