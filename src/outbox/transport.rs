//! How one outgoing mail leaves: written to a file (the embedded default) or handed to a real
//! SMTP server with lettre ([`Transport`]), and the settings of that server ([`SmtpSettings`]).
//!
//! What it owns: the connection (STARTTLS, implicit TLS, AUTH PLAIN/LOGIN/XOAUTH2) and the
//! classification of the server's answer into [`SendOutcome`]. What it must not do: decide
//! whether or when to retry (the outbox worker does), build messages, or log a password,
//! a token or a message body.
//!
//! The file transport names each file after the message's `Message-ID` (which an outbox row keeps
//! across retries), so sending the same row again overwrites its file instead of adding one.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use lettre::AsyncTransport as _;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, AsyncSmtpTransport, Tokio1Executor};
use serde::Deserialize;

use crate::secrets::resolve_secret;

/// How the SMTP connection is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP upgraded with STARTTLS, which is required (port 587).
    #[default]
    Starttls,
    /// SMTPS: TLS from the first byte (port 465).
    Implicit,
    /// No encryption at all: only allowed towards 127.0.0.1 / ::1 / localhost (tests, a local relay).
    None,
}

/// How we authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpAuth {
    #[default]
    Plain,
    Login,
    /// SASL XOAUTH2 with an OAuth 2.0 access token (Microsoft 365, Google).
    Xoauth2,
}

/// `[outbox.smtp]`: the server outgoing mail is handed to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// Server host name, e.g. `smtp.office365.com`. Also the name checked in its certificate.
    pub host: String,
    /// Server port: 587 for `starttls`, 465 for `implicit`.
    #[serde(default = "default_port")]
    pub port: u16,
    /// `starttls`, `implicit`, or `none` (127.0.0.1 only).
    #[serde(default)]
    pub tls: SmtpTls,
    /// Account name; no AUTH at all when absent (a relay that trusts our address).
    #[serde(default)]
    pub username: Option<String>,
    /// `plain`, `login` or `xoauth2`.
    #[serde(default)]
    pub auth: SmtpAuth,
    /// Environment variable holding the password, or the access token for `xoauth2`.
    #[serde(default = "default_password_env")]
    pub password_env: String,
    /// File holding the password or access token (first line, read on every connect).
    /// Takes precedence over `password_env`.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Shell command that prints a fresh access token (for `xoauth2`), run on every connect.
    #[serde(default)]
    pub oauth_token_command: Option<String>,
    /// PEM file with the CA certificate(s) to trust instead of the public web roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Time limit for one SMTP exchange.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Name sent in EHLO; the machine's host name when absent.
    #[serde(default)]
    pub hello_name: Option<String>,
}

fn default_port() -> u16 {
    587
}
fn default_password_env() -> String {
    "INTAKE__OUTBOX__SMTP__PASSWORD".into()
}
fn default_timeout() -> u64 {
    60
}

impl SmtpSettings {
    /// Every problem with these settings, as `(field, message)`; empty when they are usable.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.host.trim().is_empty() {
            out.push(("host", "must not be empty".to_owned()));
        }
        if self.tls == SmtpTls::None && !is_loopback(&self.host) {
            out.push((
                "tls",
                format!(
                    "\"none\" is only allowed for 127.0.0.1 or localhost, not {}",
                    self.host
                ),
            ));
        }
        if self.timeout_secs == 0 {
            out.push(("timeout_secs", "must be positive".to_owned()));
        }
        if let Some(ca) = &self.ca_file
            && !ca.exists()
        {
            out.push(("ca_file", format!("{} does not exist", ca.display())));
        }
        out
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

// ---------------------------------------------------------------------------------------------
// Outcome
// ---------------------------------------------------------------------------------------------

/// How outgoing mail leaves (`[outbox] kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxKind {
    /// Write each mail as a `.eml` file (embedded default).
    File,
    Smtp,
}

