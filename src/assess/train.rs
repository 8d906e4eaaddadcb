//! Learned weights on top of the lexicon: a small logistic regression per criterion and for the
//! principle that decides whether a sentence is evidence, from the lexicon terms that matched
//! cleanly and a few named signals (lexicon score, negation, intention, section context,
//! realisation, who acts, follow-up). The lexicon stays the explanation: the model only judges
//! sentences in which at least one of its terms matched, and a claim still names those terms.
//!
//! `intake train` ([`train`]) learns the weights from labelled letters (the format of
//! `tests/data/nominations-dev`) and from staff overrides stored in the database
//! ([`examples_from_overrides`]), and writes them to a reviewable TOML file next to the lexicon.
//! Pure apart from reading and writing that file; the database rows come in as values.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::claims::{Features, sentence_features};
use super::eval::{self, LabelledLetter};
use super::lexicon::Lexicon;

/// The weights of one criterion (or the principle).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TargetModel {
    /// A sentence is evidence when the model's probability reaches this.
    pub threshold: f64,
    pub bias: f64,
    /// Weights of the named signals (`score`, `negated`, `context`, ...).
    #[serde(default)]
    pub named: BTreeMap<String, f64>,
    /// Weights of lexicon terms (as written in the lexicon) that matched cleanly.
    #[serde(default)]
    pub terms: BTreeMap<String, f64>,
}

impl TargetModel {
    /// The probability that a sentence with these inputs is evidence.
    pub fn probability(&self, f: &Features) -> f64 {
        let mut z = self.bias;
        for (name, x) in &f.named {
            z += self.named.get(*name).copied().unwrap_or(0.0) * x;
        }
        for t in &f.terms {
            z += self.terms.get(t).copied().unwrap_or(0.0);
        }
        sigmoid(z)
    }
}

/// The weights file (`config/calls/<call>.weights.toml`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// What the weights were learned from (directories, overrides), for the reviewer.
    #[serde(default)]
    pub trained_on: Vec<String>,
    /// Criterion id or principle id → weights.
    pub targets: BTreeMap<String, TargetModel>,
}

impl Model {
    /// Reads a weights file.
    pub fn load(path: &Path) -> anyhow::Result<Model> {
        let raw = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read weights {}", path.display()))?;
        toml::from_str(&raw).with_context(|| format!("failed to parse weights {}", path.display()))
    }

    /// Writes the weights file with a header saying where it came from.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let body = toml::to_string(self).context("failed to write the weights as TOML")?;
        let text = format!(
            "# Learned weights of the claim extractor, written by `intake train`; do not edit by hand,\n\
             # train again. Per criterion: a sentence in which lexicon terms matched is evidence when\n\
             # sigmoid(bias + named signals x weights + weights of the matched terms) >= threshold.\n\
             # Remove the `weights` line from the lexicon to let the lexicon alone decide.\n\n{body}"
        );
        std::fs::write(path, text)
            .with_context(|| format!("failed to write weights {}", path.display()))
    }

    /// The weights of one target.
    pub fn target(&self, id: &str) -> Option<&TargetModel> {
        self.targets.get(id)
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// One training example: a sentence's inputs for one target and whether it is evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub features: Features,
    pub evidence: bool,
}

/// Training examples from labelled letters: every sentence with matched terms, per target,
/// labelled by whether a gold evidence sentence of that target covers it.
pub fn examples_from_letters(letters: &[LabelledLetter], lex: &Lexicon) -> Vec<Example> {
    let mut out = Vec::new();
    for letter in letters {
        for s in sentence_features(&letter.text, lex) {
            for f in s.targets {
                let evidence = letter.gold_covers(&f.target, (s.start, s.end));
                out.push(Example {
                    features: f,
                    evidence,
                });
            }
        }
    }
    out
}

/// A staff override as the store keeps it, with the claims of its submission.
#[derive(Debug, Clone)]
pub struct Override {
    pub criterion: String,
    /// `met`, `weak` or `not_found`.
    pub staff_verdict: String,
    pub staff_note: String,
    /// (criterion, kind, sentence) of every claim of the submission.
    pub claims: Vec<(String, String, String)>,
}

