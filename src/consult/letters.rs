//! The letters of the partner consultation: what each template may use, and rendering a
//! text + HTML pair from `config/templates/`.
//!
//! Three letters, each a `<name>.txt.j2` and `<name>.html.j2` pair written in plain Dutch (B1;
//! very plain for partners with `plain_language`, such as LFB): `consultation` (the question per
//! partner per candidate), `reminder` (the same question, shorter, with the closing date) and
//! `thanks` (what was recorded). The contexts below are the complete contract between the code
//! and the templates: staff may reword a template freely, but only these names exist.
//! This module only renders; it does not decide whom to write or when, and sends nothing.

use chrono::NaiveDate;
use serde::Serialize;

/// Names of the consultation letters (each a `.txt.j2` + `.html.j2` pair).
pub const LETTERS: [&str; 3] = ["consultation", "reminder", "thanks"];

/// Characters of the motivation repeated in the thank-you letter.
pub const THANKS_MOTIVATION_CHARS: usize = 300;

/// One criterion (or the mandatory principle) as the partner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CriterionSummary {
    /// Title from the call definition ("Ervaringsdeskundigen doen mee").
    pub title: String,
    /// The current verdict in Dutch ("voldoet", "deels", "niet gevonden"), staff override first.
    pub verdict_nl: String,
    /// Sentences quoted from the nomination that support the verdict (may be empty).
    pub evidence: Vec<String>,
}

/// Context of `consultation.txt.j2` / `consultation.html.j2`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsultationContext {
    /// Title of the call ("Koplopers VN-Verdrag Handicap").
    pub call_title: String,
    /// The partner organisation ("Ieder(in)").
    pub partner_name: String,
    /// The contact person, when known ("Anna de Vries").
    pub contact_name: Option<String>,
    /// Write in very plain Dutch (short sentences, words explained): for LFB.
    pub plain_language: bool,
    /// Reference of the nomination ("KVN-0042").
    pub reference: String,
    /// Municipality as written in letters ("gemeente Utrecht").
    pub municipality: String,
    /// Province ("Utrecht").
    pub province: String,
    /// Themes (domains) the nomination covers ("werk", "wonen").
    pub themes: Vec<String>,
    /// The criteria with their evidence.
    pub criteria: Vec<CriterionSummary>,
    /// The mandatory principle ("Niets over ons zonder ons").
    pub principle: CriterionSummary,
    /// Deadline finding in Dutch ("op tijd, op 20 maart 2018 om 14.02 uur").
    pub on_time_nl: String,
    /// Page finding in Dutch ("2 pagina's A4, dat mag").
    pub pages_nl: String,
    /// Last day an answer counts, inclusive ("4 april 2018", see [`dutch_date`]); letters say
    /// "uiterlijk 4 april 2018".
    pub answer_by_nl: String,
    /// File names of the attached original nomination.
    pub attachment_names: Vec<String>,
    /// The subject tag with the reply token ("[C-AB3K9MNPQR]", see `token::subject_tag`); also
    /// in the body so that a reply quoting the letter still finds its consultation.
    pub token_tag: String,
    /// Where partners can ask questions ("koplopers@vng.nl").
    pub contact_address: String,
    /// Sign-off ("Team Koplopers, VNG").
    pub signature: String,
}

/// Context of `reminder.txt.j2` / `reminder.html.j2`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReminderContext {
    /// Title of the call.
    pub call_title: String,
    /// The partner organisation.
    pub partner_name: String,
    /// The contact person, when known.
    pub contact_name: Option<String>,
    /// Write in very plain Dutch: for LFB.
    pub plain_language: bool,
    /// Reference of the nomination.
    pub reference: String,
    /// Municipality as written in letters ("gemeente Utrecht").
    pub municipality: String,
    /// Province.
    pub province: String,
    /// When the consultation was sent ("26 maart 2018").
    pub sent_on_nl: String,
    /// Closing date, the last day an answer counts (inclusive, "4 april 2018").
    pub answer_by_nl: String,
    /// File names of the original nomination, attached again.
    pub attachment_names: Vec<String>,
    /// The subject tag with the reply token.
    pub token_tag: String,
    /// Where partners can ask questions.
    pub contact_address: String,
    /// Sign-off.
    pub signature: String,
}

