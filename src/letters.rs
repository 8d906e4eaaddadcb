//! The outgoing letters: templates from `config/templates/` (a `.txt.j2` and an `.html.j2` per
//! letter, editable without a rebuild) rendered with minijinja, and the MIME message built with
//! lettre: text + HTML alternative, threading headers, and the headers that stop mail loops
//! (`Auto-Submitted: auto-replied`, `X-Auto-Response-Suppress: All`).
//!
//! This module renders and builds; it never decides who gets a letter.

use std::path::Path;

use anyhow::Context as _;
use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use lettre::message::header::{
    self, ContentTransferEncoding, ContentType, HeaderName, HeaderValue,
};
use lettre::message::{Attachment, Body, Mailbox, MultiPart, SinglePart};
use serde::Serialize;

/// Every template of `config/templates/`, loaded once (the [`crate::app::App`] holds them): the
/// one template set-up of the program. Its rules:
/// - **strict**: a name the template uses that the context lacks is an error, not an empty
///   string (`check-config` renders every template once with example data, so a typo is found
///   before a letter is due);
/// - HTML templates (`*.html.j2`) are auto-escaped, text templates are not;
/// - `trim_blocks` and `lstrip_blocks`: a line holding only `{% … %}` leaves no trace in the
///   output; `+%}` keeps the line break after a tag, `{%+` the indentation before it.
pub struct Templates {
    env: minijinja::Environment<'static>,
}

impl Templates {
    /// Loads every `*.j2` file of `dir` and of its sub-folders one level down (the workspace's
    /// pages in `web/`, named `web/<file>`).
    pub fn load(dir: &Path) -> anyhow::Result<Templates> {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html.j2") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .context("failed to configure the template syntax")?;
        env.set_syntax(syntax);
        add_folder(&mut env, dir, "")?;
        Ok(Templates { env })
    }

    /// The template `file` (e.g. `web/base.html.j2`), for callers that render it themselves.
    pub fn get(&self, file: &str) -> anyhow::Result<minijinja::Template<'_, '_>> {
        self.template(file)
    }

    /// Renders `<name>.txt.j2` and `<name>.html.j2`.
    pub fn render(&self, name: &str, ctx: &impl Serialize) -> anyhow::Result<(String, String)> {
        let text = self.render_one(&format!("{name}.txt.j2"), ctx)?;
        let html = self.render_one(&format!("{name}.html.j2"), ctx)?;
        Ok((text, html))
    }

    /// Renders a letter whose text template sets its subject (`{% set subject = … %}`): returns
    /// (subject, text, html); the HTML template gets the subject as `subject`.
    pub fn render_with_subject(
        &self,
        name: &str,
        ctx: &impl Serialize,
    ) -> anyhow::Result<(String, String, String)> {
        let file = format!("{name}.txt.j2");
        let base = minijinja::Value::from(minijinja::value::Serde(ctx));
        let captured = self
            .template(&file)?
            .render_captured(&base)
            .with_context(|| format!("failed to render {file}"))?;
        let subject = captured
            .state()
            .lookup("subject")
            .filter(|v| !v.is_undefined() && !v.is_none())
            .map(|v| v.to_string())
            .with_context(|| format!("template {file} does not set a subject"))?;
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        let text = captured.into_output();
        let file = format!("{name}.html.j2");
        let html = self
            .template(&file)?
            .render(minijinja::context! { subject => subject.clone(), ..base })
            .with_context(|| format!("failed to render {file}"))?;
        Ok((subject, text, html))
    }

