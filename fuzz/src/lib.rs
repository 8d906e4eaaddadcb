//! The fuzzing side of the harness: loads [`harness::Harness`] once per process, sets the panic
//! policy, and turns every [`harness::Finding`] into a crash that libFuzzer saves.
//!
//! The document worker: mails and containers hand their PDF and office files to the built
//! `intake` binary (`INTAKE_FUZZ_WORKER`, default `target/debug/intake` of the repository;
//! `scripts/fuzz.sh` builds it), as the intake does; the document targets parse their own
//! format in this process.
//!
//! Panic policy. libFuzzer's hook aborts on every panic, even one the library would catch, so
//! that a caught panic in our own code is still found. With `INTAKE_FUZZ_DEP_PANICS=log`, a
//! panic located in a dependency's source (crates.io or git) is instead written to stderr once
//! per location (`dependency panic at FILE:LINE`) and left to unwind to the boundary that
//! catches it in the intake; a panic in our own code still aborts. This lets a target keep
//! exploring past a known third-party panic; `scripts/fuzz.sh` counts those lines.

#[path = "harness.rs"]
pub mod harness;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once, OnceLock};

pub use harness::Target;
use harness::{Finding, Harness};

static HARNESS: OnceLock<Harness> = OnceLock::new();
static HOOK: Once = Once::new();
static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// Runs one fuzz input through `target`; aborts (a crash for libFuzzer) on any finding.
pub fn fuzz(target: Target, data: &[u8]) {
    HOOK.call_once(install_hook);
    let harness = HARNESS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let worker = std::env::var_os("INTAKE_FUZZ_WORKER")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target/debug/intake"));
        Harness::new(&root, worker).unwrap_or_else(|e| {
            eprintln!("fuzz harness: {e}");
            std::process::abort()
        })
    });
    match harness.run(target, data) {
        Ok(_) => {}
        Err(Finding::Panic { .. }) if tolerate_dependency_panics() => {}
        Err(finding) => {
            eprintln!("fuzz finding in {}: {finding}", target.name());
            std::process::abort();
        }
    }
}

fn tolerate_dependency_panics() -> bool {
    static TOLERATE: OnceLock<bool> = OnceLock::new();
    *TOLERATE.get_or_init(|| std::env::var("INTAKE_FUZZ_DEP_PANICS").is_ok_and(|v| v == "log"))
}

fn install_hook() {
    if !tolerate_dependency_panics() {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let Some(location) = info.location() else {
            return previous(info);
        };
        let file = location.file();
        if !(file.contains("/registry/src/") || file.contains("/git/checkouts/")) {
            return previous(info);
        }
        let at = format!("{file}:{}", location.line());
        let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
        if seen.get_or_insert_with(HashSet::new).insert(at.clone()) {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let message: String = message.chars().take(160).collect();
            eprintln!("dependency panic at {at}: {message}");
        }
    }));
}
