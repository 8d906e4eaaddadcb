//! The word lists of a call: weighted terms per criterion, per domain and for the principle,
//! negation, intention and realisation cues, splitter abbreviations and the thresholds for
//! "met" and "weak". Loaded from a TOML file next to the call definition
//! (`config/calls/<call>.lexicon.toml`) so staff can tune it without a rebuild.
//!
//! Term syntax (all matching is on folded text: lower case, no diacritics):
//! * `inclusieagenda` — a whole word; also matches words with the same Dutch Snowball stem
//!   (`inclusieagenda's`).
//! * `ervaringsdeskundig*` — a word starting with this; `*vervoer` — a word ending with this
//!   (compounds: `leerlingenvervoer`); `*panel*` — a word containing this.
//! * `=ouders` — exactly this word, no stemming (`=ouders` does not match `oudere`).
//! * `lokale inclusieagenda` — consecutive words; `niet alleen ... maar` — `...` allows a gap of up
//!   to `thresholds.gap_words` words, `...12` up to 12.
//! * When matches overlap, the longer term takes the words; each term counts once per sentence.
//!
//! This module parses and compiles; it does not look at letters (see `claims`).

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use super::text::{self, Token};

/// Numbers that turn term matches into claims and claims into verdicts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Minimum sentence score (sum of matched term weights plus bonuses) for a claim.
    pub evidence: f64,
    /// Added to a target's score when the sentence stands under a heading about that target.
    pub section_bonus: f64,
    /// Added when the sentence reports something realised (auxiliary + participle, `sinds`, ...).
    pub realisation_bonus: f64,
    /// Added besides to the domain criterion when the sentence reports a realised practice
    /// ("er ligt nu een loopbrug", "sinds maart rijdt de bus"): a concrete fact in a domain is
    /// what the criterion asks, with or without the word "innovatief".
    pub practice_bonus: f64,
    /// Minimum domain-term score before a sentence can be criterion-2 evidence for that domain.
    pub domain_min: f64,
    /// A criterion is "met" when its strongest evidence reaches this strength ...
    pub met_strength: f64,
    /// ... or when it has at least this many evidence sentences; otherwise one claim is "weak".
    pub met_claims: usize,
    /// A sentence reaching this share of a target's bar without meeting it is a near miss
    /// ([`super::claims::ClaimKind::Borderline`]); a criterion with near misses and no evidence
    /// is "weak" (please check) rather than "not found". 0 turns near misses off.
    pub borderline: f64,
    /// Near misses beside at least one evidence sentence count towards `met_claims`.
    pub near_misses_support: bool,
    /// Largest gap, in words, that `...` in a term may bridge (`...12` sets it per term).
    pub gap_words: usize,
    /// Subtracted from every target's score in a sentence about the letter itself.
    pub meta_penalty: f64,
    /// A line on its own without final punctuation and with at most this many words is a heading.
    pub heading_max_words: usize,
    /// A first sentence of a paragraph with at most this many words is an inline heading
    /// (`Dan onderwijs.`) when more sentences follow.
    pub inline_heading_max_words: usize,
    /// Added to the principle's score when residents with a disability or their organisations
    /// are the ones who act in the sentence (its subject, the agent after `door`, or `samen met`).
    pub subject_bonus: f64,
    /// Subtracted from the principle's score when only the municipality acts and no resident
    /// group is named at all.
    pub municipality_only_penalty: f64,
    /// A sentence of at most this many words, or one that opens with an anaphor (`zij`, `dit`),
    /// is a follow-up: it inherits who acts and what the previous sentence was evidence for.
    pub follow_up_max_words: usize,
    /// The domain of the domain criterion that is itself about involving residents
    /// (`betrekken`): beside a claim in that domain the principle needs nothing extra.
    pub involvement_domain: Option<String>,
    /// Beside a practice in another domain the principle's score must reach this multiple of
    /// its bar (co-designing a footpath is not yet making policy together).
    pub principle_beside_practice: f64,
    /// When residents act in a sentence that is evidence for the principle, another criterion
    /// beside it (not the domain criterion) must reach this multiple of its bar: "the panel
    /// wrote the inclusion agenda" is about who took part, not about the council's agenda.
    pub criterion_beside_residents: f64,
    /// Probability from which the learned model (`intake train`, `intake eval
    /// --cross-validate`) takes a sentence as evidence.
    pub model_threshold: f64,
    /// L2 penalty of the learned model's fit.
    pub model_l2: f64,
    /// The learned model only vetoes: a sentence the terms take as evidence stays evidence
    /// unless the model's probability is below `model_threshold`; it never adds evidence.
    pub model_veto_only: bool,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            evidence: 2.0,
            section_bonus: 1.0,
            realisation_bonus: 0.5,
            practice_bonus: 0.0,
            domain_min: 1.0,
            met_strength: 3.0,
            met_claims: 2,
            borderline: 0.0,
            near_misses_support: false,
            gap_words: 6,
            meta_penalty: 2.0,
            heading_max_words: 12,
            inline_heading_max_words: 5,
            subject_bonus: 1.0,
            municipality_only_penalty: 0.5,
            follow_up_max_words: 6,
            involvement_domain: None,
            principle_beside_practice: 1.0,
            criterion_beside_residents: 1.0,
            model_threshold: 0.5,
            model_l2: 0.02,
            model_veto_only: false,
        }
    }
}

