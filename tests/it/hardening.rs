//! Hostile and awkward mail must never lose a nomination, stop the daemon or block the queue:
//! each case here was reproduced against the code before the hardening (a panic, an exit 101,
//! a failed insert that blocked every later mail, a version anyone could replace, letters to
//! whoever a Reply-To named, no caps, a password printed by `check-config`). Maildir + SQLite
//! and PostgreSQL, the real `intake` binary where the exit code matters.

use intake::store;

use crate::helpers::TestApp;

/// A plain nomination in the body, with the given extra headers and text.
fn nomination(from: &str, extra_headers: &str, subject: &str, body: &str, id: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: koplopers@vng.nl\r\n{extra_headers}Subject: {subject}\r\n\
         Date: Thu, 15 Mar 2018 10:00:00 +0100\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\
         Received: from mx.vng.nl by imap.vng.nl; Thu, 15 Mar 2018 10:00:05 +0100\r\n\r\n{body}"
    )
    .into_bytes()
}

const LETTER: &str = "Geachte heer, mevrouw,\r\n\r\nHierbij draagt de gemeente\u{a0}Ede zich voor als koploper.\r\n\
De gemeenteraad heeft in 2017 een lokale inclusieagenda vastgesteld (zie art.\u{a0}5 van het\u{a0}raadsbesluit).\r\n\
Wethouder J.\u{a0}Jansen is portefeuillehouder inclusie.\u{a0}Ervaringsdeskundigen schreven de agenda mee.\r\n\
Wij bouwen 40\u{a0}levensloopbestendige woningen.\u{a0}Ook ouderen hebben daar baat bij.\r\n\r\n\
Met vriendelijke groet,\r\n\r\nGemeente Ede\r\n";

#[tokio::test]
async fn a_nomination_full_of_non_breaking_spaces_is_stored_and_confirmed() {
    let app = TestApp::sqlite().await;
    app.deliver(
        "nbsp",
        &nomination(
            "Inclusie <inclusie@ede.nl>",
            "",
            "Voordracht\u{a0}gemeente Ede",
            LETTER,
            "nbsp@ede.nl",
        ),
    );
    let run = app.run_once().await;
    assert_eq!(run.poll.nominations, 1, "{run:?}");
    assert_eq!(run.poll.quarantined, 0, "{run:?}");
    assert_eq!(app.letters().len(), 1, "the confirmation");
    let s = &store::submissions(&app.intake.db).await.unwrap()[0];
    assert_eq!(s.municipality_code.as_deref(), Some("GM0228"));
    let claims = store::claims_of(&app.intake.db, s.id).await.unwrap();
    assert!(!claims.is_empty(), "claims found in a text with U+00A0");
}

/// A delivery report anyone can send, with non-ASCII text just where the bounce reader looks.
fn forged_bounce() -> Vec<u8> {
    "From: MAILER-DAEMON@mx.example.org\r\nTo: koplopers@vng.nl\r\nSubject: Undelivered Mail Returned to Sender\r\n\
Message-ID: <bounce-1@mx.example.org>\r\nReturn-Path: <>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
--B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
Uw bericht kon niet worden bezorgd.\r\nGemeente Súdwest-Fryslân\r\nMessage-ID:\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\r\n\
Ñoño-Mëssage-ID: <x@y>\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n\
Reporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; niemand@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\
--B--\r\n"
        .as_bytes()
        .to_vec()
}

#[tokio::test]
async fn a_forged_delivery_report_with_frisian_text_is_stored_and_the_next_mail_goes_on() {
    let app = TestApp::sqlite().await;
    app.deliver("1-bounce", &forged_bounce());
    app.deliver(
        "2-nomination",
        &nomination(
            "Inclusie <inclusie@ede.nl>",
            "",
            "Voordracht gemeente Ede",
            LETTER,
            "after-bounce@ede.nl",
        ),
    );
    let out = app.command().args(["run", "--once"]).output().unwrap();
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(app.files_in("Verwerkt"), 2, "both mails acknowledged");
    let counts = store::message_counts(&app.intake.db).await.unwrap();
    assert!(
        counts
            .iter()
            .any(|(k, s, n)| k == "bounce" && s == "processed" && *n == 1),
        "{counts:?}"
    );
    assert_eq!(store::submissions(&app.intake.db).await.unwrap().len(), 1);
}

