//! Reading a partner's answer to a consultation: the new text, the verdict and the motivation.
//!
//! Partners answer from Outlook, Gmail, Apple Mail and phones, in their own words, with the quoted
//! letter above or below, signatures, disclaimers, sometimes HTML only. This module first cuts the
//! partner's own new text out of the body ([`new_text_lines`]: `>` quotes, "Op … schreef …:"
//! attributions, Outlook's "Van:/Verzonden:/Aan:/Onderwerp:" block, "-----Oorspronkelijk
//! bericht-----", GroupWise's ">>> … >>>" line, signatures, phone footers and disclaimers are
//! removed), and only then reads the verdict ([`signals`](super::signals::read)), so that the quoted
//! question "STEUN, BEZWAAR of GEEN OORDEEL" or a disclaimer never counts.
//!
//! The verdict comes from, in order of strength:
//! 1. an explicit keyword line as the letter asks for ("STEUN", "Bezwaar: …", "geen oordeel.",
//!    "Ons antwoord: STEUN"); a keyword line wins over anything in the motivation ("STEUN, maar …"
//!    stays support), and two different keyword lines make the answer unclear;
//! 2. Dutch (and plain English) sentences with negations ("wij steunen deze voordracht", "geen
//!    bezwaar", "wij kunnen deze voordracht niet steunen", "we trekken onze steun in", "wij
//!    onthouden ons", "we support this nomination"); contradictory sentences make it unclear;
//! 3. a bare "Ja" or "Nee" at the start, when nothing else says anything.
//!
//! Unclear is `None`: staff read the answer; what in it objects is kept beside it
//! ([`ReplyReading::objection`]). This module is pure and never logs the text.

use super::signals::{self, explicit_keyword, is_salutation, sentences, words};

/// Longest motivation kept (characters); the full new text is stored beside it.
pub const MAX_MOTIVATION_CHARS: usize = 2000;

/// Longest body read (characters); an answer is a few paragraphs, the rest is quoted history.
const MAX_INPUT_CHARS: usize = 200_000;

/// A partner's answer to the consultation question (the one state of [`crate::domain`]).
pub use crate::domain::PartnerVerdict;
pub use crate::html::html_to_text;

/// What was read from one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyReading {
    /// The verdict, or `None` when unclear: the answer needs reading by staff.
    pub verdict: Option<PartnerVerdict>,
    /// The new text without salutation and verdict keyword, at most [`MAX_MOTIVATION_CHARS`].
    pub motivation: String,
    /// The partner's own new text, quotes, signature and disclaimer stripped.
    pub new_text: String,
    /// When the verdict is unclear but the text objects somewhere: the objecting sentences, so
    /// staff see the objection first (at most a few hundred characters).
    pub objection: Option<String>,
}

/// Reads one answer. Pass the text/plain body when the mail has one, and the text/html body;
/// the HTML is used only when there is no (non-empty) text body. Do not pass a text body that a
/// mail library derived from the HTML: it loses the blockquote markers this reading relies on.
pub fn read_reply(text_body: Option<&str>, html_body: Option<&str>) -> ReplyReading {
    let from_html = html_body.map(|h| html_to_text(bounded(h)));
    let source = match (text_body.filter(|t| !t.trim().is_empty()), from_html) {
        // A text that says exactly what the HTML says may be a mail library's conversion of
        // it, without the blockquote markers and line breaks: read the HTML instead.
        (Some(text), Some(html)) if same_words(text, &html) => html,
        (Some(text), _) => bounded(text).replace("\r\n", "\n").replace('\r', "\n"),
        (None, html) => html.unwrap_or_default(),
    };
    let lines = new_text_lines(&source);
    let new_text = lines.join("\n").trim().to_string();
    let reading = signals::read(&lines);
    ReplyReading {
        verdict: reading.verdict,
        motivation: motivation_of(&lines),
        new_text,
        objection: reading.objection,
    }
}

/// The bodies to pass to [`read_reply`] from a parsed mail: the first real text/plain body
/// part and the first text/html body part. A mail without a text/plain part gives `None` for
/// the text (mail-parser would otherwise offer its own HTML conversion, which loses the quotes).
pub fn reply_bodies<'a>(
    message: &'a mail_parser::Message<'a>,
) -> (Option<&'a str>, Option<&'a str>) {
    let part = |ids: &[mail_parser::MessagePartId], html: bool| {
        ids.iter()
            .filter_map(|&id| message.parts.get(id as usize))
            .find(|p| {
                if html {
                    p.is_text_html()
                } else {
                    p.is_text() && !p.is_text_html()
                }
            })
            .and_then(|p| p.text_contents())
    };
    (
        part(&message.text_body, false),
        part(&message.html_body, true),
    )
}

/// Whether an answer is an automatic absence notice rather than an answer. Looks at the subject
/// ("Automatisch antwoord: …", "Afwezig", "Out of office") and at the new text ("Ik ben tot en met
/// 6 april afwezig"); a text with an explicit verdict keyword line is never an absence notice.
/// Header-based detection (RFC 3834 `Auto-Submitted`) happens elsewhere.
pub fn is_out_of_office(subject: &str, new_text: &str) -> bool {
    let subject = collapse_ws(&subject.to_lowercase());
    if crate::classify::AUTOMATIC_SUBJECTS
        .iter()
        .any(|m| subject.contains(m))
    {
        return true;
    }
    let lines: Vec<String> = new_text.lines().map(str::to_string).collect();
    if lines.iter().any(|l| explicit_keyword(l).is_some()) {
        return false;
    }
    let body = collapse_ws(&new_text.to_lowercase());
    const BODY_MARKS: &[&str] = &[
        "out of office",
        "out of the office",
        "niet op kantoor",
        "tijdens mijn afwezigheid",
        "in verband met mijn afwezigheid",
        "ik ben met vakantie",
        "ben ik met vakantie",
        "ik ben op vakantie",
        "ben ik op vakantie",
        "ik ben weer aanwezig",
        "ben ik weer aanwezig",
        "ik ben weer bereikbaar",
        "ben ik weer bereikbaar",
        "ben ik weer op kantoor",
        "ik ben weer op kantoor",
        "wordt niet doorgestuurd",
        "wordt niet gelezen",
        "worden niet gelezen",
        "wordt niet automatisch doorgestuurd",
        "i am currently out",
        "i will be back",
        "will return on",
        "currently on leave",
        "on annual leave",
        "ben ik met verlof",
        "ik ben met verlof",
        "niet werkzaam",
    ];
    if BODY_MARKS.iter().any(|m| body.contains(m)) {
        return true;
    }
    // "Ik ben van 26 maart tot en met 6 april afwezig", not "ik was afwezig".
    sentences(&body).iter().any(|s| {
        let words: Vec<&str> = words(s).map(|w| w.2).collect();
        let has = |w: &str| words.contains(&w);
        // "met (zwangerschaps)verlof", "op vakantie", "niet op kantoor".
        let leave = words
            .iter()
            .any(|w| w.ends_with("verlof") || *w == "vakantie");
        (has("afwezig")
            || leave
            || (has("niet") && (has("bereikbaar") || has("aanwezig") || has("kantoor"))))
            && (has("ben") || has("is"))
            && !has("was")
            && !has("waren")
    })
}

