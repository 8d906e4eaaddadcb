//! The IMAP mail source: an [`ImapSource`] reads one folder of a real IMAP account (Dovecot,
//! Microsoft 365, Gmail) with async-imap over rustls, and its settings ([`ImapSettings`]).
//!
//! What it owns: connecting (IMAPS or STARTTLS, LOGIN or XOAUTH2), listing by UID with
//! RFC822.SIZE, fetching with `BODY.PEEK[]` and INTERNALDATE, acknowledging by UID MOVE (or
//! COPY + `\Deleted` + UID EXPUNGE), and waiting with IDLE or polling; and, for the outbox,
//! looking a Message-ID up in another folder of the account ([`message_id_in_folder`]) on a
//! short connection of its own. What it must not do:
//! decide anything about a mail, rely on `\Seen`, SEARCH with CHARSET (Exchange refuses it), or
//! log a password, a token or a mail body.
//!
//! Secrets come from the environment, a file or a command, never from the TOML file.
//!
//! Errors: every method returns `anyhow::Error` wrapping an [`ImapError`] where the caller may
//! branch (a refused login, a UIDVALIDITY change, a mail that is gone). After any connection or
//! protocol error the connection is dropped and the next call connects afresh; the caller waits
//! between attempts with [`crate::backoff::delay`].

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_imap::imap_proto::{Response, Status};
use async_imap::types::UnsolicitedResponse;
use chrono::Utc;
use futures::TryStreamExt as _;
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_util::sync::CancellationToken;

use super::{Disposition, Fetched, Listed, Listing, MailSource};

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

// Secrets live in crate::secrets (the outbox uses them too).
pub use crate::secrets::{Secret, SecretError, resolve_secret};

/// TLS settings trusting `ca_file` only, or the public web roots when there is none.
pub fn tls_config(ca_file: Option<&Path>) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let pem = std::fs::read(path)
                .with_context(|| format!("failed to read CA file {}", path.display()))?;
            let mut n = 0;
            for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
                let cert =
                    cert.with_context(|| format!("failed to parse CA file {}", path.display()))?;
                roots
                    .add(cert)
                    .with_context(|| format!("unusable certificate in {}", path.display()))?;
                n += 1;
            }
            anyhow::ensure!(n > 0, "CA file {} holds no certificate", path.display());
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("failed to set up TLS")?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// What went wrong talking to the IMAP server, where the caller may want to branch.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// Wrong user name, password or token: retrying will not help until someone fixes it.
    #[error("the IMAP server {server} refused the login of {user}: {message}")]
    AuthenticationFailed {
        server: String,
        user: String,
        message: String,
    },
    #[error("failed to read the IMAP secret: {0}")]
    Secret(#[from] SecretError),
    #[error("failed to connect to {server}: {message}")]
    Connect { server: String, message: String },
    #[error("timed out during IMAP {0}")]
    Timeout(&'static str),
    /// The folder's UIDVALIDITY is not the one the UIDs were listed under: list again.
    #[error("UIDVALIDITY of {folder} changed from {listed} to {now}")]
    UidValidityChanged {
        folder: String,
        listed: u32,
        now: u32,
    },
    /// The mail is no longer in the folder (another daemon or a person moved it).
    #[error("UID {uid} is no longer in {folder}")]
    Gone { folder: String, uid: u32 },
    #[error("IMAP {action} failed: {source}")]
    Protocol {
        action: &'static str,
        #[source]
        source: async_imap::error::Error,
    },
    #[error("not an IMAP UID: {0:?}")]
    BadUid(String),
}

impl ImapError {
    /// True for a refused login (log it at ERROR; alert staff).
    pub fn is_authentication(&self) -> bool {
        matches!(
            self,
            ImapError::AuthenticationFailed { .. } | ImapError::Secret(_)
        )
    }
}

fn protocol(action: &'static str) -> impl FnOnce(async_imap::error::Error) -> ImapError {
    move |source| ImapError::Protocol { action, source }
}

// ---------------------------------------------------------------------------------------------
// Mailbox names
// ---------------------------------------------------------------------------------------------

/// A folder name in IMAP's modified UTF-7 (RFC 3501 §5.1.3): `Überprüft` → `&ANw-berpr&APw-ft`.
pub fn encode_mailbox_name(name: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    fn flush(out: &mut String, pending: &mut Vec<u16>) {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            let chars = chunk.len() + 1;
            for i in 0..chars {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out.push('-');
        pending.clear();
    }
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut pending);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut out, &mut pending);
    out
}

