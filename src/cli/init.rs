//! The shipped configuration, built into the binary: `intake init [DIR]` writes it into
//! DIR/config/ (never over an existing file), and commands that need no mailbox or database
//! (`intake eval`) use it when no `config/intake.toml` is at hand ([`Shipped`]).
//!
//! The files are the ones in the repository's `config/` folder, embedded at build time; a test
//! checks that none is missing from [`FILES`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

/// Every file of the shipped `config/` folder: path relative to it, and its text.
pub const FILES: &[(&str, &str)] = &[
    ("intake.toml", include_str!("../../config/intake.toml")),
    (
        "production.example.toml",
        include_str!("../../config/production.example.toml"),
    ),
    (
        "calls/koplopers-vn-verdrag.toml",
        include_str!("../../config/calls/koplopers-vn-verdrag.toml"),
    ),
    (
        "calls/koplopers-vn-verdrag.lexicon.toml",
        include_str!("../../config/calls/koplopers-vn-verdrag.lexicon.toml"),
    ),
    (
        "calls/koplopers-vn-verdrag.weights.toml",
        include_str!("../../config/calls/koplopers-vn-verdrag.weights.toml"),
    ),
    (
        "templates/alert.html.j2",
        include_str!("../../config/templates/alert.html.j2"),
    ),
    (
        "templates/alert.txt.j2",
        include_str!("../../config/templates/alert.txt.j2"),
    ),
    (
        "templates/confirmation.html.j2",
        include_str!("../../config/templates/confirmation.html.j2"),
    ),
    (
        "templates/confirmation.txt.j2",
        include_str!("../../config/templates/confirmation.txt.j2"),
    ),
    (
        "templates/consultation.html.j2",
        include_str!("../../config/templates/consultation.html.j2"),
    ),
    (
        "templates/consultation.txt.j2",
        include_str!("../../config/templates/consultation.txt.j2"),
    ),
    (
        "templates/digest.html.j2",
        include_str!("../../config/templates/digest.html.j2"),
    ),
    (
        "templates/digest.txt.j2",
        include_str!("../../config/templates/digest.txt.j2"),
    ),
    (
        "templates/not_selected.html.j2",
        include_str!("../../config/templates/not_selected.html.j2"),
    ),
    (
        "templates/not_selected.txt.j2",
        include_str!("../../config/templates/not_selected.txt.j2"),
    ),
    (
        "templates/reminder.html.j2",
        include_str!("../../config/templates/reminder.html.j2"),
    ),
    (
        "templates/reminder.txt.j2",
        include_str!("../../config/templates/reminder.txt.j2"),
    ),
    (
        "templates/selected.html.j2",
        include_str!("../../config/templates/selected.html.j2"),
    ),
    (
        "templates/selected.txt.j2",
        include_str!("../../config/templates/selected.txt.j2"),
    ),
    (
        "templates/thanks.html.j2",
        include_str!("../../config/templates/thanks.html.j2"),
    ),
    (
        "templates/thanks.txt.j2",
        include_str!("../../config/templates/thanks.txt.j2"),
    ),
    (
        "templates/web/base.html.j2",
        include_str!("../../config/templates/web/base.html.j2"),
    ),
    (
        "templates/web/consultations.html.j2",
        include_str!("../../config/templates/web/consultations.html.j2"),
    ),
    (
        "templates/web/digest.html.j2",
        include_str!("../../config/templates/web/digest.html.j2"),
    ),
    (
        "templates/web/error.html.j2",
        include_str!("../../config/templates/web/error.html.j2"),
    ),
    (
        "templates/web/export.html.j2",
        include_str!("../../config/templates/web/export.html.j2"),
    ),
    (
        "templates/web/macros.html.j2",
        include_str!("../../config/templates/web/macros.html.j2"),
    ),
    (
        "templates/web/nomination.html.j2",
        include_str!("../../config/templates/web/nomination.html.j2"),
    ),
    (
        "templates/web/nominations.html.j2",
        include_str!("../../config/templates/web/nominations.html.j2"),
    ),
    (
        "templates/web/ratification.html.j2",
        include_str!("../../config/templates/web/ratification.html.j2"),
    ),
    (
        "templates/web/selection.html.j2",
        include_str!("../../config/templates/web/selection.html.j2"),
    ),
    (
        "templates/web/sign_in.html.j2",
        include_str!("../../config/templates/web/sign_in.html.j2"),
    ),
];

/// What `intake init` puts above the shipped settings: where the user is and what comes next.
const INIT_HEADER: &str = "\
# Written by `intake init`. Run every intake command from the folder that holds this config/
# folder (or name this file with --config). Next steps (README, \"Your first hour\"):
#   1. intake check-config        every problem at once, with file and key
#   2. intake run --once          reads var/mailbox, stores in var/intake.db, letters in var/outbox
#   3. a real mailbox: see production.example.toml (Microsoft 365 IMAP + SMTP + PostgreSQL)
# The call in calls/koplopers-vn-verdrag.toml is the shipped example: copy it for your own call
# and point [general] call at the copy.
#
";

