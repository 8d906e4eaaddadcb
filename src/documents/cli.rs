//! `intake extract FILE… [--text]`: what the intake would read from files, one line per
//! document (format, pages and basis, paper, characters, status and reason), and optionally
//! the text. Prints to stdout; never writes anywhere else.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::{Limits, Status, describe, from_file};

/// Runs `intake extract`. Exit code 0 when every document was read, 1 when any has a finding
/// (protected, scan, unreadable, unsupported, too large).
pub async fn extract_command(
    files: &[PathBuf],
    print_text: bool,
    limits: &Limits,
) -> anyhow::Result<ExitCode> {
    let mut all_ok = true;
    let stdout = std::io::stdout();
    for file in files {
        let bytes = tokio::fs::read(file)
            .await
            .with_context(|| format!("failed to read {}", file.display()))?;
        let name = file.display().to_string();
        let docs = from_file(&name, bytes, limits).await;
        let mut out = stdout.lock();
        for doc in &docs {
            all_ok &= doc.status == Status::Ok;
            writeln!(out, "{}", describe(doc)).context("failed to write to stdout")?;
            if print_text && !doc.text.is_empty() {
                writeln!(out, "{}\n", doc.text).context("failed to write to stdout")?;
            }
        }
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
