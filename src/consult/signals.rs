//! The verdict in a partner's new text (the quoted history is already cut off by
//! [`reply`](super::reply)): explicit keyword lines first, then the signals of each clause of
//! each sentence, then a bare "Ja"/"Nee". Pure; never logs the text.
//!
//! Dutch first, plain English too ("We support this nomination", "no objection", "we abstain").
//! Verdict words with one typo are read as the word ("steunn", "bezwaaar", "akoord"): a word
//! within one edit (insertion, deletion, swap of neighbours; a substitution only in words of
//! seven letters or more) of a verdict word, with the same first letter, and not a known Dutch
//! word of its own ("stenen", "voordeel"). The same negation rules apply to them.
//!
//! Contradictions make the reading unclear (`None`): staff read it. An unclear reading never
//! loses an objection: the sentences that object are returned as [`Reading::objection`], so
//! the answer is "needs reading" with the objection highlighted.

use std::collections::BTreeSet;

use super::reply::PartnerVerdict::{self, NoOpinion, Objection, Support};

/// The verdict of a new text and, when it is unclear, what in it objects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading {
    pub verdict: Option<PartnerVerdict>,
    /// When the verdict is unclear but something objects: those sentences (for staff).
    pub objection: Option<String>,
}

/// Longest objection highlight kept (characters).
const MAX_HIGHLIGHT_CHARS: usize = 400;

/// Words (runs of letters and digits) of `s` with their byte spans.
pub(crate) fn words(s: &str) -> impl Iterator<Item = (usize, usize, &str)> {
    let mut iter = s.char_indices().peekable();
    std::iter::from_fn(move || {
        while let Some(&(_, c)) = iter.peek() {
            if c.is_alphanumeric() {
                break;
            }
            iter.next();
        }
        let &(start, _) = iter.peek()?;
        let mut end = start;
        while let Some(&(i, c)) = iter.peek() {
            if !c.is_alphanumeric() {
                break;
            }
            end = i + c.len_utf8();
            iter.next();
        }
        Some((start, end, &s[start..end]))
    })
}

// ---------------------------------------------------------------------------------------------
// Typos

/// Verdict words read through one typo.
const TYPO_TARGETS: &[&str] = &[
    "steun",
    "steunen",
    "steunt",
    "ondersteunen",
    "bezwaar",
    "bezwaren",
    "oordeel",
    "onthouden",
    "onthouding",
    "akkoord",
    "support",
    "objection",
    "abstain",
];

/// Real words within one edit of a verdict word: never read as a typo.
const NOT_TYPOS: &[&str] = &[
    "stenen",
    "steunde",
    "steunden",
    "steune",
    "steen",
    "stern",
    "steunpunt",
    "bezwaard",
    "bezwaarde",
    "oordelen",
    "oordeelt",
    "voordeel",
    "akkoorden",
    "supports",
    "objections",
    "abstains",
    "onthoud",
    "onthoudt",
];

/// The verdict word `w` (lower case) stands for: itself, or the word it misspells.
pub(crate) fn normalize(w: &str) -> String {
    let n = w.chars().count();
    if !(5..=14).contains(&n)
        || TYPO_TARGETS.contains(&w)
        || NOT_TYPOS.contains(&w)
        || !w.chars().all(char::is_alphabetic)
    {
        return w.to_string();
    }
    for target in TYPO_TARGETS {
        if one_typo(w, target) {
            return (*target).to_string();
        }
    }
    w.to_string()
}

