//! The SMTP transport against a real SMTP server (the aiosmtpd sink): STARTTLS and implicit TLS,
//! AUTH PLAIN, LOGIN and XOAUTH2, and how each kind of failure is classified.

use std::path::Path;
use std::time::Duration;

use intake::outbox::transport::{SendOutcome, SmtpSettings, Transport};

use crate::servers::{SinkFailure, SmtpSink, SmtpSinkOptions};

const FROM: &str = "koplopers@vng.example";
const MESSAGE: &[u8] = b"From: koplopers@vng.example\r\nTo: gemeente@example.nl\r\n\
Subject: Bevestiging\r\nMessage-ID: <bevestiging-1@vng.example>\r\n\r\nWe hebben uw voordracht ontvangen.\r\n";

/// A transport for `sink` with `extra` TOML lines; the password sits in a file.
fn transport(sink: &SmtpSink, secrets: &Path, password: &str, extra: &str) -> Transport {
    let file = secrets.join("smtp-password");
    std::fs::write(&file, password).expect("temp dir is writable");
    let text = format!(
        "host = \"127.0.0.1\"\nport = {}\nusername = \"intake\"\npassword_file = {file:?}\n\
         ca_file = {:?}\ntimeout_secs = 10\n{extra}",
        sink.port, sink.ca_pem
    );
    let settings: SmtpSettings = toml::from_str(&text).expect("test settings parse");
    Transport::from_settings(
        intake::outbox::transport::OutboxKind::Smtp,
        Path::new("unused"),
        Some(&settings),
    )
    .expect("transport")
}