/// RFC 2047 and quoted-printable can carry NUL into a decoded subject and body; a Message-ID
/// can be longer than an index row may be.
fn nul_and_giant_id_mail(n: usize) -> Vec<u8> {
    let giant = format!("{}.{n}@ede.nl", "x".repeat(9_000));
    format!(
        "From: Inclusie <inclusie{n}@ede.nl>\r\nTo: koplopers@vng.nl\r\n\
Subject: =?utf-8?q?Voordracht_gemeente_Ede=00_met_NUL?=\r\nMessage-ID: <{giant}>\r\n\
Date: Thu, 15 Mar 2018 10:00:00 +0100\r\nMIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
Hierbij draagt de gemeente Ede zich voor.=00 De gemeenteraad heeft een lokale inclusieagenda=\r\n vastgesteld.=00\r\n"
    )
    .into_bytes()
}

async fn nul_and_giant_ids_are_stored(app: TestApp) {
    app.deliver("1-nul", &nul_and_giant_id_mail(1));
    app.deliver("2-nul", &nul_and_giant_id_mail(2));
    app.deliver(
        "3-plain",
        &nomination(
            "Inclusie <inclusie@texel.nl>",
            "",
            "Voordracht gemeente Texel",
            LETTER,
            "plain@texel.nl",
        ),
    );
    let run = app.run_once().await;
    assert_eq!(run.poll.failed, 0, "{run:?}");
    assert_eq!(run.poll.quarantined, 0, "{run:?}");
    assert_eq!(run.poll.nominations, 3, "{run:?}");
    assert_eq!(app.files_in("Verwerkt"), 3);
    for s in store::submissions(&app.intake.db).await.unwrap() {
        let subject = s.subject.unwrap_or_default();
        assert!(!subject.contains('\0'), "{subject:?}");
    }
    // Both giant ids are kept apart (each is its own nomination, not a duplicate).
    assert_eq!(run.poll.duplicates, 0);
}

