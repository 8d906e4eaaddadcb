//! The staff digest, the exports, the shortlist and the decision letters, through the public
//! API of `intake::digest` with the shipped templates in `config/templates/`.
//!
//! Includes a small accessibility checker for the digest HTML; it is itself tested on a broken
//! sample, so a checker that finds nothing cannot pass unnoticed.

use std::io::Read as _;
use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use intake::digest::example::PROVINCES;
use intake::digest::{DigestData, export, has_news, render};
use intake::selection::letters::{DecisionLetterData, DecisionLetterKind, render_decision_letter};
use intake::selection::shortlist::{Candidate, shortlist};

/// The shipped templates, loaded as the program loads them.
fn loaded() -> intake::letters::Templates {
    intake::letters::Templates::load(&templates()).expect("templates load")
}

fn templates() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/templates")
}

fn t(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2018, 3, d, h, m, 0).unwrap()
}

fn amsterdam() -> Tz {
    "Europe/Amsterdam".parse().unwrap()
}

/// A digest with something in every section: the example `check-config` renders.
fn sample() -> DigestData {
    intake::digest::example::example()
}

fn domains() -> Vec<(String, String)> {
    sample().domains
}

fn criteria() -> Vec<(String, String)> {
    sample().criteria
}

/// HTML reduced to its text: tags removed, the entities minijinja writes undone.
fn html_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

#[test]
fn every_section_of_a_populated_digest_is_in_both_the_text_and_the_html() {
    let d = sample();
    let r = render(&d, &loaded()).unwrap();
    let html = html_text(&r.html);
    let expected = [
        // headings
        "Wat u moet doen",
        "Nieuwe voordrachten (2)",
        "Te laat binnengekomen (1)",
        "Meer pagina's dan toegestaan (1)",
        "Gemeente niet herkend (1)",
        "Bijlagen die we niet konden lezen (1)",
        "Mails in quarantaine (1)",
        "Mails die terugkwamen (onbestelbaar) (1)",
        "Mails die we niet konden versturen (1)",
        "Problemen met de mailbox (1)",
        "Raadpleging van de partners",
        "Totalen",
        "Voordrachten per provincie",
        "Voordrachten per thema",
        "Criteria",
        // content
        "KVN-0001",
        "Súdwest-Fryslân (GM0344)",
        "20 maart 2018 om 14:05 (op tijd)",
        "Criterium: Innovatieve aanpak",
        "Principe: Niets over ons zonder ons",
        "Werk en inkomen",
        "bijlage 2 kon niet worden gelezen",
        "KVN-0003",
        "22 maart 2018 om 10:30",
        "4 (pdf)",
        "KVN-0005",
        "voordracht-scan.pdf",
        "versleutelde pdf",
        "onbekend@example.org",
        "griffie@gemeente-x.nl",
        "adres bestaat niet",
        "info@persaldo.nl",
        "mailserver weigert verbinding",
        "De verbinding met de mailbox viel 3 keer weg.",
        "Mind-LPGGz",
        "BEZWAAR",
        "Geen ervaringsdeskundigen betrokken",
        "Beslis over het bezwaar van Mind-LPGGz tegen KVN-0002.",
        "In totaal 5 voordrachten",
        "Toegankelijkheid openbare ruimte",
        "Onbekend",
        "Stand op 21 maart 2018 om 08:00",
        "sinds 20 maart 2018 om 08:00",
        "CSV-bestand",
    ];
    let mut missing = Vec::new();
    for e in expected {
        if !r.text.contains(e) {
            missing.push(format!("text lacks {e:?}"));
        }
        if !html.contains(e) {
            missing.push(format!("html lacks {e:?}"));
        }
    }
    assert!(missing.is_empty(), "{missing:#?}\n--- text ---\n{}", r.text);
    assert!(
        r.subject.contains("Koplopers VN-Verdrag Handicap"),
        "{}",
        r.subject
    );
    assert!(r.subject.contains("2 nieuwe voordrachten"), "{}", r.subject);
}