/// Settings of the sentence splitter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SplitterFile {
    /// Abbreviations whose final period does not end a sentence (`bijv.`, `o.a.`, `dhr.`).
    pub abbreviations: Vec<String>,
    /// A text whose longest line has at most this many characters is treated as hard-wrapped.
    pub wrapped_max_line_chars: usize,
    /// In hard-wrapped text, a line at least this long continues on the next line.
    pub join_min_line_chars: usize,
    /// Lines starting with one of these (folded) are mail or letter headers, never evidence
    /// (`van:`, `onderwerp:`, `kenmerk:`).
    pub header_prefixes: Vec<String>,
}

impl Default for SplitterFile {
    fn default() -> Self {
        SplitterFile {
            abbreviations: Vec::new(),
            wrapped_max_line_chars: 100,
            join_min_line_chars: 40,
            header_prefixes: Vec::new(),
        }
    }
}

/// Cue lists for negation, intention and realisation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CuesFile {
    /// Words that negate their clause (`niet`, `geen`, `nooit`).
    pub negation: Vec<String>,
    /// Patterns in which a negation word is positive (`niet alleen ... maar`, `geen enkel*`).
    pub negation_positive: Vec<String>,
    /// Patterns that stay negative even inside a positive pattern (`nog niet`, `nog geen`).
    pub negation_strong: Vec<String>,
    /// Phrases that make their clause a mere intention (`van plan`, `in een later stadium`).
    pub intention: Vec<String>,
    /// Modal verbs that make an intention with a first-person subject (`willen`, `gaan`).
    pub intention_verbs: Vec<String>,
    /// The first-person subjects for `intention_verbs` (`we`, `wij`, `ik`).
    pub intention_subjects: Vec<String>,
    /// Phrases that report something realised (`sinds`, `inmiddels`, `vorig jaar`).
    pub realisation: Vec<String>,
    /// Auxiliaries that, with a past participle, report something realised.
    pub auxiliaries: Vec<String>,
    /// Separable prefixes before `ge` in past participles (`aan` for `aangenomen`).
    pub participle_prefixes: Vec<String>,
    /// Past participles without `ge` (`herschreven`, `ontwikkeld`).
    pub participles: Vec<String>,
    /// Words that look like participles but are not (`gemeenteraad`, `gebied`).
    pub participle_exclude: Vec<String>,
    /// Conjunctions that start a new clause (`maar`, `want`, `omdat`).
    pub clause_conjunctions: Vec<String>,
    /// Relative pronouns that start a new clause (`die`), unless a preposition stands before
    /// them (`om die agenda`: there they point).
    pub relative_pronouns: Vec<String>,
    /// Prepositions and conjunctions after which a relative pronoun points instead.
    pub prepositions: Vec<String>,
    /// Phrases of a letter about itself (`deze brief`, `meld ... aan`): such a sentence loses
    /// `thresholds.meta_penalty` for every target.
    pub meta: Vec<String>,
    /// Headings of sections that report shortcomings or wishes (`leerpunten`, `tot slot`); also
    /// any heading with a negation or intention cue. Sentences below lose `thresholds.section_bonus`.
    pub weak_sections: Vec<String>,
    /// Auxiliaries of the future with any subject (`zal`, `gaat`): with an infinitive closing the
    /// clause they make it an intention (`de gemeente gaat een agenda opstellen`).
    pub future_auxiliaries: Vec<String>,
    /// Words that open a follow-up sentence referring back (`zij`, `ze`, `dit`, `daarin`).
    pub anaphora: Vec<String>,
}

/// Who acts in a sentence: the groups the subject detection knows.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SubjectsFile {
    /// Residents with a disability and their organisations (`ervaringsdeskundig*`, `adviesraad`).
    pub residents: Vec<String>,
    /// The municipality and its organs (`gemeente`, `college`, `wethouder`, `wij`).
    pub municipality: Vec<String>,
    /// Words just before a resident group that make it the one who acts (`door`, `samen met`,
    /// `op initiatief van`, `na bezwaren van`).
    pub agent_markers: Vec<String>,
    /// First-person words (`wij`, `we`, `ons`): the residents act when they wrote the letter.
    pub first_person: Vec<String>,
    /// Openings by which a letter's writers say who they are (`wij zijn`, `als`, `namens`):
    /// followed closely by a resident group in the first sentences, the letter is theirs.
    pub author_markers: Vec<String>,
}

