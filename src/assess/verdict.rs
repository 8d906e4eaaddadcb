//! Verdicts per criterion and for the principle ("met", "weak", "not found"), each with the
//! claims that support it, and the call's pre-assessment ("at least two of three criteria and the
//! principle"). Advice for staff, never a decision: staff overrides live in the store.
//!
//! Pure: takes claims and the lexicon thresholds, returns values.

use super::claims::{Claim, ClaimKind};
use super::lexicon::Lexicon;

/// The machine's reading of one criterion: the one [`crate::domain::Verdict`].
pub use crate::domain::Verdict;

/// The verdict for one criterion (or the principle) with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct CriterionVerdict {
    pub criterion: String,
    pub verdict: Verdict,
    /// Indices into the claims: the evidence first (strongest first), then intentions and
    /// negations that staff may want to see.
    pub evidence: Vec<usize>,
    /// Dutch explanation, e.g. "3 bewijszinnen, sterkste 4,5".
    pub note: String,
}

fn fmt_num(x: f64) -> String {
    format!("{x:.1}").replace('.', ",")
}

/// One verdict per criterion, then one for the principle.
pub fn verdicts(
    claims: &[Claim],
    lex: &Lexicon,
    criteria: &[&str],
    principle: &str,
) -> Vec<CriterionVerdict> {
    let th = &lex.thresholds;
    criteria
        .iter()
        .copied()
        .chain(std::iter::once(principle))
        .map(|id| {
            let mut ev: Vec<usize> = (0..claims.len())
                .filter(|&i| claims[i].criterion == id && claims[i].kind == ClaimKind::Evidence)
                .collect();
            ev.sort_by(|&a, &b| claims[b].strength.total_cmp(&claims[a].strength));
            let others: Vec<usize> = (0..claims.len())
                .filter(|&i| claims[i].criterion == id && claims[i].kind != ClaimKind::Evidence)
                .collect();
            let strongest = ev.first().map(|&i| claims[i].strength).unwrap_or(0.0);
            let near = others
                .iter()
                .filter(|&&i| claims[i].kind == ClaimKind::Borderline)
                .count();
            // near misses beside evidence count towards `met_claims` when the lexicon says so
            let supporting = ev.len() + if th.near_misses_support { near } else { 0 };
            let verdict = if ev.is_empty() && near > 0 {
                Verdict::Weak
            } else if ev.is_empty() {
                Verdict::NotFound
            } else if supporting >= th.met_claims || strongest >= th.met_strength {
                Verdict::Met
            } else {
                Verdict::Weak
            };
            let intentions = others
                .iter()
                .filter(|&&i| claims[i].kind == ClaimKind::Intention)
                .count();
            let negated = others
                .iter()
                .filter(|&&i| claims[i].kind == ClaimKind::Negated)
                .count();
            let mut note = match ev.len() {
                0 => "geen bewijszin gevonden".to_string(),
                1 => format!("1 bewijszin, sterkte {}", fmt_num(strongest)),
                n => format!("{n} bewijszinnen, sterkste {}", fmt_num(strongest)),
            };
            if intentions > 0 {
                note.push_str(&format!("; {intentions} alleen als voornemen"));
            }
            if negated > 0 {
                note.push_str(&format!("; {negated} ontkend"));
            }
            if near > 0 {
                note.push_str(&format!("; {near} bijna bewijs, graag nakijken"));
            }
            let mut evidence = ev;
            evidence.extend(others);
            CriterionVerdict {
                criterion: id.to_string(),
                verdict,
                evidence,
                note,
            }
        })
        .collect()
}