// ---------------------------------------------------------------------------------------------
// The source
// ---------------------------------------------------------------------------------------------

type ImapStream = tokio_rustls::client::TlsStream<TcpStream>;
type Session = async_imap::Session<ImapStream>;

/// What the server offers, as far as we care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerFeatures {
    pub idle: bool,
    /// RFC 6851 MOVE.
    pub moves: bool,
    /// RFC 4315 UIDPLUS (UID EXPUNGE).
    pub uidplus: bool,
}

struct Connection {
    session: Session,
    features: ServerFeatures,
    opened: Instant,
    /// UIDVALIDITY of the selected folder, when one is selected.
    selected: Option<u32>,
    /// Folders known to exist (encoded names).
    folders: HashSet<String>,
    /// The server reported new mail (untagged EXISTS) since the last listing.
    new_mail: bool,
}

impl Connection {
    /// Empties the unsolicited-response channel (bounded: it silently drops what overflows) and
    /// remembers whether new mail was announced.
    fn drain(&mut self) {
        while let Ok(response) = self.session.unsolicited_responses.try_recv() {
            if matches!(
                response,
                UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(_)
            ) {
                self.new_mail = true;
            }
        }
    }
}

/// XOAUTH2 (Microsoft 365, Google): `user=…^Aauth=Bearer …^A^A`. After a failure the server
/// sends a JSON error as a challenge and expects an empty answer.
struct XOAuth2 {
    payload: String,
    sent: bool,
}

impl async_imap::Authenticator for &mut XOAuth2 {
    type Response = String;

    fn process(&mut self, _challenge: &[u8]) -> String {
        if self.sent {
            return String::new();
        }
        self.sent = true;
        self.payload.clone()
    }
}

fn xoauth2_payload(user: &str, token: &str) -> String {
    format!("user={user}\x01auth=Bearer {token}\x01\x01")
}

/// An IMAP folder as a [`MailSource`]. Connects lazily, on the first call.
pub struct ImapSource {
    settings: ImapSettings,
    processed_folder: String,
    quarantine_folder: String,
    tls: Arc<rustls::ClientConfig>,
    conn: Option<Connection>,
    /// UIDVALIDITY of the last listing: UIDs handed out are valid under it only.
    listed_uidvalidity: Option<u32>,
    last_features: Option<ServerFeatures>,
}

impl ImapSource {
    /// A source for `settings.folder` that acknowledges into the given folders (created when
    /// absent). Reads the CA file now; does not connect yet.
    pub fn new(
        settings: ImapSettings,
        processed_folder: impl Into<String>,
        quarantine_folder: impl Into<String>,
    ) -> anyhow::Result<ImapSource> {
        let tls = tls_config(settings.ca_file.as_deref())?;
        Ok(ImapSource {
            settings,
            processed_folder: processed_folder.into(),
            quarantine_folder: quarantine_folder.into(),
            tls,
            conn: None,
            listed_uidvalidity: None,
            last_features: None,
        })
    }

    /// Whether a connection is open right now.
    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    /// What the server offered on the last connection.
    pub fn features(&self) -> Option<ServerFeatures> {
        self.last_features
    }

