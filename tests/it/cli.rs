//! The `intake` binary as a new user meets it: run from a folder that is not the project, with
//! stdout and stderr going to pipes (not a terminal), as in a cron job or `> out.txt`.
//! `intake init`, config-free commands, the messages when a configuration is missing, quiet
//! success, the log formats, the Dutch staff output, the letters and the mailbox lease.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::helpers::root;

/// The binary in `dir`, with nothing from the caller's environment that would change what it
/// does (no config path, no log filter, no overrides).
fn intake(dir: &Path, args: &[&str]) -> Output {
    intake_with(dir, args, &[])
}

/// As [`intake`], with `env` set.
fn intake_with(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_intake"));
    c.args(args).current_dir(dir).env_remove("INTAKE_CONFIG");
    c.env_remove("RUST_LOG").env_remove("INTAKE_LOG_FORMAT");
    for (k, _) in std::env::vars() {
        if k.starts_with("INTAKE__") {
            c.env_remove(k);
        }
    }
    c.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    c.output().expect("the intake binary runs")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The Zwolle nomination of the sample mailbox.
fn zwolle() -> PathBuf {
    root().join("examples/mailbox/cur/1520844441.M107919P23017.mx1:2,S")
}

/// A new folder with `intake init` done and one nomination in its inbox.
fn initialised_with_a_nomination() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let o = intake(dir.path(), &["init"]);
    assert!(o.status.success(), "{}", err(&o));
    let new = dir.path().join("var/mailbox/new");
    std::fs::create_dir_all(&new).unwrap();
    std::fs::copy(zwolle(), new.join("zwolle")).unwrap();
    dir
}

#[test]
fn extract_works_in_a_folder_without_any_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let file = root().join("tests/fixtures/documents/nomination.docx");
    let o = intake(dir.path(), &["extract", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", err(&o));
    // Counted by LibreOffice when installed (the test command installs it), else estimated.
    assert!(
        out(&o).contains("docx (Word-document), 2 pages (exact), A4")
            || out(&o).contains("docx (Word-document), 1 page"),
        "{}",
        out(&o)
    );
    assert_eq!(err(&o), "", "nothing on stderr");
}

#[test]
fn a_reader_that_stops_reading_ends_the_command_quietly_with_status_141() {
    let dir = initialised_with_a_nomination();
    let file = root().join("tests/fixtures/documents/nomination.docx");
    // `extract` writes with writeln! (an error), `status` with println! (a panic): both end
    // the same way.
    for args in [vec!["extract", file.to_str().unwrap()], vec!["status"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_intake"))
            .args(&args)
            .current_dir(dir.path())
            .env_remove("RUST_BACKTRACE")
            .env_remove("INTAKE_CONFIG")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // As `intake … | head -0`: the reader is gone before the first line is written.
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(141), "{args:?}: {}", err(&o));
        assert_eq!(err(&o), "", "{args:?}: no panic report, no error");
    }
}

#[test]
fn eval_works_in_a_folder_without_configuration_on_the_shipped_call() {
    let dir = tempfile::tempdir().unwrap();
    let letters = root().join("tests/data/nominations-dev");
    let o = intake(dir.path(), &["eval", letters.to_str().unwrap()]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("sentence level"), "{}", out(&o));
    assert!(
        err(&o).contains("using the shipped configuration"),
        "says which configuration it used: {}",
        err(&o)
    );
}

#[test]
fn check_config_of_a_named_file_works_from_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let file = root().join("config/intake.toml");
    let o = intake(dir.path(), &["check-config", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).starts_with("settings ok: "), "{}", out(&o));
}

#[test]
fn a_command_that_needs_a_configuration_names_the_file_it_looked_for_and_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let o = intake(dir.path(), &["submissions"]);
    assert_eq!(o.status.code(), Some(3), "{}", err(&o));
    assert_eq!(out(&o), "");
    let e = err(&o);
    assert!(
        e.contains(&format!(
            "config/intake.toml not found in {}",
            dir.path().canonicalize().unwrap().display()
        )) || e.contains(&format!(
            "config/intake.toml not found in {}",
            dir.path().display()
        )),
        "{e}"
    );
    assert!(e.contains("`intake init`") && e.contains("--config"), "{e}");
    let named = intake(dir.path(), &["--config", "elders/intake.toml", "status"]);
    assert_eq!(named.status.code(), Some(3));
    assert!(
        err(&named)
            .contains("elders/intake.toml (named with --config or INTAKE_CONFIG) does not exist"),
        "{}",
        err(&named)
    );
}

