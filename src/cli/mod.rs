//! The `intake` command line: one subcommand per staff task. Each returns an exit code:
//! 0 done, 1 failed (the cause chain is printed), 2 wrong usage, 3 configuration problems (or
//! none found), 4 not found, 5 refused because an earlier step is missing (e.g. letters before
//! ratification), 6 the mailbox could not be read, 7 a mail could not be recorded, 8 another
//! intake holds the mailbox.
//!
//! The configuration is found here ([`find_config`]): commands that need no mailbox or database
//! (`extract`, `eval`, `init`, `check-config FILE`) work in any directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use chrono::Utc;
use clap::{Parser, Subcommand};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::assess::municipality::Municipalities;
use crate::config::{Config, MailboxKind};
use crate::daemon;
use crate::mailbox::Fetched;
use crate::pipeline::{self, Position};

mod check;
mod init;
pub mod logging;
mod outbox;
mod reports;
mod show;
mod staff;
mod web;

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
    /// The settings file [default: config/intake.toml in the working directory].
    #[arg(long, short, global = true, env = "INTAKE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// More log output: -v information, -vv debug, -vvv everything. Without it, one-shot
    /// commands log warnings and errors, the daemon (`run`) information too.
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less log output: -q errors only, -qq none.
    #[arg(long, short, global = true, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,
    /// Log format on stderr: text (for people) or json (one object per line, for log shipping).
    #[arg(
        long,
        global = true,
        value_enum,
        env = "INTAKE_LOG_FORMAT",
        default_value = "text"
    )]
    pub log_format: logging::LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Watch the mailbox, process mail, send letters; stops cleanly on Ctrl-C or SIGTERM.
    ///
    /// With --once: exit codes 0 done, 6 the mailbox could not be read, 7 a mail could not be
    /// recorded, 8 another intake holds the mailbox (after waiting up to lease_secs).
    Run {
        /// Process what is there, send what is due, print a summary and exit.
        #[arg(long)]
        once: bool,
        /// With --once: when another intake holds the mailbox, do not wait for it (exit 8).
        #[arg(long, requires = "once")]
        no_wait: bool,
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
    /// Check the configuration and report every problem, each with its file and key, and
    /// whether the secrets it names are there.
    ///
    /// Exit codes: 0 fine, 1 a --connect check failed, 3 problems, a missing secret, or no
    /// configuration found.
    CheckConfig {
        /// The settings file to check (instead of --config / config/intake.toml).
        file: Option<PathBuf>,
        /// Also log in to the mailbox and the mail server and reach the database (nothing is
        /// read, moved or sent; a token command is run).
        #[arg(long)]
        connect: bool,
    },
    /// Write a commented configuration (settings, the shipped call as an example, the letter
    /// templates) into DIR/config/, refusing to overwrite anything.
    ///
    /// Exit codes: 0 written, 1 a file exists already or cannot be written.
    Init {
        /// Where to create config/ [default: the working directory].
        dir: Option<PathBuf>,
    },
    /// List the outgoing letters: key, kind, addressee, state, attempts and the last error.
    Outbox {
        /// Only letters in this state.
        #[arg(long, value_enum)]
        state: Option<outbox::StateFilter>,
    },
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
    /// Send the letters to selected and not-selected municipalities through the outbox
    /// (`--send`), or show a letter as it was sent (`letters show KEY|REF`).
    ///
    /// Only after both office holders ratified; one letter per nomination, never twice.
    /// Exit codes: 0 done, 1 failed or a letter could not be addressed, 2 --send missing,
    /// 4 no such letter, 5 refused (not ratified by both, undecided nominations).
    #[command(args_conflicts_with_subcommands = true)]
    Letters {
        /// Queue and send the letters (without it nothing is done).
        #[arg(long)]
        send: bool,
        #[command(subcommand)]
        action: Option<LettersCommand>,
    },
    /// The staff workspace in the browser (sign-in, review, consult, decide, ratify) on
    /// `[web] bind`; behind a TLS reverse proxy in production.
    Serve(web::ServeArgs),
    /// Accounts of the staff workspace: add, list, disable.
    #[command(subcommand)]
    Staff(web::StaffCommand),
}

