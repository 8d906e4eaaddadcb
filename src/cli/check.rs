//! `intake check-config [FILE] [--connect]`: the settings and the call, every problem at once
//! with file and key ([`crate::config::Config::load`]); then whether the secrets the settings
//! name are there (never showing them); with `--connect`, whether the mailbox, the mail server
//! and the database answer, without reading, moving or sending any mail.

use std::path::Path;
use std::process::ExitCode;

use super::{EXIT_CONFIG, mailbox_summary, outbox_summary};
use crate::config::{Config, MailboxKind, OutboxKind};
use crate::letters::Templates;
use crate::mailbox::MailSource as _;
use crate::mailbox::imap::{ImapAuth, ImapSource};
use crate::secrets::resolve_secret;

/// One line of the report: what was checked and how it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub what: String,
    pub outcome: Result<String, String>,
}

impl Check {
    fn ok(what: impl Into<String>, note: impl Into<String>) -> Check {
        Check {
            what: what.into(),
            outcome: Ok(note.into()),
        }
    }
    fn failed(what: impl Into<String>, why: impl Into<String>) -> Check {
        Check {
            what: what.into(),
            outcome: Err(why.into()),
        }
    }
}

/// Where a secret comes from, for people: "environment variable X", "file F", "command".
fn secret_source(env: &str, file: Option<&Path>, command: Option<&str>) -> String {
    match (command, file) {
        (Some(_), _) => "the token command (oauth_token_command)".to_string(),
        (None, Some(f)) => format!("file {}", f.display()),
        (None, None) => format!("environment variable {env}"),
    }
}

/// Whether the secrets the settings name can be read. A token command is only run with
/// `connect` (it may call out to a token service).
pub async fn secrets(cfg: &Config, connect: bool) -> Vec<Check> {
    let mut out = Vec::new();
    let m = &cfg.settings.mailbox;
    if m.kind == MailboxKind::Imap
        && let Some(i) = &m.imap
    {
        let command = match i.auth {
            ImapAuth::Xoauth2 => i.oauth_token_command.as_deref(),
            ImapAuth::Login => None,
        };
        out.push(
            secret_check(
                "mailbox secret",
                &i.password_env,
                i.password_file.as_deref(),
                command,
                connect,
            )
            .await,
        );
    }
    let o = &cfg.settings.outbox;
    if o.kind == OutboxKind::Smtp
        && let Some(s) = &o.smtp
        && s.username.is_some()
    {
        let command = match s.auth {
            crate::outbox::transport::SmtpAuth::Xoauth2 => s.oauth_token_command.as_deref(),
            _ => None,
        };
        out.push(
            secret_check(
                "mail server secret",
                &s.password_env,
                s.password_file.as_deref(),
                command,
                connect,
            )
            .await,
        );
    }
    out
}

async fn secret_check(
    what: &str,
    env: &str,
    file: Option<&Path>,
    command: Option<&str>,
    connect: bool,
) -> Check {
    let source = secret_source(env, file, command);
    if command.is_some() && !connect {
        return Check::ok(what, format!("from {source} (not run; --connect runs it)"));
    }
    match resolve_secret(env, file, command).await {
        Ok(_) => Check::ok(what, format!("from {source}: present")),
        Err(e) => Check::failed(what, e.to_string()),
    }
}