/// Context of `thanks.txt.j2` / `thanks.html.j2`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThanksContext {
    /// Title of the call.
    pub call_title: String,
    /// The partner organisation.
    pub partner_name: String,
    /// The contact person, when known.
    pub contact_name: Option<String>,
    /// Write in very plain Dutch: for LFB.
    pub plain_language: bool,
    /// Reference of the nomination.
    pub reference: String,
    /// Municipality as written in letters.
    pub municipality: String,
    /// The recorded verdict in Dutch ("steun"), `None` when it could not be read and staff
    /// will read the answer.
    pub verdict_nl: Option<String>,
    /// The first part of the motivation (see [`motivation_start`]); empty when there was none.
    pub motivation_start: String,
    /// Whether this answer replaced an earlier one from the same partner.
    pub replaces_earlier: bool,
    /// A later answer up to and including this date replaces this one ("4 april 2018").
    pub answer_by_nl: String,
    /// The subject tag with the reply token.
    pub token_tag: String,
    /// Where partners can ask questions.
    pub contact_address: String,
    /// Sign-off.
    pub signature: String,
}

/// The start of a motivation for the thank-you letter: at most
/// [`THANKS_MOTIVATION_CHARS`] characters on one line, cut at a word with "…".
pub fn motivation_start(motivation: &str) -> String {
    let one_line = motivation.split_whitespace().collect::<Vec<_>>().join(" ");
    super::reply::truncate_chars(&one_line, THANKS_MOTIVATION_CHARS)
}

/// A date as Dutch letters write it: "4 april 2018".
pub fn dutch_date(d: NaiveDate) -> String {
    crate::letters::dutch_calendar_date(d)
}

impl ConsultationContext {
    /// A filled-in example, for previews of the templates and tests.
    pub fn example() -> Self {
        Self {
            call_title: "Koplopers VN-Verdrag Handicap".into(),
            partner_name: "Ieder(in)".into(),
            contact_name: Some("Anna de Vries".into()),
            plain_language: false,
            reference: "KVN-0042".into(),
            municipality: "gemeente Utrecht".into(),
            province: "Utrecht".into(),
            themes: vec!["werk".into(), "wonen".into(), "vervoer".into()],
            criteria: vec![
                CriterionSummary {
                    title: "Ervaringsdeskundigen doen mee".into(),
                    verdict_nl: "voldoet".into(),
                    evidence: vec![
                        "Het panel ervaringsdeskundigen praat sinds 2016 mee over al het beleid."
                            .into(),
                    ],
                },
                CriterionSummary {
                    title: "Een lokale inclusieagenda".into(),
                    verdict_nl: "niet gevonden".into(),
                    evidence: vec![],
                },
            ],
            principle: CriterionSummary {
                title: "Niets over ons zonder ons".into(),
                verdict_nl: "voldoet".into(),
                evidence: vec!["Wij besluiten niets <zonder> de adviesraad & het panel.".into()],
            },
            on_time_nl: "op tijd, ontvangen op 20 maart 2018 om 14.02 uur".into(),
            pages_nl: "2 pagina's A4, dat mag".into(),
            answer_by_nl: "4 april 2018".into(),
            attachment_names: vec!["Voordracht Utrecht.pdf".into()],
            token_tag: "[C-AB3K9MNPQR]".into(),
            contact_address: "koplopers@vng.nl".into(),
            signature: "Team Koplopers, VNG".into(),
        }
    }
}

