//! Decisions, ratification and the decision letters; the exports and the shortlist from a
//! database filled by the sample mailbox. Through the library functions behind `intake decide`,
//! `ratify`, `letters --send`, `export` and `shortlist`.

use std::collections::BTreeSet;
use std::io::Read as _;

use chrono::Utc;
use intake::actions::ActionError as StepError;
use intake::app::App;
use intake::digest::export::{ExportFormat, export_bytes};
use intake::domain::Decision;
use intake::selection::letters::queue_decision_letters;
use intake::selection::{record_decision, record_ratification, shortlist_proposal};
use intake::store::{self, consult as cs, digest as sd};

use crate::helpers::TestApp;

/// The sample mailbox: KVN-0001..0010, KVN-0001 superseded by KVN-0007, KVN-0010 late.
async fn sample_app() -> TestApp {
    let app = TestApp::sqlite().await;
    app.copy_samples();
    let r = app.run_once().await;
    assert_eq!(r.poll.nominations, 10, "{r:?}");
    app
}

const SELECTED: [&str; 5] = ["KVN-0002", "KVN-0003", "KVN-0006", "KVN-0008", "KVN-0009"];
const RESERVE: [&str; 3] = ["KVN-0004", "KVN-0005", "KVN-0007"];

async fn decide_all(intake: &App) {
    let now = Utc::now();
    for r in SELECTED {
        record_decision(
            intake,
            r,
            Decision::Selected,
            "sterk, spreiding",
            "tester",
            now,
        )
        .await
        .unwrap();
    }
    for r in RESERVE {
        record_decision(intake, r, Decision::Reserve, "tweede keus", "tester", now)
            .await
            .unwrap();
    }
    record_decision(
        intake,
        "kvn-0010",
        Decision::Rejected,
        "te laat",
        "tester",
        now,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn letters_go_out_only_after_both_ratifications_and_never_twice() {
    let app = sample_app().await;
    let intake = &app.intake;
    let now = Utc::now();
    let holders: Vec<String> = intake
        .cfg
        .call
        .office_holders
        .iter()
        .map(|h| h.name.clone())
        .collect();
    assert_eq!(holders.len(), 2);

    // Nothing before the decisions.
    assert!(
        matches!(queue_decision_letters(intake, now).await, Err(StepError::NotRatified(m)) if m.len() == 2)
    );
    match record_ratification(intake, &holders[0], None, now).await {
        Err(StepError::Undecided(refs)) => assert_eq!(refs.len(), 9, "{refs:?}"),
        other => panic!("ratified without decisions: {other:?}"),
    }
    assert!(matches!(
        record_decision(intake, "KVN-9999", Decision::Selected, "x", "tester", now).await,
        Err(StepError::NotFound(_))
    ));

    decide_all(intake).await;
    // A changed mind: the latest decision counts.
    record_decision(
        intake,
        "KVN-0007",
        Decision::Rejected,
        "toch niet",
        "tester",
        now,
    )
    .await
    .unwrap();
    record_decision(
        intake,
        "KVN-0007",
        Decision::Reserve,
        "toch reserve",
        "tester",
        now,
    )
    .await
    .unwrap();

    match record_ratification(intake, "de penningmeester", None, now).await {
        Err(e @ StepError::UnknownOfficeHolder { .. }) => {
            assert!(e.to_string().contains("not an office holder"), "{e}")
        }
        other => panic!("an unknown name ratified: {other:?}"),
    }
    let first = record_ratification(intake, &holders[0].to_uppercase(), Some("akkoord"), now)
        .await
        .unwrap();
    assert_eq!(first.office_holder, holders[0]);
    assert_eq!(first.missing, vec![holders[1].clone()]);
    assert!(
        matches!(queue_decision_letters(intake, now).await, Err(StepError::NotRatified(m)) if m == vec![holders[1].clone()])
    );
    assert!(
        record_ratification(intake, &holders[0], None, now)
            .await
            .unwrap()
            .already
    );

    // By role works too.
    let role = intake.cfg.call.office_holders[1].role.clone();
    let second = record_ratification(intake, &role, None, now).await.unwrap();
    assert!(second.missing.is_empty());
    assert!(matches!(
        record_decision(
            intake,
            "KVN-0010",
            Decision::Selected,
            "alsnog",
            "tester",
            now
        )
        .await,
        Err(StepError::AlreadyRatified(_))
    ));

    let q = queue_decision_letters(intake, now).await.unwrap();
    assert_eq!((q.selected, q.not_selected, q.already), (5, 4, 0), "{q:?}");
    assert!(q.skipped.is_empty());
    let again = queue_decision_letters(intake, now).await.unwrap();
    assert_eq!(
        (again.selected, again.not_selected, again.already),
        (0, 0, 9)
    );

    let me = intake::daemon::worker_id();
    let d = intake::outbox::drain_once(
        &intake.db,
        &intake::daemon::transport(intake).unwrap(),
        &intake::daemon::policy(intake, &me),
        Utc::now,
    )
    .await
    .unwrap();
    assert_eq!(d.sent, 9);
    let selected = app.letter_text("decision.KVN-0002");
    assert!(
        selected.contains("gekozen") && selected.contains("Zwolle"),
        "{selected}"
    );
    assert!(
        selected.contains(&holders[0]) && selected.contains(&holders[1]),
        "both office holders are named"
    );
    assert!(
        !selected.contains("sterk, spreiding"),
        "internal notes never reach the municipality"
    );
    let reserve = app.letter_text("decision.KVN-0007");
    assert!(!reserve.contains("Goed nieuws"), "{reserve}");
    assert!(
        app.letters()
            .iter()
            .all(|(n, _)| !n.contains("decision.KVN-0001")),
        "no letter for a superseded version"
    );

    // Everything is in the audit log.
    assert_eq!(
        sd::event_details(&intake.db, "ratification")
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        sd::event_details(&intake.db, "decision")
            .await
            .unwrap()
            .len(),
        11
    );
    assert_eq!(
        sd::event_details(&intake.db, "decision_letter")
            .await
            .unwrap()
            .len(),
        9
    );
    let s7 = store::submission_by_reference(&intake.db, "KVN-0007")
        .await
        .unwrap()
        .unwrap();
    let actions: Vec<String> = store::events_of(&intake.db, s7.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(
        actions.iter().filter(|a| *a == "decision").count() == 3,
        "{actions:?}"
    );
}

#[tokio::test]
async fn ratification_needs_at_least_one_selected_nomination() {
    let app = sample_app().await;
    let intake = &app.intake;
    let subs = store::submissions(&intake.db).await.unwrap();
    for s in subs.iter().filter(|s| s.is_current) {
        record_decision(
            intake,
            &s.reference,
            Decision::Rejected,
            "nee",
            "tester",
            Utc::now(),
        )
        .await
        .unwrap();
    }
    let holder = intake.cfg.call.office_holders[0].name.clone();
    assert!(matches!(
        record_ratification(intake, &holder, None, Utc::now()).await,
        Err(StepError::NothingSelected)
    ));
}

#[tokio::test]
async fn the_exports_hold_every_version_in_csv_and_xlsx() {
    let app = sample_app().await;
    decide_all(&app.intake).await;
    let (csv, n) = export_bytes(&app.intake, ExportFormat::Csv).await.unwrap();
    assert_eq!(n, 10);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with('\u{feff}'), "BOM for Excel");
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 11, "header and ten versions");
    assert!(lines[0].contains("Referentie;Gemeente;CBS-code;Provincie"));
    let l1 = lines.iter().find(|l| l.starts_with("KVN-0001;")).unwrap();
    assert!(l1.contains("vervangen door nieuwere versie"), "{l1}");
    let l10 = lines.iter().find(|l| l.starts_with("KVN-0010;")).unwrap();
    assert!(
        l10.contains("Heerlen") && l10.contains("te laat") && l10.contains("niet gekozen"),
        "{l10}"
    );
    let l6 = lines.iter().find(|l| l.starts_with("KVN-0006;")).unwrap();
    assert!(l6.contains(";4;") && l6.contains("gekozen"), "{l6}");

    let (xlsx, n) = export_bytes(&app.intake, ExportFormat::Xlsx).await.unwrap();
    assert_eq!(n, 10);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("an xlsx is a zip");
    let mut strings = String::new();
    zip.by_name("xl/sharedStrings.xml")
        .unwrap()
        .read_to_string(&mut strings)
        .unwrap();
    for r in 1..=10 {
        let reference = format!("KVN-{r:04}");
        assert!(
            strings.contains(&reference),
            "{reference} is in the workbook"
        );
    }
    assert!(strings.contains("Súdwest") || strings.contains("Apeldoorn"));
    let mut sheet = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut sheet)
        .unwrap();
    assert!(sheet.contains("autoFilter"), "filters on the header row");
}