/// The partner's own new lines: quoted history, attributions, header blocks, signatures, phone
/// footers and disclaimers removed; `format=flowed` soft breaks joined; outer blank lines trimmed.
pub fn new_text_lines(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = Vec::new();
    // Whether the last kept line ended in a flowed soft break (a trailing space).
    let mut soft_break = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = clean(line);
        if is_groupwise_attribution(&trimmed) {
            break;
        }
        if is_quoted(line) {
            soft_break = false;
            i += 1;
            continue;
        }
        if let Some(len) = attribution_len(&lines, i) {
            let next = lines[i + len..].iter().find(|l| !clean(l).is_empty());
            match next {
                Some(n) if is_quoted(n) => {
                    soft_break = false;
                    i += len;
                    continue;
                }
                _ => break,
            }
        }
        if is_separator(&trimmed)
            || is_header_block(&lines, i)
            || is_signature_start(&trimmed)
            || is_phone_footer(&trimmed)
            || is_disclaimer(&trimmed)
        {
            break;
        }
        let this_soft = line.ends_with(' ') && trimmed != "--";
        match out.last_mut() {
            Some(last) if soft_break && !trimmed.is_empty() => {
                last.push(' ');
                last.push_str(&trimmed);
            }
            _ => out.push(trimmed.clone()),
        }
        soft_break = this_soft && !trimmed.is_empty();
        i += 1;
    }
    // Trim separators and blank lines left at either end, collapse runs of blank lines.
    while out
        .last()
        .is_some_and(|l| l.is_empty() || l.chars().all(|c| "_-=*".contains(c)))
    {
        out.pop();
    }
    let first = out.iter().position(|l| !l.is_empty()).unwrap_or(out.len());
    let mut result: Vec<String> = Vec::with_capacity(out.len());
    for l in out.into_iter().skip(first) {
        if l.is_empty() && result.last().is_some_and(|p: &String| p.is_empty()) {
            continue;
        }
        result.push(l);
    }
    result
}

/// A line without surrounding white space, non-breaking and zero-width spaces.
fn clean(line: &str) -> String {
    line.replace(['\u{a0}', '\u{2007}', '\u{202f}'], " ")
        .replace(['\u{200b}', '\u{feff}'], "")
        .trim()
        .to_string()
}