#[test]
fn objections_are_listed_before_other_consultation_answers() {
    let r = render(&sample(), &loaded()).unwrap();
    for body in [r.text.clone(), html_text(&r.html)] {
        let section = &body[body.find("Raadpleging van de partners").unwrap()..];
        let objection = section.find("Mind-LPGGz").unwrap();
        let support = section.find("steunt").unwrap();
        assert!(objection < support, "objection must come first");
    }
}

#[test]
fn every_chart_is_an_inline_png_referenced_by_cid_with_the_same_alt_text() {
    let d = sample();
    let r = render(&d, &loaded()).unwrap();
    assert_eq!(r.images.len(), 3);
    for img in &r.images {
        assert_eq!(&img.png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(
            r.html.contains(&format!("src=\"cid:{}\"", img.cid)),
            "{}",
            img.cid
        );
        assert!(!img.alt.is_empty());
        let tokens = tokenize(&r.html);
        let alt = tokens
            .iter()
            .find_map(|t| match t {
                Token::Tag(tag)
                    if tag.name == "img"
                        && tag.attr("src") == Some(format!("cid:{}", img.cid).as_str()) =>
                {
                    tag.attr("alt").map(html_text)
                }
                _ => None,
            })
            .unwrap();
        assert_eq!(alt, img.alt, "alt of {} in html", img.cid);
    }
    // Province chart alt names every province with its number, empty ones too.
    let provinces = &r.images[0].alt;
    assert!(provinces.contains("Utrecht: 1"), "{provinces}");
    assert!(provinces.contains("Zeeland: 0"), "{provinces}");
    assert!(provinces.contains("Onbekend: 1"), "{provinces}");
    assert!(!r.html.contains("<svg") && !r.html.contains("data:image"));
}

#[test]
fn the_digest_attaches_a_csv_of_all_nominations() {
    let d = sample();
    let r = render(&d, &loaded()).unwrap();
    assert_eq!(r.csv_name, "voordrachten-2018-03-21.csv");
    let rows = parse_csv(&r.csv);
    assert_eq!(rows.len(), 1 + d.all.len());
}

#[test]
fn there_is_no_news_without_new_items_or_changed_consultations() {
    let mut d = sample();
    assert!(has_news(&d));
    d.new_nominations.clear();
    d.late.clear();
    d.over_limit.clear();
    d.unidentified.clear();
    d.unreadable.clear();
    d.quarantined.clear();
    d.bounces.clear();
    d.failed_deliveries.clear();
    d.mailbox_problems.clear();
    // Both consultations changed after `since` (20 March 08:00 UTC-ish): that is news.
    assert!(has_news(&d));
    d.since = Some(t(20, 18, 0));
    assert!(
        !has_news(&d),
        "answers from before the previous digest are not news"
    );
    d.actions = vec!["Open actie".into()];
    assert!(!has_news(&d), "open actions alone are repeated, not news");
    d.mailbox_problems = vec!["Mailbox onbereikbaar".into()];
    assert!(has_news(&d));
}

#[test]
fn a_digest_without_new_nominations_says_so_in_plain_words() {
    let mut d = sample();
    d.new_nominations.clear();
    d.actions.clear();
    let r = render(&d, &loaded()).unwrap();
    for body in [r.text.clone(), html_text(&r.html)] {
        assert!(body.contains("Er zijn geen nieuwe voordrachten binnengekomen."));
        assert!(body.contains("Er is geen actie van u nodig."));
    }
}

// ---------------------------------------------------------------------------------------------
// Accessibility checker

#[derive(Debug)]
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
    end: bool,
    self_closing: bool,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

enum Token {
    Tag(Tag),
    Text,
}

/// A small HTML tokenizer: tags with attributes, text, comments and doctype skipped. Enough
/// for the HTML our templates produce and for the broken sample below.
fn tokenize(html: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |i| &after[i + 3..]);
        } else if rest.starts_with("<!") {
            rest = rest.find('>').map_or("", |i| &rest[i + 1..]);
        } else if let Some(after) = rest.strip_prefix('<') {
            let end = after.find('>').unwrap_or(after.len());
            let inner = &after[..end];
            rest = after.get(end + 1..).unwrap_or("");
            let (is_end, inner) = match inner.strip_prefix('/') {
                Some(i) => (true, i),
                None => (false, inner),
            };
            let self_closing = inner.trim_end().ends_with('/');
            let inner = inner.trim_end().trim_end_matches('/');
            let name_end = inner.find(char::is_whitespace).unwrap_or(inner.len());
            let name = inner[..name_end].to_ascii_lowercase();
            let attrs = parse_attrs(&inner[name_end..]);
            // Skip the contents of <style> and <script>.
            if !is_end && (name == "style" || name == "script") {
                let close = format!("</{name}");
                rest = rest.find(&close).map_or("", |i| &rest[i..]);
            }
            out.push(Token::Tag(Tag {
                name,
                attrs,
                end: is_end,
                self_closing,
            }));
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            out.push(Token::Text);
            rest = &rest[end..];
        }
    }
    out
}

