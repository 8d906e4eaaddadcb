//! The IMAP source against a real Dovecot: listing, fetching with INTERNALDATE, MOVE and its
//! COPY + EXPUNGE fallback, STARTTLS, a refused login, IDLE, polling, cancellation, a
//! UIDVALIDITY change and a server restart.

use std::time::{Duration, Instant};

use intake::mailbox::imap::{ImapError, ImapSettings, ImapSource};
use intake::mailbox::{Disposition, MailSource};
use tokio_util::sync::CancellationToken;

use crate::servers::{Dovecot, DovecotOptions};

const USER: &str = "intake";

/// Settings for `dovecot`, with the password in a file (tests cannot set environment variables:
/// `unsafe_code` is forbidden).
fn settings(
    dovecot: &Dovecot,
    secrets: &tempfile::TempDir,
    password: &str,
    starttls: bool,
) -> ImapSettings {
    let file = secrets.path().join("imap-password");
    std::fs::write(&file, format!("{password}\n")).expect("temp dir is writable");
    let (port, tls) = if starttls {
        (dovecot.imap_port, "starttls")
    } else {
        (dovecot.imaps_port, "implicit")
    };
    let text = format!(
        "host = \"127.0.0.1\"\nport = {port}\ntls = \"{tls}\"\nusername = \"{USER}\"\n\
         password_file = {file:?}\nca_file = {ca:?}\nconnect_timeout_secs = 10\n\
         command_timeout_secs = 20\n",
        ca = dovecot.ca_pem,
    );
    toml::from_str(&text).expect("test settings parse")
}

fn source(dovecot: &Dovecot, secrets: &tempfile::TempDir) -> ImapSource {
    ImapSource::new(
        settings(dovecot, secrets, "secret", false),
        "Verwerkt",
        "Quarantaine",
    )
    .expect("source builds")
}