/// GroupWise's `>>> Name <address> 27-3-2018 10:15 >>>`: the original follows, unquoted.
fn is_groupwise_attribution(trimmed: &str) -> bool {
    trimmed.len() > 8
        && trimmed.starts_with(">>>")
        && trimmed.ends_with(">>>")
        && trimmed.chars().any(|c| c.is_ascii_digit())
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

/// Number of lines (1 to 3) of a reply attribution starting at `i`: "Op di 27 mrt. 2018 om 10:15
/// schreef X <x@y>:", "Op 27 mrt. 2018 om 10:15 heeft X het volgende geschreven:", "On … wrote:",
/// "X schreef op 27-03-2018 10:15:". Gmail wraps long ones over two lines.
fn attribution_len(lines: &[&str], i: usize) -> Option<usize> {
    let first = clean(lines[i]).to_lowercase();
    if first.is_empty() || first.len() > 300 {
        return None;
    }
    let mut joined = String::new();
    for k in 0..3 {
        let Some(line) = lines.get(i + k) else { break };
        let part = clean(line).to_lowercase();
        if k > 0 && (part.is_empty() || is_quoted(line)) {
            break;
        }
        if !joined.is_empty() {
            joined.push(' ');
        }
        joined.push_str(&part);
        if joined.len() > 400 {
            break;
        }
        let marked = ["schreef", "geschreven", "wrote", "schrieb", "a écrit"]
            .iter()
            .any(|m| joined.contains(m));
        let starts = ["op ", "on ", "am ", "le "]
            .iter()
            .any(|p| joined.starts_with(p))
            || joined.contains("schreef op")
            || joined.contains("wrote on");
        let dated = joined.contains('@') || joined.chars().any(|c| c.is_ascii_digit());
        if marked && starts && dated && joined.ends_with(':') {
            return Some(k + 1);
        }
    }
    None
}

/// "-----Oorspronkelijk bericht-----" and its relatives.
fn is_separator(trimmed: &str) -> bool {
    let core: String = trimmed
        .chars()
        .filter(|c| !"-_=*".contains(*c))
        .collect::<String>()
        .trim()
        .to_lowercase();
    const MARKS: &[&str] = &[
        "oorspronkelijk bericht",
        "origineel bericht",
        "original message",
        "doorgestuurd bericht",
        "forwarded message",
        "begin doorgestuurd bericht:",
        "begin forwarded message:",
    ];
    MARKS
        .iter()
        .any(|m| core == *m || core == m.trim_end_matches(':'))
}

/// A header line of a quoted mail ("Van:", "*Verzonden:*"), as its lower-case field name.
fn header_field(line: &str) -> Option<String> {
    let t = clean(line);
    let t = t.trim_start_matches(['*', '_']);
    let (name, _) = t.split_once(':')?;
    let name = name.trim_end_matches(['*', '_']).trim().to_lowercase();
    (name.len() <= 12 && name.chars().all(|c| c.is_alphabetic() || c == '-')).then_some(name)
}

/// Outlook's "Van: … / Verzonden: … / Aan: … / Onderwerp: …" block (or the English one) at `i`.
fn is_header_block(lines: &[&str], i: usize) -> bool {
    let Some(field) = header_field(lines[i]) else {
        return false;
    };
    if !["van", "from", "afzender", "von", "de"].contains(&field.as_str()) {
        return false;
    }
    const FOLLOWING: &[&str] = &[
        "verzonden",
        "sent",
        "datum",
        "date",
        "aan",
        "to",
        "onderwerp",
        "subject",
        "cc",
        "gesendet",
        "betreff",
    ];
    lines[i + 1..]
        .iter()
        .filter(|l| !clean(l).is_empty())
        .take(5)
        .filter_map(|l| header_field(l))
        .any(|f| FOLLOWING.contains(&f.as_str()))
}

/// The start of a signature: "-- " or a closing greeting on a short line.
fn is_signature_start(trimmed: &str) -> bool {
    if trimmed == "--" || trimmed == "—" || trimmed == "-- " {
        return true;
    }
    if trimmed.chars().count() > 60 {
        return false;
    }
    let lower = trimmed.to_lowercase();
    let bare = lower.trim_end_matches([',', '.', '!', ' ']);
    const EXACT: &[&str] = &[
        "gr", "mvg", "m.v.g", "vrgr", "vr.gr", "vr. gr", "hgr", "groet", "groeten", "groetjes",
        "regards", "best",
    ];
    if EXACT.contains(&bare) {
        return true;
    }
    const STARTS: &[&str] = &[
        "met vriendelijke groet",
        "met een vriendelijke groet",
        "vriendelijke groet",
        "met hartelijke groet",
        "hartelijke groet",
        "met collegiale groet",
        "collegiale groet",
        "met groet",
        "warme groet",
        "lieve groet",
        "zonnige groet",
        "dank en groet",
        "bedankt en groet",
        "groet,",
        "groeten,",
        "groeten van",
        "groet van",
        "mvg,",
        "mvg ",
        "m.v.g.",
        "vr.gr.",
        "vr. gr.",
        "kind regards",
        "best regards",
        "with kind regards",
    ];
    STARTS.iter().any(|s| lower.starts_with(s))
}

/// "Verzonden vanaf mijn iPhone" and other phone or app footers.
fn is_phone_footer(trimmed: &str) -> bool {
    if trimmed.chars().count() > 80 {
        return false;
    }
    let lower = trimmed.to_lowercase();
    const STARTS: &[&str] = &[
        "verzonden vanaf",
        "verzonden vanuit",
        "verzonden van mijn",
        "verzonden met",
        "verstuurd vanaf",
        "verstuurd vanuit",
        "verstuurd van mijn",
        "verstuurd met",
        "sent from my",
        "sent from outlook",
        "get outlook for",
        "download outlook",
        "outlook voor ios",
        "outlook voor android",
    ];
    STARTS.iter().any(|s| lower.starts_with(s))
}

/// The start of a legal disclaimer, which often says "bezwaar" or "vertrouwelijk".
fn is_disclaimer(trimmed: &str) -> bool {
    let lower = trimmed.to_lowercase();
    const MARKS: &[&str] = &[
        "disclaimer",
        "uitsluitend bestemd",
        "alleen bestemd voor",
        "bestemd voor de geadresseerde",
        "niet de geadresseerde",
        "niet de beoogde ontvanger",
        "geen rechten worden ontleend",
        "geen rechten ontleend",
        "kunnen geen rechten",
        "dit e-mailbericht",
        "dit e-mail bericht",
        "this e-mail and any",
        "this email and any",
        "this message is intended",
        "this e-mail is intended",
        "this email is intended",
        "denk aan het milieu",
        "please consider the environment",
    ];
    MARKS.iter().any(|m| lower.contains(m))
}

// ---------------------------------------------------------------------------------------------
// Verdict (the rules are in `signals`)
// ---------------------------------------------------------------------------------------------

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The motivation: the new text without salutation and verdict keyword, paragraphs kept,
/// hard-wrapped lines joined, at most [`MAX_MOTIVATION_CHARS`].
fn motivation_of(lines: &[String]) -> String {
    let mut kept: Vec<String> = Vec::new();
    let mut seen_content = false;
    let mut keyword_done = false;
    for line in lines {
        if !seen_content && (line.is_empty() || is_salutation(line)) {
            continue;
        }
        seen_content = true;
        if !keyword_done && let Some((_, end)) = explicit_keyword(line) {
            keyword_done = true;
            let rest = line[end..]
                .trim_start_matches(|c: char| c.is_whitespace() || ",.:;!-–—)*".contains(c));
            if !rest.is_empty() {
                kept.push(rest.to_string());
            }
            continue;
        }
        kept.push(line.clone());
    }
    // A last paragraph that is only a name ("Joost", "Anna de Vries") is a signature without
    // a closing greeting.
    while kept.last().is_some_and(|l| l.is_empty()) {
        kept.pop();
    }
    let last_paragraph_start = kept.iter().rposition(|l| l.is_empty()).map_or(0, |p| p + 1);
    if kept[..last_paragraph_start].iter().any(|l| !l.is_empty())
        && kept.len() - last_paragraph_start == 1
        && kept.last().is_some_and(|l| is_name_line(l))
    {
        kept.truncate(last_paragraph_start);
    }
    let mut text = String::new();
    for (n, paragraph) in kept
        .split(|l| l.is_empty())
        .filter(|p| !p.is_empty())
        .enumerate()
    {
        if n > 0 {
            text.push_str("\n\n");
        }
        for (k, line) in paragraph.iter().enumerate() {
            if k > 0 {
                let list_item = line.starts_with(['-', '*', '•'])
                    || line.split_once('.').is_some_and(|(d, _)| {
                        !d.is_empty() && d.len() <= 2 && d.chars().all(|c| c.is_ascii_digit())
                    });
                text.push(if list_item { '\n' } else { ' ' });
            }
            text.push_str(line);
        }
    }
    truncate_chars(text.trim(), MAX_MOTIVATION_CHARS)
}

/// A line that is only a person's name: one to four words, the first capitalised, no
/// sentence punctuation ("Joost", "Anna de Vries").
fn is_name_line(line: &str) -> bool {
    let t = line.trim();
    let n = words(t).count();
    (1..=4).contains(&n)
        && t.chars().next().is_some_and(char::is_uppercase)
        && !t.contains(['.', '!', '?', ',', ':', ';'])
        && !t.chars().any(|c| c.is_ascii_digit())
        && explicit_keyword(t).is_none()
}

/// `s` cut to at most `max` characters, at a word boundary where possible, with "…".
pub fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max.saturating_sub(1)).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(p) if p > cut.len() / 2 => cut[..p].trim_end().to_string(),
        _ => cut,
    };
    format!("{cut}…")
}

