//! Assessment against the labelled development letters (a copy in `tests/data/nominations-dev`): runs the
//! same evaluation as `intake eval` and holds it to the aims of issue 5 (F1 ≥ 0.80 per criterion
//! on sentences, letter-level accuracy ≥ 0.90).

use std::path::{Path, PathBuf};

use intake::assess::eval;
use intake::assess::lexicon::Lexicon;
use intake::assess::municipality::Rules;

const CRITERIA: [&str; 3] = ["1", "2", "3"];
const PRINCIPLE: &str = "principle";

fn dev_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/nominations-dev")
}

fn lexicon() -> Lexicon {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("config/calls/koplopers-vn-verdrag.lexicon.toml");
    Lexicon::load(&path).expect("shipped lexicon loads")
}

fn report() -> eval::EvalReport {
    eval::run(
        &dev_dir(),
        &lexicon(),
        &CRITERIA,
        PRINCIPLE,
        &Rules::default(),
    )
    .expect("eval runs")
}

#[test]
fn eval_runs_all_twelve_development_letters() {
    let rep = report();
    assert_eq!(rep.letters, 12, "{rep}");
}

#[test]
fn sentence_level_f1_is_at_least_080_for_every_criterion_and_the_principle() {
    let rep = report();
    for id in CRITERIA.iter().chain([&PRINCIPLE]) {
        let c = rep.sentence_counts(id).expect("criterion present");
        assert!(c.f1() >= 0.80, "F1 for {id} is {:.2}\n{rep}", c.f1());
    }
}

#[test]
fn letter_level_accuracy_is_at_least_090_for_every_criterion_and_the_principle() {
    let rep = report();
    for id in CRITERIA.iter().chain([&PRINCIPLE]) {
        let a = rep.accuracy(id).expect("criterion present");
        assert!(
            a.value() >= 0.90,
            "letter accuracy for {id} is {:.2}\n{rep}",
            a.value()
        );
    }
    assert!(rep.pre_assessment.value() >= 0.90, "{rep}");
}

#[test]
fn every_development_letter_is_attributed_to_its_municipality() {
    let rep = report();
    assert_eq!(rep.municipality.correct, rep.municipality.total, "{rep}");
    assert!(rep.municipality_text_only.value() >= 0.9, "{rep}");
}

#[test]
fn domains_are_found_with_f1_of_at_least_080() {
    let rep = report();
    assert!(rep.domains.f1() >= 0.80, "{rep}");
}