fn mail(n: usize) -> Vec<u8> {
    format!(
        "From: gemeente{n}@example.nl\r\nTo: koplopers@vng.nl\r\nSubject: Voordracht {n}\r\n\
         Message-ID: <voordracht-{n}@example.nl>\r\nDate: Tue, 20 Mar 2018 10:00:00 +0100\r\n\r\n\
         Hierbij dragen wij onze gemeente voor.\r\n"
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imap_source_lists_fetches_and_moves_mail_into_created_folders() -> anyhow::Result<()> {
    let dovecot = Dovecot::start()?;
    let secrets = tempfile::tempdir()?;
    let arrival = chrono::DateTime::parse_from_rfc3339("2018-03-21T23:59:30+01:00")?;
    dovecot
        .append(USER, "INBOX", &mail(1), Some(arrival))
        .await?;
    dovecot.append(USER, "INBOX", &mail(2), None).await?;

    let mut src = source(&dovecot, &secrets);
    let listing = src.list().await?;
    assert_eq!(listing.items.len(), 2);
    assert_ne!(listing.uidvalidity, 0);
    assert_eq!(listing.items[0].size, mail(1).len() as u64);

    let first = src.fetch(&listing.items[0].uid).await?;
    assert_eq!(first.raw, mail(1));
    assert_eq!(
        first.internal_date.map(|d| d.timestamp()),
        Some(arrival.timestamp())
    );

    src.ack(&listing.items[0].uid, Disposition::Processed)
        .await?;
    src.ack(&listing.items[1].uid, Disposition::Quarantine)
        .await?;
    // Acknowledging again (a crash between ack and the next listing) is harmless.
    src.ack(&listing.items[0].uid, Disposition::Processed)
        .await?;

    assert!(src.list().await?.items.is_empty());
    assert_eq!(dovecot.list_folder(USER, "Verwerkt").await?, vec![mail(1)]);
    assert_eq!(
        dovecot.list_folder(USER, "Quarantaine").await?,
        vec![mail(2)]
    );
    // The mail was fetched with BODY.PEEK: nobody relies on \Seen, but we do not set it either.
    let mut session = dovecot.session(USER).await?;
    session.select("Verwerkt").await?;
    let seen = session.uid_search("SEEN").await?;
    assert!(seen.is_empty(), "fetching set \\Seen on {seen:?}");
    session.logout().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imap_source_falls_back_to_copy_and_expunge_without_move() -> anyhow::Result<()> {
    let dovecot = Dovecot::start_with(DovecotOptions {
        offer_move: false,
        ..DovecotOptions::default()
    })?;
    let secrets = tempfile::tempdir()?;
    for n in 1..=3 {
        dovecot.append(USER, "INBOX", &mail(n), None).await?;
    }
    let mut src = source(&dovecot, &secrets);
    let listing = src.list().await?;
    assert_eq!(src.features().map(|f| f.moves), Some(false));
    src.ack(&listing.items[1].uid, Disposition::Processed)
        .await?;
    assert_eq!(dovecot.list_folder(USER, "Verwerkt").await?, vec![mail(2)]);
    // Only the acknowledged mail left the inbox.
    assert_eq!(
        dovecot.list_folder(USER, "INBOX").await?,
        vec![mail(1), mail(3)]
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imap_source_connects_with_starttls() -> anyhow::Result<()> {
    let dovecot = Dovecot::start()?;
    let secrets = tempfile::tempdir()?;
    dovecot.append(USER, "INBOX", &mail(1), None).await?;
    let mut src = ImapSource::new(
        settings(&dovecot, &secrets, "secret", true),
        "Verwerkt",
        "Quarantaine",
    )?;
    let listing = src.list().await?;
    assert_eq!(listing.items.len(), 1);
    assert_eq!(src.fetch(&listing.items[0].uid).await?.raw, mail(1));
    assert!(dovecot.log().contains("TLS"), "no TLS login in the log");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imap_source_reports_a_wrong_password_as_an_authentication_error() -> anyhow::Result<()> {
    let dovecot = Dovecot::start()?;
    let secrets = tempfile::tempdir()?;
    let mut src = ImapSource::new(
        settings(&dovecot, &secrets, "wrong", false),
        "Verwerkt",
        "Quarantaine",
    )?;
    let err = src.list().await.expect_err("a wrong password was accepted");
    let imap = err
        .downcast_ref::<ImapError>()
        .unwrap_or_else(|| panic!("not an ImapError: {err:#}"));
    assert!(imap.is_authentication(), "{imap}");
    assert!(
        !format!("{err:#}").contains("wrong"),
        "the password leaked into the error: {err:#}"
    );
    assert!(!src.is_connected());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imap_source_wakes_from_idle_when_mail_arrives() -> anyhow::Result<()> {
    let dovecot = Dovecot::start()?;
    let secrets = tempfile::tempdir()?;
    let mut src = source(&dovecot, &secrets);
    assert!(src.list().await?.items.is_empty());
    assert_eq!(src.features().map(|f| f.idle), Some(true));

    let cancel = CancellationToken::new();
    let started = Instant::now();
    let waiter = tokio::spawn(async move {
        let r = src.wait(Duration::from_secs(60), &cancel).await;
        (src, r)
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    dovecot.append(USER, "INBOX", &mail(1), None).await?;
    let (mut src, r) = tokio::time::timeout(Duration::from_secs(20), waiter).await??;
    r?;
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(15),
        "IDLE did not wake up on new mail ({waited:?})"
    );
    assert_eq!(src.list().await?.items.len(), 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imap_source_polls_without_idle_and_stops_waiting_when_cancelled() -> anyhow::Result<()> {
    let dovecot = Dovecot::start_with(DovecotOptions {
        offer_idle: false,
        ..DovecotOptions::default()
    })?;
    let secrets = tempfile::tempdir()?;
    let mut src = source(&dovecot, &secrets);
    src.list().await?;
    assert_eq!(src.features().map(|f| f.idle), Some(false));

    // Polling: the wait is a plain sleep of the given length.
    let cancel = CancellationToken::new();
    let started = Instant::now();
    src.wait(Duration::from_millis(700), &cancel).await?;
    assert!(started.elapsed() >= Duration::from_millis(650));

    // Cancellation ends a long wait at once.
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    src.wait(Duration::from_secs(60), &cancel).await?;
    assert!(started.elapsed() < Duration::from_secs(10));
    // Mail appended meanwhile is seen by the next listing.
    dovecot.append(USER, "INBOX", &mail(1), None).await?;
    assert_eq!(src.list().await?.items.len(), 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imap_source_refuses_stale_uids_after_a_uidvalidity_change() -> anyhow::Result<()> {
    let mut dovecot = Dovecot::start()?;
    let secrets = tempfile::tempdir()?;
    dovecot.append(USER, "INBOX", &mail(1), None).await?;
    dovecot.append(USER, "INBOX", &mail(2), None).await?;
    let mut src = source(&dovecot, &secrets);
    let before = src.list().await?;

    dovecot.force_uidvalidity_change(USER, "INBOX")?;
    // The first call may only find out that the old connection is gone.
    let mut outcome = src.fetch(&before.items[1].uid).await;
    if let Err(e) = &outcome
        && e.downcast_ref::<ImapError>()
            .is_some_and(|e| !matches!(e, ImapError::UidValidityChanged { .. }))
    {
        outcome = src.fetch(&before.items[1].uid).await;
    }
    let err = outcome.expect_err("a UID of the old UIDVALIDITY was served");
    assert!(
        matches!(
            err.downcast_ref::<ImapError>(),
            Some(ImapError::UidValidityChanged { .. })
        ),
        "{err:#}"
    );
    // Nor may a stale UID be acknowledged (it could name another mail now).
    assert!(
        src.ack(&before.items[1].uid, Disposition::Processed)
            .await
            .is_err()
    );
    let after = src.list().await?;
    assert_ne!(after.uidvalidity, before.uidvalidity);
    assert_eq!(after.items.len(), 2, "the mails are still there");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imap_source_reconnects_after_the_server_restarts() -> anyhow::Result<()> {
    let mut dovecot = Dovecot::start()?;
    let secrets = tempfile::tempdir()?;
    dovecot.append(USER, "INBOX", &mail(1), None).await?;
    let mut src = source(&dovecot, &secrets);
    assert_eq!(src.list().await?.items.len(), 1);
    dovecot.restart()?;
    // At most one failed call (the dead connection), then the next one reconnects.
    let listing = match src.list().await {
        Ok(l) => l,
        Err(_) => src.list().await?,
    };
    assert_eq!(listing.items.len(), 1);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The whole chain: APPEND to Dovecot → `intake run` → confirmation at the SMTP sink
// ---------------------------------------------------------------------------------------------

use crate::servers::{
    STACK_USER, Stack, StackDb, body_nomination, nomination_sender, on_time_arrival,
};

const E2E_TIMEOUT: Duration = Duration::from_secs(60);

/// Waits until every sender has exactly one confirmation, and fails on any second one.
async fn wait_for_confirmations(stack: &Stack, senders: &[String]) -> anyhow::Result<()> {
    stack
        .wait_until("a confirmation for every nomination", E2E_TIMEOUT, || {
            senders.iter().all(|s| !stack.received_for(s).is_empty())
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}\n{}", stack.logs()))?;
    for s in senders {
        assert_eq!(stack.received_for(s).len(), 1, "confirmations for {s}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nomination_appended_over_imap_is_confirmed_through_smtp_while_the_daemon_idles()
-> anyhow::Result<()> {
    let stack = Stack::start(StackDb::Sqlite).await?;
    let _daemon = stack.spawn_daemon(&[])?;
    // Let it reach IDLE first: the mail must arrive by push, not by the first listing.
    stack
        .wait_until("the daemon to connect", E2E_TIMEOUT, || {
            stack.dovecot.log().contains("Login: user=<intake>")
        })
        .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sender = nomination_sender(1, "zwolle.nl");
    let started = Instant::now();
    stack
        .deliver(
            &body_nomination(1, "Zwolle", "zwolle.nl"),
            on_time_arrival(),
        )
        .await?;
    wait_for_confirmations(&stack, std::slice::from_ref(&sender)).await?;
    let latency = started.elapsed();
    // The poll interval is 5 s: a faster answer can only have come through IDLE.
    assert!(
        latency < Duration::from_secs(4),
        "confirmation took {latency:?}; IDLE did not wake the daemon\n{}",
        stack.logs()
    );
    let confirmation = String::from_utf8_lossy(&stack.received_for(&sender)[0]).into_owned();
    assert!(
        confirmation.contains("nominatie-1."),
        "not a reply to the nomination"
    );
    // The ack follows the commit; the confirmation may come first.
    let deadline = Instant::now() + E2E_TIMEOUT;
    while stack
        .dovecot
        .list_folder(STACK_USER, "Verwerkt")
        .await?
        .len()
        != 1
    {
        assert!(
            Instant::now() < deadline,
            "the mail never moved to Verwerkt"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        stack
            .dovecot
            .list_folder(STACK_USER, "INBOX")
            .await?
            .is_empty()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_idle_or_move_is_polled_and_gets_copy_and_expunge_on_postgres()
-> anyhow::Result<()> {
    let stack = Stack::start_with(
        StackDb::Postgres,
        DovecotOptions {
            offer_idle: false,
            offer_move: false,
            ..DovecotOptions::default()
        },
    )
    .await?;
    let mut senders = Vec::new();
    for (n, (name, domain)) in [("Almere", "almere.nl"), ("Breda", "breda.nl")]
        .into_iter()
        .enumerate()
    {
        stack
            .deliver(&body_nomination(n, name, domain), on_time_arrival())
            .await?;
        senders.push(nomination_sender(n, domain));
    }
    let _daemon = stack.spawn_daemon(&[("INTAKE__MAILBOX__POLL_INTERVAL_SECS", "1")])?;
    wait_for_confirmations(&stack, &senders).await?;
    // One more after the first round: found by polling.
    stack
        .deliver(&body_nomination(9, "Delft", "delft.nl"), on_time_arrival())
        .await?;
    senders.push(nomination_sender(9, "delft.nl"));
    wait_for_confirmations(&stack, &senders).await?;
    let deadline = Instant::now() + E2E_TIMEOUT;
    while !stack
        .dovecot
        .list_folder(STACK_USER, "INBOX")
        .await?
        .is_empty()
    {
        assert!(Instant::now() < deadline, "the inbox was never emptied");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        stack
            .dovecot
            .list_folder(STACK_USER, "Verwerkt")
            .await?
            .len(),
        3
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_uidvalidity_change_known_mail_is_recognised_by_message_id_not_imported_again()
-> anyhow::Result<()> {
    let mut stack = Stack::start(StackDb::Sqlite).await?;
    let first = body_nomination(1, "Tilburg", "tilburg.nl");
    stack.deliver(&first, on_time_arrival()).await?;
    let out = stack.run(&["run", "--once"], &[])?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stack
            .received_for(&nomination_sender(1, "tilburg.nl"))
            .len(),
        1
    );

    // Someone drags the mail back into the inbox, and the server rebuilds its index.
    stack.deliver(&first, on_time_arrival()).await?;
    stack
        .deliver(&body_nomination(2, "Venlo", "venlo.nl"), on_time_arrival())
        .await?;
    let before = stack.dovecot.uidvalidity(STACK_USER, "INBOX").await?;
    stack
        .dovecot
        .force_uidvalidity_change(STACK_USER, "INBOX")?;
    assert_ne!(
        stack.dovecot.uidvalidity(STACK_USER, "INBOX").await?,
        before
    );

    let out = stack.run(&["run", "--once"], &[])?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stack
            .received_for(&nomination_sender(1, "tilburg.nl"))
            .len(),
        1,
        "the known mail was confirmed twice"
    );
    assert_eq!(
        stack.received_for(&nomination_sender(2, "venlo.nl")).len(),
        1
    );
    assert!(
        stack
            .dovecot
            .list_folder(STACK_USER, "INBOX")
            .await?
            .is_empty()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_mail_is_quarantined_while_the_next_one_is_confirmed() -> anyhow::Result<()> {
    let stack = Stack::start(StackDb::Sqlite).await?;
    let mut big = body_nomination(1, "Ede", "ede.nl");
    big.extend(std::iter::repeat_n(b'x', 20_000));
    stack.deliver(&big, on_time_arrival()).await?;
    stack
        .deliver(&body_nomination(2, "Gouda", "gouda.nl"), on_time_arrival())
        .await?;
    let out = stack.run(
        &["run", "--once"],
        &[("INTAKE__MAILBOX__MAX_MESSAGE_BYTES", "10000")],
    )?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stack.received_for(&nomination_sender(2, "gouda.nl")).len(),
        1
    );
    assert!(
        stack
            .received_for(&nomination_sender(1, "ede.nl"))
            .is_empty()
    );
    assert_eq!(
        stack.dovecot.list_folder(STACK_USER, "Quarantaine").await?,
        vec![big]
    );
    assert!(
        stack
            .dovecot
            .list_folder(STACK_USER, "INBOX")
            .await?
            .is_empty()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_imap_password_is_logged_as_an_error_with_backoff_not_in_a_tight_loop()
-> anyhow::Result<()> {
    let stack = Stack::start(StackDb::Sqlite).await?;
    let mut daemon = stack.spawn_daemon(&[("INTAKE__MAILBOX__IMAP__PASSWORD", "not-it-at-all")])?;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(daemon.is_running(), "the daemon gave up:\n{}", daemon.log());
    daemon.stop(Duration::from_secs(5));
    let log = daemon.log();
    let failures = log.matches("refused the login").count();
    assert!(failures >= 1, "no login error logged:\n{log}");
    // Backoff 1 s, 2 s, 4 s …: at most 3 attempts in 4 s.
    assert!(failures <= 3, "{failures} attempts in 4 s:\n{log}");
    assert!(
        log.contains("ERROR"),
        "the failure is not at ERROR level:\n{log}"
    );
    assert!(!log.contains("not-it-at-all"), "the password was logged");
    let attempts = stack.dovecot.log().matches("auth failed").count()
        + stack.dovecot.log().matches("Authentication failed").count();
    assert!(attempts <= 6, "{attempts} login attempts at the server");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_daemons_on_one_mailbox_and_database_confirm_each_nomination_once() -> anyhow::Result<()>
{
    let stack = Stack::start(StackDb::Postgres).await?;
    let municipalities = crate::servers::municipalities()?;
    let mut senders = Vec::new();
    let _a = stack.spawn_daemon(&[])?;
    let _b = stack.spawn_daemon(&[])?;
    for (n, (name, domain)) in municipalities.iter().take(20).enumerate() {
        stack
            .deliver(&body_nomination(n, name, domain), on_time_arrival())
            .await?;
        senders.push(nomination_sender(n, domain));
    }
    wait_for_confirmations(&stack, &senders).await?;
    // Give a slow second daemon every chance to send a duplicate.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for s in &senders {
        assert_eq!(stack.received_for(s).len(), 1, "{s}\n{}", stack.logs());
    }
    assert_eq!(stack.sink.received().len(), senders.len());
    Ok(())
}
