//! How one outgoing mail leaves: written to a file (the embedded default) or handed to a real
//! SMTP server with lettre ([`Transport`]), and the settings of that server ([`SmtpSettings`]).
//!
//! What it owns: the connection (STARTTLS, implicit TLS, AUTH PLAIN/LOGIN/XOAUTH2) and the
//! classification of the server's answer into [`SendOutcome`]. What it must not do: decide
//! whether or when to retry (the outbox worker does), build messages, or log a password,
//! a token or a message body.
//!
//! (being written: the transport follows the settings)

use std::path::PathBuf;

use serde::Deserialize;

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