/// Whether two texts have the same letters and digits in the same order (ignoring quote
/// markers, white space and punctuation).
fn same_words(a: &str, b: &str) -> bool {
    let letters = |s: &str| {
        bounded(s)
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    letters(a) == letters(b)
}

/// At most [`MAX_INPUT_CHARS`] characters of `s`.
fn bounded(s: &str) -> &str {
    match s.char_indices().nth(MAX_INPUT_CHARS) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::PartnerVerdict::{NoOpinion, Objection, Support};
    use super::*;

    /// Realistic answers as partners type them (new text, sometimes with quoted history), and
    /// the verdict a careful human reader would record (`None`: needs reading).
    const ANSWERS: &[(&str, Option<PartnerVerdict>)] = &[
        (
            "STEUN\n\nDe gemeente betrekt ervaringsdeskundigen al jaren bij het beleid.",
            Some(Support),
        ),
        (
            "Beste Anna,\n\nBEZWAAR\n\nDe gemeente heeft nog geen lokale inclusieagenda.\n\nMet vriendelijke groet,\nPiet",
            Some(Objection),
        ),
        (
            "Geen oordeel. Wij kennen deze gemeente niet goed genoeg.",
            Some(NoOpinion),
        ),
        ("steun!", Some(Support)),
        (
            "Steun, maar de toegankelijkheid van het gemeentehuis moet beter.",
            Some(Support),
        ),
        (
            "STEUN, maar wij hebben wel bezwaar tegen de korte looptijd van het plan.",
            Some(Support),
        ),
        ("Wij steunen deze voordracht van harte.", Some(Support)),
        ("Wij kunnen deze voordracht niet steunen.", Some(Objection)),
        (
            "Wij steunen deze voordracht niet, want mensen met een beperking zijn niet betrokken.",
            Some(Objection),
        ),
        ("Geen bezwaar.", Some(Support)),
        (
            "Wij hebben geen bezwaar tegen deze voordracht.",
            Some(Support),
        ),
        (
            "Wij hebben bezwaar. De gemeente noemt het VN-verdrag nergens.",
            Some(Objection),
        ),
        ("We kunnen ons hier niet in vinden.", Some(Objection)),
        (
            "Wij kunnen ons goed vinden in deze voordracht.",
            Some(Support),
        ),
        (
            "Wij onthouden ons van een oordeel, omdat wij in deze regio geen leden hebben.",
            Some(NoOpinion),
        ),
        ("Dit kunnen wij niet beoordelen.", Some(NoOpinion)),
        ("Geen mening.", Some(NoOpinion)),
        ("Ja, van harte!", Some(Support)),
        (
            "Nee. De gemeente doet te weinig aan toegankelijkheid.",
            Some(Objection),
        ),
        (
            "Wij steunen deze voordracht, maar hebben ook een bezwaar: er is geen budget.",
            None,
        ),
        ("STEUN\nBEZWAAR", None),
        ("Akkoord.", Some(Support)),
        (
            "Namens Per Saldo: akkoord met de voordracht.",
            Some(Support),
        ),
        (
            "Ik ben het helemaal eens met deze voordracht.",
            Some(Support),
        ),
        (
            "Wij zijn het niet eens met deze voordracht.",
            Some(Objection),
        ),
        ("Wij zijn tegen deze voordracht.", Some(Objection)),
        ("Wij hebben er niets op tegen.", Some(Support)),
        ("Wij raden deze voordracht af.", Some(Objection)),
        ("Wij geven een positief advies.", Some(Support)),
        (
            "Negatief advies: de gemeente heeft geen ervaringsdeskundigen betrokken.",
            Some(Objection),
        ),
        (
            "Wij hebben onvoldoende zicht op de situatie in deze gemeente.",
            Some(NoOpinion),
        ),
        ("Wij laten het oordeel graag aan u over.", Some(NoOpinion)),
        (
            "STEUN\n\n> Wilt u antwoorden met STEUN, BEZWAAR of GEEN OORDEEL?",
            Some(Support),
        ),
        (
            "Op di 27 mrt. 2018 om 10:15 schreef Intake VNG <intake@vng.nl>:\n> Antwoord met STEUN, BEZWAAR of GEEN OORDEEL\n> De gemeente heeft bezwaar gemaakt.",
            None,
        ),
        (
            "Antwoord met STEUN, BEZWAAR of GEEN OORDEEL.\nSTEUN",
            Some(Support),
        ),
        (
            "Wij steunen de voordracht.\n\nJan de Vries\nBeleidsmedewerker\n\nDit e-mailbericht is uitsluitend bestemd voor de geadresseerde. Indien u bezwaar heeft tegen verwerking, meld dit dan.",
            Some(Support),
        ),
        (
            "Geen bezwaar\n\nMet vriendelijke groet,\nLFB\nDisclaimer: wij hebben bezwaar tegen het doorsturen van dit bericht.",
            Some(Support),
        ),
        (
            "STEUN. Mooi voorbeeld.\n\nVan: Intake VNG <intake+c-abc2345678@vng.nl>\nVerzonden: dinsdag 27 maart 2018 10:15\nAan: Jan de Vries\nOnderwerp: [C-ABC2345678] Consultatie\n\nBeste Jan,\nAntwoord met STEUN, BEZWAAR of GEEN OORDEEL.\nWij hebben bezwaar.",
            Some(Support),
        ),
        (
            "Op 27 mrt. 2018 om 10:15 heeft Intake VNG <intake@vng.nl> het volgende geschreven:\n\n> Steunt u deze voordracht?\n\nJa, wij steunen deze voordracht.",
            Some(Support),
        ),
        ("Wij twijfelen nog en komen hier later op terug.", None),
        (
            "Bezwaar: de gemeente noemt het VN-verdrag alleen in een bijzin.",
            Some(Objection),
        ),
        ("ons antwoord: geen oordeel", Some(NoOpinion)),
        ("Ons antwoord is STEUN.", Some(Support)),
        ("Hierbij ons antwoord: STEUN", Some(Support)),
        ("Wij ondersteunen de voordracht volledig.", Some(Support)),
        ("Ieder(in) onderschrijft deze nominatie.", Some(Support)),
        ("Geen steun. De plannen zijn te vaag.", Some(Objection)),
        (
            "Helaas kunnen wij de voordracht niet ondersteunen. De gemeente heeft de inclusieagenda nog niet vastgesteld.",
            Some(Objection),
        ),
        ("Wij hebben geen enkel bezwaar.", Some(Support)),
        ("Wij zien geen bezwaren.", Some(Support)),
        ("Hier kunnen wij ons prima in vinden", Some(Support)),
        (
            "Prima kandidaat, wij staan er volledig achter.",
            Some(Support),
        ),
        (
            "Wij zijn geen voorstander van deze voordracht.",
            Some(Objection),
        ),
        (
            "Steun voor mensen met een beperking is hier goed geregeld. Wij steunen de voordracht.",
            Some(Support),
        ),
        ("Wij hebben bezwaar tegen deze voordracht.", Some(Objection)),
        ("Nee, geen bezwaar.", Some(Support)),
        ("Ja hoor, prima.", Some(Support)),
        ("Wij geven onze steun aan deze gemeente.", Some(Support)),
        ("Mind is het oneens met deze voordracht.", Some(Objection)),
        ("Wij stemmen in met de voordracht.", Some(Support)),
        ("Lastig te beoordelen voor ons.", Some(NoOpinion)),
        ("GEEN OORDEEL", Some(NoOpinion)),
        ("geen-oordeel", Some(NoOpinion)),
        ("*STEUN*", Some(Support)),
        ("Wij zijn positief over deze voordracht.", Some(Support)),
        (
            "Beste mevrouw De Vries,\n\nNa overleg in ons bestuur: bezwaar.\n\nDe gemeente zegt veel toe maar doet weinig.",
            Some(Objection),
        ),
        (
            "Goedemiddag,\n\nNamens de LFB: wij vinden dit een goede gemeente. Wij steunen het.",
            Some(Support),
        ),
        (
            "Wij kunnen dit niet goed beoordelen, maar hebben geen bezwaar.",
            None,
        ),
        ("Steun van Per Saldo!", Some(Support)),
        (
            "Wij hebben geen moeite om deze voordracht te steunen.",
            Some(Support),
        ),
        (
            "Wij steunen deze voordracht niet alleen, wij zijn er enthousiast over.",
            Some(Support),
        ),
        (
            "Wij kunnen niet anders dan deze voordracht steunen.",
            Some(Support),
        ),
        (
            "De gemeente steunt mantelzorgers niet voldoende, daarom BEZWAAR.",
            Some(Objection),
        ),
        (
            "BEZWAAR (zie toelichting hieronder)\n\nDe gemeente heeft geen ervaringsdeskundigen gesproken.",
            Some(Objection),
        ),
        (
            "Dank voor uw bericht. We bespreken dit volgende week in het bestuur.",
            None,
        ),
        ("", None),
        ("Per Saldo kan zich vinden in de voordracht.", Some(Support)),
        ("Wij zijn voor deze voordracht.", Some(Support)),
        ("De LFB is voor.", Some(Support)),
        ("De LFB is tegen.", Some(Objection)),
        ("Positief.", Some(Support)),
        ("Negatief, de gemeente doet te weinig.", Some(Objection)),
        ("Van harte ondersteund!", Some(Support)),
        ("Mind sluit zich hierbij aan.", Some(Support)),
        (
            "Wij hebben grote moeite met deze voordracht.",
            Some(Objection),
        ),
        ("Dit is een prima kandidaat.", Some(Support)),
        ("Zwolle is geen goed voorbeeld.", Some(Objection)),
        ("Wij weten het niet.", Some(NoOpinion)),
        (
            "Wij kennen de situatie in deze gemeente onvoldoende.",
            Some(NoOpinion),
        ),
        ("Bezwaar? Nee hoor, wij steunen dit.", Some(Support)),
        ("Wij zijn het eens.", Some(Support)),
        ("Wij zijn het niet eens.", Some(Objection)),
        ("Beste Anna, STEUN.", Some(Support)),
        (
            "Geen bezwaar, wel een kanttekening: de website is slecht toegankelijk.",
            Some(Support),
        ),
        ("Nee, wij zijn tegen de aanmelding.", Some(Objection)),
        ("Ja, wij steunen de aanmelding.", Some(Support)),
        (
            "GEEN OORDEEL. Dat betekent: wij weten het niet.",
            Some(NoOpinion),
        ),
        ("Steun 👍", Some(Support)),
        ("Wij sluiten ons aan bij het bezwaar van Ieder(in).", None),
        (
            "steun met een kanttekening: betrek ook mensen met psychische kwetsbaarheid",
            Some(Support),
        ),
        ("Bezwaar hebben wij niet.", Some(Support)),
        (
            "Wij trekken ons eerdere bezwaar in en steunen de voordracht.",
            Some(Support),
        ),
        ("Wij zijn niet overtuigd.", Some(Objection)),
        ("Prima!", Some(Support)),
        ("Het lijkt ons een goede keuze.", Some(Support)),
        ("Geen steun van onze kant.", Some(Objection)),
        (
            "Namens het bestuur van de LFB: wij steunen deze voordracht NIET. Mensen met een verstandelijke beperking zijn niet gevraagd.",
            Some(Objection),
        ),
        (
            "Hierbij laat ik u weten dat Ieder(in) de voordracht van de gemeente Utrecht van harte steunt.",
            Some(Support),
        ),
        (
            "Wij willen hier graag nog even intern over overleggen. U hoort uiterlijk vrijdag van ons.",
            None,
        ),
        ("Utrecht verdient het om koploper te worden.", Some(Support)),
        (
            "Wij steunen de voordracht onder voorwaarde dat ervaringsdeskundigen meepraten.",
            Some(Support),
        ),
        // Corrections and withdrawals (issue 11): the new text decides.
        (
            "Graag corrigeren wij ons eerdere antwoord. Na overleg met onze leden trekken wij onze steun in: wij hebben bezwaar.",
            Some(Objection),
        ),
        (
            "Wij kunnen de voordracht van Zwolle niet langer steunen.",
            Some(Objection),
        ),
        ("Helaas steunen wij Zwolle niet meer.", Some(Objection)),
        ("Wij trekken onze steun voor Tilburg in.", Some(Objection)),
        ("Wij trekken onze steun niet in.", Some(Support)),
        (
            "Wij handhaven ons bezwaar, ook na het gesprek met de wethouder.",
            Some(Objection),
        ),
        // One typo in the verdict word.
        ("Wij steunn Tilburg.", Some(Support)),
        ("Bezwaaar, de gemeente doet te weinig.", Some(Objection)),
        ("STEUNN", Some(Support)),
        ("Wij hebben geen bezwaaar.", Some(Support)),
        ("Ik onthoud mij van een oordeel.", Some(NoOpinion)),
        ("Wij zijn akoord met de voordracht.", Some(Support)),
        // Plain English, the same negation rules.
        ("We support this nomination", Some(Support)),
        ("We do not support this nomination.", Some(Objection)),
        ("We object to the nomination of Tilburg.", Some(Objection)),
        ("We have no objections.", Some(Support)),
        ("We oppose this nomination.", Some(Objection)),
        ("No opinion.", Some(NoOpinion)),
        ("I abstain.", Some(NoOpinion)),
        ("SUPPORT", Some(Support)),
        ("We can't support this.", Some(Objection)),
        ("We are in favour of this nomination.", Some(Support)),
        // General Dutch.
        ("Wij zijn er enthousiast over.", Some(Support)),
        ("Daar zijn wij voor.", Some(Support)),
        ("Wij zijn ertegen.", Some(Objection)),
        ("Wij wijzen deze voordracht af.", Some(Objection)),
        ("Wij staan erachter.", Some(Support)),
        ("Eens.", Some(Support)),
        ("Eens per jaar spreken wij de wethouder.", None),
        ("Van harte steun voor Zwolle!", Some(Support)),
        (
            "De steun van de gemeente voor mantelzorgers is matig.",
            None,
        ),
        (
            "Wij laten het oordeel over aan de andere partners.",
            Some(NoOpinion),
        ),
        (
            "Wij hebben bedenkingen bij deze voordracht en kunnen haar daarom niet steunen.",
            Some(Objection),
        ),
        (
            "Wij steunen de voordracht en de gemeente steunt mantelzorgers ook goed.",
            Some(Support),
        ),
        // Weighing is not deciding; two negations cancel; bare answers.
        ("Wel of niet steunen, daar zijn wij nog niet uit.", None),
        (
            "Wij zijn het niet helemaal eens met alles in de aanmelding.",
            None,
        ),
        (
            "Wij zien geen reden om deze voordracht niet te steunen.",
            Some(Support),
        ),
        (
            "Wij weten te weinig van Zwolle om er iets van te vinden.",
            Some(NoOpinion),
        ),
        ("Wij kunnen daar niets over zeggen.", Some(NoOpinion)),
        ("Voor!", Some(Support)),
        ("Tegen.", Some(Objection)),
        ("Niet doen.", Some(Objection)),
        ("Wat ons betreft: ja.", Some(Support)),
        ("Ons antwoord is nee.", Some(Objection)),
        (
            "Het is een goede gemeente. Wij steunen haar.",
            Some(Support),
        ),
        ("Goed plan, maar wij twijfelen nog.", None),
        ("Goed!", Some(Support)),
        ("Liever niet.", Some(Objection)),
        (
            "Wij hebben geen enkel probleem met Zwolle als koploper.",
            Some(Support),
        ),
        ("Per Saldo stemt in met de aanmelding.", Some(Support)),
        ("De LFB adviseert positief.", Some(Support)),
        ("Dit is geen koploper.", Some(Objection)),
        (
            "Wij laten de beslissing aan de andere partners.",
            Some(NoOpinion),
        ),
        ("Ik heb het gelezen en ben er erg blij mee.", Some(Support)),
        ("Dat lijkt ons geen goed idee.", Some(Objection)),
    ];

    #[test]
    fn realistic_dutch_answers_are_read_as_a_careful_reader_would() {
        let mut wrong = Vec::new();
        for (text, expected) in ANSWERS {
            let got = read_reply(Some(text), None).verdict;
            if got != *expected {
                wrong.push(format!("{text:?}: expected {expected:?}, got {got:?}"));
            }
        }
        assert!(ANSWERS.len() >= 40, "only {} answers", ANSWERS.len());
        assert!(
            wrong.is_empty(),
            "{} of {} wrong:\n{}",
            wrong.len(),
            ANSWERS.len(),
            wrong.join("\n")
        );
    }

    #[test]
    fn an_unclear_answer_keeps_its_objection_for_staff() {
        let r = read_reply(
            Some(
                "Wij steunen Zwolle, maar hebben bezwaar tegen het ontbreken van budget.\n\nGroet,\nJan",
            ),
            None,
        );
        assert_eq!(r.verdict, None);
        assert_eq!(
            r.objection.as_deref(),
            Some("Wij steunen Zwolle, maar hebben bezwaar tegen het ontbreken van budget.")
        );
        let r = read_reply(Some("STEUN\nBEZWAAR"), None);
        assert_eq!((r.verdict, r.objection.as_deref()), (None, Some("BEZWAAR")));
        let r = read_reply(Some("Wij steunen Zwolle."), None);
        assert_eq!(r.objection, None, "a clear reading needs no highlight");
        let r = read_reply(Some("Wij twijfelen nog."), None);
        assert_eq!(r.objection, None);
    }

    #[test]
    fn a_groupwise_reply_ends_at_its_attribution_line() {
        let r = read_reply(
            Some(
                "Wij zijn tegen.\n\nKees\n\n>>> Koplopers VNG <koplopers@vng.nl> 27-3-2018 10:15 >>>\n   - STEUN: u steunt de aanmelding.\n   - BEZWAAR: u heeft bezwaar.",
            ),
            None,
        );
        assert_eq!(r.verdict, Some(Objection));
        assert_eq!(r.new_text, "Wij zijn tegen.\n\nKees");
    }

    #[test]
    fn the_motivation_is_the_new_text_without_salutation_keyword_and_signature() {
        let r = read_reply(
            Some(
                "Beste Anna,\n\nSTEUN, maar de toegankelijkheid\nmoet beter.\n\nDe rest is prima.\n\nGroet,\nJan\n\n> oude tekst",
            ),
            None,
        );
        assert_eq!(r.verdict, Some(Support));
        assert_eq!(
            r.motivation,
            "maar de toegankelijkheid moet beter.\n\nDe rest is prima."
        );
        assert_eq!(
            r.new_text,
            "Beste Anna,\n\nSTEUN, maar de toegankelijkheid\nmoet beter.\n\nDe rest is prima."
        );
    }

    #[test]
    fn a_keyword_on_its_own_line_is_left_out_of_the_motivation() {
        let r = read_reply(
            Some("BEZWAAR\n\nGeen ervaringsdeskundigen betrokken.\n- geen agenda\n- geen budget"),
            None,
        );
        assert_eq!(r.verdict, Some(Objection));
        assert_eq!(
            r.motivation,
            "Geen ervaringsdeskundigen betrokken.\n- geen agenda\n- geen budget"
        );
    }

    #[test]
    fn a_name_under_the_text_is_left_out_of_the_motivation() {
        let r = read_reply(Some("BEZWAAR\n\nGeen budget.\n\nJoost"), None);
        assert_eq!(r.motivation, "Geen budget.");
        let r = read_reply(Some("STEUN\n\nAnna de Vries"), None);
        assert_eq!(r.motivation, "Anna de Vries");
        let r = read_reply(Some("STEUN\n\nGoed plan.\n\nGEEN OORDEEL"), None);
        assert_eq!(r.verdict, None);
        assert!(r.motivation.ends_with("GEEN OORDEEL"));
    }

    #[test]
    fn a_long_motivation_is_bounded() {
        let text = format!("STEUN\n\n{}", "Heel goed plan. ".repeat(400));
        let r = read_reply(Some(&text), None);
        assert!(r.motivation.chars().count() <= MAX_MOTIVATION_CHARS);
        assert!(r.motivation.ends_with('…'));
    }

    #[test]
    fn format_flowed_soft_breaks_are_joined() {
        let r = read_reply(
            Some(
                "Wij steunen deze voordracht omdat de \r\ngemeente ervaringsdeskundigen \r\nbetrekt.\r\n\r\n-- \r\nJan",
            ),
            None,
        );
        assert_eq!(
            r.new_text,
            "Wij steunen deze voordracht omdat de gemeente ervaringsdeskundigen betrekt."
        );
        assert_eq!(r.verdict, Some(Support));
    }

    #[test]
    fn outlook_separators_and_phone_footers_end_the_new_text() {
        for tail in [
            "-----Oorspronkelijk bericht-----\nVan: intake@vng.nl\nBEZWAAR",
            "________________________________\nVan: Intake VNG\nVerzonden: dinsdag 27 maart 2018 10:15\nAan: Jan\nOnderwerp: Consultatie\nBEZWAAR",
            "*Van:* Intake VNG [mailto:intake@vng.nl]\n*Verzonden:* dinsdag 27 maart 2018 10:15\n*Onderwerp:* Consultatie\nBEZWAAR",
            "From: Intake VNG <intake@vng.nl>\nSent: Tuesday, March 27, 2018 10:15 AM\nTo: Jan\nSubject: Consultatie\nBEZWAAR",
            "Verzonden vanaf mijn iPhone\n\n> Op 27 mrt. 2018 om 10:15 heeft Intake VNG <intake@vng.nl> het volgende geschreven:\n> BEZWAAR",
            "Op di 27 mrt. 2018 om 10:15 schreef Intake VNG <\nintake@vng.nl>:\n\nBEZWAAR zonder quotes",
        ] {
            let r = read_reply(Some(&format!("STEUN\n\n{tail}")), None);
            assert_eq!(r.new_text, "STEUN", "{tail}");
            assert_eq!(r.verdict, Some(Support), "{tail}");
        }
    }

    #[test]
    fn a_sentence_starting_with_van_is_not_an_outlook_header_block() {
        let r = read_reply(
            Some("Van: de kant van LFB geen bezwaar.\nWij hopen op veel navolging."),
            None,
        );
        assert_eq!(r.verdict, Some(Support));
        assert!(r.new_text.contains("navolging"));
    }

    #[test]
    fn html_only_outlook_answers_are_read_without_the_quoted_letter() {
        let html = r#"<html><head><style>p.MsoNormal{margin:0cm}</style></head><body lang="NL">
<div class="WordSection1"><p class="MsoNormal">Geachte heer Bakker,<o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal"><b>BEZWAAR</b><o:p></o:p></p>
<p class="MsoNormal">De gemeente heeft de lokale inclusieagenda nog niet vastgesteld &amp; betrekt ons niet.<o:p></o:p></p>
<p class="MsoNormal">Met vriendelijke groet,<br>Karin</p>
<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">
<p class="MsoNormal"><b>Van:</b> Intake VNG &lt;intake+c-abc2345678@vng.nl&gt; <br><b>Verzonden:</b> dinsdag 27 maart 2018 10:15<br><b>Aan:</b> Karin<br><b>Onderwerp:</b> [C-ABC2345678] Consultatie</p></div>
<p class="MsoNormal">Antwoord met STEUN, BEZWAAR of GEEN OORDEEL. Wij steunen...</p></div></body></html>"#;
        let r = read_reply(None, Some(html));
        assert_eq!(r.verdict, Some(Objection));
        assert_eq!(
            r.motivation,
            "De gemeente heeft de lokale inclusieagenda nog niet vastgesteld & betrekt ons niet."
        );
        assert!(!r.new_text.contains("Van:"));
    }

    #[test]
    fn html_blockquotes_count_as_quoted_history() {
        let html = "<div dir=\"ltr\">Geen oordeel, wij kennen de gemeente niet.</div><br>\
            <div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">Op di 27 mrt. 2018 om 10:15 schreef Intake VNG &lt;<a href=\"mailto:intake@vng.nl\">intake@vng.nl</a>&gt;:<br></div>\
            <blockquote class=\"gmail_quote\" style=\"margin:0px\">Antwoord met STEUN, BEZWAAR of GEEN OORDEEL.<br><blockquote>Wij steunen</blockquote></blockquote></div>";
        let text = html_to_text(html);
        assert!(text.contains("> Antwoord met STEUN"), "{text}");
        assert!(text.contains("> > Wij steunen"), "{text}");
        let r = read_reply(None, Some(html));
        assert_eq!(r.verdict, Some(NoOpinion));
        assert_eq!(r.new_text, "Geen oordeel, wij kennen de gemeente niet.");
    }

    #[test]
    fn a_text_body_that_merely_repeats_the_html_is_replaced_by_the_html() {
        let html = "<div>Steun, mooi plan.</div><div>Groet,</div><div>Jan</div>\
            <blockquote>Antwoord met STEUN, BEZWAAR of GEEN OORDEEL.</blockquote>";
        let derived = "Steun, mooi plan.Groet,JanAntwoord met STEUN, BEZWAAR of GEEN OORDEEL.";
        let r = read_reply(Some(derived), Some(html));
        assert_eq!(r.verdict, Some(Support));
        assert_eq!(r.motivation, "mooi plan.");
        // A real text alternative with different words is read as it is.
        let r = read_reply(Some("BEZWAAR"), Some(html));
        assert_eq!(r.verdict, Some(Objection));
    }

    #[test]
    fn an_empty_text_body_falls_back_to_the_html() {
        let r = read_reply(Some("  \r\n"), Some("<p>Steun&#33;</p>"));
        assert_eq!(r.verdict, Some(Support));
        assert_eq!(r.new_text, "Steun!");
    }

    #[test]
    fn absence_notices_are_recognised_by_subject_or_text() {
        assert!(is_out_of_office(
            "Automatisch antwoord: [C-ABC2345678] Consultatie",
            ""
        ));
        assert!(is_out_of_office(
            "Afwezig: Consultatie",
            "Bedankt voor uw bericht."
        ));
        assert!(is_out_of_office("Out of Office: Consultatie", ""));
        assert!(is_out_of_office(
            "Re: [C-ABC2345678] Consultatie",
            "Ik ben van 26 maart tot en met 6 april afwezig. Uw mail wordt niet doorgestuurd."
        ));
        assert!(is_out_of_office(
            "RE: Consultatie",
            "Dank voor uw e-mail. Tot en met 9 april ben ik niet bereikbaar. Voor dringende zaken kunt u bellen met 030-1234567."
        ));
        assert!(is_out_of_office(
            "Re: Consultatie",
            "Ik ben met vakantie tot 10 april."
        ));
    }

    #[test]
    fn real_answers_are_not_absence_notices() {
        assert!(!is_out_of_office(
            "RE: [C-ABC2345678] Consultatie",
            "STEUN\n\nExcuses, ik was afwezig."
        ));
        assert!(!is_out_of_office(
            "Re: Consultatie",
            "Wij steunen deze voordracht."
        ));
        assert!(!is_out_of_office(
            "Re: Consultatie",
            "BEZWAAR. Ik ben volgende week niet bereikbaar, bel gerust mijn collega."
        ));
        assert!(!is_out_of_office(
            "Re: Consultatie",
            "Excuses voor de late reactie, ik was afwezig. Wij steunen het."
        ));
    }

    #[test]
    fn verdicts_have_stable_names_and_dutch_labels() {
        for v in PartnerVerdict::ALL {
            assert_eq!(PartnerVerdict::parse(v.as_str()), Some(v));
        }
        assert_eq!(Support.label_nl(), "steun");
        assert_eq!(Objection.as_str(), "objection");
        assert_eq!(NoOpinion.label_nl(), "geen oordeel");
        assert_eq!(PartnerVerdict::parse("Support"), None);
    }

    #[test]
    fn truncation_respects_characters_and_words() {
        assert_eq!(truncate_chars("één twee drie", 100), "één twee drie");
        assert_eq!(truncate_chars("één twee drie", 10), "één twee…");
        assert_eq!(truncate_chars("ëëëëëëëëëëëë", 5), "ëëëë…");
    }
}