    /// Connects (and logs in) now if not connected: for a start-up check and `intake status`.
    pub async fn connect(&mut self) -> anyhow::Result<ServerFeatures> {
        let conn = self.connection().await?;
        let features = conn.features;
        self.conn = Some(conn);
        Ok(features)
    }

    fn server(&self) -> String {
        format!("{}:{}", self.settings.host, self.settings.port)
    }

    fn folder(&self) -> String {
        encode_mailbox_name(&self.settings.folder)
    }

    fn command_timeout(&self) -> Duration {
        Duration::from_secs(self.settings.command_timeout_secs.max(1))
    }

    /// The open connection, taken out of `self` (put it back on success), or a new one. A
    /// connection older than `reconnect_secs` is replaced.
    async fn connection(&mut self) -> anyhow::Result<Connection> {
        if let Some(mut conn) = self.conn.take() {
            if conn.opened.elapsed() < Duration::from_secs(self.settings.reconnect_secs) {
                return Ok(conn);
            }
            tracing::debug!(server = %self.server(), "scheduled IMAP reconnect");
            let _ = tokio::time::timeout(Duration::from_secs(5), conn.session.logout()).await;
        }
        let timeout = Duration::from_secs(self.settings.connect_timeout_secs.max(1));
        let conn = tokio::time::timeout(timeout, self.open())
            .await
            .map_err(|_| ImapError::Timeout("connect"))??;
        self.last_features = Some(conn.features);
        Ok(conn)
    }

    async fn open(&self) -> Result<Connection, ImapError> {
        let s = &self.settings;
        let connect_error = |message: String| ImapError::Connect {
            server: self.server(),
            message,
        };
        let tcp = TcpStream::connect((s.host.as_str(), s.port))
            .await
            .map_err(|e| connect_error(e.to_string()))?;
        tcp.set_nodelay(true).ok();
        let name = rustls::pki_types::ServerName::try_from(s.host.clone())
            .map_err(|e| connect_error(format!("invalid host name: {e}")))?;
        let connector = tokio_rustls::TlsConnector::from(self.tls.clone());
        let client = match s.tls {
            ImapTls::Implicit => {
                let tls = connector
                    .connect(name, tcp)
                    .await
                    .map_err(|e| connect_error(format!("TLS: {e}")))?;
                let mut client = async_imap::Client::new(tls);
                read_greeting(&mut client).await?;
                client
            }
            ImapTls::Starttls => {
                let mut plain = async_imap::Client::new(tcp);
                read_greeting(&mut plain).await?;
                plain
                    .run_command_and_check_ok("STARTTLS", None)
                    .await
                    .map_err(protocol("STARTTLS"))?;
                let tcp = plain.into_inner();
                let tls = connector
                    .connect(name, tcp)
                    .await
                    .map_err(|e| connect_error(format!("TLS after STARTTLS: {e}")))?;
                // No second greeting after STARTTLS.
                async_imap::Client::new(tls)
            }
        };
        let secret = resolve_secret(
            &s.password_env,
            s.password_file.as_deref(),
            match s.auth {
                ImapAuth::Xoauth2 => s.oauth_token_command.as_deref(),
                ImapAuth::Login => None,
            },
        )
        .await?;
        let refused = |e: async_imap::error::Error| match e {
            async_imap::error::Error::No(message) | async_imap::error::Error::Bad(message) => {
                ImapError::AuthenticationFailed {
                    server: self.server(),
                    user: s.username.clone(),
                    message,
                }
            }
            other => ImapError::Protocol {
                action: "login",
                source: other,
            },
        };
        let mut session = match s.auth {
            ImapAuth::Login => client
                .login(&s.username, secret.expose())
                .await
                .map_err(|(e, _)| refused(e))?,
            ImapAuth::Xoauth2 => {
                let mut auth = XOAuth2 {
                    payload: xoauth2_payload(&s.username, secret.expose()),
                    sent: false,
                };
                client
                    .authenticate("XOAUTH2", &mut auth)
                    .await
                    .map_err(|(e, _)| refused(e))?
            }
        };
        let caps = session
            .capabilities()
            .await
            .map_err(protocol("CAPABILITY"))?;
        let features = ServerFeatures {
            idle: caps.has_str("IDLE"),
            moves: caps.has_str("MOVE"),
            uidplus: caps.has_str("UIDPLUS"),
        };
        tracing::debug!(server = %self.server(), ?features, "IMAP connected");
        let mut conn = Connection {
            session,
            features,
            opened: Instant::now(),
            selected: None,
            folders: HashSet::new(),
            new_mail: false,
        };
        conn.drain();
        Ok(conn)
    }