/// `intake letters …`
#[derive(Debug, Subcommand)]
pub enum LettersCommand {
    /// Print a queued or sent letter (its text part) with its state: by outbox key (e.g.
    /// confirmation:KVN-0007) or every letter about a nomination (e.g. KVN-0007).
    Show {
        /// An outbox key, or a reference.
        #[arg(value_name = "KEY|REF")]
        what: String,
    },
}

impl Command {
    /// The long-running daemon (`run` without `--once`), which logs more by default.
    pub fn is_daemon(&self) -> bool {
        matches!(self, Command::Run { once: false, .. })
    }
}

/// The default settings file, relative to the working directory.
pub const DEFAULT_CONFIG: &str = "config/intake.toml";

/// Where the settings come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigPath {
    /// Named with `--config`, `INTAKE_CONFIG` or `check-config FILE`.
    Given(PathBuf),
    /// `config/intake.toml` in the working directory, which exists.
    Default(PathBuf),
    /// None given and `config/intake.toml` is not in the working directory.
    Missing(PathBuf),
}

/// Finds the settings file: the one named, else `config/intake.toml` when it exists.
pub fn find_config(given: Option<&Path>) -> ConfigPath {
    match given {
        Some(p) => ConfigPath::Given(p.to_path_buf()),
        None => {
            let p = PathBuf::from(DEFAULT_CONFIG);
            if p.is_file() {
                ConfigPath::Default(p)
            } else {
                ConfigPath::Missing(p)
            }
        }
    }
}

/// What to say when a command needs a configuration and none is there: the file looked for,
/// where, and how to make one.
pub fn missing_config_message(path: &Path, given: bool) -> String {
    let cwd = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|_| ".".into());
    let looked = if given {
        format!(
            "{} (named with --config or INTAKE_CONFIG) does not exist",
            path.display()
        )
    } else {
        format!("{} not found in {cwd}", path.display())
    };
    format!(
        "error: no configuration: {looked}.\n  \
         This command needs one: run it in the folder that holds config/, or name the file with \
         --config FILE.\n  \
         To start one here: `intake init` writes a commented config/ (the shipped call as an \
         example); then `intake check-config`."
    )
}

/// Loads the configuration a command needs, or says why not (exit code 3).
fn load(given: Option<&Path>) -> Result<Config, ExitCode> {
    let path = match find_config(given) {
        ConfigPath::Given(p) if !p.exists() => {
            eprintln!("{}", missing_config_message(&p, true));
            return Err(ExitCode::from(EXIT_CONFIG));
        }
        ConfigPath::Given(p) | ConfigPath::Default(p) => p,
        ConfigPath::Missing(p) => {
            eprintln!("{}", missing_config_message(&p, false));
            return Err(ExitCode::from(EXIT_CONFIG));
        }
    };
    Config::load(&path).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(EXIT_CONFIG)
    })
}

