//! `intake eval DIR...`: scores the claim extractor, the verdicts and municipality identification
//! against labelled letters in the format of `tests/data/nominations-dev` (`<id>.txt` +
//! `<id>.json`, see its README): sentence-level precision, recall and F1 per criterion (micro over
//! letters, macro over letters, and micro and macro over criteria), letter-level accuracy per
//! criterion, for the principle and the pre-assessment, domain F1, municipality accuracy, which
//! cues fired wrongly and what labelled sentences were taken for; and, with
//! `--cross-validate K`, leave-out estimates of the learned weights ([`cross_validate`]).
//!
//! Reads the directory it is given and nothing else; prints nothing itself (see `Display`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use super::claims::{Claim, ClaimKind, DocText, extract_claims};
use super::lexicon::Lexicon;
use super::municipality::{IdentifyInput, Rules, identify};
use super::text;
use super::verdict::{Verdict, pre_assessment, verdicts};

#[derive(Debug, Clone, Deserialize)]
struct Sender {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

#[derive(Debug, Clone, Deserialize)]
struct GoldSentence {
    text: String,
    criterion: serde_json::Value,
    #[serde(default)]
    domain: Option<String>,
    byte_start: usize,
    byte_end: usize,
}

#[derive(Debug, Clone, Deserialize)]
struct Distractor {
    text: String,
    looks_like: serde_json::Value,
    byte_start: usize,
    byte_end: usize,
}

#[derive(Debug, Clone, Deserialize)]
struct LabelFile {
    id: String,
    file: String,
    /// Empty for a text about no single municipality (not scored for identification).
    #[serde(default)]
    cbs_code: String,
    sender: Sender,
    criteria_met: Vec<serde_json::Value>,
    principle_nothing_about_us: bool,
    meets_minimum: bool,
    #[serde(default)]
    domains: Vec<String>,
    #[serde(default)]
    sentences: Vec<GoldSentence>,
    #[serde(default)]
    distractors: Vec<Distractor>,
}

fn id_of(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One labelled letter: its text and its labels.
#[derive(Debug, Clone)]
pub struct LabelledLetter {
    pub id: String,
    pub text: String,
    label: LabelFile,
}

impl LabelledLetter {
    /// Whether a gold evidence sentence of `target` is hit by the byte span `span`.
    pub fn gold_covers(&self, target: &str, span: (usize, usize)) -> bool {
        self.label
            .sentences
            .iter()
            .any(|g| id_of(&g.criterion) == target && hits(span, (g.byte_start, g.byte_end)))
    }
}

/// Reads every labelled letter (`<id>.json` with its `.txt`) in `dir`, in name order.
pub fn load_dir(dir: &Path) -> anyhow::Result<Vec<LabelledLetter>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("failed to read labelled letters in {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let raw = std::fs::read_to_string(&path)
            .with_context(|| format!("failed to read {}", path.display()))?;
        let label: LabelFile = serde_json::from_str(&raw)
            .with_context(|| format!("failed to parse {}", path.display()))?;
        let txt_path = path.with_file_name(&label.file);
        let text = std::fs::read_to_string(&txt_path)
            .with_context(|| format!("failed to read {}", txt_path.display()))?;
        out.push(LabelledLetter {
            id: label.id.clone(),
            text,
            label,
        });
    }
    Ok(out)
}

/// Precision/recall counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    fn add(&mut self, o: &Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }
}

/// Correct out of total.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Accuracy {
    pub correct: usize,
    pub total: usize,
}

impl Accuracy {
    pub fn value(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.correct as f64 / self.total as f64
        }
    }
    fn add(&mut self, ok: bool) {
        self.total += 1;
        if ok {
            self.correct += 1;
        }
    }
    fn absorb(&mut self, o: &Accuracy) {
        self.correct += o.correct;
        self.total += o.total;
    }
}

/// Letter-level verdicts against the labels of one criterion: how many letters got "met",
/// "weak" and "not found", for letters labelled without (index 0) and with (index 1) evidence.
/// "Weak" asks staff to check; a wrong "met" or "not found" is a confident mistake.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerdictTable {
    pub met: [usize; 2],
    pub weak: [usize; 2],
    pub not_found: [usize; 2],
}