/// Whether `w` is `target` with one typo (see the module documentation).
fn one_typo(w: &str, target: &str) -> bool {
    let a: Vec<char> = w.chars().collect();
    let b: Vec<char> = target.chars().collect();
    if a.first() != b.first() || a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let long = b.len() >= 7;
    match a.len().cmp(&b.len()) {
        // One insertion in `w`: removing one of its characters gives `target`.
        std::cmp::Ordering::Greater => (0..a.len()).any(|i| {
            a.iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, c)| *c)
                .eq(b.iter().copied())
        }),
        // One deletion: only in longer words ("stun" is not "steun").
        std::cmp::Ordering::Less => {
            long && (0..b.len()).any(|i| {
                b.iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, c)| *c)
                    .eq(a.iter().copied())
            })
        }
        std::cmp::Ordering::Equal => {
            let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
            match diff.as_slice() {
                [i, j] => *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i],
                [_] => long,
                _ => false,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Keyword lines

/// Keywords a verdict line may start with, longest first (words, lower case).
const KEYWORDS: &[(&[&str], PartnerVerdict)] = &[
    (&["geen", "oordeel"], NoOpinion),
    (&["geen", "mening"], NoOpinion),
    (&["geen", "standpunt"], NoOpinion),
    (&["geen", "bezwaar"], Support),
    (&["geen", "bezwaren"], Support),
    (&["geen", "steun"], Objection),
    (&["niet", "akkoord"], Objection),
    (&["no", "opinion"], NoOpinion),
    (&["no", "objection"], Support),
    (&["no", "objections"], Support),
    (&["steun"], Support),
    (&["akkoord"], Support),
    (&["bezwaar"], Objection),
    (&["bezwaren"], Objection),
    (&["neutraal"], NoOpinion),
    (&["positief"], Support),
    (&["negatief"], Objection),
    (&["blanco"], NoOpinion),
    (&["onthouding"], NoOpinion),
    (&["support"], Support),
    (&["objection"], Objection),
    (&["abstain"], NoOpinion),
];

/// Labels a partner may put before the keyword: "Ons antwoord: STEUN".
const LABELS: &[&str] = &[
    "antwoord",
    "ons antwoord",
    "oordeel",
    "ons oordeel",
    "reactie",
    "onze reactie",
    "standpunt",
    "ons standpunt",
    "keuze",
    "onze keuze",
    "advies",
    "ons advies",
    "besluit",
    "ons besluit",
];

/// An explicit verdict keyword at the start of a line, with the byte offset where the rest of
/// the line (the start of the motivation) begins. Explicit means: the line is only the keyword,
/// or the keyword is followed by punctuation, or it is written in capitals ("STEUN want …");
/// "Steun voor mantelzorgers is goed geregeld" is not explicit.
pub(crate) fn explicit_keyword(line: &str) -> Option<(PartnerVerdict, usize)> {
    if is_option_list(line) {
        return None;
    }
    let ws: Vec<(usize, usize, &str)> = words(line).collect();
    let lower: Vec<String> = ws.iter().map(|w| normalize(&w.2.to_lowercase())).collect();
    let skip = label_words(line, &ws, &lower);
    // Nothing but punctuation may precede the keyword.
    let prefix_end = if skip > 0 { ws[skip - 1].1 } else { 0 };
    let before = ws.get(skip).map(|w| &line[prefix_end..w.0])?;
    if before.chars().any(|c| c.is_alphanumeric()) {
        return None;
    }
    for (kw, verdict) in KEYWORDS {
        let n = kw.len();
        if lower.len() < skip + n || lower[skip..skip + n] != **kw {
            continue;
        }
        // Words of a two-word keyword may be separated by spaces, '-' or '_' only.
        let joined_ok = (skip..skip + n - 1).all(|j| {
            line[ws[j].1..ws[j + 1].0]
                .chars()
                .all(|c| c.is_whitespace() || c == '-' || c == '_')
        });
        if !joined_ok {
            continue;
        }
        let end = ws[skip + n - 1].1;
        let next = line[end..].trim_start().chars().next();
        let capitals = ws[skip..skip + n]
            .iter()
            .all(|w| w.2.chars().all(|c| !c.is_lowercase()));
        let explicit = match next {
            None => true,
            // "Bezwaar? Nee hoor, …" asks, it does not answer.
            Some('?') => false,
            Some(c) => !c.is_alphanumeric() || capitals,
        };
        return explicit.then_some((*verdict, end));
    }
    None
}

/// How many words of a label ("Ons antwoord:", "Ons antwoord is") open the line.
fn label_words(line: &str, ws: &[(usize, usize, &str)], lower: &[String]) -> usize {
    for label in LABELS {
        let n = label.split(' ').count();
        if lower.len() > n && lower[..n].join(" ") == *label {
            let between = &line[ws[n - 1].1..ws[n].0];
            if between.contains(':') || between.contains('-') {
                return n;
            }
            if lower[n] == "is" && lower.len() > n + 1 {
                return n + 1;
            }
        }
    }
    0
}

/// "STEUN, BEZWAAR of GEEN OORDEEL", "steun / bezwaar": the question's options, not an answer.
pub(crate) fn is_option_list(s: &str) -> bool {
    let lower = s.to_lowercase();
    let kinds = words(&lower)
        .map(|w| normalize(w.2))
        .filter(|w| matches!(w.as_str(), "steun" | "bezwaar" | "oordeel" | "bezwaren"))
        .map(|w| {
            if w == "bezwaren" {
                "bezwaar".to_string()
            } else {
                w
            }
        })
        .collect::<BTreeSet<_>>();
    kinds.len() >= 2 && (lower.contains(" of ") || lower.contains('/') || lower.contains(" or "))
}

// ---------------------------------------------------------------------------------------------
// Sentences and clauses

/// Sentences of a text: split after '.', '!', '?' and ';' followed by white space or the end.
/// Each sentence keeps its final mark, so questions can be recognised.
pub(crate) fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        current.push(c);
        if matches!(c, '.' | '!' | '?' | ';') && chars.peek().is_none_or(|n| n.is_whitespace()) {
            let s = current.trim().to_string();
            if !s.is_empty() {
                out.push(s);
            }
            current.clear();
        }
    }
    let s = current.trim().to_string();
    if !s.is_empty() {
        out.push(s);
    }
    out
}

/// A word with whether it was written in capitals.
#[derive(Debug, Clone)]
struct Word {
    /// Lower case, a misspelt verdict word replaced by the word.
    lower: String,
    capitals: bool,
}

/// Words that start a new clause.
const CONJUNCTIONS: &[&str] = &[
    "maar",
    "want",
    "omdat",
    "hoewel",
    "terwijl",
    "aangezien",
    "doordat",
    "zodat",
    "en",
    "but",
    "because",
    "although",
    "though",
    "while",
    "whereas",
];