/// `--connect`: the mailbox (log in and list the inbox), the mail server (log in, send nothing)
/// and the database (PostgreSQL: connect; SQLite: whether the file is there yet).
pub async fn connections(cfg: &Config) -> Vec<Check> {
    let mut out = Vec::new();
    let m = &cfg.settings.mailbox;
    let mailbox = format!("mailbox ({})", mailbox_summary(cfg));
    let listed = match m.kind {
        MailboxKind::Maildir => {
            match crate::mailbox::maildir::Maildir::open(
                &m.maildir_path,
                &m.processed_folder,
                &m.quarantine_folder,
                std::time::Duration::from_secs(m.poll_interval_secs),
            ) {
                Ok(mut md) => md.list().await,
                Err(e) => Err(e),
            }
        }
        MailboxKind::Imap => match m.imap.clone() {
            Some(settings) => match ImapSource::new(
                settings,
                m.processed_folder.clone(),
                m.quarantine_folder.clone(),
            ) {
                // Dropping the source closes the connection (no LOGOUT: nothing was selected
                // for writing, so nothing is lost).
                Ok(mut source) => source.list().await,
                Err(e) => Err(e),
            },
            None => Err(anyhow::anyhow!("[mailbox.imap] is missing")),
        },
    };
    out.push(match listed {
        Ok(l) => Check::ok(
            mailbox,
            format!(
                "read: {} in the inbox ({} and {} are where processed mail goes)",
                match l.items.len() {
                    1 => "1 mail".to_string(),
                    n => format!("{n} mails"),
                },
                m.processed_folder,
                m.quarantine_folder
            ),
        ),
        Err(e) => Check::failed(mailbox, crate::clean::line(&format!("{e:#}"), 1000)),
    });
    let o = &cfg.settings.outbox;
    let outbox = format!("outbox ({})", outbox_summary(cfg));
    out.push(
        match crate::outbox::transport::Transport::from_settings(o.kind, &o.dir, o.smtp.as_ref()) {
            Ok(t) => match (o.kind, t.test_connection().await) {
                (OutboxKind::File, _) => Check::ok(outbox, "letters are written as files"),
                (OutboxKind::Smtp, Ok(())) => {
                    Check::ok(outbox, "connected and logged in; nothing sent")
                }
                (OutboxKind::Smtp, Err(e)) => Check::failed(outbox, crate::clean::line(&e, 1000)),
            },
            Err(e) => Check::failed(outbox, format!("{e:#}")),
        },
    );
    let url = &cfg.settings.database.url;
    let database = format!("database ({})", crate::config::redact_url(url));
    out.push(if let Some(path) = url.strip_prefix("sqlite://") {
        let file = path.split('?').next().unwrap_or(path);
        if Path::new(file).exists() {
            Check::ok(database, "the file is there")
        } else {
            Check::ok(database, "created on the first run")
        }
    } else if url.starts_with("sqlite:") {
        Check::ok(database, "SQLite")
    } else {
        match crate::store::Db::connect(url, 1).await {
            Ok(db) => {
                db.close().await;
                Check::ok(database, "connected")
            }
            Err(e) => Check::failed(database, format!("{e:#}")),
        }
    });
    out
}

/// `intake check-config`: exit 0 when all is well, 3 for problems in the settings or a missing
/// secret, 1 when a `--connect` check failed.
pub async fn check_config(path: &Path, connect: bool) -> anyhow::Result<ExitCode> {
    let cfg = match Config::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(EXIT_CONFIG));
        }
    };
    println!(
        "settings ok: {} (call {:?}, deadline {} {})",
        cfg.settings.path.display(),
        cfg.call.title,
        cfg.call.deadline,
        cfg.call.time_zone,
    );
    println!(
        "  mailbox {}; outbox {}; database {}",
        mailbox_summary(&cfg),
        outbox_summary(&cfg),
        crate::config::redact_url(&cfg.settings.database.url)
    );
    let lexicon = match crate::assess::lexicon::Lexicon::load(&cfg.call.lexicon_path) {
        Ok(lex) => crate::app::lexicon_problems(&cfg.call, &lex),
        Err(e) => vec![format!("{e:#}")],
    };
    if !lexicon.is_empty() {
        for p in &lexicon {
            eprintln!("  {}: {p}", cfg.call.lexicon_path.display());
        }
        eprintln!("error: the lexicon does not fit the call (see above)");
        return Ok(ExitCode::from(EXIT_CONFIG));
    }
    let templates = match crate::letters::Templates::load(&cfg.settings.templates_dir) {
        Ok(t) => template_problems(&t),
        Err(e) => vec![format!("{e:#}")],
    };
    if !templates.is_empty() {
        for p in &templates {
            eprintln!("  {p}");
        }
        eprintln!(
            "error: {} template problem(s) (see above); every template is rendered once with example data",
            templates.len()
        );
        return Ok(ExitCode::from(EXIT_CONFIG));
    }
    println!("  templates: every letter and report renders");
    let secrets = secrets(&cfg, connect).await;
    let connections = if connect {
        connections(&cfg).await
    } else {
        Vec::new()
    };
    for c in secrets.iter().chain(&connections) {
        match &c.outcome {
            Ok(note) => println!("{}: ok, {note}", c.what),
            Err(why) => println!("{}: FAILED: {why}", c.what),
        }
    }
    if secrets.iter().any(|c| c.outcome.is_err()) {
        eprintln!(
            "error: a secret is missing (see above); set it and run intake check-config again"
        );
        return Ok(ExitCode::from(EXIT_CONFIG));
    }
    if connections.iter().any(|c| c.outcome.is_err()) {
        eprintln!("error: a connection check failed (see above)");
        return Ok(ExitCode::from(1));
    }
    if !connect {
        println!("(intake check-config --connect also logs in to the mailbox and the mail server)");
    }
    Ok(ExitCode::SUCCESS)
}