/// The text `init` writes for `rel`: the shipped text, with [`INIT_HEADER`] on the settings.
fn text_for(rel: &str, shipped: &str) -> String {
    if rel == "intake.toml" {
        format!("{INIT_HEADER}{shipped}")
    } else {
        shipped.to_string()
    }
}

/// Writes the shipped configuration into `dir/config/`; refuses (writing nothing) when any of
/// its files exists. Returns the files written.
pub fn write_config(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let base = dir.join("config");
    let existing: Vec<PathBuf> = FILES
        .iter()
        .map(|(rel, _)| base.join(rel))
        .filter(|p| p.exists())
        .collect();
    if !existing.is_empty() {
        let first = existing[0].strip_prefix(".").unwrap_or(&existing[0]);
        anyhow::bail!(
            "nothing written: {} exists already{}; intake init never overwrites (write \
             elsewhere with `intake init DIR`)",
            first.display(),
            match existing.len() {
                1 => String::new(),
                n => format!(", and {} more of its files", n - 1),
            }
        );
    }
    let mut written = Vec::new();
    for (rel, text) in FILES {
        let path = base.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create {}", parent.display()))?;
        }
        // create_new: a file that appeared since the check above is not overwritten either.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("failed to create {}", path.display()))?;
        std::io::Write::write_all(&mut file, text_for(rel, text).as_bytes())
            .with_context(|| format!("failed to write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// `intake init [DIR]`.
pub fn init_command(dir: &Path) -> anyhow::Result<ExitCode> {
    match write_config(dir) {
        Ok(written) => {
            let shown = if dir == Path::new(".") {
                "config/".to_string()
            } else {
                format!("{}/config/", dir.display())
            };
            println!(
                "wrote {} files to {shown}: intake.toml (settings), production.example.toml, \
                 calls/ (the shipped call as an example), templates/ (the letters)",
                written.len()
            );
            println!("next:");
            if dir != Path::new(".") {
                println!("  cd {}", dir.display());
            }
            println!("  intake check-config");
            println!("  intake run --once");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            Ok(ExitCode::from(1))
        }
    }
}

/// The shipped configuration written to a private temporary folder, for commands that need no
/// mailbox or database when no configuration is at hand. Removed again when dropped.
#[derive(Debug)]
pub struct Shipped {
    dir: PathBuf,
}

impl Shipped {
    /// Writes the shipped files into a new temporary folder.
    pub fn materialise() -> anyhow::Result<Shipped> {
        let dir = std::env::temp_dir().join(format!(
            "intake-shipped-config-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir(&dir).with_context(|| format!("failed to create {}", dir.display()))?;
        let shipped = Shipped { dir };
        write_config(&shipped.dir)?;
        Ok(shipped)
    }

    /// Its `intake.toml`.
    pub fn settings_path(&self) -> PathBuf {
        self.dir.join("config/intake.toml")
    }
}

impl Drop for Shipped {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files_under(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                files_under(&p, base, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }

    #[test]
    fn every_file_of_the_shipped_config_folder_is_built_in() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let mut on_disk = Vec::new();
        files_under(&base, &base, &mut on_disk);
        on_disk.sort();
        let mut built_in: Vec<String> = FILES.iter().map(|(r, _)| r.to_string()).collect();
        built_in.sort();
        assert!(on_disk.len() > 10, "{on_disk:?}");
        assert_eq!(built_in, on_disk);
    }

    #[test]
    fn init_writes_a_configuration_that_loads_and_never_overwrites_it() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_config(dir.path()).unwrap();
        assert_eq!(written.len(), FILES.len());
        let settings = std::fs::read_to_string(dir.path().join("config/intake.toml")).unwrap();
        assert!(
            settings.starts_with("# Written by `intake init`"),
            "{settings}"
        );
        let cfg = crate::config::Config::load_with_env(&dir.path().join("config/intake.toml"), &[])
            .expect("the written configuration loads");
        assert_eq!(cfg.call.id, "koplopers-vn-verdrag");

        std::fs::write(dir.path().join("config/intake.toml"), "# mine\n").unwrap();
        let e = write_config(dir.path()).unwrap_err().to_string();
        assert!(e.contains("never overwrites"), "{e}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("config/intake.toml")).unwrap(),
            "# mine\n"
        );
    }

    #[test]
    fn the_shipped_configuration_is_removed_when_no_longer_needed() {
        let shipped = Shipped::materialise().unwrap();
        let path = shipped.settings_path();
        assert!(path.is_file());
        crate::config::Config::load_with_env(&path, &[]).expect("loads");
        drop(shipped);
        assert!(!path.exists());
    }
}
