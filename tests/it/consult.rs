//! Partner answers as real mail programs send them (`tests/fixtures/replies/*.eml`: Outlook,
//! Outlook on the web, Outlook for Mac, Gmail, Apple Mail, iPhone, Thunderbird, Samsung, an
//! automatic reply), parsed with mail-parser as the pipeline does, then read with
//! `consult::reply` and `consult::token`. Each fixture has its expected reading checked in
//! beside it (`.expected`); a mismatch writes the actual reading to a `.failed` file there.

use std::fs;
use std::path::{Path, PathBuf};

use intake::consult::reply::{PartnerVerdict, is_out_of_office, read_reply, reply_bodies};
use intake::consult::token::find_token;
use mail_parser::{Message, MessageParser};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/replies")
}

/// The `.eml` fixtures, sorted by name.
fn fixtures() -> Vec<PathBuf> {
    let dir = fixtures_dir();
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("fixtures folder {} is missing: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    paths.sort();
    paths
}

fn parse(raw: &[u8]) -> Message<'_> {
    MessageParser::default()
        .parse(raw)
        .expect("fixture parses as a mail")
}

/// Everything the consultation reads from one answer, as a small stable text.
fn reading_of(message: &Message<'_>) -> String {
    let (text, html) = reply_bodies(message);
    let reading = read_reply(text, html);
    let subject = message.subject().unwrap_or("");
    let recipients: Vec<&str> = message
        .to()
        .into_iter()
        .chain(message.cc())
        .flat_map(|a| a.iter())
        .filter_map(|a| a.address())
        .collect();
    let body = text.or(html).unwrap_or("");
    let token = find_token(&recipients, subject, body);
    format!(
        "verdict: {}\ntoken: {}\nout_of_office: {}\nmotivation:\n{}\n",
        reading.verdict.map_or("unclear", PartnerVerdict::as_str),
        token.as_deref().unwrap_or("none"),
        is_out_of_office(subject, &reading.new_text),
        reading.motivation,
    )
}

#[test]
fn partner_answers_from_real_mail_programs_are_read_as_expected() {
    let mut ran = 0;
    let mut failed = Vec::new();
    for path in fixtures() {
        let raw = fs::read(&path).expect("fixture is readable");
        let got = reading_of(&parse(&raw));
        let expected_path = path.with_extension("expected");
        let failed_path = path.with_extension("failed");
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if got == expected {
            let _ = fs::remove_file(&failed_path);
        } else {
            fs::write(&failed_path, &got).expect("write the .failed file");
            failed.push(path.display().to_string());
        }
        ran += 1;
    }
    assert!(ran >= 10, "expected at least 10 reply fixtures, ran {ran}");
    assert!(
        failed.is_empty(),
        "{} of {ran} fixtures read differently (see the .failed files): {failed:#?}",
        failed.len()
    );
}

#[test]
fn html_only_fixtures_really_have_no_text_part_so_the_html_is_read() {
    let mut html_only = 0;
    for path in fixtures() {
        let raw = fs::read(&path).expect("fixture is readable");
        let message = parse(&raw);
        let (text, html) = reply_bodies(&message);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.contains("html-only") {
            assert!(text.is_none(), "{name} has a text part");
            assert!(html.is_some(), "{name} has no HTML part");
            html_only += 1;
        } else {
            assert!(text.is_some(), "{name} has no text part");
        }
    }
    assert_eq!(html_only, 2);
}

#[test]
fn the_quoted_question_with_all_three_keywords_never_decides_the_verdict() {
    // Every fixture quotes the letter ("STEUN, BEZWAAR of GEEN OORDEEL" and the three option
    // lines); none of the partner's own texts contains all three keywords.
    for path in fixtures() {
        let raw = fs::read(&path).expect("fixture is readable");
        let message = parse(&raw);
        let (text, html) = reply_bodies(&message);
        let reading = read_reply(text, html);
        let upper = reading.new_text.to_uppercase();
        assert!(
            !(upper.contains("BEZWAAR") && upper.contains("GEEN OORDEEL")),
            "{}: quoted letter leaked into the new text:\n{}",
            path.display(),
            reading.new_text
        );
    }
}

#[test]
fn an_automatic_reply_is_recognised_and_carries_no_verdict() {
    let raw = fs::read(fixtures_dir().join("outlook-automatisch-antwoord.eml"))
        .expect("fixture is readable");
    let message = parse(&raw);
    let (text, html) = reply_bodies(&message);
    let reading = read_reply(text, html);
    assert_eq!(reading.verdict, None);
    assert!(is_out_of_office(
        message.subject().unwrap_or(""),
        &reading.new_text
    ));
    // The body alone also says so, for responders that keep the subject ("Re: …").
    assert!(is_out_of_office("Re: Vraag", &reading.new_text));
}

#[test]
fn answers_read_the_same_from_mail_parsers_own_text_conversion() {
    // The pipeline may pass `body_text(0)`, which mail-parser derives from the HTML when a
    // mail has no text part (losing the blockquote markers); the verdict and the new text
    // must not depend on that.
    let mut ran = 0;
    for path in fixtures() {
        let raw = fs::read(&path).expect("fixture is readable");
        let message = parse(&raw);
        let (text, html) = reply_bodies(&message);
        let careful = read_reply(text, html);
        let derived_text = message.body_text(0);
        let derived_html = message.body_html(0);
        let quick = read_reply(derived_text.as_deref(), derived_html.as_deref());
        assert_eq!(quick.verdict, careful.verdict, "{}", path.display());
        assert_eq!(quick.motivation, careful.motivation, "{}", path.display());
        ran += 1;
    }
    assert!(ran >= 10, "ran {ran}");
}