fn parse_attrs(s: &str) -> Vec<(String, String)> {
    let mut attrs = Vec::new();
    let mut chars = s.trim().chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            name.push(c);
            chars.next();
        }
        if name.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            match chars.peek().copied() {
                Some(q @ ('"' | '\'')) => {
                    chars.next();
                    for c in chars.by_ref() {
                        if c == q {
                            break;
                        }
                        value.push(c);
                    }
                }
                _ => {
                    while let Some(&c) = chars.peek() {
                        if c.is_whitespace() {
                            break;
                        }
                        value.push(c);
                        chars.next();
                    }
                }
            }
        }
        attrs.push((name.to_ascii_lowercase(), value));
    }
    attrs
}

fn style_props(style: &str) -> Vec<(String, String)> {
    style
        .split(';')
        .filter_map(|decl| {
            let (k, v) = decl.split_once(':')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase()))
        })
        .collect()
}

fn parse_colour(v: &str) -> Option<[f64; 3]> {
    let v = v.trim().trim_end_matches("!important").trim();
    if let Some(hex) = v.strip_prefix('#') {
        let hex: String = if hex.len() == 3 {
            hex.chars().flat_map(|c| [c, c]).collect()
        } else {
            hex.to_string()
        };
        if hex.len() != 6 {
            return None;
        }
        let p = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok().map(f64::from);
        return Some([p(0)?, p(2)?, p(4)?]);
    }
    if let Some(inner) = v.strip_prefix("rgb(").and_then(|s| s.strip_suffix(')')) {
        let parts: Vec<f64> = inner
            .split(',')
            .filter_map(|p| p.trim().parse().ok())
            .collect();
        return (parts.len() == 3).then(|| [parts[0], parts[1], parts[2]]);
    }
    match v {
        "white" => Some([255.0; 3]),
        "black" => Some([0.0; 3]),
        "red" => Some([255.0, 0.0, 0.0]),
        "gray" | "grey" => Some([128.0; 3]),
        "silver" => Some([192.0; 3]),
        "yellow" => Some([255.0, 255.0, 0.0]),
        _ => None,
    }
}