/// Terms of one criterion, domain or the principle.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TargetFile {
    /// Dutch label for reports.
    pub label: String,
    /// term → weight (negative weights count against).
    pub terms: BTreeMap<String, f64>,
    /// term → weight, matched against headings to know which section a sentence is in.
    pub headings: BTreeMap<String, f64>,
    /// Minimum score for evidence of this target (default `thresholds.evidence`).
    pub min_score: Option<f64>,
    /// Ignore words between quotation marks (names of plans such as "Venlo Voor Iedereen").
    pub ignore_quoted: bool,
    /// Terms (as written under `terms`) of which only the heaviest match in a sentence counts:
    /// names of the same kind of thing (a panel, a platform, an advisory council) do not add up
    /// when a sentence lists several.
    pub once: Vec<String>,
    /// Weight added when terms of several groups occur together (a decision verb with the
    /// council, residents who act with a verb of taking part, "ook" with another group of
    /// residents).
    pub combos: Vec<ComboFile>,
}

/// When a combination counts beyond its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComboWhen {
    /// Always.
    #[default]
    Always,
    /// Residents with a disability or their organisation act in the sentence (subject, agent
    /// after `door`, `samen met`, ..., or the letter's own "wij" when they wrote it).
    ResidentsAct,
    /// The sentence reports something done or running (see `cues.realisation`).
    Realised,
}

/// A combination of term groups, as written in the lexicon.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComboFile {
    /// Name shown among a claim's matched terms (`bewoners doen: schrijven, kiezen`).
    pub name: String,
    pub weight: f64,
    /// Every group needs at least one matching term (outside negated or intended clauses).
    pub all: Vec<Vec<String>>,
    #[serde(default)]
    pub when: ComboWhen,
}

/// The file as written by staff.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LexiconFile {
    /// The criterion whose evidence names a domain (`"2"`).
    pub domain_criterion: String,
    /// The id under which principle claims are reported (`"principle"`).
    #[serde(default = "default_principle_id")]
    pub principle_id: String,
    #[serde(default)]
    pub thresholds: Thresholds,
    #[serde(default)]
    pub splitter: SplitterFile,
    #[serde(default)]
    pub cues: CuesFile,
    pub criteria: BTreeMap<String, TargetFile>,
    pub principle: TargetFile,
    #[serde(default)]
    pub domains: BTreeMap<String, TargetFile>,
    /// Forms of `~lemma` terms beyond the regular ones (`spreken = ["sprak", "gesproken"]`).
    #[serde(default)]
    pub lemmas: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub subjects: SubjectsFile,
    /// Learned weights (`intake train`), relative to this file; without it the lexicon alone
    /// decides.
    #[serde(default)]
    pub weights: Option<String>,
    /// Whether the extractor uses the learned weights (`false`: the terms alone decide, and
    /// `intake train` still writes the file for review and `intake eval` can compare).
    #[serde(default = "default_true")]
    pub use_weights: bool,
}

fn default_true() -> bool {
    true
}

fn default_principle_id() -> String {
    "principle".to_string()
}

/// One element of a compiled term.
#[derive(Debug, Clone)]
enum Piece {
    Word(WordPiece),
    /// Up to this many words (`None`: the lexicon's `gap_words`).
    Gap(Option<usize>),
    /// `~lemma`: any of these folded forms of the lemma; a form of several words is a separable
    /// verb (`stelde vast`) whose words may stand apart in the sentence
    /// (`stelde het plan in juni vast`), up to [`SEPARABLE_GAP`] words.
    Forms(Vec<Vec<String>>),
}

/// Words that may stand between the parts of a separable verb (`stelde ... vast`).
pub const SEPARABLE_GAP: usize = 12;

/// One word of a term, with what matching needs worked out once at compile time.
#[derive(Debug, Clone)]
struct WordPiece {
    text: String,
    stem: String,
    any_prefix: bool,
    any_suffix: bool,
    /// The stem without hyphens, less its last two letters: a word with the same stem opens
    /// like this (a Dutch Snowball stem only drops endings and changes the last letter or two).
    opening: String,
    /// A word longer than this (in characters) is too far from the stem to count as a stem match
    /// (Snowball over-stems: opening/openbare -> open).
    max_chars: usize,
    /// Whether a stem match is allowed at all (not `=exact`, more than three letters, a stem).
    stem_match: bool,
    /// Long enough (eight letters or more) to be matched when written apart in two or three words.
    compound: bool,
}

impl WordPiece {
    fn new(text: String, stem: String, any_prefix: bool, any_suffix: bool, exact: bool) -> Self {
        let text_chars = text.chars().count();
        let stem_letters: String = stem.chars().filter(|&c| c != '-').collect();
        let n = stem_letters.chars().count().saturating_sub(2);
        let opening: String = stem_letters.chars().take(n).collect();
        let stem_chars = stem.chars().count();
        WordPiece {
            stem_match: !exact
                && text_chars > 3
                && !stem.is_empty()
                && text_chars <= stem_chars + 3,
            compound: !exact && text_chars >= 8,
            max_chars: stem_chars + 3,
            opening,
            text,
            stem,
            any_prefix,
            any_suffix,
        }
    }