/// What became of one attempt to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted; `detail` is the server's answer (`250 2.0.0 queued as …`) or the file written.
    Sent { detail: String },
    /// Try again later: a 4xx answer, a connection or TLS problem, a timeout, a refused login
    /// (a configuration problem, not this mail's).
    Transient(String),
    /// Never try again: a 5xx answer to this mail (with the server's text), or an address that
    /// cannot be sent to.
    Permanent(String),
    /// The server asks us to slow down (a 4xx answer about a rate, a limit or throttling, as
    /// Microsoft 365 gives above about 30 mails a minute): pause all sending, retry later, and
    /// do not count it as a failed attempt.
    Throttled(String),
}

// ---------------------------------------------------------------------------------------------
// Transport
// ---------------------------------------------------------------------------------------------

/// Where outgoing mail goes.
pub enum Transport {
    /// `.eml` files in a folder (the embedded default; nothing leaves the machine).
    File(FileTransport),
    /// A real SMTP server (boxed: it is much larger than a path).
    Smtp(Box<SmtpTransport>),
}

impl Transport {
    /// The transport for `[outbox] kind` (`"file"` or `"smtp"`). Reads the CA file now; does
    /// not connect and does not read the password yet.
    pub fn from_settings(
        kind: OutboxKind,
        file_dir: &Path,
        smtp: Option<&SmtpSettings>,
    ) -> anyhow::Result<Transport> {
        match kind {
            OutboxKind::File => Ok(Transport::File(FileTransport::new(file_dir))),
            OutboxKind::Smtp => {
                let settings = smtp.context("outbox kind \"smtp\" needs [outbox.smtp] settings")?;
                Ok(Transport::Smtp(Box::new(SmtpTransport::new(
                    settings.clone(),
                )?)))
            }
        }
    }

    /// Sends one finished message (headers and body, CRLF line ends) to `to`, with `from` as the
    /// envelope sender. Never panics and never returns an error: every failure is classified.
    pub async fn send_raw(&self, from: &str, to: &[String], raw: &[u8]) -> SendOutcome {
        match self {
            Transport::File(f) => f.send_raw(raw).await,
            Transport::Smtp(s) => s.send_raw(from, to, raw).await,
        }
    }

    /// Connects and logs in without sending anything (SMTP: EHLO, TLS, AUTH, NOOP); the file
    /// transport has nothing to connect to. For `intake check-config --connect`.
    pub async fn test_connection(&self) -> Result<(), String> {
        match self {
            Transport::File(_) => Ok(()),
            Transport::Smtp(s) => match s.mailer().await?.test_connection().await {
                Ok(true) => Ok(()),
                Ok(false) => Err("the server did not answer NOOP".into()),
                Err(e) => Err(e.to_string()),
            },
        }
    }

    /// For logs and `intake status` (no secrets).
    pub fn describe(&self) -> String {
        match self {
            Transport::File(f) => format!("file:{}", f.dir.display()),
            Transport::Smtp(s) => format!(
                "smtp://{}:{} ({:?})",
                s.settings.host, s.settings.port, s.settings.tls
            ),
        }
    }
}

/// Writes each message to `<dir>/<Message-ID>.eml`.
pub struct FileTransport {
    dir: PathBuf,
}

impl FileTransport {
    pub fn new(dir: &Path) -> FileTransport {
        FileTransport {
            dir: dir.to_path_buf(),
        }
    }

    /// The file a message is (or would be) written to.
    pub fn path_for(&self, raw: &[u8]) -> PathBuf {
        self.dir.join(format!("{}.eml", file_stem(raw)))
    }

    async fn send_raw(&self, raw: &[u8]) -> SendOutcome {
        let path = self.path_for(raw);
        let write = async {
            tokio::fs::create_dir_all(&self.dir).await?;
            // Temp file + rename: a reader never sees half a message, a crash leaves no stub.
            let tmp = self
                .dir
                .join(format!(".{}.{}.tmp", file_stem(raw), rand::random::<u64>()));
            tokio::fs::write(&tmp, raw).await?;
            tokio::fs::rename(&tmp, &path).await
        };
        match write.await {
            Ok(()) => SendOutcome::Sent {
                detail: format!("written to {}", path.display()),
            },
            Err(e) => SendOutcome::Transient(format!("failed to write {}: {e}", path.display())),
        }
    }
}