/// Training examples from staff overrides: when staff say a criterion is not met, the sentences
/// the machine took as its evidence are negatives; when staff say it is met and their note
/// quotes a sentence ("..." or „...”) of the submission, that sentence is a positive.
pub fn examples_from_overrides(overrides: &[Override], lex: &Lexicon) -> Vec<Example> {
    let mut out = Vec::new();
    for o in overrides {
        let sentences: Vec<(&str, bool)> = match o.staff_verdict.as_str() {
            "not_found" | "weak" => o
                .claims
                .iter()
                .filter(|(c, k, _)| *c == o.criterion && k == "evidence")
                .map(|(_, _, s)| (s.as_str(), false))
                .collect(),
            "met" => quoted(&o.staff_note)
                .iter()
                .flat_map(|q| {
                    let q = super::text::normalise_ws(q);
                    o.claims
                        .iter()
                        .filter(move |(_, _, s)| {
                            q.chars().count() >= 12 && super::text::normalise_ws(s).contains(&q)
                        })
                        .map(|(_, _, s)| (s.as_str(), true))
                })
                .collect(),
            _ => Vec::new(),
        };
        for (sentence, evidence) in sentences {
            for s in sentence_features(sentence, lex) {
                for f in s.targets.into_iter().filter(|f| f.target == o.criterion) {
                    out.push(Example {
                        features: f,
                        evidence,
                    });
                }
            }
        }
    }
    out
}

/// Text between double quotes (plain or typographic) in a staff note.
fn quoted(note: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for c in note.chars() {
        match (c, cur.as_mut()) {
            ('"' | '„' | '“' | '”' | '«' | '»', Some(s)) => {
                out.push(std::mem::take(s));
                cur = None;
            }
            ('"' | '„' | '“' | '«', None) => cur = Some(String::new()),
            (c, Some(s)) => s.push(c),
            _ => {}
        }
    }
    out
}

/// Settings of the fit.
#[derive(Debug, Clone, Copy)]
pub struct Fit {
    pub iterations: usize,
    pub learning_rate: f64,
    /// L2 penalty on every weight but the bias.
    pub l2: f64,
    pub threshold: f64,
}

impl Default for Fit {
    fn default() -> Self {
        Fit {
            iterations: 400,
            learning_rate: 0.3,
            l2: 0.02,
            threshold: 0.5,
        }
    }
}

/// Fits one logistic regression per target by full-batch gradient descent (deterministic).
pub fn fit(examples: &[Example], fit: Fit) -> Model {
    let mut by_target: BTreeMap<&str, Vec<&Example>> = BTreeMap::new();
    for e in examples {
        by_target.entry(&e.features.target).or_default().push(e);
    }
    let mut model = Model::default();
    for (target, exs) in by_target {
        model
            .targets
            .insert(target.to_string(), fit_target(&exs, fit));
    }
    model
}

fn fit_target(exs: &[&Example], fit: Fit) -> TargetModel {
    // feature index: named signals, then terms
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for e in exs {
        for (n, _) in &e.features.named {
            let k = names.len();
            names.entry(format!("n:{n}")).or_insert(k);
        }
        for t in &e.features.terms {
            let k = names.len();
            names.entry(format!("t:{t}")).or_insert(k);
        }
    }
    let rows: Vec<(Vec<(usize, f64)>, f64)> = exs
        .iter()
        .map(|e| {
            let mut x: Vec<(usize, f64)> = e
                .features
                .named
                .iter()
                .map(|(n, v)| (names[&format!("n:{n}")], *v))
                .collect();
            x.extend(
                e.features
                    .terms
                    .iter()
                    .map(|t| (names[&format!("t:{t}")], 1.0)),
            );
            (x, f64::from(u8::from(e.evidence)))
        })
        .collect();
    let n = rows.len().max(1) as f64;
    let mut w = vec![0.0; names.len()];
    let mut b = 0.0;
    for _ in 0..fit.iterations {
        let mut gw = vec![0.0; w.len()];
        let mut gb = 0.0;
        for (x, y) in &rows {
            let z = b + x.iter().map(|(i, v)| w[*i] * v).sum::<f64>();
            let err = sigmoid(z) - y;
            gb += err;
            for (i, v) in x {
                gw[*i] += err * v;
            }
        }
        b -= fit.learning_rate * gb / n;
        for (wi, gi) in w.iter_mut().zip(gw) {
            *wi -= fit.learning_rate * (gi / n + fit.l2 * *wi);
        }
    }
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    let mut tm = TargetModel {
        threshold: fit.threshold,
        bias: round(b),
        ..TargetModel::default()
    };
    for (name, i) in names {
        let v = round(w[i]);
        if v == 0.0 {
            continue;
        }
        if let Some(n) = name.strip_prefix("n:") {
            tm.named.insert(n.to_string(), v);
        } else if let Some(t) = name.strip_prefix("t:") {
            tm.terms.insert(t.to_string(), v);
        }
    }
    tm
}

