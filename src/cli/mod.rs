//! The `intake` command line: one subcommand per staff task. Each returns an exit code:
//! 0 done, 1 failed (the cause chain is printed), 2 wrong usage, 3 configuration problems,
//! 4 not found, 5 refused because an earlier step is missing (e.g. letters before ratification).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::Utc;
use clap::{Parser, Subcommand};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use crate::assess::municipality::Municipalities;
use crate::config::{Config, MailboxKind};
use crate::daemon;
use crate::mailbox::{Fetched, imap::ImapSource, maildir::Maildir};
use crate::pipeline::{self, Intake, Position};

mod reports;
mod staff;

/// Exit code: wrong usage.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: configuration problems.
pub const EXIT_CONFIG: u8 = 3;
/// Exit code: not found.
pub const EXIT_NOT_FOUND: u8 = 4;
/// Exit code: refused because a step that must come first has not been done.
pub const EXIT_REFUSED: u8 = 5;
use crate::store;

/// The e-mail intake of a call for nominations (VNG, Koplopers VN-Verdrag Handicap).
#[derive(Debug, Parser)]
#[command(name = "intake", version, about)]
pub struct Cli {
    /// The settings file.
    #[arg(
        long,
        short,
        global = true,
        env = "INTAKE_CONFIG",
        default_value = "config/intake.toml"
    )]
    pub config: PathBuf,
    /// More log output (-v: debug).
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Watch the mailbox, process mail, send letters; stops cleanly on Ctrl-C or SIGTERM.
    Run {
        /// Process what is there, send what is due, print a summary and exit.
        #[arg(long)]
        once: bool,
    },
    /// Run the pipeline on .eml files (as if they arrived in the mailbox), then send letters.
    Ingest {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List the nominations: reference, municipality, arrival, on time, pages, status.
    Submissions,
    /// Show one nomination with its findings and evidence.
    Show { reference: String },
    /// Apply the database migrations and exit.
    Migrate,
    /// Check the configuration and report every problem.
    CheckConfig,
    /// Read documents (PDF, Word, ODT, RTF, mail) and report format, pages, paper size and problems.
    Extract {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also print the extracted text.
        #[arg(long)]
        text: bool,
    },
    /// Score the claim extractor against labelled letters (the format of nominations-dev).
    Eval {
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Leave-out estimate: learn weights on K-1 parts of the letters, score the K-th.
        #[arg(long, value_name = "K")]
        cross_validate: Option<usize>,
        /// Score the lexicon alone, without the learned weights.
        #[arg(long)]
        no_weights: bool,
    },
    /// Learn the weights on top of the lexicon from labelled letters and staff overrides, and
    /// write them to the weights file the lexicon names.
    Train {
        /// Folders of labelled letters (default: the development letters and the tuning parts).
        dirs: Vec<PathBuf>,
        /// Do not learn from staff overrides in the database.
        #[arg(long)]
        no_db: bool,
    },
    /// Set the municipality of a nomination (staff correction), e.g. GM0363.
    SetMunicipality {
        reference: String,
        code: String,
        /// Who made the change (for the audit log).
        #[arg(long, env = "USER", default_value = "staff")]
        by: String,
    },
    /// Make a nomination the current version of its municipality (staff decision, e.g. for a
    /// version that came from another sender domain); the version that was current is kept.
    /// Exit codes: 0 done, 1 failed, 4 no such nomination.
    MakeCurrent {
        reference: String,
        /// Who made the change (for the audit log).
        #[arg(long, env = "USER", default_value = "staff")]
        by: String,
    },
    /// Override the advice on one criterion ("1", "2", "3" or "principle"): met (voldoet),
    /// weak (deels) or not_found (niet gevonden). The pre-assessment follows.
    /// Exit codes: 0 done, 1 failed, 2 unknown criterion, 4 no such nomination.
    Override {
        reference: String,
        criterion: String,
        #[arg(value_enum)]
        verdict: crate::domain::Verdict,
        #[arg(long, required = true)]
        note: String,
        #[arg(long, env = "USER", default_value = "staff")]
        by: String,
    },
    /// Ask the Alliance partners for advice on nominations.
    Consult {
        /// References to consult on.
        references: Vec<String>,
        /// Every current, on-time, identified nomination that meets the pre-assessment.
        #[arg(long)]
        candidates: bool,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Per nomination, each partner's state and answer, objections first; then the answers
    /// staff must settle.
    Consultations,
    /// Settle a held or unclear partner answer: `accept` counts it, `reject` does not.
    #[command(subcommand)]
    Answer(staff::AnswerCommand),
    /// Local contacts of a nomination (advisory councils, client councils, local members of
    /// the partners): add, list, confirm or dismiss.
    #[command(subcommand)]
    Contacts(staff::ContactsCommand),
    /// Set a partner's objection aside (staff decision, audit-logged): the nomination can then
    /// be shortlisted. The objection itself stays on record.
    SetAsideObjection {
        reference: String,
        /// The partner id from the call config (e.g. iederin, lfb).
        partner: String,
        /// Why staff set it aside (required).
        #[arg(long, required = true)]
        note: String,
        #[arg(long, env = "USER", default_value = "staff")]
        by: String,
    },
    /// Mailbox connection state, last successful check, outbox backlog and failures.
    Status,
    /// The staff digest on demand, since the last daily digest: print it, or send it now.
    ///
    /// Exit codes: 0 done, 1 failed.
    #[command(group(clap::ArgGroup::new("action").required(true).multiple(true).args(["print", "send", "html"])))]
    Digest {
        /// Write the plain-text version to stdout.
        #[arg(long)]
        print: bool,
        /// Send it to the staff recipients of the call now (the daily digest still follows).
        #[arg(long)]
        send: bool,
        /// Also write the HTML version to FILE (charts embedded, opens in a browser).
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Export every nomination with its findings, consultation and decision.
    ///
    /// CSV is UTF-8 with BOM and `;`-separated, so it opens in columns in Dutch Excel.
    /// Exit codes: 0 done, 1 failed.
    Export {
        #[arg(long, value_enum)]
        format: crate::digest::export::ExportFormat,
        /// Where to write it; `-` for stdout.
        #[arg(long, short, value_name = "FILE")]
        output: PathBuf,
    },
    /// Propose a shortlist: maximal spread over provinces and themes among eligible nominations.
    ///
    /// Prints the objective, each pick with why, the reserves and why others are not eligible.
    /// It is advice: record decisions with `intake decide`. Exit codes: 0 done, 1 failed.
    Shortlist {
        /// How many to propose (default: selection_size of the call).
        #[arg(long)]
        size: Option<usize>,
    },
    /// Record the staff decision on a nomination (kept in the audit log; the latest counts).
    ///
    /// Exit codes: 0 done, 1 failed, 4 no such nomination, 5 refused (already ratified).
    Decide {
        /// The reference, e.g. KVN-0007.
        reference: String,
        #[arg(value_enum)]
        decision: crate::domain::Decision,
        /// Why (for the audit log; never sent to the municipality).
        #[arg(long, required = true)]
        note: String,
        /// Who decided (for the audit log).
        #[arg(long, env = "USER", default_value = "staff")]
        by: String,
    },
    /// Record the ratification of the selection by one of the two office holders of the call.
    ///
    /// Every current nomination needs a decision first; after a ratification decisions are
    /// frozen. Exit codes: 0 done, 1 failed, 2 NAME is not an office holder, 5 refused
    /// (undecided nominations, nothing selected).
    Ratify {
        /// Name (or role) of the office holder, as in the call config.
        #[arg(long, required = true, value_name = "NAME")]
        by: String,
        /// Optional remark for the audit log.
        #[arg(long)]
        note: Option<String>,
    },
    /// Internal: parse one document sent on stdin (the intake starts this itself, under
    /// memory and CPU limits).
    #[command(name = "document-worker", hide = true)]
    DocumentWorker {
        /// Process id of the intake that started it: the worker stops when it is gone.
        #[arg(long)]
        parent: u32,
    },
    /// Send the letters to selected and not-selected municipalities through the outbox.
    ///
    /// Only after both office holders ratified; one letter per nomination, never twice.
    /// Exit codes: 0 done, 1 failed or a letter could not be addressed, 2 --send missing,
    /// 5 refused (not ratified by both, undecided nominations).
    Letters {
        /// Queue and send the letters (without it nothing is done).
        #[arg(long)]
        send: bool,
    },
}

/// Sets up logging to stderr: fields, never mail content. `RUST_LOG` overrides the level.
pub fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "info,sqlx=warn,lopdf=error,pdf_extract=error",
        1 => "debug,sqlx=warn",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn load(path: &Path) -> Result<Config, ExitCode> {
    Config::load(path).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(3)
    })
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::CheckConfig => {
            let cfg = match load(&cli.config) {
                Ok(c) => c,
                Err(code) => return Ok(code),
            };
            println!(
                "configuration ok: call {:?}, deadline {} ({}), mailbox {:?}, database {}, outbox {:?}",
                cfg.call.title,
                cfg.call.deadline,
                cfg.call.time_zone,
                cfg.settings.mailbox.kind,
                crate::config::redact_url(&cfg.settings.database.url),
                cfg.settings.outbox.kind
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Extract { files, text } => {
            let limits = match Config::load(&cli.config) {
                Ok(c) => c.settings.documents,
                Err(_) => crate::documents::Limits::default(),
            };
            crate::documents::cli::extract_command(&files, text, &limits).await
        }
        Command::DocumentWorker { parent } => Ok(crate::documents::worker::serve(parent)),
        Command::Eval {
            dirs,
            cross_validate,
            no_weights,
        } => {
            let cfg = match load(&cli.config) {
                Ok(c) => c,
                Err(code) => return Ok(code),
            };
            crate::assess::train::eval_command(&cfg, &dirs, cross_validate, no_weights)
        }
        Command::Train { dirs, no_db } => {
            let cfg = match load(&cli.config) {
                Ok(c) => c,
                Err(code) => return Ok(code),
            };
            crate::assess::train::train_command(&cfg, &dirs, !no_db).await
        }
        command => {
            let cfg = match load(&cli.config) {
                Ok(c) => c,
                Err(code) => return Ok(code),
            };
            let intake = Intake::open(cfg).await?;
            let code = with_intake(&intake, command).await;
            intake.db.close().await;
            code
        }
    }
}

async fn with_intake(intake: &Arc<Intake>, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Migrate => {
            println!("database migrated ({})", intake.db.backend());
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { once } => run_daemon(intake, once).await,
        Command::Ingest { files } => ingest(intake, &files).await,
        Command::Submissions => submissions(intake).await,
        Command::Show { reference } => show(intake, &reference).await,
        Command::SetMunicipality {
            reference,
            code,
            by,
        } => staff::set_municipality(intake, &reference, &code, &by).await,
        Command::MakeCurrent { reference, by } => {
            staff::make_current(intake, &reference, &by).await
        }
        Command::Override {
            reference,
            criterion,
            verdict,
            note,
            by,
        } => staff::override_criterion(intake, &reference, &criterion, verdict, &note, &by).await,
        Command::Consult {
            references,
            candidates,
            yes,
        } => consult(intake, references, candidates, yes).await,
        Command::Consultations => consultations(intake).await,
        Command::Answer(cmd) => staff::answer(intake, cmd).await,
        Command::Contacts(cmd) => staff::contacts(intake, cmd).await,
        Command::SetAsideObjection {
            reference,
            partner,
            note,
            by,
        } => staff::set_aside_objection(intake, &reference, &partner, &note, &by).await,
        Command::Status => status(intake).await,
        Command::Digest { print, send, html } => {
            reports::digest(intake, print, send, html.as_deref(), Utc::now()).await
        }
        Command::Export { format, output } => reports::export(intake, format, &output).await,
        Command::Shortlist { size } => staff::shortlist_command(intake, size).await,
        Command::Decide {
            reference,
            decision,
            note,
            by,
        } => staff::decide_command(intake, &reference, decision, &note, &by).await,
        Command::Ratify { by, note } => staff::ratify_command(intake, &by, note.as_deref()).await,
        Command::Letters { send } => staff::letters_command(intake, send).await,
        Command::CheckConfig
        | Command::Extract { .. }
        | Command::Eval { .. }
        | Command::Train { .. }
        | Command::DocumentWorker { .. } => Ok(ExitCode::from(2)),
    }
}

async fn run_daemon(intake: &Arc<Intake>, once: bool) -> anyhow::Result<ExitCode> {
    let cancel = CancellationToken::new();
    if !once {
        let c = cancel.clone();
        tokio::spawn(async move {
            daemon::shutdown_signal().await;
            tracing::info!("stop requested; finishing the current mail");
            c.cancel();
        });
    }
    let m = &intake.cfg.settings.mailbox;
    let summary = match m.kind {
        MailboxKind::Maildir => {
            let source = Maildir::open(
                &m.maildir_path,
                &m.processed_folder,
                &m.quarantine_folder,
                std::time::Duration::from_secs(m.poll_interval_secs),
            )?;
            daemon::run(Arc::clone(intake), source, once, cancel).await?
        }
        MailboxKind::Imap => {
            let settings = m.imap.clone().context("[mailbox.imap] is missing")?;
            let source = ImapSource::new(
                settings,
                m.processed_folder.clone(),
                m.quarantine_folder.clone(),
            )?;
            daemon::run(Arc::clone(intake), source, once, cancel).await?
        }
    };
    if once {
        let p = &summary.poll;
        println!(
            "processed {} mail(s): {} nomination(s), {} duplicate(s), {} other (auto-replies, bounces, partner answers), {} quarantined{}",
            p.total() - p.already_stored,
            p.nominations,
            p.duplicates,
            p.other,
            p.quarantined,
            if p.already_stored > 0 {
                format!(", {} already stored", p.already_stored)
            } else {
                String::new()
            }
        );
        if !p.references.is_empty() {
            let shown: Vec<&str> = p.references.iter().take(12).map(String::as_str).collect();
            let more = p.references.len().saturating_sub(shown.len());
            println!(
                "new references: {}{}",
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            );
        }
        println!(
            "letters: {} sent, {} to retry, {} failed (outbox: {})",
            summary.sent,
            summary.retried,
            summary.failed,
            intake.cfg.settings.outbox.dir.display()
        );
        if let Some(e) = &summary.mailbox_error {
            eprintln!("error: the mailbox could not be read: {e}");
            return Ok(ExitCode::from(EXIT_MAILBOX_UNREADABLE));
        }
        if p.failed > 0 {
            eprintln!(
                "error: {} mail(s) could not be recorded; they stay in the inbox and are tried again (see `intake status`)",
                p.failed
            );
            return Ok(ExitCode::from(EXIT_MAIL_NOT_RECORDED));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `run --once`: the mailbox could not be read at all.
pub const EXIT_MAILBOX_UNREADABLE: u8 = 6;
/// `run --once` / `ingest`: at least one mail could not even be recorded.
pub const EXIT_MAIL_NOT_RECORDED: u8 = 7;

async fn ingest(intake: &Arc<Intake>, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    let mut not_recorded = false;
    for path in files {
        let raw = match std::fs::read(path) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{}: cannot be read: {e}", path.display());
                failed = true;
                continue;
            }
        };
        let file_time = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .map(chrono::DateTime::<Utc>::from);
        let pos = Position {
            mailbox: "ingest".into(),
            uidvalidity: 0,
            uid: hex::encode(Sha256::digest(&raw)),
        };
        let outcome = pipeline::process(
            intake,
            &pos,
            Fetched {
                uid: pos.uid.clone(),
                raw,
                internal_date: None,
                file_time,
            },
            Utc::now(),
        )
        .await;
        match outcome {
            Ok(outcome) => println!("{}: {outcome:?}", path.display()),
            Err(e) => {
                eprintln!("{}: could not be recorded: {e:#}", path.display());
                not_recorded = true;
            }
        }
    }
    let d = intake.send_now().await?;
    println!(
        "letters: {} sent, {} to retry, {} failed",
        d.sent, d.retried, d.failed
    );
    Ok(if not_recorded {
        ExitCode::from(EXIT_MAIL_NOT_RECORDED)
    } else if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn municipality_name(code: Option<&str>) -> String {
    code.and_then(|c| Municipalities::embedded().by_code(c))
        .map(|m| m.name.clone())
        .unwrap_or_else(|| "(onbekend)".into())
}

async fn submissions(intake: &Arc<Intake>) -> anyhow::Result<ExitCode> {
    let tz = intake.cfg.call.time_zone;
    println!(
        "{:<9} {:<28} {:<17} {:<7} {:<6} {:<10} status",
        "kenmerk", "gemeente", "ontvangen", "op tijd", "pag.", "advies"
    );
    for s in store::submissions(&intake.db).await? {
        println!(
            "{:<9} {:<28} {:<17} {:<7} {:<6} {:<10} {}",
            s.reference,
            truncate(&municipality_name(s.municipality_code.as_deref()), 28),
            s.arrived_at.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
            if s.on_time { "ja" } else { "NEE" },
            s.pages
                .map(|p| {
                    // "?": controleer lengte (too unsure to judge), "!": over the limit.
                    let mark = match (&s.page_uncertain, s.over_by) {
                        (Some(_), _) => "?",
                        (None, Some(_)) => "!",
                        (None, None) => "",
                    };
                    format!("{p}{mark}")
                })
                .unwrap_or_else(|| "?".into()),
            if s.meets_minimum { "voldoet" } else { "-" },
            if s.is_current {
                "geldend".to_string()
            } else {
                "vervangen/laat".to_string()
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

async fn show(intake: &Arc<Intake>, reference: &str) -> anyhow::Result<ExitCode> {
    let Some(s) = store::submission_by_reference(&intake.db, &reference.to_uppercase()).await?
    else {
        eprintln!("no nomination {reference}");
        return Ok(ExitCode::from(4));
    };
    let call = &intake.cfg.call;
    let tz = call.time_zone;
    let m = s
        .municipality_code
        .as_deref()
        .and_then(|c| Municipalities::embedded().by_code(c));
    println!(
        "{} — {}",
        s.reference,
        m.map(|m| format!("Gemeente {} ({})", m.name, m.province))
            .unwrap_or_else(|| "gemeente onbekend".into())
    );
    println!(
        "  afzender:   {} {}",
        crate::clean::line(
            s.sender_name.as_deref().unwrap_or(""),
            crate::clean::MAX_NAME
        ),
        s.sender
    );
    if let Some(r) = &s.reply_to {
        println!(
            "  antwoord-aan: {r} (wijkt af van de afzender; de bevestiging ging naar de afzender)"
        );
    }
    if s.other_sender {
        println!(
            "  LET OP:     deze versie kwam van een ander afzenderdomein; een medewerker beslist welke versie telt (intake make-current {})",
            s.reference
        );
    }
    println!(
        "  herkenning: {} [{}]",
        s.municipality_basis.as_deref().unwrap_or("-"),
        s.municipality_confidence.as_deref().unwrap_or("-")
    );
    for f in s.flags() {
        println!("  LET OP:     {f}");
    }
    println!(
        "  ontvangen:  {} — {} (deadline {}, verschil {} s)",
        crate::letters::dutch_datetime(s.arrived_at, tz),
        if s.on_time { "op tijd" } else { "TE LAAT" },
        crate::letters::dutch_datetime(s.deadline_at, tz),
        s.deadline_diff_secs
    );
    println!("  pagina's:   {}", s.page_note.as_deref().unwrap_or("-"));
    for p in s.non_a4_list() {
        println!("  papier:     {p}");
    }
    println!(
        "  versie:     {}{}",
        s.version,
        s.version_note
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    );
    println!("  geldend:    {}", if s.is_current { "ja" } else { "nee" });
    println!("  documenten:");
    for d in store::documents_of(&intake.db, s.id).await? {
        println!(
            "    - {} [{}; {}; {} pag. {}; {}{}]",
            d.name
                .as_deref()
                .map(|n| crate::clean::line(n, crate::clean::MAX_NAME))
                .unwrap_or_else(|| "tekst in de e-mail".into()),
            d.format,
            d.role,
            d.pages.map(|p| p.to_string()).unwrap_or_else(|| "?".into()),
            d.page_basis.as_deref().unwrap_or(""),
            d.status,
            d.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        );
    }
    let claims = store::claims_of(&intake.db, s.id).await?;
    println!("  beoordeling (advies; staf beslist):");
    let mut ids: Vec<String> = call.criteria.iter().map(|c| c.id.clone()).collect();
    ids.push(call.principle.id.clone());
    let assessments = store::assessments_of(&intake.db, s.id).await?;
    for id in ids {
        let Some(a) = assessments.iter().find(|a| a.criterion == id) else {
            continue;
        };
        let over = a
            .staff_verdict
            .as_ref()
            .map(|v| {
                format!(
                    " → staf: {v} ({}, {})",
                    a.staff_note.as_deref().unwrap_or(""),
                    a.staff_by.as_deref().unwrap_or("")
                )
            })
            .unwrap_or_default();
        println!(
            "    {} {}: {}{} — {}",
            id,
            call.criterion_title(&id),
            a.machine_verdict,
            over,
            a.note
        );
        let ev: Vec<i64> = serde_json::from_str(&a.evidence).unwrap_or_default();
        for c in claims.iter().filter(|c| ev.contains(&c.id)).take(4) {
            let sentence: String = c.sentence.split_whitespace().collect::<Vec<_>>().join(" ");
            println!(
                "      «{}»{}{}",
                truncate(&sentence, 160),
                c.domain
                    .as_deref()
                    .map(|d| format!(" [{}]", call.domain_title(d)))
                    .unwrap_or_default(),
                if c.kind != "evidence" {
                    format!(" ({})", c.kind)
                } else {
                    String::new()
                }
            );
        }
    }
    println!(
        "  voldoet aan minimum (2 van 3 + principe): {}",
        if s.meets_minimum { "ja" } else { "nee" }
    );
    let cons = store::consult::consultations_of(&intake.db, s.id).await?;
    let contacts = store::contacts::contacts_of(&intake.db, s.id).await?;
    if !cons.is_empty() {
        println!("  consultatie:");
        for c in cons {
            println!(
                "    - {}: {}{}",
                staff::partner_label(intake, &contacts, &c.partner_id),
                c.standing().label_nl(),
                c.motivation
                    .as_deref()
                    .map(|m| format!(": «{}»", truncate(m, 120)))
                    .unwrap_or_default()
            );
        }
    }
    if !contacts.is_empty() {
        println!("  lokale organisaties:");
        for c in &contacts {
            println!(
                "    - {} ({}, contact {}): {}{}",
                c.name,
                c.kind,
                c.id,
                c.status.label_nl(),
                c.address
                    .as_deref()
                    .map(|a| format!(", {a}"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn consult(
    intake: &Arc<Intake>,
    mut references: Vec<String>,
    candidates: bool,
    yes: bool,
) -> anyhow::Result<ExitCode> {
    if candidates {
        let list = crate::consult::candidates(intake).await?;
        if list.is_empty() {
            println!("no candidates to consult on");
            return Ok(ExitCode::SUCCESS);
        }
        println!("candidates:");
        for s in &list {
            println!(
                "  {} {}",
                s.reference,
                municipality_name(s.municipality_code.as_deref())
            );
            references.push(s.reference.clone());
        }
        if !yes {
            use std::io::{BufRead, Write};
            print!(
                "send consultation requests to {} partner(s) for these {} nomination(s)? [j/N] ",
                intake.cfg.call.partners.len(),
                list.len()
            );
            std::io::stdout().flush()?;
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            if !matches!(
                line.trim().to_lowercase().as_str(),
                "j" | "ja" | "y" | "yes"
            ) {
                println!("nothing sent");
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
    if references.is_empty() {
        eprintln!("name references, or use --candidates");
        return Ok(ExitCode::from(2));
    }
    match crate::actions::consult(intake, &references, Utc::now()).await {
        Ok(done) => {
            for (r, n) in done {
                println!("{r}: {n} partner request(s) queued");
            }
        }
        Err(e) => return staff::refusal(e),
    }
    let d = intake.send_now().await?;
    println!(
        "letters: {} sent, {} to retry, {} failed",
        d.sent, d.retried, d.failed
    );
    Ok(ExitCode::SUCCESS)
}

async fn consultations(intake: &Arc<Intake>) -> anyhow::Result<ExitCode> {
    let all = store::consult::all_consultations(&intake.db).await?;
    let subs = store::submissions(&intake.db).await?;
    let contacts = store::contacts::all_contacts(&intake.db).await?;
    let mut by_sub: Vec<(i64, Vec<store::consult::ConsultationRow>)> = Vec::new();
    for c in all {
        match by_sub.iter_mut().find(|(id, _)| *id == c.submission_id) {
            Some((_, v)) => v.push(c),
            None => by_sub.push((c.submission_id, vec![c])),
        }
    }
    // Objections first.
    by_sub.sort_by_key(|(id, v)| {
        (
            !v.iter()
                .any(|c| c.standing() == crate::domain::Standing::Objection),
            *id,
        )
    });
    for (id, cons) in by_sub {
        let s = subs.iter().find(|s| s.id == id);
        println!(
            "{} {}",
            s.map(|s| s.reference.as_str()).unwrap_or("?"),
            municipality_name(s.and_then(|s| s.municipality_code.as_deref()))
        );
        for c in cons {
            let partner = staff::partner_label(intake, &contacts, &c.partner_id);
            println!(
                "  {:<40} {}{}",
                partner,
                c.standing().label_nl(),
                c.motivation
                    .as_deref()
                    .map(|m| format!(
                        " — {}",
                        truncate(&m.split_whitespace().collect::<Vec<_>>().join(" "), 100)
                    ))
                    .unwrap_or_default()
            );
        }
    }
    let to_settle = staff::answers_to_settle_lines(intake).await?;
    if !to_settle.is_empty() {
        println!("\nTe beoordelen ({}):", to_settle.len());
        for line in to_settle {
            println!("  {line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn status(intake: &Arc<Intake>) -> anyhow::Result<ExitCode> {
    let tz = intake.cfg.call.time_zone;
    println!("database: {}", intake.db.backend());
    for m in store::all_mailbox_states(&intake.db).await? {
        println!(
            "mailbox {}: UIDVALIDITY {}, last UID {}",
            m.mailbox,
            m.uidvalidity,
            m.last_uid.as_deref().unwrap_or("-")
        );
        println!(
            "  last successful check: {}",
            m.last_success_at
                .map(|t| crate::letters::dutch_datetime(t, tz))
                .unwrap_or_else(|| "never".into())
        );
        if let Some(since) = m.failing_since {
            println!(
                "  FAILING since {}: {}",
                crate::letters::dutch_datetime(since, tz),
                m.last_error.as_deref().unwrap_or("")
            );
        }
    }
    print!("outbox:");
    for (status, n) in store::outbox_counts(&intake.db).await? {
        print!(" {status} {n};");
    }
    println!();
    for o in store::outbox_all(&intake.db).await? {
        if o.status == "failed"
            || o.bounced_at.is_some()
            || (o.status == "pending" && o.attempts > 0)
        {
            println!(
                "  {} to {}: {}{}",
                o.key,
                o.recipient,
                o.status,
                o.last_error
                    .as_deref()
                    .or(o.bounce_reason.as_deref())
                    .map(|e| format!(" — {e}"))
                    .unwrap_or_default()
            );
        }
    }
    print!("messages:");
    for (kind, status, n) in store::message_counts(&intake.db).await? {
        print!(" {kind}/{status} {n};");
    }
    println!();
    let to_settle = staff::answers_to_settle_lines(intake).await?;
    if !to_settle.is_empty() {
        println!("partner answers to settle ({}):", to_settle.len());
        for line in to_settle {
            println!("  {line}");
        }
    }
    let unrecorded = store::open_mail_failures(&intake.db).await?;
    if !unrecorded.is_empty() {
        println!("mails that could not be recorded (still in the mailbox):");
        for f in unrecorded {
            println!(
                "  {} UID {}: {} attempt(s), last {}: {}",
                f.mailbox,
                f.uid,
                f.failures,
                crate::letters::dutch_datetime(f.last_at, tz),
                crate::clean::line(f.last_error.as_deref().unwrap_or(""), 300)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