impl VerdictTable {
    fn add(&mut self, verdict: Verdict, gold: bool) {
        let g = usize::from(gold);
        match verdict {
            Verdict::Met => self.met[g] += 1,
            Verdict::Weak => self.weak[g] += 1,
            Verdict::NotFound => self.not_found[g] += 1,
        }
    }

    fn absorb(&mut self, o: &VerdictTable) {
        for g in 0..2 {
            self.met[g] += o.met[g];
            self.weak[g] += o.weak[g];
            self.not_found[g] += o.not_found[g];
        }
    }

    /// Letters with a confident wrong verdict: "met" without evidence, "not found" with.
    pub fn confident_wrong(&self) -> usize {
        self.met[0] + self.not_found[1]
    }
}

/// How one lexicon term (cue) did as part of predicted evidence.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CueCounts {
    /// Predicted evidence sentences with this term that were right.
    pub right: usize,
    /// ... that were wrong (no gold sentence of that criterion there).
    pub wrong: usize,
}

/// The result of one evaluation run.
#[derive(Debug, Clone, Default)]
pub struct EvalReport {
    /// Number of labelled letters that ran.
    pub letters: usize,
    /// Sentence-level counts per criterion id and the principle, in call order, summed over
    /// letters (micro); the domain criterion counts a hit only with the right domain.
    pub sentences: Vec<(String, Counts)>,
    /// Per criterion id: the sentence-level F1 of every letter that has gold or predicted
    /// evidence for it (their mean is the macro F1 over letters).
    pub letter_f1: Vec<(String, Vec<f64>)>,
    /// Sentence-level counts for the domain criterion when the domain is ignored.
    pub domain_criterion_any_domain: Counts,
    /// Letter-level accuracy per criterion id and the principle.
    pub letter_accuracy: Vec<(String, Accuracy)>,
    /// Letter-level met / weak / not found against the labels, per criterion id and the
    /// principle.
    pub verdicts: Vec<(String, VerdictTable)>,
    pub pre_assessment: Accuracy,
    /// Letter-level domain counts (micro over letters).
    pub domains: Counts,
    /// Municipality identified with the sender's address, name and the letter.
    pub municipality: Accuracy,
    /// Municipality identified from the letter text alone.
    pub municipality_text_only: Accuracy,
    /// Sentences labelled as distractors that were taken as evidence for what they look like.
    pub distractor_hits: usize,
    pub distractors: usize,
    /// Gold sentences whose exact span (after whitespace normalisation) the splitter returned.
    pub segmentation: Accuracy,
    /// Per lexicon term: how often it was part of right and wrong predicted evidence.
    pub cues: BTreeMap<String, CueCounts>,
    /// (gold criterion, what was predicted for that sentence: criterion ids or `-`) → count.
    pub confusion: BTreeMap<(String, String), usize>,
    /// One line per mistake, for tuning (ids and criteria, no letter text beyond the sentence).
    pub mistakes: Vec<String>,
}

impl EvalReport {
    fn new(targets: &[&str]) -> EvalReport {
        EvalReport {
            sentences: targets
                .iter()
                .map(|t| (t.to_string(), Counts::default()))
                .collect(),
            letter_f1: targets
                .iter()
                .map(|t| (t.to_string(), Vec::new()))
                .collect(),
            letter_accuracy: targets
                .iter()
                .map(|t| (t.to_string(), Accuracy::default()))
                .collect(),
            verdicts: targets
                .iter()
                .map(|t| (t.to_string(), VerdictTable::default()))
                .collect(),
            ..EvalReport::default()
        }
    }

    /// Sentence-level counts for one criterion id.
    pub fn sentence_counts(&self, id: &str) -> Option<&Counts> {
        self.sentences.iter().find(|(c, _)| c == id).map(|(_, c)| c)
    }

    /// Letter-level accuracy for one criterion id.
    pub fn accuracy(&self, id: &str) -> Option<&Accuracy> {
        self.letter_accuracy
            .iter()
            .find(|(c, _)| c == id)
            .map(|(_, a)| a)
    }