#[test]
fn init_never_overwrites_a_configuration() {
    let dir = tempfile::tempdir().unwrap();
    assert!(intake(dir.path(), &["init"]).status.success());
    let settings = dir.path().join("config/intake.toml");
    std::fs::write(&settings, "# mijn instellingen\n").unwrap();
    let again = intake(dir.path(), &["init"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(err(&again).contains("never overwrites"), "{}", err(&again));
    assert_eq!(
        std::fs::read_to_string(&settings).unwrap(),
        "# mijn instellingen\n"
    );
    // Another folder is fine.
    let other = intake(dir.path(), &["init", "tweede"]);
    assert!(other.status.success(), "{}", err(&other));
    assert!(out(&other).contains("cd tweede"), "{}", out(&other));
    assert!(dir.path().join("tweede/config/calls").is_dir());
}

#[test]
fn a_new_folder_runs_quietly_and_prints_a_summary_that_reads_well_in_a_file() {
    let dir = initialised_with_a_nomination();
    let check = intake(dir.path(), &["check-config"]);
    assert!(check.status.success(), "{}", err(&check));
    assert_eq!(err(&check), "");

    let run = intake(dir.path(), &["run", "--once"]);
    assert!(run.status.success(), "{}", err(&run));
    assert_eq!(err(&run), "", "quiet success: no log lines");
    assert_eq!(
        out(&run),
        "mailbox: 1 new mail read: 1 nomination, 0 duplicates, 0 without a reply (auto-replies, \
         bounces, list mail, partner answers), 0 quarantined\n\
         new references: KVN-0001\n\
         letters: 1 sent, 0 to retry, 0 failed (outbox: var/outbox)\n"
    );
    let status = out(&intake(dir.path(), &["status"]));
    assert!(
        status.contains("\noutbox: 1 sent\nmails: 1 nomination processed\n"),
        "{status}"
    );
    assert!(
        status.contains("mailbox var/mailbox: last check that worked 20"),
        "{status}"
    );
    let again = intake(dir.path(), &["run", "--once"]);
    assert!(again.status.success());
    assert!(
        out(&again).starts_with("mailbox: no new mail\n"),
        "{}",
        out(&again)
    );
}

#[test]
fn staff_output_is_dutch_with_one_label_per_state() {
    let dir = initialised_with_a_nomination();
    assert!(intake(dir.path(), &["run", "--once"]).status.success());
    let show = intake(dir.path(), &["show", "KVN-0001"]);
    assert!(show.status.success(), "{}", err(&show));
    let text = out(&show);
    assert!(text.contains("gemeente Zwolle (Overijssel)"), "{text}");
    assert!(text.contains("criterium 1, "), "{text}");
    assert!(
        text.contains("principe, Niets over ons zonder ons: "),
        "{text}"
    );
    assert!(text.contains("(geteld)"), "{text}");
    assert!(
        text.contains("voorselectie (minstens 2 van de 3 criteria en het principe): voldoet"),
        "{text}"
    );
    for english in [
        ": met ",
        "not_found",
        "weak",
        "principle ",
        "[high]",
        "(exact)",
        "(estimate)",
        " s)",
    ] {
        assert!(!text.contains(english), "{english:?} in:\n{text}");
    }
    let list = intake(dir.path(), &["submissions"]);
    assert!(out(&list).contains("actueel"), "{}", out(&list));
}

#[test]
fn a_letter_is_shown_as_the_municipality_received_it_and_the_outbox_lists_its_state() {
    let dir = initialised_with_a_nomination();
    assert!(intake(dir.path(), &["run", "--once"]).status.success());
    for what in ["KVN-0001", "kvn-0001", "confirmation:KVN-0001"] {
        let o = intake(dir.path(), &["letters", "show", what]);
        assert!(o.status.success(), "{what}: {}", err(&o));
        let text = out(&o);
        assert!(
            text.starts_with("brief confirmation:KVN-0001 (ontvangstbevestiging)\n"),
            "{text}"
        );
        assert!(text.contains("  staat:      verzonden op "), "{text}");
        assert!(text.contains("  aan:        i.bosman@zwolle.nl"), "{text}");
        assert!(
            text.contains("Uw aanmelding heeft het kenmerk KVN-0001."),
            "{text}"
        );
        assert!(
            !text.contains("Content-Type"),
            "the text part, not the raw mail"
        );
    }
    let missing = intake(dir.path(), &["letters", "show", "KVN-0099"]);
    assert_eq!(missing.status.code(), Some(4));
    let outbox = intake(dir.path(), &["outbox"]);
    assert!(outbox.status.success(), "{}", err(&outbox));
    let listing = out(&outbox);
    let lines: Vec<&str> = listing.lines().collect();
    assert!(lines[0].starts_with("sleutel"), "{lines:?}");
    assert!(
        lines[1].starts_with("confirmation:KVN-0001") && lines[1].contains("verzonden"),
        "{lines:?}"
    );
    assert!(listing.contains("1 brief: 1 verzonden."), "{listing}");
    let none = intake(dir.path(), &["outbox", "--state", "failed"]);
    assert_eq!(out(&none), "Geen brieven in deze staat.\n");
    // `letters` still sends the decision letters only with --send.
    let bare = intake(dir.path(), &["letters"]);
    assert_eq!(bare.status.code(), Some(2));
}

#[test]
fn local_contacts_speak_dutch_and_name_the_next_command_and_an_unknown_answer_is_refused() {
    let dir = initialised_with_a_nomination();
    assert!(intake(dir.path(), &["run", "--once"]).status.success());
    let proposed = intake(dir.path(), &["contacts", "list", "KVN-0001"]);
    assert!(proposed.status.success(), "{}", err(&proposed));
    let text = out(&proposed);
    assert!(
        text.contains("Adviesraad Sociaal Domein Zwolle [adviesraad] (geen adres) — voorgesteld (uit de brief)"),
        "the letter's advisory council is proposed: {text}"
    );
    assert!(
        text.contains("intake contacts confirm 1 ADRES   of   intake contacts dismiss 1"),
        "{text}"
    );
    let confirm = intake(
        dir.path(),
        &["contacts", "confirm", "1", "adviesraad@zwolle.example"],
    );
    assert!(confirm.status.success(), "{}", err(&confirm));
    assert_eq!(
        out(&confirm),
        "contact 1: Adviesraad Sociaal Domein Zwolle bevestigd (adviesraad@zwolle.example)\n"
    );
    let show = out(&intake(dir.path(), &["show", "KVN-0001"]));
    assert!(
        show.contains(
            "  lokale organisaties (intake contacts list KVN-0001):\n    \
             - Adviesraad Sociaal Domein Zwolle (adviesraad, contact 1): bevestigd, adviesraad@zwolle.example\n"
        ),
        "{show}"
    );
    let consult = intake(dir.path(), &["consult", "KVN-0001", "--yes"]);
    assert!(consult.status.success(), "{}", err(&consult));
    let listing = out(&intake(dir.path(), &["consultations"]));
    assert!(
        listing.contains(
            "  Adviesraad Sociaal Domein Zwolle (lokaal)          gevraagd, nog geen antwoord\n"
        ),
        "{listing}"
    );
    let unknown = intake(dir.path(), &["answer", "reject", "99", "--note", "spam"]);
    assert_eq!(unknown.status.code(), Some(4), "{}", err(&unknown));
    assert_eq!(out(&unknown), "");
}

#[test]
fn text_logs_have_no_span_clutter_and_no_escapes_when_not_on_a_terminal() {
    let dir = initialised_with_a_nomination();
    let o = intake(dir.path(), &["-v", "run", "--once"]);
    assert!(o.status.success(), "{}", err(&o));
    let log = err(&o);
    assert!(!log.contains('\u{1b}'), "no ANSI escapes: {log:?}");
    assert!(
        log.lines()
            .any(|l| l == "INFO  letter sent key=confirmation:KVN-0001"),
        "{log}"
    );
    assert!(!log.contains("deliver{"), "no span context: {log}");
    assert!(
        log.lines()
            .all(|l| l.starts_with("INFO ") || l.starts_with("WARN ")),
        "one-shot lines start with the level: {log}"
    );
    let quiet = intake(dir.path(), &["-q", "run", "--once"]);
    assert!(quiet.status.success());
    assert_eq!(err(&quiet), "");
}

#[test]
fn json_logs_are_one_object_per_line_with_fields_and_spans() {
    let dir = initialised_with_a_nomination();
    let o = intake(dir.path(), &["-v", "--log-format", "json", "run", "--once"]);
    assert!(o.status.success(), "{}", err(&o));
    let lines: Vec<serde_json::Value> = err(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.len() >= 3, "{lines:?}");
    let sent = lines
        .iter()
        .find(|v| v["fields"]["message"] == "letter sent")
        .expect("a line for the letter");
    assert_eq!(sent["level"], "INFO");
    assert_eq!(sent["fields"]["key"], "confirmation:KVN-0001");
    assert_eq!(sent["span"]["name"], "deliver");
    assert_eq!(sent["span"]["attempt"], 1);
    // The summary stays on stdout.
    assert!(
        out(&o).starts_with("mailbox: 1 new mail read"),
        "{}",
        out(&o)
    );
}

/// Puts a lease on the mailbox for another intake, as a running (or just killed) daemon has.
async fn lease_held_by_another(dir: &Path, secs: u64) {
    let url = format!("sqlite://{}", dir.join("var/intake.db").display());
    let db = intake::store::Db::connect(&url, 1).await.unwrap();
    assert!(
        intake::store::try_lease(
            &db,
            "mailbox",
            "elders:4242:0badcafe",
            chrono::Utc::now(),
            secs
        )
        .await
        .unwrap()
    );
    db.close().await;
}

#[tokio::test]
async fn run_once_says_who_holds_the_mailbox_and_exits_8_without_waiting_when_asked() {
    let dir = initialised_with_a_nomination();
    let first = intake(dir.path(), &["run", "--once"]);
    assert!(first.status.success(), "{}", err(&first));
    lease_held_by_another(dir.path(), 300).await;
    let o = intake(dir.path(), &["run", "--once", "--no-wait"]);
    assert_eq!(o.status.code(), Some(8), "{}", err(&o));
    let e = err(&o);
    assert_eq!(e.lines().count(), 1, "one line: {e}");
    assert!(
        e.starts_with(
            "error: the mailbox is in use by another intake (process 4242 on elders) until "
        ),
        "{e}"
    );
    assert_eq!(out(&o), "", "nothing read, nothing to summarise");
}

#[tokio::test]
async fn run_once_waits_for_a_lease_that_runs_out_and_then_reads_the_mailbox() {
    let dir = tempfile::tempdir().unwrap();
    assert!(intake(dir.path(), &["init"]).status.success());
    assert!(intake(dir.path(), &["run", "--once"]).status.success());
    lease_held_by_another(dir.path(), 2).await;
    std::fs::copy(zwolle(), dir.path().join("var/mailbox/new/zwolle")).unwrap();
    let o = intake(dir.path(), &["run", "--once"]);
    assert!(o.status.success(), "{}", err(&o));
    let e = err(&o);
    assert!(
        e.contains("the mailbox is in use by another intake (process 4242 on elders) until ")
            && e.contains("waiting up to 60 s"),
        "{e}"
    );
    assert!(e.contains("the mailbox is free after"), "{e}");
    assert!(out(&o).contains("new references: KVN-0001"), "{}", out(&o));
}

#[tokio::test]
async fn run_once_gives_up_after_lease_secs_when_the_other_intake_keeps_the_mailbox() {
    let dir = initialised_with_a_nomination();
    assert!(intake(dir.path(), &["run", "--once"]).status.success());
    lease_held_by_another(dir.path(), 300).await;
    let settings = dir.path().join("config/intake.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(&settings, text.replace("lease_secs = 60", "lease_secs = 1")).unwrap();
    let o = intake(dir.path(), &["run", "--once"]);
    assert_eq!(o.status.code(), Some(8), "{}", err(&o));
    assert!(err(&o).contains("waiting up to 1 s"), "{}", err(&o));
    assert!(err(&o).contains("nothing was read"), "{}", err(&o));
}

#[test]
fn an_unreachable_mailbox_gives_exit_6_and_a_one_line_reason() {
    let dir = tempfile::tempdir().unwrap();
    assert!(intake(dir.path(), &["init"]).status.success());
    let port = crate::servers::free_port().unwrap();
    let settings = dir.path().join("config/intake.toml");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(
        &settings,
        text.replace("kind = \"maildir\"", "kind = \"imap\"")
            + &format!(
                "\n[mailbox.imap]\nhost = \"127.0.0.1\"\nport = {port}\nusername = \"intake\"\n\
                 password_env = \"INTAKE_TEST_NO_SUCH_SECRET\"\nconnect_timeout_secs = 2\n"
            ),
    )
    .unwrap();
    let check = intake(dir.path(), &["check-config"]);
    assert_eq!(
        check.status.code(),
        Some(3),
        "a missing secret: {}",
        out(&check)
    );
    assert!(
        out(&check).contains(
            "mailbox secret: FAILED: environment variable INTAKE_TEST_NO_SUCH_SECRET is not set"
        ),
        "{}",
        out(&check)
    );
    let o = intake(dir.path(), &["run", "--once"]);
    assert_eq!(o.status.code(), Some(6), "{}", err(&o));
    assert_eq!(err(&o).lines().count(), 1, "{}", err(&o));
    assert!(
        err(&o).starts_with("error: the mailbox could not be read: "),
        "{}",
        err(&o)
    );
    assert!(
        out(&o).starts_with("mailbox: could not be read\n"),
        "{}",
        out(&o)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_connect_logs_in_to_the_mailbox_and_the_mail_server_and_touches_nothing() {
    let dovecot = crate::servers::Dovecot::start().unwrap();
    let sink = crate::servers::SmtpSink::start().unwrap();
    dovecot
        .append("intake", "INBOX", &std::fs::read(zwolle()).unwrap(), None)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert!(intake(dir.path(), &["init"]).status.success());
    let password = dir.path().join("imap-password");
    std::fs::write(&password, "secret\n").unwrap();
    let path = |p: &Path| p.display().to_string();
    let env = |imap_password: &Path| {
        vec![
            ("INTAKE__MAILBOX__KIND", "imap".to_string()),
            ("INTAKE__MAILBOX__IMAP__HOST", "127.0.0.1".into()),
            (
                "INTAKE__MAILBOX__IMAP__PORT",
                dovecot.imaps_port.to_string(),
            ),
            ("INTAKE__MAILBOX__IMAP__TLS", "implicit".into()),
            ("INTAKE__MAILBOX__IMAP__USERNAME", "intake".into()),
            ("INTAKE__MAILBOX__IMAP__PASSWORD_FILE", path(imap_password)),
            ("INTAKE__MAILBOX__IMAP__CA_FILE", path(&dovecot.ca_pem)),
            ("INTAKE__MAILBOX__IMAP__CONNECT_TIMEOUT_SECS", "10".into()),
            ("INTAKE__OUTBOX__KIND", "smtp".into()),
            ("INTAKE__OUTBOX__SMTP__HOST", "127.0.0.1".into()),
            ("INTAKE__OUTBOX__SMTP__PORT", sink.port.to_string()),
            ("INTAKE__OUTBOX__SMTP__TLS", "starttls".into()),
            ("INTAKE__OUTBOX__SMTP__USERNAME", "intake".into()),
            ("INTAKE__OUTBOX__SMTP__AUTH", "xoauth2".into()),
            (
                "INTAKE__OUTBOX__SMTP__OAUTH_TOKEN_COMMAND",
                "echo test-token".into(),
            ),
            ("INTAKE__OUTBOX__SMTP__CA_FILE", path(&sink.ca_pem)),
        ]
    };
    let o = intake_with(dir.path(), &["check-config", "--connect"], &env(&password));
    let text = out(&o);
    assert!(o.status.success(), "{text}{}", err(&o));
    let expected = [
        format!(
            "mailbox secret: ok, from file {}: present",
            password.display()
        ),
        "mail server secret: ok, from the token command (oauth_token_command): present".into(),
        format!(
            "mailbox (imap intake at 127.0.0.1:{}): ok, read: 1 mail in the inbox (Verwerkt and \
             Quarantaine are where processed mail goes)",
            dovecot.imaps_port
        ),
        format!(
            "outbox (smtp 127.0.0.1:{}): ok, connected and logged in; nothing sent",
            sink.port
        ),
        "database (sqlite://var/intake.db): ok, created on the first run".into(),
    ];
    for line in &expected {
        assert!(
            text.lines().any(|l| l == line),
            "{line:?} missing in:\n{text}"
        );
    }
    assert_eq!(
        dovecot.list_folder("intake", "INBOX").await.unwrap().len(),
        1
    );
    assert!(sink.received().is_empty(), "nothing sent");
    assert!(
        !dir.path().join("var/intake.db").exists(),
        "no database made"
    );

    let wrong = dir.path().join("wrong-password");
    std::fs::write(&wrong, "not-it\n").unwrap();
    let o = intake_with(dir.path(), &["check-config", "--connect"], &env(&wrong));
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        out(&o).contains(&format!(
            "mailbox (imap intake at 127.0.0.1:{}): FAILED: the IMAP server 127.0.0.1:{} refused the login of intake",
            dovecot.imaps_port, dovecot.imaps_port
        )),
        "{}",
        out(&o)
    );
}