    /// Whether this piece matches a word with this folded text (hyphens inside the word are
    /// ignored: `inclusie-agenda` is `inclusieagenda`); `word_stem` gives the word's stem and is
    /// asked for only when a stem comparison is needed, since stemming is the costly part.
    fn matches(&self, word: &str, word_stem: impl FnOnce(&str) -> String) -> bool {
        let plain;
        let word = if word.contains('-') {
            plain = word.replace('-', "");
            plain.as_str()
        } else {
            word
        };
        let text = self.text.as_str();
        match (self.any_prefix, self.any_suffix) {
            (true, true) => word.contains(text),
            (true, false) => word.ends_with(text),
            (false, true) => word.starts_with(text),
            (false, false) => {
                word == text
                    || (self.stem_match
                        && word.starts_with(self.opening.as_str())
                        && word.chars().count() <= self.max_chars
                        && word_stem(word) == self.stem)
            }
        }
    }

    /// Whether a compound written apart that opens with `first` (folded, without hyphens) can
    /// still match this piece: a cheap test that spares joining and stemming.
    fn may_open_with(&self, first: &str) -> bool {
        match (self.any_prefix, self.any_suffix) {
            (true, _) => true,
            (false, true) => self.text.starts_with(first),
            (false, false) => {
                self.text.starts_with(first)
                    || self.opening.starts_with(first)
                    || first.starts_with(self.opening.as_str())
            }
        }
    }
}

/// The word forms of a `~lemma` term: the forms listed for it in `[lemmas]`, the lemma itself and,
/// for a verb in `-en`, the regular present, past and participle forms (`toetsen`: toets, toetst,
/// toetste, toetsten, getoetst). A listed form of several words (`stelde vast`) is a separable
/// verb.
pub fn lemma_forms(lemma: &str, table: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    let lemma = text::fold(lemma);
    let mut forms = vec![lemma.clone()];
    if let Some(listed) = table.get(&lemma) {
        forms.extend(listed.iter().map(|f| text::fold(f.trim())));
    }
    if let Some(stem) = lemma.strip_suffix("en").filter(|s| s.chars().count() >= 2) {
        let stem = stem.to_string();
        for suffix in ["", "t", "de", "den", "te", "ten"] {
            forms.push(format!("{stem}{suffix}"));
        }
        forms.push(format!("ge{stem}d"));
        forms.push(format!("ge{stem}t"));
    }
    forms.sort();
    forms.dedup();
    forms
}

/// A compiled term or cue.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The term as written in the lexicon.
    pub raw: String,
    pub weight: f64,
    /// One of the target's `once` terms: of these only the heaviest match counts.
    pub once: bool,
    pieces: Vec<Piece>,
}

impl Pattern {
    /// Compiles `raw` (see the module docs for the syntax) without a lemma table.
    pub fn compile(raw: &str, weight: f64) -> Option<Pattern> {
        Pattern::compile_with(raw, weight, &BTreeMap::new())
    }

    /// Compiles `raw`; `~lemma` words take their forms from `lemmas` (see [`lemma_forms`]).
    pub fn compile_with(
        raw: &str,
        weight: f64,
        lemmas: &BTreeMap<String, Vec<String>>,
    ) -> Option<Pattern> {
        let mut pieces = Vec::new();
        for part in raw.split_whitespace() {
            if let Some(n) = part.strip_prefix("...").or_else(|| part.strip_prefix('…')) {
                pieces.push(Piece::Gap(n.parse().ok()));
                continue;
            }
            if let Some(lemma) = part.strip_prefix('~') {
                let forms = lemma_forms(lemma, lemmas)
                    .iter()
                    .map(|f| f.split_whitespace().map(str::to_string).collect::<Vec<_>>())
                    .filter(|f: &Vec<String>| !f.is_empty())
                    .collect();
                pieces.push(Piece::Forms(forms));
                continue;
            }
            let exact = part.starts_with('=');
            let part = part.trim_start_matches('=');
            let any_prefix = part.starts_with('*');
            let any_suffix = part.ends_with('*');
            let core = part.trim_matches('*');
            let toks: Vec<Token> = text::tokenize(core, 0)
                .into_iter()
                .filter(|t| t.is_word)
                .collect();
            let n = toks.len();
            for (i, t) in toks.into_iter().enumerate() {
                let ap = any_prefix && i == 0;
                let asf = any_suffix && i + 1 == n;
                pieces.push(Piece::Word(WordPiece::new(t.text, t.stem, ap, asf, exact)));
            }
        }
        let has_word = pieces
            .iter()
            .any(|p| matches!(p, Piece::Word(_) | Piece::Forms(_)));
        if !has_word
            || matches!(pieces.first(), Some(Piece::Gap(_)))
            || matches!(pieces.last(), Some(Piece::Gap(_)))
        {
            return None;
        }
        Some(Pattern {
            raw: raw.to_string(),
            weight,
            once: false,
            pieces,
        })
    }

