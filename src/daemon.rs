//! The long-running loops as step functions plus one small loop: [`poll_once`] (mailbox →
//! pipeline → acknowledge), the outbox drain, and the consultation reminders. [`run`] repeats
//! them until cancelled; a cancellation is only looked at between mails, so a transaction is
//! never cut. Several daemons may run at once: a database lease lets one read the mailbox, and
//! outbox rows are claimed one by one.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::config::MailboxKind;
use crate::mailbox::imap::ImapSource;
use crate::mailbox::maildir::Maildir;
use crate::mailbox::{Disposition, MailSource};
use crate::outbox::transport::Transport;
use crate::outbox::worker::{self, Policy};
use crate::pipeline::{self, Outcome, Position};
use crate::store;

/// What one look at the mailbox did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollOutcome {
    pub nominations: usize,
    pub other: usize,
    pub duplicates: usize,
    pub quarantined: usize,
    pub already_stored: usize,
    /// Mails that could not even be recorded this time (left in the inbox, retried next time,
    /// moved to the quarantine folder after [`MAX_MAIL_FAILURES`] attempts).
    pub failed: usize,
    /// References of the nominations stored.
    pub references: Vec<String>,
}

impl PollOutcome {
    /// Adds what another look at the mailbox did.
    fn add(&mut self, p: PollOutcome) {
        self.nominations += p.nominations;
        self.other += p.other;
        self.duplicates += p.duplicates;
        self.quarantined += p.quarantined;
        self.already_stored += p.already_stored;
        self.failed += p.failed;
        self.references.extend(p.references);
    }
}

impl PollOutcome {
    pub fn total(&self) -> usize {
        self.nominations
            + self.other
            + self.duplicates
            + self.quarantined
            + self.already_stored
            + self.failed
    }
}

/// After this many failed attempts to record one mail, it is moved to the quarantine folder
/// unrecorded (it stays there, nothing is lost) and staff are alerted, so it cannot hold up the
/// mail behind it.
pub const MAX_MAIL_FAILURES: i64 = 3;

/// After this many mails in a row could not be recorded, the look at the mailbox ends: the
/// cause is then the connection or the database, not the mails.
const MAX_FAILURES_IN_A_ROW: usize = 3;

/// Processes everything now in the inbox, oldest first, acknowledging each after its commit.
/// Stops early (between mails) when `cancel` fires. One mail that cannot be recorded does not
/// stop the others; see [`MAX_MAIL_FAILURES`].
pub async fn poll_once<S: MailSource>(
    intake: &Arc<App>,
    source: &mut S,
    cancel: &CancellationToken,
    letters_queued: Option<&Notify>,
) -> anyhow::Result<PollOutcome> {
    let mut out = PollOutcome::default();
    let listing = match source.list().await {
        Ok(l) => l,
        Err(e) => {
            let _ = store::mailbox_failed(
                &intake.db,
                &source.describe(),
                &format!("{e:#}"),
                Utc::now(),
            )
            .await;
            return Err(e);
        }
    };
    store::mailbox_ok(
        &intake.db,
        &listing.mailbox,
        listing.uidvalidity,
        Utc::now(),
    )
    .await?;
    let mut in_a_row = 0;
    for item in &listing.items {
        if cancel.is_cancelled() {
            break;
        }
        let pos = Position {
            mailbox: listing.mailbox.clone(),
            uidvalidity: listing.uidvalidity,
            uid: item.uid.clone(),
        };
        let outcome = if item.size > intake.cfg.settings.mailbox.max_message_bytes {
            pipeline::record_oversized(intake, &pos, item.size, Utc::now()).await
        } else {
            match source.fetch(&item.uid).await {
                // The listing said it fits; the bytes decide.
                Ok(fetched)
                    if fetched.raw.len() as u64 > intake.cfg.settings.mailbox.max_message_bytes =>
                {
                    let size = fetched.raw.len() as u64;
                    drop(fetched);
                    pipeline::record_oversized(intake, &pos, size, Utc::now()).await
                }
                Ok(fetched) => pipeline::process(intake, &pos, fetched, Utc::now()).await,
                Err(e) => Err(e.context("failed to fetch the mail")),
            }
        };
        let outcome = match outcome {
            Ok(o) => {
                in_a_row = 0;
                o
            }
            Err(e) => {
                out.failed += 1;
                in_a_row += 1;
                let counted = in_a_row == 1;
                mail_not_recorded(intake, source, &pos, &e, counted).await;
                if in_a_row >= MAX_FAILURES_IN_A_ROW {
                    return Err(e.context("several mails in a row could not be recorded"));
                }
                continue;
            }
        };
        match &outcome {
            Outcome::Nomination { reference, .. } => {
                out.nominations += 1;
                out.references.push(reference.clone());
                // The sender delivers the confirmation while the next mail is read.
                if let Some(n) = letters_queued {
                    n.notify_one();
                }
            }
            Outcome::Stored { .. } => out.other += 1,
            Outcome::Duplicate { .. } => out.duplicates += 1,
            Outcome::Quarantined { .. } => out.quarantined += 1,
            Outcome::AlreadyStored => out.already_stored += 1,
        }
        // A failed acknowledgement is retried on the next poll: the mail is recognised as stored.
        if let Err(e) = source.ack(&item.uid, outcome.disposition()).await {
            tracing::warn!(uid = %item.uid, error = %format!("{e:#}"), "failed to move a processed mail; will retry");
        }
    }
    Ok(out)
}

