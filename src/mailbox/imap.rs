//! The IMAP mail source: an [`ImapSource`] reads one folder of a real IMAP account (Dovecot,
//! Microsoft 365, Gmail) with async-imap over rustls, and its settings ([`ImapSettings`]).
//!
//! What it owns: connecting (IMAPS or STARTTLS, LOGIN or XOAUTH2), listing by UID with
//! RFC822.SIZE, fetching with `BODY.PEEK[]` and INTERNALDATE, acknowledging by UID MOVE (or
//! COPY + `\Deleted` + UID EXPUNGE), and waiting with IDLE or polling. What it must not do:
//! decide anything about a mail, rely on `\Seen`, SEARCH with CHARSET (Exchange refuses it), or
//! log a password, a token or a mail body.
//!
//! Secrets come from the environment, a file or a command, never from the TOML file.
//!
//! (being written: the source itself follows the settings)

use std::path::PathBuf;

use serde::Deserialize;

/// How the connection is encrypted. There is deliberately no plain-text option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ImapTls {
    /// IMAPS: TLS from the first byte (port 993).
    #[default]
    Implicit,
    /// Plain IMAP upgraded with STARTTLS before anything else is sent (port 143).
    Starttls,
}

/// How we authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ImapAuth {
    /// LOGIN with user name and password.
    #[default]
    Login,
    /// SASL XOAUTH2 with an OAuth 2.0 access token (Microsoft 365, Google).
    Xoauth2,
}

/// `[mailbox.imap]`: the IMAP account the nominations arrive in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapSettings {
    /// Server host name, e.g. `outlook.office365.com`. Also the name checked in its certificate.
    pub host: String,
    /// Server port: 993 for `tls = "implicit"`, 143 for `tls = "starttls"`.
    #[serde(default = "default_port")]
    pub port: u16,
    /// `implicit` (IMAPS) or `starttls`.
    #[serde(default)]
    pub tls: ImapTls,
    /// Account name (for Microsoft 365 the full address).
    pub username: String,
    /// `login` (password) or `xoauth2` (access token).
    #[serde(default)]
    pub auth: ImapAuth,
    /// Environment variable holding the password, or the access token for `xoauth2`.
    #[serde(default = "default_password_env")]
    pub password_env: String,
    /// File holding the password or access token (first line; read on every connect, so a token
    /// refreshed by another process is picked up). Takes precedence over `password_env`.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Shell command that prints a fresh access token (for `xoauth2`), run on every connect.
    /// Takes precedence over `password_file` and `password_env`.
    #[serde(default)]
    pub oauth_token_command: Option<String>,
    /// PEM file with the CA certificate(s) to trust instead of the public web roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// The folder nominations arrive in.
    #[serde(default = "default_folder")]
    pub folder: String,
    /// Use IDLE when the server offers it (else poll every `mailbox.poll_interval_secs`).
    #[serde(default = "default_true")]
    pub idle: bool,
    /// Re-issue IDLE after this many seconds (RFC 2177: servers may drop an IDLE after 30
    /// minutes; at most 1500).
    #[serde(default = "default_idle_renew")]
    pub idle_renew_secs: u64,
    /// Log out and connect afresh after this many seconds, because idle connections can die
    /// silently (NAT, load balancers).
    #[serde(default = "default_reconnect")]
    pub reconnect_secs: u64,
    /// Time limit for connecting, TLS and authentication.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u64,
    /// Time limit for one command (FETCH of a large mail included).
    #[serde(default = "default_command_timeout")]
    pub command_timeout_secs: u64,
}

fn default_port() -> u16 {
    993
}
fn default_password_env() -> String {
    "INTAKE__MAILBOX__IMAP__PASSWORD".into()
}
fn default_folder() -> String {
    "INBOX".into()
}
fn default_true() -> bool {
    true
}
fn default_idle_renew() -> u64 {
    600
}
fn default_reconnect() -> u64 {
    3600
}
fn default_connect_timeout() -> u64 {
    30
}
fn default_command_timeout() -> u64 {
    300
}

impl ImapSettings {
    /// Every problem with these settings, as `(field, message)`; empty when they are usable.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.host.trim().is_empty() {
            out.push(("host", "must not be empty".to_owned()));
        }
        if self.username.trim().is_empty() {
            out.push(("username", "must not be empty".to_owned()));
        }
        if self.idle_renew_secs == 0 || self.idle_renew_secs > 1500 {
            out.push((
                "idle_renew_secs",
                format!(
                    "must be between 1 and 1500 (servers drop IDLE after 29 minutes), not {}",
                    self.idle_renew_secs
                ),
            ));
        }
        if self.reconnect_secs < 60 {
            out.push(("reconnect_secs", "must be at least 60".to_owned()));
        }
        if self.connect_timeout_secs == 0 || self.command_timeout_secs == 0 {
            out.push((
                "connect_timeout_secs",
                "timeouts must be positive".to_owned(),
            ));
        }
        if self.folder.trim().is_empty() {
            out.push(("folder", "must not be empty".to_owned()));
        }
        if let Some(ca) = &self.ca_file
            && !ca.exists()
        {
            out.push(("ca_file", format!("{} does not exist", ca.display())));
        }
        out
    }
}
