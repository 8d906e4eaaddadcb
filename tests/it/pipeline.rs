//! The pipeline end to end on Maildir + SQLite and on PostgreSQL: the sample mailbox, idempotence,
//! auto-reply and bounce rules, deadline edges, versions and the confirmation's content.

use intake::store;

use crate::helpers::TestApp;

async fn the_sample_mailbox_is_processed_once(app: TestApp) {
    app.copy_samples();
    let first = app.run_once().await;
    assert_eq!(first.poll.nominations, 10, "{first:?}");
    assert_eq!(first.poll.duplicates, 1);
    assert_eq!(first.poll.other, 3, "auto-reply, bounce and list mail");
    assert_eq!(first.poll.quarantined, 0);
    assert_eq!(first.sent, 10);
    let letters = app.letters();
    assert_eq!(letters.len(), 10, "one confirmation per nomination");
    for (_, raw) in &letters {
        let f = intake::mail::facts(raw);
        let to = f.recipients.join(",");
        assert!(!to.contains("vng.nl"), "never to ourselves: {to}");
        assert!(String::from_utf8_lossy(raw).contains("Auto-Submitted: auto-replied"));
    }
    assert_eq!(app.files_in("Verwerkt"), 14);
    let subs = store::submissions(&app.intake.db).await.unwrap();
    assert_eq!(subs.len(), 10);
    assert_eq!(
        subs.iter().filter(|s| s.is_current).count(),
        9,
        "KVN-0007 supersedes KVN-0001"
    );

    // A second run, with every mail put back into the inbox as after a crash before the
    // acknowledgement: nothing new is stored or sent.
    for e in std::fs::read_dir(app.maildir.join(".Verwerkt/cur")).unwrap() {
        let e = e.unwrap();
        std::fs::rename(e.path(), app.maildir.join("cur").join(e.file_name())).unwrap();
    }
    let second = app.run_once().await;
    assert_eq!(second.poll.already_stored, 14, "{second:?}");
    assert_eq!(
        second.poll.nominations + second.poll.duplicates + second.poll.other,
        0
    );
    assert_eq!(second.sent, 0);
    assert_eq!(app.letters().len(), 10);
    assert_eq!(store::submissions(&app.intake.db).await.unwrap().len(), 10);
}

