//! The staff commands of the digest area: `intake digest`, `export`, `shortlist`, `decide`,
//! `ratify` and `letters`. Each has a library function that does the work and returns a typed
//! outcome (tests call these), and a `*_command` wrapper that prints and returns the exit code
//! for `cli.rs`.
//!
//! Exit codes, as in `cli.rs`: 0 done, 1 failed (cause chain printed by `main`), 2 wrong usage
//! (e.g. a name that is not an office holder), 4 not found, and 5 refused because a step comes
//! first (a decision after the ratification, a ratification while nominations are undecided,
//! letters before both office holders ratified).
//!
//! Order of the final steps, enforced here: every current nomination gets a decision
//! (`decide`), then both office holders ratify (`ratify`), which freezes the decisions, then
//! `letters --send` queues one letter per current nomination through the outbox (key
//! `decision:<reference>`, so a second run sends nothing twice). Nothing is rejected
//! automatically: a nomination without a decision blocks the ratification.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::collect::{self, Snapshot};
use super::{
    DecisionLetterData, DecisionLetterKind, export, render, render_decision_letter, shortlist,
};
use crate::daemon;
use crate::letters::{self, Outgoing};
use crate::pipeline::Intake;
use crate::store::{self, NewOutbox, digest as sd};

/// Exit code: a step that must come first has not been done.
pub const EXIT_REFUSED: u8 = 5;
/// Exit code: not found.
pub const EXIT_NOT_FOUND: u8 = 4;
/// Exit code: wrong usage.
pub const EXIT_USAGE: u8 = 2;

/// File format of `intake export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// UTF-8 with BOM, `;`-separated: opens in columns in Dutch Excel.
    Csv,
    /// An Excel workbook with real dates, filters and a frozen header row.
    Xlsx,
}

/// A staff decision on one nomination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Decision {
    /// Chosen as a koploper.
    Selected,
    /// Not chosen now; first in line if a selected one drops out.
    Reserve,
    /// Not chosen.
    Rejected,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Selected => "selected",
            Decision::Reserve => "reserve",
            Decision::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "selected" => Some(Decision::Selected),
            "reserve" => Some(Decision::Reserve),
            "rejected" => Some(Decision::Rejected),
            _ => None,
        }
    }
}

/// Why a staff step was refused.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error("no nomination {0}")]
    NotFound(String),
    #[error("{given:?} is not an office holder of this call; use one of: {}", valid.join("; "))]
    UnknownOfficeHolder { given: String, valid: Vec<String> },
    #[error("the selection was already ratified by {}; decisions can no longer change", .0.join("; "))]
    AlreadyRatified(Vec<String>),
    #[error("{} current nomination(s) have no decision yet: {}", .0.len(), .0.join(", "))]
    Undecided(Vec<String>),
    #[error("no nomination is selected; there is nothing to ratify")]
    NothingSelected,
    #[error("the selection is not ratified yet by: {}", .0.join("; "))]
    NotRatified(Vec<String>),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl StepError {
    /// The exit code for this refusal.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            StepError::NotFound(_) => EXIT_NOT_FOUND,
            StepError::UnknownOfficeHolder { .. } => EXIT_USAGE,
            StepError::Other(_) => 1,
            _ => EXIT_REFUSED,
        })
    }
}