#[tokio::test]
async fn nul_characters_and_a_9000_character_message_id_are_stored_on_sqlite() {
    nul_and_giant_ids_are_stored(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn nul_characters_and_a_9000_character_message_id_are_stored_on_postgres() {
    nul_and_giant_ids_are_stored(TestApp::postgres().await).await;
}

#[tokio::test]
async fn a_mail_the_database_keeps_refusing_is_moved_to_quarantine_after_three_tries_and_staff_are_alerted()
 {
    let app = TestApp::postgres().await;
    // The database refuses every row for this mailbox position, as it might for a corrupt
    // index or a constraint no one foresaw: even the bare quarantine record fails.
    if let store::Db::Postgres(pool) = &app.intake.db {
        sqlx::raw_sql(
            "CREATE FUNCTION refuse_poison() RETURNS trigger AS $$
             BEGIN IF NEW.uid LIKE '1-poison%' THEN RAISE EXCEPTION 'refused for the test'; END IF;
             RETURN NEW; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER refuse_poison BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_poison();",
        )
        .execute(pool)
        .await
        .unwrap();
    }
    app.deliver(
        "1-poison",
        &nomination(
            "Inclusie <inclusie@ede.nl>",
            "",
            "Voordracht gemeente Ede",
            LETTER,
            "poison@ede.nl",
        ),
    );
    app.deliver(
        "2-fine",
        &nomination(
            "Inclusie <inclusie@texel.nl>",
            "",
            "Voordracht gemeente Texel",
            LETTER,
            "fine@texel.nl",
        ),
    );
    // First try with the binary: the next mail is processed, the exit code says what happened.
    let out = app.command().args(["run", "--once"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not be recorded"));
    assert_eq!(store::submissions(&app.intake.db).await.unwrap().len(), 1);
    assert_eq!(app.files_in("Verwerkt"), 1);
    assert_eq!(app.files_in("Quarantaine"), 0, "not yet: it is tried again");
    let open = store::open_mail_failures(&app.intake.db).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].failures, 1);

    // Two more tries: then it leaves the inbox for the quarantine folder, and staff hear of it.
    let second = app.run_once().await;
    assert_eq!(second.poll.failed, 1);
    assert_eq!(app.files_in("Quarantaine"), 0);
    let third = app.run_once().await;
    assert_eq!(third.poll.failed, 1);
    assert_eq!(app.files_in("Quarantaine"), 1, "moved after the third try");
    let alerts: Vec<_> = app
        .letters()
        .into_iter()
        .filter(|(_, raw)| {
            String::from_utf8_lossy(raw).contains("kon niet worden verwerkt")
                || intake::mail::facts(raw)
                    .subject
                    .contains("kon niet worden verwerkt")
        })
        .collect();
    assert!(!alerts.is_empty(), "an alert letter to staff");
    let fourth = app.run_once().await;
    assert_eq!(fourth.poll.total(), 0, "nothing left in the inbox");
}

async fn another_sender_domain_does_not_replace_the_current_version(app: TestApp) {
    app.deliver(
        "1-ede",
        &nomination(
            "Inclusie <inclusie@ede.nl>",
            "",
            "Voordracht gemeente Ede",
            LETTER,
            "ede-1@ede.nl",
        ),
    );
    app.deliver(
        "2-stranger",
        &nomination(
            "Iemand <iemand@voorbeeld-adviesbureau.nl>",
            "",
            "Aanvulling voordracht gemeente Ede",
            "Aanvulling op de voordracht van de gemeente Ede: de inclusieagenda is ingetrokken.\r\n",
            "stranger@voorbeeld-adviesbureau.nl",
        ),
    );
    app.run_once().await;
    let subs = store::submissions(&app.intake.db).await.unwrap();
    assert_eq!(subs.len(), 2);
    let (ede, stranger) = (&subs[0], &subs[1]);
    assert_eq!(stranger.municipality_code.as_deref(), Some("GM0228"));
    assert!(ede.is_current, "Ede's own letter stays current");
    assert!(!stranger.is_current);
    assert!(stranger.other_sender);
    assert!(
        stranger
            .version_note
            .as_deref()
            .unwrap_or("")
            .contains("ander afzenderdomein"),
        "{:?}",
        stranger.version_note
    );
    // The stranger's confirmation does not call it a new version of Ede's nomination.
    let text = app.letter_text(&stranger.reference);
    assert!(!text.contains(&ede.reference), "{text}");
    assert!(text.contains("ander e-mailadres"), "{text}");
    // Staff see it in the to-do list and decide with one command.
    let snap = intake::digest::collect::Snapshot::load(&app.intake.db)
        .await
        .unwrap();
    let actions = intake::digest::collect::actions(&app.intake.cfg.call, &snap, chrono::Utc::now());
    assert!(
        actions
            .iter()
            .any(|a| a.contains(&format!("intake make-current {}", stranger.reference))),
        "{actions:?}"
    );
    let out = app
        .command()
        .args(["make-current", &stranger.reference, "--by", "medewerker"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let subs = store::submissions(&app.intake.db).await.unwrap();
    assert!(!subs[0].is_current && subs[1].is_current);
}

#[tokio::test]
async fn a_version_from_another_sender_domain_does_not_replace_the_current_one_on_sqlite() {
    another_sender_domain_does_not_replace_the_current_version(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn a_version_from_another_sender_domain_does_not_replace_the_current_one_on_postgres() {
    another_sender_domain_does_not_replace_the_current_version(TestApp::postgres().await).await;
}

#[tokio::test]
async fn the_confirmation_goes_to_from_and_a_reply_to_only_as_a_copy_in_the_same_domain() {
    let app = TestApp::sqlite().await;
    app.deliver(
        "1-same-domain",
        &nomination(
            "Inclusie <inclusie@ede.nl>",
            "Reply-To: secretariaat@ede.nl\r\n",
            "Voordracht gemeente Ede",
            LETTER,
            "rt-1@ede.nl",
        ),
    );
    app.deliver(
        "2-other-domain",
        &nomination(
            "Inclusie <inclusie@texel.nl>",
            "Reply-To: slachtoffer@example.org\r\n",
            "Voordracht gemeente Texel",
            LETTER,
            "rt-2@texel.nl",
        ),
    );
    app.run_once().await;
    let letters = app.letters();
    assert_eq!(letters.len(), 2);
    let heads: Vec<String> = letters
        .iter()
        .map(|(_, raw)| {
            String::from_utf8_lossy(raw)
                .split("\r\n\r\n")
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    let ede = heads
        .iter()
        .find(|h| h.contains("inclusie@ede.nl"))
        .unwrap();
    assert!(ede.contains("To: inclusie@ede.nl"), "{ede}");
    assert!(ede.contains("Cc: secretariaat@ede.nl"), "{ede}");
    let texel = heads
        .iter()
        .find(|h| h.contains("inclusie@texel.nl"))
        .unwrap();
    assert!(texel.contains("To: inclusie@texel.nl"), "{texel}");
    assert!(
        !texel.contains("example.org"),
        "never to a foreign Reply-To: {texel}"
    );
    let texel_row = store::submissions(&app.intake.db)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.sender == "inclusie@texel.nl")
        .unwrap();
    assert_eq!(
        texel_row.reply_to.as_deref(),
        Some("slachtoffer@example.org")
    );
    // The copy is in the envelope too.
    let row = store::outbox_all(&app.intake.db)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.recipient == "inclusie@ede.nl")
        .unwrap();
    assert_eq!(
        row.envelope_recipients(),
        vec!["inclusie@ede.nl", "secretariaat@ede.nl"]
    );
}

#[tokio::test]
async fn names_and_file_names_with_line_breaks_and_escapes_are_cleaned_before_letters_and_show() {
    let app = TestApp::sqlite().await;
    let raw = format!(
        "From: =?utf-8?q?Jan=0D=0ABcc=3A_x=40evil=2Eorg=1B=5B31m_Jansen?= <jan@ede.nl>\r\n\
To: koplopers@vng.nl\r\nSubject: Voordracht gemeente Ede\r\nMessage-ID: <names@ede.nl>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"M\"\r\n\r\n\
--M\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{LETTER}\r\n\
--M\r\nContent-Type: text/plain; charset=utf-8\r\n\
Content-Disposition: attachment; filename*=utf-8''brief%1B%5D0%3Bpwned%07%0D%0A.txt\r\n\r\n{LETTER}\r\n--M--\r\n"
    );
    app.deliver("names", raw.as_bytes());
    let run = app.run_once().await;
    assert_eq!(run.poll.nominations, 1, "{run:?}");
    let s = &store::submissions(&app.intake.db).await.unwrap()[0];
    let name = s.sender_name.clone().unwrap_or_default();
    assert!(!name.chars().any(char::is_control), "{name:?}");
    let text = app.letter_text(&s.reference);
    assert!(!text.contains('\u{1b}'), "no escape in the letter");
    assert!(
        !text.contains("\nBcc"),
        "no header-like line from the name:\n{text}"
    );
    let out = app.command().args(["show", &s.reference]).output().unwrap();
    assert!(out.status.success());
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
        "{shown:?}"
    );
    assert!(shown.contains("Jansen"), "{shown}");
}

#[tokio::test]
async fn automatic_replies_stop_at_the_cap_per_address_and_in_total() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("intake.db").display());
    let app = TestApp::with(
        dir,
        &url,
        &[
            ("INTAKE__OUTBOX__DAILY_CAP_PER_ADDRESS", "2"),
            ("INTAKE__OUTBOX__DAILY_CAP_TOTAL", "3"),
        ],
    )
    .await;
    for i in 0..3 {
        app.deliver(
            &format!("1-same-{i}"),
            &nomination(
                "Inclusie <inclusie@ede.nl>",
                "",
                "Voordracht gemeente Ede",
                LETTER,
                &format!("same-{i}@ede.nl"),
            ),
        );
    }
    for (i, (m, d)) in [("Texel", "texel.nl"), ("Oss", "oss.nl")]
        .iter()
        .enumerate()
    {
        app.deliver(
            &format!("2-other-{i}"),
            &nomination(
                &format!("Inclusie <inclusie@{d}>"),
                "",
                &format!("Voordracht gemeente {m}"),
                LETTER,
                &format!("other-{i}@{d}"),
            ),
        );
    }
    let run = app.run_once().await;
    assert_eq!(run.poll.nominations, 5, "{run:?}");
    let letters = app.letters();
    assert_eq!(letters.len(), 3, "2 to ede.nl, then 1 more in total");
    let to_ede = letters
        .iter()
        .filter(|(_, raw)| String::from_utf8_lossy(raw).contains("To: inclusie@ede.nl"))
        .count();
    assert_eq!(to_ede, 2);
    let capped: Vec<String> = store::outbox_all(&app.intake.db)
        .await
        .unwrap()
        .iter()
        .map(|o| o.key.clone())
        .collect();
    assert_eq!(capped.len(), 3);
    let notes = intake::store::digest::event_details(&app.intake.db, "no_confirmation")
        .await
        .unwrap();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes.iter().any(|n| n.contains("aan dit adres")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("automatische antwoorden bereikt"))
    );
}

#[tokio::test]
async fn check_config_never_prints_a_password_from_the_database_url() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_intake"))
        .args(["check-config"])
        .env(
            "INTAKE__DATABASE__URL",
            "postgres://intake:userinfo-geheim@127.0.0.1/intake?sslmode=disable&password=query-geheim",
        )
        .current_dir(crate::helpers::root())
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{all}");
    assert!(all.contains("127.0.0.1"), "{all}");
    assert!(!all.contains("geheim"), "{all}");
}

#[tokio::test]
async fn run_once_exits_6_with_a_reason_when_the_mailbox_cannot_be_read() {
    let app = TestApp::sqlite().await;
    let port = crate::servers::free_port().unwrap();
    let out = app
        .command()
        .args(["run", "--once"])
        .env("INTAKE__MAILBOX__KIND", "imap")
        .env("INTAKE__MAILBOX__IMAP__HOST", "127.0.0.1")
        .env("INTAKE__MAILBOX__IMAP__PORT", port.to_string())
        .env("INTAKE__MAILBOX__IMAP__USERNAME", "intake")
        .env("INTAKE__MAILBOX__IMAP__PASSWORD", "x")
        .env("INTAKE__MAILBOX__IMAP__CONNECT_TIMEOUT_SECS", "2")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains("the mailbox could not be read"), "{stderr}");
}