    fn match_at(
        &self,
        words: &[&Token],
        pi: usize,
        ti: usize,
        gap: usize,
        hit: &mut Vec<usize>,
    ) -> Option<usize> {
        if pi == self.pieces.len() {
            return Some(ti);
        }
        match &self.pieces[pi] {
            Piece::Gap(n) => {
                for skip in 0..=n.unwrap_or(gap) {
                    if ti + skip > words.len() {
                        break;
                    }
                    let keep = hit.len();
                    if let Some(end) = self.match_at(words, pi + 1, ti + skip, gap, hit) {
                        return Some(end);
                    }
                    hit.truncate(keep);
                }
                None
            }
            Piece::Forms(forms) => {
                let first = &words.get(ti)?.text;
                for form in forms.iter().filter(|f| f[0] == *first) {
                    let keep = hit.len();
                    hit.push(ti);
                    // the other words of a separable verb follow within SEPARABLE_GAP words
                    let mut at = ti + 1;
                    let mut whole = true;
                    for part in &form[1..] {
                        let limit = (at + SEPARABLE_GAP).min(words.len());
                        match (at..limit).find(|&j| words[j].text == *part) {
                            Some(j) => {
                                hit.push(j);
                                at = j + 1;
                            }
                            None => {
                                whole = false;
                                break;
                            }
                        }
                    }
                    if whole && let Some(end) = self.match_at(words, pi + 1, ti + 1, gap, hit) {
                        // a separable verb's particle may come after the rest of the term
                        return Some(end.max(at));
                    }
                    hit.truncate(keep);
                }
                None
            }
            Piece::Word(wp) => {
                // one word, or a compound written apart in two or three words
                // ("Inclusie Agenda" for `inclusieagenda`)
                let max_parts = if wp.compound { 3 } else { 1 };
                let mut joined = String::new();
                for k in 1..=max_parts {
                    let tok = words.get(ti + k - 1)?;
                    let matched = if k == 1 {
                        wp.matches(&tok.text, |_| tok.stem.clone())
                    } else {
                        if k == 2 && !wp.may_open_with(&joined) {
                            break;
                        }
                        joined.push_str(&tok.text.replace('-', ""));
                        wp.matches(&joined, text::stem)
                    };
                    if k == 1 && wp.compound {
                        joined.push_str(&tok.text.replace('-', ""));
                    }
                    if !matched {
                        continue;
                    }
                    let keep = hit.len();
                    hit.extend(ti..ti + k);
                    if let Some(end) = self.match_at(words, pi + 1, ti + k, gap, hit) {
                        return Some(end);
                    }
                    hit.truncate(keep);
                }
                None
            }
        }
    }

    /// All matches as word-index ranges `[start, end)`, left to right, not overlapping.
    pub fn find_all(&self, words: &[&Token], gap: usize) -> Vec<(usize, usize)> {
        self.find_all_words(words, gap)
            .into_iter()
            .map(|w| (w[0], w[w.len() - 1] + 1))
            .collect()
    }

    /// A cheap test of the first word: a match can only start at a word that opens with the
    /// first letter of the term's first word (or is one of its forms).
    fn may_start(&self, tok: &Token) -> bool {
        match self.pieces.first() {
            Some(Piece::Word(wp)) if !wp.any_prefix => {
                tok.text.as_bytes().first() == wp.text.as_bytes().first()
            }
            Some(Piece::Forms(forms)) => forms.iter().any(|f| f[0] == tok.text),
            _ => true,
        }
    }

    /// All matches as the indices of the words that matched (gaps left out).
    pub fn find_all_words(&self, words: &[&Token], gap: usize) -> Vec<Vec<usize>> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < words.len() {
            if !self.may_start(words[i]) {
                i += 1;
                continue;
            }
            let mut hit = Vec::new();
            if let Some(end) = self.match_at(words, 0, i, gap, &mut hit)
                && !hit.is_empty()
            {
                // a separable verb's particle may stand after later words of the term
                hit.sort_unstable();
                out.push(hit);
                i = end.max(i + 1);
            } else {
                i += 1;
            }
        }
        out
    }
}

/// What a target stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetKind {
    Criterion,
    Principle,
    Domain,
}

/// A compiled criterion, domain or principle.
#[derive(Debug, Clone)]
pub struct Target {
    pub id: String,
    pub label: String,
    pub kind: TargetKind,
    pub min_score: Option<f64>,
    pub ignore_quoted: bool,
    pub terms: Vec<Pattern>,
    pub headings: Vec<Pattern>,
    pub combos: Vec<Combo>,
}

/// A compiled combination of term groups (see [`ComboFile`]).
#[derive(Debug, Clone)]
pub struct Combo {
    pub name: String,
    pub weight: f64,
    pub groups: Vec<Vec<Pattern>>,
    pub when: ComboWhen,
}