/// Prints a refusal and turns it into an exit code; real failures go up with their cause chain.
fn refusal(e: StepError) -> anyhow::Result<ExitCode> {
    match e {
        StepError::Other(e) => Err(e),
        e => {
            eprintln!("{e}");
            Ok(e.exit_code())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// intake digest

/// `intake digest --print | --send [--html FILE]`: the digest since the last scheduled one.
/// `--send` queues it for every staff recipient at once (key `digest:manual:<time>`) and
/// delivers it; it does not replace the scheduled digest of the day.
pub async fn digest_command(
    intake: &Intake,
    print: bool,
    send: bool,
    html: Option<&Path>,
    now: DateTime<Utc>,
) -> anyhow::Result<ExitCode> {
    let since = sd::last_sent_digest(&intake.db)
        .await?
        .map(|d| d.period_end);
    let snap = Snapshot::load(&intake.db).await?;
    let data = collect::digest_data(&intake.cfg.call, &snap, since, now);
    let rendered =
        render(&data, &intake.cfg.settings.templates_dir).context("failed to render the digest")?;
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
        super::schedule::enqueue_digest(intake, &data, &rendered, &key, None, &[], now).await?;
        let me = daemon::worker_id();
        let d = crate::outbox::drain_once(
            &intake.db,
            &daemon::transport(intake)?,
            &daemon::policy(intake, &me),
            Utc::now,
        )
        .await?;
        println!(
            "digest queued for {} recipient(s); letters: {} sent, {} to retry, {} failed",
            intake.cfg.call.staff.recipients.len(),
            d.sent,
            d.retried,
            d.failed
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The digest HTML with its `cid:` images as `data:` URIs, so a saved file shows them.
pub fn html_with_embedded_images(r: &super::RenderedDigest) -> String {
    let mut html = r.html.clone();
    for img in &r.images {
        html = html.replace(
            &format!("cid:{}", img.cid),
            &format!("data:image/png;base64,{}", base64(&img.png)),
        );
    }
    html
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// intake export

/// The export of every nomination (all versions, with their status) in `format`.
pub async fn export_bytes(
    intake: &Intake,
    format: ExportFormat,
) -> anyhow::Result<(Vec<u8>, usize)> {
    let call = &intake.cfg.call;
    let snap = Snapshot::load(&intake.db).await?;
    let rows = collect::nomination_rows(call, &snap, true);
    let criteria: Vec<(String, String)> = call
        .criteria
        .iter()
        .map(|c| (c.id.clone(), c.title.clone()))
        .collect();
    let bytes = match format {
        ExportFormat::Csv => export::csv(&rows, &criteria, call.time_zone),
        ExportFormat::Xlsx => export::xlsx(&rows, &criteria, call.time_zone)?,
    };
    Ok((bytes, rows.len()))
}

/// `intake export --format csv|xlsx --output FILE` (`-` writes to stdout).
pub async fn export_command(
    intake: &Intake,
    format: ExportFormat,
    output: &Path,
) -> anyhow::Result<ExitCode> {
    let (bytes, n) = export_bytes(intake, format).await?;
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

/// The shortlist proposal from the database (staff overrides applied).
pub async fn shortlist_proposal(
    intake: &Intake,
    size: Option<usize>,
) -> anyhow::Result<shortlist::Shortlist> {
    let call = &intake.cfg.call;
    let snap = Snapshot::load(&intake.db).await?;
    // Themes by their Dutch titles, so the explanations read as the staff know them.
    let mut cands = collect::candidates(call, &snap);
    for c in &mut cands {
        c.domains = c.domains.iter().map(|d| call.domain_title(d)).collect();
    }
    let domains: Vec<String> = call.domains.iter().map(|d| d.title.clone()).collect();
    Ok(shortlist::shortlist(
        &cands,
        size.unwrap_or(call.selection_size),
        call.minimum_criteria,
        call.require_principle,
        &collect::provinces(),
        &domains,
    ))
}

/// `intake shortlist [--size N]`: the objective, each pick with why, the reserves, the rest.
pub async fn shortlist_command(intake: &Intake, size: Option<usize>) -> anyhow::Result<ExitCode> {
    let s = shortlist_proposal(intake, size).await?;
    println!("{}\n", s.objective);
    println!("Voorstel ({}):", s.picks.len());
    for (i, p) in s.picks.iter().enumerate() {
        println!(
            "{:>3}. {} {} ({})\n       {}",
            i + 1,
            p.reference,
            p.municipality,
            p.province,
            p.why
        );
    }
    println!("\nReserves ({}):", s.reserves.len());
    for (i, p) in s.reserves.iter().enumerate() {
        println!(
            "{:>3}. {} {} ({})\n       {}",
            i + 1,
            p.reference,
            p.municipality,
            p.province,
            p.why
        );
    }
    if !s.excluded.is_empty() {
        println!("\nNiet geschikt ({}):", s.excluded.len());
        for (r, why) in &s.excluded {
            println!("     {r}: {why}");
        }
    }
    println!(
        "\nDit is een voorstel. Leg besluiten vast met: intake decide REF selected|reserve|rejected --note …"
    );
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// intake decide / ratify

/// Records a staff decision on `reference`, in the audit log too. Refused once ratified.
pub async fn record_decision(
    intake: &Intake,
    reference: &str,
    decision: Decision,
    note: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), StepError> {
    let reference = reference.trim().to_uppercase();
    let s = store::submission_by_reference(&intake.db, &reference)
        .await?
        .ok_or_else(|| StepError::NotFound(reference.clone()))?;
    let ratified = sd::ratifications(&intake.db).await?;
    if !ratified.is_empty() {
        return Err(StepError::AlreadyRatified(
            ratified.into_iter().map(|r| r.office_holder).collect(),
        ));
    }
    let mut tx = intake.db.begin().await?;
    sd::insert_decision(&mut tx, s.id, decision.as_str(), Some(note), by, now).await?;
    store::event(
        &mut tx,
        now,
        by,
        "decision",
        Some(s.id),
        None,
        &format!("{}: {note}", decision.as_str()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `intake decide REF selected|reserve|rejected --note …`
pub async fn decide_command(
    intake: &Intake,
    reference: &str,
    decision: Decision,
    note: &str,
    by: &str,
) -> anyhow::Result<ExitCode> {
    match record_decision(intake, reference, decision, note, by, Utc::now()).await {
        Ok(()) => {
            let snap = Snapshot::load(&intake.db).await?;
            let counts = collect::decision_counts(&snap);
            let undecided = snap
                .submissions
                .iter()
                .filter(|s| s.is_current && snap.decision_of(s.id).is_none())
                .count();
            println!(
                "{}: {} ({}). Stand: {} gekozen, {} reserve, {} niet gekozen, {} zonder besluit.",
                reference.trim().to_uppercase(),
                super::labels::decision(decision.as_str()),
                note,
                counts.get("selected").copied().unwrap_or(0),
                counts.get("reserve").copied().unwrap_or(0),
                counts.get("rejected").copied().unwrap_or(0),
                undecided
            );
            if decision == Decision::Selected {
                let selected = counts.get("selected").copied().unwrap_or(0);
                if selected > intake.cfg.call.selection_size {
                    println!(
                        "Let op: {selected} gekozen, meer dan de {} van de oproep.",
                        intake.cfg.call.selection_size
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refusal(e),
    }
}

/// What a ratification did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ratified {
    /// The office holder's name as in the call config.
    pub office_holder: String,
    /// This office holder had already ratified (nothing changed).
    pub already: bool,
    /// Office holders who have not ratified yet.
    pub missing: Vec<String>,
}

/// Records the ratification by `by` (an office holder's name or role from the call config,
/// case-insensitive). Every current nomination must have a decision and at least one must be
/// selected.
pub async fn record_ratification(
    intake: &Intake,
    by: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Ratified, StepError> {
    let call = &intake.cfg.call;
    let wanted = by.trim();
    let holder = call
        .office_holders
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(wanted) || h.role.eq_ignore_ascii_case(wanted))
        .ok_or_else(|| StepError::UnknownOfficeHolder {
            given: by.to_string(),
            valid: call
                .office_holders
                .iter()
                .map(|h| format!("{} ({})", h.name, h.role))
                .collect(),
        })?;
    let snap = Snapshot::load(&intake.db).await?;
    let undecided: Vec<String> = snap
        .submissions
        .iter()
        .filter(|s| s.is_current && snap.decision_of(s.id).is_none())
        .map(|s| s.reference.clone())
        .collect();
    if !undecided.is_empty() {
        return Err(StepError::Undecided(undecided));
    }
    if collect::decision_counts(&snap)
        .get("selected")
        .copied()
        .unwrap_or(0)
        == 0
    {
        return Err(StepError::NothingSelected);
    }
    let mut tx = intake.db.begin().await?;
    let added = sd::insert_ratification(&mut tx, &holder.name, note, now).await?;
    if added {
        store::event(
            &mut tx,
            now,
            &holder.name,
            "ratification",
            None,
            None,
            &format!(
                "{} ({}) bekrachtigt de keuze{}",
                holder.name,
                holder.role,
                note.map(|n| format!(": {n}")).unwrap_or_default()
            ),
        )
        .await?;
    }
    let done = sd::ratifications_tx(&mut tx).await?;
    tx.commit().await?;
    let missing = call
        .office_holders
        .iter()
        .filter(|h| !done.iter().any(|r| r.office_holder == h.name))
        .map(|h| h.name.clone())
        .collect();
    Ok(Ratified {
        office_holder: holder.name.clone(),
        already: !added,
        missing,
    })
}

/// `intake ratify --by NAME`
pub async fn ratify_command(
    intake: &Intake,
    by: &str,
    note: Option<&str>,
) -> anyhow::Result<ExitCode> {
    match record_ratification(intake, by, note, Utc::now()).await {
        Ok(r) => {
            if r.already {
                println!("{} had de keuze al bekrachtigd.", r.office_holder);
            } else {
                println!("Bekrachtigd door {}.", r.office_holder);
            }
            if r.missing.is_empty() {
                println!(
                    "Beide bekrachtigingen zijn binnen. Verstuur de brieven met: intake letters --send"
                );
            } else {
                println!("Nog nodig: {}.", r.missing.join("; "));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refusal(e),
    }
}

// ---------------------------------------------------------------------------------------------
// intake letters

/// What `letters --send` queued.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LettersQueued {
    /// Letters to selected municipalities newly queued.
    pub selected: usize,
    /// Letters to not-selected municipalities (reserve or rejected) newly queued.
    pub not_selected: usize,
    /// Letters queued on an earlier run (not queued again).
    pub already: usize,
    /// (reference, reason) of nominations that got no letter.
    pub skipped: Vec<(String, String)>,
}

/// Queues the decision letters, one per current nomination (key `decision:<reference>`), only
/// after every office holder ratified. Idempotent.
pub async fn queue_decision_letters(
    intake: &Intake,
    now: DateTime<Utc>,
) -> Result<LettersQueued, StepError> {
    let cfg = &intake.cfg;
    let call = &cfg.call;
    let snap = Snapshot::load(&intake.db).await?;
    let missing: Vec<String> = call
        .office_holders
        .iter()
        .filter(|h| !snap.ratifications.iter().any(|r| r.office_holder == h.name))
        .map(|h| h.name.clone())
        .collect();
    if !missing.is_empty() {
        return Err(StepError::NotRatified(missing));
    }
    let current: Vec<&store::SubmissionRow> =
        snap.submissions.iter().filter(|s| s.is_current).collect();
    let undecided: Vec<String> = current
        .iter()
        .filter(|s| snap.decision_of(s.id).is_none())
        .map(|s| s.reference.clone())
        .collect();
    if !undecided.is_empty() {
        return Err(StepError::Undecided(undecided));
    }
    let ratified_at = snap
        .ratifications
        .iter()
        .map(|r| r.ratified_at)
        .max()
        .unwrap_or(now);
    let ratified_by: Vec<String> = call
        .office_holders
        .iter()
        .map(|h| format!("{}, {}", h.name, h.role))
        .collect();
    let selected_count = current
        .iter()
        .filter(|s| {
            snap.decision_of(s.id)
                .is_some_and(|d| d.decision == "selected")
        })
        .count();
    let domain = cfg
        .settings
        .mailbox
        .address
        .rsplit_once('@')
        .map(|(_, d)| d)
        .unwrap_or("localhost");
    let mut out = LettersQueued::default();
    let mut tx = intake.db.begin().await?;
    for s in current {
        let Some(decision) = snap.decision_of(s.id) else {
            continue;
        };
        let kind = if decision.decision == "selected" {
            DecisionLetterKind::Selected
        } else {
            DecisionLetterKind::NotSelected
        };
        if crate::domain::EmailAddress::parse(&s.sender).is_none() {
            out.skipped.push((
                s.reference.clone(),
                format!("afzender {:?} is geen e-mailadres", s.sender),
            ));
            continue;
        }
        let row = collect::nomination_row(call, &snap, s);
        let municipality = row
            .municipality
            .clone()
            .or_else(|| s.sender_name.clone())
            .unwrap_or_else(|| s.sender.clone());
        let letter = render_decision_letter(
            kind,
            &DecisionLetterData {
                call_title: call.title.clone(),
                reference: s.reference.clone(),
                municipality,
                arrived_at: s.arrived_at,
                ratified_at,
                ratified_by: ratified_by.clone(),
                selected_count,
                // The decision note is internal (audit log); it never goes to the municipality.
                note: None,
                contact_name: cfg.settings.mailbox.display_name.clone(),
                contact_email: cfg.settings.mailbox.address.clone(),
                tz: call.time_zone,
            },
            &cfg.settings.templates_dir,
        )
        .with_context(|| format!("failed to render the letter for {}", s.reference))?;
        let message_id = format!("<decision.{}@{domain}>", s.reference);
        let raw = letters::build(&Outgoing {
            from_name: cfg.settings.mailbox.display_name.clone(),
            from_address: cfg.settings.mailbox.address.clone(),
            to: s.sender.clone(),
            subject: letter.subject.clone(),
            text: letter.text,
            html: letter.html,
            message_id: message_id.clone(),
            date: Some(now),
            ..Outgoing::default()
        })
        .with_context(|| format!("failed to build the letter for {}", s.reference))?;
        let kind_str = kind.template_base();
        let added = store::enqueue(
            &mut tx,
            &NewOutbox {
                cc: &[],
                key: &format!("decision:{}", s.reference),
                kind: kind_str,
                submission_id: Some(s.id),
                recipient: &s.sender,
                sender: &cfg.settings.mailbox.address,
                subject: &letter.subject,
                message_id: &message_id,
                raw: &raw,
                now,
            },
        )
        .await?;
        if added {
            store::event(
                &mut tx,
                now,
                "intake",
                "decision_letter",
                Some(s.id),
                None,
                kind_str,
            )
            .await?;
            match kind {
                DecisionLetterKind::Selected => out.selected += 1,
                DecisionLetterKind::NotSelected => out.not_selected += 1,
            }
        } else {
            out.already += 1;
        }
    }
    tx.commit().await?;
    Ok(out)
}

/// `intake letters --send`
pub async fn letters_command(intake: &Intake, send: bool) -> anyhow::Result<ExitCode> {
    if !send {
        eprintln!("nothing done: add --send to queue and send the decision letters");
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    let q = match queue_decision_letters(intake, Utc::now()).await {
        Ok(q) => q,
        Err(e) => return refusal(e),
    };
    for (r, why) in &q.skipped {
        eprintln!("{r}: no letter: {why}");
    }
    let me = daemon::worker_id();
    let d = crate::outbox::drain_once(
        &intake.db,
        &daemon::transport(intake)?,
        &daemon::policy(intake, &me),
        Utc::now,
    )
    .await?;
    println!(
        "letters queued: {} selected, {} not selected ({} queued before); sent now: {}, to retry: {}, failed: {}",
        q.selected, q.not_selected, q.already, d.sent, d.retried, d.failed
    );
    Ok(if q.skipped.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_4648_test_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want, "{input:?}");
        }
    }

    #[test]
    fn decisions_parse_only_the_three_known_words() {
        for d in [Decision::Selected, Decision::Reserve, Decision::Rejected] {
            assert_eq!(Decision::parse(d.as_str()), Some(d));
        }
        assert_eq!(Decision::parse("gekozen"), None);
    }
}