/// Clauses of a sentence: split at commas, colons, brackets, dashes and the conjunctions that
/// start a new clause, so that "geen bezwaar en steunen" is two clauses and the "niet" of
/// "omdat de gemeente niet stilzit" does not negate "wij steunen".
fn clauses(sentence: &str) -> Vec<Vec<Word>> {
    let mut out: Vec<Vec<Word>> = Vec::new();
    let mut current: Vec<Word> = Vec::new();
    let mut last_end = 0;
    for (start, end, w) in words(sentence) {
        let between = &sentence[last_end..start];
        let lower = normalize(&w.to_lowercase());
        let breaks = between.chars().any(|c| ",:;()[]–—".contains(c))
            || between.contains(" - ")
            || (CONJUNCTIONS.contains(&lower.as_str()) && !current.is_empty());
        if breaks && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        let letters: Vec<char> = w.chars().filter(|c| c.is_alphabetic()).collect();
        let capitals = letters.len() >= 3 && letters.iter().all(|c| c.is_uppercase());
        current.push(Word { lower, capitals });
        last_end = end;
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

const FIRST_PERSON: &[&str] = &[
    "wij", "we", "ik", "ons", "onze", "mij", "me", "mijn", "i", "our", "us", "my",
];
const NOMINATION_WORDS: &[&str] = &[
    "voordracht",
    "nominatie",
    "kandidatuur",
    "kandidaatstelling",
    "aanmelding",
    "kandidaat",
    "voorstel",
    "koploper",
    "nomination",
    "candidate",
    "candidacy",
    "application",
    "proposal",
];
const NEGATIONS: &[&str] = &[
    "niet",
    "geen",
    "nooit",
    "moeilijk",
    "onmogelijk",
    "nauwelijks",
    "not",
    "never",
    "cannot",
    "no",
];
/// Words after a negation that keep it from negating the clause ("niet alleen", "geen bezwaar").
const NEGATION_EXCEPTIONS: &[&str] = &[
    "alleen",
    "anders",
    "bezwaar",
    "bezwaren",
    "enkel",
    "enkele",
    "moeite",
    "twijfel",
    "probleem",
    "problemen",
    "only",
    "objection",
    "objections",
    "doubt",
    "problem",
];
/// English contractions split by the word splitter: "can't" is "can" + "t".
const CONTRACTED: &[&str] = &[
    "can", "don", "won", "doesn", "didn", "isn", "aren", "wasn", "couldn", "wouldn", "shouldn",
];

/// One clause as the signal rules see it.
struct Clause<'a> {
    w: Vec<&'a str>,
    words: &'a [Word],
    first_person: bool,
    about_nomination: bool,
    /// A negation that negates the clause: not "niet alleen", "niet anders dan", "geen bezwaar".
    negated: bool,
}

impl<'a> Clause<'a> {
    /// `shared_subject`: the clause continues the sentence's first-person subject ("Wij hebben
    /// bedenkingen en kunnen haar niet steunen").
    fn new(words: &'a [Word], shared_subject: bool) -> Clause<'a> {
        let w: Vec<&str> = words.iter().map(|x| x.lower.as_str()).collect();
        // Two negations cancel ("wij zien geen reden om haar niet te steunen").
        let negations = w
            .iter()
            .enumerate()
            .filter(|&(i, x)| {
                let contracted = *x == "t" && i > 0 && CONTRACTED.contains(&w[i - 1]);
                (NEGATIONS.contains(x) || contracted)
                    && !w.get(i + 1).is_some_and(|n| NEGATION_EXCEPTIONS.contains(n))
                    // "steunen of niet", "wel of niet": a choice, not a negation.
                    && !(i > 0 && w[i - 1] == "of")
            })
            .count();
        let negated = negations % 2 == 1;
        Clause {
            first_person: shared_subject || w.iter().any(|x| FIRST_PERSON.contains(x)),
            about_nomination: w.iter().any(|x| NOMINATION_WORDS.contains(x)),
            negated,
            words,
            w,
        }
    }
    fn has(&self, x: &str) -> bool {
        self.w.contains(&x)
    }
    fn has_any(&self, xs: &[&str]) -> bool {
        xs.iter().any(|x| self.w.contains(x))
    }
    fn pos(&self, x: &str) -> Option<usize> {
        self.w.iter().position(|y| *y == x)
    }
    fn bigram(&self, a: &str, b: &str) -> bool {
        self.w.windows(2).any(|p| p[0] == a && p[1] == b)
    }
    /// "geen x" or "geen enkel(e) x".
    fn no(&self, x: &str) -> bool {
        self.bigram("geen", x)
            || self
                .w
                .windows(3)
                .any(|p| p[0] == "geen" && matches!(p[1], "enkel" | "enkele") && p[2] == x)
    }
    /// `v`, turned around when the clause is negated.
    fn flip(&self, v: PartnerVerdict) -> PartnerVerdict {
        match (self.negated, v) {
            (false, v) => v,
            (true, Support) => Objection,
            (true, Objection) => Support,
            (true, NoOpinion) => NoOpinion,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The signal rules, one family each

/// Verbs that open a coordinated clause without a subject of its own ("… en kunnen haar niet
/// steunen", "… maar hebben wel bezwaar"): it shares the first clause's subject.
const SHARED_SUBJECT_VERBS: &[&str] = &[
    "kunnen",
    "willen",
    "moeten",
    "hebben",
    "zijn",
    "gaan",
    "zien",
    "vinden",
    "steunen",
    "ondersteunen",
    "maken",
    "geven",
    "trekken",
    "blijven",
    "zullen",
    "mogen",
    "achten",
    "raden",
    "staan",
    "ben",
    "is",
    "heb",
    "kan",
    "wil",
    "moet",
    "ga",
    "zie",
    "vind",
    "sta",
    "can",
    "cannot",
    "will",
    "would",
    "have",
    "are",
    "am",
    "do",
    "support",
    "object",
];

/// Whether clause `clause` of a sentence whose first clause speaks in the first person
/// continues that subject.
fn shares_subject(clause: &[Word], sentence_first_person: bool) -> bool {
    sentence_first_person
        && matches!(
            clause.first().map(|w| w.lower.as_str()),
            Some("en" | "maar" | "and" | "but")
        )
        && clause
            .get(1)
            .is_some_and(|w| SHARED_SUBJECT_VERBS.contains(&w.lower.as_str()))
}

/// The verdict signals of one clause.
fn clause_signals(words: &[Word], shared_subject: bool) -> Vec<PartnerVerdict> {
    let c = Clause::new(words, shared_subject);
    if undecided(&c) {
        return Vec::new();
    }
    // No opinion first: "kunnen wij niet beoordelen" must not read as a negated something.
    if no_opinion(&c) {
        return vec![NoOpinion];
    }
    let mut out = Vec::new();
    objection_words(&c, &mut out);
    support_words(&c, &mut out);
    stance(&c, &mut out);
    attitude(&c, &mut out);
    praise(&c, &mut out);
    advice(&c, &mut out);
    out
}

/// A clause that weighs rather than decides: "steunen of niet", "wel of niet", "ja of nee",
/// "niet helemaal eens", "niet met alles eens" (a part, not the whole).
fn undecided(c: &Clause<'_>) -> bool {
    let choice = c.bigram("of", "niet")
        || c.bigram("wel", "of")
        || c.bigram("ja", "of")
        || c.bigram("or", "not");
    let partial = c.w.windows(2).any(|p| {
        matches!(p[0], "niet" | "not")
            && matches!(
                p[1],
                "helemaal" | "geheel" | "volledig" | "met" | "fully" | "entirely"
            )
    }) && c.has_any(&[
        "iedereen",
        "alles",
        "helemaal",
        "geheel",
        "volledig",
        "everything",
        "fully",
        "entirely",
    ]);
    choice || partial
}

/// "geen oordeel", "wij onthouden ons", "kunnen wij niet beoordelen", "no opinion", "abstain".
fn no_opinion(c: &Clause<'_>) -> bool {
    let judge_negated = c.has_any(&[
        "beoordelen",
        "beoordeel",
        "beoordeelt",
        "inschatten",
        "beoordeling",
        "judge",
    ]) && c.has_any(&[
        "niet",
        "moeilijk",
        "lastig",
        "onvoldoende",
        "slecht",
        "geen",
        "not",
        "cannot",
        "unable",
    ]);
    let too_little = c.bigram("te", "weinig") || c.has_any(&["onvoldoende", "genoeg"]);
    let unknown_here = c.first_person
        && ((c.has_any(&["weten", "weet"]) && c.has("niet") && !c.has("wel"))
            || (c.has_any(&["weten", "weet", "kennen", "ken"]) && too_little)
            || (c.has_any(&["niets", "niks"])
                && c.has("over")
                && c.has_any(&["zeggen", "vinden"]))
            || (c.has_any(&["kennen", "ken"])
                && c.has_any(&["niet", "onvoldoende", "nauwelijks", "slecht"])
                && c.has_any(&["gemeente", "situatie", "aanpak", "beleid"])));
    // "geen zicht op", "te weinig kennis van", "geen idee" (not "geen goed idee").
    let no_view = ["zicht", "kennis", "informatie", "inzicht", "idee"]
        .iter()
        .any(|x| {
            c.pos(x).is_some_and(|p| {
                p > 0
                    && matches!(
                        c.w[p - 1],
                        "geen"
                            | "onvoldoende"
                            | "weinig"
                            | "beperkt"
                            | "beperkte"
                            | "enkel"
                            | "enig"
                    )
            })
        })
        && c.first_person;
    // "Wij onthouden ons", "ik onthoud mij": the reflexive verb, not "onthoud dat…".
    let abstains = c.has_any(&[
        "onthouden",
        "onthouding",
        "blanco",
        "abstain",
        "abstains",
        "abstaining",
    ]) || (c.has_any(&["onthoud", "onthoudt", "onthielden", "onthield"])
        && c.has_any(&["ons", "mij", "me", "zich"]));
    ["oordeel", "mening", "standpunt", "uitspraak", "voorkeur"]
        .iter()
        .any(|x| c.bigram("geen", x))
        || c.bigram("no", "opinion")
        || c.bigram("no", "view")
        || abstains
        || judge_negated
        || unknown_here
        || no_view
        || (c.has("neutraal") && (c.first_person || c.about_nomination))
        || (c.has("neutral") && (c.first_person || c.about_nomination))
        || (c.bigram("niet", "bekend") && c.first_person)
        || (c.has("laten") && c.has("aan") && c.has_any(&["u", "jullie", "vng"]))
        // "Wij laten de beoordeling (over) aan de andere partners".
        || (c.has_any(&["laten", "laat"])
            && c.has("aan")
            && c.first_person
            && (c.has("over")
                || c.has_any(&["oordeel", "beoordeling", "afweging", "keuze", "beslissing", "partners", "anderen"])))
        // "Wij passen."
        || (c.bigram("wij", "passen") || c.bigram("we", "passen"))
}

/// "bezwaar" / "objection": an objection unless denied ("geen (enkel) bezwaar", "zonder
/// bezwaar", "no objection"), withdrawn ("wij trekken ons bezwaar in") or conditional.
fn objection_words(c: &Clause<'_>, out: &mut Vec<PartnerVerdict>) {
    let conditional = matches!(
        c.w.first(),
        Some(
            &"als" | &"indien" | &"mocht" | &"mochten" | &"wanneer" | &"tenzij" | &"if" | &"unless"
        )
    );
    if conditional {
        return;
    }
    const OBJECTION: &[&str] = &[
        "bezwaar",
        "bezwaren",
        "bezwaarlijk",
        "objection",
        "objections",
        "object",
        "objects",
        "oppose",
        "opposes",
        "opposed",
    ];
    const DENIALS: &[&str] = &[
        "geen",
        "niet",
        "niets",
        "niks",
        "zonder",
        "nauwelijks",
        "no",
        "not",
        "without",
        "never",
    ];
    for (i, x) in c.w.iter().enumerate() {
        if !OBJECTION.contains(x) {
            continue;
        }
        let window = &c.w[i.saturating_sub(4)..i];
        let contracted = window
            .windows(2)
            .any(|p| p[1] == "t" && CONTRACTED.contains(&p[0]));
        let denied = (window.iter().any(|y| DENIALS.contains(y)) || contracted)
            && !c.bigram("niet", "anders");
        // "Bezwaar hebben wij niet", "bezwaren zijn er niet".
        let denied_after = i == 0 && matches!(c.w.last(), Some(&"niet") | Some(&"geen"));
        // "Wij trekken ons bezwaar in".
        let withdrawn = withdrawal(c);
        out.push(if denied || denied_after || withdrawn {
            Support
        } else {
            Objection
        });
    }
}

/// "intrekken", "trekken … in", "withdraw": the clause takes something back.
fn withdrawal(c: &Clause<'_>) -> bool {
    c.has_any(&[
        "intrekken",
        "ingetrokken",
        "withdraw",
        "withdraws",
        "withdrawn",
    ]) || (c.has_any(&["trekken", "trekt", "trek"]) && c.has("in"))
}

/// The supporting verbs and nouns: "wij steunen", "onze steun", "STEUN", "akkoord", "eens",
/// "kunnen ons vinden in", "staan achter", "support"; a withdrawal of support objects.
fn support_words(c: &Clause<'_>, out: &mut Vec<PartnerVerdict>) {
    const STEUN: &[&str] = &[
        "steunen",
        "steun",
        "steunt",
        "ondersteunen",
        "ondersteun",
        "ondersteunt",
        "onderschrijven",
        "onderschrijf",
        "onderschrijft",
        "ondersteund",
        "gesteund",
        "support",
        "supports",
        "supported",
        "endorse",
        "endorses",
        "endorsed",
    ];
    let steun_capitals = c
        .words
        .iter()
        .any(|x| x.capitals && matches!(x.lower.as_str(), "steun" | "steunen" | "support"));
    let qualified =
        c.first_person || c.about_nomination || steun_capitals || steun_noun_is_stance(c);
    if c.has_any(STEUN) && (qualified || c.w.len() <= 3) {
        // "Wij trekken onze steun in", "we withdraw our support" (bezwaar is read elsewhere).
        if withdrawal(c) && !c.has_any(&["bezwaar", "bezwaren", "objection", "objections"]) {
            out.push(c.flip(Objection));
        } else {
            out.push(c.flip(Support));
        }
    }
    if c.has("akkoord") && (c.first_person || c.about_nomination || c.w.len() <= 3) {
        out.push(c.flip(Support));
    }
    if c.has_any(&["oneens", "disagree"]) {
        out.push(Objection);
    } else if (c.has("eens")
        && (c.has_any(&["mee", "hiermee", "daarmee", "ermee", "met"])
            || (c.has("het") && c.has_any(&["zijn", "ben", "is"]))))
        || (c.has("agree") && c.first_person)
    {
        out.push(c.flip(Support));
    }
    if c.has("vinden")
        && c.has_any(&["ons", "mij", "me", "zich"])
        && c.has_any(&["in", "hierin", "daarin", "erin"])
    {
        out.push(c.flip(Support));
    }
    if c.has_any(&["achter", "erachter", "hierachter", "daarachter"])
        && c.has_any(&["staan", "sta", "staat"])
        && (c.first_person || c.about_nomination)
    {
        out.push(c.flip(Support));
    }
    if c.has_any(&["voorstander", "voorstanders"])
        || c.bigram("in", "favour")
        || c.bigram("in", "favor")
    {
        out.push(c.flip(Support));
    }
}

/// The noun "steun" as the partner's stance: opening the clause ("Steun voor Leeuwarden!",
/// "Steun van Per Saldo") or after a word that makes it the writer's ("geen steun van de
/// Coalitie", "van harte steun", "onze volle steun"), not describing someone's support ("de
/// steun van de gemeente", "weinig steun voor mantelzorgers", "Steun voor mantelzorgers is
/// goed geregeld").
fn steun_noun_is_stance(c: &Clause<'_>) -> bool {
    const OURS: &[&str] = &[
        "geen",
        "onze",
        "ons",
        "mijn",
        "volle",
        "volledige",
        "harte",
        "alle",
        "graag",
        "ook",
        "wel",
        "brede",
        "unanieme",
        "our",
        "full",
    ];
    const DESCRIBING: &[&str] = &[
        "is", "wordt", "zijn", "was", "waren", "blijft", "krijgt", "krijgen", "biedt", "bieden",
        "geeft", "kreeg", "werd",
    ];
    let Some(p) = c.pos("steun").or_else(|| c.pos("support")) else {
        return false;
    };
    let opens = p == 0 || OURS.contains(&c.w[p - 1]);
    opens && !c.w[p + 1..].iter().any(|x| DESCRIBING.contains(x))
}

/// For or against: "tegenstander", "geen probleem", "wij zijn (niet) tegen/voor", "ertegen".
fn stance(c: &Clause<'_>, out: &mut Vec<PartnerVerdict>) {
    if c.has_any(&["tegenstander", "tegenstanders"]) {
        out.push(Objection);
    }
    if (c.no("probleem") || c.no("problemen") || c.bigram("no", "problem"))
        && (c.first_person || c.about_nomination)
    {
        out.push(Support);
    }
    let be = c.has_any(&["zijn", "ben", "is", "are", "am"]);
    let bezwaar_tegen = c.has_any(&["bezwaar", "bezwaren"]);
    for against in ["tegen", "against"] {
        let Some(p) = c.pos(against).filter(|_| !bezwaar_tegen) else {
            continue;
        };
        let before = &c.w[p.saturating_sub(2)..p];
        let about = c.w[p + 1..]
            .iter()
            .take(3)
            .any(|y| NOMINATION_WORDS.contains(y));
        if before
            .iter()
            .any(|y| matches!(*y, "niets" | "niks" | "nothing"))
        {
            out.push(Support);
        } else if (c.about_nomination && about) || (be && p + 1 == c.w.len()) {
            out.push(c.flip(Objection));
        }
    }
    // "Wij zijn voor deze voordracht", "De LFB is voor."
    if let Some(p) = c.pos("voor")
        && be
        && (p + 1 == c.w.len()
            || (c.first_person
                && c.w[p + 1..]
                    .iter()
                    .take(3)
                    .any(|y| NOMINATION_WORDS.contains(y))))
    {
        out.push(c.flip(Support));
    }
    // "Wij zijn ertegen", "daar zijn wij voor": the pronoun joined to the preposition.
    if be && c.has_any(&["ertegen", "hiertegen", "daartegen"]) {
        out.push(c.flip(Objection));
    }
    if be && c.has_any(&["ervoor", "hiervoor", "daarvoor"]) && c.first_person && c.w.len() <= 5 {
        out.push(c.flip(Support));
    }
}

/// Attitudes towards the nomination: reservations, rejection, enthusiasm, being convinced,
/// joining it, having trouble with it.
fn attitude(c: &Clause<'_>, out: &mut Vec<PartnerVerdict>) {
    // "Wij hebben (grote) bedenkingen bij deze voordracht"; "geen bedenkingen" is support.
    if c.has_any(&["bedenkingen", "bedenking"]) && c.has_any(&["bij", "tegen", "over"]) {
        out.push(if c.has("geen") { Support } else { Objection });
    }
    // "Wij wijzen de voordracht af", "we reject this nomination".
    if c.has_any(&["afwijzen", "afgewezen", "reject", "rejects", "rejected"])
        || (c.has_any(&["wijzen", "wijst"])
            && c.has("af")
            && (c.first_person || c.about_nomination))
    {
        out.push(c.flip(Objection));
    }
    // "Wij zijn enthousiast over deze voordracht", "wij juichen haar toe".
    if (c.has("enthousiast") || c.has("toejuichen") || (c.has("juichen") && c.has("toe")))
        && (c.first_person || c.about_nomination)
    {
        out.push(c.flip(Support));
    }
    // "Wij zijn (niet) overtuigd van deze voordracht".
    if c.has("overtuigd") && c.first_person {
        out.push(c.flip(Support));
    }
    // "Mind sluit zich hierbij aan", "wij sluiten ons aan bij de voordracht".
    if c.has_any(&["sluiten", "sluit"]) && c.has("aan") && c.has_any(&["ons", "zich", "mij", "me"])
    {
        out.push(c.flip(Support));
    }
    // "Wij hebben (grote) moeite met deze voordracht"; "geen moeite mee" is support.
    if c.has("moeite")
        && c.has_any(&["met", "mee", "hiermee", "daarmee"])
        && (c.first_person || c.about_nomination)
    {
        out.push(if c.has("geen") { Support } else { Objection });
    }
}

/// Words of praise before what they praise ("een goede kandidaat").
const PRAISE: &[&str] = &[
    "goede",
    "goed",
    "prima",
    "uitstekende",
    "uitstekend",
    "mooie",
    "mooi",
    "sterke",
    "sterk",
    "terechte",
    "geschikte",
    "geschikt",
    "waardige",
    "waardig",
    "voorbeeldige",
    "good",
    "great",
    "excellent",
    "strong",
];

/// Praise of the nomination or the municipality, or its denial ("geen koploper").
fn praise(c: &Clause<'_>, out: &mut Vec<PartnerVerdict>) {
    // "een goede kandidaat", "een terechte voordracht", "geen goed voorbeeld".
    if c.w.windows(2).any(|p| {
        PRAISE.contains(&p[0])
            && (NOMINATION_WORDS.contains(&p[1])
                || matches!(
                    p[1],
                    "voorbeeld"
                        | "keuze"
                        | "gemeente"
                        | "idee"
                        | "example"
                        | "choice"
                        | "municipality"
                        | "idea"
                ))
    }) {
        out.push(c.flip(Support));
    }
    // "Dit is (wat ons betreft) geen koploper", "Zwolle is geen voorbeeld".
    if c.has_any(&["is", "zijn"])
        && c.w
            .windows(2)
            .any(|p| p[0] == "geen" && (NOMINATION_WORDS.contains(&p[1]) || p[1] == "voorbeeld"))
    {
        out.push(Objection);
    }
    // "Wij zijn blij met deze voordracht", "Zwolle mag wat ons betreft koploper worden".
    if (c.has("blij") && c.has_any(&["met", "mee"]) && (c.first_person || c.about_nomination))
        || (c.has_any(&["mag", "mogen"]) && c.has("koploper") && c.has("worden"))
    {
        out.push(c.flip(Support));
    }
}

/// Advice for or against: "afraden", "aanbevelen", "instemmen", "positief/negatief advies",
/// "terecht", "verdient een plek".
fn advice(c: &Clause<'_>, out: &mut Vec<PartnerVerdict>) {
    if c.has_any(&["ontraden", "afraden", "ontraadt"]) || (c.has("raden") && c.has("af")) {
        out.push(c.flip(Objection));
    }
    if c.has_any(&[
        "aanbevelen",
        "aanbevolen",
        "aanraden",
        "aanbeveling",
        "recommend",
        "recommended",
    ]) || (c.has("raden") && c.has("aan"))
        || (c.has("bevelen") && c.has("aan"))
    {
        out.push(c.flip(Support));
    }
    if c.has_any(&["instemmen", "instemming", "stemt", "instemt"])
        && (c.has("in") || c.has_any(&["instemmen", "instemming", "instemt"]))
        || (c.has_any(&["stemmen", "stem"]) && c.has("in"))
    {
        out.push(c.flip(Support));
    }
    let qualified = c.first_person
        || c.about_nomination
        || c.has_any(&[
            "advies",
            "oordeel",
            "advice",
            "adviseert",
            "adviseren",
            "adviseer",
            "advise",
            "advises",
        ]);
    if c.has_any(&["positief", "positive"]) && qualified {
        out.push(c.flip(Support));
    }
    if c.has_any(&["negatief", "negative"]) && qualified {
        out.push(c.flip(Objection));
    }
    if c.has_any(&["terecht", "terechte"]) && c.about_nomination {
        out.push(c.flip(Support));
    }
    if c.has_any(&["verdient", "verdienen", "deserves", "deserve"])
        && c.has_any(&[
            "plek",
            "plaats",
            "titel",
            "erkenning",
            "koploper",
            "nominatie",
            "place",
            "recognition",
        ])
    {
        out.push(c.flip(Support));
    }
}

// ---------------------------------------------------------------------------------------------
// The verdict of a text

/// Lines that greet the reader ("Beste Anna,", "Goedemiddag,"): not part of the motivation.
pub(crate) fn is_salutation(line: &str) -> bool {
    let lower = line.trim().to_lowercase();
    let first = words(&lower).next().map(|w| w.2.to_string());
    let Some(first) = first else { return false };
    const GREETINGS: &[&str] = &[
        "beste",
        "geachte",
        "hallo",
        "hoi",
        "hi",
        "dag",
        "goedemorgen",
        "goedemiddag",
        "goedenavond",
        "lieve",
        "dear",
        "hey",
        "hee",
        "hello",
        "goeiemorgen",
        "goeiemiddag",
    ];
    GREETINGS.contains(&first.as_str())
        && lower.chars().count() <= 60
        && (lower.ends_with(',') || (words(&lower).count() <= 3 && !lower.contains('.')))
}

/// The verdict of the new text (see the module documentation for the order of strength).
pub fn read(lines: &[String]) -> Reading {
    let mut objecting: Vec<String> = Vec::new();
    let explicit: BTreeSet<u8> = lines
        .iter()
        .filter_map(|l| {
            let (v, _) = explicit_keyword(l)?;
            if v == Objection {
                objecting.push(l.trim().to_string());
            }
            Some(v as u8)
        })
        .collect();
    if !explicit.is_empty() {
        return finish(single(&explicit), objecting);
    }
    let mut found = BTreeSet::new();
    for paragraph in paragraphs(lines) {
        for sentence in sentences(&paragraph) {
            if sentence.ends_with('?') || is_option_list(&sentence) {
                continue;
            }
            let clauses = clauses(&sentence);
            let first_person = clauses
                .first()
                .is_some_and(|c| c.iter().any(|w| FIRST_PERSON.contains(&w.lower.as_str())));
            for clause in &clauses {
                let signals = clause_signals(clause, shares_subject(clause, first_person));
                if signals.contains(&Objection) && !objecting.contains(&sentence) {
                    objecting.push(sentence.clone());
                }
                found.extend(signals.into_iter().map(|v| v as u8));
            }
        }
    }
    if !found.is_empty() {
        return finish(single(&found), objecting);
    }
    Reading {
        verdict: bare_yes_or_no(lines),
        objection: None,
    }
}

/// A bare "Ja" or "Nee" answering "Steunt u deze voordracht?".
fn bare_yes_or_no(lines: &[String]) -> Option<PartnerVerdict> {
    let first_line = lines.iter().find(|l| !l.is_empty() && !is_salutation(l))?;
    // The first sentence: "Liever niet. De gemeente is nog niet zo ver." answers in two words.
    let first = sentences(first_line).into_iter().next()?;
    let lower = first.to_lowercase();
    let ws: Vec<&str> = words(&lower).map(|w| w.2).collect();
    let short = ws.len() <= 3;
    // "Wat ons betreft: ja.", "Ons antwoord is nee": the answer after a short lead-in.
    let after_lead_in = lower
        .rsplit_once(':')
        .map(|(_, rest)| rest)
        .or_else(|| {
            (ws.len() <= 5)
                .then(|| lower.rsplit_once(" is ").map(|x| x.1))
                .flatten()
        })
        .and_then(|rest| {
            let rest: Vec<&str> = words(rest).map(|w| w.2).collect();
            (rest.len() == 1).then(|| rest[0])
        });
    // A word that answers on its own: followed by punctuation or nothing ("Prima!", "Goed,"),
    // not by what it describes ("Goed initiatief, maar …").
    let alone = words(&lower).next().is_some_and(|(_, end, _)| {
        lower[end..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric() && !c.is_whitespace())
    }) || ws.len() == 1;
    match (ws.first().copied(), ws.get(1).copied()) {
        (Some("niet" | "liever"), Some("doen" | "niet")) if short => return Some(Objection),
        (Some("ja" | "jazeker" | "yes"), _) => return Some(Support),
        (Some("nee" | "neen" | "no"), _) => return Some(Objection),
        (
            Some(
                "zeker" | "uiteraard" | "natuurlijk" | "prima" | "ok" | "oké" | "okay" | "goed"
                | "eens" | "graag" | "doen" | "top" | "voor" | "absoluut" | "uitstekend",
            ),
            _,
        ) if alone => return Some(Support),
        (Some("tegen" | "oneens"), _) if alone => return Some(Objection),
        _ => {}
    }
    match after_lead_in {
        Some("ja" | "yes") => Some(Support),
        Some("nee" | "no") => Some(Objection),
        _ => None,
    }
}

/// The reading, with the objecting sentences kept only when the verdict is unclear.
fn finish(verdict: Option<PartnerVerdict>, objecting: Vec<String>) -> Reading {
    let objection = (verdict.is_none() && !objecting.is_empty())
        .then(|| super::reply::truncate_chars(&objecting.join(" … "), MAX_HIGHLIGHT_CHARS));
    Reading { verdict, objection }
}

fn single(kinds: &BTreeSet<u8>) -> Option<PartnerVerdict> {
    match kinds.iter().collect::<Vec<_>>().as_slice() {
        [one] => PartnerVerdict::ALL.into_iter().find(|v| *v as u8 == **one),
        _ => None,
    }
}

/// Paragraphs: runs of non-empty lines joined with a space (undoes hard wrapping).
fn paragraphs(lines: &[String]) -> Vec<String> {
    lines
        .split(|l| l.is_empty())
        .filter(|p| !p.is_empty())
        .map(|p| p.join(" "))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_typo_in_a_verdict_word_is_read_as_the_word() {
        for (typo, word) in [
            ("steunn", "steun"),
            ("stuen", "steun"),
            ("steuun", "steun"),
            ("bezwaaar", "bezwaar"),
            ("bezwar", "bezwaar"),
            ("bezwaer", "bezwaar"),
            ("akoord", "akkoord"),
            ("steunnen", "steunen"),
            ("suport", "support"),
            ("onthoudne", "onthouden"),
        ] {
            assert_eq!(normalize(typo), word, "{typo}");
        }
    }

    #[test]
    fn real_words_near_a_verdict_word_are_left_alone() {
        for w in [
            "stenen",
            "steen",
            "stun",
            "steur",
            "teun",
            "voordeel",
            "oordelen",
            "bezwaard",
            "steunde",
            "gesteund",
            "stem",
            "sturen",
            "akkoorden",
            "onthoud",
        ] {
            assert_eq!(normalize(w), w, "{w}");
        }
    }

    #[test]
    fn clauses_split_at_conjunctions_in_dutch_and_english() {
        let n = |s: &str| clauses(s).len();
        assert_eq!(n("Geen bezwaar en wij steunen het"), 2);
        assert_eq!(n("We support it but we have doubts"), 2);
        assert_eq!(n("Wij steunen de voordracht"), 1);
    }
}