/// The compiled lexicon of a call.
#[derive(Debug, Clone)]
pub struct Lexicon {
    pub domain_criterion: String,
    pub principle_id: String,
    pub thresholds: Thresholds,
    pub splitter: SplitterFile,
    /// Folded abbreviations without their final period (`bijv`, `o.a`).
    pub abbreviations: HashSet<String>,
    pub targets: Vec<Target>,
    pub negation: Vec<Pattern>,
    pub negation_positive: Vec<Pattern>,
    pub negation_strong: Vec<Pattern>,
    pub intention: Vec<Pattern>,
    pub intention_verbs: HashSet<String>,
    pub intention_subjects: HashSet<String>,
    pub realisation: Vec<Pattern>,
    pub auxiliaries: HashSet<String>,
    pub participle_prefixes: Vec<String>,
    pub participles: HashSet<String>,
    pub participle_exclude: HashSet<String>,
    pub clause_conjunctions: HashSet<String>,
    pub relative_pronouns: HashSet<String>,
    pub prepositions: HashSet<String>,
    pub meta: Vec<Pattern>,
    pub weak_sections: Vec<Pattern>,
    pub future_auxiliaries: HashSet<String>,
    pub anaphora: HashSet<String>,
    pub residents: Vec<Pattern>,
    pub municipality_subjects: Vec<Pattern>,
    pub agent_markers: Vec<Pattern>,
    pub first_person: HashSet<String>,
    pub author_markers: Vec<Pattern>,
    /// The weights file named by the lexicon, resolved against the lexicon's folder.
    pub weights_path: Option<std::path::PathBuf>,
    /// `use_weights` of the lexicon file.
    pub use_weights: bool,
    /// Learned weights on top of the terms, when a weights file is configured and loaded.
    pub model: Option<super::train::Model>,
    /// Problems found while compiling (unparseable terms); reported by [`Lexicon::validate`].
    compile_problems: Vec<String>,
}

fn compile_list(
    list: &[String],
    what: &str,
    lemmas: &BTreeMap<String, Vec<String>>,
    problems: &mut Vec<String>,
) -> Vec<Pattern> {
    let mut out = Vec::new();
    for raw in list {
        match Pattern::compile_with(raw, 1.0, lemmas) {
            Some(p) => out.push(p),
            None => problems.push(format!(
                "{what}: term {raw:?} has no words or starts/ends with '...'"
            )),
        }
    }
    out
}

fn compile_map(
    map: &BTreeMap<String, f64>,
    what: &str,
    lemmas: &BTreeMap<String, Vec<String>>,
    problems: &mut Vec<String>,
) -> Vec<Pattern> {
    let mut out = Vec::new();
    for (raw, w) in map {
        if !w.is_finite() {
            problems.push(format!(
                "{what}: term {raw:?} has a weight that is not a number"
            ));
            continue;
        }
        match Pattern::compile_with(raw, *w, lemmas) {
            Some(p) => out.push(p),
            None => problems.push(format!(
                "{what}: term {raw:?} has no words or starts/ends with '...'"
            )),
        }
    }
    out
}

fn fold_set(list: &[String]) -> HashSet<String> {
    list.iter()
        .map(|s| text::fold(s.trim()))
        .filter(|s| !s.is_empty())
        .collect()
}

impl Lexicon {
    /// Reads and compiles a lexicon file, and the learned weights it names (if any).
    pub fn load(path: &Path) -> anyhow::Result<Lexicon> {
        let mut lex = Lexicon::load_terms(path)?;
        if let Some(wpath) = &lex.weights_path {
            let model = super::train::Model::load(wpath)?;
            lex.model = lex.use_weights.then_some(model);
        }
        Ok(lex)
    }

    /// Reads and compiles a lexicon file without its learned weights (the weights path is still
    /// resolved, so `intake train` knows where to write).
    pub fn load_terms(path: &Path) -> anyhow::Result<Lexicon> {
        let raw = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read lexicon {}", path.display()))?;
        let mut lex = Lexicon::parse(&raw)
            .with_context(|| format!("failed to parse lexicon {}", path.display()))?;
        if let Some(rel) = lex.weights_path.take() {
            lex.weights_path = Some(path.parent().unwrap_or(Path::new(".")).join(rel));
        }
        Ok(lex)
    }

    /// Parses and compiles lexicon TOML text.
    pub fn parse(toml_text: &str) -> anyhow::Result<Lexicon> {
        let file: LexiconFile = toml::from_str(toml_text)?;
        Ok(Lexicon::compile(file))
    }