#[tokio::test]
async fn the_sample_mailbox_gets_one_confirmation_per_nomination_on_sqlite_and_nothing_twice() {
    the_sample_mailbox_is_processed_once(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn the_sample_mailbox_gets_one_confirmation_per_nomination_on_postgres_and_nothing_twice() {
    the_sample_mailbox_is_processed_once(TestApp::postgres().await).await;
}

#[tokio::test]
async fn each_sample_case_gets_the_confirmation_it_needs() {
    let app = TestApp::sqlite().await;
    app.copy_samples();
    app.run_once().await;
    let late = app.letter_text("KVN-0010");
    assert!(
        late.contains("te laat") || late.contains("Te laat") || late.contains("niet op tijd"),
        "{late}"
    );
    let long = app.letter_text("KVN-0006");
    assert!(
        long.contains("4 pagina's") && long.contains("2 pagina's te lang"),
        "{long}"
    );
    let v2 = app.letter_text("KVN-0007");
    assert!(
        v2.contains("KVN-0001"),
        "the new version names the one it replaces:\n{v2}"
    );
    let body = app.letter_text("KVN-0005");
    assert!(body.contains("tekst in de e-mail"), "{body}");
    let odt = app.letter_text("KVN-0009");
    assert!(
        odt.to_lowercase().contains("steunbrief") || odt.contains("Adviesraad"),
        "{odt}"
    );
    let iphone = app.letter_text("KVN-0008");
    assert!(
        iphone.contains(".pdf") && iphone.contains("1 pagina"),
        "{iphone}"
    );
    for n in 1..=10 {
        let t = app.letter_text(&format!("KVN-{n:04}"));
        assert!(
            t.contains(&format!("KVN-{n:04}")),
            "each letter states its reference"
        );
        assert!(
            t.contains("automatisch"),
            "each letter says it is automatic"
        );
    }
}

#[tokio::test]
async fn a_bounce_is_linked_to_the_confirmation_it_returns() {
    let app = TestApp::sqlite().await;
    app.copy_samples();
    app.run_once().await;
    let row = store::outbox_by_key(&app.intake.db, "confirmation:KVN-0005")
        .await
        .unwrap()
        .unwrap();
    assert!(
        row.bounced_at.is_some(),
        "the DSN for KVN-0005 is recorded on its outbox row"
    );
}

#[tokio::test]
async fn the_last_second_of_21_march_is_on_time_and_the_next_second_is_late() {
    let app = TestApp::sqlite().await;
    app.deliver_fixture("deadline-exact-235959.eml");
    app.deliver_fixture("deadline-first-late-second.eml");
    app.deliver_fixture("dst-edge-20180325.eml");
    app.run_once().await;
    let subs = store::submissions(&app.intake.db).await.unwrap();
    assert_eq!(subs.len(), 3);
    let by = |code: &str| {
        subs.iter()
            .find(|s| s.municipality_code.as_deref() == Some(code))
            .unwrap()
            .clone()
    };
    let haarlem = by("GM0392");
    assert!(haarlem.on_time);
    assert_eq!(haarlem.deadline_diff_secs, 0);
    let swf = by("GM1900");
    assert!(!swf.on_time);
    assert_eq!(swf.deadline_diff_secs, 1);
    let utrecht = by("GM0344");
    assert_eq!(utrecht.arrived_at.to_rfc3339(), "2018-03-25T01:00:10+00:00");
    assert!(!utrecht.on_time);
}

#[tokio::test]
async fn a_version_after_the_deadline_is_kept_but_the_on_time_version_stays_current() {
    let app = TestApp::sqlite().await;
    app.deliver(
        "1.a",
        &std::fs::read(
            crate::helpers::root().join("tests/fixtures/mail/version-ontime-almere.eml"),
        )
        .unwrap(),
    );
    app.run_once().await;
    app.deliver(
        "2.b",
        &std::fs::read(crate::helpers::root().join("tests/fixtures/mail/version-late-almere.eml"))
            .unwrap(),
    );
    app.run_once().await;
    let subs = store::submissions(&app.intake.db).await.unwrap();
    assert_eq!(subs.len(), 2);
    assert!(subs[0].is_current && subs[0].on_time);
    assert!(!subs[1].is_current && !subs[1].on_time);
    assert_eq!(subs[1].supersedes, Some(subs[0].id));
    assert!(
        subs[1]
            .version_note
            .as_deref()
            .unwrap_or("")
            .contains("blijft")
    );
}

#[tokio::test]
async fn auto_replies_lists_and_our_own_mail_are_stored_but_never_answered() {
    let app = TestApp::sqlite().await;
    app.deliver("a", b"From: j@ede.nl\r\nTo: koplopers@vng.nl\r\nSubject: Automatisch antwoord: Voordracht\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <a1@ede.nl>\r\n\r\nIk ben afwezig.\r\n");
    app.deliver("b", b"From: koplopers@vng.nl\r\nTo: koplopers@vng.nl\r\nSubject: Test\r\nMessage-ID: <b1@vng.nl>\r\n\r\nGemeente Ede draagt zich voor.\r\n");
    app.deliver("c", b"From: lijst@lists.example.org\r\nTo: koplopers@vng.nl\r\nList-Id: <x.lists.example.org>\r\nSubject: Gemeente Ede\r\nMessage-ID: <c1@x>\r\n\r\nNieuws.\r\n");
    app.deliver("d", b"From: MAILER-DAEMON@mx.ede.nl\r\nReturn-Path: <>\r\nTo: koplopers@vng.nl\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <d1@x>\r\n\r\nDelivery failed.\r\n");
    let r = app.run_once().await;
    assert_eq!(r.poll.other, 4, "{r:?}");
    assert_eq!(r.poll.nominations, 0);
    assert!(app.letters().is_empty());
}

#[tokio::test]
async fn a_broken_mail_is_recorded_with_a_reason_and_the_next_mail_is_still_processed() {
    let app = TestApp::sqlite().await;
    app.deliver("1.broken", b"\x00\x01\x02\xff\xfe not a mail at all");
    app.deliver_fixture("deadline-exact-235959.eml");
    let r = app.run_once().await;
    // Unparseable bytes are stored (kind other, no sender, no reply); the nomination after it is processed.
    assert_eq!(r.poll.nominations, 1, "{r:?}");
    assert_eq!(r.poll.other + r.poll.quarantined, 1);
    let counts = store::message_counts(&app.intake.db).await.unwrap();
    assert_eq!(
        counts.iter().map(|c| c.2).sum::<i64>(),
        2,
        "every mail is recorded: {counts:?}"
    );
    assert_eq!(app.letters().len(), 1);
}

#[tokio::test]
async fn a_mail_larger_than_the_limit_is_quarantined_unread() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("i.db").display());
    let app = TestApp::with(dir, &url, &[("INTAKE__MAILBOX__MAX_MESSAGE_BYTES", "1000")]).await;
    let mut big = b"From: j@ede.nl\r\nTo: koplopers@vng.nl\r\nSubject: Voordracht\r\n\r\n".to_vec();
    big.extend(std::iter::repeat_n(b'x', 5000));
    app.deliver("big", &big);
    let r = app.run_once().await;
    assert_eq!(r.poll.quarantined, 1);
    assert_eq!(app.files_in("Quarantaine"), 1);
    assert!(app.letters().is_empty());
}

