//! `intake serve` (the staff workspace in the browser, optionally with the daemon in the same
//! process) and `intake staff add|list|disable` (its accounts). Passwords are read from stdin
//! or generated; only their argon2id hash is stored, and they are never logged.

use std::io::{BufRead as _, IsTerminal as _};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::Utc;
use clap::{Args, Subcommand};
use tokio_util::sync::CancellationToken;

use super::{EXIT_NOT_FOUND, EXIT_REFUSED, EXIT_USAGE};
use crate::app::App;
use crate::daemon;
use crate::domain::EmailAddress;
use crate::store;
use crate::web::account::{self, Role};

/// `intake serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Also run the daemon (mailbox, letters, digest) in this process; without it, run
    /// `intake run` beside it on the same database.
    #[arg(long)]
    pub with_daemon: bool,
}

/// `intake staff …`.
#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create a workspace account (or, with --replace, give an existing one a new role and
    /// password). The password comes from stdin (--password-stdin) or is generated and shown
    /// once (--generate-password). Exit codes: 0 done, 2 wrong usage or weak password,
    /// 5 the account exists (use --replace).
    #[command(group(clap::ArgGroup::new("password").required(true).args(["password_stdin", "generate_password"])))]
    Add {
        /// The person's e-mail address (their sign-in name).
        email: String,
        /// staff (review, correct, consult, decide), office-holder (ratify) or read-only.
        #[arg(long, value_enum)]
        role: Role,
        /// Display name; for an office holder their name (or role) as in the call config.
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of stdin (at least 12 characters).
        #[arg(long)]
        password_stdin: bool,
        /// Generate a strong password and print it once.
        #[arg(long)]
        generate_password: bool,
        /// Replace the role, name and password of an existing account (and enable it again).
        #[arg(long)]
        replace: bool,
        /// Who made the change (for the audit log).
        #[arg(long, env = "USER", default_value = "beheer")]
        by: String,
    },
    /// List the accounts: address, name, role, state, last sign-in.
    List,
    /// Disable an account and end its sessions (it stays on record). Exit codes: 0 done,
    /// 4 no such account.
    Disable {
        email: String,
        #[arg(long, env = "USER", default_value = "beheer")]
        by: String,
    },
}

/// `intake serve [--with-daemon]`: serves until Ctrl-C or SIGTERM.
pub async fn serve(app: &Arc<App>, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let settings = app.cfg.settings.web.clone();
    let web = crate::web::Web::new(Arc::clone(app), settings)?;
    let listener = tokio::net::TcpListener::bind(web.settings.bind)
        .await
        .with_context(|| format!("failed to listen on {}", web.settings.bind))?;
    let local = listener.local_addr()?;
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        daemon::shutdown_signal().await;
        tracing::info!("stop requested");
        c.cancel();
    });
    let daemon = if args.with_daemon {
        Some(tokio::spawn(run_daemon(Arc::clone(app), cancel.clone())))
    } else {
        None
    };
    println!(
        "werkplek: {} (luistert op {local}); stoppen met Ctrl-C",
        web.settings.base_url
    );
    let served = crate::web::serve(web, listener, cancel.clone()).await;
    cancel.cancel();
    if let Some(d) = daemon {
        d.await.context("the daemon task failed")??;
    }
    served?;
    Ok(ExitCode::SUCCESS)
}

/// The daemon loop of `intake run`, stopped by `cancel`.
async fn run_daemon(app: Arc<App>, cancel: CancellationToken) -> anyhow::Result<()> {
    daemon::run_configured(app, false, cancel).await.map(drop)
}

/// `intake staff add|list|disable`.
pub async fn staff(app: &App, command: StaffCommand) -> anyhow::Result<ExitCode> {
    match command {
        StaffCommand::Add {
            email,
            role,
            name,
            password_stdin,
            generate_password: _,
            replace,
            by,
        } => {
            add(
                app,
                &email,
                role,
                name.as_deref(),
                password_stdin,
                replace,
                &by,
            )
            .await
        }
        StaffCommand::List => list(app).await,
        StaffCommand::Disable { email, by } => disable(app, &email, &by).await,
    }
}

/// The account's display name: an office holder's name as in the call config, else the
/// given name or the address's local part. `Err` is the usage message.
fn account_name(
    app: &App,
    email: &EmailAddress,
    role: Role,
    name: Option<&str>,
) -> Result<String, String> {
    let given = name
        .map(|n| crate::clean::line(n, 120))
        .filter(|n| !n.is_empty());
    if role != Role::OfficeHolder {
        return Ok(given.unwrap_or_else(|| email.local().to_string()));
    }
    let holders = &app.cfg.call.office_holders;
    let list = || {
        holders
            .iter()
            .map(|h| format!("{:?} ({})", h.name, h.role))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(given) = given else {
        return Err(format!(
            "an office holder needs --name with their name as in the call: {}",
            list()
        ));
    };
    holders
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(&given) || h.role.eq_ignore_ascii_case(&given))
        .map(|h| h.name.clone())
        .ok_or_else(|| {
            format!(
                "{given:?} is not an office holder of this call; use one of: {}",
                list()
            )
        })
}