    /// Renders a one-line template (a subject from the call config).
    pub fn render_line(&self, source: &str, ctx: &impl Serialize) -> anyhow::Result<String> {
        let out = self
            .env
            .render_str(source, minijinja::Value::from(minijinja::value::Serde(ctx)))
            .context("failed to render a subject line")?;
        Ok(out.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// The names of the loaded template files, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.env.templates().map(|(n, _)| n.to_string()).collect();
        names.sort();
        names
    }

    fn template(&self, file: &str) -> anyhow::Result<minijinja::Template<'_, '_>> {
        self.env
            .get_template(file)
            .with_context(|| format!("template {file} is missing"))
    }

    fn render_one(&self, file: &str, ctx: &impl Serialize) -> anyhow::Result<String> {
        self.template(file)?
            .render(minijinja::Value::from(minijinja::value::Serde(ctx)))
            .with_context(|| format!("failed to render {file}"))
    }
}

/// Adds the `*.j2` files of `dir` to `env` under `prefix` + file name, and those of its
/// sub-folders when `prefix` is empty.
fn add_folder(
    env: &mut minijinja::Environment<'static>,
    dir: &Path,
    prefix: &str,
) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("failed to read templates in {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        if path.is_dir() {
            if prefix.is_empty() {
                add_folder(env, &path, &format!("{name}/"))?;
            }
            continue;
        }
        if !name.ends_with(".j2") {
            continue;
        }
        let source = std::fs::read_to_string(&path)
            .with_context(|| format!("failed to read {}", path.display()))?;
        env.add_template_owned(format!("{prefix}{name}"), source)
            .with_context(|| format!("template {} has a syntax error", path.display()))?;
    }
    Ok(())
}

/// An attachment of an outgoing letter.
#[derive(Debug, Clone)]
pub struct OutAttachment {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// An inline image (referenced from the HTML as `cid:<cid>`).
#[derive(Debug, Clone)]
pub struct InlineImage {
    pub cid: String,
    pub png: Vec<u8>,
}

/// A letter ready to be built into MIME.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    pub from_name: String,
    pub from_address: String,
    pub reply_to: Option<String>,
    pub to: String,
    /// Copy recipients (also put in the envelope by the outbox).
    pub cc: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Our Message-ID, with angle brackets.
    pub message_id: String,
    /// The Message-ID this answers, with angle brackets.
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// Marks the mail as automatic (RFC 3834) and asks Exchange not to answer it.
    pub automatic: bool,
    pub attachments: Vec<OutAttachment>,
    pub inline_images: Vec<InlineImage>,
    pub date: Option<DateTime<Utc>>,
}

macro_rules! raw_header {
    ($ty:ident, $name:literal) => {
        #[derive(Debug, Clone)]
        struct $ty(String);
        impl header::Header for $ty {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($name)
            }
            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok($ty(s.to_string()))
            }
            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    };
}

raw_header!(AutoSubmitted, "Auto-Submitted");
raw_header!(AutoResponseSuppress, "X-Auto-Response-Suppress");

/// A new Message-ID at our domain: `<random.timestamp@domain>`.
pub fn new_message_id(our_address: &str) -> String {
    let domain = our_address
        .rsplit_once('@')
        .map(|(_, d)| d)
        .unwrap_or("localhost");
    let r: u64 = rand::random();
    format!("<{:016x}.{}@{}>", r, Utc::now().timestamp(), domain)
}