    /// Compiles a parsed file; term problems are kept for [`Lexicon::validate`].
    pub fn compile(file: LexiconFile) -> Lexicon {
        let mut problems = Vec::new();
        let mut targets = Vec::new();
        let mut push = |id: &str, kind: TargetKind, t: &TargetFile, problems: &mut Vec<String>| {
            let what = format!("{kind:?} {id}").to_lowercase();
            targets.push(Target {
                id: id.to_string(),
                label: if t.label.is_empty() {
                    id.to_string()
                } else {
                    t.label.clone()
                },
                kind,
                min_score: t.min_score,
                ignore_quoted: t.ignore_quoted,
                terms: {
                    for o in t.once.iter().filter(|o| !t.terms.contains_key(*o)) {
                        problems.push(format!("{what}: once-term {o:?} is not among its terms"));
                    }
                    let mut terms = compile_map(&t.terms, &what, &file.lemmas, problems);
                    for p in terms.iter_mut() {
                        p.once = t.once.contains(&p.raw);
                    }
                    terms
                },
                headings: compile_map(&t.headings, &what, &file.lemmas, problems),
                combos: t
                    .combos
                    .iter()
                    .map(|c| {
                        if !c.weight.is_finite() || c.all.is_empty() {
                            problems.push(format!(
                                "{what}: combo {:?} needs a weight and at least one group",
                                c.name
                            ));
                        }
                        Combo {
                            name: c.name.clone(),
                            weight: if c.weight.is_finite() { c.weight } else { 0.0 },
                            groups: c
                                .all
                                .iter()
                                .map(|g| {
                                    compile_list(
                                        g,
                                        &format!("{what} combo {}", c.name),
                                        &file.lemmas,
                                        problems,
                                    )
                                })
                                .collect(),
                            when: c.when,
                        }
                    })
                    .collect(),
            });
        };
        for (id, t) in &file.criteria {
            push(id, TargetKind::Criterion, t, &mut problems);
        }
        push(
            &file.principle_id,
            TargetKind::Principle,
            &file.principle,
            &mut problems,
        );
        for (id, t) in &file.domains {
            push(id, TargetKind::Domain, t, &mut problems);
        }
        let c = &file.cues;
        let abbreviations = file
            .splitter
            .abbreviations
            .iter()
            .map(|a| text::fold(a.trim()).trim_end_matches('.').to_string())
            .filter(|a| !a.is_empty())
            .collect();
        Lexicon {
            domain_criterion: file.domain_criterion.clone(),
            principle_id: file.principle_id.clone(),
            negation: compile_list(&c.negation, "cues.negation", &file.lemmas, &mut problems),
            negation_positive: compile_list(
                &c.negation_positive,
                "cues.negation_positive",
                &file.lemmas,
                &mut problems,
            ),
            negation_strong: compile_list(
                &c.negation_strong,
                "cues.negation_strong",
                &file.lemmas,
                &mut problems,
            ),
            intention: compile_list(&c.intention, "cues.intention", &file.lemmas, &mut problems),
            intention_verbs: fold_set(&c.intention_verbs),
            intention_subjects: fold_set(&c.intention_subjects),
            realisation: compile_list(
                &c.realisation,
                "cues.realisation",
                &file.lemmas,
                &mut problems,
            ),
            auxiliaries: fold_set(&c.auxiliaries),
            participle_prefixes: c
                .participle_prefixes
                .iter()
                .map(|p| text::fold(p.trim()))
                .collect(),
            participles: fold_set(&c.participles),
            participle_exclude: fold_set(&c.participle_exclude),
            clause_conjunctions: fold_set(&c.clause_conjunctions),
            relative_pronouns: fold_set(&c.relative_pronouns),
            prepositions: fold_set(&c.prepositions),
            meta: compile_list(&c.meta, "cues.meta", &file.lemmas, &mut problems),
            weak_sections: compile_list(
                &c.weak_sections,
                "cues.weak_sections",
                &file.lemmas,
                &mut problems,
            ),
            future_auxiliaries: fold_set(&c.future_auxiliaries),
            anaphora: fold_set(&c.anaphora),
            residents: compile_list(
                &file.subjects.residents,
                "subjects.residents",
                &file.lemmas,
                &mut problems,
            ),
            municipality_subjects: compile_list(
                &file.subjects.municipality,
                "subjects.municipality",
                &file.lemmas,
                &mut problems,
            ),
            agent_markers: compile_list(
                &file.subjects.agent_markers,
                "subjects.agent_markers",
                &file.lemmas,
                &mut problems,
            ),
            first_person: fold_set(&file.subjects.first_person),
            author_markers: compile_list(
                &file.subjects.author_markers,
                "subjects.author_markers",
                &file.lemmas,
                &mut problems,
            ),
            weights_path: file.weights.as_ref().map(std::path::PathBuf::from),
            use_weights: file.use_weights,
            model: None,
            thresholds: file.thresholds,
            splitter: file.splitter,
            abbreviations,
            targets,
            compile_problems: problems,
        }
    }

    /// Every problem with this lexicon for a call with these criterion and domain ids
    /// (empty when fine); used by `intake check-config`.
    pub fn validate(&self, criteria: &[&str], domains: &[&str]) -> Vec<String> {
        let mut problems = self.compile_problems.clone();
        let have =
            |kind: TargetKind, id: &str| self.targets.iter().any(|t| t.kind == kind && t.id == id);
        for c in criteria {
            if !have(TargetKind::Criterion, c) {
                problems.push(format!(
                    "lexicon has no [criteria.\"{c}\"] for criterion {c} of the call"
                ));
            }
        }
        for d in domains {
            if !have(TargetKind::Domain, d) {
                problems.push(format!(
                    "lexicon has no [domains.{d}] for domain {d} of the call"
                ));
            }
        }
        for t in &self.targets {
            match t.kind {
                TargetKind::Criterion if !criteria.contains(&t.id.as_str()) => {
                    problems.push(format!(
                        "lexicon criterion {:?} is not a criterion of the call",
                        t.id
                    ))
                }
                TargetKind::Domain if !domains.contains(&t.id.as_str()) => problems.push(format!(
                    "lexicon domain {:?} is not a domain of the call",
                    t.id
                )),
                _ => {}
            }
            let positive = t.terms.iter().filter(|p| p.weight > 0.0).count();
            if positive == 0 && !(t.kind == TargetKind::Criterion && t.id == self.domain_criterion)
            {
                problems.push(format!(
                    "lexicon {:?} has no terms with a positive weight",
                    t.id
                ));
            }
        }
        if !criteria.contains(&self.domain_criterion.as_str()) {
            problems.push(format!(
                "domain_criterion {:?} is not a criterion of the call",
                self.domain_criterion
            ));
        }
        let th = &self.thresholds;
        if th.evidence.is_nan() || th.evidence <= 0.0 {
            problems.push("thresholds.evidence must be above 0".to_string());
        }
        if th.met_claims == 0 {
            problems.push("thresholds.met_claims must be at least 1".to_string());
        }
        if th.met_strength < th.evidence {
            problems
                .push("thresholds.met_strength must be at least thresholds.evidence".to_string());
        }
        if self.abbreviations.is_empty() {
            problems.push(
                "splitter.abbreviations is empty: bijv., o.a. and dhr. would end sentences"
                    .to_string(),
            );
        }
        problems
    }