    /// Sentence-level counts summed over all criteria and the principle.
    pub fn micro(&self) -> Counts {
        let mut all = Counts::default();
        for (_, c) in &self.sentences {
            all.add(c);
        }
        all
    }

    /// Mean over criteria and the principle of their (micro) sentence-level F1.
    pub fn macro_f1(&self) -> f64 {
        let n = self.sentences.len().max(1) as f64;
        self.sentences.iter().map(|(_, c)| c.f1()).sum::<f64>() / n
    }

    /// Mean over letters of the sentence-level F1 of one criterion (letters with neither gold
    /// nor predicted evidence for it left out); 1.0 when there are none.
    pub fn macro_f1_over_letters(&self, id: &str) -> f64 {
        match self.letter_f1.iter().find(|(c, _)| c == id) {
            Some((_, v)) if !v.is_empty() => v.iter().sum::<f64>() / v.len() as f64,
            _ => 1.0,
        }
    }

    /// Adds another report's counts to this one (cross-validation folds).
    pub fn absorb(&mut self, o: EvalReport) {
        self.letters += o.letters;
        for ((_, c), (_, oc)) in self.sentences.iter_mut().zip(&o.sentences) {
            c.add(oc);
        }
        for ((_, v), (_, ov)) in self.letter_f1.iter_mut().zip(&o.letter_f1) {
            v.extend(ov);
        }
        self.domain_criterion_any_domain
            .add(&o.domain_criterion_any_domain);
        for ((_, a), (_, oa)) in self.letter_accuracy.iter_mut().zip(&o.letter_accuracy) {
            a.absorb(oa);
        }
        for ((_, t), (_, ot)) in self.verdicts.iter_mut().zip(&o.verdicts) {
            t.absorb(ot);
        }
        self.pre_assessment.absorb(&o.pre_assessment);
        self.domains.add(&o.domains);
        self.municipality.absorb(&o.municipality);
        self.municipality_text_only
            .absorb(&o.municipality_text_only);
        self.distractor_hits += o.distractor_hits;
        self.distractors += o.distractors;
        self.segmentation.absorb(&o.segmentation);
        for (k, v) in o.cues {
            let e = self.cues.entry(k).or_default();
            e.right += v.right;
            e.wrong += v.wrong;
        }
        for (k, v) in o.confusion {
            *self.confusion.entry(k).or_default() += v;
        }
        self.mistakes.extend(o.mistakes);
    }
}

fn overlap(a: (usize, usize), b: (usize, usize)) -> usize {
    a.1.min(b.1).saturating_sub(a.0.max(b.0))
}

/// A predicted span hits a gold span when it covers at least 80 % of it and is at least half gold.
fn hits(pred: (usize, usize), gold: (usize, usize)) -> bool {
    let o = overlap(pred, gold) as f64;
    let gl = (gold.1 - gold.0).max(1) as f64;
    let pl = (pred.1 - pred.0).max(1) as f64;
    o >= 0.8 * gl && o >= 0.5 * pl
}

/// The call's rules that an evaluation needs.
#[derive(Debug, Clone, Copy)]
pub struct EvalCall<'a> {
    pub criteria: &'a [&'a str],
    pub principle: &'a str,
    pub rules: &'a Rules,
    pub minimum_criteria: usize,
    pub require_principle: bool,
}

/// Evaluates against every labelled letter in `dir`, with the label format's selection rule
/// (at least two criteria and the principle).
pub fn run(
    dir: &Path,
    lex: &Lexicon,
    criteria: &[&str],
    principle: &str,
    rules: &Rules,
) -> anyhow::Result<EvalReport> {
    run_with(dir, lex, criteria, principle, rules, 2, true)
}

/// [`run`] with the call's pre-assessment rule.
pub fn run_with(
    dir: &Path,
    lex: &Lexicon,
    criteria: &[&str],
    principle: &str,
    rules: &Rules,
    minimum_criteria: usize,
    require_principle: bool,
) -> anyhow::Result<EvalReport> {
    let call = EvalCall {
        criteria,
        principle,
        rules,
        minimum_criteria,
        require_principle,
    };
    Ok(evaluate(&load_dir(dir)?, lex, &call))
}