/// A file name from the message's Message-ID (kept across retries), else from its content hash.
fn file_stem(raw: &[u8]) -> String {
    let from_id = header_value(raw, "message-id").map(|id| {
        id.trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '-' | '_' | '+') {
                    c
                } else {
                    '_'
                }
            })
            .take(150)
            .collect::<String>()
    });
    match from_id {
        Some(stem) if !stem.is_empty() && !stem.starts_with('.') => stem,
        _ => {
            use sha2::Digest as _;
            hex::encode(sha2::Sha256::digest(raw))
        }
    }
}

/// The (unfolded) value of the first header `name` in the header block of `raw`.
fn header_value(raw: &[u8], name: &str) -> Option<String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n"))
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut value: Option<String> = None;
    for line in head.lines() {
        if let Some(v) = value.as_mut() {
            if line.starts_with([' ', '\t']) {
                v.push_str(line.trim());
                continue;
            }
            break;
        }
        if let Some((key, rest)) = line.split_once(':')
            && key.trim().eq_ignore_ascii_case(name)
        {
            value = Some(rest.trim().to_owned());
        }
    }
    value
}

/// Hands mail to an SMTP server with lettre (pooled connections).
pub struct SmtpTransport {
    settings: SmtpSettings,
    tls: Option<TlsParameters>,
    /// The lettre transport with the credentials it was built with; rebuilt after
    /// [`CREDENTIALS_TTL`] or a refused login so that a rotated password or token is picked up.
    mailer: Mutex<Option<(AsyncSmtpTransport<Tokio1Executor>, Instant)>>,
}

/// How long a resolved password or token is used before it is read again.
const CREDENTIALS_TTL: Duration = Duration::from_secs(300);

impl SmtpTransport {
    pub fn new(settings: SmtpSettings) -> anyhow::Result<SmtpTransport> {
        let problems = settings.problems();
        if !problems.is_empty() {
            let list: Vec<String> = problems
                .iter()
                .map(|(field, message)| format!("outbox.smtp.{field}: {message}"))
                .collect();
            anyhow::bail!("invalid SMTP settings: {}", list.join("; "));
        }
        let tls = match settings.tls {
            SmtpTls::None => None,
            SmtpTls::Starttls | SmtpTls::Implicit => {
                let mut builder = TlsParameters::builder(settings.host.clone());
                if let Some(ca) = &settings.ca_file {
                    let pem = std::fs::read(ca)
                        .with_context(|| format!("failed to read CA file {}", ca.display()))?;
                    builder = builder.certificate_store(CertificateStore::None);
                    let mut n = 0;
                    for der in rustls_pemfile::certs(&mut pem.as_slice()) {
                        let der = der
                            .with_context(|| format!("failed to parse CA file {}", ca.display()))?;
                        builder =
                            builder.add_root_certificate(Certificate::from_der(der.to_vec())?);
                        n += 1;
                    }
                    anyhow::ensure!(n > 0, "CA file {} holds no certificate", ca.display());
                }
                Some(
                    builder
                        .build_rustls()
                        .context("failed to set up TLS for SMTP")?,
                )
            }
        };
        Ok(SmtpTransport {
            settings,
            tls,
            mailer: Mutex::new(None),
        })
    }