#[tokio::test]
async fn municipalities_are_identified_from_domain_and_letter_and_doubts_are_flagged() {
    let app = TestApp::sqlite().await;
    for f in [
        "werkorganisatie-hltsamen.eml",
        "letterhead-other-municipality.eml",
        "ambiguous-bergen-limburg.eml",
        "unidentified-gmail.eml",
    ] {
        app.deliver_fixture(f);
    }
    let r = app.run_once().await;
    assert_eq!(r.poll.nominations, 4, "{r:?}");
    let subs = store::submissions(&app.intake.db).await.unwrap();
    let by_sender = |needle: &str| {
        subs.iter()
            .find(|s| s.sender.contains(needle))
            .unwrap_or_else(|| panic!("no {needle}"))
            .clone()
    };
    assert_eq!(
        by_sender("hltsamen.nl").municipality_code.as_deref(),
        Some("GM1525"),
        "Teylingen from the letter"
    );
    let peel = by_sender("venlo.nl");
    assert_eq!(
        peel.municipality_code.as_deref(),
        Some("GM1894"),
        "Peel en Maas from the letterhead"
    );
    assert!(
        !peel.flags().is_empty(),
        "the Venlo sender domain is flagged for staff"
    );
    assert_eq!(
        by_sender("kpnmail.nl").municipality_code.as_deref(),
        Some("GM0893"),
        "Bergen (L.), never Bergen (NH.)"
    );
    let unknown = by_sender("gmail.com");
    assert_eq!(unknown.municipality_code, None);
    // The confirmation of the unidentified nomination asks which municipality it is for; staff set it.
    let letter = app.letter_text(&unknown.reference);
    assert!(letter.to_lowercase().contains("gemeente"), "{letter}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_intake"))
        .args(["set-municipality", &unknown.reference, "GM0363"])
        .env(
            "INTAKE__DATABASE__URL",
            format!("sqlite://{}", app.dir.path().join("intake.db").display()),
        )
        .env(
            "INTAKE__MAILBOX__MAILDIR_PATH",
            app.maildir.display().to_string(),
        )
        .env("INTAKE__OUTBOX__DIR", app.outbox.display().to_string())
        .current_dir(crate::helpers::root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fixed = store::submission_by_reference(&app.intake.db, &unknown.reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fixed.municipality_code.as_deref(), Some("GM0363"));
    assert!(fixed.municipality_by_staff);
    let events = store::events_of(&app.intake.db, fixed.id).await.unwrap();
    assert!(
        events.iter().any(|e| e.action == "set_municipality"),
        "audit log"
    );
}

#[tokio::test]
async fn intake_show_prints_the_findings_with_quoted_evidence() {
    let app = TestApp::sqlite().await;
    app.copy_samples();
    app.run_once().await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_intake"))
        .args(["show", "KVN-0002"])
        .env(
            "INTAKE__DATABASE__URL",
            format!("sqlite://{}", app.dir.path().join("intake.db").display()),
        )
        .env(
            "INTAKE__MAILBOX__MAILDIR_PATH",
            app.maildir.display().to_string(),
        )
        .env("INTAKE__OUTBOX__DIR", app.outbox.display().to_string())
        .current_dir(crate::helpers::root())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("Zwolle") && text.contains("op tijd") && text.contains("«"),
        "{text}"
    );
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_intake"))
        .args(["show", "KVN-9999"])
        .env(
            "INTAKE__DATABASE__URL",
            format!("sqlite://{}", app.dir.path().join("intake.db").display()),
        )
        .current_dir(crate::helpers::root())
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(4));
}

#[tokio::test]
async fn every_confirmation_is_accessible_html_with_a_plain_text_alternative() {
    let app = TestApp::sqlite().await;
    app.copy_samples();
    app.run_once().await;
    let letters = app.letters();
    assert_eq!(letters.len(), 10);
    for (name, raw) in letters {
        let f = intake::mail::facts(&raw);
        let html = f.html.unwrap_or_default();
        assert!(
            f.text.is_some_and(|t| t.len() > 200),
            "{name}: a text alternative"
        );
        let problems = crate::digest::accessibility_problems(&html);
        assert!(problems.is_empty(), "{name}: {problems:?}");
        assert!(html.contains("lang=\"nl\""));
    }
}

#[tokio::test]
async fn the_daemon_stops_cleanly_on_sigterm_and_keeps_what_it_processed() {
    let app = TestApp::sqlite().await;
    app.copy_samples();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_intake"))
        .args(["run"])
        .env(
            "INTAKE__DATABASE__URL",
            format!("sqlite://{}", app.dir.path().join("intake.db").display()),
        )
        .env(
            "INTAKE__MAILBOX__MAILDIR_PATH",
            app.maildir.display().to_string(),
        )
        .env("INTAKE__OUTBOX__DIR", app.outbox.display().to_string())
        .env("INTAKE__MAILBOX__POLL_INTERVAL_SECS", "1")
        .env("INTAKE__DIGEST__ENABLED", "false")
        .current_dir(crate::helpers::root())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the sample mailbox is processed (bounded), then ask it to stop.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while app.letters().len() < 10 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(log.contains("intake stopped"), "{log}");
    assert_eq!(app.letters().len(), 10);
    assert_eq!(store::submissions(&app.intake.db).await.unwrap().len(), 10);
}