mod sending {
    //! The outbox's send rate: a limit per minute shared by every worker on the database, and
    //! a pause of all sending when the server answers with throttling (as Microsoft 365 does
    //! above about 30 mails a minute), which is not a failed attempt. A real SMTP server.

    use std::path::Path;

    use chrono::{DateTime, Duration, Utc};
    use intake::outbox::transport::{SmtpSettings, Transport};
    use intake::outbox::worker::{Policy, drain_once};
    use intake::store::{self, Db};

    use crate::servers::{SinkFailure, SmtpSink};

    fn transport(sink: &SmtpSink, dir: &Path) -> Transport {
        std::fs::write(dir.join("smtp"), "secret").unwrap();
        let settings: SmtpSettings = toml::from_str(&format!(
            "host = \"127.0.0.1\"\nport = {}\nusername = \"intake\"\npassword_file = {:?}\n\
             ca_file = {:?}\ntimeout_secs = 10\n",
            sink.port,
            dir.join("smtp"),
            sink.ca_pem
        ))
        .unwrap();
        Transport::from_settings(
            intake::outbox::transport::OutboxKind::Smtp,
            Path::new("unused"),
            Some(&settings),
        )
        .unwrap()
    }

    fn policy(worker: &str, max_per_minute: u32) -> Policy {
        Policy {
            worker_id: worker.into(),
            max_attempts: 3,
            retry_base_secs: 1,
            claim_secs: 30,
            sent_folder: None,
            max_per_minute,
        }
    }