/// Evaluates the extractor (with the lexicon's model, if any) on these letters.
pub fn evaluate(letters: &[LabelledLetter], lex: &Lexicon, call: &EvalCall) -> EvalReport {
    let targets: Vec<&str> = call
        .criteria
        .iter()
        .copied()
        .chain([call.principle])
        .collect();
    let mut rep = EvalReport::new(&targets);
    for letter in letters {
        evaluate_letter(letter, lex, call, &mut rep);
    }
    rep
}

/// Leave-out estimate on `letters`: split them into `k` folds (letter `i` in fold `i % k`),
/// learn weights on the other folds and score each fold with them.
pub fn cross_validate(
    letters: &[LabelledLetter],
    k: usize,
    lex: &Lexicon,
    call: &EvalCall,
) -> EvalReport {
    let k = k.clamp(2, letters.len().max(2));
    let plain = super::train::terms_only(lex);
    let mut total: Option<EvalReport> = None;
    for fold in 0..k {
        let (test, learn): (Vec<_>, Vec<_>) =
            letters.iter().enumerate().partition(|(i, _)| i % k == fold);
        let learn: Vec<LabelledLetter> = learn.into_iter().map(|(_, l)| l.clone()).collect();
        let test: Vec<LabelledLetter> = test.into_iter().map(|(_, l)| l.clone()).collect();
        let examples = super::train::examples_from_letters(&learn, &plain);
        let mut with_model = plain.clone();
        with_model.model = Some(super::train::fit(
            &examples,
            super::train::Fit::for_lexicon(lex),
        ));
        let rep = evaluate(&test, &with_model, call);
        match total.as_mut() {
            Some(t) => t.absorb(rep),
            None => total = Some(rep),
        }
    }
    total.unwrap_or_default()
}

fn evaluate_letter(letter: &LabelledLetter, lex: &Lexicon, call: &EvalCall, rep: &mut EvalReport) {
    let docs = [DocText {
        index: 0,
        text: &letter.text,
        page_starts: &[],
    }];
    let claims = extract_claims(&docs, lex);
    let evidence: Vec<&Claim> = claims
        .iter()
        .filter(|c| c.kind == ClaimKind::Evidence)
        .collect();
    rep.letters += 1;
    score_segmentation(letter, lex, rep);
    score_sentences(letter, &evidence, lex, rep);
    score_cues_and_confusion(letter, &evidence, rep);
    score_distractors(letter, &evidence, rep);
    score_letter_level(letter, &claims, lex, call, rep);
    score_domains(letter, &evidence, lex, rep);
    score_municipality(letter, call.rules, rep);
}

fn score_segmentation(letter: &LabelledLetter, lex: &Lexicon, rep: &mut EvalReport) {
    let seg_set: Vec<String> = super::claims::segment(&letter.text, lex)
        .iter()
        .map(|&(a, b)| text::normalise_ws(&letter.text[a..b]))
        .collect();
    let mut seen_gold = Vec::new();
    for g in &letter.label.sentences {
        if seen_gold.contains(&(g.byte_start, g.byte_end)) {
            continue;
        }
        seen_gold.push((g.byte_start, g.byte_end));
        let ok = seg_set.contains(&text::normalise_ws(&g.text));
        rep.segmentation.add(ok);
        if !ok {
            rep.mistakes.push(format!(
                "{}: splitter missed {:?}",
                letter.id,
                text::normalise_ws(&g.text)
            ));
        }
    }
}

fn span_of(c: &Claim) -> (usize, usize) {
    (c.offset, c.offset + c.sentence.len())
}