/// The call's pre-assessment: at least `minimum_criteria` criteria met (the principle not
/// counted) and, when required, the principle met. Weak verdicts do not count.
pub fn pre_assessment(
    verdicts: &[CriterionVerdict],
    minimum_criteria: usize,
    principle: &str,
    require_principle: bool,
) -> bool {
    let met = verdicts
        .iter()
        .filter(|v| v.criterion != principle && v.verdict == Verdict::Met)
        .count();
    let principle_ok = verdicts
        .iter()
        .any(|v| v.criterion == principle && v.verdict == Verdict::Met);
    crate::domain::meets_minimum(met, principle_ok, minimum_criteria, require_principle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(criterion: &str, strength: f64, kind: ClaimKind) -> Claim {
        Claim {
            criterion: criterion.to_string(),
            domain: None,
            sentence: "Zin.".to_string(),
            doc_index: 0,
            page: None,
            offset: 0,
            matched_terms: vec![],
            strength,
            kind,
        }
    }

    #[test]
    fn two_evidence_sentences_meet_a_criterion_and_one_weak_sentence_is_weak() {
        let lex = Lexicon::for_tests();
        let claims = vec![
            claim("1", 2.0, ClaimKind::Evidence),
            claim("1", 2.5, ClaimKind::Evidence),
            claim("2", 2.0, ClaimKind::Evidence),
            claim("3", 5.0, ClaimKind::Intention),
        ];
        let v = verdicts(&claims, &lex, &["1", "2", "3"], "principle");
        let by = |id: &str| v.iter().find(|x| x.criterion == id).unwrap();
        assert_eq!(by("1").verdict, Verdict::Met);
        assert_eq!(by("1").evidence, vec![1, 0]);
        assert_eq!(by("2").verdict, Verdict::Weak);
        assert_eq!(by("3").verdict, Verdict::NotFound);
        assert_eq!(by("3").evidence, vec![3]);
        assert!(by("3").note.contains("voornemen"));
        assert_eq!(by("principle").verdict, Verdict::NotFound);
    }

    #[test]
    fn the_pre_assessment_needs_two_criteria_and_the_principle() {
        let v = |c: &str, verdict| CriterionVerdict {
            criterion: c.to_string(),
            verdict,
            evidence: vec![],
            note: String::new(),
        };
        let all = vec![
            v("1", Verdict::Met),
            v("2", Verdict::Met),
            v("3", Verdict::Weak),
            v("p", Verdict::Met),
        ];
        assert!(pre_assessment(&all, 2, "p", true));
        let no_p = vec![
            v("1", Verdict::Met),
            v("2", Verdict::Met),
            v("p", Verdict::Weak),
        ];
        assert!(!pre_assessment(&no_p, 2, "p", true));
        assert!(pre_assessment(&no_p, 2, "p", false));
        assert!(!pre_assessment(&all, 3, "p", true));
    }

    #[test]
    fn a_near_miss_without_evidence_is_weak_and_says_so() {
        let lex = Lexicon::for_tests();
        let claims = vec![
            claim("2", 1.5, ClaimKind::Borderline),
            claim("3", 2.0, ClaimKind::Evidence),
            claim("3", 1.5, ClaimKind::Borderline),
        ];
        let v = verdicts(&claims, &lex, &["1", "2", "3"], "principle");
        let by = |id: &str| v.iter().find(|x| x.criterion == id).unwrap();
        assert_eq!(by("2").verdict, Verdict::Weak);
        assert!(by("2").note.contains("bijna bewijs"), "{}", by("2").note);
        assert_eq!(by("2").evidence, vec![0]);
        // a near miss beside one evidence sentence supports it (the shipped lexicon says so)
        assert!(lex.thresholds.near_misses_support);
        assert_eq!(by("3").verdict, Verdict::Met);
        assert_eq!(by("3").evidence, vec![1, 2]);
        assert_eq!(by("1").verdict, Verdict::NotFound);
    }

    #[test]
    fn verdict_names_round_trip() {
        for v in [Verdict::Met, Verdict::Weak, Verdict::NotFound] {
            assert_eq!(Verdict::parse(v.as_str()), Some(v));
        }
    }
}