    /// Selects the folder; with `expected`, fails when its UIDVALIDITY is another one.
    async fn select(&self, conn: &mut Connection, expected: Option<u32>) -> Result<u32, ImapError> {
        let uidvalidity = match conn.selected {
            Some(v) => v,
            None => {
                let mailbox = conn
                    .session
                    .select(self.folder())
                    .await
                    .map_err(protocol("SELECT"))?;
                let v = mailbox.uid_validity.unwrap_or(0);
                conn.selected = Some(v);
                v
            }
        };
        if let Some(listed) = expected
            && listed != uidvalidity
        {
            return Err(ImapError::UidValidityChanged {
                folder: self.settings.folder.clone(),
                listed,
                now: uidvalidity,
            });
        }
        Ok(uidvalidity)
    }

    /// Creates `folder` (encoded) unless it exists; tolerates another client creating it first.
    async fn ensure_folder(&self, conn: &mut Connection, folder: &str) -> Result<(), ImapError> {
        if conn.folders.contains(folder) {
            return Ok(());
        }
        let exists = |names: &[async_imap::types::Name]| names.iter().any(|n| n.name() == folder);
        let names: Vec<_> = conn
            .session
            .list(Some(""), Some(folder))
            .await
            .map_err(protocol("LIST"))?
            .try_collect()
            .await
            .map_err(protocol("LIST"))?;
        if !exists(&names) {
            if let Err(e) = conn.session.create(folder).await {
                let names: Vec<_> = conn
                    .session
                    .list(Some(""), Some(folder))
                    .await
                    .map_err(protocol("LIST"))?
                    .try_collect()
                    .await
                    .map_err(protocol("LIST"))?;
                if !exists(&names) {
                    return Err(ImapError::Protocol {
                        action: "CREATE",
                        source: e,
                    });
                }
            } else {
                tracing::info!(folder, "created IMAP folder");
            }
        }
        conn.folders.insert(folder.to_owned());
        Ok(())
    }

    async fn do_list(&mut self, conn: &mut Connection) -> Result<Listing, ImapError> {
        // A fresh SELECT every time: it reports UIDVALIDITY and makes new mail visible.
        conn.selected = None;
        let uidvalidity = self.select(conn, None).await?;
        let fetched: Vec<_> = conn
            .session
            .uid_fetch("1:*", "(UID RFC822.SIZE)")
            .await
            .map_err(protocol("UID FETCH"))?
            .try_collect()
            .await
            .map_err(protocol("UID FETCH"))?;
        conn.drain();
        conn.new_mail = false;
        let mut items: Vec<(u32, Option<u64>)> = fetched
            .iter()
            .filter_map(|f| Some((f.uid?, f.size.map(u64::from))))
            .collect();
        // A server that left a size out is asked once more per mail; still unknown, the mail
        // counts as too large (quarantined unread), never as 0 bytes (read whatever its size).
        let mut listed: Vec<(u32, u64)> = Vec::with_capacity(items.len());
        for (uid, size) in items.drain(..) {
            let size = match size {
                Some(s) => s,
                None => self.size_of(conn, uid).await?.unwrap_or(u64::MAX),
            };
            listed.push((uid, size));
        }
        let mut items = listed;
        items.sort_unstable();
        items.dedup_by_key(|(uid, _)| *uid);
        self.listed_uidvalidity = Some(uidvalidity);
        Ok(Listing {
            mailbox: self.settings.folder.clone(),
            uidvalidity: i64::from(uidvalidity),
            items: items
                .into_iter()
                .map(|(uid, size)| Listed {
                    uid: uid.to_string(),
                    size,
                })
                .collect(),
        })
    }