    async fn mailer(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        if let Ok(guard) = self.mailer.lock()
            && let Some((mailer, built)) = guard.as_ref()
            && built.elapsed() < CREDENTIALS_TTL
        {
            return Ok(mailer.clone());
        }
        let s = &self.settings;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.clone())
            .port(s.port)
            .timeout(Some(Duration::from_secs(s.timeout_secs.max(1))))
            .pool_config(PoolConfig::new().max_size(4));
        builder = match (&self.tls, s.tls) {
            (Some(params), SmtpTls::Starttls) => builder.tls(Tls::Required(params.clone())),
            (Some(params), SmtpTls::Implicit) => builder.tls(Tls::Wrapper(params.clone())),
            _ => builder.tls(Tls::None),
        };
        if let Some(name) = &s.hello_name {
            builder = builder.hello_name(ClientId::Domain(name.clone()));
        }
        if let Some(user) = &s.username {
            let secret = resolve_secret(
                &s.password_env,
                s.password_file.as_deref(),
                match s.auth {
                    SmtpAuth::Xoauth2 => s.oauth_token_command.as_deref(),
                    _ => None,
                },
            )
            .await
            .map_err(|e| format!("failed to read the SMTP secret: {e}"))?;
            let mechanism = match s.auth {
                SmtpAuth::Plain => Mechanism::Plain,
                SmtpAuth::Login => Mechanism::Login,
                SmtpAuth::Xoauth2 => Mechanism::Xoauth2,
            };
            builder = builder
                .credentials(Credentials::new(user.clone(), secret.expose().to_owned()))
                .authentication(vec![mechanism]);
        }
        let mailer = builder.build::<Tokio1Executor>();
        if let Ok(mut guard) = self.mailer.lock() {
            *guard = Some((mailer.clone(), Instant::now()));
        }
        Ok(mailer)
    }

    fn forget_mailer(&self) {
        if let Ok(mut guard) = self.mailer.lock() {
            *guard = None;
        }
    }

    async fn send_raw(&self, from: &str, to: &[String], raw: &[u8]) -> SendOutcome {
        let Ok(sender) = from.parse::<Address>() else {
            return SendOutcome::Permanent(format!("invalid sender address {from:?}"));
        };
        let mut recipients = Vec::with_capacity(to.len());
        for r in to {
            match r.parse::<Address>() {
                Ok(a) => recipients.push(a),
                Err(_) => {
                    return SendOutcome::Permanent(format!("invalid recipient address {r:?}"));
                }
            }
        }
        let envelope = match lettre::address::Envelope::new(Some(sender), recipients) {
            Ok(e) => e,
            Err(e) => return SendOutcome::Permanent(format!("invalid envelope: {e}")),
        };
        let mailer = match self.mailer().await {
            Ok(m) => m,
            Err(e) => return SendOutcome::Transient(e),
        };
        // lettre ends DATA with CRLF "." CRLF itself: without this, a message ending in CRLF
        // would arrive with an extra empty line.
        let body = raw.strip_suffix(b"\r\n").unwrap_or(raw);
        match mailer.send_raw(&envelope, body).await {
            Ok(response) => SendOutcome::Sent {
                detail: format!(
                    "{} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                )
                .trim()
                .to_owned(),
            },
            Err(e) => {
                let code = e.status().map(|c| c.to_string());
                let outcome = classify(code.as_deref(), e.is_permanent(), e.to_string());
                if matches!(code.as_deref(), Some("530" | "534" | "535" | "538")) {
                    // A refused login: read the password or token again next time.
                    self.forget_mailer();
                }
                outcome
            }
        }
    }
}

/// 4xx and everything without a code (connection, TLS, timeout) is transient; 5xx permanent,
/// except a refused login (530/534/535/538), which is a configuration problem to retry once
/// someone fixes it, not a property of this mail.
fn classify(code: Option<&str>, permanent: bool, message: String) -> SendOutcome {
    match code {
        Some("530" | "534" | "535" | "538") => {
            SendOutcome::Transient(format!("the SMTP server refused the login: {message}"))
        }
        _ if permanent => SendOutcome::Permanent(message),
        Some(c) if c.starts_with('4') && is_throttling(&message) => SendOutcome::Throttled(message),
        _ => SendOutcome::Transient(message),
    }
}

