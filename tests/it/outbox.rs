//! The outbox's crash window, reproduced deterministically: a worker claims a row, marks its
//! attempt and hands the letter to the SMTP server, then "crashes" (the outcome is never
//! recorded). Once its claim has run out, the next drain must decide whether the letter left:
//! with a sent folder (the sink keeps a copy in Dovecot's `Sent`, as Microsoft 365 does) it is
//! found there and recorded as sent without a second mail; without one it goes out again with
//! the same Message-ID and a WARN. Real Dovecot, a real SMTP server, SQLite and PostgreSQL.

use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use intake::mailbox::imap::ImapSettings;
use intake::outbox::transport::{SendOutcome, SmtpSettings, Transport};
use intake::outbox::worker::{Policy, SentFolderCheck, drain_once};
use intake::store::{self, Db};
use tracing::instrument::WithSubscriber as _;

use crate::servers::{Dovecot, SmtpSink, SmtpSinkOptions};

const FROM: &str = "koplopers@vng.example";
const TO: &str = "gemeente@example.nl";
const MESSAGE_ID: &str = "<bevestiging-crash-1@vng.example>";
const CLAIM_SECS: i64 = 2;

/// Dovecot, an SMTP sink that keeps a copy of what it accepts in Dovecot's `Sent` folder, and
/// the settings to reach both.
struct Servers {
    dovecot: Dovecot,
    sink: SmtpSink,
    secrets: tempfile::TempDir,
}

impl Servers {
    fn start() -> anyhow::Result<Servers> {
        let dovecot = Dovecot::start()?;
        let sink = SmtpSink::start_with(SmtpSinkOptions {
            sent_maildir: Some(dovecot.maildir("intake", "Sent")),
            ..SmtpSinkOptions::default()
        })?;
        let secrets = tempfile::tempdir()?;
        std::fs::write(secrets.path().join("smtp"), "secret")?;
        std::fs::write(secrets.path().join("imap"), "secret")?;
        Ok(Servers {
            dovecot,
            sink,
            secrets,
        })
    }

    fn transport(&self) -> anyhow::Result<Transport> {
        let settings: SmtpSettings = toml::from_str(&format!(
            "host = \"127.0.0.1\"\nport = {}\nusername = \"intake\"\npassword_file = {:?}\n\
             ca_file = {:?}\ntimeout_secs = 10\n",
            self.sink.port,
            self.secrets.path().join("smtp"),
            self.sink.ca_pem
        ))?;
        Transport::from_settings(
            intake::outbox::transport::OutboxKind::Smtp,
            Path::new("unused"),
            Some(&settings),
        )
    }

    fn sent_folder(&self, folder: &str) -> anyhow::Result<SentFolderCheck> {
        let imap: ImapSettings = toml::from_str(&format!(
            "host = \"127.0.0.1\"\nport = {}\nusername = \"intake\"\npassword_file = {:?}\n\
             ca_file = {:?}\nconnect_timeout_secs = 10\ncommand_timeout_secs = 30\n",
            self.dovecot.imaps_port,
            self.secrets.path().join("imap"),
            self.dovecot.ca_pem
        ))?;
        Ok(SentFolderCheck {
            imap,
            folder: folder.to_owned(),
        })
    }

    /// Message-IDs of everything the sink accepted, oldest first.
    fn received_ids(&self) -> Vec<String> {
        self.sink
            .received()
            .iter()
            .map(|raw| message_id_of(raw).unwrap_or_default())
            .collect()
    }
}

fn message_id_of(raw: &[u8]) -> Option<String> {
    String::from_utf8_lossy(raw)
        .split("\r\n\r\n")
        .next()?
        .split("\r\n")
        .find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.eq_ignore_ascii_case("message-id")
                .then(|| v.trim().to_owned())
        })
}

fn policy(worker: &str, sent_folder: Option<SentFolderCheck>) -> Policy {
    Policy {
        worker_id: worker.to_owned(),
        max_attempts: 5,
        retry_base_secs: 1,
        claim_secs: CLAIM_SECS,
        sent_folder,
        max_per_minute: 0,
    }
}

async fn sqlite(dir: &Path) -> anyhow::Result<Db> {
    let db = Db::connect(&format!("sqlite://{}", dir.join("intake.db").display()), 2).await?;
    db.migrate().await?;
    Ok(db)
}

async fn postgres() -> anyhow::Result<Db> {
    let db = Db::connect(&crate::servers::fresh_postgres_database().await?, 2).await?;
    db.migrate().await?;
    Ok(db)
}