/// Builds the RFC 5322 bytes of a letter.
pub fn build(o: &Outgoing) -> anyhow::Result<Vec<u8>> {
    let from = Mailbox::new(
        Some(o.from_name.clone()),
        o.from_address
            .parse()
            .context("our own address is not valid")?,
    );
    let to: Mailbox =
        o.to.parse()
            .with_context(|| "the recipient address is not valid".to_string())?;
    let mut b = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(o.subject.clone())
        .message_id(Some(o.message_id.clone()));
    if let Some(d) = o.date {
        b = b.date(d.into());
    }
    for cc in &o.cc {
        b = b.cc(cc.parse().context("a copy address is not valid")?);
    }
    if let Some(r) = &o.reply_to {
        b = b.reply_to(r.parse().context("the reply-to address is not valid")?);
    }
    if let Some(irt) = &o.in_reply_to {
        b = b.in_reply_to(irt.clone());
    }
    if !o.references.is_empty() {
        b = b.references(o.references.join(" "));
    }
    if o.automatic {
        b = b
            .header(AutoSubmitted("auto-replied".into()))
            .header(AutoResponseSuppress("All".into()));
    }
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(o.text.clone());
    let html = SinglePart::builder()
        .header(ContentType::TEXT_HTML)
        .body(o.html.clone());
    let html_part = if o.inline_images.is_empty() {
        MultiPart::alternative().singlepart(text).singlepart(html)
    } else {
        let mut related = MultiPart::related().singlepart(html);
        for img in &o.inline_images {
            related = related.singlepart(
                Attachment::new_inline(img.cid.clone())
                    .body(img.png.clone(), ContentType::parse("image/png")?),
            );
        }
        MultiPart::alternative().singlepart(text).multipart(related)
    };
    let body = if o.attachments.is_empty() {
        html_part
    } else {
        let mut mixed = MultiPart::mixed().multipart(html_part);
        for a in &o.attachments {
            mixed = mixed.singlepart(attachment_part(a)?);
        }
        mixed
    };
    let msg = b.multipart(body).context("failed to build the letter")?;
    Ok(msg.formatted())
}

/// One attachment. A forwarded mail (`message/rfc822`) may only be sent 7bit or 8bit
/// (RFC 2046 §5.2.1); when its bytes do not allow that (NUL bytes, overlong lines) it goes as
/// an `application/octet-stream` `.eml` file in base64, which every mail program opens.
fn attachment_part(a: &OutAttachment) -> anyhow::Result<SinglePart> {
    let octet = ContentType::parse("application/octet-stream")?;
    if a.content_type.eq_ignore_ascii_case("message/rfc822") {
        let encoding = if a.bytes.is_ascii() {
            ContentTransferEncoding::SevenBit
        } else {
            ContentTransferEncoding::EightBit
        };
        // lettre would pick quoted-printable for lines over 76 characters, which RFC 2046 forbids
        // here; SMTP itself allows lines up to 998 octets, so check that limit ourselves.
        let crlf = normalise_crlf(&a.bytes);
        let fits = !crlf.contains(&0) && crlf.split(|b| *b == b'\n').all(|l| l.len() <= 999);
        if fits {
            let body = Body::dangerous_pre_encoded(crlf, encoding);
            return Ok(
                Attachment::new(a.name.clone()).body(body, ContentType::parse("message/rfc822")?)
            );
        }
        return Ok(Attachment::new(a.name.clone()).body(a.bytes.clone(), octet));
    }
    let ct = ContentType::parse(&a.content_type).unwrap_or(octet);
    Ok(Attachment::new(a.name.clone()).body(a.bytes.clone(), ct))
}

/// Bare LF and CR line ends become CRLF.
fn normalise_crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 50);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 1;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

const MONTHS: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];

/// A calendar date as Dutch letters write it: "4 april 2018". The one place month names live.
pub fn dutch_calendar_date(d: chrono::NaiveDate) -> String {
    format!("{} {} {}", d.day(), MONTHS[d.month0() as usize], d.year())
}

/// "21 maart 2018" in the call's time zone.
pub fn dutch_date(t: DateTime<Utc>, tz: Tz) -> String {
    dutch_calendar_date(t.with_timezone(&tz).date_naive())
}

/// "21 maart 2018 om 23.59 uur" in the call's time zone.
pub fn dutch_datetime(t: DateTime<Utc>, tz: Tz) -> String {
    let l = t.with_timezone(&tz);
    format!(
        "{} om {}.{:02} uur",
        dutch_date(t, tz),
        l.hour(),
        l.minute()
    )
}