/// Renders every letter and report template once with example data (each context's
/// `example()`), so that a template that uses a name its context lacks, or does not parse, is
/// found by `check-config` rather than when the letter is due. Returns one line per problem.
pub fn template_problems(t: &Templates) -> Vec<String> {
    use crate::consult::letters::{ConsultationContext, ReminderContext, ThanksContext};
    let mut problems = Vec::new();
    let mut check = |what: &str, r: anyhow::Result<()>| {
        if let Err(e) = r {
            problems.push(format!("template {what}: {e:#}"));
        }
    };
    let confirmation = crate::letters::ConfirmationContext::example();
    check(
        "confirmation",
        t.render("confirmation", &confirmation).map(drop),
    );
    let uncertain = crate::letters::ConfirmationContext {
        pages_uncertain: true,
        pages_basis: Some("metadata".into()),
        on_time: true,
        ..confirmation
    };
    check(
        "confirmation",
        t.render("confirmation", &uncertain).map(drop),
    );
    check(
        "alert",
        t.render("alert", &crate::letters::AlertContext::example())
            .map(drop),
    );
    for plain in [false, true] {
        let mut c = ConsultationContext::example();
        c.plain_language = plain;
        check("consultation", t.render("consultation", &c).map(drop));
        let mut r = ReminderContext::example();
        r.plain_language = plain;
        check("reminder", t.render("reminder", &r).map(drop));
        let mut th = ThanksContext::example();
        th.plain_language = plain;
        th.verdict_nl = plain.then(|| "steun".to_string());
        check("thanks", t.render("thanks", &th).map(drop));
    }
    for kind in ["selected", "not_selected"] {
        check(
            kind,
            t.render_with_subject(kind, &crate::selection::letters::DecisionView::example())
                .map(drop),
        );
    }
    check(
        "digest",
        crate::digest::render(&crate::digest::example::example(), t).map(drop),
    );
    problems
}

#[cfg(test)]
mod template_tests {
    use super::*;

    fn shipped() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/templates")
    }

    #[test]
    fn every_shipped_template_renders_with_its_example() {
        let t = Templates::load(&shipped()).expect("templates load");
        assert_eq!(template_problems(&t), Vec::<String>::new());
        assert!(t.names().len() >= 16, "{:?}", t.names());
    }

    #[test]
    fn a_template_using_an_unknown_name_is_reported_by_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        for e in std::fs::read_dir(shipped()).expect("templates") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                continue;
            }
            let name = p.file_name().expect("name").to_owned();
            std::fs::copy(&p, dir.path().join(name)).expect("copy");
        }
        let reminder = dir.path().join("reminder.txt.j2");
        let text = std::fs::read_to_string(&reminder).expect("reminder");
        std::fs::write(&reminder, format!("{text}\n{{{{ partner_nmae }}}}\n")).expect("write");
        let t = Templates::load(dir.path()).expect("templates load");
        let problems = template_problems(&t);
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(
            problems.iter().all(|p| p.contains("reminder.txt.j2")),
            "{problems:#?}"
        );
    }
}