    /// RFC822.SIZE of one mail, asked on its own.
    async fn size_of(&mut self, conn: &mut Connection, uid: u32) -> Result<Option<u64>, ImapError> {
        let fetched: Vec<_> = conn
            .session
            .uid_fetch(uid.to_string(), "(UID RFC822.SIZE)")
            .await
            .map_err(protocol("UID FETCH"))?
            .try_collect()
            .await
            .map_err(protocol("UID FETCH"))?;
        conn.drain();
        Ok(fetched
            .iter()
            .find(|f| f.uid == Some(uid))
            .and_then(|f| f.size)
            .map(u64::from))
    }

    async fn do_fetch(&mut self, conn: &mut Connection, uid: u32) -> Result<Fetched, ImapError> {
        self.select(conn, self.listed_uidvalidity).await?;
        let fetched: Vec<_> = conn
            .session
            .uid_fetch(uid.to_string(), "(UID INTERNALDATE BODY.PEEK[])")
            .await
            .map_err(protocol("UID FETCH"))?
            .try_collect()
            .await
            .map_err(protocol("UID FETCH"))?;
        conn.drain();
        let Some(found) = fetched.iter().find(|f| f.uid == Some(uid)) else {
            return Err(ImapError::Gone {
                folder: self.settings.folder.clone(),
                uid,
            });
        };
        Ok(Fetched {
            uid: uid.to_string(),
            raw: found.body().unwrap_or_default().to_vec(),
            internal_date: found.internal_date().map(|d| d.with_timezone(&Utc)),
            file_time: None,
        })
    }

    async fn do_ack(
        &mut self,
        conn: &mut Connection,
        uid: u32,
        disposition: Disposition,
    ) -> Result<(), ImapError> {
        let target = encode_mailbox_name(match disposition {
            Disposition::Processed => &self.processed_folder,
            Disposition::Quarantine => &self.quarantine_folder,
        });
        self.ensure_folder(conn, &target).await?;
        self.select(conn, self.listed_uidvalidity).await?;
        let uid = uid.to_string();
        if conn.features.moves {
            conn.session
                .uid_mv(&uid, &target)
                .await
                .map_err(protocol("UID MOVE"))?;
        } else {
            conn.session
                .uid_copy(&uid, &target)
                .await
                .map_err(protocol("UID COPY"))?;
            let _: Vec<_> = conn
                .session
                .uid_store(&uid, "+FLAGS.SILENT (\\Deleted)")
                .await
                .map_err(protocol("UID STORE"))?
                .try_collect()
                .await
                .map_err(protocol("UID STORE"))?;
            if conn.features.uidplus {
                let _: Vec<_> = conn
                    .session
                    .uid_expunge(&uid)
                    .await
                    .map_err(protocol("UID EXPUNGE"))?
                    .try_collect()
                    .await
                    .map_err(protocol("UID EXPUNGE"))?;
            } else {
                // Without UIDPLUS, EXPUNGE removes every \Deleted mail in the folder; those are
                // mails already copied away by us or another daemon, so nothing is lost.
                let _: Vec<_> = conn
                    .session
                    .expunge()
                    .await
                    .map_err(protocol("EXPUNGE"))?
                    .try_collect()
                    .await
                    .map_err(protocol("EXPUNGE"))?;
            }
        }
        conn.drain();
        Ok(())
    }