fn to(addr: &str) -> Vec<String> {
    vec![addr.to_owned()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_delivers_the_exact_bytes_over_starttls_with_plain_and_login() -> anyhow::Result<()> {
    let sink = SmtpSink::start()?;
    let secrets = tempfile::tempdir()?;
    for auth in ["plain", "login"] {
        let t = transport(
            &sink,
            secrets.path(),
            "secret",
            &format!("auth = \"{auth}\""),
        );
        let outcome = t.send_raw(FROM, &to("gemeente@example.nl"), MESSAGE).await;
        assert!(
            matches!(&outcome, SendOutcome::Sent { detail } if detail.starts_with("250")),
            "{auth}: {outcome:?}"
        );
    }
    let received = sink.received_with_envelopes();
    assert_eq!(received.len(), 2);
    for (envelope, raw) in received {
        assert_eq!(raw, MESSAGE, "the message was altered in transit");
        assert!(envelope.tls);
        assert_eq!(envelope.mail_from, FROM);
        assert_eq!(envelope.login.as_deref(), Some("intake"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_delivers_over_implicit_tls_with_an_xoauth2_token_from_a_command() -> anyhow::Result<()>
{
    let sink = SmtpSink::start_with(SmtpSinkOptions {
        implicit_tls: true,
        ..SmtpSinkOptions::default()
    })?;
    let secrets = tempfile::tempdir()?;
    let t = transport(
        &sink,
        secrets.path(),
        "unused",
        "tls = \"implicit\"\nauth = \"xoauth2\"\noauth_token_command = \"echo test-token\"",
    );
    let outcome = t.send_raw(FROM, &to("gemeente@example.nl"), MESSAGE).await;
    assert!(matches!(outcome, SendOutcome::Sent { .. }), "{outcome:?}");
    assert_eq!(sink.received(), vec![MESSAGE.to_vec()]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_failures_are_classified_transient_or_permanent() -> anyhow::Result<()> {
    let mut sink = SmtpSink::start()?;
    let secrets = tempfile::tempdir()?;
    let t = transport(&sink, secrets.path(), "secret", "");

    sink.set_failure(SinkFailure::Recipient {
        address: "weg@example.nl".into(),
        reply: "550 5.1.1 mailbox unavailable".into(),
    })?;
    let outcome = t.send_raw(FROM, &to("weg@example.nl"), MESSAGE).await;
    assert!(
        matches!(&outcome, SendOutcome::Permanent(m) if m.contains("mailbox unavailable")),
        "a 5xx must be permanent with the server's answer: {outcome:?}"
    );

    sink.set_failure(SinkFailure::All("451 4.3.0 try again later".into()))?;
    let outcome = t.send_raw(FROM, &to("gemeente@example.nl"), MESSAGE).await;
    assert!(matches!(outcome, SendOutcome::Transient(_)), "{outcome:?}");
    sink.set_failure(SinkFailure::None)?;

    sink.stop();
    let outcome = t.send_raw(FROM, &to("gemeente@example.nl"), MESSAGE).await;
    assert!(
        matches!(outcome, SendOutcome::Transient(_)),
        "a server that is down is transient: {outcome:?}"
    );
    sink.resume()?;
    let outcome = t.send_raw(FROM, &to("gemeente@example.nl"), MESSAGE).await;
    assert!(matches!(outcome, SendOutcome::Sent { .. }), "{outcome:?}");

    let outcome = t.send_raw(FROM, &to("not an address"), MESSAGE).await;
    assert!(matches!(outcome, SendOutcome::Permanent(_)), "{outcome:?}");

    assert_eq!(
        sink.received().len(),
        1,
        "only the last good attempt arrived"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_treats_a_refused_login_as_transient_and_never_shows_the_password()
-> anyhow::Result<()> {
    let sink = SmtpSink::start()?;
    let secrets = tempfile::tempdir()?;
    let t = transport(&sink, secrets.path(), "wrong-password", "");
    let outcome = t.send_raw(FROM, &to("gemeente@example.nl"), MESSAGE).await;
    match &outcome {
        SendOutcome::Transient(m) => {
            assert!(m.contains("refused the login"), "{m}");
            assert!(!m.contains("wrong-password"), "the password leaked: {m}");
        }
        other => panic!("expected a transient failure, got {other:?}"),
    }
    assert!(sink.received().is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_refuses_a_server_whose_certificate_is_not_trusted() -> anyhow::Result<()> {
    let sink = SmtpSink::start()?;
    let other = tempfile::tempdir()?;
    let (other_ca, _) = crate::servers::self_signed_certificate(other.path())?;
    let secrets = tempfile::tempdir()?;
    std::fs::write(secrets.path().join("smtp-password"), "secret")?;
    let text = format!(
        "host = \"127.0.0.1\"\nport = {}\nusername = \"intake\"\npassword_file = {:?}\n\
         ca_file = {other_ca:?}\ntimeout_secs = 10\n",
        sink.port,
        secrets.path().join("smtp-password"),
    );
    let settings: SmtpSettings = toml::from_str(&text)?;
    let t = Transport::from_settings(
        intake::outbox::transport::OutboxKind::Smtp,
        Path::new("unused"),
        Some(&settings),
    )?;
    let outcome = t.send_raw(FROM, &to("gemeente@example.nl"), MESSAGE).await;
    assert!(matches!(outcome, SendOutcome::Transient(_)), "{outcome:?}");
    assert!(
        sink.received().is_empty(),
        "mail went to an untrusted server"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmation_waits_while_smtp_is_down_and_is_delivered_once_when_it_is_back()
-> anyhow::Result<()> {
    use crate::servers::{Stack, StackDb, body_nomination, nomination_sender, on_time_arrival};
    let mut stack = Stack::start(StackDb::Sqlite).await?;
    stack.sink.stop();
    let _daemon = stack.spawn_daemon(&[("INTAKE__MAILBOX__POLL_INTERVAL_SECS", "1")])?;
    stack
        .deliver(
            &body_nomination(1, "Leiden", "leiden.nl"),
            on_time_arrival(),
        )
        .await?;
    // Long enough for the mail to be stored and a first delivery attempt to fail.
    tokio::time::sleep(Duration::from_secs(4)).await;
    stack.sink.resume()?;
    let sender = nomination_sender(1, "leiden.nl");
    stack
        .wait_until(
            "the confirmation after SMTP is back",
            Duration::from_secs(90),
            || !stack.received_for(&sender).is_empty(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}\n{}", stack.logs()))?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(stack.received_for(&sender).len(), 1);
    Ok(())
}