/// Matches predicted evidence to gold sentences one to one; returns (tp, unmatched gold,
/// unmatched predictions).
fn match_spans<'a>(
    golds: &[&'a GoldSentence],
    preds: &[&'a Claim],
    same_domain: bool,
) -> (usize, Vec<&'a GoldSentence>, Vec<&'a Claim>) {
    let mut used = vec![false; preds.len()];
    let mut missed = Vec::new();
    let mut tp = 0;
    for g in golds {
        let found = preds.iter().enumerate().position(|(i, p)| {
            !used[i]
                && hits(span_of(p), (g.byte_start, g.byte_end))
                && (!same_domain || p.domain == g.domain)
        });
        match found {
            Some(i) => {
                used[i] = true;
                tp += 1;
            }
            None => missed.push(*g),
        }
    }
    let extra = preds
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(p, _)| *p)
        .collect();
    (tp, missed, extra)
}

fn with_domain(id: &str, d: &Option<String>) -> String {
    format!(
        "{id}{}",
        d.as_ref().map(|d| format!("/{d}")).unwrap_or_default()
    )
}

fn score_sentences(
    letter: &LabelledLetter,
    evidence: &[&Claim],
    lex: &Lexicon,
    rep: &mut EvalReport,
) {
    for ((tid, counts), (_, f1s)) in rep.sentences.iter_mut().zip(rep.letter_f1.iter_mut()) {
        let is_dc = *tid == lex.domain_criterion;
        let golds: Vec<&GoldSentence> = letter
            .label
            .sentences
            .iter()
            .filter(|g| id_of(&g.criterion) == *tid)
            .collect();
        let preds: Vec<&Claim> = evidence
            .iter()
            .copied()
            .filter(|c| c.criterion == *tid)
            .collect();
        let (tp, missed, extra) = match_spans(&golds, &preds, is_dc);
        let here = Counts {
            tp,
            fp: extra.len(),
            fn_: missed.len(),
        };
        if !golds.is_empty() || !preds.is_empty() {
            f1s.push(here.f1());
        }
        counts.add(&here);
        for g in missed {
            rep.mistakes.push(format!(
                "{}: missed {} {:?}",
                letter.id,
                with_domain(tid, &g.domain),
                text::normalise_ws(&g.text)
            ));
        }
        for p in extra {
            rep.mistakes.push(format!(
                "{}: extra {} ({:.1}; {}) {:?}",
                letter.id,
                with_domain(tid, &p.domain),
                p.strength,
                p.matched_terms.join(", "),
                text::normalise_ws(&p.sentence)
            ));
        }
        if is_dc {
            let (tp, missed, extra) = match_spans(&golds, &preds, false);
            rep.domain_criterion_any_domain.add(&Counts {
                tp,
                fp: extra.len(),
                fn_: missed.len(),
            });
        }
    }
}

/// Which cues carried right and wrong evidence, and what was predicted for each gold sentence.
fn score_cues_and_confusion(letter: &LabelledLetter, evidence: &[&Claim], rep: &mut EvalReport) {
    for c in evidence {
        let right = letter.gold_covers(&c.criterion, span_of(c));
        for t in &c.matched_terms {
            let e = rep.cues.entry(format!("{} {t}", c.criterion)).or_default();
            if right {
                e.right += 1;
            } else {
                e.wrong += 1;
            }
        }
    }
    for g in &letter.label.sentences {
        let mut got: Vec<String> = evidence
            .iter()
            .filter(|c| hits(span_of(c), (g.byte_start, g.byte_end)))
            .map(|c| c.criterion.clone())
            .collect();
        got.sort();
        got.dedup();
        let got = if got.is_empty() {
            "-".to_string()
        } else {
            got.join("+")
        };
        *rep.confusion.entry((id_of(&g.criterion), got)).or_default() += 1;
    }
}

fn score_distractors(letter: &LabelledLetter, evidence: &[&Claim], rep: &mut EvalReport) {
    for d in &letter.label.distractors {
        rep.distractors += 1;
        let looks = id_of(&d.looks_like);
        if evidence
            .iter()
            .any(|c| c.criterion == looks && overlap(span_of(c), (d.byte_start, d.byte_end)) > 0)
        {
            rep.distractor_hits += 1;
            rep.mistakes.push(format!(
                "{}: distractor taken as {looks}: {:?}",
                letter.id,
                text::normalise_ws(&d.text)
            ));
        }
    }
}