    async fn letters(db: &Db, n: usize, t0: DateTime<Utc>) {
        let mut tx = db.begin().await.unwrap();
        for i in 0..n {
            let id = format!("<rate-{i}@vng.example>");
            let raw = format!(
                "From: koplopers@vng.example\r\nTo: gemeente{i}@example.nl\r\nSubject: Bevestiging {i}\r\n\
                 Message-ID: {id}\r\n\r\nOntvangen.\r\n"
            );
            store::enqueue(
                &mut tx,
                &store::NewOutbox {
                    key: &format!("confirmation:rate-{i}"),
                    kind: intake::domain::LetterKind::Confirmation,
                    submission_id: None,
                    recipient: &format!("gemeente{i}@example.nl"),
                    sender: "koplopers@vng.example",
                    subject: "Bevestiging",
                    message_id: &id,
                    raw: raw.as_bytes(),
                    cc: &[],
                    now: t0,
                },
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }

    async fn sqlite(dir: &Path) -> Db {
        let db = Db::connect(&format!("sqlite://{}", dir.join("o.db").display()), 2)
            .await
            .unwrap();
        db.migrate().await.unwrap();
        db
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_rate_limit_per_minute_is_shared_by_every_worker() {
        let dir = tempfile::tempdir().unwrap();
        let sink = SmtpSink::start().unwrap();
        let db = sqlite(dir.path()).await;
        let t = transport(&sink, dir.path());
        let t0 = Utc::now();
        letters(&db, 8, t0).await;
        let a = drain_once(&db, &t, &policy("daemon-a", 3), || t0)
            .await
            .unwrap();
        assert_eq!(a.sent, 3, "{a:?}");
        assert!(a.paused_until.is_some());
        // A second daemon on the same database sees the same minute.
        let b = drain_once(&db, &t, &policy("daemon-b", 3), || {
            t0 + Duration::seconds(30)
        })
        .await
        .unwrap();
        assert_eq!(b.sent, 0, "{b:?}");
        let later = drain_once(&db, &t, &policy("daemon-b", 3), || {
            t0 + Duration::seconds(61)
        })
        .await
        .unwrap();
        assert_eq!(later.sent, 3, "{later:?}");
        assert_eq!(sink.received().len(), 6);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_throttling_answer_pauses_all_sending_with_backoff_and_is_not_a_failed_attempt() {
        let dir = tempfile::tempdir().unwrap();
        let sink = SmtpSink::start().unwrap();
        let db = sqlite(dir.path()).await;
        let t = transport(&sink, dir.path());
        let t0 = Utc::now();
        letters(&db, 3, t0).await;
        sink.set_failure(SinkFailure::All(
            "450 4.7.0 Message rate exceeded, please slow down".into(),
        ))
        .unwrap();
        let first = drain_once(&db, &t, &policy("daemon-a", 0), || t0)
            .await
            .unwrap();
        assert_eq!(
            (first.sent, first.throttled, first.failed),
            (0, 1, 0),
            "{first:?}"
        );
        let until = first.paused_until.unwrap();
        assert_eq!(until, t0 + Duration::seconds(60));
        let rows = store::outbox_all(&db).await.unwrap();
        assert!(
            rows.iter().all(|r| r.attempts == 0),
            "not counted as attempts"
        );
        // During the pause no worker sends, even with the server happy again.
        sink.set_failure(SinkFailure::None).unwrap();
        let paused = drain_once(&db, &t, &policy("daemon-b", 0), || {
            t0 + Duration::seconds(30)
        })
        .await
        .unwrap();
        assert_eq!(paused.sent, 0, "{paused:?}");
        // Throttled again right after the pause: the next pause is twice as long.
        sink.set_failure(SinkFailure::All(
            "421 4.7.0 Too many messages, throttled".into(),
        ))
        .unwrap();
        let again = drain_once(&db, &t, &policy("daemon-a", 0), || {
            t0 + Duration::seconds(61)
        })
        .await
        .unwrap();
        assert_eq!(again.throttled, 1);
        assert_eq!(
            again.paused_until.unwrap(),
            t0 + Duration::seconds(61 + 120)
        );
        sink.set_failure(SinkFailure::None).unwrap();
        let done = drain_once(&db, &t, &policy("daemon-a", 0), || {
            t0 + Duration::seconds(200)
        })
        .await
        .unwrap();
        assert_eq!(done.sent, 3, "{done:?}");
        assert_eq!(sink.received().len(), 3);
    }
}