/// Whether a temporary answer is about sending too much (Microsoft 365: "4.7.0 ... throttled",
/// "4.3.2 ... sender thread limit exceeded", "Excessive message rate"; others: "rate limit",
/// "too many messages", "quota").
fn is_throttling(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "throttl",
        "rate limit",
        "ratelimit",
        "rate exceeded",
        "message rate",
        "excessive",
        "too many",
        "limit exceeded",
        "quota",
        "slow down",
        "4.7.0",
    ]
    .iter()
    .any(|w| m.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> SmtpSettings {
        toml::from_str(text).expect("test settings parse")
    }

    #[test]
    fn settings_default_to_starttls_on_port_587_with_the_password_from_the_environment() {
        let s = settings("host = \"smtp.office365.com\"\nusername = \"u\"");
        assert_eq!(s.port, 587);
        assert_eq!(s.tls, SmtpTls::Starttls);
        assert_eq!(s.auth, SmtpAuth::Plain);
        assert_eq!(s.password_env, "INTAKE__OUTBOX__SMTP__PASSWORD");
        assert!(s.problems().is_empty());
    }

    #[test]
    fn settings_allow_no_tls_only_towards_this_machine() {
        assert!(
            settings("host = \"127.0.0.1\"\ntls = \"none\"")
                .problems()
                .is_empty()
        );
        let far = settings("host = \"smtp.example.org\"\ntls = \"none\"");
        assert_eq!(far.problems()[0].0, "tls");
        assert!(SmtpTransport::new(far).is_err());
    }

    #[test]
    fn settings_refuse_a_password_in_the_file() {
        let err =
            toml::from_str::<SmtpSettings>("host = \"h\"\npassword = \"geheim\"").unwrap_err();
        assert!(err.to_string().contains("unknown field"));
    }

    #[test]
    fn answers_are_classified_by_their_code() {
        let t = |c: Option<&str>, p: bool| classify(c, p, "x".into());
        assert!(matches!(t(Some("550"), true), SendOutcome::Permanent(_)));
        assert!(matches!(t(Some("452"), false), SendOutcome::Transient(_)));
        assert!(matches!(t(None, false), SendOutcome::Transient(_)));
        assert!(matches!(t(Some("535"), true), SendOutcome::Transient(_)));
        let m = |c: &str, text: &str| classify(Some(c), false, text.into());
        assert!(matches!(
            m("450", "4.7.0 Message rate exceeded, please slow down"),
            SendOutcome::Throttled(_)
        ));
        assert!(matches!(
            m(
                "432",
                "4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded"
            ),
            SendOutcome::Throttled(_)
        ));
        assert!(matches!(
            m("451", "4.3.0 Mail server temporarily rejected message"),
            SendOutcome::Transient(_)
        ));
    }

    #[test]
    fn file_names_come_from_the_message_id_and_are_safe() {
        let raw = b"Subject: x\r\nMessage-ID:\r\n <confirmation.42/../x@vng.nl>\r\n\r\nbody";
        assert_eq!(file_stem(raw), "confirmation.42_.._x@vng.nl");
        let no_id = b"Subject: x\r\n\r\nMessage-ID: <in-body@x>\r\n";
        assert_eq!(file_stem(no_id).len(), 64, "falls back to the content hash");
    }

    #[tokio::test]
    async fn the_file_transport_overwrites_a_resent_message_instead_of_duplicating_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let t = Transport::from_settings(OutboxKind::File, &dir.path().join("outbox"), None)
            .expect("file transport");
        let first = b"Message-ID: <c-1@vng.nl>\r\nSubject: a\r\n\r\none\r\n";
        let again = b"Message-ID: <c-1@vng.nl>\r\nSubject: a\r\n\r\ntwo\r\n";
        let to = vec!["gemeente@example.nl".to_owned()];
        for raw in [&first[..], &again[..]] {
            let outcome = t.send_raw("koplopers@vng.nl", &to, raw).await;
            assert!(matches!(outcome, SendOutcome::Sent { .. }), "{outcome:?}");
        }
        let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
            .expect("outbox exists")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(files, vec!["c-1@vng.nl.eml".to_owned()]);
        let stored = std::fs::read(dir.path().join("outbox/c-1@vng.nl.eml")).expect("file");
        assert_eq!(stored, again.to_vec());
    }

    #[test]
    fn smtp_without_its_settings_is_refused() {
        assert!(Transport::from_settings(OutboxKind::Smtp, Path::new("x"), None).is_err());
    }
}