/// "2 pagina's", "1 pagina".
pub fn pages_nl(n: Option<u32>) -> String {
    match n {
        Some(1) => "1 pagina".into(),
        Some(n) => format!("{n} pagina's"),
        None => "aantal pagina's onbekend".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// The confirmation letter's context (the variables confirmation.*.j2 uses).

#[derive(Debug, Clone, Serialize)]
pub struct ConfirmationDoc {
    pub name: String,
    pub kind_nl: String,
    pub pages_nl: String,
    pub paper_nl: Option<String>,
    pub counted: bool,
    pub support_letter: bool,
    pub problem_nl: Option<String>,
    /// A remark that asks nothing of the sender (a scan read by OCR).
    pub note_nl: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfirmationContext {
    pub call_title: String,
    pub reference: String,
    pub sender_name: Option<String>,
    pub municipality: Option<String>,
    pub received_nl: String,
    pub deadline_nl: String,
    pub on_time: bool,
    pub late_by_nl: Option<String>,
    pub late_policy: String,
    pub documents: Vec<ConfirmationDoc>,
    pub body_only: bool,
    pub counted_pages: Option<u32>,
    pub max_pages: u32,
    pub over_by: Option<u32>,
    pub pages_estimated: bool,
    /// The count is too unsure to judge the limit on: the letter says a person checks the length.
    pub pages_uncertain: bool,
    /// `exact`, `metadata` or `estimate` (the weakest basis of the counted documents).
    pub pages_basis: Option<String>,
    pub problems: Vec<String>,
    pub supersedes: Option<String>,
    pub version_late: bool,
    /// There is already a nomination for this municipality from another sender domain: staff
    /// decide which version counts.
    pub other_sender: bool,
    pub decision_expected_nl: String,
    pub contact_address: String,
    pub signature: String,
}

impl ConfirmationContext {
    /// A filled-in example with something in most sections (a late, too long nomination with an
    /// unreadable attachment), for `check-config` and previews of the templates.
    pub fn example() -> Self {
        Self {
            call_title: "Koplopers VN-Verdrag Handicap".into(),
            reference: "KVN-0042".into(),
            sender_name: Some("Jan Jansen".into()),
            municipality: Some("gemeente Súdwest-Fryslân".into()),
            received_nl: "22 maart 2018 om 09.30 uur".into(),
            deadline_nl: "21 maart 2018 om 23.59 uur".into(),
            on_time: false,
            late_by_nl: Some("9 uur en 31 minuten".into()),
            late_policy: "accept_flagged".into(),
            documents: vec![
                ConfirmationDoc {
                    name: "voordracht.pdf".into(),
                    kind_nl: "pdf".into(),
                    pages_nl: "3 pagina's".into(),
                    paper_nl: Some("A4".into()),
                    counted: true,
                    support_letter: false,
                    problem_nl: None,
                    note_nl: None,
                },
                ConfirmationDoc {
                    name: "bijlage.docx".into(),
                    kind_nl: "Word".into(),
                    pages_nl: "aantal pagina's onbekend".into(),
                    paper_nl: None,
                    counted: false,
                    support_letter: false,
                    problem_nl: Some("het bestand is beveiligd met een wachtwoord".into()),
                    note_nl: None,
                },
            ],
            body_only: false,
            counted_pages: Some(3),
            max_pages: 2,
            over_by: Some(1),
            pages_estimated: false,
            pages_uncertain: false,
            pages_basis: Some("pdf".into()),
            problems: vec!["Wij konden niet zien welke gemeente u bent.".into()],
            supersedes: Some("KVN-0041".into()),
            version_late: false,
            other_sender: false,
            decision_expected_nl: "mei 2018".into(),
            contact_address: "koplopers@vng.nl".into(),
            signature: "Team Koplopers, VNG".into(),
        }
    }
}

/// Context of `alert.txt.j2` / `alert.html.j2`: a problem staff must act on.
#[derive(Debug, Clone, Serialize)]
pub struct AlertContext {
    pub call_title: String,
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub steps: Vec<String>,
    pub contact_address: String,
}

impl AlertContext {
    /// A filled-in example, for `check-config` and previews of the templates.
    pub fn example() -> Self {
        Self {
            call_title: "Koplopers VN-Verdrag Handicap".into(),
            heading: "De mailbox kan niet worden gelezen".into(),
            paragraphs: vec![
                "Sinds 21 maart 2018 om 08.00 uur kan de intake de mailbox niet lezen.".into(),
            ],
            steps: vec![
                "Kijk of het wachtwoord van de mailbox is veranderd.".into(),
                "Start de intake daarna opnieuw.".into(),
            ],
            contact_address: "koplopers@vng.nl".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_letter_carries_loop_protection_and_threading_headers() {
        let o = Outgoing {
            from_name: "VNG Koplopers".into(),
            from_address: "koplopers@vng.nl".into(),
            to: "j.jansen@ede.nl".into(),
            subject: "Ontvangen: uw voordracht KVN-0001".into(),
            text: "Beste Jan,\n\nWij hebben uw voordracht ontvangen.\n".into(),
            html: "<!doctype html><html lang=\"nl\"><body><h1>Ontvangen</h1></body></html>".into(),
            message_id: "<x1@vng.nl>".into(),
            in_reply_to: Some("<abc@ede.nl>".into()),
            references: vec!["<abc@ede.nl>".into()],
            automatic: true,
            ..Outgoing::default()
        };
        let raw = build(&o).unwrap();
        let s = String::from_utf8_lossy(&raw);
        assert!(s.contains("Auto-Submitted: auto-replied"));
        assert!(s.contains("X-Auto-Response-Suppress: All"));
        assert!(s.contains("In-Reply-To: <abc@ede.nl>"));
        assert!(s.contains("Message-ID: <x1@vng.nl>"));
        assert!(s.contains("multipart/alternative"));
        let f = crate::mail::facts(&raw);
        assert_eq!(f.message_id.as_deref(), Some("x1@vng.nl"));
        assert!(f.text.unwrap().contains("voordracht ontvangen"));
    }

    #[test]
    fn a_forwarded_nomination_is_attached_as_a_mail_without_transfer_encoding() {
        let original = b"From: j@ede.nl\r\nSubject: Voordracht\r\n\r\nHierbij onze voordracht, met een zeer lange regel die in quoted-printable zou worden afgebroken omdat hij langer is dan zesenzeventig tekens.\r\n";
        let o = Outgoing {
            from_name: "VNG".into(),
            from_address: "koplopers@vng.nl".into(),
            to: "consultatie@iederin.example.org".into(),
            subject: "Vraag om advies".into(),
            text: "Zie bijlage.".into(),
            html: "<p>Zie bijlage.</p>".into(),
            message_id: "<c1@vng.nl>".into(),
            attachments: vec![OutAttachment {
                name: "voordracht.eml".into(),
                content_type: "message/rfc822".into(),
                bytes: original.to_vec(),
            }],
            ..Outgoing::default()
        };
        let raw = String::from_utf8(build(&o).unwrap()).unwrap();
        let at = raw
            .find("Content-Type: message/rfc822")
            .unwrap_or_else(|| panic!("{raw}"));
        let part = &raw[at..];
        let head = &part[..part.find("\r\n\r\n").unwrap()];
        assert!(
            !head.contains("quoted-printable") && !head.contains("base64"),
            "{head}"
        );
        assert!(part.contains("zesenzeventig tekens."));
    }

    #[test]
    fn dates_are_written_the_dutch_way_in_local_time() {
        let t = DateTime::parse_from_rfc3339("2018-03-21T22:59:59Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            dutch_datetime(t, chrono_tz::Europe::Amsterdam),
            "21 maart 2018 om 23.59 uur"
        );
        assert_eq!(pages_nl(Some(1)), "1 pagina");
    }
}
