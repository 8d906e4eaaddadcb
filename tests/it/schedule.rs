//! The staff digest from a real database: its content for a database filled from the sample
//! mailbox (plus one case for every other section), and the daily schedule under a controlled
//! clock: nothing before the digest time, nothing on a day without news, exactly one per day,
//! also after a restart (a new `Intake` on the same database) and on PostgreSQL.
//!
//! The clock given to the schedule is a day or more after the real time the mails were stored,
//! so every stored mail lies in the first digest's period.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use intake::app::App;
use intake::daemon;
use intake::digest::collect::{self, Snapshot};
use intake::digest::schedule::send_digest_if_due;
use intake::letters::{self, OutAttachment, Outgoing};
use intake::mailbox::Fetched;
use intake::pipeline::{self, Position};
use intake::store::{self, consult as cs, digest as sd};
use mail_parser::MimeHeaders as _;

use crate::helpers::TestApp;

/// `days` after today (Amsterdam) at `h:m` local time.
fn local(days: i64, h: u32, m: u32) -> DateTime<Utc> {
    let tz = chrono_tz::Europe::Amsterdam;
    let date = Utc::now().with_timezone(&tz).date_naive() + Duration::days(days);
    tz.from_local_datetime(&date.and_hms_opt(h, m, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// Sends what is due in the outbox (file transport) at `at`.
async fn drain(intake: &App, at: DateTime<Utc>) {
    let me = daemon::worker_id();
    intake::outbox::drain_once(
        &intake.db,
        &daemon::transport(intake).unwrap(),
        &daemon::policy(intake, &me),
        move || at,
    )
    .await
    .unwrap();
}

async fn digest_rows(intake: &App) -> Vec<store::OutboxRow> {
    store::outbox_all(&intake.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.kind == intake::domain::LetterKind::Digest)
        .collect()
}

/// A nomination from Utrecht whose PDF attachment cannot be read.
fn unreadable_nomination() -> Vec<u8> {
    letters::build(&Outgoing {
        from_name: "Griffie Utrecht".into(),
        from_address: "griffie@utrecht.nl".into(),
        to: "koplopers@vng.nl".into(),
        subject: "Voordracht gemeente Utrecht Koplopers VN-Verdrag".into(),
        text: "Geachte heer, mevrouw,\n\nIn de bijlage vindt u de voordracht van de gemeente Utrecht.\n\nMet vriendelijke groet,\nGriffie Utrecht\n".into(),
        html: "<p>In de bijlage vindt u de voordracht van de gemeente Utrecht.</p>".into(),
        message_id: "<voordracht.utrecht@utrecht.nl>".into(),
        attachments: vec![OutAttachment {
            name: "voordracht-utrecht.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF-1.4\n this is not a real pdf, only its first line\n".to_vec(),
        }],
        ..Outgoing::default()
    })
    .unwrap()
}

/// The sample mailbox plus: an unidentified sender, an unreadable attachment, a quarantined
/// mail, a failed delivery, a failing mailbox, and consultations with an objection.
async fn fill_every_section(app: &TestApp) {
    app.copy_samples();
    app.deliver_fixture("unidentified-gmail.eml");
    app.deliver("zz-utrecht", &unreadable_nomination());
    // A bounce of a letter that is not ours to find.
    let bounce = std::fs::read(
        crate::helpers::root().join("examples/mailbox/cur/1521128611.M155433P23119.mx1:2,S"),
    )
    .unwrap();
    let bounce = String::from_utf8_lossy(&bounce)
        .replace("confirmation.KVN-0005", "confirmation.KVN-0999")
        .replace(
            "<20180315154330.7A9F24C0B7@smtp-out.vng.nl>",
            "<20180315154330.UNLINKED@smtp-out.vng.nl>",
        );
    app.deliver("zz-bounce", bounce.as_bytes());
    let r = app.run_once().await;
    assert_eq!(r.poll.nominations, 12, "{r:?}");
    let db = &app.intake.db;
    let now = Utc::now();
    let pos = Position {
        mailbox: "INBOX".into(),
        uidvalidity: 7,
        uid: "99".into(),
    };
    pipeline::record_oversized(&app.intake, &pos, 40_000_000, now)
        .await
        .unwrap();
    let confirmation = store::outbox_by_key(db, "confirmation:KVN-0003")
        .await
        .unwrap()
        .unwrap();
    store::outbox_failed(db, confirmation.id, "550 5.1.1 mailbox unavailable")
        .await
        .unwrap();
    store::mailbox_failed(db, "imap://mail.vng.nl/INBOX", "connection refused", now)
        .await
        .unwrap();
    intake::consult::request(&app.intake, "KVN-0002", now)
        .await
        .unwrap();
    let cons = cs::consultations_of(
        db,
        store::submission_by_reference(db, "KVN-0002")
            .await
            .unwrap()
            .unwrap()
            .id,
    )
    .await
    .unwrap();
    assert_eq!(cons.len(), 5);
    let mind = cons.iter().find(|c| c.partner_id == "mind").unwrap();
    let mut tx = db.begin().await.unwrap();
    cs::record_answer(
        &mut tx,
        mind.id,
        Some("objection"),
        "Er zijn geen ervaringsdeskundigen betrokken.",
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_digest_of_a_populated_database_has_every_section_and_reaches_every_staff_recipient() {
    let app = TestApp::sqlite().await;
    fill_every_section(&app).await;
    let at = local(1, 8, 0);
    let key = send_digest_if_due(&app.intake, at)
        .await
        .unwrap()
        .expect("a digest is due");
    let rows = digest_rows(&app.intake).await;
    assert_eq!(rows.len(), app.intake.cfg.call.staff.recipients.len());
    assert!(rows.iter().all(|r| r.key.starts_with(&key)));
    drain(&app.intake, at).await;

    let (_, raw) = app
        .letters()
        .into_iter()
        .find(|(n, _)| n.starts_with("digest."))
        .expect("the digest was delivered to the file outbox");
    let msg = mail_parser::MessageParser::default()
        .parse(&raw)
        .expect("the digest parses");
    let text = msg.body_text(0).expect("a plain-text part").into_owned();
    let html = msg.body_html(0).expect("an HTML part").into_owned();
    for section in [
        "12 nieuwe voordrachten",
        "Te laat binnengekomen (2)",
        "Meer pagina's dan toegestaan (1)",
        "Gemeente niet herkend (1)",
        "Bijlagen die we niet konden lezen (1)",
        "Mails in quarantaine (1)",
        "Mails die terugkwamen (onbestelbaar) (2)",
        "Mails die we niet konden versturen (1)",
        "imap://mail.vng.nl/INBOX",
        "Raadpleging van de partners",
        "Wat u moet doen",
        "Voordrachten per provincie",
        "Voordrachten per thema",
    ] {
        assert!(
            text.contains(section),
            "the text lacks {section:?}:\n{text}"
        );
    }
    for fact in [
        "KVN-0010",
        "Heerlen",
        "KVN-0006",
        "voordracht-utrecht.pdf",
        "ontvangstbevestiging KVN-0005",
        "ontvangstbevestiging KVN-0003",
        "550 5.1.1",
    ] {
        assert!(text.contains(fact), "the text lacks {fact:?}");
    }
    // Objections come first among the consultations.
    let consult = &text[text.find("Raadpleging van de partners").unwrap()..];
    let objection = consult.find("BEZWAAR").expect("the objection is listed");
    let asked = consult
        .find("gevraagd, nog geen antwoord")
        .expect("open requests are listed");
    assert!(objection < asked, "objection first:\n{consult}");
    assert!(text.contains("Beslis over het bezwaar van MIND"));
    // Charts inline with alt text, the CSV attached.
    assert!(html.contains("lang=\"nl\""));
    let images: Vec<_> = msg
        .attachments()
        .filter(|a| a.content_type().is_some_and(|c| c.subtype() == Some("png")))
        .collect();
    assert_eq!(images.len(), 3, "three charts inline");
    for img in &images {
        let cid = img.content_id().expect("each chart has a Content-ID");
        assert!(
            html.contains(&format!("cid:{cid}")),
            "chart {cid} is referenced"
        );
    }
    let csv = msg
        .attachments()
        .find(|a| a.attachment_name().is_some_and(|n| n.ends_with(".csv")))
        .expect("the CSV is attached");
    let csv = String::from_utf8(csv.contents().to_vec()).unwrap();
    assert!(csv.starts_with('\u{feff}'));
    // Header plus the 11 current nominations (KVN-0001 was superseded by KVN-0007).
    assert_eq!(csv.trim_end().split("\r\n").count(), 12, "{csv}");
    assert!(
        !csv.contains("KVN-0001;"),
        "a superseded version is not in the digest's CSV"
    );
}

#[tokio::test]
async fn a_failed_delivery_is_reported_in_one_digest_only() {
    let app = TestApp::sqlite().await;
    fill_every_section(&app).await;
    assert!(
        send_digest_if_due(&app.intake, local(1, 8, 0))
            .await
            .unwrap()
            .is_some()
    );
    let snap = Snapshot::load(&app.intake.db).await.unwrap();
    assert!(snap.unreported_failures().is_empty());
    let next = collect::digest_data(
        &app.intake.cfg.call,
        &snap,
        Some(local(1, 8, 0)),
        local(2, 8, 0),
    );
    assert!(next.failed_deliveries.is_empty());
    assert!(next.new_nominations.is_empty());
    // The mailbox still fails: that is news again tomorrow.
    assert_eq!(next.mailbox_problems.len(), 1);
}

#[tokio::test]
async fn no_digest_before_the_hour_none_without_news_and_the_quiet_day_is_not_retried() {
    let app = TestApp::sqlite().await;
    let intake = &app.intake;
    assert_eq!(
        send_digest_if_due(intake, local(1, 7, 59)).await.unwrap(),
        None
    );
    assert!(
        sd::all_digests(&intake.db).await.unwrap().is_empty(),
        "nothing decided before 08:00"
    );
    assert_eq!(
        send_digest_if_due(intake, local(1, 8, 0)).await.unwrap(),
        None
    );
    let days = sd::all_digests(&intake.db).await.unwrap();
    assert_eq!(days.len(), 1);
    assert_eq!(
        days[0].outbox_key, None,
        "a quiet day is recorded without a mail"
    );
    // News later that day waits for tomorrow's digest.
    let raw =
        std::fs::read(crate::helpers::root().join("tests/fixtures/mail/deadline-exact-235959.eml"))
            .unwrap();
    let pos = Position {
        mailbox: "INBOX".into(),
        uidvalidity: 1,
        uid: "1".into(),
    };
    let fetched = Fetched {
        uid: "1".into(),
        raw,
        internal_date: None,
        file_time: None,
    };
    pipeline::process(intake, &pos, fetched, local(1, 10, 0))
        .await
        .unwrap();
    assert_eq!(
        send_digest_if_due(intake, local(1, 11, 0)).await.unwrap(),
        None
    );
    assert!(digest_rows(intake).await.is_empty());
    let key = send_digest_if_due(intake, local(2, 8, 5)).await.unwrap();
    assert!(key.is_some());
    assert_eq!(digest_rows(intake).await.len(), 1);
}

/// One digest at 08:00, none later that day, none after a restart; the next digest covers
/// only what came after the previous one.
async fn one_digest_per_day(app: TestApp) {
    app.copy_samples();
    app.run_once().await;
    let intake = &app.intake;
    assert_eq!(
        send_digest_if_due(intake, local(1, 7, 59)).await.unwrap(),
        None
    );
    let first = send_digest_if_due(intake, local(1, 8, 0)).await.unwrap();
    assert!(first.is_some());
    assert_eq!(
        send_digest_if_due(intake, local(1, 8, 1)).await.unwrap(),
        None
    );
    assert_eq!(
        send_digest_if_due(intake, local(1, 23, 59)).await.unwrap(),
        None
    );

    let restarted = App::open(intake.cfg.clone()).await.unwrap();
    assert_eq!(
        send_digest_if_due(&restarted, local(1, 12, 0))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        digest_rows(&restarted).await.len(),
        1,
        "no second digest after a restart"
    );

    // The next day: one new nomination, stored after the first digest.
    let raw =
        std::fs::read(crate::helpers::root().join("tests/fixtures/mail/version-ontime-almere.eml"))
            .unwrap();
    let pos = Position {
        mailbox: "INBOX".into(),
        uidvalidity: 1,
        uid: "new-1".into(),
    };
    let fetched = Fetched {
        uid: "new-1".into(),
        raw,
        internal_date: None,
        file_time: None,
    };
    pipeline::process(&restarted, &pos, fetched, local(2, 6, 30))
        .await
        .unwrap();
    let second = send_digest_if_due(&restarted, local(2, 8, 0))
        .await
        .unwrap();
    assert!(second.is_some() && second != first);
    let rows = digest_rows(&restarted).await;
    assert_eq!(rows.len(), 2);
    let raw = &rows
        .iter()
        .find(|r| Some(r.key.as_str()).is_some_and(|k| k.starts_with(second.as_deref().unwrap())))
        .unwrap()
        .raw;
    let text = intake::mail::facts(raw).text.unwrap_or_default();
    assert!(
        text.contains("1 nieuwe voordracht"),
        "only the new one:\n{text}"
    );
    let days = sd::all_digests(&restarted.db).await.unwrap();
    assert_eq!(
        days[1].period_start,
        Some(days[0].period_end),
        "no gap and no overlap between digests"
    );
}

#[tokio::test]
async fn exactly_one_digest_per_day_even_after_a_restart_on_sqlite() {
    one_digest_per_day(TestApp::sqlite().await).await;
}

#[tokio::test]
async fn exactly_one_digest_per_day_even_after_a_restart_on_postgres() {
    one_digest_per_day(TestApp::postgres().await).await;
}

#[tokio::test]
async fn a_disabled_digest_is_never_sent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("i.db").display());
    let app = TestApp::with(dir, &url, &[("INTAKE__DIGEST__ENABLED", "false")]).await;
    app.copy_samples();
    app.run_once().await;
    assert_eq!(
        send_digest_if_due(&app.intake, local(1, 9, 0))
            .await
            .unwrap(),
        None
    );
    assert!(sd::all_digests(&app.intake.db).await.unwrap().is_empty());
}