/// A mail could not be recorded: count the attempt (when `counted`: the first failure of a run
/// of failures, which is about this mail and not the connection), and after
/// [`MAX_MAIL_FAILURES`] move it to the quarantine folder unrecorded and alert staff.
async fn mail_not_recorded<S: MailSource>(
    intake: &App,
    source: &mut S,
    pos: &Position,
    error: &anyhow::Error,
    counted: bool,
) {
    let now = Utc::now();
    let error_text = format!("{error:#}");
    tracing::error!(uid = %pos.uid, error = %error_text, "a mail could not be recorded; it stays in the inbox");
    if !counted {
        return;
    }
    let failures = match store::note_mail_failure(
        &intake.db,
        &pos.mailbox,
        pos.uidvalidity,
        &pos.uid,
        &error_text,
        now,
    )
    .await
    {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(uid = %pos.uid, error = %format!("{e:#}"), "failed to count the failed attempt");
            return;
        }
    };
    if failures < MAX_MAIL_FAILURES {
        return;
    }
    let moved = source.ack(&pos.uid, Disposition::Quarantine).await;
    let where_now = match &moved {
        Ok(()) => format!(
            "Hij staat nu in de map {} van de mailbox.",
            intake.cfg.settings.mailbox.quarantine_folder
        ),
        Err(_) => "Hij staat nog in de inbox; het verplaatsen lukte ook niet.".to_string(),
    };
    tracing::error!(uid = %pos.uid, failures, moved = moved.is_ok(), "a mail could not be recorded after repeated attempts; moved to quarantine unrecorded; staff alerted");
    let alert = Alert {
        key: format!(
            "alert:unrecorded:{}:{}:{}",
            pos.mailbox, pos.uidvalidity, pos.uid
        ),
        subject: "Let op: een e-mail in de intake kon niet worden verwerkt".into(),
        heading: "Een e-mail kon niet worden verwerkt".into(),
        paragraphs: vec![
            format!(
                "Een e-mail in de mailbox (nummer {} in {}) kon na {failures} pogingen niet worden opgeslagen. {where_now}",
                pos.uid, pos.mailbox
            ),
            format!("Laatste fout: {error_text}"),
            "De e-mails daarna worden gewoon verwerkt. Deze e-mail heeft nog geen bevestiging gekregen.".into(),
        ],
        steps: vec![
            "Open de e-mail in de mailbox en kijk wie hem stuurde. Is het een voordracht, neem dan contact op met de afzender.".into(),
            "Vraag de beheerder naar de fout; `intake status` toont de e-mails die niet konden worden opgeslagen.".into(),
        ],
    };
    let queued = async {
        let mut tx = intake.db.begin().await?;
        queue_alert(intake, &mut tx, &alert, now).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = queued {
        tracing::error!(error = %format!("{e:#}"), "failed to queue the alert to staff");
    }
}

