//! Reports for staff on the command line: the digest on demand and the export.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use crate::app::App;
use crate::digest::collect::{self, Snapshot};
use crate::digest::export::{ExportFormat, export_bytes};
use crate::digest::{html_with_embedded_images, render};
use crate::store::digest as sd;

/// `intake digest --print | --send [--html FILE]`: the digest since the last scheduled one.
/// `--send` queues it for every staff recipient at once (key `digest:manual:<time>`) and
/// delivers it; it does not replace the scheduled digest of the day.
pub async fn digest(
    app: &App,
    print: bool,
    send: bool,
    html: Option<&Path>,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let since = sd::last_sent_digest(&app.db).await?.map(|d| d.period_end);
    let snap = Snapshot::load(&app.db).await?;
    let data = collect::digest_data(&app.cfg.call, &snap, since, now);
    let rendered =
        render(&data, &app.cfg.settings.templates_dir).context("failed to render the digest")?;
    if let Some(path) = html {
        std::fs::write(path, html_with_embedded_images(&rendered))
            .with_context(|| format!("failed to write {}", path.display()))?;
        eprintln!("HTML written to {}", path.display());
    }
    if print {
        println!("Onderwerp: {}\n", rendered.subject);
        print!("{}", rendered.text);
    }
    if send {
        let key = format!("digest:manual:{}", now.format("%Y%m%dT%H%M%SZ"));
        // On demand: failed deliveries stay unreported for the scheduled digest.
        crate::digest::schedule::enqueue_digest(app, &data, &rendered, &key, None, &[], now)
            .await?;
        let d = app.send_now().await?;
        println!(
            "digest queued for {} recipient(s); letters: {} sent, {} to retry, {} failed",
            app.cfg.call.staff.recipients.len(),
            d.sent,
            d.retried,
            d.failed
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `intake export --format csv|xlsx --output FILE` (`-` writes to stdout).
pub async fn export(app: &App, format: ExportFormat, output: &Path) -> anyhow::Result<ExitCode> {
    let (bytes, n) = export_bytes(app, format).await?;
    if output == Path::new("-") {
        use std::io::Write as _;
        std::io::stdout()
            .write_all(&bytes)
            .context("failed to write to stdout")?;
    } else {
        std::fs::write(output, &bytes)
            .with_context(|| format!("failed to write {}", output.display()))?;
        eprintln!("{n} nomination(s) written to {}", output.display());
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// intake shortlist

// ---------------------------------------------------------------------------------------------
// intake decide / ratify

// ---------------------------------------------------------------------------------------------
// intake letters