    /// IDLE (or a plain sleep) for at most `max_wait`; returns early on new mail or `cancel`.
    async fn do_wait(
        &mut self,
        mut conn: Connection,
        max_wait: Duration,
        cancel: &CancellationToken,
    ) -> Result<Connection, ImapError> {
        self.select(&mut conn, None).await?;
        conn.drain();
        if conn.new_mail {
            return Ok(conn);
        }
        if !(self.settings.idle && conn.features.idle) {
            tokio::select! {
                () = tokio::time::sleep(max_wait) => {}
                () = cancel.cancelled() => {}
            }
            return Ok(conn);
        }
        let renew = Duration::from_secs(self.settings.idle_renew_secs.clamp(1, 1500));
        let limit = max_wait.min(renew);
        let Connection {
            session,
            features,
            opened,
            selected,
            folders,
            mut new_mail,
        } = conn;
        let mut handle = session.idle();
        tokio::time::timeout(self.command_timeout(), handle.init())
            .await
            .map_err(|_| ImapError::Timeout("IDLE"))?
            .map_err(protocol("IDLE"))?;
        {
            // `wait_with_timeout` restarts its timer on every keep-alive ("* OK Still here"),
            // so the overall limit is enforced here.
            let (idle, _stop) = handle.wait_with_timeout(limit);
            tokio::select! {
                outcome = idle => {
                    if let async_imap::extensions::idle::IdleResponse::NewData(_) =
                        outcome.map_err(protocol("IDLE"))?
                    {
                        new_mail = true;
                    }
                }
                () = tokio::time::sleep(limit) => {}
                () = cancel.cancelled() => {}
            }
        }
        let session = tokio::time::timeout(self.command_timeout(), handle.done())
            .await
            .map_err(|_| ImapError::Timeout("DONE"))?
            .map_err(protocol("DONE"))?;
        let mut conn = Connection {
            session,
            features,
            opened,
            selected,
            folders,
            new_mail,
        };
        conn.drain();
        Ok(conn)
    }
}

async fn read_greeting<T>(client: &mut async_imap::Client<T>) -> Result<(), ImapError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let greeting = client
        .read_response()
        .await
        .map_err(|e| ImapError::Protocol {
            action: "greeting",
            source: e.into(),
        })?
        .ok_or(ImapError::Protocol {
            action: "greeting",
            source: async_imap::error::Error::ConnectionLost,
        })?;
    match greeting.parsed() {
        Response::Data {
            status: Status::Ok | Status::PreAuth,
            ..
        } => Ok(()),
        other => Err(ImapError::Protocol {
            action: "greeting",
            source: async_imap::error::Error::Bad(format!("{other:?}")),
        }),
    }
}

fn parse_uid(uid: &str) -> Result<u32, ImapError> {
    uid.parse::<u32>()
        .ok()
        .filter(|u| *u > 0)
        .ok_or_else(|| ImapError::BadUid(uid.to_owned()))
}

/// Whether the connection may be kept after this error.
fn keeps_connection(e: &ImapError) -> bool {
    matches!(
        e,
        ImapError::Gone { .. } | ImapError::UidValidityChanged { .. } | ImapError::BadUid(_)
    )
}

impl MailSource for ImapSource {
    fn describe(&self) -> String {
        format!(
            "imap://{}@{}:{}/{}",
            self.settings.username, self.settings.host, self.settings.port, self.settings.folder
        )
    }

    async fn list(&mut self) -> anyhow::Result<Listing> {
        let mut conn = self.connection().await?;
        let timeout = self.command_timeout();
        match tokio::time::timeout(timeout, self.do_list(&mut conn)).await {
            Ok(Ok(listing)) => {
                self.conn = Some(conn);
                Ok(listing)
            }
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(ImapError::Timeout("list").into()),
        }
    }