/// One confirmation in the outbox, due at `t0`; returns its row id.
async fn enqueue(db: &Db, t0: DateTime<Utc>) -> anyhow::Result<i64> {
    let raw = format!(
        "From: {FROM}\r\nTo: {TO}\r\nSubject: Bevestiging\r\nMessage-ID: {MESSAGE_ID}\r\n\r\n\
         We hebben uw voordracht ontvangen.\r\n"
    );
    let mut tx = db.begin().await?;
    let added = store::enqueue(
        &mut tx,
        &store::NewOutbox {
            cc: &[],
            key: "confirmation:crash-1",
            kind: intake::domain::LetterKind::Confirmation,
            submission_id: None,
            recipient: TO,
            sender: FROM,
            subject: "Bevestiging",
            message_id: MESSAGE_ID,
            raw: raw.as_bytes(),
            now: t0,
        },
    )
    .await?;
    tx.commit().await?;
    anyhow::ensure!(added, "the row was not added");
    let row = store::outbox_by_key(db, "confirmation:crash-1")
        .await?
        .ok_or_else(|| anyhow::anyhow!("the row is gone"))?;
    Ok(row.id)
}

/// What a worker does up to the crash: claim the row, mark the attempt, and (with `deliver`)
/// hand the letter to the server; then nothing more, as if killed before the commit.
async fn crash_mid_send(
    db: &Db,
    transport: &Transport,
    t0: DateTime<Utc>,
    deliver: bool,
) -> anyhow::Result<i64> {
    let until = t0 + Duration::seconds(CLAIM_SECS);
    let claimed = store::outbox::claim(db, "crashed-worker", t0, until)
        .await?
        .ok_or_else(|| anyhow::anyhow!("nothing to claim"))?;
    anyhow::ensure!(
        claimed.interrupted_attempt.is_none(),
        "a fresh row looks interrupted"
    );
    anyhow::ensure!(
        store::outbox::start_attempt(db, claimed.row.id, "crashed-worker", t0, until).await?,
        "the claim was not ours"
    );
    if deliver {
        let outcome = transport
            .send_raw(FROM, &[TO.to_owned()], &claimed.row.raw)
            .await;
        anyhow::ensure!(
            matches!(outcome, SendOutcome::Sent { .. }),
            "the first attempt did not reach the server: {outcome:?}"
        );
    }
    Ok(claimed.row.id)
}

/// A log buffer for one future's tracing output.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn text(&self) -> String {
        self.0
            .lock()
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or_default()
    }

    fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + 'static {
        let log = self.clone();
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || log.clone())
            .finish()
    }
}