fn score_letter_level(
    letter: &LabelledLetter,
    claims: &[Claim],
    lex: &Lexicon,
    call: &EvalCall,
    rep: &mut EvalReport,
) {
    let vs = verdicts(claims, lex, call.criteria, call.principle);
    let gold_met: Vec<String> = letter.label.criteria_met.iter().map(id_of).collect();
    for ((tid, acc), (_, table)) in rep.letter_accuracy.iter_mut().zip(rep.verdicts.iter_mut()) {
        let v = vs.iter().find(|v| v.criterion == *tid);
        let verdict = v.map_or(Verdict::NotFound, |v| v.verdict);
        let predicted = verdict == Verdict::Met;
        let gold = if tid == call.principle {
            letter.label.principle_nothing_about_us
        } else {
            gold_met.contains(tid)
        };
        acc.add(predicted == gold);
        table.add(verdict, gold);
        if predicted != gold {
            rep.mistakes.push(format!(
                "{}: letter-level {tid}: {} ({}), labelled {gold}",
                letter.id,
                verdict.as_str(),
                v.map(|v| v.note.as_str()).unwrap_or("")
            ));
        }
    }
    let pre = pre_assessment(
        &vs,
        call.minimum_criteria,
        call.principle,
        call.require_principle,
    );
    rep.pre_assessment.add(pre == letter.label.meets_minimum);
}

fn score_domains(
    letter: &LabelledLetter,
    evidence: &[&Claim],
    lex: &Lexicon,
    rep: &mut EvalReport,
) {
    let mut pred: Vec<String> = evidence
        .iter()
        .filter(|c| c.criterion == lex.domain_criterion)
        .filter_map(|c| c.domain.clone())
        .collect();
    pred.sort();
    pred.dedup();
    for d in &pred {
        if letter.label.domains.contains(d) {
            rep.domains.tp += 1;
        } else {
            rep.domains.fp += 1;
            rep.mistakes
                .push(format!("{}: extra domain {d}", letter.id));
        }
    }
    for d in &letter.label.domains {
        if !pred.contains(d) {
            rep.domains.fn_ += 1;
            rep.mistakes
                .push(format!("{}: missed domain {d}", letter.id));
        }
    }
}

fn score_municipality(letter: &LabelledLetter, rules: &Rules, rep: &mut EvalReport) {
    let label = &letter.label;
    if label.cbs_code.is_empty() {
        return;
    }
    let subject = letter
        .text
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Onderwerp:")
                .or_else(|| l.trim().strip_prefix("Betreft:"))
        })
        .unwrap_or("")
        .trim();
    let full = identify(
        &IdentifyInput {
            from_address: &label.sender.email,
            display_name: Some(&label.sender.name),
            subject,
            texts: vec![&letter.text],
        },
        rules,
    );
    let ok = full.code.as_deref() == Some(label.cbs_code.as_str());
    rep.municipality.add(ok);
    if !ok {
        rep.mistakes.push(format!(
            "{}: municipality {:?}, labelled {}",
            label.id, full.code, label.cbs_code
        ));
    }
    let bare = identify(
        &IdentifyInput {
            from_address: "",
            display_name: None,
            subject: "",
            texts: vec![&letter.text],
        },
        rules,
    );
    let ok = bare.code.as_deref() == Some(label.cbs_code.as_str());
    rep.municipality_text_only.add(ok);
    if !ok {
        rep.mistakes.push(format!(
            "{}: municipality from text only {:?}, labelled {}",
            label.id, bare.code, label.cbs_code
        ));
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "letters: {}", self.letters)?;
        writeln!(f)?;
        self.fmt_sentences(f)?;
        self.fmt_letters(f)?;
        self.fmt_cues(f)?;
        if !self.mistakes.is_empty() {
            writeln!(f)?;
            writeln!(f, "mistakes:")?;
            for m in &self.mistakes {
                writeln!(f, "  {m}")?;
            }
        }
        Ok(())
    }
}