#[tokio::test]
async fn the_shortlist_from_the_sample_database_spreads_over_provinces_and_honours_staff_overrides()
{
    let app = sample_app().await;
    let intake = &app.intake;

    let full = shortlist_proposal(intake, None).await.unwrap();
    assert!(
        full.objective.contains("kies 25 voordrachten"),
        "{}",
        full.objective
    );
    let picked: BTreeSet<&str> = full.picks.iter().map(|p| p.reference.as_str()).collect();
    assert_eq!(
        picked.len(),
        8,
        "all eight eligible are proposed: {picked:?}"
    );
    assert!(!picked.contains("KVN-0010"), "late");
    assert!(!picked.contains("KVN-0001"), "superseded");
    assert!(
        full.excluded
            .iter()
            .any(|(r, why)| r == "KVN-0010" && why.contains("te laat"))
    );

    // Five provinces have an eligible nomination: five picks take one from each.
    let five = shortlist_proposal(intake, Some(5)).await.unwrap();
    let provinces: BTreeSet<&str> = five.picks.iter().map(|p| p.province.as_str()).collect();
    assert_eq!(five.picks.len(), 5);
    assert_eq!(provinces.len(), 5, "{:?}", five.picks);
    assert_eq!(five.reserves.len(), 3);
    assert!(five.picks.iter().all(|p| !p.why.is_empty()));
    assert_eq!(
        five,
        shortlist_proposal(intake, Some(5)).await.unwrap(),
        "deterministic"
    );

    // A staff override that takes a criterion away makes KVN-0002 ineligible.
    let s2 = store::submission_by_reference(&intake.db, "KVN-0002")
        .await
        .unwrap()
        .unwrap();
    let mut tx = intake.db.begin().await.unwrap();
    for criterion in ["1", "2"] {
        assert!(
            store::override_assessment(
                &mut tx,
                s2.id,
                criterion,
                intake::domain::Verdict::NotFound,
                "niet aangetoond",
                "tester",
                Utc::now()
            )
            .await
            .unwrap()
        );
    }
    tx.commit().await.unwrap();
    let after = shortlist_proposal(intake, None).await.unwrap();
    assert!(
        after.excluded.iter().any(|(r, _)| r == "KVN-0002"),
        "{:?}",
        after.excluded
    );

    // An objection excludes KVN-0003, until staff set it aside.
    intake::consult::request(intake, "KVN-0003", Utc::now())
        .await
        .unwrap();
    let s3 = store::submission_by_reference(&intake.db, "KVN-0003")
        .await
        .unwrap()
        .unwrap();
    let lfb = cs::consultations_of(&intake.db, s3.id)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.partner_id == "lfb")
        .unwrap();
    let mut tx = intake.db.begin().await.unwrap();
    cs::record_answer(
        &mut tx,
        lfb.id,
        Some("objection"),
        "Wij zijn niet betrokken.",
        Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let objected = shortlist_proposal(intake, None).await.unwrap();
    assert!(
        objected
            .excluded
            .iter()
            .any(|(r, why)| r == "KVN-0003" && why.contains("bezwaar"))
    );
    let mut tx = intake.db.begin().await.unwrap();
    assert!(
        sd::override_objection(&mut tx, lfb.id, "besproken met LFB")
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let overridden = shortlist_proposal(intake, None).await.unwrap();
    let pick = overridden
        .picks
        .iter()
        .find(|p| p.reference == "KVN-0003")
        .expect("eligible again");
    assert!(
        pick.why.contains("bezwaar door VNG opzij gezet"),
        "{}",
        pick.why
    );
}

#[tokio::test]
async fn staff_set_aside_an_objection_from_the_command_line_and_it_stays_on_record() {
    let app = sample_app().await;
    let intake = &app.intake;
    intake::consult::request(intake, "KVN-0003", Utc::now())
        .await
        .unwrap();
    let s = store::submission_by_reference(&intake.db, "KVN-0003")
        .await
        .unwrap()
        .unwrap();
    let lfb = cs::consultations_of(&intake.db, s.id)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.partner_id == "lfb")
        .unwrap();
    let mut tx = intake.db.begin().await.unwrap();
    cs::record_answer(
        &mut tx,
        lfb.id,
        Some("objection"),
        "Wij zijn niet betrokken.",
        Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let intake_cmd = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_intake"))
            .args(args)
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
            .unwrap()
    };
    let no_objection = intake_cmd(&["set-aside-objection", "KVN-0003", "iederin", "--note", "x"]);
    assert_eq!(
        no_objection.status.code(),
        Some(5),
        "only an objection can be set aside"
    );
    let out = intake_cmd(&[
        "set-aside-objection",
        "KVN-0003",
        "lfb",
        "--note",
        "besproken met LFB",
        "--by",
        "Anna",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = cs::consultations_of(&intake.db, s.id).await.unwrap();
    let lfb = after.iter().find(|c| c.partner_id == "lfb").unwrap();
    assert_eq!(
        lfb.verdict.map(|v| v.as_str()),
        Some("objection"),
        "the objection stays on record"
    );
    assert!(
        lfb.staff_override
            .as_deref()
            .unwrap_or("")
            .contains("besproken met LFB")
    );
    let events = store::events_of(&intake.db, s.id).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.action == "objection_set_aside" && e.actor == "Anna")
    );
}