/// Learns weights from the labelled letters in `dirs` and the given overrides.
pub fn train(dirs: &[&Path], overrides: &[Override], lex: &Lexicon) -> anyhow::Result<Model> {
    let mut letters = Vec::new();
    for d in dirs {
        letters.extend(eval::load_dir(d)?);
    }
    let mut examples = examples_from_letters(&letters, &terms_only(lex));
    examples.extend(examples_from_overrides(overrides, &terms_only(lex)));
    let mut model = fit(&examples, Fit::default());
    model.trained_on = dirs.iter().map(|d| d.display().to_string()).collect();
    model.trained_on.push(format!(
        "{} letters, {} staff overrides, {} examples",
        letters.len(),
        overrides.len(),
        examples.len()
    ));
    Ok(model)
}

/// The lexicon without learned weights (features never depend on a model, but the copy makes
/// that explicit).
pub fn terms_only(lex: &Lexicon) -> Lexicon {
    let mut l = lex.clone();
    l.model = None;
    l
}

/// The default training folders: the development letters and the tuning parts of the fictional
/// letters and the real texts (never the held parts).
pub const DEFAULT_TRAINING_DIRS: [&str; 3] = [
    "tests/data/nominations-dev",
    "tests/fixtures/letters/tune",
    "tests/data/realworld/tune",
];

/// `intake eval DIR... [--cross-validate K] [--no-weights]`: prints the report.
pub fn eval_command(
    cfg: &crate::config::Config,
    dirs: &[std::path::PathBuf],
    cross_validate: Option<usize>,
    no_weights: bool,
) -> anyhow::Result<std::process::ExitCode> {
    let mut lex = Lexicon::load(&cfg.call.lexicon_path)?;
    if no_weights {
        lex.model = None;
    } else if lex.model.is_none()
        && let Some(w) = &lex.weights_path
    {
        // `use_weights = false` only switches them off in the intake; eval scores the file
        lex.model = Some(Model::load(w)?);
    }
    let criteria = cfg.call.criterion_ids();
    let call = eval::EvalCall {
        criteria: &criteria,
        principle: &cfg.call.principle.id,
        rules: &cfg.settings.municipalities,
        minimum_criteria: cfg.call.minimum_criteria,
        require_principle: cfg.call.require_principle,
    };
    let mut letters = Vec::new();
    for d in dirs {
        letters.extend(eval::load_dir(d)?);
    }
    let report = match cross_validate {
        Some(k) => eval::cross_validate(&letters, k, &lex, &call),
        None => eval::evaluate(&letters, &lex, &call),
    };
    let weights = match (&lex.model, cross_validate) {
        (_, Some(k)) => format!("weights learned on {k}-fold leave-out"),
        (Some(_), None) => "with learned weights".to_string(),
        (None, None) => "lexicon only".to_string(),
    };
    println!("{weights}");
    println!("{report}");
    Ok(std::process::ExitCode::SUCCESS)
}

/// `intake train [DIR...] [--no-db]`: learns the weights and writes the file the lexicon names.
pub async fn train_command(
    cfg: &crate::config::Config,
    dirs: &[std::path::PathBuf],
    use_db: bool,
) -> anyhow::Result<std::process::ExitCode> {
    let lex = Lexicon::load_terms(&cfg.call.lexicon_path)?;
    let Some(out) = lex.weights_path.clone() else {
        eprintln!(
            "the lexicon {} names no weights file: add `weights = \"<call>.weights.toml\"`",
            cfg.call.lexicon_path.display()
        );
        return Ok(std::process::ExitCode::from(3));
    };
    let dirs: Vec<std::path::PathBuf> = if dirs.is_empty() {
        DEFAULT_TRAINING_DIRS.iter().map(Into::into).collect()
    } else {
        dirs.to_vec()
    };
    let overrides = if use_db {
        overrides_from_db(cfg).await?
    } else {
        Vec::new()
    };
    let dir_refs: Vec<&Path> = dirs.iter().map(|d| d.as_path()).collect();
    let model = train(&dir_refs, &overrides, &lex)?;
    model.save(&out)?;
    println!(
        "wrote {} ({} targets; {})",
        out.display(),
        model.targets.len(),
        model.trained_on.last().cloned().unwrap_or_default()
    );
    Ok(std::process::ExitCode::SUCCESS)
}