impl EvalReport {
    fn fmt_sentences(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "sentence level        tp   fp   fn  precision  recall     F1  macro-F1 (over letters)"
        )?;
        let row = |f: &mut fmt::Formatter<'_>, name: &str, c: &Counts, m: Option<f64>| {
            write!(
                f,
                "  {:<18} {:>4} {:>4} {:>4}  {:>9.2} {:>7.2} {:>6.2}",
                name,
                c.tp,
                c.fp,
                c.fn_,
                c.precision(),
                c.recall(),
                c.f1()
            )?;
            match m {
                Some(m) => writeln!(f, "  {m:>8.2}"),
                None => writeln!(f),
            }
        };
        for (id, c) in &self.sentences {
            row(f, id, c, Some(self.macro_f1_over_letters(id)))?;
        }
        row(
            f,
            "(2, any domain)",
            &self.domain_criterion_any_domain,
            None,
        )?;
        row(f, "all (micro)", &self.micro(), None)?;
        writeln!(f, "  {:<18} {:>42.2}", "all (macro)", self.macro_f1())?;
        writeln!(f)
    }

    fn fmt_letters(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "letter level          accuracy")?;
        let acc = |f: &mut fmt::Formatter<'_>, name: &str, a: &Accuracy| {
            writeln!(
                f,
                "  {:<18} {:>5.2}  ({}/{})",
                name,
                a.value(),
                a.correct,
                a.total
            )
        };
        for (id, a) in &self.letter_accuracy {
            acc(f, id, a)?;
        }
        acc(f, "pre-assessment", &self.pre_assessment)?;
        writeln!(f)?;
        writeln!(
            f,
            "letter verdicts       met (labelled yes/no)  weak (yes/no)  not found (yes/no)  confident wrong"
        )?;
        for (id, t) in &self.verdicts {
            writeln!(
                f,
                "  {:<18} {:>8} / {:<8}  {:>6} / {:<5}  {:>10} / {:<6}  {:>5}",
                id,
                t.met[1],
                t.met[0],
                t.weak[1],
                t.weak[0],
                t.not_found[1],
                t.not_found[0],
                t.confident_wrong()
            )?;
        }
        writeln!(f)?;
        let d = &self.domains;
        writeln!(
            f,
            "domains (per letter)  precision {:.2}  recall {:.2}  F1 {:.2}  (tp {} fp {} fn {})",
            d.precision(),
            d.recall(),
            d.f1(),
            d.tp,
            d.fp,
            d.fn_
        )?;
        acc(f, "municipality", &self.municipality)?;
        acc(f, "municipality (text)", &self.municipality_text_only)?;
        writeln!(
            f,
            "distractors taken     {} of {}",
            self.distractor_hits, self.distractors
        )?;
        let s = &self.segmentation;
        writeln!(
            f,
            "segmentation          {:.2}  ({}/{} labelled sentences split exactly)",
            s.value(),
            s.correct,
            s.total
        )
    }

    fn fmt_cues(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f)?;
        writeln!(
            f,
            "confusion (labelled criterion -> what the extractor took the sentence for; - = nothing)"
        )?;
        for ((gold, got), n) in &self.confusion {
            if gold != got {
                writeln!(f, "  {gold:<10} -> {got:<14} {n}")?;
            }
        }
        let mut wrong: Vec<(&String, &CueCounts)> =
            self.cues.iter().filter(|(_, c)| c.wrong > 0).collect();
        wrong.sort_by(|a, b| b.1.wrong.cmp(&a.1.wrong).then(a.0.cmp(b.0)));
        writeln!(f)?;
        writeln!(
            f,
            "cues that fired wrongly (criterion term: wrong / right evidence sentences)"
        )?;
        for (cue, c) in wrong.iter().take(25) {
            writeln!(f, "  {cue:<40} {} / {}", c.wrong, c.right)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f1_is_the_harmonic_mean_of_precision_and_recall() {
        let c = Counts {
            tp: 8,
            fp: 2,
            fn_: 2,
        };
        assert!((c.precision() - 0.8).abs() < 1e-9);
        assert!((c.f1() - 0.8).abs() < 1e-9);
    }

    #[test]
    fn a_hit_needs_most_of_the_gold_span() {
        assert!(hits((0, 100), (5, 95)));
        assert!(!hits((0, 50), (0, 100)));
        assert!(!hits((0, 300), (0, 100)));
    }

    #[test]
    fn the_development_letters_all_run_and_are_reported() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/nominations-dev");
        let lex = Lexicon::for_tests();
        let rep = run(&dir, &lex, &["1", "2", "3"], "principle", &Rules::default()).unwrap();
        println!("{rep}");
        assert_eq!(rep.letters, 12);
    }

    #[test]
    fn the_fixture_letters_in_other_styles_run_and_are_reported() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/letters/tune");
        let lex = Lexicon::for_tests();
        let rep = run(&dir, &lex, &["1", "2", "3"], "principle", &Rules::default()).unwrap();
        println!("{rep}");
        assert!(rep.letters >= 3);
    }

    #[test]
    fn the_real_texts_all_run_and_are_reported() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/realworld/tune");
        let lex = Lexicon::for_tests();
        let rep = run(&dir, &lex, &["1", "2", "3"], "principle", &Rules::default()).unwrap();
        println!("{rep}");
        assert!(rep.letters >= 70, "{}", rep.letters);
    }

    /// The figures of round three on all tuning data (lexicon alone), with a little room: a
    /// change that loses more than that on the data it was tuned on is a regression.
    #[test]
    fn all_tuning_data_keeps_the_scores_of_round_three() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let lex = Lexicon::for_tests();
        let call = EvalCall {
            criteria: &["1", "2", "3"],
            principle: "principle",
            rules: &Rules::default(),
            minimum_criteria: 2,
            require_principle: true,
        };
        let mut letters = Vec::new();
        for d in [
            "tests/data/nominations-dev",
            "tests/fixtures/letters/tune",
            "tests/data/realworld/tune",
        ] {
            letters.extend(load_dir(&root.join(d)).unwrap());
        }
        assert!(letters.len() >= 119, "{}", letters.len());
        let rep = evaluate(&letters, &lex, &call);
        assert!(rep.micro().f1() >= 0.78, "{rep}");
        for (id, floor) in [("1", 0.81), ("2", 0.75), ("3", 0.80), ("principle", 0.79)] {
            let c = rep.sentence_counts(id).expect("criterion present");
            assert!(c.f1() >= floor, "F1 for {id} is {:.3}\n{rep}", c.f1());
        }
        assert!(rep.pre_assessment.value() >= 0.91, "{rep}");
        let wrong: usize = rep.verdicts.iter().map(|(_, t)| t.confident_wrong()).sum();
        assert!(
            wrong <= 25,
            "{wrong} confident wrong letter verdicts\n{rep}"
        );
    }

    #[test]
    fn cross_validation_scores_every_letter_once() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/letters/tune");
        let letters = load_dir(&dir).unwrap();
        let lex = Lexicon::for_tests();
        let call = EvalCall {
            criteria: &["1", "2", "3"],
            principle: "principle",
            rules: &Rules::default(),
            minimum_criteria: 2,
            require_principle: true,
        };
        let rep = cross_validate(&letters, 3, &lex, &call);
        assert_eq!(rep.letters, letters.len());
        assert!(rep.micro().tp > 0, "{rep}");
    }

    #[test]
    fn micro_and_macro_f1_combine_the_criteria() {
        let mut rep = EvalReport::new(&["1", "2"]);
        rep.sentences[0].1 = Counts {
            tp: 1,
            fp: 0,
            fn_: 0,
        };
        rep.sentences[1].1 = Counts {
            tp: 0,
            fp: 1,
            fn_: 1,
        };
        assert!((rep.micro().f1() - 0.5).abs() < 1e-9);
        assert!((rep.macro_f1() - 0.5).abs() < 1e-9);
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let lex = Lexicon::for_tests();
        let r = run(
            Path::new("/nonexistent/labelled"),
            &lex,
            &["1"],
            "principle",
            &Rules::default(),
        );
        assert!(r.is_err());
    }
}