/// The configuration for a command that needs no mailbox or database: the one found, or else
/// the shipped one (embedded in the binary), with a note on stderr.
fn load_or_shipped(given: Option<&Path>) -> Result<(Config, Option<init::Shipped>), ExitCode> {
    match find_config(given) {
        ConfigPath::Missing(_) => {
            let shipped = init::Shipped::materialise().map_err(|e| {
                eprintln!("error: failed to prepare the shipped configuration: {e:#}");
                ExitCode::from(1)
            })?;
            let cfg = Config::load(&shipped.settings_path()).map_err(|e| {
                eprintln!("{e}");
                ExitCode::from(EXIT_CONFIG)
            })?;
            eprintln!(
                "note: no {DEFAULT_CONFIG} here; using the shipped configuration (call {:?})",
                cfg.call.title
            );
            Ok((cfg, Some(shipped)))
        }
        _ => load(given).map(|c| (c, None)),
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let given = cli.config.as_deref();
    match cli.command {
        Command::CheckConfig { file, connect } => {
            let given = file.as_deref().or(given);
            match find_config(given) {
                ConfigPath::Given(p) if !p.exists() => {
                    eprintln!("{}", missing_config_message(&p, true));
                    Ok(ExitCode::from(EXIT_CONFIG))
                }
                ConfigPath::Missing(p) => {
                    eprintln!("{}", missing_config_message(&p, false));
                    Ok(ExitCode::from(EXIT_CONFIG))
                }
                ConfigPath::Given(p) | ConfigPath::Default(p) => {
                    check::check_config(&p, connect).await
                }
            }
        }
        Command::Init { dir } => init::init_command(dir.as_deref().unwrap_or(Path::new("."))),
        Command::Extract { files, text } => {
            let limits = match find_config(given) {
                // A municipality checking a file has no configuration: the default limits.
                ConfigPath::Missing(_) => crate::documents::Limits::default(),
                ConfigPath::Given(p) | ConfigPath::Default(p) => match Config::load(&p) {
                    Ok(c) => c.settings.documents,
                    Err(_) => {
                        eprintln!(
                            "note: {} has problems (see `intake check-config`); using the default limits",
                            p.display()
                        );
                        crate::documents::Limits::default()
                    }
                },
            };
            crate::documents::cli::extract_command(&files, text, &limits).await
        }
        Command::DocumentWorker { parent } => Ok(crate::documents::worker::serve(parent)),
        Command::Eval {
            dirs,
            cross_validate,
            no_weights,
        } => {
            let (cfg, _shipped) = match load_or_shipped(given) {
                Ok(c) => c,
                Err(code) => return Ok(code),
            };
            crate::assess::train::eval_command(&cfg, &dirs, cross_validate, no_weights)
        }
        Command::Train { dirs, no_db } => {
            let cfg = match load(given) {
                Ok(c) => c,
                Err(code) => return Ok(code),
            };
            crate::assess::train::train_command(&cfg, &dirs, !no_db).await
        }
        command => {
            let cfg = match load(given) {
                Ok(c) => c,
                Err(code) => return Ok(code),
            };
            let intake = App::open(cfg).await?;
            let code = with_intake(&intake, command).await;
            intake.db.close().await;
            code
        }
    }
}

/// "maildir var/mailbox" or "imap intake@vng.nl at outlook.office365.com:993".
fn mailbox_summary(cfg: &Config) -> String {
    let m = &cfg.settings.mailbox;
    match (m.kind, &m.imap) {
        (MailboxKind::Imap, Some(i)) => format!("imap {} at {}:{}", i.username, i.host, i.port),
        (MailboxKind::Imap, None) => "imap".to_string(),
        (MailboxKind::Maildir, _) => format!("maildir {}", m.maildir_path.display()),
    }
}

/// "file var/outbox" or "smtp smtp.office365.com:587".
fn outbox_summary(cfg: &Config) -> String {
    let o = &cfg.settings.outbox;
    match (&o.kind, &o.smtp) {
        (crate::config::OutboxKind::Smtp, Some(s)) => format!("smtp {}:{}", s.host, s.port),
        (crate::config::OutboxKind::Smtp, None) => "smtp".to_string(),
        (crate::config::OutboxKind::File, _) => format!("file {}", o.dir.display()),
    }
}

async fn with_intake(intake: &Arc<App>, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Migrate => {
            println!("database migrated ({})", intake.db.backend());
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { once, no_wait } => run_daemon(intake, once, !no_wait).await,
        Command::Ingest { files } => ingest(intake, &files).await,
        Command::Submissions => submissions(intake).await,
        Command::Show { reference } => show::show(intake, &reference).await,
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
        Command::Consultations => show::consultations(intake).await,
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
        Command::Letters {
            action: Some(LettersCommand::Show { what }),
            ..
        } => outbox::show_letters(intake, &what).await,
        Command::Letters { send: false, .. } => {
            eprintln!(
                "nothing done: `intake letters --send` queues and sends the decision letters; \
                 `intake letters show KEY|REF` prints a letter"
            );
            Ok(ExitCode::from(EXIT_USAGE))
        }
        Command::Letters { send: true, .. } => staff::letters_command(intake, true).await,
        Command::Outbox { state } => outbox::list(intake, state).await,
        Command::Serve(args) => web::serve(intake, args).await,
        Command::Staff(command) => web::staff(intake, command).await,
        Command::CheckConfig { .. }
        | Command::Init { .. }
        | Command::Extract { .. }
        | Command::Eval { .. }
        | Command::Train { .. }
        | Command::DocumentWorker { .. } => Ok(ExitCode::from(2)),
    }
}

async fn run_daemon(intake: &Arc<App>, once: bool, wait: bool) -> anyhow::Result<ExitCode> {
    let cancel = CancellationToken::new();
    if !once {
        let c = cancel.clone();
        tokio::spawn(async move {
            daemon::shutdown_signal().await;
            tracing::info!("stop requested; finishing the current mail");
            c.cancel();
        });
    }
    if once && let Some(busy) = wait_for_mailbox(intake, wait).await? {
        eprintln!("{}", mailbox_busy_message(intake, &busy));
        return Ok(ExitCode::from(EXIT_MAILBOX_BUSY));
    }
    let summary = daemon::run_configured(Arc::clone(intake), once, cancel).await?;
    if !once {
        return Ok(ExitCode::SUCCESS);
    }
    print!(
        "{}",
        once_summary(&summary, &intake.cfg.settings.outbox.dir)
    );
    if let Some(busy) = &summary.mailbox_busy {
        eprintln!("{}", mailbox_busy_message(intake, busy));
        return Ok(ExitCode::from(EXIT_MAILBOX_BUSY));
    }
    if let Some(e) = &summary.mailbox_error {
        eprintln!(
            "error: the mailbox could not be read: {}",
            crate::clean::line(e, 2000)
        );
        return Ok(ExitCode::from(EXIT_MAILBOX_UNREADABLE));
    }
    if summary.poll.failed > 0 {
        eprintln!(
            "error: {} could not be recorded; {} in the inbox and {} tried again (see `intake status`)",
            count_en(summary.poll.failed, "mail", "mails"),
            if summary.poll.failed == 1 {
                "it stays"
            } else {
                "they stay"
            },
            if summary.poll.failed == 1 {
                "is"
            } else {
                "are"
            },
        );
        return Ok(ExitCode::from(EXIT_MAIL_NOT_RECORDED));
    }
    Ok(ExitCode::SUCCESS)
}

/// "1 mail", "3 mails".
fn count_en(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// What `run --once` prints on stdout: what it read, the new references, what it sent. Plain
/// lines, readable in a terminal and in a file.
pub fn once_summary(summary: &daemon::RunSummary, outbox_dir: &Path) -> String {
    let p = &summary.poll;
    let mut out = String::new();
    if summary.mailbox_busy.is_some() {
        out.push_str("mailbox: not read (in use by another intake)\n");
    } else if summary.mailbox_error.is_some() {
        out.push_str("mailbox: could not be read\n");
    } else {
        let new = p.total() - p.already_stored;
        let mut parts = vec![
            count_en(p.nominations, "nomination", "nominations"),
            count_en(p.duplicates, "duplicate", "duplicates"),
            format!(
                "{} without a reply (auto-replies, bounces, list mail, partner answers)",
                p.other
            ),
            format!("{} quarantined", p.quarantined),
        ];
        if p.failed > 0 {
            parts.push(format!("{} not recorded", p.failed));
        }
        if new == 0 {
            out.push_str("mailbox: no new mail");
        } else {
            out.push_str(&format!(
                "mailbox: {} read: {}",
                count_en(new, "new mail", "new mails"),
                parts.join(", ")
            ));
        }
        if p.already_stored > 0 {
            out.push_str(&format!(
                " ({} stored before, only moved)",
                p.already_stored
            ));
        }
        out.push('\n');
    }
    if !p.references.is_empty() {
        let shown: Vec<&str> = p.references.iter().take(12).map(String::as_str).collect();
        let more = p.references.len().saturating_sub(shown.len());
        out.push_str(&format!(
            "new references: {}{}\n",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    out.push_str(&format!(
        "letters: {} sent, {} to retry, {} failed (outbox: {})\n",
        summary.sent,
        summary.retried,
        summary.failed,
        outbox_dir.display()
    ));
    out
}

/// With `run --once`: when another intake holds the mailbox lease, say who and until when and
/// wait (when `wait`) until it is free or has run out, at most `lease_secs`. `None`: the
/// mailbox is free; `Some`: still held (holder, until).
async fn wait_for_mailbox(
    intake: &Arc<App>,
    wait: bool,
) -> anyhow::Result<Option<(String, chrono::DateTime<Utc>)>> {
    let lease_secs = intake.cfg.settings.mailbox.lease_secs;
    let started = std::time::Instant::now();
    let limit = std::time::Duration::from_secs(lease_secs);
    let mut told = false;
    loop {
        let now = Utc::now();
        match store::lease_holder(&intake.db, "mailbox").await? {
            Some((holder, until)) if until >= now => {
                let waited = started.elapsed();
                if !wait || waited >= limit {
                    return Ok(Some((holder, until)));
                }
                if !told {
                    eprintln!(
                        "the mailbox is in use by {} until {} (in {} s); waiting up to {lease_secs} s \
                         for it (--no-wait: do not wait)",
                        describe_holder(&holder),
                        local_time(intake, until),
                        (until - now).num_seconds().max(0) + 1
                    );
                    told = true;
                }
                let pause = std::time::Duration::from_millis(500).min(limit - waited);
                tokio::time::sleep(pause).await;
            }
            _ => {
                if told {
                    eprintln!(
                        "the mailbox is free after {} s; reading it",
                        started.elapsed().as_secs()
                    );
                }
                return Ok(None);
            }
        }
    }
}

/// The one-line reason `run --once` gives when another intake holds the mailbox.
fn mailbox_busy_message(intake: &App, (holder, until): &(String, chrono::DateTime<Utc>)) -> String {
    format!(
        "error: the mailbox is in use by {} until {}; nothing was read (another `intake run` is \
         running, or one stopped without giving the mailbox up: then it is free at that time)",
        describe_holder(holder),
        local_time(intake, *until)
    )
}

/// "another intake (process 4242 on host-a)" from a lease holder `host:pid:random`.
pub fn describe_holder(holder: &str) -> String {
    let parts: Vec<&str> = holder.rsplitn(3, ':').collect();
    match parts.as_slice() {
        [_, pid, host] if pid.chars().all(|c| c.is_ascii_digit()) && !pid.is_empty() => {
            format!("another intake (process {pid} on {host})")
        }
        _ => format!("another intake ({holder})"),
    }
}

/// A time for operators: "2018-03-21 23:59:59 CET", in the call's time zone.
fn local_time(intake: &App, t: chrono::DateTime<Utc>) -> String {
    t.with_timezone(&intake.cfg.call.time_zone)
        .format("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

/// What became of one mail, for `intake ingest`.
fn outcome_en(o: &pipeline::Outcome) -> String {
    match o {
        pipeline::Outcome::Nomination {
            reference,
            confirmation: true,
        } => format!("nomination {reference}, confirmation queued"),
        pipeline::Outcome::Nomination {
            reference,
            confirmation: false,
        } => format!("nomination {reference}, no confirmation (see intake show {reference})"),
        pipeline::Outcome::Duplicate { .. } => "duplicate of a mail stored before".to_string(),
        pipeline::Outcome::AlreadyStored => "stored before".to_string(),
        pipeline::Outcome::Stored { kind } => {
            format!("stored ({}), no reply", kind.as_str().replace('_', " "))
        }
        pipeline::Outcome::Quarantined { reason } => {
            format!("quarantined: {}", crate::clean::line(reason, 300))
        }
    }
}

/// `run --once`: the mailbox could not be read at all.
pub const EXIT_MAILBOX_UNREADABLE: u8 = 6;
/// `run --once` / `ingest`: at least one mail could not even be recorded.
pub const EXIT_MAIL_NOT_RECORDED: u8 = 7;
/// `run --once`: another intake holds the mailbox (after waiting up to `lease_secs`, or at once
/// with `--no-wait`); nothing was read.
pub const EXIT_MAILBOX_BUSY: u8 = 8;

async fn ingest(intake: &Arc<App>, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
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
            Ok(outcome) => println!("{}: {}", path.display(), outcome_en(&outcome)),
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

async fn submissions(intake: &Arc<App>) -> anyhow::Result<ExitCode> {
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
            crate::digest::labels::status(crate::digest::collect::status_of(&s))
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

async fn consult(
    intake: &Arc<App>,
    mut references: Vec<String>,
    candidates: bool,
    yes: bool,
) -> anyhow::Result<ExitCode> {
    if candidates {
        let list = crate::consult::candidates(intake).await?;
        if list.is_empty() {
            println!("Geen kandidaten om de partners over te raadplegen.");
            return Ok(ExitCode::SUCCESS);
        }
        println!("Kandidaten:");
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
                "Consultatieverzoeken sturen aan {} over {}? [j/N] ",
                crate::digest::labels::count(intake.cfg.call.partners.len(), "partner", "partners"),
                crate::digest::labels::count(list.len(), "voordracht", "voordrachten")
            );
            std::io::stdout().flush()?;
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            if !matches!(
                line.trim().to_lowercase().as_str(),
                "j" | "ja" | "y" | "yes"
            ) {
                println!("Niets verstuurd.");
                return Ok(ExitCode::SUCCESS);
            }
        }
    }
    if references.is_empty() {
        eprintln!("noem een of meer kenmerken, of gebruik --candidates");
        return Ok(ExitCode::from(2));
    }
    match crate::actions::consult(intake, &references, Utc::now()).await {
        Ok(done) => {
            for (r, n) in done {
                println!(
                    "{r}: {} klaargezet",
                    crate::digest::labels::count(n, "verzoek", "verzoeken")
                );
            }
        }
        Err(e) => return staff::refusal(e),
    }
    let d = intake.send_now().await?;
    println!(
        "Brieven: {} verzonden, {} later opnieuw, {} mislukt.",
        d.sent, d.retried, d.failed
    );
    Ok(ExitCode::SUCCESS)
}

async fn status(intake: &Arc<App>) -> anyhow::Result<ExitCode> {
    let tz = intake.cfg.call.time_zone;
    let at = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z");
    println!("database: {}", intake.db.backend());
    let mailboxes = store::all_mailbox_states(&intake.db).await?;
    if mailboxes.is_empty() {
        println!("mailbox: never read (intake run --once)");
    }
    for m in mailboxes {
        println!(
            "mailbox {}: last check that worked {}; UIDVALIDITY {}, last UID {}",
            m.mailbox,
            m.last_success_at
                .map(|t| at(t).to_string())
                .unwrap_or_else(|| "never".into()),
            m.uidvalidity,
            m.last_uid.as_deref().unwrap_or("-")
        );
        if let Some(since) = m.failing_since {
            println!(
                "  FAILING since {}: {}",
                at(since),
                m.last_error.as_deref().unwrap_or("")
            );
        }
    }
    let counts = store::outbox_counts(&intake.db).await?;
    println!(
        "outbox: {}",
        if counts.is_empty() {
            "empty".to_string()
        } else {
            counts
                .iter()
                .map(|(status, n)| format!("{n} {status}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    for o in store::outbox_all(&intake.db).await? {
        if o.status == crate::domain::OutboxStatus::Failed
            || o.bounced_at.is_some()
            || (o.status == crate::domain::OutboxStatus::Pending && o.attempts > 0)
        {
            println!(
                "  {} to {}: {}{}",
                o.key,
                o.recipient,
                if o.bounced_at.is_some() {
                    "bounced"
                } else {
                    o.status.as_str()
                },
                o.last_error
                    .as_deref()
                    .or(o.bounce_reason.as_deref())
                    .map(|e| format!(" — {e}"))
                    .unwrap_or_default()
            );
        }
    }
    let messages = store::message_counts(&intake.db).await?;
    println!(
        "mails: {}",
        if messages.is_empty() {
            "none yet".to_string()
        } else {
            messages
                .iter()
                .map(|(kind, status, n)| format!("{n} {} {status}", kind.replace('_', "-")))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
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
                at(f.last_at),
                crate::clean::line(f.last_error.as_deref().unwrap_or(""), 300)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