pub use crate::app::worker_id;

/// The outbox policy of this app for a worker (see [`crate::app::OutboxSetup::policy`]).
pub fn policy(intake: &App, worker_id: &str) -> Policy {
    intake.outbox.policy(worker_id)
}

/// The transport of this app.
pub fn transport(intake: &App) -> anyhow::Result<Arc<Transport>> {
    Ok(Arc::clone(&intake.outbox.transport))
}

/// Totals of a run, for the summary `intake run --once` prints.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    pub poll: PollOutcome,
    /// The last error of a look at the mailbox that failed (the mailbox could not be read).
    pub mailbox_error: Option<String>,
    /// The mailbox was not read because another intake holds its lease: who, and until when.
    pub mailbox_busy: Option<(String, chrono::DateTime<Utc>)>,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Runs the daemon: poll, drain, remind, wait; until `cancel` (or after one round with `once`).
pub async fn run<S: MailSource>(
    intake: Arc<App>,
    mut source: S,
    once: bool,
    cancel: CancellationToken,
) -> anyhow::Result<RunSummary> {
    let me = worker_id();
    let transport = Arc::clone(&intake.outbox.transport);
    let policy = Arc::new(intake.outbox.policy(&me));
    // The daemon sends letters in a task of its own, so delivery overlaps reading the mailbox;
    // `--once` sends inline, after reading, so that its summary is complete.
    let wake = Arc::new(Notify::new());
    let sender = (!once).then(|| {
        tokio::spawn(send_loop(
            Arc::clone(&intake),
            Arc::clone(&transport),
            Arc::clone(&policy),
            Arc::clone(&wake),
            cancel.clone(),
        ))
    });
    let mut summary = RunSummary::default();
    let mut failures: u32 = 0;
    let lease_secs = intake.cfg.settings.mailbox.lease_secs;
    tracing::info!(source = %source.describe(), worker = %me, "intake started");
    loop {
        let mut round_failed = false;
        if store::try_lease(&intake.db, "mailbox", &me, Utc::now(), lease_secs).await? {
            match poll_once(
                &intake,
                &mut source,
                &cancel,
                sender.as_ref().map(|_| &*wake),
            )
            .await
            {
                Ok(p) => {
                    summary.mailbox_error = None;
                    summary.poll.add(p);
                }
                Err(e) => {
                    round_failed = true;
                    summary.mailbox_error = Some(format!("{e:#}"));
                    if once {
                        // `run --once` reports it itself (exit 6, one line on stderr).
                        tracing::info!(error = %format!("{e:#}"), "mailbox check failed");
                    } else {
                        tracing::error!(error = %format!("{e:#}"), attempt = failures + 1, "mailbox check failed");
                    }
                    alert_if_unreachable(&intake, &source.describe()).await;
                }
            }
        } else if once {
            summary.mailbox_busy = store::lease_holder(&intake.db, "mailbox").await?;
        }
        if !once {
            send_digest_if_due(&intake).await;
        }
        if sender.is_none() {
            match worker::drain_once(&intake.db, &transport, &policy, Utc::now).await {
                Ok(d) => {
                    summary.sent += d.sent;
                    summary.retried += d.retried;
                    summary.failed += d.failed;
                }
                Err(e) => {
                    round_failed = true;
                    tracing::error!(error = %format!("{e:#}"), "outbox drain failed");
                }
            }
        }
        consult_due(&intake).await;
        // Consultations, reminders and the digest may have queued letters too.
        wake.notify_one();
        if once || cancel.is_cancelled() {
            break;
        }
        let wait = if round_failed {
            failures += 1;
            backoff(failures)
        } else {
            failures = 0;
            Duration::from_secs(intake.cfg.settings.mailbox.poll_interval_secs)
        };
        if round_failed {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = cancel.cancelled() => {}
            }
        } else if let Err(e) = source.wait(wait, &cancel).await {
            tracing::warn!(error = %format!("{e:#}"), "waiting for mail failed");
        }
        if cancel.is_cancelled() {
            break;
        }
    }
    let _ = store::release_lease(&intake.db, "mailbox", &me).await;
    if let Some(task) = sender {
        // The cancellation reached the sender too; it finishes the letter in hand.
        cancel.cancel();
        if let Err(e) = task.await {
            tracing::error!(error = %e, "the letter sender stopped abnormally");
        }
    }
    tracing::info!("intake stopped");
    Ok(summary)
}