    async fn fetch(&mut self, uid: &str) -> anyhow::Result<Fetched> {
        let uid = parse_uid(uid)?;
        let mut conn = self.connection().await?;
        let timeout = self.command_timeout();
        match tokio::time::timeout(timeout, self.do_fetch(&mut conn, uid)).await {
            Ok(Ok(fetched)) => {
                self.conn = Some(conn);
                Ok(fetched)
            }
            Ok(Err(e)) => {
                if keeps_connection(&e) {
                    self.conn = Some(conn);
                }
                Err(e.into())
            }
            Err(_) => Err(ImapError::Timeout("fetch").into()),
        }
    }

    async fn ack(&mut self, uid: &str, disposition: Disposition) -> anyhow::Result<()> {
        let uid = parse_uid(uid)?;
        let mut conn = self.connection().await?;
        let timeout = self.command_timeout();
        match tokio::time::timeout(timeout, self.do_ack(&mut conn, uid, disposition)).await {
            Ok(Ok(())) => {
                self.conn = Some(conn);
                Ok(())
            }
            Ok(Err(e)) => {
                if keeps_connection(&e) {
                    self.conn = Some(conn);
                }
                Err(e.into())
            }
            Err(_) => Err(ImapError::Timeout("ack").into()),
        }
    }

    async fn wait(&mut self, max_wait: Duration, cancel: &CancellationToken) -> anyhow::Result<()> {
        if cancel.is_cancelled() {
            return Ok(());
        }
        let conn = self.connection().await?;
        // The wait itself bounds its time; the extra minute covers IDLE start and DONE.
        let limit = max_wait + self.command_timeout() * 2;
        match tokio::time::timeout(limit, self.do_wait(conn, max_wait, cancel)).await {
            Ok(Ok(conn)) => {
                self.conn = Some(conn);
                Ok(())
            }
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(ImapError::Timeout("wait").into()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Looking a sent letter up
// ---------------------------------------------------------------------------------------------

/// Whether a message with this `Message-ID` is in `folder` of the account in `settings`.
///
/// For the outbox: Microsoft 365 and Gmail keep a copy of every mail submitted over SMTP in the
/// account's sent folder, so a letter whose sending was cut off by a crash can be looked up
/// there before it is sent again. Opens its own short connection (the [`ImapSource`]'s belongs
/// to the mailbox loop), EXAMINEs the folder (read-only) and runs
/// `UID SEARCH HEADER Message-ID "<id>"` without CHARSET (Exchange refuses CHARSET). A folder
/// that cannot be opened is an error, not "absent": a misnamed sent folder must not make every
/// interrupted letter go out twice.
pub async fn message_id_in_folder(
    settings: &ImapSettings,
    folder: &str,
    message_id: &str,
) -> anyhow::Result<bool> {
    let criterion = message_id_criterion(message_id)?;
    let source = ImapSource::new(settings.clone(), "", "")?;
    let connect_timeout = Duration::from_secs(settings.connect_timeout_secs.max(1));
    let mut conn = tokio::time::timeout(connect_timeout, source.open())
        .await
        .map_err(|_| ImapError::Timeout("connect"))??;
    let mailbox = encode_mailbox_name(folder);
    let search = async {
        conn.session
            .examine(&mailbox)
            .await
            .map_err(protocol("EXAMINE"))?;
        let uids = conn
            .session
            .uid_search(&criterion)
            .await
            .map_err(protocol("UID SEARCH"))?;
        Ok::<_, ImapError>(!uids.is_empty())
    };
    let found = tokio::time::timeout(source.command_timeout(), search)
        .await
        .map_err(|_| ImapError::Timeout("UID SEARCH"))?
        .with_context(|| format!("failed to look for a message in the folder {folder:?}"));
    let _ = tokio::time::timeout(Duration::from_secs(5), conn.session.logout()).await;
    found
}

/// `HEADER Message-ID "<…>"` as an IMAP quoted string: `\` and `"` escaped; anything that a
/// quoted string cannot carry (control characters, non-ASCII, which would need CHARSET) refused.
fn message_id_criterion(message_id: &str) -> anyhow::Result<String> {
    let id = message_id.trim();
    anyhow::ensure!(
        !id.is_empty() && id.chars().all(|c| c.is_ascii() && !c.is_ascii_control()),
        "a Message-ID that IMAP SEARCH cannot carry: {id:?}"
    );
    let mut quoted = String::with_capacity(id.len() + 2);
    for c in id.chars() {
        if matches!(c, '\\' | '"') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    Ok(format!("HEADER Message-ID \"{quoted}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(toml_text: &str) -> Result<ImapSettings, toml::de::Error> {
        toml::from_str(toml_text)
    }

    #[test]
    fn settings_take_defaults_for_everything_but_host_and_user() {
        let s = settings("host = \"imap.example.org\"\nusername = \"intake\"").unwrap();
        assert_eq!(s.port, 993);
        assert_eq!(s.tls, ImapTls::Implicit);
        assert_eq!(s.auth, ImapAuth::Login);
        assert_eq!(s.password_env, "INTAKE__MAILBOX__IMAP__PASSWORD");
        assert_eq!(s.folder, "INBOX");
        assert!(s.idle);
        assert!(s.problems().is_empty(), "{:?}", s.problems());
    }

    #[test]
    fn settings_refuse_unknown_fields_and_a_password_in_the_file() {
        let err = settings("host = \"h\"\nusername = \"u\"\npassword = \"geheim\"").unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    #[test]
    fn settings_report_an_idle_renewal_beyond_29_minutes() {
        let s = settings("host = \"h\"\nusername = \"u\"\nidle_renew_secs = 1800").unwrap();
        let problems = s.problems();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, "idle_renew_secs");
    }

    #[test]
    fn settings_accept_starttls_and_xoauth2() {
        let s = settings(
            "host = \"outlook.office365.com\"\nport = 143\ntls = \"starttls\"\nusername = \"u\"\n\
             auth = \"xoauth2\"\noauth_token_command = \"get-token\"",
        )
        .unwrap();
        assert_eq!(s.tls, ImapTls::Starttls);
        assert_eq!(s.auth, ImapAuth::Xoauth2);
    }

    #[test]
    fn mailbox_names_are_encoded_in_modified_utf7() {
        assert_eq!(encode_mailbox_name("INBOX"), "INBOX");
        assert_eq!(encode_mailbox_name("Verwerkt"), "Verwerkt");
        assert_eq!(encode_mailbox_name("A&B"), "A&-B");
        // RFC 3501 §5.1.3's example.
        assert_eq!(
            encode_mailbox_name("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(encode_mailbox_name("Überprüft"), "&ANw-berpr&APw-ft");
    }

    #[test]
    fn xoauth2_sends_the_token_once_and_then_an_empty_answer() {
        use async_imap::Authenticator as _;
        let mut auth = XOAuth2 {
            payload: xoauth2_payload("me@example.org", "tok"),
            sent: false,
        };
        let mut a = &mut auth;
        assert_eq!(
            a.process(b""),
            "user=me@example.org\x01auth=Bearer tok\x01\x01"
        );
        assert_eq!(a.process(b"{\"status\":\"401\"}"), "");
    }

    #[test]
    fn a_message_id_is_searched_as_a_quoted_header_value_without_charset() {
        assert_eq!(
            message_id_criterion(" <abc.1@vng.nl> ").expect("plain id"),
            "HEADER Message-ID \"<abc.1@vng.nl>\""
        );
        assert_eq!(
            message_id_criterion("<a\"b\\c@x>").expect("quotable id"),
            "HEADER Message-ID \"<a\\\"b\\\\c@x>\""
        );
        assert!(message_id_criterion("<a\r\nb@x>").is_err());
        assert!(message_id_criterion("<é@x>").is_err());
        assert!(message_id_criterion("  ").is_err());
    }
}