async fn add(
    app: &App,
    email: &str,
    role: Role,
    name: Option<&str>,
    password_stdin: bool,
    replace: bool,
    by: &str,
) -> anyhow::Result<ExitCode> {
    let Some(email) = EmailAddress::parse(email) else {
        eprintln!("{email:?} is not an e-mail address");
        return Ok(ExitCode::from(EXIT_USAGE));
    };
    let name = match account_name(app, &email, role, name) {
        Ok(n) => n,
        Err(msg) => {
            eprintln!("{msg}");
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    };
    let (password, generated) = if password_stdin {
        if std::io::stdin().is_terminal() {
            eprintln!(
                "wachtwoord (minstens {} tekens), dan Enter:",
                account::MIN_PASSWORD_CHARS
            );
        }
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("failed to read the password from stdin")?;
        (line.trim_end_matches(['\r', '\n']).to_string(), false)
    } else {
        (account::generate_password(), true)
    };
    if let Some(problem) = account::password_problem(&password) {
        eprintln!("{problem}");
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    let hash = {
        let p = password.clone();
        tokio::task::spawn_blocking(move || account::hash_password(&p))
            .await
            .context("the password hashing task failed")??
    };
    let now = Utc::now();
    let mut tx = app.db.begin().await?;
    let (done, action) = if replace {
        (
            store::staff::replace_account(&mut tx, email.as_str(), &name, role, &hash).await?,
            "staff_account_replaced",
        )
    } else {
        (
            store::staff::insert_account(&mut tx, email.as_str(), &name, role, &hash, now).await?,
            "staff_account_added",
        )
    };
    if !done {
        drop(tx);
        if replace {
            eprintln!("no account {email}; add it without --replace");
            return Ok(ExitCode::from(EXIT_NOT_FOUND));
        }
        eprintln!(
            "account {email} exists already; use --replace to give it a new role and password"
        );
        return Ok(ExitCode::from(EXIT_REFUSED));
    }
    store::event(
        &mut tx,
        now,
        crate::actions::Actor::new(by).as_str(),
        action,
        None,
        None,
        &format!("{email}: {name}, rol {role}"),
    )
    .await?;
    tx.commit().await?;
    println!(
        "account {}: {email} ({name}, {})",
        if replace { "vervangen" } else { "aangemaakt" },
        role.label_nl()
    );
    if generated {
        println!("wachtwoord (wordt maar één keer getoond): {password}");
    }
    Ok(ExitCode::SUCCESS)
}

async fn list(app: &App) -> anyhow::Result<ExitCode> {
    let tz = app.cfg.call.time_zone;
    let now = Utc::now();
    println!(
        "{:<34} {:<26} {:<24} {:<28} laatst aangemeld",
        "e-mailadres", "naam", "rol", "stand"
    );
    for a in store::staff::all_accounts(&app.db).await? {
        let state = if a.disabled_at.is_some() {
            "uitgeschakeld".to_string()
        } else if let Some(until) = a.locked_until.filter(|u| *u > now) {
            format!(
                "geblokkeerd tot {}",
                crate::digest::labels::short_date_time(until, tz)
            )
        } else {
            "actief".to_string()
        };
        println!(
            "{:<34} {:<26} {:<24} {:<28} {}",
            a.email,
            a.name,
            a.role.label_nl(),
            state,
            a.last_sign_in_at
                .map(|t| crate::digest::labels::short_date_time(t, tz))
                .unwrap_or_else(|| "nooit".into())
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn disable(app: &App, email: &str, by: &str) -> anyhow::Result<ExitCode> {
    let Some(email) = EmailAddress::parse(email) else {
        eprintln!("{email:?} is not an e-mail address");
        return Ok(ExitCode::from(EXIT_USAGE));
    };
    let now = Utc::now();
    let mut tx = app.db.begin().await?;
    if !store::staff::disable_account(&mut tx, email.as_str(), now).await? {
        eprintln!("no account {email}");
        return Ok(ExitCode::from(EXIT_NOT_FOUND));
    }
    store::event(
        &mut tx,
        now,
        crate::actions::Actor::new(by).as_str(),
        "staff_account_disabled",
        None,
        None,
        &format!("{email}: uitgeschakeld, sessies beëindigd"),
    )
    .await?;
    tx.commit().await?;
    println!("account {email} uitgeschakeld; de sessies zijn beëindigd");
    Ok(ExitCode::SUCCESS)
}
