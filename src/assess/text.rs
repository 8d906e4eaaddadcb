//! Text normalisation shared by the assessment: folding (lower case, no diacritics, plain quotes
//! and dashes), word tokens with byte offsets into the original text, and Dutch Snowball stems.
//!
//! It only describes text; it decides nothing about criteria or municipalities.

use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

static DUTCH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::Dutch));

/// The Dutch Snowball stem of an already folded word.
pub fn stem(word: &str) -> String {
    DUTCH.stem(word).into_owned()
}

/// Folds one character for matching: lower case, diacritics removed, typographic quotes and
/// dashes made plain, non-breaking spaces made spaces. May return several characters (`ß`).
pub fn fold_char(c: char, out: &mut String) {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' | '`' | '\u{00B4}' => out.push('\''),
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' | '\u{00AB}' | '\u{00BB}' => {
            out.push('"')
        }
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}' => {
            out.push('-')
        }
        '\u{00A0}' | '\u{202F}' | '\u{2007}' => out.push(' '),
        c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
        c => {
            for d in c.nfkd() {
                if !is_combining_mark(d) {
                    out.extend(d.to_lowercase());
                }
            }
        }
    }
}

/// Folds a whole string (see [`fold_char`]).
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        fold_char(c, &mut out);
    }
    out
}

/// Collapses all whitespace to single spaces and drops `>` quote markers at line starts; the
/// comparison form used for labelled sentences.
pub fn normalise_ws(s: &str) -> String {
    let mut parts = Vec::new();
    for line in s.lines() {
        let line = line.trim_start();
        let line = line.trim_start_matches(['>', ' ']);
        parts.extend(line.split_whitespace());
    }
    parts.join(" ")
}

/// One token of a sentence: a word (letters, digits, inner hyphens, `&`) or one punctuation mark.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Folded form.
    pub text: String,
    /// Snowball stem of the folded form (words only).
    pub stem: String,
    /// Byte offsets in the original text.
    pub start: usize,
    pub end: usize,
    pub is_word: bool,
    /// The first character in the original text is upper case.
    pub capitalised: bool,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '&'
}

/// Splits `text` (a slice starting at byte `base` of the original) into tokens.
pub fn tokenize(text: &str, base: usize) -> Vec<Token> {
    let mut tokens = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if c.is_whitespace() || c == '>' {
            i += 1;
            continue;
        }
        if is_word_char(c) {
            let start = pos;
            let mut folded = String::new();
            let mut j = i;
            while j < chars.len() {
                let (_, cj) = chars[j];
                if is_word_char(cj) {
                    fold_char(cj, &mut folded);
                    j += 1;
                } else if (cj == '-' || cj == '\u{2011}' || cj == '/' || cj == '\'')
                    && j + 1 < chars.len()
                    && is_word_char(chars[j + 1].1)
                    && j > i
                {
                    // inner hyphen (Wmo-raad), slash (t/m) or apostrophe (thema's) stays in the word
                    fold_char(cj, &mut folded);
                    j += 1;
                } else {
                    break;
                }
            }
            let end = if j < chars.len() {
                chars[j].0
            } else {
                text.len()
            };
            // Dutch writes some plurals with an apostrophe (agenda's, thema's): stem the word itself
            let stem_text = stem(folded.strip_suffix("'s").unwrap_or(&folded));
            tokens.push(Token {
                text: folded,
                stem: stem_text,
                start: base + start,
                end: base + end,
                is_word: true,
                capitalised: c.is_uppercase(),
            });
            i = j;
        } else {
            let mut folded = String::new();
            fold_char(c, &mut folded);
            let end = if i + 1 < chars.len() {
                chars[i + 1].0
            } else {
                text.len()
            };
            tokens.push(Token {
                text: folded,
                stem: String::new(),
                start: base + pos,
                end: base + end,
                is_word: false,
                capitalised: false,
            });
            i += 1;
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_diacritics_and_typographic_quotes() {
        assert_eq!(fold("Súdwest-Fryslân"), "sudwest-fryslan");
        assert_eq!(fold("„Iedereen” – vóór"), "\"iedereen\" - voor");
    }

    #[test]
    fn tokens_keep_byte_offsets_into_the_original() {
        let text = "De Wmo-raad is één.";
        let toks = tokenize(text, 0);
        let words: Vec<&str> = toks
            .iter()
            .filter(|t| t.is_word)
            .map(|t| t.text.as_str())
            .collect();
        assert_eq!(words, vec!["de", "wmo-raad", "is", "een"]);
        let een = toks.iter().find(|t| t.text == "een").unwrap();
        assert_eq!(&text[een.start..een.end], "één");
    }

    #[test]
    fn whitespace_normalisation_drops_quote_markers() {
        assert_eq!(normalise_ws("> De raad\n> heeft  het"), "De raad heeft het");
    }
}