async fn a_letter_cut_off_after_the_server_accepted_it_is_found_in_the_sent_folder(
    db: Db,
) -> anyhow::Result<()> {
    let servers = Servers::start()?;
    let transport = servers.transport()?;
    let t0 = Utc::now();
    let id = enqueue(&db, t0).await?;
    crash_mid_send(&db, &transport, t0, true).await?;
    assert_eq!(servers.received_ids(), vec![MESSAGE_ID.to_owned()]);
    let with_sent = policy("restarted-worker", Some(servers.sent_folder("Sent")?));

    // While the crashed worker's claim holds, nobody touches the row.
    let early = drain_once(&db, &transport, &with_sent, || {
        t0 + Duration::seconds(CLAIM_SECS - 1)
    })
    .await?;
    assert_eq!(early, Default::default(), "the row was taken while claimed");

    // Claim expired: the letter is in the sent folder, so it is recorded as sent, not resent.
    let later = || t0 + Duration::seconds(CLAIM_SECS + 1);
    let log = Log::default();
    let d = drain_once(&db, &transport, &with_sent, later)
        .with_subscriber(log.subscriber())
        .await?;
    assert_eq!(
        (d.sent, d.found_in_sent_folder, d.resent_unverified),
        (1, 1, 0),
        "{d:?}"
    );
    assert_eq!(
        servers.received_ids(),
        vec![MESSAGE_ID.to_owned()],
        "the letter reached the SMTP server a second time"
    );
    let row = store::outbox_by_key(&db, "confirmation:crash-1")
        .await?
        .ok_or_else(|| anyhow::anyhow!("the row is gone"))?;
    assert_eq!(row.status, intake::domain::OutboxStatus::Sent);
    assert!(
        row.claimed_by
            .as_deref()
            .is_some_and(|c| c.contains("found in the sent folder")),
        "{:?}",
        row.claimed_by
    );
    assert_eq!(store::outbox::attempt_started_at(&db, id).await?, None);
    assert!(
        !log.text().contains("WARN"),
        "no warning expected:\n{}",
        log.text()
    );

    // And nothing is left to do.
    let after = drain_once(&db, &transport, &with_sent, || t0 + Duration::seconds(600)).await?;
    assert_eq!(after, Default::default());
    assert_eq!(servers.received_ids().len(), 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_a_letter_cut_off_after_the_server_accepted_it_is_found_in_the_sent_folder_on_sqlite()
-> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    a_letter_cut_off_after_the_server_accepted_it_is_found_in_the_sent_folder(
        sqlite(dir.path()).await?,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_a_letter_cut_off_after_the_server_accepted_it_is_found_in_the_sent_folder_on_postgres()
-> anyhow::Result<()> {
    a_letter_cut_off_after_the_server_accepted_it_is_found_in_the_sent_folder(postgres().await?)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_without_a_sent_folder_a_cut_off_letter_is_sent_again_with_the_same_message_id_and_a_warning()
-> anyhow::Result<()> {
    let servers = Servers::start()?;
    let transport = servers.transport()?;
    let dir = tempfile::tempdir()?;
    let db = sqlite(dir.path()).await?;
    let t0 = Utc::now();
    let id = enqueue(&db, t0).await?;
    crash_mid_send(&db, &transport, t0, true).await?;

    let log = Log::default();
    let d = drain_once(&db, &transport, &policy("restarted-worker", None), || {
        t0 + Duration::seconds(CLAIM_SECS + 1)
    })
    .with_subscriber(log.subscriber())
    .await?;
    assert_eq!(
        (d.sent, d.found_in_sent_folder, d.resent_unverified),
        (1, 0, 1),
        "{d:?}"
    );
    assert_eq!(
        servers.received_ids(),
        vec![MESSAGE_ID.to_owned(), MESSAGE_ID.to_owned()],
        "expected the same letter twice (at-least-once)"
    );
    let text = log.text();
    assert!(
        text.lines()
            .any(|l| l.contains("WARN") && l.contains("a duplicate is possible")),
        "no WARN about a possible duplicate:\n{text}"
    );
    let row = store::outbox_by_key(&db, "confirmation:crash-1")
        .await?
        .ok_or_else(|| anyhow::anyhow!("the row is gone"))?;
    assert_eq!(row.status, intake::domain::OutboxStatus::Sent);
    assert_eq!(store::outbox::attempt_started_at(&db, id).await?, None);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_a_letter_cut_off_before_it_reached_the_server_is_sent_once_after_the_sent_folder_lacks_it()
-> anyhow::Result<()> {
    let servers = Servers::start()?;
    let transport = servers.transport()?;
    let dir = tempfile::tempdir()?;
    let db = sqlite(dir.path()).await?;
    let t0 = Utc::now();
    enqueue(&db, t0).await?;
    // Killed after marking the attempt, before a byte went to the server.
    crash_mid_send(&db, &transport, t0, false).await?;
    assert!(servers.received_ids().is_empty());

    let d = drain_once(
        &db,
        &transport,
        &policy("restarted-worker", Some(servers.sent_folder("Sent")?)),
        || t0 + Duration::seconds(CLAIM_SECS + 1),
    )
    .await?;
    assert_eq!(
        (d.sent, d.found_in_sent_folder, d.resent_unverified),
        (1, 0, 0),
        "{d:?}"
    );
    assert_eq!(servers.received_ids(), vec![MESSAGE_ID.to_owned()]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_a_sent_folder_that_cannot_be_read_postpones_the_cut_off_letter_and_keeps_it_marked()
-> anyhow::Result<()> {
    let servers = Servers::start()?;
    let transport = servers.transport()?;
    let dir = tempfile::tempdir()?;
    let db = sqlite(dir.path()).await?;
    let t0 = Utc::now();
    let id = enqueue(&db, t0).await?;
    crash_mid_send(&db, &transport, t0, true).await?;

    // A misnamed folder: the question stays open, nothing is sent, the mark stays.
    let misnamed = policy("restarted-worker", Some(servers.sent_folder("Sent Items")?));
    let t1 = t0 + Duration::seconds(CLAIM_SECS + 1);
    let d = drain_once(&db, &transport, &misnamed, || t1).await?;
    assert_eq!((d.sent, d.retried), (0, 1), "{d:?}");
    assert_eq!(servers.received_ids().len(), 1);
    assert!(store::outbox::attempt_started_at(&db, id).await?.is_some());
    let row = store::outbox_by_key(&db, "confirmation:crash-1")
        .await?
        .ok_or_else(|| anyhow::anyhow!("the row is gone"))?;
    assert_eq!(row.status, intake::domain::OutboxStatus::Pending);
    assert!(
        row.last_error
            .as_deref()
            .is_some_and(|e| e.contains("Sent Items")),
        "{:?}",
        row.last_error
    );

    // With the right folder the next try finds it.
    let right = policy("restarted-worker", Some(servers.sent_folder("Sent")?));
    let d = drain_once(&db, &transport, &right, || t1 + Duration::seconds(3600)).await?;
    assert_eq!((d.sent, d.found_in_sent_folder), (1, 1), "{d:?}");
    assert_eq!(servers.received_ids().len(), 1);
    Ok(())
}
