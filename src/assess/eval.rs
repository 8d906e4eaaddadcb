//! `intake eval DIR`: scores the claim extractor, the verdicts and municipality identification
//! against labelled letters in the format of `shared/nominations-dev` (`<id>.txt` + `<id>.json`,
//! see its README): sentence-level precision, recall and F1 per criterion, letter-level accuracy
//! per criterion, for the principle and the pre-assessment, domain F1 and municipality accuracy.
//!
//! Reads the directory it is given and nothing else; prints nothing itself (see `Display`).

use std::fmt;
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use super::claims::{ClaimKind, DocText, extract_claims};
use super::lexicon::Lexicon;
use super::municipality::{IdentifyInput, Rules, identify};
use super::text;
use super::verdict::{Verdict, pre_assessment, verdicts};

#[derive(Debug, Deserialize)]
struct Sender {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

#[derive(Debug, Deserialize)]
struct GoldSentence {
    text: String,
    criterion: serde_json::Value,
    #[serde(default)]
    domain: Option<String>,
    byte_start: usize,
    byte_end: usize,
}

#[derive(Debug, Deserialize)]
struct Distractor {
    text: String,
    looks_like: serde_json::Value,
    byte_start: usize,
    byte_end: usize,
}

#[derive(Debug, Deserialize)]
struct LabelFile {
    id: String,
    file: String,
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
}

/// The result of one evaluation run.
#[derive(Debug, Clone, Default)]
pub struct EvalReport {
    /// Number of labelled letters that ran.
    pub letters: usize,
    /// Sentence-level counts per criterion id and the principle, in call order; the domain
    /// criterion counts a hit only with the right domain.
    pub sentences: Vec<(String, Counts)>,
    /// Sentence-level counts for the domain criterion when the domain is ignored.
    pub domain_criterion_any_domain: Counts,
    /// Letter-level accuracy per criterion id and the principle.
    pub letter_accuracy: Vec<(String, Accuracy)>,
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
    /// One line per mistake, for tuning (ids and criteria, no letter text beyond the sentence).
    pub mistakes: Vec<String>,
}

impl EvalReport {
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
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("failed to read labelled letters in {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let targets: Vec<&str> = criteria.iter().copied().chain([principle]).collect();
    let mut rep = EvalReport {
        sentences: targets
            .iter()
            .map(|t| (t.to_string(), Counts::default()))
            .collect(),
        letter_accuracy: targets
            .iter()
            .map(|t| (t.to_string(), Accuracy::default()))
            .collect(),
        ..EvalReport::default()
    };
    for path in paths {
        let raw = std::fs::read_to_string(&path)
            .with_context(|| format!("failed to read {}", path.display()))?;
        let label: LabelFile = serde_json::from_str(&raw)
            .with_context(|| format!("failed to parse {}", path.display()))?;
        let txt_path = path.with_file_name(&label.file);
        let letter = std::fs::read_to_string(&txt_path)
            .with_context(|| format!("failed to read {}", txt_path.display()))?;
        rep.letters += 1;
        let docs = [DocText {
            index: 0,
            text: &letter,
            page_starts: &[],
        }];
        let claims = extract_claims(&docs, lex);
        let evidence: Vec<_> = claims
            .iter()
            .filter(|c| c.kind == ClaimKind::Evidence)
            .collect();

        // segmentation
        let spans = super::claims::segment(&letter, lex);
        let seg_set: Vec<String> = spans
            .iter()
            .map(|&(a, b)| text::normalise_ws(&letter[a..b]))
            .collect();
        let mut seen_gold = Vec::new();
        for g in &label.sentences {
            if seen_gold.contains(&(g.byte_start, g.byte_end)) {
                continue;
            }
            seen_gold.push((g.byte_start, g.byte_end));
            let ok = seg_set.contains(&text::normalise_ws(&g.text));
            rep.segmentation.add(ok);
            if !ok {
                rep.mistakes.push(format!(
                    "{}: splitter missed {:?}",
                    label.id,
                    text::normalise_ws(&g.text)
                ));
            }
        }

        // sentence level
        for (tid, counts) in rep.sentences.iter_mut() {
            let is_dc = *tid == lex.domain_criterion;
            let golds: Vec<&GoldSentence> = label
                .sentences
                .iter()
                .filter(|g| id_of(&g.criterion) == *tid)
                .collect();
            let preds: Vec<_> = evidence.iter().filter(|c| c.criterion == *tid).collect();
            let mut used = vec![false; preds.len()];
            for g in &golds {
                let found = preds.iter().enumerate().position(|(i, p)| {
                    !used[i]
                        && hits(
                            (p.offset, p.offset + p.sentence.len()),
                            (g.byte_start, g.byte_end),
                        )
                        && (!is_dc || p.domain == g.domain)
                });
                match found {
                    Some(i) => {
                        used[i] = true;
                        counts.tp += 1;
                    }
                    None => {
                        counts.fn_ += 1;
                        rep.mistakes.push(format!(
                            "{}: missed {}{} {:?}",
                            label.id,
                            tid,
                            g.domain
                                .as_ref()
                                .map(|d| format!("/{d}"))
                                .unwrap_or_default(),
                            text::normalise_ws(&g.text)
                        ));
                    }
                }
            }
            for (i, p) in preds.iter().enumerate() {
                if !used[i] {
                    counts.fp += 1;
                    rep.mistakes.push(format!(
                        "{}: extra {}{} ({:.1}; {}) {:?}",
                        label.id,
                        tid,
                        p.domain
                            .as_ref()
                            .map(|d| format!("/{d}"))
                            .unwrap_or_default(),
                        p.strength,
                        p.matched_terms.join(", "),
                        text::normalise_ws(&p.sentence)
                    ));
                }
            }
            if is_dc {
                let mut used = vec![false; preds.len()];
                for g in &golds {
                    let found = preds.iter().enumerate().position(|(i, p)| {
                        !used[i]
                            && hits(
                                (p.offset, p.offset + p.sentence.len()),
                                (g.byte_start, g.byte_end),
                            )
                    });
                    match found {
                        Some(i) => {
                            used[i] = true;
                            rep.domain_criterion_any_domain.tp += 1;
                        }
                        None => rep.domain_criterion_any_domain.fn_ += 1,
                    }
                }
                rep.domain_criterion_any_domain.fp += used.iter().filter(|u| !**u).count();
            }
        }

        // distractors
        for d in &label.distractors {
            rep.distractors += 1;
            let looks = id_of(&d.looks_like);
            if evidence.iter().any(|c| {
                c.criterion == looks
                    && overlap(
                        (c.offset, c.offset + c.sentence.len()),
                        (d.byte_start, d.byte_end),
                    ) > 0
            }) {
                rep.distractor_hits += 1;
                rep.mistakes.push(format!(
                    "{}: distractor taken as {looks}: {:?}",
                    label.id,
                    text::normalise_ws(&d.text)
                ));
            }
        }

        // letter level
        let vs = verdicts(&claims, lex, criteria, principle);
        let gold_met: Vec<String> = label.criteria_met.iter().map(id_of).collect();
        for (tid, acc) in rep.letter_accuracy.iter_mut() {
            let predicted = vs
                .iter()
                .any(|v| v.criterion == *tid && v.verdict == Verdict::Met);
            let gold = if tid == principle {
                label.principle_nothing_about_us
            } else {
                gold_met.contains(tid)
            };
            acc.add(predicted == gold);
            if predicted != gold {
                rep.mistakes.push(format!(
                    "{}: letter-level {tid}: predicted {predicted}, labelled {gold}",
                    label.id
                ));
            }
        }
        let pre = pre_assessment(&vs, minimum_criteria, principle, require_principle);
        rep.pre_assessment.add(pre == label.meets_minimum);

        let mut pred_domains: Vec<String> = evidence
            .iter()
            .filter(|c| c.criterion == lex.domain_criterion)
            .filter_map(|c| c.domain.clone())
            .collect();
        pred_domains.sort();
        pred_domains.dedup();
        for d in &pred_domains {
            if label.domains.contains(d) {
                rep.domains.tp += 1;
            } else {
                rep.domains.fp += 1;
                rep.mistakes.push(format!("{}: extra domain {d}", label.id));
            }
        }
        for d in &label.domains {
            if !pred_domains.contains(d) {
                rep.domains.fn_ += 1;
                rep.mistakes
                    .push(format!("{}: missed domain {d}", label.id));
            }
        }

        // municipality
        let subject = letter
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
                texts: vec![&letter],
            },
            rules,
        );
        rep.municipality
            .add(full.code.as_deref() == Some(label.cbs_code.as_str()));
        if full.code.as_deref() != Some(label.cbs_code.as_str()) {
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
                texts: vec![&letter],
            },
            rules,
        );
        rep.municipality_text_only
            .add(bare.code.as_deref() == Some(label.cbs_code.as_str()));
        if bare.code.as_deref() != Some(label.cbs_code.as_str()) {
            rep.mistakes.push(format!(
                "{}: municipality from text only {:?}, labelled {}",
                label.id, bare.code, label.cbs_code
            ));
        }
    }
    Ok(rep)
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "letters: {}", self.letters)?;
        writeln!(f)?;
        writeln!(
            f,
            "sentence level        tp   fp   fn  precision  recall     F1"
        )?;
        let row = |f: &mut fmt::Formatter<'_>, name: &str, c: &Counts| {
            writeln!(
                f,
                "  {:<18} {:>4} {:>4} {:>4}  {:>9.2} {:>7.2} {:>6.2}",
                name,
                c.tp,
                c.fp,
                c.fn_,
                c.precision(),
                c.recall(),
                c.f1()
            )
        };
        for (id, c) in &self.sentences {
            row(f, id, c)?;
        }
        row(f, "(2, any domain)", &self.domain_criterion_any_domain)?;
        writeln!(f)?;
        writeln!(f, "letter level          accuracy")?;
        for (id, a) in &self.letter_accuracy {
            writeln!(
                f,
                "  {:<18} {:>5.2}  ({}/{})",
                id,
                a.value(),
                a.correct,
                a.total
            )?;
        }
        let a = &self.pre_assessment;
        writeln!(
            f,
            "  {:<18} {:>5.2}  ({}/{})",
            "pre-assessment",
            a.value(),
            a.correct,
            a.total
        )?;
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
        let m = &self.municipality;
        writeln!(
            f,
            "municipality          {:.2}  ({}/{})",
            m.value(),
            m.correct,
            m.total
        )?;
        let m = &self.municipality_text_only;
        writeln!(
            f,
            "municipality (text)   {:.2}  ({}/{})",
            m.value(),
            m.correct,
            m.total
        )?;
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
        )?;
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
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/nominations-dev");
        assert!(
            dir.join("README.md").exists(),
            "shared/nominations-dev is absent at {}",
            dir.display()
        );
        let lex = Lexicon::for_tests();
        let rep = run(&dir, &lex, &["1", "2", "3"], "principle", &Rules::default()).unwrap();
        println!("{rep}");
        assert_eq!(rep.letters, 12);
    }

    #[test]
    fn the_fixture_letters_in_other_styles_run_and_are_reported() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/letters");
        let lex = Lexicon::for_tests();
        let rep = run(&dir, &lex, &["1", "2", "3"], "principle", &Rules::default()).unwrap();
        println!("{rep}");
        assert_eq!(rep.letters, 3);
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