/// [`run`] on the mailbox the settings name (`[mailbox] kind`: Maildir or IMAP).
pub async fn run_configured(
    app: Arc<App>,
    once: bool,
    cancel: CancellationToken,
) -> anyhow::Result<RunSummary> {
    let m = &app.cfg.settings.mailbox;
    match m.kind {
        MailboxKind::Maildir => {
            let source = Maildir::open(
                &m.maildir_path,
                &m.processed_folder,
                &m.quarantine_folder,
                Duration::from_secs(m.poll_interval_secs),
            )?;
            run(Arc::clone(&app), source, once, cancel).await
        }
        MailboxKind::Imap => {
            let settings = m.imap.clone().context("[mailbox.imap] is missing")?;
            let source = ImapSource::new(
                settings,
                m.processed_folder.clone(),
                m.quarantine_folder.clone(),
            )?;
            run(Arc::clone(&app), source, once, cancel).await
        }
    }
}

/// The daily digest, when it is due (not in `--once` runs, whose output must not depend on the
/// hour). A failure is logged; the loop goes on.
async fn send_digest_if_due(intake: &App) {
    if let Err(e) = crate::digest::schedule::send_digest_if_due(intake, Utc::now()).await {
        tracing::error!(error = %format!("{e:#}"), "digest failed");
    }
}

/// The consultations that are due: automatic requests, reminders and closing. Failures are
/// logged; the loop goes on.
async fn consult_due(intake: &App) {
    if let Err(e) = crate::consult::auto_request(intake, Utc::now()).await {
        tracing::error!(error = %format!("{e:#}"), "automatic consultation failed");
    }
    if let Err(e) = crate::consult::remind_and_close(intake, Utc::now()).await {
        tracing::error!(error = %format!("{e:#}"), "consultation reminders failed");
    }
}

/// The daemon's letter sender: drains the outbox whenever woken, and at least every few
/// seconds (for retries that fall due), until cancelled.
async fn send_loop(
    intake: Arc<App>,
    transport: Arc<Transport>,
    policy: Arc<Policy>,
    wake: Arc<Notify>,
    cancel: CancellationToken,
) {
    let mut failures: u32 = 0;
    loop {
        let pause = match worker::drain_once(&intake.db, &transport, &policy, Utc::now).await {
            Ok(d) => {
                failures = 0;
                // Rate limit or throttling pause: wait until sending may go on (at most 5 s
                // at a time, so new letters and the cancellation are still seen).
                d.paused_until
                    .and_then(|u| (u - Utc::now()).to_std().ok())
                    .unwrap_or(Duration::from_secs(5))
                    .clamp(Duration::from_millis(200), Duration::from_secs(5))
            }
            Err(e) => {
                failures += 1;
                tracing::error!(error = %format!("{e:#}"), "outbox drain failed");
                backoff(failures)
            }
        };
        if cancel.is_cancelled() {
            return;
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(pause) => {}
            _ = cancel.cancelled() => return,
        }
    }
}

