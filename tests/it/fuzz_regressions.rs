//! Replays every fuzz regression: each file under `tests/data/fuzz-regressions/<target>/` goes
//! through the same function as the cargo-fuzz target it was found by (the harness in
//! `fuzz/src/harness.rs`, included here as source) and must come back without a panic, without
//! a parser outliving its deadline, and within a generous time bound.

#[path = "../../fuzz/src/harness.rs"]
mod harness;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use harness::{Harness, Ran, Target};

/// Far above what any regression needs (the harness gives one document 5 s); a file that takes
/// longer has found a slow path again.
const BOUND: Duration = Duration::from_secs(60);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("failed to read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_fuzz_regression_is_read_by_its_target_without_a_panic_or_a_hang() {
    let base = root().join("tests/data/fuzz-regressions");
    let harness = Harness::new(&root(), env!("CARGO_BIN_EXE_intake").into())
        .expect("the fuzz harness loads the shipped config");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&base)
        .expect("tests/data/fuzz-regressions exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        !dirs.is_empty(),
        "no regression directories in {}",
        base.display()
    );
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let target = Target::parse(name)
            .unwrap_or_else(|| panic!("{} is not named after a fuzz target", dir.display()));
        let files = files_in(dir);
        assert!(
            !files.is_empty(),
            "{} holds no regression file",
            dir.display()
        );
        for file in files {
            let data = std::fs::read(&file).expect("regression file is readable");
            let start = Instant::now();
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| harness.run(target, &data)));
            let took = start.elapsed();
            let shown = file.strip_prefix(&base).unwrap_or(&file).display();
            match result {
                Ok(Ok(Ran::Read)) if took <= BOUND => {}
                Ok(Ok(Ran::Read)) => failures.push(format!("{shown}: took {took:?}")),
                Ok(Ok(Ran::Skipped)) => failures.push(format!(
                    "{shown}: no longer detected as a {name} input, so it replays nothing"
                )),
                Ok(Err(finding)) => failures.push(format!("{shown}: {finding}")),
                Err(panic) => failures.push(format!(
                    "{shown}: panicked: {}",
                    harness::panic_message(&*panic)
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "fuzz regressions failed:\n{}",
        failures.join("\n")
    );
}