/// Every staff override of a criterion verdict in the database, with its submission's claims.
async fn overrides_from_db(cfg: &crate::config::Config) -> anyhow::Result<Vec<Override>> {
    use crate::store;
    let db = store::Db::connect(
        &cfg.settings.database.url,
        cfg.settings.database.max_connections,
    )
    .await?;
    db.migrate().await?;
    let mut out = Vec::new();
    for s in store::submissions(&db).await? {
        let overridden: Vec<_> = store::assessments_of(&db, s.id)
            .await?
            .into_iter()
            .filter(|a| a.staff_verdict.is_some())
            .collect();
        if overridden.is_empty() {
            continue;
        }
        let claims: Vec<(String, String, String)> = store::claims_of(&db, s.id)
            .await?
            .into_iter()
            .map(|c| (c.criterion, c.kind, c.sentence))
            .collect();
        for a in overridden {
            out.push(Override {
                criterion: a.criterion,
                staff_verdict: a
                    .staff_verdict
                    .map(|v| v.as_str().to_string())
                    .unwrap_or_default(),
                staff_note: a.staff_note.unwrap_or_default(),
                claims: claims.clone(),
            });
        }
    }
    db.close().await;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(terms: &[&str], score: f64, evidence: bool) -> Example {
        Example {
            features: Features {
                target: "1".to_string(),
                terms: terms.iter().map(|t| t.to_string()).collect(),
                named: vec![("score", score)],
            },
            evidence,
        }
    }

    #[test]
    fn the_fit_learns_that_a_term_seen_with_evidence_raises_the_probability() {
        let mut exs = Vec::new();
        for _ in 0..10 {
            exs.push(ex(&["motie"], 2.0, true));
            exs.push(ex(&["plan"], 0.5, false));
        }
        let m = fit(&exs, Fit::default());
        let t = m.target("1").unwrap();
        assert!(t.probability(&ex(&["motie"], 2.0, true).features) > 0.7);
        assert!(t.probability(&ex(&["plan"], 0.5, false).features) < 0.3);
    }

    #[test]
    fn weights_round_trip_through_the_toml_file() {
        let exs = vec![ex(&["motie"], 2.0, true), ex(&["plan"], 0.5, false)];
        let m = fit(&exs, Fit::default());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.toml");
        m.save(&path).unwrap();
        assert_eq!(Model::load(&path).unwrap(), m);
    }

    #[test]
    fn a_staff_override_to_not_found_makes_the_machines_evidence_a_negative_example() {
        let lex = Lexicon::for_tests();
        let o = Override {
            criterion: "1".to_string(),
            staff_verdict: "not_found".to_string(),
            staff_note: "geen besluit, alleen een wens".to_string(),
            claims: vec![(
                "1".to_string(),
                "evidence".to_string(),
                "De gemeenteraad heeft de inclusieagenda vastgesteld.".to_string(),
            )],
        };
        let exs = examples_from_overrides(&[o], &lex);
        assert!(!exs.is_empty());
        assert!(exs.iter().all(|e| !e.evidence && e.features.target == "1"));
    }

    #[test]
    fn a_staff_override_to_met_quoting_a_sentence_makes_it_a_positive_example() {
        let lex = Lexicon::for_tests();
        let sentence = "Het panel van ervaringsdeskundigen heeft de agenda mee geschreven.";
        let o = Override {
            criterion: "principle".to_string(),
            staff_verdict: "met".to_string(),
            staff_note: "zie de zin \"heeft de agenda mee geschreven\"".to_string(),
            claims: vec![(
                "2".to_string(),
                "evidence".to_string(),
                sentence.to_string(),
            )],
        };
        let exs = examples_from_overrides(&[o], &lex);
        assert!(
            exs.iter()
                .any(|e| e.evidence && e.features.target == "principle")
        );
    }
}