/// WCAG 2 contrast ratio.
fn contrast(a: [f64; 3], b: [f64; 3]) -> f64 {
    let lum = |c: [f64; 3]| {
        let ch = |x: f64| {
            let s = x / 255.0;
            if s <= 0.03928 {
                s / 12.92
            } else {
                ((s + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * ch(c[0]) + 0.7152 * ch(c[1]) + 0.0722 * ch(c[2])
    };
    let (la, lb) = (lum(a), lum(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

const VOID: [&str; 10] = [
    "meta", "img", "br", "hr", "link", "input", "col", "source", "wbr", "area",
];

/// Every accessibility problem found in `html`; empty means it passes.
pub(crate) fn accessibility_problems(html: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let tokens = tokenize(html);
    let tags: Vec<&Tag> = tokens
        .iter()
        .filter_map(|t| match t {
            Token::Tag(tag) => Some(tag),
            Token::Text => None,
        })
        .collect();

    match tags.iter().find(|t| t.name == "html" && !t.end) {
        Some(t)
            if t.attr("lang")
                .is_some_and(|l| l == "nl" || l.starts_with("nl-")) => {}
        _ => problems.push("html element lacks lang=\"nl\"".to_string()),
    }
    if !tags.iter().any(|t| {
        t.name == "meta"
            && t.attr("name") == Some("viewport")
            && t.attr("content")
                .is_some_and(|c| c.contains("width=device-width"))
    }) {
        problems.push("no viewport meta for phones".to_string());
    }

    // Headings in order: start at h1, never skip a level going down.
    let mut last = 0u32;
    for t in tags.iter().filter(|t| !t.end) {
        let level = match t.name.as_str() {
            "h1" => 1,
            "h2" => 2,
            "h3" => 3,
            "h4" => 4,
            "h5" => 5,
            "h6" => 6,
            _ => continue,
        };
        if level > last + 1 {
            problems.push(format!("heading h{level} follows h{last}"));
        }
        last = level;
    }
    if !tags.iter().any(|t| t.name == "h1") {
        problems.push("no h1".to_string());
    }

    // Tables: a caption, and every th with a scope.
    let mut table_depth_caption: Vec<bool> = Vec::new();
    for t in &tags {
        match (t.name.as_str(), t.end) {
            ("table", false) => table_depth_caption.push(false),
            ("caption", false) => {
                if let Some(c) = table_depth_caption.last_mut() {
                    *c = true;
                }
            }
            ("table", true) if table_depth_caption.pop() == Some(false) => {
                problems.push("table without caption".to_string());
            }
            ("th", false)
                if !matches!(
                    t.attr("scope"),
                    Some("col" | "row" | "colgroup" | "rowgroup")
                ) =>
            {
                problems.push("th without scope".to_string());
            }
            _ => {}
        }
    }

    // Images: alt text; no width that does not shrink on a 360 px screen.
    for t in tags.iter().filter(|t| t.name == "img") {
        if t.attr("alt").is_none_or(|a| a.trim().is_empty()) {
            problems.push(format!("img {:?} without alt text", t.attr("src")));
        }
    }
    for t in tags.iter().filter(|t| !t.end) {
        let style = style_props(t.attr("style").unwrap_or(""));
        let shrinks = style.iter().any(|(k, v)| k == "max-width" && v == "100%")
            || style.iter().any(|(k, v)| k == "width" && v.ends_with('%'));
        for (k, v) in &style {
            let px = v
                .strip_suffix("px")
                .and_then(|n| n.trim().parse::<f64>().ok());
            if (k == "width" || k == "min-width") && !shrinks && px.is_some_and(|px| px > 360.0) {
                problems.push(format!("<{}> has {k}:{v}, too wide for a phone", t.name));
            }
        }
        if let Some(w) = t.attr("width").and_then(|w| w.parse::<f64>().ok())
            && w > 360.0
            && !shrinks
        {
            problems.push(format!("<{}> has width={w}, too wide for a phone", t.name));
        }
    }

    // Contrast of every inline colour pair, with inherited colours.
    let mut stack: Vec<(String, [f64; 3], [f64; 3])> = vec![("#root".into(), [0.0; 3], [255.0; 3])];
    for t in &tags {
        if t.end {
            if let Some(pos) = stack.iter().rposition(|(n, _, _)| *n == t.name) {
                stack.truncate(pos.max(1));
            }
            continue;
        }
        let (_, mut fg, mut bg) =
            stack
                .last()
                .cloned()
                .unwrap_or(("".into(), [0.0; 3], [255.0; 3]));
        let style = style_props(t.attr("style").unwrap_or(""));
        let mut set = false;
        for (k, v) in &style {
            match k.as_str() {
                "color" => {
                    if let Some(c) = parse_colour(v) {
                        fg = c;
                        set = true;
                    }
                }
                "background-color" | "background" => {
                    if let Some(c) = parse_colour(v) {
                        bg = c;
                        set = true;
                    }
                }
                _ => {}
            }
        }
        if let Some(c) = t.attr("color").and_then(parse_colour) {
            fg = c;
            set = true;
        }
        if let Some(c) = t.attr("bgcolor").and_then(parse_colour) {
            bg = c;
            set = true;
        }
        if set {
            let ratio = contrast(fg, bg);
            if ratio < 4.5 {
                problems.push(format!("<{}> contrast {ratio:.2}:1 below 4.5:1", t.name));
            }
        }
        if !VOID.contains(&t.name.as_str()) && !t.self_closing {
            stack.push((t.name.clone(), fg, bg));
        }
    }
    problems
}

#[test]
fn the_digest_html_passes_the_accessibility_checks() {
    let r = render(&sample(), &loaded()).unwrap();
    let problems = accessibility_problems(&r.html);
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(
        r.html.contains("<h3"),
        "the digest uses three heading levels"
    );
    assert!(r.html.matches("<img").count() == 3);
}

#[test]
fn the_accessibility_checker_finds_every_kind_of_problem_in_a_broken_page() {
    let broken = r##"<!DOCTYPE html>
<html>
<head><title>x</title></head>
<body style="color:#999999;background-color:#ffffff">
<h1>Titel</h1>
<h3>Overgeslagen niveau</h3>
<table><tr><th>Kop</th><td>1</td></tr></table>
<img src="cid:chart">
<div style="width:800px">breed</div>
<p style="color:#ffffff;background:#ffff00">geel</p>
</body>
</html>"##;
    let problems = accessibility_problems(broken);
    let expect = [
        "lang",
        "viewport",
        "heading h3 follows h1",
        "table without caption",
        "th without scope",
        "without alt text",
        "width:800px",
        "contrast 2.85:1",
        "<p> contrast",
    ];
    for e in expect {
        assert!(
            problems.iter().any(|p| p.contains(e)),
            "checker missed {e:?}; found {problems:#?}"
        );
    }
    assert_eq!(problems.len(), expect.len(), "{problems:#?}");
}

#[test]
fn the_plain_text_alternative_has_no_markup() {
    let r = render(&sample(), &loaded()).unwrap();
    assert!(
        !r.text.contains("</") && !r.text.contains("<p"),
        "{}",
        r.text
    );
    assert!(!r.text.contains("&#"), "no html entities in the text part");
    assert!(r.text.contains("Súdwest-Fryslân"));
}

// ---------------------------------------------------------------------------------------------
// Exports

fn parse_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "UTF-8 BOM for Excel"
    );
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_reader(&bytes[3..]);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn the_csv_round_trips_with_dutch_characters_and_separators_inside_fields() {
    let mut rows = sample().all;
    rows[0].problems = vec!["twee; problemen".into(), "met \"aanhalingstekens\"".into()];
    rows[1].municipality = Some("=HYPERLINK(\"x\")".into());
    let bytes = export::csv(&rows, &criteria(), amsterdam());
    let parsed = parse_csv(&bytes);
    let headers = export::headers(&criteria());
    assert_eq!(parsed.len(), rows.len() + 1);
    assert_eq!(parsed[0], headers);
    assert!(parsed.iter().all(|r| r.len() == headers.len()));
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    assert_eq!(parsed[1][col("Referentie")], "KVN-0001");
    assert_eq!(parsed[1][col("Binnengekomen")], "2018-03-20 14:05");
    assert_eq!(parsed[1][col("Hoog op de agenda")], "voldoet");
    assert_eq!(
        parsed[1][col("Problemen")],
        "twee; problemen; met \"aanhalingstekens\""
    );
    assert_eq!(
        parsed[2][col("Gemeente")],
        "'=HYPERLINK(\"x\")",
        "formula defused"
    );
    assert_eq!(parsed[3][col("Te lang")], "ja");
    assert!(parsed.iter().any(|r| r.contains(&"Fryslân".to_string())));
}

fn zip_entry(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn the_xlsx_has_a_frozen_filtered_header_and_every_nomination() {
    let rows = sample().all;
    let bytes = export::xlsx(&rows, &criteria(), amsterdam()).unwrap();
    let sheet = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
    let strings = zip_entry(&bytes, "xl/sharedStrings.xml");
    let book = zip_entry(&bytes, "xl/workbook.xml");
    assert!(book.contains("name=\"Voordrachten\""), "{book}");
    let last_col = (b'A' + (export::headers(&criteria()).len() - 1) as u8) as char;
    assert!(
        sheet.contains(&format!(
            "<autoFilter ref=\"A1:{last_col}{}\"",
            rows.len() + 1
        )),
        "{sheet}"
    );
    assert!(sheet.contains("state=\"frozen\""), "frozen pane");
    assert!(sheet.contains("ySplit=\"1\""), "header row frozen");
    assert!(sheet.contains("<col "), "column widths");
    assert_eq!(sheet.matches("<row ").count(), rows.len() + 1);
    for s in [
        "Referentie",
        "KVN-0001",
        "Súdwest-Fryslân",
        "Innovatieve aanpak",
        "voldoet",
    ] {
        assert!(strings.contains(s), "shared strings lack {s}");
    }
}

// ---------------------------------------------------------------------------------------------
// Shortlist

fn cand(reference: &str, province: &str, domains: &[&str], strength: f64) -> Candidate {
    Candidate {
        reference: reference.to_string(),
        municipality: format!("Gemeente {reference}"),
        province: province.to_string(),
        domains: domains.iter().map(|d| d.to_string()).collect(),
        criteria_met: 3,
        principle: true,
        has_objection: false,
        objection_overridden: false,
        unread_answer: false,
        supporters: 0,
        on_time: true,
        current: true,
        strength,
    }
}

fn provinces() -> Vec<String> {
    PROVINCES.iter().map(|p| p.to_string()).collect()
}

#[test]
fn support_of_partners_counts_after_spread_and_before_strength() {
    // Two candidates in the same province with the same theme: one place. The one with more
    // support wins although its letter is weaker.
    let mut strong = cand("KVN-0001", "Utrecht", &["wonen"], 0.9);
    strong.supporters = 1;
    let mut supported = cand("KVN-0002", "Utrecht", &["wonen"], 0.5);
    supported.supporters = 3;
    let other = cand("KVN-0003", "Zeeland", &["vervoer"], 0.1);
    let s = shortlist(
        &[strong, supported, other],
        2,
        2,
        true,
        &provinces(),
        &["wonen".to_string(), "vervoer".to_string()],
    );
    let picked = refs(&s.picks);
    assert!(
        picked.contains(&"KVN-0003".to_string()),
        "spread first: {picked:?}"
    );
    assert!(
        picked.contains(&"KVN-0002".to_string()),
        "then support: {picked:?}"
    );
    assert!(s.objective.contains("steun"), "{}", s.objective);
    // The strength is still named in the explanation.
    assert!(
        s.picks.iter().any(|p| p.why.contains("3 steunbetuigingen")),
        "{:?}",
        s.picks
    );
}

fn domain_ids() -> Vec<String> {
    domains().into_iter().map(|(id, _)| id).collect()
}

fn refs(picks: &[intake::selection::shortlist::Pick]) -> Vec<String> {
    let mut r: Vec<String> = picks.iter().map(|p| p.reference.clone()).collect();
    r.sort();
    r
}

#[test]
fn the_shortlist_covers_every_theme_even_when_that_means_weaker_letters() {
    // Every province has a strong letter about "wonen". Seven provinces also have a weak letter
    // about one other theme. Best spread: one per province, the seven weak ones included.
    let d = domain_ids();
    let mut cands = Vec::new();
    for (i, p) in PROVINCES.iter().enumerate() {
        cands.push(cand(&format!("S{i:02}"), p, &["wonen"], 0.9));
        if (1..=7).contains(&i) {
            cands.push(cand(&format!("W{i:02}"), p, &[d[i].as_str()], 0.3));
        }
    }
    let s = shortlist(&cands, 12, 2, true, &provinces(), &d);
    let mut expected: Vec<String> = vec!["S00".into()];
    expected.extend((1..=7).map(|i| format!("W{i:02}")));
    expected.extend((8..12).map(|i| format!("S{i:02}")));
    expected.sort();
    assert_eq!(refs(&s.picks), expected);
    assert!(
        s.objective.contains("12 van 12 provincies"),
        "{}",
        s.objective
    );
    assert!(s.objective.contains("8 van 8 thema's"), "{}", s.objective);
    let w02 = s.picks.iter().find(|p| p.reference == "W02").unwrap();
    assert!(
        w02.why.contains("enige keuze met thema onderwijs"),
        "{}",
        w02.why
    );
    assert_eq!(
        s.reserves.len(),
        7,
        "the strong letters not picked are reserves"
    );
}

#[test]
fn twenty_five_picks_are_spread_two_or_three_per_province() {
    let d = domain_ids();
    let mut cands = Vec::new();
    for (i, p) in PROVINCES.iter().enumerate() {
        for j in 0..4 {
            let theme = d[(i + j) % d.len()].as_str();
            // Utrecht has by far the strongest letters: they must not take all the places.
            let strength = if *p == "Utrecht" {
                0.99
            } else {
                0.5 + j as f64 / 10.0
            };
            cands.push(cand(&format!("K{i:02}{j}"), p, &[theme], strength));
        }
    }
    let s = shortlist(&cands, 25, 2, true, &provinces(), &d);
    assert_eq!(s.picks.len(), 25);
    for p in PROVINCES {
        let n = s.picks.iter().filter(|x| x.province == p).count();
        assert!((2..=3).contains(&n), "{p}: {n}");
    }
    // The third place goes to the strongest remaining letter: Utrecht's.
    assert_eq!(
        s.picks.iter().filter(|x| x.province == "Utrecht").count(),
        3
    );
}

#[test]
fn objections_exclude_unless_staff_overrode_them_and_every_exclusion_says_why() {
    let d = domain_ids();
    let mut a = cand("A", "Groningen", &["wonen"], 0.9);
    a.has_objection = true;
    let mut b = cand("B", "Groningen", &["wonen"], 0.1);
    b.has_objection = true;
    b.objection_overridden = true;
    let mut late = cand("C", "Drenthe", &["werk"], 0.9);
    late.on_time = false;
    let mut old = cand("D", "Drenthe", &["werk"], 0.9);
    old.current = false;
    let mut thin = cand("E", "Zeeland", &["werk"], 0.9);
    thin.criteria_met = 1;
    let mut no_principle = cand("F", "Zeeland", &["werk"], 0.9);
    no_principle.principle = false;
    let s = shortlist(
        &[a, b, late, old, thin, no_principle],
        5,
        2,
        true,
        &provinces(),
        &d,
    );
    assert_eq!(refs(&s.picks), vec!["B".to_string()]);
    assert!(s.picks[0].why.contains("bezwaar door VNG opzij gezet"));
    let why = |r: &str| s.excluded.iter().find(|(x, _)| x == r).unwrap().1.clone();
    assert!(why("A").contains("bezwaar"));
    assert!(why("C").contains("te laat"));
    assert!(why("D").contains("vervangen"));
    assert!(why("E").contains("voldoet aan 1 criterium, minimaal 2"));
    assert!(why("F").contains("principe"));
    assert!(s.objective.contains("maar 1 geschikte"), "{}", s.objective);
    // Without the principle requirement F is eligible.
    let s2 = shortlist(
        &[cand("B", "Groningen", &["wonen"], 0.1), {
            let mut f = cand("F", "Zeeland", &["werk"], 0.9);
            f.principle = false;
            f
        }],
        5,
        2,
        false,
        &provinces(),
        &d,
    );
    assert_eq!(s2.picks.len(), 2);
}

#[test]
fn ties_are_broken_by_reference_whatever_the_input_order() {
    let d = domain_ids();
    let cands: Vec<Candidate> = (0..6)
        .map(|i| cand(&format!("KVN-{i:04}"), "Utrecht", &["wonen"], 0.5))
        .collect();
    let forward = shortlist(&cands, 2, 2, true, &provinces(), &d);
    let mut reversed = cands.clone();
    reversed.reverse();
    let backward = shortlist(&reversed, 2, 2, true, &provinces(), &d);
    assert_eq!(forward, backward);
    assert_eq!(refs(&forward.picks), vec!["KVN-0000", "KVN-0001"]);
    assert_eq!(forward.reserves[0].reference, "KVN-0002");
}

#[test]
fn a_small_shortlist_prefers_provinces_over_themes() {
    // Two places. Groningen has two letters, Limburg one. Provinces come first: one from each,
    // even though the two Groningen letters together cover more themes (4 against 3). Then
    // themes: G1 (3 themes) beats the stronger G2 (1 theme).
    let d = domain_ids();
    let cands = vec![
        cand("G1", "Groningen", &["wonen", "werk", "vervoer"], 0.5),
        cand("G2", "Groningen", &["onderwijs"], 0.9),
        cand("L1", "Limburg", &["wonen"], 0.5),
    ];
    let s = shortlist(&cands, 2, 2, true, &provinces(), &d);
    assert_eq!(refs(&s.picks), vec!["G1", "L1"]);
}

#[test]
fn the_shortlist_prints_as_a_readable_table() {
    let d = domain_ids();
    let cands = vec![
        cand("KVN-0001", "Fryslân", &["wonen"], 0.8),
        cand("KVN-0002", "Limburg", &["werk"], 0.7),
        cand("KVN-0003", "Limburg", &["werk"], 0.6),
    ];
    let out = shortlist(&cands, 2, 2, true, &provinces(), &d).to_string();
    assert!(out.starts_with("Doel:"), "{out}");
    assert!(out.contains("Voorstel (2)"));
    assert!(out.contains("Reserves (1)"));
    let line = out.lines().find(|l| l.contains("KVN-0001")).unwrap();
    assert!(
        line.contains("Fryslân") && line.contains("enige geschikte voordracht"),
        "{line}"
    );
}

#[test]
fn the_shortlist_of_three_hundred_nominations_is_exact_and_deterministic() {
    let d = domain_ids();
    let mut cands = Vec::new();
    for n in 0..300usize {
        let p = PROVINCES[n * 7 % 12];
        let themes = [d[n % 8].as_str(), d[(n * 3 + 1) % 8].as_str()];
        cands.push(cand(
            &format!("KVN-{n:04}"),
            p,
            &themes,
            (n * 37 % 100) as f64 / 100.0,
        ));
    }
    let a = shortlist(&cands, 25, 2, true, &provinces(), &d);
    cands.reverse();
    let b = shortlist(&cands, 25, 2, true, &provinces(), &d);
    assert_eq!(a, b);
    assert_eq!(a.picks.len(), 25);
    assert!(
        a.objective.contains("12 van 12 provincies"),
        "{}",
        a.objective
    );
    assert!(a.objective.contains("8 van 8 thema's"), "{}", a.objective);
}

// ---------------------------------------------------------------------------------------------
// Decision letters

fn letter() -> DecisionLetterData {
    DecisionLetterData {
        call_title: "Koplopers VN-Verdrag Handicap".into(),
        reference: "KVN-0042".into(),
        municipality: "Súdwest-Fryslân".into(),
        arrived_at: t(20, 13, 5),
        ratified_at: Utc.with_ymd_and_hms(2018, 5, 14, 10, 0, 0).unwrap(),
        ratified_by: vec![
            "J. Jansen, voorzitter".into(),
            "A. de Vries, directeur".into(),
        ],
        selected_count: 25,
        note: Some("Wij nodigen u uit voor de bijeenkomst in juni.".into()),
        contact_name: "Team Inclusie VNG".into(),
        contact_email: "koplopers@vng.nl".into(),
        tz: amsterdam(),
    }
}

#[test]
fn the_decision_letters_name_the_municipality_the_reference_and_the_ratification() {
    for kind in [
        DecisionLetterKind::Selected,
        DecisionLetterKind::NotSelected,
    ] {
        let l = render_decision_letter(kind, &letter(), &loaded()).unwrap();
        assert!(l.subject.contains("KVN-0042"), "{}", l.subject);
        for body in [l.text.clone(), html_text(&l.html)] {
            for s in [
                "Súdwest-Fryslân",
                "KVN-0042",
                "20 maart 2018",
                "14 mei 2018",
                "J. Jansen, voorzitter en A. de Vries, directeur",
                "25 gemeenten",
                "bijeenkomst in juni",
                "koplopers@vng.nl",
            ] {
                assert!(body.contains(s), "{kind:?} lacks {s:?}:\n{body}");
            }
        }
        let problems = accessibility_problems(&l.html);
        assert!(problems.is_empty(), "{kind:?}: {problems:#?}");
        let selected = l.text.contains("is gekozen.");
        assert_eq!(selected, kind == DecisionLetterKind::Selected, "{}", l.text);
    }
}
