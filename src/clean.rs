//! Text from outside made safe to store and to show: no NUL or other control characters (which
//! PostgreSQL TEXT rejects, or which a terminal would obey), no bidirectional overrides, and a
//! cap on length counted in characters. Every function works on characters, never on byte
//! offsets, and never fails.
//!
//! Used where mail facts are read ([`crate::mail`]), where document names enter letters and
//! terminal output, and by the store as the last line of defence before a TEXT column.

use std::borrow::Cow;

use sha2::{Digest, Sha256};

/// Longest subject kept (characters). The raw mail keeps the original.
pub const MAX_SUBJECT: usize = 500;
/// Longest display name or file name kept (characters).
pub const MAX_NAME: usize = 200;
/// Longest Message-ID kept (characters); a longer one is shortened with a hash of the whole,
/// so two different long ids stay different and an index row stays small.
pub const MAX_ID: usize = 250;
/// Most ids kept from `References` / `In-Reply-To`.
pub const MAX_IDS: usize = 50;

/// Whether a character must not reach storage or a terminal: control characters (C0, DEL,
/// C1) and the invisible bidirectional controls that can reorder what a reader sees.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        || c == '\u{FEFF}'
}

/// One line of text (a subject, a name, a file name): control characters become a space or
/// disappear, runs of whitespace (including non-breaking spaces) become one space, and the
/// result is at most `max_chars` characters, ending in `…` when it was cut.
pub fn line(s: &str, max_chars: usize) -> String {
    let mut folded = String::with_capacity(s.len().min(64 * 1024));
    let mut count = 0usize;
    for word in s
        .split(char::is_whitespace)
        .map(|w| w.chars().filter(|c| !is_unsafe(*c)).collect::<String>())
        .filter(|w| !w.is_empty())
    {
        if count > max_chars {
            break;
        }
        if count > 0 {
            folded.push(' ');
            count += 1;
        }
        count += word.chars().count();
        folded.push_str(&word);
    }
    if count <= max_chars {
        return folded;
    }
    let mut cut: String = folded.chars().take(max_chars.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// A text of several lines (a body, a document's text, a motivation): NUL and other control
/// characters removed except newline and tab, CR LF and lone CR made newlines, and at most
/// `max_chars` characters.
pub fn text(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars.saturating_mul(4)));
    let mut count = 0usize;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if count >= max_chars {
            break;
        }
        let c = match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                '\n'
            }
            '\n' | '\t' => c,
            c if is_unsafe(c) => continue,
            c => c,
        };
        out.push(c);
        count += 1;
    }
    out
}

/// Only what PostgreSQL refuses taken out (NUL), borrowing when there is nothing to do: the
/// store's last line of defence for every TEXT value.
pub fn storable(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', ""))
    } else {
        Cow::Borrowed(s)
    }
}

/// A Message-ID (without angle brackets): whitespace and control characters removed; longer than
/// [`MAX_ID`] characters, it keeps its start and ends in a hash of the whole (stable: the same
/// long id always gives the same stored id, so duplicates are still recognised).
pub fn message_id(s: &str) -> Option<String> {
    let id: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && !is_unsafe(*c))
        .collect();
    let id = id.trim_matches(['<', '>']).to_string();
    if id.is_empty() {
        return None;
    }
    if id.chars().count() <= MAX_ID {
        return Some(id);
    }
    let hash = hex::encode(&Sha256::digest(id.as_bytes())[..12]);
    let head: String = id.chars().take(MAX_ID - hash.len() - 1).collect();
    Some(format!("{head}~{hash}"))
}

/// A list of ids (`References`), each cleaned, at most [`MAX_IDS`] (the newest, which are last).
pub fn message_ids(ids: &[String]) -> Vec<String> {
    let cleaned: Vec<String> = ids.iter().filter_map(|i| message_id(i)).collect();
    let skip = cleaned.len().saturating_sub(MAX_IDS);
    cleaned.into_iter().skip(skip).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_loses_control_characters_and_folds_whitespace() {
        assert_eq!(
            line("Voordracht\0 gemeente\r\n  Ede", 100),
            "Voordracht gemeente Ede"
        );
        assert_eq!(line("Jan\u{1b}[31m Jansen", 100), "Jan[31m Jansen");
        assert_eq!(line("art.\u{a0}5", 100), "art. 5");
        assert_eq!(line("  \u{202E}evil.pdf  ", 100), "evil.pdf");
    }

    #[test]
    fn a_long_line_is_cut_on_a_character_with_an_ellipsis() {
        let s = "Súdwest-Fryslân ".repeat(50);
        let l = line(&s, 20);
        assert_eq!(l.chars().count(), 20);
        assert!(l.ends_with('…'));
        assert_eq!(line("kort", 4), "kort");
        assert_eq!(line("korter", 4), "kor…");
    }

    #[test]
    fn text_keeps_lines_and_tabs_but_not_nul() {
        assert_eq!(text("a\0b\r\nc\rd\te\u{7}", 100), "ab\nc\nd\te");
        assert_eq!(text("ëëëëë", 3), "ëëë");
    }

    #[test]
    fn a_long_message_id_stays_distinct_and_stable() {
        let a = "x".repeat(9000) + "@a";
        let b = "x".repeat(9000) + "@b";
        let ia = message_id(&a).unwrap();
        let ib = message_id(&b).unwrap();
        assert_ne!(ia, ib);
        assert!(ia.chars().count() <= MAX_ID);
        assert_eq!(message_id(&a).unwrap(), ia);
        assert_eq!(message_id("<abc@ede.nl>").as_deref(), Some("abc@ede.nl"));
        assert_eq!(message_id(" \0 "), None);
    }

    #[test]
    fn storable_only_removes_nul() {
        assert_eq!(storable("a\0b\u{7}"), "ab\u{7}");
        assert!(matches!(storable("schoon"), Cow::Borrowed(_)));
    }
}