impl ReminderContext {
    /// A filled-in example, for previews of the templates and tests.
    pub fn example() -> Self {
        Self {
            call_title: "Koplopers VN-Verdrag Handicap".into(),
            partner_name: "Per Saldo".into(),
            contact_name: None,
            plain_language: false,
            reference: "KVN-0042".into(),
            municipality: "gemeente Utrecht".into(),
            province: "Utrecht".into(),
            sent_on_nl: "26 maart 2018".into(),
            answer_by_nl: "4 april 2018".into(),
            attachment_names: vec!["Voordracht Utrecht.pdf".into()],
            token_tag: "[C-AB3K9MNPQR]".into(),
            contact_address: "koplopers@vng.nl".into(),
            signature: "Team Koplopers, VNG".into(),
        }
    }
}

impl ThanksContext {
    /// A filled-in example, for previews of the templates and tests.
    pub fn example() -> Self {
        Self {
            call_title: "Koplopers VN-Verdrag Handicap".into(),
            partner_name: "Mind".into(),
            contact_name: Some("Karin".into()),
            plain_language: false,
            reference: "KVN-0042".into(),
            municipality: "gemeente Utrecht".into(),
            verdict_nl: Some("bezwaar".into()),
            motivation_start: motivation_start(
                "De gemeente heeft de lokale inclusieagenda nog niet vastgesteld.",
            ),
            replaces_earlier: false,
            answer_by_nl: "4 april 2018".into(),
            token_tag: "[C-AB3K9MNPQR]".into(),
            contact_address: "koplopers@vng.nl".into(),
            signature: "Team Koplopers, VNG".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::letters::Templates;
    use std::path::Path;

    #[test]
    fn dates_are_written_the_dutch_way() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).map(dutch_date);
        assert_eq!(d(2018, 4, 4).as_deref(), Some("4 april 2018"));
        assert_eq!(d(2018, 3, 21).as_deref(), Some("21 maart 2018"));
        assert_eq!(d(2019, 12, 31).as_deref(), Some("31 december 2019"));
        assert_eq!(d(2020, 1, 1).as_deref(), Some("1 januari 2020"));
    }

    #[test]
    fn the_motivation_start_is_one_bounded_line() {
        assert_eq!(motivation_start("Goed\n\nplan."), "Goed plan.");
        let long = "woord ".repeat(200);
        let start = motivation_start(&long);
        assert!(start.chars().count() <= THANKS_MOTIVATION_CHARS);
        assert!(start.ends_with('…'));
    }

    /// The shipped templates, loaded as the program loads them.
    fn templates() -> Templates {
        Templates::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/templates"))
            .expect("templates load")
    }

    /// Checks a rendered HTML letter: Dutch, a table with header cells, headings in order
    /// starting at h1, no image without alt text, nothing left of the template syntax.
    fn check_html(name: &str, html: &str) {
        assert!(html.contains("<html lang=\"nl\">"), "{name}: lang");
        assert!(html.contains("<meta name=\"viewport\""), "{name}: viewport");
        assert!(
            html.contains("<th scope=\"row\">") || html.contains("<th scope=\"col\">"),
            "{name}: th"
        );
        assert!(!html.contains("<th>"), "{name}: th without scope");
        let levels: Vec<u8> = html
            .match_indices("<h")
            .filter_map(|(i, _)| html[i + 2..].chars().next()?.to_digit(10))
            .map(|d| d as u8)
            .collect();
        assert_eq!(levels.first(), Some(&1), "{name}: starts with h1");
        assert_eq!(
            levels.iter().filter(|l| **l == 1).count(),
            1,
            "{name}: one h1"
        );
        assert!(
            levels.windows(2).all(|w| w[1] <= w[0] + 1),
            "{name}: heading levels {levels:?}"
        );
        assert!(levels.len() >= 3, "{name}: sections");
        for (i, _) in html.match_indices("<img") {
            let tag = &html[i..html[i..].find('>').map_or(html.len(), |e| i + e)];
            assert!(tag.contains("alt="), "{name}: image without alt");
        }
        assert!(
            !html.contains("{{") && !html.contains("{%") && !html.contains("{#"),
            "{name}: syntax left"
        );
    }