/// The reconnect delay after `failures` failed rounds: 1 s, 2 s, 4 s … capped at 5 minutes.
pub fn backoff(failures: u32) -> Duration {
    crate::backoff::delay(Duration::from_secs(1), failures, Duration::from_secs(300))
}

/// After the configured time without a successful check, mail the staff once per failure period.
async fn alert_if_unreachable(intake: &App, mailbox: &str) {
    let cfg = &intake.cfg;
    let Ok(Some(state)) = store::mailbox_state(&intake.db, mailbox).await else {
        return;
    };
    let Some(since) = state.failing_since else {
        return;
    };
    let limit = chrono::Duration::seconds(cfg.settings.alerts.mailbox_unreachable_secs as i64);
    if Utc::now() - since < limit || state.alerted_at.is_some() {
        return;
    }
    tracing::error!(mailbox, since = %since, "mailbox unreachable beyond the alert limit; staff alerted");
    let alert = Alert {
        key: format!("alert:mailbox:{}", since.timestamp()),
        subject: "Let op: de mailbox van de intake is niet bereikbaar".into(),
        heading: "Mailbox niet bereikbaar".into(),
        paragraphs: vec![
            format!(
                "De mailbox van {} is niet bereikbaar sinds {}.",
                cfg.call.title,
                crate::letters::dutch_datetime(since, cfg.call.time_zone)
            ),
            format!(
                "Laatste fout: {}",
                state.last_error.as_deref().unwrap_or("onbekend")
            ),
            "Nieuwe voordrachten worden pas verwerkt als de mailbox weer werkt. Er gaat geen post verloren: alles blijft in de mailbox staan.".into(),
        ],
        steps: vec!["Vraag de beheerder van de mailbox of het wachtwoord, de server of de verbinding is veranderd. Met `intake status` ziet u de laatste fout.".into()],
    };
    let Ok(mut tx) = intake.db.begin().await else {
        return;
    };
    if let Err(e) = queue_alert(intake, &mut tx, &alert, Utc::now()).await {
        tracing::error!(error = %format!("{e:#}"), "failed to queue the alert to staff");
        return;
    }
    let _ = store::mailbox_alerted(&mut tx, mailbox, Utc::now()).await;
    let _ = tx.commit().await;
}

/// A warning to the staff recipients of the call, rendered from `alert.{txt,html}.j2`.
#[derive(Debug, Clone)]
pub struct Alert {
    /// Unique per occasion: the same key never mails twice.
    pub key: String,
    pub subject: String,
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub steps: Vec<String>,
}

/// Queues `alert` to every staff recipient in `tx` (when `[alerts] mail_staff` is on). True
/// when at least one letter was added.
pub async fn queue_alert(
    intake: &App,
    tx: &mut store::Tx,
    alert: &Alert,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<bool> {
    let cfg = &intake.cfg;
    if !cfg.settings.alerts.mail_staff {
        return Ok(false);
    }
    let ctx = crate::letters::AlertContext {
        call_title: cfg.call.title.clone(),
        heading: alert.heading.clone(),
        paragraphs: alert.paragraphs.clone(),
        steps: alert.steps.clone(),
        contact_address: intake.letterhead.address().to_string(),
    };
    let (text, html) = intake.templates.render("alert", &ctx)?;
    let mut added = false;
    for to in &cfg.call.staff.recipients {
        let letter = crate::letters::Outgoing {
            subject: alert.subject.clone(),
            text: text.clone(),
            html: html.clone(),
            message_id: intake.letterhead.message_id("alert", &alert.key),
            automatic: true,
            ..intake.letterhead.letter(to, now)
        };
        added |= crate::outbox::queue_letter(
            tx,
            &letter,
            &format!("{}:{to}", alert.key),
            crate::domain::LetterKind::Alert,
            None,
            now,
        )
        .await?;
    }
    Ok(added)
}

/// Resolves when SIGINT or SIGTERM arrives.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
