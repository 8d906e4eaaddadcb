//! The Alliance consultation end to end against the real servers: a nomination APPENDed to
//! Dovecot, processed by the daemon, `consult::request`, the consultation letters at the SMTP
//! sink, partner answers written as Outlook and Gmail write them (built from the letter the sink
//! received, so token and threading are the real ones) APPENDed back, verdicts recorded and
//! thanked; forged answers held and absence notices not counted; a later answer replacing an
//! earlier one; reminders and closing with a controlled clock; and `intake consultations`
//! listing objections first. The partner mail templates are in `tests/fixtures/partner-mail/`.
//!
//! Every answer is APPENDed as our receiving server would deliver it: with the
//! `Authentication-Results` header of `mx.vng.nl` (the shipped `trusted_authserv_id`) on top,
//! saying what that server found (DMARC pass for the From domain, unless a test says otherwise),
//! as Microsoft 365 adds its own. One test delivers a DKIM-signed answer without that header:
//! the intake verifies the signature itself with the test key pinned in
//! `tests/fixtures/partner-mail/dkim/keys.toml`.

use std::process::Command;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, Duration, FixedOffset, TimeZone as _, Utc};
use chrono_tz::Europe::Amsterdam;
use intake::app::App;
use intake::config::Config;
use intake::daemon::RunSummary;
use intake::mail::MailFacts;
use intake::mailbox::imap::ImapSource;
use intake::store::{self, consult::ConsultationRow};
use tokio_util::sync::CancellationToken;

use crate::helpers::root;
use crate::servers::{Dovecot, SinkEnvelope, SmtpSink};

const USER: &str = "intake";
const OUR_ADDRESS: &str = "koplopers@vng.nl";

/// Nominations from the shipped sample mailbox: Zwolle (PDF attachment) and Enschede (body).
const ZWOLLE: &str = "examples/mailbox/cur/1520844441.M107919P23017.mx1:2,S";
const ENSCHEDE: &str = "examples/mailbox/cur/1521128575.M147514P23102.mx1:2,S";

// ---------------------------------------------------------------------------------------------
// The servers and the intake, configured as an operator would: shipped file + environment.

struct Cycle {
    dovecot: Dovecot,
    sink: SmtpSink,
    intake: Arc<App>,
    env: Vec<(String, String)>,
    dir: tempfile::TempDir,
}