    /// The target with this id and kind.
    pub fn target(&self, kind: TargetKind, id: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.kind == kind && t.id == id)
    }

    /// A small built-in lexicon for unit tests of this module tree.
    #[cfg(test)]
    pub fn for_tests() -> Lexicon {
        Lexicon::parse(include_str!(
            "../../config/calls/koplopers-vn-verdrag.lexicon.toml"
        ))
        .expect("shipped lexicon parses")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<Token> {
        text::tokenize(s, 0)
            .into_iter()
            .filter(|t| t.is_word)
            .collect()
    }

    #[test]
    fn a_star_term_matches_compounds_and_continuations() {
        let toks = words("Het Toegankelijkheidspanel van ervaringsdeskundigen");
        let refs: Vec<&Token> = toks.iter().collect();
        assert_eq!(
            Pattern::compile("*panel", 1.0).unwrap().find_all(&refs, 6),
            vec![(1, 2)]
        );
        assert_eq!(
            Pattern::compile("ervaringsdeskundig*", 1.0)
                .unwrap()
                .find_all(&refs, 6),
            vec![(3, 4)]
        );
        assert!(
            Pattern::compile("panel", 1.0)
                .unwrap()
                .find_all(&refs, 6)
                .is_empty()
        );
    }

    #[test]
    fn a_gap_bridges_a_few_words_but_not_more() {
        let toks = words("niet alleen voor mensen met een beperking maar ook");
        let refs: Vec<&Token> = toks.iter().collect();
        let p = Pattern::compile("niet alleen ... maar", 1.0).unwrap();
        assert_eq!(p.find_all(&refs, 6).len(), 1);
        assert!(p.find_all(&refs, 2).is_empty());
    }

    #[test]
    fn a_plain_word_matches_the_same_stem() {
        let toks = words("de inclusieagenda's");
        let refs: Vec<&Token> = toks.iter().collect();
        assert_eq!(
            Pattern::compile("inclusieagenda", 1.0)
                .unwrap()
                .find_all(&refs, 6)
                .len(),
            1
        );
    }

    #[test]
    fn a_lemma_term_matches_listed_and_regular_forms() {
        let mut table = BTreeMap::new();
        table.insert("spreken".to_string(), vec!["gesproken".to_string()]);
        let p = Pattern::compile_with("~spreken", 1.0, &table).unwrap();
        let toks = words("De gemeente heeft ruim 60 inwoners gesproken");
        let refs: Vec<&Token> = toks.iter().collect();
        assert_eq!(p.find_all(&refs, 6).len(), 1);
        let t = Pattern::compile("~toetsen", 1.0).unwrap();
        let toks = words("Het panel toetst en toetste en heeft getoetst");
        let refs: Vec<&Token> = toks.iter().collect();
        assert_eq!(t.find_all(&refs, 6).len(), 3);
    }

    #[test]
    fn a_compound_term_matches_the_words_written_apart_and_hyphenated() {
        let p = Pattern::compile("*inclusieagenda*", 1.0).unwrap();
        for s in [
            "de Inclusie Agenda",
            "de inclusie-agenda",
            "de inclusieagenda's",
        ] {
            let toks = words(s);
            let refs: Vec<&Token> = toks.iter().collect();
            assert_eq!(p.find_all(&refs, 6).len(), 1, "{s}");
        }
    }

    #[test]
    fn the_shipped_lexicon_validates_for_the_call() {
        let lex = Lexicon::for_tests();
        let domains = [
            "betrekken",
            "wonen",
            "onderwijs",
            "arbeidsmarkt",
            "vervoer",
            "openbare_ruimte",
            "vrije_tijd",
            "informatie",
        ];
        assert_eq!(
            lex.validate(&["1", "2", "3"], &domains),
            Vec::<String>::new()
        );
    }

    #[test]
    fn validation_reports_a_missing_criterion_and_an_unknown_domain() {
        let lex = Lexicon::for_tests();
        let problems = lex.validate(&["1", "2", "3", "4"], &["wonen"]);
        assert!(problems.iter().any(|p| p.contains("criterion 4")));
        assert!(
            problems
                .iter()
                .any(|p| p.contains("\"vervoer\" is not a domain"))
        );
    }
}
