//! Local voices named in a nomination letter: advisory councils (adviesraad sociaal domein,
//! Wmo-raad, participatieraad, inclusieraad), client councils, a VN-panel or panel of
//! ervaringsdeskundigen, a local platform or working group. The VNG consults these beside the
//! national partners; the intake proposes them with the sentence that names them, and staff
//! confirm them (letters rarely carry an address).
//!
//! Pure: text in, proposals out. Works on characters; never fails.

use super::text;

/// One organisation named in a letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// The name as the letter writes it, e.g. "Adviesraad Sociaal Domein Venlo".
    pub name: String,
    /// `adviesraad`, `wmo-raad`, `clientenraad`, `participatieraad`, `inclusieraad`,
    /// `vn-panel`, `ervaringsdeskundigen`, `platform` or `werkgroep`.
    pub kind: &'static str,
    /// The sentence that names it (trimmed, at most 400 characters).
    pub sentence: String,
}

/// Word starts (folded: lower case, no accents) that name a local voice, with their kind. A
/// word matches when it starts with the key (`adviesraad` matches `adviesraden`); compounds
/// like `wmo-adviesraad` are matched on their parts.
const KEYS: &[(&str, &str)] = &[
    ("adviesraad", "adviesraad"),
    ("adviesraden", "adviesraad"),
    ("wmo-raad", "wmo-raad"),
    ("wmo-adviesraad", "wmo-raad"),
    ("wmoraad", "wmo-raad"),
    ("clientenraad", "clientenraad"),
    ("participatieraad", "participatieraad"),
    ("inclusieraad", "inclusieraad"),
    ("vn-panel", "vn-panel"),
    ("ervaringsdeskundigenpanel", "ervaringsdeskundigen"),
    ("ervaringsdeskundigenteam", "ervaringsdeskundigen"),
    ("gehandicaptenplatform", "platform"),
    ("gehandicaptenraad", "adviesraad"),
    ("platform", "platform"),
    ("werkgroep", "werkgroep"),
    ("inclusieoverleggroep", "werkgroep"),
    ("klankbordgroep", "werkgroep"),
];

/// Lower-case words that may continue a name ("Adviesraad sociaal domein", "platform voor
/// inclusie"): the name runs on through these and through capitalised words.
const CONTINUE: &[&str] = &[
    "sociaal",
    "domein",
    "voor",
    "van",
    "inclusie",
    "toegankelijkheid",
    "gehandicaptenbeleid",
    "mensen",
    "met",
    "een",
    "beperking",
    "handicap",
    "wmo",
    "iedereen",
];

/// At most this many words in a name, and this many mentions per letter.
const MAX_NAME_WORDS: usize = 6;
const MAX_MENTIONS: usize = 12;

/// The local voices `texts` name, each once (the first sentence that names it).
pub fn mentions(texts: &[&str]) -> Vec<Mention> {
    let mut out: Vec<Mention> = Vec::new();
    for t in texts {
        for sentence in sentences(t) {
            for m in in_sentence(&sentence) {
                let key = text::fold(&m.name);
                if !out.iter().any(|o| text::fold(&o.name) == key) {
                    out.push(m);
                }
                if out.len() >= MAX_MENTIONS {
                    return out;
                }
            }
        }
    }
    out
}

/// Rough sentences: split on sentence ends and blank lines; good enough to quote.
fn sentences(t: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in t.lines() {
        if line.trim().is_empty() {
            flush(&mut cur, &mut out);
            continue;
        }
        for c in line.trim().chars() {
            cur.push(c);
            if matches!(c, '.' | '!' | '?') {
                flush(&mut cur, &mut out);
            }
        }
        cur.push(' ');
    }
    flush(&mut cur, &mut out);
    out
}

fn flush(cur: &mut String, out: &mut Vec<String>) {
    let s: String = cur.split_whitespace().collect::<Vec<_>>().join(" ");
    if !s.is_empty() {
        out.push(s.chars().take(400).collect());
    }
    cur.clear();
}

fn in_sentence(sentence: &str) -> Vec<Mention> {
    let words: Vec<&str> = sentence.split_whitespace().collect();
    let clean = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-')
            .to_string()
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = clean(words[i]);
        let folded = text::fold(&w);
        let kind = KEYS
            .iter()
            .find(|(k, _)| folded.starts_with(k) || folded.split('-').any(|part| part == *k))
            .map(|(_, kind)| *kind);
        let Some(kind) = kind else {
            i += 1;
            continue;
        };
        // A bare "platform" or "werkgroep" is a name only with a name after it.
        let needs_name = matches!(folded.as_str(), "platform" | "werkgroep");
        let mut name = vec![w.clone()];
        let mut j = i + 1;
        while j < words.len() && name.len() < MAX_NAME_WORDS {
            let raw = words[j];
            let n = clean(raw);
            let starts_upper = n.chars().next().is_some_and(char::is_uppercase);
            let cont = CONTINUE.contains(&text::fold(&n).as_str());
            if n.is_empty() || !(starts_upper || cont) {
                break;
            }
            name.push(n);
            j += 1;
            // A word that ends in punctuation ends the name.
            if raw.ends_with([',', '.', ';', ':', ')', '!', '?']) {
                break;
            }
        }
        // Trailing linking words are not part of the name.
        while name
            .last()
            .is_some_and(|w| ["voor", "van", "met", "een"].contains(&text::fold(w).as_str()))
        {
            name.pop();
        }
        if !(needs_name && name.len() == 1) {
            out.push(Mention {
                name: name.join(" "),
                kind,
                sentence: sentence.to_string(),
            });
        }
        i = j.max(i + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(t: &str) -> Vec<(String, &'static str)> {
        mentions(&[t])
            .into_iter()
            .map(|m| (m.name, m.kind))
            .collect()
    }

    #[test]
    fn councils_panels_and_platforms_are_named_with_their_sentence() {
        let t = "De Adviesraad Sociaal Domein Venlo heeft de agenda mee geschreven. \
                 Ook de Wmo-raad en het VN-panel zijn betrokken.\n\n\
                 Het Platform Gehandicaptenbeleid Oss toetst onze gebouwen.";
        assert_eq!(
            names(t),
            vec![
                ("Adviesraad Sociaal Domein Venlo".into(), "adviesraad"),
                ("Wmo-raad".into(), "wmo-raad"),
                ("VN-panel".into(), "vn-panel"),
                ("Platform Gehandicaptenbeleid Oss".into(), "platform"),
            ]
        );
        let m = &mentions(&[t])[0];
        assert!(
            m.sentence
                .starts_with("De Adviesraad Sociaal Domein Venlo heeft")
        );
    }

    #[test]
    fn a_bare_platform_or_working_group_is_no_name_and_names_are_listed_once() {
        assert!(names("Wij bieden een platform voor gesprek.").is_empty());
        let t = "De cliëntenraad adviseert. De Cliëntenraad stemde in.";
        assert_eq!(names(t), vec![("cliëntenraad".into(), "clientenraad")]);
        assert_eq!(
            names("Een groep ervaringsdeskundigen vormt de Inclusieoverleggroep."),
            vec![("Inclusieoverleggroep".into(), "werkgroep")]
        );
    }

    #[test]
    fn hostile_text_gives_a_bounded_answer() {
        let t = "adviesraad ".repeat(10_000);
        assert!(mentions(&[&t]).len() <= MAX_MENTIONS);
        assert!(names("\u{a0}\u{0}Wmo-raad\u{a0}").len() == 1);
    }
}