    fn check_text(name: &str, text: &str) {
        assert!(
            !text.contains("{{") && !text.contains("{%") && !text.contains("{#"),
            "{name}: syntax left"
        );
        assert!(
            !text.contains('<') || text.contains("<zonder>"),
            "{name}: markup in text"
        );
        assert!(
            text.starts_with("Beste "),
            "{name}: starts with the salutation"
        );
    }

    #[test]
    fn every_letter_renders_as_accessible_dutch_html_and_text() {
        let dir = templates();
        let mut rendered = 0;
        for plain in [false, true] {
            let mut c = ConsultationContext::example();
            c.plain_language = plain;
            let (text, html) = dir
                .render("consultation", &c)
                .expect("consultation renders");
            check_text("consultation", &text);
            check_html("consultation", &html);
            for part in [&text, &html] {
                assert!(
                    part.contains("STEUN")
                        && part.contains("BEZWAAR")
                        && part.contains("GEEN OORDEEL")
                );
                assert!(part.contains("4 april 2018"));
                assert!(part.contains("[C-AB3K9MNPQR]"));
                assert!(part.contains("Voordracht Utrecht.pdf"));
                assert!(part.contains("Het panel ervaringsdeskundigen praat sinds 2016 mee"));
                assert!(part.contains("Niets over ons zonder ons"));
                assert!(part.contains("werk, wonen en vervoer"));
                assert_eq!(
                    part.matches("Steunt Ieder(in) de aanmelding van gemeente Utrecht?")
                        .count(),
                    if std::ptr::eq(part, &html) { 2 } else { 1 }
                );
            }
            assert!(text.contains("Wij besluiten niets <zonder> de adviesraad & het panel."));
            assert!(
                html.contains("Wij besluiten niets &lt;zonder&gt; de adviesraad &amp; het panel.")
            );
            assert!(
                !html.contains("&lt;ul&gt;"),
                "macro output must not be escaped"
            );

            let mut r = ReminderContext::example();
            r.plain_language = plain;
            let (text, html) = dir.render("reminder", &r).expect("reminder renders");
            check_text("reminder", &text);
            check_html("reminder", &html);
            assert!(text.contains("Beste collega van Per Saldo,"));
            assert!(text.contains("Steunt Per Saldo de aanmelding van gemeente Utrecht?"));
            assert!(text.contains("4 april 2018") && html.contains("26 maart 2018"));

            for verdict in [Some("bezwaar".to_string()), None] {
                let mut t = ThanksContext::example();
                t.plain_language = plain;
                t.replaces_earlier = verdict.is_none();
                t.verdict_nl = verdict.clone();
                let (text, html) = dir.render("thanks", &t).expect("thanks renders");
                check_text("thanks", &text);
                check_html("thanks", &html);
                assert_eq!(text.contains("Uw antwoord: BEZWAAR"), verdict.is_some());
                assert!(
                    text.contains(
                        "De gemeente heeft de lokale inclusieagenda nog niet vastgesteld."
                    )
                );
                assert!(text.contains("4 april 2018"));
                rendered += 1;
            }
            rendered += 2;
        }
        assert_eq!(rendered, 8);
    }

    #[test]
    fn a_missing_field_is_an_error_not_an_empty_letter() {
        #[derive(Serialize)]
        struct Partial {
            partner_name: String,
        }
        let err = templates().render(
            "thanks",
            &Partial {
                partner_name: "LFB".into(),
            },
        );
        assert!(err.is_err());
    }

    #[test]
    fn a_missing_template_is_an_error_naming_the_file() {
        let err = templates()
            .render("nonexistent", &ThanksContext::example())
            .err()
            .map(|e| format!("{e:#}"));
        assert!(err.is_some_and(|e| e.contains("nonexistent.txt.j2")));
    }
}