impl Cycle {
    /// Dovecot, the SMTP sink and an intake on `db_url` (None: a fresh SQLite file), reading
    /// the mailbox over IMAPS (or STARTTLS) and sending over SMTP with STARTTLS + AUTH.
    async fn start(db_url: Option<String>, imap_starttls: bool) -> anyhow::Result<Cycle> {
        let dovecot = Dovecot::start()?;
        let sink = SmtpSink::start()?;
        let dir = tempfile::tempdir()?;
        let imap_password = dir.path().join("imap-password");
        let smtp_password = dir.path().join("smtp-password");
        std::fs::write(&imap_password, "secret\n")?;
        std::fs::write(&smtp_password, "secret")?;
        let db_url = db_url
            .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("intake.db").display()));
        let (imap_port, imap_tls) = if imap_starttls {
            (dovecot.imap_port, "starttls")
        } else {
            (dovecot.imaps_port, "implicit")
        };
        let path = |p: &std::path::Path| p.display().to_string();
        let env: Vec<(String, String)> = [
            ("INTAKE__DATABASE__URL", db_url),
            ("INTAKE__MAILBOX__KIND", "imap".into()),
            (
                "INTAKE__MAILBOX__MAILDIR_PATH",
                path(&dir.path().join("unused-maildir")),
            ),
            ("INTAKE__MAILBOX__IMAP__HOST", "127.0.0.1".into()),
            ("INTAKE__MAILBOX__IMAP__PORT", imap_port.to_string()),
            ("INTAKE__MAILBOX__IMAP__TLS", imap_tls.into()),
            ("INTAKE__MAILBOX__IMAP__USERNAME", USER.into()),
            ("INTAKE__MAILBOX__IMAP__PASSWORD_FILE", path(&imap_password)),
            ("INTAKE__MAILBOX__IMAP__CA_FILE", path(&dovecot.ca_pem)),
            ("INTAKE__MAILBOX__IMAP__CONNECT_TIMEOUT_SECS", "10".into()),
            ("INTAKE__MAILBOX__IMAP__COMMAND_TIMEOUT_SECS", "20".into()),
            ("INTAKE__OUTBOX__KIND", "smtp".into()),
            ("INTAKE__OUTBOX__DIR", path(&dir.path().join("outbox"))),
            ("INTAKE__OUTBOX__SMTP__HOST", "127.0.0.1".into()),
            ("INTAKE__OUTBOX__SMTP__PORT", sink.port.to_string()),
            ("INTAKE__OUTBOX__SMTP__TLS", "starttls".into()),
            ("INTAKE__OUTBOX__SMTP__USERNAME", "intake".into()),
            ("INTAKE__OUTBOX__SMTP__PASSWORD_FILE", path(&smtp_password)),
            ("INTAKE__OUTBOX__SMTP__CA_FILE", path(&sink.ca_pem)),
            ("INTAKE__OUTBOX__SMTP__TIMEOUT_SECS", "10".into()),
            (
                "INTAKE__MAILBOX__DKIM_KEYS_FILE",
                path(&root().join("tests/fixtures/partner-mail/dkim/keys.toml")),
            ),
            ("INTAKE__MAILBOX__VERIFY_DKIM", "pinned".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let cfg = Config::load_with_env(&root().join("config/intake.toml"), &env)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        anyhow::ensure!(
            cfg.settings.mailbox.address == OUR_ADDRESS,
            "the shipped mailbox address changed"
        );
        let intake = App::open(cfg).await?;
        Ok(Cycle {
            dovecot,
            sink,
            intake,
            env,
            dir,
        })
    }

    /// One round of the daemon over IMAP and SMTP: poll, drain the outbox, remind (real clock).
    async fn run_once(&self) -> anyhow::Result<RunSummary> {
        let m = &self.intake.cfg.settings.mailbox;
        let settings = m
            .imap
            .clone()
            .context("[mailbox.imap] from the environment")?;
        let source = ImapSource::new(
            settings,
            m.processed_folder.clone(),
            m.quarantine_folder.clone(),
        )?;
        intake::daemon::run(
            Arc::clone(&self.intake),
            source,
            true,
            CancellationToken::new(),
        )
        .await
    }

    /// APPENDs a mail to the inbox, with INTERNALDATE when given.
    async fn deliver(
        &self,
        raw: &[u8],
        arrival: Option<DateTime<FixedOffset>>,
    ) -> anyhow::Result<()> {
        self.dovecot.append(USER, "INBOX", raw, arrival).await
    }

    /// Every letter the SMTP sink accepted, oldest first.
    fn letters(&self) -> Vec<Letter> {
        self.sink
            .received_with_envelopes()
            .into_iter()
            .map(|(envelope, raw)| Letter {
                facts: intake::mail::facts(&raw),
                raw,
                envelope,
            })
            .collect()
    }

    /// The letters whose subject contains `needle`.
    fn letters_about(&self, needle: &str) -> Vec<Letter> {
        self.letters()
            .into_iter()
            .filter(|l| l.facts.subject.contains(needle))
            .collect()
    }

    /// The consultation letter to `address` about `reference`.
    fn consultation_letter(&self, reference: &str, address: &str) -> anyhow::Result<Letter> {
        self.letters_about("Vraag om advies")
            .into_iter()
            .find(|l| l.facts.subject.contains(reference) && l.envelope.rcpt_tos == [address])
            .with_context(|| {
                format!("no consultation letter about {reference} for {address} at the sink")
            })
    }

    /// The consultation of `partner` on `reference`.
    async fn consultation(
        &self,
        reference: &str,
        partner: &str,
    ) -> anyhow::Result<ConsultationRow> {
        let s = store::submission_by_reference(&self.intake.db, reference)
            .await?
            .with_context(|| format!("no submission {reference}"))?;
        store::consult::consultations_of(&self.intake.db, s.id)
            .await?
            .into_iter()
            .find(|c| c.partner_id == partner)
            .with_context(|| format!("no consultation of {partner} on {reference}"))
    }

    /// Runs the `intake` binary with this test's configuration; returns (success, stdout, stderr).
    fn cli(&self, args: &[&str]) -> anyhow::Result<(bool, String, String)> {
        let out = Command::new(env!("CARGO_BIN_EXE_intake"))
            .arg("--config")
            .arg(root().join("config/intake.toml"))
            .args(args)
            .env_remove("INTAKE_CONFIG")
            .env("RUST_LOG", "error")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(self.dir.path())
            .output()
            .context("failed to run the intake binary")?;
        Ok((
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    /// Delivers the nominations, runs the daemon, asks every partner about each of them (at the
    /// real time: the daemon's reminder step uses the real clock too) and sends the letters.
    /// Returns the time the requests were made.
    async fn nominate_and_consult(&self, nominations: &[&str]) -> anyhow::Result<DateTime<Utc>> {
        for (n, file) in nominations.iter().enumerate() {
            let raw = std::fs::read(root().join(file)).with_context(|| format!("sample {file}"))?;
            let day = u32::try_from(12 + n)?;
            self.deliver(&raw, Some(amsterdam(2018, 3, day, 10, 30)?))
                .await?;
        }
        let first = self.run_once().await?;
        anyhow::ensure!(
            first.poll.nominations == nominations.len(),
            "nominations not stored: {first:?}"
        );
        let now = Utc::now();
        for reference in &first.poll.references {
            let queued = intake::consult::request(&self.intake, reference, now).await?;
            anyhow::ensure!(
                queued == 5,
                "{reference}: {queued} partner requests queued, expected 5"
            );
        }
        let second = self.run_once().await?;
        anyhow::ensure!(
            second.failed == 0 && second.retried == 0,
            "letters failed: {second:?}"
        );
        Ok(now)
    }
}

fn amsterdam(y: i32, m: u32, d: u32, h: u32, min: u32) -> anyhow::Result<DateTime<FixedOffset>> {
    Ok(Amsterdam
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .context("a plain local time")?
        .fixed_offset())
}

/// One letter as the SMTP sink received it.
struct Letter {
    raw: Vec<u8>,
    facts: MailFacts,
    envelope: SinkEnvelope,
}

impl Letter {
    fn header(&self, name: &str) -> Option<String> {
        let text = String::from_utf8_lossy(&self.raw);
        let head = text.split("\r\n\r\n").next().unwrap_or("");
        head.split("\r\n").find_map(|l| {
            l.split_once(':')
                .filter(|(h, _)| h.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_string())
        })
    }

    fn message_id(&self) -> String {
        format!("<{}>", self.facts.message_id.clone().unwrap_or_default())
    }

    fn text(&self) -> String {
        self.facts.text.clone().unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------------
// Partner answers from the templates in tests/fixtures/partner-mail/.

/// Who answers, how, and what they write.
struct Answer<'a> {
    /// Template file name in tests/fixtures/partner-mail/.
    template: &'a str,
    from: &'a str,
    from_name: &'a str,
    partner_name: &'a str,
    /// The partner's own new text (plain); the HTML is made from it paragraph by paragraph.
    text: &'a str,
    /// What our receiving server (`mx.vng.nl`) put in the `Authentication-Results` header it
    /// added on top: `None` a DMARC pass for the From domain, `Some("")` no header at all.
    auth_results: Option<&'a str>,
    /// Minutes after the consultation letter's date.
    after_minutes: i64,
    /// The subject of a new mail (`outlook-new-mail.eml.tmpl`).
    new_subject: &'a str,
}

impl<'a> Answer<'a> {
    fn new(
        template: &'a str,
        from: &'a str,
        from_name: &'a str,
        partner_name: &'a str,
        text: &'a str,
    ) -> Self {
        Answer {
            template,
            from,
            from_name,
            partner_name,
            text,
            auth_results: None,
            after_minutes: 90,
            new_subject: "",
        }
    }
}

const DAYS_NL: [&str; 7] = [
    "maandag",
    "dinsdag",
    "woensdag",
    "donderdag",
    "vrijdag",
    "zaterdag",
    "zondag",
];
const DAYS_SHORT_NL: [&str; 7] = ["ma", "di", "wo", "do", "vr", "za", "zo"];
const MONTHS_NL: [&str; 12] = [
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
const MONTHS_SHORT_NL: [&str; 12] = [
    "jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec.",
];

/// Builds the raw answer to `letter` as the template's mail program would send it.
fn answer_to(letter: &Letter, a: &Answer<'_>) -> anyhow::Result<Vec<u8>> {
    use chrono::{Datelike as _, Timelike as _};
    let template =
        std::fs::read_to_string(root().join("tests/fixtures/partner-mail").join(a.template))
            .with_context(|| format!("template {}", a.template))?;
    let f = &letter.facts;
    let sent = f
        .date
        .context("the letter has a Date")?
        .with_timezone(&Amsterdam);
    let answered = sent + Duration::minutes(a.after_minutes);
    let weekday = sent.weekday().num_days_from_monday() as usize;
    let month = sent.month0() as usize;
    let sent_nl = format!(
        "{} {} {} {} {}:{:02}",
        DAYS_NL[weekday],
        sent.day(),
        MONTHS_NL[month],
        sent.year(),
        sent.hour(),
        sent.minute()
    );
    let gmail_date = format!(
        "{} {} {} {} om {}:{:02}",
        DAYS_SHORT_NL[weekday],
        sent.day(),
        MONTHS_SHORT_NL[month],
        sent.year(),
        sent.hour(),
        sent.minute()
    );
    let text = f.text.clone().context("the letter has a text part")?;
    let html = f.html.clone().context("the letter has an HTML part")?;
    let gmail = a.template.starts_with("gmail");
    let quoted_text = if gmail {
        text.lines()
            .map(|l| {
                if l.is_empty() {
                    ">".to_string()
                } else {
                    format!("> {l}")
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        text.replace("\r\n", "\n")
    };
    let answer_html: String = a
        .text
        .split("\n\n")
        .map(|p| {
            let p = p.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('\n', "<br>");
            if gmail {
                format!("<div>{p}</div><div><br></div>")
            } else {
                format!("<p class=\"MsoNormal\">{p}<o:p></o:p></p>\n<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>")
            }
        })
        .collect();
    let reply_to = f
        .reply_to
        .as_ref()
        .context("the letter has a Reply-To")?
        .as_str()
        .to_string();
    let vars: Vec<(&str, String)> = vec![
        ("from", a.from.to_string()),
        ("from_name", a.from_name.to_string()),
        ("partner_name", a.partner_name.to_string()),
        ("to", reply_to),
        ("to_name", f.from_name.clone().unwrap_or_default()),
        (
            "orig_from",
            f.from
                .as_ref()
                .map(|x| x.as_str().to_string())
                .unwrap_or_default(),
        ),
        ("orig_from_name", f.from_name.clone().unwrap_or_default()),
        ("subject", f.subject.clone()),
        ("in_reply_to", letter.message_id()),
        (
            "message_id",
            format!(
                "{:016x}.{}@mail.{}",
                rand::random::<u64>(),
                answered.timestamp(),
                domain_of(a.from)
            ),
        ),
        ("date", answered.to_rfc2822()),
        ("sent_nl", sent_nl),
        ("gmail_date", gmail_date),
        ("answer_text", a.text.to_string()),
        ("answer_html", answer_html),
        ("quoted_text", quoted_text),
        ("quoted_html", body_inner(&html).to_string()),
        ("new_subject", a.new_subject.to_string()),
    ];
    let raw = render(&template, &vars);
    // As our receiving server delivers it: its own Authentication-Results on top.
    let d = domain_of(a.from);
    let stamp = match a.auth_results {
        Some("") => return Ok(raw),
        Some(found) => found.to_string(),
        None => format!(
            "dkim=pass header.d={d} header.s=s2018; spf=pass smtp.mailfrom={d}; dmarc=pass (p=quarantine) header.from={d}"
        ),
    };
    let mut out = format!("Authentication-Results: mx.vng.nl;\r\n\t{stamp}\r\n").into_bytes();
    out.extend_from_slice(&raw);
    Ok(out)
}

fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map(|x| x.1).unwrap_or("localhost")
}

/// What is between `<body …>` and `</body>`.
fn body_inner(html: &str) -> &str {
    let start = html
        .find("<body")
        .and_then(|i| html[i..].find('>').map(|j| i + j + 1))
        .unwrap_or(0);
    let end = html.rfind("</body>").unwrap_or(html.len());
    if start <= end {
        &html[start..end]
    } else {
        html
    }
}

/// Fills in a template: header values are RFC 2047 encoded when not ASCII; `{{#qp}}…{{/qp}}`
/// sections are quoted-printable encoded after filling in; line ends become CRLF.
fn render(template: &str, vars: &[(&str, String)]) -> Vec<u8> {
    let (head, body) = template.split_once("\n\n").unwrap_or((template, ""));
    let mut head = head.to_string();
    let mut body = body.to_string();
    for (k, v) in vars {
        let key = format!("{{{{{k}}}}}");
        head = head.replace(&key, &encode_word(v));
        body = body.replace(&key, v);
    }
    let mut out = head.replace('\n', "\r\n");
    out.push_str("\r\n\r\n");
    let mut rest = body.as_str();
    while let Some(start) = rest.find("{{#qp}}") {
        out.push_str(&rest[..start].replace('\n', "\r\n"));
        let after = &rest[start + "{{#qp}}".len()..];
        let end = after.find("{{/qp}}").unwrap_or(after.len());
        out.push_str(&quoted_printable(&after[..end]));
        rest = after.get(end + "{{/qp}}".len()..).unwrap_or("");
    }
    out.push_str(&rest.replace('\n', "\r\n"));
    out.into_bytes()
}

/// RFC 2047 Q-encoding of a header value that is not plain ASCII.
fn encode_word(v: &str) -> String {
    if v.is_ascii() {
        return v.to_string();
    }
    let mut out = String::from("=?utf-8?Q?");
    for b in v.bytes() {
        match b {
            b' ' => out.push('_'),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'(' | b')' | b':' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("={b:02X}")),
        }
    }
    out.push_str("?=");
    out
}

/// Quoted-printable (RFC 2045): lines of at most 76 characters, CRLF line ends.
fn quoted_printable(s: &str) -> String {
    let mut out = String::new();
    for (i, line) in s.replace("\r\n", "\n").split('\n').enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        let bytes = line.as_bytes();
        let mut len = 0;
        for (j, &b) in bytes.iter().enumerate() {
            let last = j + 1 == bytes.len();
            let literal =
                ((b == b' ' || b == b'\t') && !last) || ((33..=126).contains(&b) && b != b'=');
            let piece = if literal {
                char::from(b).to_string()
            } else {
                format!("={b:02X}")
            };
            if len + piece.len() > 75 {
                out.push_str("=\r\n");
                len = 0;
            }
            out.push_str(&piece);
            len += piece.len();
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The tests.

const IEDERIN: &str = "consultatie@iederin.example.org";
const PERSALDO: &str = "consultatie@persaldo.example.org";
const MIND: &str = "consultatie@mind.example.org";
const CVI: &str = "consultatie@coalitievoorinclusie.example.org";
const LFB: &str = "consultatie@lfb.example.org";
const PARTNER_ADDRESSES: [&str; 5] = [IEDERIN, PERSALDO, MIND, CVI, LFB];

const STEUN_IEDERIN: &str = "Beste collega's,\n\nSTEUN\n\nZwolle betrekt ervaringsdeskundigen al sinds 2016 bij het beleid. \
Het panel is echt invloedrijk, dat horen wij ook van onze leden.";
const BEZWAAR_MIND: &str = "BEZWAAR\n\nWij hebben van leden uit Enschede gehoord dat de cliëntondersteuning voor mensen met \
psychische problemen vorig jaar is wegbezuinigd. Dat past niet bij een koploper.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nomination_goes_through_consultation_answers_from_outlook_and_gmail_and_thanks_on_postgres()
-> anyhow::Result<()> {
    let url = crate::servers::fresh_postgres_database().await?;
    let cycle = Cycle::start(Some(url), true).await?;
    cycle.nominate_and_consult(&[ZWOLLE, ENSCHEDE]).await?;

    // The confirmations and one consultation letter per partner address per candidate.
    assert_eq!(
        cycle.letters_about("Ontvangen: uw voordracht").len(),
        2,
        "two confirmations"
    );
    let consultations = cycle.letters_about("Vraag om advies");
    assert_eq!(consultations.len(), 10, "five partners × two candidates");
    let originals = [
        std::fs::read(root().join(ZWOLLE))?,
        std::fs::read(root().join(ENSCHEDE))?,
    ];
    for (reference, original) in ["KVN-0001", "KVN-0002"].iter().zip(&originals) {
        for (address, partner) in PARTNER_ADDRESSES
            .iter()
            .zip(["iederin", "persaldo", "mind", "cvi", "lfb"])
        {
            let letter = cycle.consultation_letter(reference, address)?;
            let row = cycle.consultation(reference, partner).await?;
            assert_eq!(row.state.as_str(), "sent");
            assert!(letter.envelope.tls, "sent over STARTTLS");
            assert_eq!(letter.envelope.login.as_deref(), Some("intake"));
            assert_eq!(letter.facts.recipients, vec![address.to_string()]);
            let reply_to = letter
                .facts
                .reply_to
                .as_ref()
                .map(|a| a.as_str().to_string());
            assert_eq!(
                reply_to,
                Some(format!("koplopers+c-{}@vng.nl", row.token)),
                "the token in the Reply-To"
            );
            assert!(
                letter
                    .facts
                    .subject
                    .ends_with(&format!("[C-{}]", row.token.to_uppercase())),
                "{}",
                letter.facts.subject
            );
            assert!(letter.facts.subject.contains(reference));
            assert_eq!(
                letter.message_id(),
                row.request_msgid,
                "threading: answers refer to this Message-ID"
            );
            assert!(
                letter.text().contains("STEUN") && letter.text().contains("BEZWAAR"),
                "how to answer"
            );
            assert!(
                letter
                    .text()
                    .contains(&intake::letters::dutch_date(row.answer_by, Amsterdam)),
                "the answer date"
            );
            assert_eq!(
                letter.header("Auto-Submitted"),
                None,
                "a question is not an automatic reply"
            );
            // The original nomination is attached, byte for byte.
            let parsed = mail_parser::MessageParser::default()
                .parse(&letter.raw)
                .context("letter parses")?;
            let attached: Vec<&[u8]> = parsed
                .attachments()
                .filter_map(|p| p.message())
                .map(|m| m.raw_message())
                .collect();
            assert_eq!(
                attached.len(),
                1,
                "{reference} to {address}: the original as message/rfc822"
            );
            // As received: Dovecot stores and serves it with CRLF line ends.
            let lf = |b: &[u8]| String::from_utf8_lossy(b).replace("\r\n", "\n");
            assert!(
                lf(attached[0]) == lf(original),
                "{reference}: the attached original differs from the nomination"
            );
        }
    }

    // Answers: Outlook (STEUN) and Gmail (no keyword, "wij steunen") on Zwolle; Gmail (BEZWAAR)
    // and Outlook ("geen bezwaar") on Enschede.
    let answers = [
        (
            "KVN-0001",
            Answer::new(
                "outlook-reply.eml.tmpl",
                IEDERIN,
                "Anna de Vries",
                "Ieder(in)",
                STEUN_IEDERIN,
            ),
        ),
        (
            "KVN-0001",
            Answer::new(
                "gmail-reply.eml.tmpl",
                PERSALDO,
                "Joris Mulder",
                "Per Saldo",
                "Hallo,\n\nWij steunen deze aanmelding van harte. Zwolle regelt het persoonsgebonden budget goed en \
                 budgethouders worden serieus genomen.",
            ),
        ),
        (
            "KVN-0002",
            Answer::new(
                "gmail-reply.eml.tmpl",
                MIND,
                "Sanne Bakker",
                "MIND",
                BEZWAAR_MIND,
            ),
        ),
        (
            "KVN-0002",
            Answer::new(
                "outlook-reply.eml.tmpl",
                LFB,
                "Kees Vermeulen",
                "LFB",
                "Geen bezwaar. Enschede heeft de informatie over de Wmo in makkelijke taal gezet, dat vinden wij goed.",
            ),
        ),
    ];
    for (reference, a) in &answers {
        let letter = cycle.consultation_letter(reference, a.from)?;
        cycle.deliver(&answer_to(&letter, a)?, None).await?;
    }
    let third = cycle.run_once().await?;
    assert_eq!(third.poll.other, 4, "four partner answers: {third:?}");
    assert_eq!(third.poll.quarantined, 0);

    let expect = [
        ("KVN-0001", "iederin", "support", "ervaringsdeskundigen"),
        ("KVN-0001", "persaldo", "support", "persoonsgebonden budget"),
        ("KVN-0002", "mind", "objection", "wegbezuinigd"),
        ("KVN-0002", "lfb", "support", "makkelijke taal"),
    ];
    for (reference, partner, verdict, words) in expect {
        let c = cycle.consultation(reference, partner).await?;
        assert_eq!(c.state.as_str(), "answered", "{reference} {partner}");
        assert_eq!(
            c.verdict.map(|v| v.as_str()),
            Some(verdict),
            "{reference} {partner}: {:?}",
            c.motivation
        );
        let motivation = c.motivation.clone().unwrap_or_default();
        assert!(
            motivation.contains(words),
            "{reference} {partner}: motivation {motivation:?}"
        );
        assert!(
            !motivation.contains("Verzonden") && !motivation.contains("schreef"),
            "quoted history in {motivation:?}"
        );
        assert!(
            !motivation.contains("Met vriendelijke groet"),
            "signature in {motivation:?}"
        );
        assert!(!c.needs_reading);
    }
    for partner in ["mind", "cvi", "lfb", "iederin", "persaldo"] {
        let other = if ["mind", "lfb"].contains(&partner) {
            "KVN-0001"
        } else {
            "KVN-0002"
        };
        assert_eq!(
            cycle.consultation(other, partner).await?.state.as_str(),
            "sent",
            "{other} {partner} is still open"
        );
    }

    // A thank-you per answer, to the partner, threaded on the answer, automatic.
    let thanks = cycle.letters_about("Dank voor uw advies");
    assert_eq!(
        thanks.len(),
        4,
        "{:?}",
        thanks
            .iter()
            .map(|t| &t.envelope.rcpt_tos)
            .collect::<Vec<_>>()
    );
    for ((reference, a), (_, partner, verdict, _)) in answers.iter().zip(expect) {
        let t = thanks
            .iter()
            .find(|t| t.envelope.rcpt_tos == [a.from] && t.facts.subject.contains(reference))
            .with_context(|| format!("no thank-you to {} about {reference}", a.from))?;
        let c = cycle.consultation(reference, partner).await?;
        assert!(
            t.facts
                .subject
                .contains(&format!("[C-{}]", c.token.to_uppercase()))
        );
        assert_eq!(t.header("Auto-Submitted").as_deref(), Some("auto-replied"));
        assert!(
            t.facts.in_reply_to.len() == 1
                && t.facts.in_reply_to[0].contains(&format!("@mail.{}", domain_of(a.from)))
        );
        let label = if verdict == "support" {
            "steun"
        } else {
            "bezwaar"
        };
        assert!(
            t.text().to_lowercase().contains(label),
            "the thank-you says what was recorded:\n{}",
            t.text()
        );
    }

    // Every answer left the inbox for the processed folder.
    assert!(cycle.dovecot.list_folder(USER, "INBOX").await?.is_empty());
    assert_eq!(cycle.dovecot.list_folder(USER, "Verwerkt").await?.len(), 6);

    // Staff see objections first, and the motivation with `intake show`.
    let (ok, out, err) = cycle.cli(&["consultations"])?;
    assert!(ok, "intake consultations failed: {err}");
    let p2 = out.find("KVN-0002").context("KVN-0002 listed")?;
    let p1 = out.find("KVN-0001").context("KVN-0001 listed")?;
    assert!(
        p2 < p1,
        "the candidate with an objection comes first:\n{out}"
    );
    assert!(
        out.contains("BEZWAAR — Wij hebben van leden uit Enschede gehoord"),
        "the motivation with the verdict:\n{out}"
    );
    let answered = ["steunt", "BEZWAAR", "geen oordeel"]
        .iter()
        .map(|w| out.matches(w).count())
        .sum::<usize>();
    assert_eq!(answered, 4, "{out}");
    assert_eq!(
        out.matches("gevraagd, nog geen antwoord").count(),
        6,
        "{out}"
    );
    let (ok, out, err) = cycle.cli(&["show", "KVN-0002"])?;
    assert!(ok, "intake show failed: {err}");
    assert!(
        out.contains("BEZWAAR") && out.contains("cliëntondersteuning"),
        "{out}"
    );
    Ok(())
}

/// Sends what the outbox holds at the controlled time `at` (letters queued by
/// `remind_and_close(at)` are due at `at`, which the real clock has not reached).
async fn drain_at(
    cycle: &Cycle,
    at: DateTime<Utc>,
) -> anyhow::Result<intake::outbox::DrainOutcome> {
    let i = &cycle.intake;
    intake::outbox::drain_once(
        &i.db,
        &i.outbox.transport,
        &intake::daemon::policy(i, "test-clock"),
        move || at,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_answer_is_held_for_staff_and_not_counted() -> anyhow::Result<()> {
    let cycle = Cycle::start(None, false).await?;
    cycle.nominate_and_consult(&[ZWOLLE]).await?;
    let letter = cycle.consultation_letter("KVN-0001", IEDERIN)?;
    let sent_before = cycle.letters().len();
    let bezwaar = "BEZWAAR\n\nZwolle doet niets voor mensen met een beperking. Wij zijn fel tegen.";
    // The real token and thread, from a look-alike address.
    let lookalike = Answer::new(
        "gmail-reply.eml.tmpl",
        "consultatie@iederin-example.org",
        "Ieder(in)",
        "Ieder(in)",
        bezwaar,
    );
    // The registered address, but our server found the sender forged (DMARC fails).
    let spoofed = Answer::new(
        "outlook-reply.eml.tmpl",
        IEDERIN,
        "Anna de Vries",
        "Ieder(in)",
        bezwaar,
    );
    let spoofed_raw = answer_to(
        &letter,
        &Answer {
            auth_results: Some(
                "dkim=none; spf=fail smtp.mailfrom=iederin.example.org; dmarc=fail (p=reject) header.from=iederin.example.org",
            ),
            ..spoofed
        },
    )?;
    // Another partner answering with Ieder(in)'s token (a forwarded letter).
    let other_partner = Answer::new(
        "gmail-reply.eml.tmpl",
        PERSALDO,
        "Joris Mulder",
        "Per Saldo",
        bezwaar,
    );
    cycle
        .deliver(&answer_to(&letter, &lookalike)?, None)
        .await?;
    cycle.deliver(&spoofed_raw, None).await?;
    cycle
        .deliver(&answer_to(&letter, &other_partner)?, None)
        .await?;
    let run = cycle.run_once().await?;
    assert_eq!(run.poll.other, 3, "{run:?}");

    for partner in ["iederin", "persaldo"] {
        let c = cycle.consultation("KVN-0001", partner).await?;
        assert_eq!(
            (c.state.as_str(), c.verdict.map(|v| v.as_str())),
            ("sent", None),
            "{partner}: nothing counted"
        );
    }
    let held = store::consult::held_answers(&cycle.intake.db).await?;
    let reasons: Vec<(String, String)> = held
        .iter()
        .map(|h| {
            (
                h.from_address.clone(),
                h.hold_reason.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(held.len(), 3, "{reasons:?}");
    let iederin = cycle.consultation("KVN-0001", "iederin").await?;
    assert!(
        held.iter().all(|h| h.consultation_id == Some(iederin.id)),
        "held beside the right consultation for staff"
    );
    assert!(
        held.iter()
            .all(|h| h.verdict.map(|v| v.as_str()) == Some("objection")),
        "what they said is kept for staff to read"
    );
    assert!(
        reasons[0].0 == "consultatie@iederin-example.org"
            && reasons[0].1.contains("geen geregistreerd adres"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].0 == IEDERIN && reasons[1].1.contains("DMARC"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].0 == PERSALDO && reasons[2].1.contains("geen geregistreerd adres"),
        "{reasons:?}"
    );
    assert_eq!(
        cycle.letters().len(),
        sent_before,
        "no thank-you (or anything else) to a forger"
    );

    // The partner's own answer still counts afterwards.
    let steun = Answer::new(
        "outlook-reply.eml.tmpl",
        IEDERIN,
        "Anna de Vries",
        "Ieder(in)",
        STEUN_IEDERIN,
    );
    cycle.deliver(&answer_to(&letter, &steun)?, None).await?;
    cycle.run_once().await?;
    assert_eq!(
        cycle
            .consultation("KVN-0001", "iederin")
            .await?
            .verdict
            .map(|v| v.as_str()),
        Some("support")
    );
    let thanks = cycle.letters_about("Dank voor uw advies");
    assert_eq!(thanks.len(), 1);
    assert_eq!(thanks[0].envelope.rcpt_tos, vec![IEDERIN.to_string()]);
    let (ok, out, err) = cycle.cli(&["consultations"])?;
    assert!(ok, "{err}");
    assert!(
        !out.contains("objection"),
        "a forged objection never shows as the partner's verdict:\n{out}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_out_of_office_reply_from_a_partner_is_not_an_answer() -> anyhow::Result<()> {
    let cycle = Cycle::start(None, false).await?;
    cycle.nominate_and_consult(&[ZWOLLE]).await?;
    let sent_before = cycle.letters().len();
    // Exchange's automatic reply goes to our From address, with Auto-Submitted.
    let to_iederin = cycle.consultation_letter("KVN-0001", IEDERIN)?;
    let oof = Answer::new(
        "exchange-out-of-office.eml.tmpl",
        IEDERIN,
        "Anna de Vries",
        "Ieder(in)",
        "",
    );
    // A webmail vacation notice to the plus-address, without any automatic-reply header.
    let to_persaldo = cycle.consultation_letter("KVN-0001", PERSALDO)?;
    let vacation = Answer::new(
        "webmail-vacation-plain.eml.tmpl",
        PERSALDO,
        "Joris Mulder",
        "Per Saldo",
        "",
    );
    cycle.deliver(&answer_to(&to_iederin, &oof)?, None).await?;
    cycle
        .deliver(&answer_to(&to_persaldo, &vacation)?, None)
        .await?;
    let run = cycle.run_once().await?;
    assert_eq!(run.poll.other, 2, "{run:?}");
    for partner in ["iederin", "persaldo"] {
        let c = cycle.consultation("KVN-0001", partner).await?;
        assert_eq!(
            (
                c.state.as_str(),
                c.verdict.map(|v| v.as_str()),
                c.needs_reading
            ),
            ("sent", None, false),
            "{partner}"
        );
    }
    assert!(
        store::consult::held_answers(&cycle.intake.db)
            .await?
            .is_empty(),
        "an absence notice is no work for staff"
    );
    for partner in ["iederin", "persaldo"] {
        let c = cycle.consultation("KVN-0001", partner).await?;
        let kept = store::consult::answers_of(&cycle.intake.db, c.id).await?;
        assert_eq!(kept.len(), 1, "{partner}: stored beside its consultation");
        assert_eq!(
            kept[0].status,
            intake::consult::answer::AnswerStatus::Automatic,
            "{partner}: {:?}",
            kept[0].hold_reason
        );
    }
    assert_eq!(
        cycle.letters().len(),
        sent_before,
        "an absence notice gets no thank-you and no reply at all"
    );
    // They are still waited for: the reminder goes to both.
    let t0 = cycle.consultation("KVN-0001", "iederin").await?.sent_at;
    let (reminded, closed) =
        intake::consult::remind_and_close(&cycle.intake, t0 + Duration::days(7)).await?;
    assert_eq!((reminded, closed), (5, 0));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_answer_replaces_the_earlier_and_the_history_is_kept() -> anyhow::Result<()> {
    let cycle = Cycle::start(None, false).await?;
    cycle.nominate_and_consult(&[ZWOLLE]).await?;
    let letter = cycle.consultation_letter("KVN-0001", IEDERIN)?;
    let first = Answer::new(
        "outlook-reply.eml.tmpl",
        IEDERIN,
        "Anna de Vries",
        "Ieder(in)",
        STEUN_IEDERIN,
    );
    cycle.deliver(&answer_to(&letter, &first)?, None).await?;
    cycle.run_once().await?;
    assert_eq!(
        cycle
            .consultation("KVN-0001", "iederin")
            .await?
            .verdict
            .map(|v| v.as_str()),
        Some("support")
    );

    let mut second = Answer::new(
        "gmail-reply.eml.tmpl",
        IEDERIN,
        "Anna de Vries",
        "Ieder(in)",
        "Beste mensen,\n\nNa overleg met onze leden in Zwolle trekken wij onze steun in.\n\nBEZWAAR: het \
         ervaringsdeskundigenpanel is vorige maand opgeheven.",
    );
    second.after_minutes = 60 * 24 * 3;
    cycle.deliver(&answer_to(&letter, &second)?, None).await?;
    cycle.run_once().await?;
    // A vague note afterwards does not erase the verdict.
    let mut vague = Answer::new(
        "gmail-reply.eml.tmpl",
        IEDERIN,
        "Anna de Vries",
        "Ieder(in)",
        "Dank voor de bevestiging!",
    );
    vague.after_minutes = 60 * 24 * 4;
    cycle.deliver(&answer_to(&letter, &vague)?, None).await?;
    cycle.run_once().await?;

    let c = cycle.consultation("KVN-0001", "iederin").await?;
    assert_eq!(
        (c.state.as_str(), c.verdict.map(|v| v.as_str())),
        ("answered", Some("objection"))
    );
    assert!(
        c.motivation.as_deref().unwrap_or("").contains("opgeheven"),
        "{:?}",
        c.motivation
    );
    let history = store::consult::answers_of(&cycle.intake.db, c.id).await?;
    let seen: Vec<(Option<&str>, bool)> = history
        .iter()
        .map(|a| (a.verdict.map(|v| v.as_str()), a.accepted))
        .collect();
    assert_eq!(
        seen,
        vec![
            (Some("support"), true),
            (Some("objection"), true),
            (None, false)
        ],
        "every answer is kept, in order"
    );
    assert!(history[0].motivation.contains("ervaringsdeskundigen"));

    let thanks = cycle.letters_about("Dank voor uw advies");
    assert_eq!(
        thanks.len(),
        2,
        "one thank-you per counted answer, none for the vague note"
    );
    assert!(!thanks[0].text().contains("vervangt uw eerdere antwoord"));
    assert!(
        thanks[1].text().contains("vervangt uw eerdere antwoord"),
        "{}",
        thanks[1].text()
    );
    assert!(thanks[1].text().to_lowercase().contains("bezwaar"));
    assert_ne!(thanks[0].message_id(), thanks[1].message_id());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_partners_are_reminded_after_the_configured_days_and_closed_after_the_answer_date()
-> anyhow::Result<()> {
    let cycle = Cycle::start(None, false).await?;
    let t0 = cycle.nominate_and_consult(&[ZWOLLE]).await?;
    let call = &cycle.intake.cfg.call;
    let remind_after = Duration::days(i64::from(call.consultation.reminder_after_days));
    let letter = cycle.consultation_letter("KVN-0001", IEDERIN)?;
    let steun = Answer::new(
        "outlook-reply.eml.tmpl",
        IEDERIN,
        "Anna de Vries",
        "Ieder(in)",
        STEUN_IEDERIN,
    );
    cycle.deliver(&answer_to(&letter, &steun)?, None).await?;
    cycle.run_once().await?;

    // The answer date is the end of the day the letter names, in Dutch time.
    let row = cycle.consultation("KVN-0001", "persaldo").await?;
    let answer_by = row.answer_by;
    let local = answer_by.with_timezone(&Amsterdam);
    assert_eq!(local.format("%H:%M:%S").to_string(), "23:59:59");
    assert_eq!(
        local.date_naive(),
        (t0 + Duration::days(i64::from(call.consultation.answer_days)))
            .with_timezone(&Amsterdam)
            .date_naive()
    );
    let stated = intake::letters::dutch_date(answer_by, Amsterdam);
    assert!(
        cycle
            .consultation_letter("KVN-0001", PERSALDO)?
            .text()
            .contains(&format!("uiterlijk {stated}"))
    );

    let remind = |at| intake::consult::remind_and_close(&cycle.intake, at);
    assert_eq!(
        remind(t0 + remind_after - Duration::seconds(1)).await?,
        (0, 0),
        "too early for a reminder"
    );
    assert_eq!(
        remind(t0 + remind_after).await?,
        (4, 0),
        "everyone but Ieder(in), who answered"
    );
    let drained = drain_at(&cycle, t0 + remind_after).await?;
    assert_eq!((drained.sent, drained.failed), (4, 0));
    let reminders = cycle.letters_about("Herinnering");
    assert_eq!(reminders.len(), 4);
    for (address, partner) in [
        (PERSALDO, "persaldo"),
        (MIND, "mind"),
        (CVI, "cvi"),
        (LFB, "lfb"),
    ] {
        let c = cycle.consultation("KVN-0001", partner).await?;
        assert_eq!(c.state.as_str(), "reminded");
        assert_eq!(c.reminded_at, Some(t0 + remind_after));
        let r = reminders
            .iter()
            .find(|r| r.envelope.rcpt_tos == [address])
            .with_context(|| format!("no reminder to {address}"))?;
        assert!(
            r.facts
                .subject
                .contains(&format!("[C-{}]", c.token.to_uppercase())),
            "{}",
            r.facts.subject
        );
        assert_eq!(
            r.facts.in_reply_to,
            vec![c.request_msgid.trim_matches(['<', '>']).to_string()],
            "threaded on the request"
        );
        assert_eq!(
            r.facts.reply_to.as_ref().map(|a| a.as_str().to_string()),
            Some(format!("koplopers+c-{}@vng.nl", c.token))
        );
        assert!(
            r.text().contains(&stated),
            "the reminder names the answer date"
        );
    }
    assert_eq!(
        remind(t0 + remind_after + Duration::days(1)).await?,
        (0, 0),
        "one reminder only"
    );

    // Mind answers the reminder (Gmail): it counts like an answer to the request.
    let reminder_to_mind = reminders
        .iter()
        .find(|r| r.envelope.rcpt_tos == [MIND])
        .context("reminder to Mind")?;
    let bezwaar = Answer::new(
        "gmail-reply.eml.tmpl",
        MIND,
        "Sanne Bakker",
        "MIND",
        BEZWAAR_MIND,
    );
    cycle
        .deliver(&answer_to(reminder_to_mind, &bezwaar)?, None)
        .await?;
    cycle.run_once().await?;
    assert_eq!(
        cycle
            .consultation("KVN-0001", "mind")
            .await?
            .verdict
            .map(|v| v.as_str()),
        Some("objection")
    );

    // The coalition puts its verdict in the subject of its answer to the reminder.
    let reminder_to_cvi = reminders
        .iter()
        .find(|r| r.envelope.rcpt_tos == [CVI])
        .context("reminder to CVI")?;
    let motivation = "Toelichting: de adviesraad in Zwolle praat echt mee over het beleid.";
    assert_eq!(
        intake::consult::reply::read_reply(Some(motivation), None).verdict,
        None,
        "the body alone is unclear"
    );
    let in_subject = Answer::new(
        "gmail-reply.eml.tmpl",
        CVI,
        "Fatima Ouali",
        "Coalitie voor Inclusie",
        motivation,
    );
    let raw = String::from_utf8(answer_to(reminder_to_cvi, &in_subject)?)?.replacen(
        "\r\nSubject: Re: ",
        "\r\nSubject: STEUN - Re: ",
        1,
    );
    cycle.deliver(raw.as_bytes(), None).await?;
    cycle.run_once().await?;
    let cvi = cycle.consultation("KVN-0001", "cvi").await?;
    assert_eq!(
        (cvi.verdict.map(|v| v.as_str()), cvi.needs_reading),
        (Some("support"), false),
        "{:?}",
        cvi.motivation
    );
    assert!(
        cvi.motivation
            .as_deref()
            .unwrap_or("")
            .contains("adviesraad")
    );

    // Open all through the stated day; closed with "no answer" the second after.
    assert_eq!(
        remind(answer_by).await?,
        (0, 0),
        "the last second of the stated day still counts"
    );
    assert_eq!(remind(answer_by + Duration::seconds(1)).await?, (0, 2));
    assert_eq!(
        remind(answer_by + Duration::days(3)).await?,
        (0, 0),
        "closed once"
    );
    for (partner, state) in [
        ("iederin", "answered"),
        ("mind", "answered"),
        ("persaldo", "no_answer"),
        ("cvi", "answered"),
        ("lfb", "no_answer"),
    ] {
        let c = cycle.consultation("KVN-0001", partner).await?;
        assert_eq!(c.state.as_str(), state, "{partner}");
        assert_eq!(c.closed_at.is_some(), state == "no_answer", "{partner}");
    }
    // A closing that read the list before an answer was recorded does not overwrite it.
    let answered = cycle.consultation("KVN-0001", "iederin").await?;
    let mut tx = cycle.intake.db.begin().await?;
    let moved = store::consult::move_consultation_state(
        &mut tx,
        answered.id,
        &["sent", "reminded"],
        "no_answer",
        answer_by,
    )
    .await?;
    tx.commit().await?;
    assert!(!moved, "an answered consultation was closed");
    assert_eq!(
        cycle
            .consultation("KVN-0001", "iederin")
            .await?
            .state
            .as_str(),
        "answered"
    );

    let (ok, out, err) = cycle.cli(&["consultations"])?;
    assert!(ok, "{err}");
    assert_eq!(out.matches("geen antwoord").count(), 2, "{out}");
    assert!(out.contains("BEZWAAR") && out.contains("steunt"), "{out}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_mail_naming_only_the_reference_is_held_for_staff_and_not_counted()
-> anyhow::Result<()> {
    let cycle = Cycle::start(None, false).await?;
    cycle.nominate_and_consult(&[ZWOLLE]).await?;
    let letter = cycle.consultation_letter("KVN-0001", PERSALDO)?;
    // Written as a new mail to our plain address: no token, no thread, only the reference,
    // which anyone can read in a subject. Even from the registered address with DMARC passing
    // it is found for staff, but not counted.
    let mut fresh = Answer::new(
        "outlook-new-mail.eml.tmpl",
        PERSALDO,
        "Joris Mulder",
        "Per Saldo",
        "Beste VNG,\n\nOver de aanmelding van Zwolle: STEUN. Budgethouders in Zwolle worden echt gehoord.",
    );
    fresh.new_subject = "Advies Per Saldo over Zwolle (kvn-0001)";
    fresh.auth_results = Some(
        "dkim=fail header.d=gateway.example.net; dkim=pass header.d=persaldo.example.org; \
         spf=pass smtp.mailfrom=persaldo.example.org; dmarc=pass header.from=persaldo.example.org",
    );
    let raw = answer_to(&letter, &fresh)?;
    let facts = intake::mail::facts(&raw);
    assert!(
        facts.in_reply_to.is_empty()
            && facts.references.is_empty()
            && !facts.subject.contains("[C-")
    );
    // The same subject from an address that is not a partner's is no partner answer at all.
    let mut stranger = Answer::new(
        "outlook-new-mail.eml.tmpl",
        "j.mulder@gmail.example.com",
        "Joris Mulder",
        "Per Saldo",
        "BEZWAAR. Zwolle verdient dit niet.",
    );
    stranger.new_subject = fresh.new_subject;
    cycle.deliver(&raw, None).await?;
    cycle.deliver(&answer_to(&letter, &stranger)?, None).await?;
    let run = cycle.run_once().await?;
    assert_eq!(run.poll.total(), 2, "{run:?}");

    let c = cycle.consultation("KVN-0001", "persaldo").await?;
    assert_eq!(
        (c.state.as_str(), c.verdict.map(|v| v.as_str())),
        ("sent", None)
    );
    let history = store::consult::answers_of(&cycle.intake.db, c.id).await?;
    assert_eq!(history.len(), 1, "found beside Per Saldo's consultation");
    assert_eq!(
        history[0].hold,
        Some(intake::consult::answer::HoldReason::NoTokenOrThread)
    );
    assert_eq!(
        history[0].verdict.map(|v| v.as_str()),
        Some("support"),
        "kept for staff"
    );
    let settle = store::consult::answers_to_settle(&cycle.intake.db).await?;
    assert_eq!(settle.len(), 1, "{settle:#?}");
    assert_eq!(settle[0].reference.as_deref(), Some("KVN-0001"));
    assert_eq!(settle[0].partner_id.as_deref(), Some("persaldo"));
    assert_eq!(settle[0].answer.from_address, PERSALDO);
    let all = store::consult::all_consultations(&cycle.intake.db).await?;
    assert!(
        all.iter().all(|c| c.verdict.is_none()),
        "nothing counted for anyone"
    );
    assert!(
        cycle.letters_about("Dank voor uw advies").is_empty(),
        "nothing is thanked that did not count"
    );
    Ok(())
}

/// Signs `raw` with the test key of iederin.example.org (selector s2018, relaxed/relaxed).
fn dkim_signed(raw: &[u8]) -> anyhow::Result<Vec<u8>> {
    use mail_auth::common::crypto::{RsaKey, Sha256};
    use mail_auth::common::headers::HeaderWriter as _;
    use mail_auth::dkim::{Canonicalization, DkimSigner};
    use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, pem::PemObject as _};
    let pem = std::fs::read(root().join("tests/fixtures/partner-mail/dkim/iederin-s2018.pem"))?;
    let der = PrivatePkcs8KeyDer::from_pem_slice(&pem).context("the test key is PKCS#8 PEM")?;
    let key = RsaKey::<Sha256>::from_key_der(PrivateKeyDer::Pkcs8(der))
        .map_err(|e| anyhow::anyhow!("test key: {e}"))?;
    let signature = DkimSigner::from_key(key)
        .domain("iederin.example.org")
        .selector("s2018")
        .headers(["From", "To", "Subject", "Date", "Message-ID", "In-Reply-To"])
        .header_canonicalization(Canonicalization::Relaxed)
        .body_canonicalization(Canonicalization::Relaxed)
        .sign(raw)
        .map_err(|e| anyhow::anyhow!("signing: {e}"))?;
    let mut out = signature.to_header().into_bytes();
    out.extend_from_slice(raw);
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_trusted_header_an_answer_counts_only_when_its_dkim_signature_verifies()
-> anyhow::Result<()> {
    let cycle = Cycle::start(None, false).await?;
    cycle.nominate_and_consult(&[ZWOLLE]).await?;
    let letter = cycle.consultation_letter("KVN-0001", IEDERIN)?;
    let unstamped = |text: &'static str| Answer {
        auth_results: Some(""),
        ..Answer::new(
            "outlook-reply.eml.tmpl",
            IEDERIN,
            "Anna de Vries",
            "Ieder(in)",
            text,
        )
    };
    // Forged: no header from our server and no signature.
    let forged = answer_to(&letter, &unstamped("BEZWAAR\n\nZwolle doet niets."))?;
    // Tampered: signed, then the verdict changed on the way.
    let signed = dkim_signed(&answer_to(
        &letter,
        &unstamped("STEUN\n\nZwolle doet het goed."),
    )?)?;
    // (A fresh Message-ID too, or the genuine one below would be a duplicate of it.)
    let tampered = String::from_utf8(signed.clone())?
        .replacen("STEUN", "BEZWAAR", 1)
        .replacen("Message-ID: <", "Message-ID: <tampered.", 1);
    cycle.deliver(&forged, None).await?;
    cycle.deliver(tampered.as_bytes(), None).await?;
    cycle.run_once().await?;
    let c = cycle.consultation("KVN-0001", "iederin").await?;
    assert_eq!(
        (c.state.as_str(), c.verdict.map(|v| v.as_str())),
        ("sent", None)
    );
    let held = store::consult::held_answers(&cycle.intake.db).await?;
    assert_eq!(held.len(), 2);
    assert!(
        held.iter()
            .all(|h| h.hold == Some(intake::consult::answer::HoldReason::NotAuthentic)),
        "{held:#?}"
    );
    assert!(
        held[0]
            .hold_reason
            .as_deref()
            .unwrap_or("")
            .contains("DKIM")
    );
    assert!(
        held[1]
            .hold_reason
            .as_deref()
            .unwrap_or("")
            .contains("DKIM")
    );

    // The signed answer as it was sent verifies against the pinned key, and counts.
    cycle.deliver(&signed, None).await?;
    cycle.run_once().await?;
    let c = cycle.consultation("KVN-0001", "iederin").await?;
    assert_eq!(
        (c.state.as_str(), c.verdict.map(|v| v.as_str())),
        ("answered", Some("support"))
    );
    let kept = store::consult::answers_of(&cycle.intake.db, c.id).await?;
    assert_eq!(
        kept.last().and_then(|a| a.authentication.as_deref()),
        Some("dkim=pass d=iederin.example.org (verified by intake)")
    );
    assert_eq!(cycle.letters_about("Dank voor uw advies").len(), 1);
    Ok(())
}
