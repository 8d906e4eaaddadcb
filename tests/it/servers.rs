//! Real servers for the integration tests: PostgreSQL, Dovecot (IMAP) and an SMTP sink, each
//! started as a plain child process on 127.0.0.1 high ports in its own temporary directory.
//!
//! Nothing here is a mock. What this module must not do: touch the system's own services or
//! configuration (everything lives under a temp dir), or leave a process behind.
//!
//! How processes are stopped:
//! - Every server has a `Drop` that stops it and waits for it.
//! - Every server also has a *watchdog*: a tiny `sh` that blocks on a pipe whose other end only
//!   this test process holds. When the test process ends for any reason (normal exit, panic,
//!   SIGKILL), the kernel closes the pipe, the watchdog wakes up and stops the server and deletes
//!   its directory. That is what stops the shared PostgreSQL, which lives in a `static` and is
//!   therefore never dropped. The watchdog runs in its own process group so that a Ctrl-C on
//!   `cargo test` does not kill it before it has cleaned up.
//!
//! PostgreSQL is started once per test binary ([`Postgres::shared`]) and every test gets a fresh
//! database from [`Postgres::fresh_database`]; Dovecot and the SMTP sink are cheap (well under a
//! second) and are started per test.
//!
//! Needs the Debian packages `postgresql`, `dovecot-imapd`, `python3-aiosmtpd` and `openssl`
//! (`scripts/install-test-deps.sh`).

// Helpers for the other test modules; not every one is used by every module yet.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use futures::TryStreamExt as _;
use tokio_rustls::rustls;

// ---------------------------------------------------------------------------------------------
// Shared plumbing
// ---------------------------------------------------------------------------------------------

/// A port that was free a moment ago. Callers retry when a server still fails to bind it.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("failed to find a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Waits until something accepts TCP connections on `port`, or `child` exits, or time runs out.
fn wait_for_port(port: u16, child: Option<&mut Child>, timeout: Duration) -> anyhow::Result<()> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + timeout;
    let mut child = child;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Some(c) = child.as_deref_mut()
            && let Some(status) = c.try_wait()?
        {
            bail!("server exited with {status} before listening on port {port}");
        }
        if Instant::now() > deadline {
            bail!("nothing listens on port {port} after {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

fn command_output(program: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("failed to run {program}"))?;
    if !out.status.success() {
        bail!(
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let out = cmd
        .output()
        .with_context(|| format!("failed to run {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed with {}: {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Stops a server when the test process ends, however it ends (see the module docs).
struct Watchdog {
    _child: Child,
    _stdin: ChildStdin,
}

impl Watchdog {
    fn spawn(cleanup_script: &str) -> anyhow::Result<Watchdog> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("cat >/dev/null; {cleanup_script}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .context("failed to start a watchdog shell")?;
        let stdin = child.stdin.take().context("watchdog has no stdin")?;
        Ok(Watchdog {
            _child: child,
            _stdin: stdin,
        })
    }
}

/// Sends SIGTERM to `pid` (std only offers SIGKILL).
fn terminate(pid: u32) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status();
}

/// Stops a child: SIGTERM, up to `grace` to exit, then SIGKILL.
fn stop_child(child: &mut Child, grace: Duration) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    terminate(child.id());
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A self-signed *leaf* certificate for 127.0.0.1 and localhost (rustls refuses a CA certificate
/// as a server certificate). Returns (certificate, key) paths.
pub fn self_signed_certificate(dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    run(Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .arg("ec_paramgen_curve:prime256v1")
        .args(["-nodes", "-days", "7", "-subj", "/CN=localhost"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert))
    .context("failed to make a self-signed certificate (is openssl installed?)")?;
    Ok((cert, key))
}

/// A rustls client configuration that trusts exactly the certificate(s) in `ca_pem`.
pub fn tls_client_config(ca_pem: &Path) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let pem = std::fs::read(ca_pem).with_context(|| format!("failed to read {ca_pem:?}"))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(cert?)?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------------

/// A throwaway PostgreSQL cluster on 127.0.0.1 with trust authentication.
pub struct Postgres {
    /// `postgres://postgres@127.0.0.1:PORT/postgres`
    pub url: String,
    pub port: u16,
    dir: PathBuf,
    data: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    _watchdog: Watchdog,
}

static SHARED_POSTGRES: OnceLock<Result<Postgres, String>> = OnceLock::new();
static DATABASE_COUNTER: AtomicU32 = AtomicU32::new(0);

/// Debian's server binaries (`/usr/lib/postgresql/<newest>/bin`), else whatever is on PATH.
fn postgres_bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).unwrap_or_default()
}

impl Postgres {
    /// The cluster shared by every test in this binary, started on first use and stopped by its
    /// watchdog when the test process exits.
    pub fn shared() -> anyhow::Result<&'static Postgres> {
        match SHARED_POSTGRES.get_or_init(|| Postgres::start().map_err(|e| format!("{e:#}"))) {
            Ok(pg) => Ok(pg),
            Err(e) => bail!("failed to start the shared PostgreSQL: {e}"),
        }
    }

    /// Starts a new cluster of its own (prefer [`Postgres::shared`]; initdb takes a second or two).
    pub fn start() -> anyhow::Result<Postgres> {
        let bin = postgres_bin_dir();
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("intake-it-pg-")
            .tempdir()
            .context("failed to make a temp dir")?
            .keep();
        let data = dir.join("data");
        if as_postgres {
            run(Command::new("chown").arg("-R").arg("postgres:").arg(&dir))?;
        }
        let pg = |program: &str| -> Command {
            let path = bin.join(program);
            if as_postgres {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(path);
                c
            } else {
                Command::new(path)
            }
        };
        // The watchdog exists before the server does, so no path leaves a server behind.
        let stop = {
            let mut c = pg("pg_ctl");
            c.arg("-D").arg(&data).args(["stop", "-m", "immediate"]);
            let parts: Vec<String> = std::iter::once(c.get_program())
                .chain(c.get_args())
                .map(|s| shell_quote(&s.to_string_lossy()))
                .collect();
            parts.join(" ")
        };
        let watchdog = Watchdog::spawn(&format!(
            "{stop} >/dev/null 2>&1; rm -rf {}",
            shell_quote(&dir.to_string_lossy())
        ))?;
        run(pg("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
            .env("LC_ALL", "C"))
        .context("initdb failed (is the postgresql package installed?)")?;

        let mut last_error = None;
        for _ in 0..5 {
            let port = free_port()?;
            let options = format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
                dir.display()
            );
            let started = run(pg("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(dir.join("postgres.log"))
                .args(["-w", "-t", "30", "-o", &options, "start"])
                .stdin(Stdio::null()));
            match started {
                Ok(()) => {
                    return Ok(Postgres {
                        url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
                        port,
                        dir,
                        data,
                        bin,
                        as_postgres,
                        _watchdog: watchdog,
                    });
                }
                Err(e) => last_error = Some(e),
            }
        }
        let log = std::fs::read_to_string(dir.join("postgres.log")).unwrap_or_default();
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("no attempt made")))
            .with_context(|| format!("failed to start postgres; its log:\n{log}"))
    }

    /// Creates an empty database `t_<pid>_<n>` and returns its URL.
    pub async fn fresh_database(&self) -> anyhow::Result<String> {
        use sqlx::Connection as _;
        let n = DATABASE_COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("t_{}_{n}", std::process::id());
        let mut conn = sqlx::PgConnection::connect(&self.url)
            .await
            .context("failed to connect to the test postgres")?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .with_context(|| format!("failed to create database {name}"))?;
        conn.close().await.ok();
        Ok(format!(
            "postgres://postgres@127.0.0.1:{}/{name}",
            self.port
        ))
    }
}

/// A fresh database on the shared cluster: the one call most tests need.
pub async fn fresh_postgres_database() -> anyhow::Result<String> {
    Postgres::shared()?.fresh_database().await
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"])
                .arg(self.bin.join("pg_ctl"));
            c
        } else {
            Command::new(self.bin.join("pg_ctl"))
        };
        let _ = c
            .arg("-D")
            .arg(&self.data)
            .args(["stop", "-m", "immediate"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------------------------------------
// Dovecot
// ---------------------------------------------------------------------------------------------

/// What the Dovecot instance offers.
#[derive(Debug, Clone)]
pub struct DovecotOptions {
    /// Advertise MOVE (RFC 6851). Off: the client must fall back to COPY + EXPUNGE.
    pub offer_move: bool,
    /// Advertise IDLE (RFC 2177). Off: the client must poll.
    pub offer_idle: bool,
    /// (user, password) pairs; plain passwords in a passwd-file.
    pub users: Vec<(String, String)>,
}

impl Default for DovecotOptions {
    fn default() -> Self {
        DovecotOptions {
            offer_move: true,
            offer_idle: true,
            users: vec![("intake".into(), "secret".into())],
        }
    }
}

/// Dovecot 2.3's post-login capabilities, minus the ones a test may switch off.
const DOVECOT_BASE_CAPABILITIES: &str = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT \
    SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL \
    CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC \
    ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY SNIPPET=FUZZY STATUS=SIZE \
    SAVEDATE LITERAL+";

/// A Dovecot IMAP server: IMAPS on `imaps_port`, plain IMAP with STARTTLS on `imap_port`,
/// Maildir storage under its temp dir, users from a passwd-file.
pub struct Dovecot {
    pub imaps_port: u16,
    /// Plain IMAP; the client must STARTTLS before LOGIN (plaintext auth is disabled).
    pub imap_port: u16,
    /// The server's self-signed certificate: give it to the client as its CA file.
    pub ca_pem: PathBuf,
    pub options: DovecotOptions,
    dir: tempfile::TempDir,
    child: Option<Child>,
    _watchdog: Watchdog,
}

impl Dovecot {
    /// Dovecot with MOVE and IDLE and one user `intake` / `secret`.
    pub fn start() -> anyhow::Result<Dovecot> {
        Dovecot::start_with(DovecotOptions::default())
    }

    pub fn start_with(options: DovecotOptions) -> anyhow::Result<Dovecot> {
        let dir = tempfile::Builder::new()
            .prefix("intake-it-dovecot-")
            .tempdir()
            .context("failed to make a temp dir")?;
        let (ca_pem, _key) = self_signed_certificate(dir.path())?;
        for sub in ["run", "state", "mail", "home"] {
            std::fs::create_dir_all(dir.path().join(sub))?;
        }
        let run_dir = dir.path().join("run");
        let watchdog = Watchdog::spawn(&format!(
            "kill -TERM -- -$(cat {pid}) 2>/dev/null; sleep 1; rm -rf {dir}",
            pid = shell_quote(&run_dir.join("master.pid").to_string_lossy()),
            dir = shell_quote(&dir.path().to_string_lossy()),
        ))?;
        let mut dovecot = Dovecot {
            imaps_port: 0,
            imap_port: 0,
            ca_pem,
            options,
            dir,
            child: None,
            _watchdog: watchdog,
        };
        let mut last_error = None;
        for _ in 0..5 {
            dovecot.imaps_port = free_port()?;
            dovecot.imap_port = free_port()?;
            match dovecot.spawn() {
                Ok(()) => return Ok(dovecot),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("no attempt made")))
    }

    /// (user, group) that the mail processes run as: `nobody` when we are root (Dovecot refuses
    /// mail access as root), else ourselves.
    fn identity() -> anyhow::Result<(String, String)> {
        if is_root() {
            Ok(("nobody".into(), "nogroup".into()))
        } else {
            Ok((
                command_output("id", &["-un"])?,
                command_output("id", &["-gn"])?,
            ))
        }
    }

    fn write_config(&self) -> anyhow::Result<PathBuf> {
        let d = self.dir.path().display();
        let (user, group) = Dovecot::identity()?;
        let mut users = String::new();
        for (name, password) in &self.options.users {
            users.push_str(&format!("{name}:{{PLAIN}}{password}::::::\n"));
        }
        std::fs::write(self.dir.path().join("users"), users)?;
        let mut capabilities = DOVECOT_BASE_CAPABILITIES.to_owned();
        if self.options.offer_idle {
            capabilities.push_str(" IDLE");
        }
        if self.options.offer_move {
            capabilities.push_str(" MOVE");
        }
        let config = format!(
            r#"# written by tests/it/servers.rs
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = 1
mail_location = maildir:{d}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={d}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
protocol imap {{
  mail_max_userip_connections = 500
  imap_capability = {capabilities}
}}
"#,
            imap = self.imap_port,
            imaps = self.imaps_port,
        );
        let path = self.dir.path().join("dovecot.conf");
        std::fs::write(&path, config)?;
        if is_root() {
            for sub in ["mail", "home"] {
                run(Command::new("chown")
                    .arg("-R")
                    .arg(format!("{user}:{group}"))
                    .arg(self.dir.path().join(sub)))?;
            }
        }
        Ok(path)
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let config = self.write_config()?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("dovecot.stderr"))?;
        let mut child = Command::new("dovecot")
            // Its own process group, so that stopping waits for every imap child too.
            .process_group(0)
            .arg("-F")
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("failed to start dovecot (is dovecot-imapd installed?)")?;
        let ready = wait_for_port(self.imaps_port, Some(&mut child), Duration::from_secs(15))
            .and_then(|()| wait_for_port(self.imap_port, Some(&mut child), Duration::from_secs(5)));
        if let Err(e) = ready {
            stop_child(&mut child, Duration::from_secs(2));
            let stderr =
                std::fs::read_to_string(self.dir.path().join("dovecot.stderr")).unwrap_or_default();
            let log =
                std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default();
            return Err(e).context(format!("dovecot did not start:\n{stderr}\n{log}"));
        }
        self.child = Some(child);
        Ok(())
    }

    /// Stops the server (SIGTERM, waits for the master and all its imap processes, which may
    /// still write index files as they exit). Clients see their connections drop.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let group = format!("-{}", child.id());
            stop_child(&mut child, Duration::from_secs(5));
            let alive = || {
                Command::new("kill")
                    .args(["-0", "--", &group])
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            };
            let deadline = Instant::now() + Duration::from_secs(5);
            while alive() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if alive() {
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &group])
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }

    /// Stops and starts again on the same ports with the current [`DovecotOptions`].
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop();
        let mut last_error = None;
        for _ in 0..20 {
            match self.spawn() {
                Ok(()) => return Ok(()),
                Err(e) => last_error = Some(e),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("no attempt made")))
    }

    /// Switches MOVE on or off (restarts the server).
    pub fn set_offer_move(&mut self, offer: bool) -> anyhow::Result<()> {
        self.options.offer_move = offer;
        self.restart()
    }

    /// The Maildir of `folder` (`INBOX` or a folder name with `/` as separator).
    pub fn maildir(&self, user: &str, folder: &str) -> PathBuf {
        let root = self.dir.path().join("mail").join(user);
        if folder.eq_ignore_ascii_case("INBOX") {
            root
        } else {
            root.join(format!(".{}", folder.replace('/', ".")))
        }
    }

    /// Forces a new UIDVALIDITY on `folder`, as a server does after its index is rebuilt: stops
    /// Dovecot, deletes the folder's `dovecot-uidlist` and index files, starts it again. The
    /// messages stay; they get new UIDs under a new UIDVALIDITY (Dovecot takes the next value
    /// from its `dovecot-uidvalidity` file, so it always differs from the old one).
    pub fn force_uidvalidity_change(&mut self, user: &str, folder: &str) -> anyhow::Result<()> {
        self.stop();
        let maildir = self.maildir(user, folder);
        for entry in std::fs::read_dir(&maildir)
            .with_context(|| format!("failed to read {maildir:?}"))?
            .flatten()
        {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name == "dovecot-uidlist" || name.starts_with("dovecot.index") {
                std::fs::remove_file(entry.path())?;
            }
        }
        // The mailbox list index caches UIDVALIDITY too.
        let root = self.dir.path().join("mail").join(user);
        for entry in std::fs::read_dir(&root)?.flatten() {
            if entry
                .file_name()
                .to_string_lossy()
                .starts_with("dovecot.list.index")
            {
                std::fs::remove_file(entry.path())?;
            }
        }
        self.restart()
    }

    fn password(&self, user: &str) -> anyhow::Result<&str> {
        self.options
            .users
            .iter()
            .find(|(u, _)| u == user)
            .map(|(_, p)| p.as_str())
            .with_context(|| format!("no such dovecot user {user}"))
    }

    /// A logged-in IMAPS session (a plain client, independent of the code under test).
    pub async fn session(&self, user: &str) -> anyhow::Result<TestImapSession> {
        let password = self.password(user)?.to_owned();
        self.login(user, &password).await
    }

    /// Logs in over IMAPS with the given password (which may be wrong).
    pub async fn login(&self, user: &str, password: &str) -> anyhow::Result<TestImapSession> {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.imaps_port)).await?;
        let connector = tokio_rustls::TlsConnector::from(tls_client_config(&self.ca_pem)?);
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1")?;
        let tls = connector.connect(name, tcp).await?;
        let mut client = async_imap::Client::new(tls);
        client.read_response().await?.context("no IMAP greeting")?;
        let session = client
            .login(user, password)
            .await
            .map_err(|(e, _)| e)
            .context("test IMAP login failed")?;
        Ok(session)
    }

    /// APPENDs `raw` to `folder` (created when absent), with `internal_date` as INTERNALDATE
    /// when given. Returns the new UID (from APPENDUID) when the server reported one.
    pub async fn append(
        &self,
        user: &str,
        folder: &str,
        raw: &[u8],
        internal_date: Option<chrono::DateTime<chrono::FixedOffset>>,
    ) -> anyhow::Result<()> {
        let mut session = self.session(user).await?;
        if !folder.eq_ignore_ascii_case("INBOX") {
            // Fails harmlessly when it exists.
            let _ = session.create(folder).await;
        }
        let date = internal_date.map(|d| format!("\"{}\"", d.format("%d-%b-%Y %H:%M:%S %z")));
        session
            .append(folder, None, date.as_deref(), raw)
            .await
            .with_context(|| format!("failed to APPEND to {folder}"))?;
        session.logout().await.ok();
        Ok(())
    }

    /// Every message in `folder`, in UID order (empty when the folder does not exist).
    pub async fn list_folder(&self, user: &str, folder: &str) -> anyhow::Result<Vec<Vec<u8>>> {
        Ok(self
            .fetch_folder(user, folder)
            .await?
            .into_iter()
            .map(|(_, _, body)| body)
            .collect())
    }

    /// (UIDVALIDITY, UID, raw message) for every message in `folder`, in UID order.
    pub async fn fetch_folder(
        &self,
        user: &str,
        folder: &str,
    ) -> anyhow::Result<Vec<(u32, u32, Vec<u8>)>> {
        let mut session = self.session(user).await?;
        let mailbox = match session.select(folder).await {
            Ok(m) => m,
            Err(_) => return Ok(Vec::new()),
        };
        let uidvalidity = mailbox.uid_validity.unwrap_or(0);
        let mut out = Vec::new();
        if mailbox.exists > 0 {
            let fetches: Vec<_> = session
                .uid_fetch("1:*", "(UID BODY.PEEK[])")
                .await?
                .try_collect()
                .await?;
            for f in fetches {
                if let (Some(uid), Some(body)) = (f.uid, f.body()) {
                    out.push((uidvalidity, uid, body.to_vec()));
                }
            }
        }
        session.logout().await.ok();
        out.sort_by_key(|(_, uid, _)| *uid);
        Ok(out)
    }

    /// The folder's UIDVALIDITY (selecting it).
    pub async fn uidvalidity(&self, user: &str, folder: &str) -> anyhow::Result<u32> {
        let mut session = self.session(user).await?;
        let mailbox = session.select(folder).await?;
        session.logout().await.ok();
        mailbox.uid_validity.context("no UIDVALIDITY")
    }

    /// Dovecot's own log, for assertions and for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }
}

/// The session type [`Dovecot::session`] returns.
pub type TestImapSession =
    async_imap::Session<tokio_rustls::client::TlsStream<tokio::net::TcpStream>>;

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---------------------------------------------------------------------------------------------
// SMTP sink
// ---------------------------------------------------------------------------------------------

/// How the SMTP sink is set up.
#[derive(Debug, Clone)]
pub struct SmtpSinkOptions {
    /// Implicit TLS (SMTPS) instead of STARTTLS.
    pub implicit_tls: bool,
    pub username: String,
    pub password: String,
    /// The bearer token accepted by AUTH XOAUTH2.
    pub oauth_token: Option<String>,
    /// Seconds to wait before answering DATA (for benchmarks and timeout tests).
    pub data_delay_secs: f64,
    /// Behave like Microsoft 365 and Gmail, which keep a copy of every submitted mail in the
    /// account's sent folder: drop each accepted message into this Maildir folder (e.g.
    /// `dovecot.maildir(user, "Sent")`) as `new/<unique name>`, before answering 250.
    pub sent_maildir: Option<PathBuf>,
}

impl Default for SmtpSinkOptions {
    fn default() -> Self {
        SmtpSinkOptions {
            implicit_tls: false,
            username: "intake".into(),
            password: "secret".into(),
            oauth_token: Some("test-token".into()),
            data_delay_secs: 0.0,
            sent_maildir: None,
        }
    }
}

/// What the sink answers instead of accepting (see [`SmtpSink::set_failure`]).
#[derive(Debug, Clone)]
pub enum SinkFailure {
    /// Accept everything.
    None,
    /// Answer every MAIL FROM / RCPT TO with this reply, e.g. `"451 4.3.0 try later"`.
    All(String),
    /// Answer RCPT TO for this (lowercase) address with this reply.
    Recipient { address: String, reply: String },
}

/// The envelope of one received message.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SinkEnvelope {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    /// The AUTH identity, if the client authenticated.
    pub login: Option<String>,
    /// Whether the message came over TLS (STARTTLS or implicit).
    pub tls: bool,
}

/// A real SMTP server (Python aiosmtpd) with STARTTLS + AUTH that stores what it accepts.
pub struct SmtpSink {
    pub port: u16,
    /// The server's self-signed certificate: give it to the client as its CA file.
    pub ca_pem: PathBuf,
    pub options: SmtpSinkOptions,
    dir: tempfile::TempDir,
    process: Option<(Child, ChildStdin)>,
}

fn python3() -> &'static str {
    // Debian's interpreter has python3-aiosmtpd; a pyenv python3 earlier in PATH does not.
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

impl SmtpSink {
    /// STARTTLS, AUTH PLAIN/LOGIN as `intake` / `secret`, XOAUTH2 with token `test-token`.
    pub fn start() -> anyhow::Result<SmtpSink> {
        SmtpSink::start_with(SmtpSinkOptions::default())
    }

    pub fn start_with(options: SmtpSinkOptions) -> anyhow::Result<SmtpSink> {
        let dir = tempfile::Builder::new()
            .prefix("intake-it-smtp-")
            .tempdir()
            .context("failed to make a temp dir")?;
        let (ca_pem, _key) = self_signed_certificate(dir.path())?;
        std::fs::create_dir_all(dir.path().join("mail"))?;
        let mut sink = SmtpSink {
            port: 0,
            ca_pem,
            options,
            dir,
            process: None,
        };
        let mut last_error = None;
        for _ in 0..5 {
            sink.port = free_port()?;
            match sink.spawn() {
                Ok(()) => return Ok(sink),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("no attempt made")))
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/testenv/smtp_sink.py");
        let d = self.dir.path();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join("sink.log"))?;
        let mut cmd = Command::new(python3());
        cmd.arg(&script)
            .args(["--port", &self.port.to_string()])
            .arg("--dir")
            .arg(d)
            .arg("--cert")
            .arg(&self.ca_pem)
            .arg("--key")
            .arg(d.join("key.pem"))
            .args(["--user", &self.options.username])
            .args(["--password", &self.options.password])
            .args(["--delay", &self.options.data_delay_secs.to_string()]);
        if let Some(token) = &self.options.oauth_token {
            cmd.args(["--token", token]);
        }
        if self.options.implicit_tls {
            cmd.arg("--implicit-tls");
        }
        if let Some(sent) = &self.options.sent_maildir {
            cmd.arg("--sent-maildir").arg(sent);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("failed to start the SMTP sink (is python3-aiosmtpd installed?)")?;
        // The sink exits when this pipe closes: it never outlives the test process.
        let stdin = child.stdin.take().context("sink has no stdin")?;
        if let Err(e) = wait_for_port(self.port, Some(&mut child), Duration::from_secs(15)) {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(d.join("sink.log")).unwrap_or_default();
            return Err(e).context(format!("the SMTP sink did not start:\n{log}"));
        }
        self.process = Some((child, stdin));
        Ok(())
    }

    /// Stops the server; connection attempts are refused until [`SmtpSink::resume`].
    pub fn stop(&mut self) {
        if let Some((mut child, stdin)) = self.process.take() {
            drop(stdin);
            stop_child(&mut child, Duration::from_secs(3));
        }
    }

    /// Starts the server again on the same port, keeping what it received.
    pub fn resume(&mut self) -> anyhow::Result<()> {
        if self.process.is_some() {
            return Ok(());
        }
        let mut last_error = None;
        for _ in 0..20 {
            match self.spawn() {
                Ok(()) => return Ok(()),
                Err(e) => last_error = Some(e),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("no attempt made")))
    }

    /// Makes the running server refuse mail (takes effect on the next SMTP command).
    pub fn set_failure(&self, failure: SinkFailure) -> anyhow::Result<()> {
        let control = match failure {
            SinkFailure::None => serde_json::json!({}),
            SinkFailure::All(reply) => serde_json::json!({ "reject_all": reply }),
            SinkFailure::Recipient { address, reply } => {
                let mut map = HashMap::new();
                map.insert(address.to_lowercase(), reply);
                serde_json::json!({ "reject_rcpt": map })
            }
        };
        let tmp = self.dir.path().join(".control.json.tmp");
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(control.to_string().as_bytes())?;
        drop(f);
        std::fs::rename(tmp, self.dir.path().join("control.json"))?;
        Ok(())
    }

    fn received_names(&self) -> Vec<PathBuf> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("mail"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names
    }

    /// Every accepted message, oldest first.
    pub fn received(&self) -> Vec<Vec<u8>> {
        self.received_names()
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .collect()
    }

    /// Every accepted message with its envelope, oldest first.
    pub fn received_with_envelopes(&self) -> Vec<(SinkEnvelope, Vec<u8>)> {
        self.received_names()
            .iter()
            .filter_map(|p| {
                let raw = std::fs::read(p).ok()?;
                let meta = std::fs::read(p.with_extension("json")).ok()?;
                Some((serde_json::from_slice(&meta).ok()?, raw))
            })
            .collect()
    }

    /// Waits until at least `count` messages arrived; returns them all, or fails after `timeout`
    /// saying how many did arrive.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> anyhow::Result<Vec<Vec<u8>>> {
        let deadline = Instant::now() + timeout;
        loop {
            let received = self.received();
            if received.len() >= count {
                return Ok(received);
            }
            if Instant::now() > deadline {
                bail!(
                    "the SMTP sink received {} of {count} messages within {timeout:?}",
                    received.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---------------------------------------------------------------------------------------------
// The whole chain: Dovecot → `intake run` (the real binary) → SMTP sink, on SQLite or PostgreSQL
// ---------------------------------------------------------------------------------------------

/// Which database a [`Stack`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackDb {
    Sqlite,
    Postgres,
}

/// Dovecot + SMTP sink + a database + a working directory, configured for `intake run` through
/// the shipped `config/intake.toml` and `INTAKE__…` environment overrides, as an operator would.
/// Like Microsoft 365, the sink keeps a copy of every accepted mail in the IMAP account's `Sent`
/// folder ([`STACK_SENT_FOLDER`]); a daemon looks there only when given
/// `INTAKE__OUTBOX__SENT_FOLDER`.
pub struct Stack {
    pub dovecot: Dovecot,
    pub sink: SmtpSink,
    pub db_url: String,
    /// Working directory of the daemons (`var/`, logs).
    pub dir: tempfile::TempDir,
    daemons_started: AtomicU32,
}

/// The IMAP user the nominations arrive for.
pub const STACK_USER: &str = "intake";
/// The folder of [`STACK_USER`] where the SMTP sink keeps a copy of what it accepted.
pub const STACK_SENT_FOLDER: &str = "Sent";
/// Our own address in the shipped configuration.
pub const STACK_ADDRESS: &str = "koplopers@vng.nl";

impl Stack {
    pub async fn start(db: StackDb) -> anyhow::Result<Stack> {
        Stack::start_with(db, DovecotOptions::default()).await
    }

    pub async fn start_with(db: StackDb, options: DovecotOptions) -> anyhow::Result<Stack> {
        let dir = tempfile::Builder::new()
            .prefix("intake-it-stack-")
            .tempdir()?;
        let db_url = match db {
            StackDb::Sqlite => format!("sqlite://{}", dir.path().join("intake.db").display()),
            StackDb::Postgres => fresh_postgres_database().await?,
        };
        let dovecot = Dovecot::start_with(options)?;
        let sink = SmtpSink::start_with(SmtpSinkOptions {
            sent_maildir: Some(dovecot.maildir(STACK_USER, STACK_SENT_FOLDER)),
            ..SmtpSinkOptions::default()
        })?;
        Ok(Stack {
            dovecot,
            sink,
            db_url,
            dir,
            daemons_started: AtomicU32::new(0),
        })
    }

    /// The environment of a daemon (secrets included: these are test passwords).
    pub fn env(&self) -> Vec<(String, String)> {
        let v = |k: &str, v: String| (k.to_owned(), v);
        vec![
            v("INTAKE__DATABASE__URL", self.db_url.clone()),
            v("INTAKE__MAILBOX__KIND", "imap".into()),
            v("INTAKE__MAILBOX__POLL_INTERVAL_SECS", "5".into()),
            v("INTAKE__MAILBOX__LEASE_SECS", "5".into()),
            v("INTAKE__MAILBOX__IMAP__HOST", "127.0.0.1".into()),
            v(
                "INTAKE__MAILBOX__IMAP__PORT",
                self.dovecot.imaps_port.to_string(),
            ),
            v("INTAKE__MAILBOX__IMAP__TLS", "implicit".into()),
            v("INTAKE__MAILBOX__IMAP__USERNAME", STACK_USER.into()),
            v(
                "INTAKE__MAILBOX__IMAP__CA_FILE",
                self.dovecot.ca_pem.display().to_string(),
            ),
            v("INTAKE__MAILBOX__IMAP__CONNECT_TIMEOUT_SECS", "10".into()),
            v("INTAKE__MAILBOX__IMAP__COMMAND_TIMEOUT_SECS", "30".into()),
            v("INTAKE__MAILBOX__IMAP__PASSWORD", self.imap_password()),
            v("INTAKE__OUTBOX__KIND", "smtp".into()),
            v("INTAKE__OUTBOX__RETRY_BASE_SECS", "1".into()),
            // Hundreds of letters in seconds: the rate limit has tests of its own.
            v("INTAKE__OUTBOX__MAX_PER_MINUTE", "0".into()),
            v(
                "INTAKE__OUTBOX__DIR",
                self.dir.path().join("outbox").display().to_string(),
            ),
            v("INTAKE__OUTBOX__SMTP__HOST", "127.0.0.1".into()),
            v("INTAKE__OUTBOX__SMTP__PORT", self.sink.port.to_string()),
            v(
                "INTAKE__OUTBOX__SMTP__USERNAME",
                self.sink.options.username.clone(),
            ),
            v(
                "INTAKE__OUTBOX__SMTP__CA_FILE",
                self.sink.ca_pem.display().to_string(),
            ),
            v("INTAKE__OUTBOX__SMTP__TIMEOUT_SECS", "10".into()),
            v(
                "INTAKE__OUTBOX__SMTP__PASSWORD",
                self.sink.options.password.clone(),
            ),
            v("INTAKE__DIGEST__ENABLED", "false".into()),
            v("INTAKE__ALERTS__MAIL_STAFF", "false".into()),
        ]
    }

    fn imap_password(&self) -> String {
        self.dovecot
            .options
            .users
            .iter()
            .find(|(u, _)| u == STACK_USER)
            .map(|(_, p)| p.clone())
            .unwrap_or_default()
    }

    fn command(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_intake"));
        cmd.arg("--config")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/intake.toml"))
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("RUST_LOG")
            .envs(self.env());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Starts `intake run` in the background; its log goes to `daemon-<n>.log` in [`Stack::dir`].
    pub fn spawn_daemon(&self, extra_env: &[(&str, &str)]) -> anyhow::Result<DaemonProcess> {
        let n = self.daemons_started.fetch_add(1, Ordering::Relaxed);
        let log_path = self.dir.path().join(format!("daemon-{n}.log"));
        let log = std::fs::File::create(&log_path)?;
        let child = self
            .command(&["run"], extra_env)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("failed to start intake run")?;
        Ok(DaemonProcess {
            child: Some(child),
            log_path,
        })
    }

    /// Runs `intake <args>` to completion and returns its output.
    pub fn run(
        &self,
        args: &[&str],
        extra_env: &[(&str, &str)],
    ) -> anyhow::Result<std::process::Output> {
        self.command(args, extra_env)
            .stdin(Stdio::null())
            .output()
            .context("failed to run intake")
    }

    /// APPENDs a mail to the inbox with the given arrival time.
    pub async fn deliver(
        &self,
        raw: &[u8],
        arrival: chrono::DateTime<chrono::FixedOffset>,
    ) -> anyhow::Result<()> {
        self.dovecot
            .append(STACK_USER, "INBOX", raw, Some(arrival))
            .await
    }

    /// Messages the SMTP sink accepted for `recipient`.
    pub fn received_for(&self, recipient: &str) -> Vec<Vec<u8>> {
        self.sink
            .received_with_envelopes()
            .into_iter()
            .filter(|(e, _)| e.rcpt_tos.iter().any(|r| r.eq_ignore_ascii_case(recipient)))
            .map(|(_, raw)| raw)
            .collect()
    }

    /// Waits until `done()` holds, polling every 100 ms; fails with `what` after `timeout`.
    pub async fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        mut done: impl FnMut() -> bool,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        while !done() {
            if Instant::now() > deadline {
                bail!("timed out after {timeout:?} waiting for {what}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }

    /// Every daemon log so far, for failure messages.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for n in 0..self.daemons_started.load(Ordering::Relaxed) {
            let path = self.dir.path().join(format!("daemon-{n}.log"));
            out.push_str(&format!("--- daemon-{n}.log\n"));
            out.push_str(&std::fs::read_to_string(path).unwrap_or_default());
        }
        out
    }
}

/// One running `intake run`; killed (SIGKILL) when dropped.
pub struct DaemonProcess {
    child: Option<Child>,
    pub log_path: PathBuf,
}

impl DaemonProcess {
    /// SIGKILL, as a crash or the OOM killer would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM and wait for a clean stop (at most `grace`, then SIGKILL).
    pub fn stop(&mut self, grace: Duration) {
        if let Some(mut child) = self.child.take() {
            stop_child(&mut child, grace);
        }
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

impl Drop for DaemonProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A municipality to nominate: (name, mail domain), from `data/gemeenten.csv`.
pub fn municipalities() -> anyhow::Result<Vec<(String, String)>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/gemeenten.csv");
    let mut reader =
        csv::Reader::from_path(&path).with_context(|| format!("failed to read {path:?}"))?;
    let headers = reader.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(name), Some(domain)) = (col("name"), col("email_domain")) else {
        bail!("{path:?} lacks the name or email_domain column");
    };
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record?;
        if let (Some(n), Some(d)) = (record.get(name), record.get(domain))
            && !n.is_empty()
            && !d.is_empty()
        {
            out.push((n.to_owned(), d.to_owned()));
        }
    }
    Ok(out)
}

/// The sender address of nomination `n` from `domain`.
pub fn nomination_sender(n: usize, domain: &str) -> String {
    format!("inclusie.{n}@{domain}")
}

/// A plain-text nomination (in the mail body, like the Enschede sample) from `municipality`.
pub fn body_nomination(n: usize, municipality: &str, domain: &str) -> Vec<u8> {
    let sender = nomination_sender(n, domain);
    format!(
        "From: Beleidsmedewerker Inclusie <{sender}>\r\n\
To: {STACK_ADDRESS}\r\n\
Subject: Aanmelding gemeente {municipality} voor Koplopers VN-Verdrag Handicap\r\n\
Date: Thu, 15 Mar 2018 16:42:49 +0100\r\n\
Message-ID: <nominatie-{n}.{}@{domain}>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=\"utf-8\"\r\n\
Content-Transfer-Encoding: 8bit\r\n\
\r\n\
Geacht team Koplopers,\r\n\
\r\n\
Hierbij meldt de gemeente {municipality} zich aan voor het programma Koplopers\r\n\
VN-Verdrag Handicap.\r\n\
\r\n\
1. INCLUSIE OP DE AGENDA\r\n\
\r\n\
De gemeenteraad van {municipality} heeft in december 2017 het actieprogramma\r\n\
\"{municipality} voor Iedereen\" vastgesteld. De wethouder is portefeuillehouder\r\n\
inclusie. Voor de uitvoering is tot en met 2020 jaarlijks 300.000 euro beschikbaar.\r\n\
\r\n\
2. INNOVATIEVE AANPAK\r\n\
\r\n\
Wonen: wij bouwen met woningcorporatie en bewoners 40 levensloopbestendige\r\n\
woningen. Toekomstige bewoners met een beperking hebben het ontwerp mee bepaald.\r\n\
\r\n\
3. INCLUSIEVE SAMENLEVING\r\n\
\r\n\
De woningen zijn ook bedoeld voor ouderen en jonge gezinnen.\r\n\
\r\n\
NIETS OVER ONS ZONDER ONS\r\n\
\r\n\
Het actieprogramma is geschreven door de adviesraad samen met twaalf\r\n\
ervaringsdeskundigen. Zij hebben gekozen welke onderwerpen voorrang krijgen.\r\n\
\r\n\
Met vriendelijke groet,\r\n\
\r\n\
Gemeente {municipality}\r\n",
        std::process::id()
    )
    .into_bytes()
}

/// 15 March 2018, 16:42 Amsterdam: well before the deadline.
pub fn on_time_arrival() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339("2018-03-15T16:42:55+01:00").unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Smoke tests: each server starts, answers, stops.
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_hands_out_fresh_databases_that_accept_queries() -> anyhow::Result<()> {
    use sqlx::Connection as _;
    let pg = Postgres::shared()?;
    let a = pg.fresh_database().await?;
    let b = pg.fresh_database().await?;
    assert_ne!(a, b);
    let mut conn = sqlx::PgConnection::connect(&a).await?;
    sqlx::raw_sql("CREATE TABLE t (x int); INSERT INTO t VALUES (41)")
        .execute(&mut conn)
        .await?;
    let (x,): (i32,) = sqlx::query_as("SELECT x + 1 FROM t")
        .fetch_one(&mut conn)
        .await?;
    assert_eq!(x, 42);
    // The other database is really another one.
    let mut other = sqlx::PgConnection::connect(&b).await?;
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
            .fetch_all(&mut other)
            .await?;
    assert!(tables.is_empty(), "fresh database has tables: {tables:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dovecot_stores_appended_mail_and_changes_uidvalidity_on_demand() -> anyhow::Result<()> {
    let mut dovecot = Dovecot::start()?;
    let raw = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n";
    let date = chrono::DateTime::parse_from_rfc3339("2018-03-21T23:59:59+01:00")?;
    dovecot.append("intake", "INBOX", raw, Some(date)).await?;
    dovecot.append("intake", "Elsewhere", raw, None).await?;
    let inbox = dovecot.fetch_folder("intake", "INBOX").await?;
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].2, raw.to_vec());
    assert_eq!(dovecot.list_folder("intake", "Elsewhere").await?.len(), 1);
    assert!(dovecot.list_folder("intake", "Missing").await?.is_empty());

    let mut session = dovecot.session("intake").await?;
    let caps = session.capabilities().await?;
    assert!(caps.has_str("MOVE") && caps.has_str("IDLE") && caps.has_str("UIDPLUS"));
    session.select("INBOX").await?;
    let fetched: Vec<_> = session
        .uid_fetch("1:*", "INTERNALDATE")
        .await?
        .try_collect()
        .await?;
    assert_eq!(
        fetched[0].internal_date().map(|d| d.timestamp()),
        Some(date.timestamp())
    );
    session.logout().await?;

    let before = inbox[0].0;
    dovecot.force_uidvalidity_change("intake", "INBOX")?;
    let after = dovecot.fetch_folder("intake", "INBOX").await?;
    assert_eq!(
        after.len(),
        1,
        "the message survives the UIDVALIDITY change"
    );
    assert_ne!(after[0].0, before, "UIDVALIDITY did not change");

    dovecot.set_offer_move(false)?;
    let mut session = dovecot.session("intake").await?;
    let caps = session.capabilities().await?;
    assert!(!caps.has_str("MOVE"), "MOVE is still offered");
    assert!(caps.has_str("UIDPLUS"));
    session.logout().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dovecot_refuses_a_wrong_password() -> anyhow::Result<()> {
    let dovecot = Dovecot::start()?;
    let refused = dovecot.login("intake", "not-the-password").await;
    assert!(refused.is_err(), "a wrong password was accepted");
    dovecot.login("intake", "secret").await?.logout().await?;
    Ok(())
}

/// Sends one message to the sink with lettre over STARTTLS + AUTH, as the product does.
async fn send_with_lettre(
    sink: &SmtpSink,
    to: &str,
) -> anyhow::Result<
    Result<lettre::transport::smtp::response::Response, lettre::transport::smtp::Error>,
> {
    use lettre::AsyncTransport as _;
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    let cert = Certificate::from_pem(&std::fs::read(&sink.ca_pem)?)?;
    let tls = TlsParameters::builder("127.0.0.1".into())
        .add_root_certificate(cert)
        .build_rustls()?;
    let mailer =
        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(sink.port)
            .tls(Tls::Required(tls))
            .credentials(lettre::transport::smtp::authentication::Credentials::new(
                "intake".into(),
                "secret".into(),
            ))
            .timeout(Some(Duration::from_secs(10)))
            .build();
    let envelope =
        lettre::address::Envelope::new(Some("intake@example.org".parse()?), vec![to.parse()?])?;
    Ok(mailer
        .send_raw(&envelope, b"Subject: test\r\n\r\nhello\r\n")
        .await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_sink_stores_mail_refuses_on_demand_and_comes_back_on_the_same_port()
-> anyhow::Result<()> {
    let mut sink = SmtpSink::start()?;
    send_with_lettre(&sink, "gemeente@example.nl").await??;
    let received = sink.received_with_envelopes();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].0.rcpt_tos,
        vec!["gemeente@example.nl".to_owned()]
    );
    assert!(received[0].0.tls, "the message did not come over TLS");
    assert_eq!(received[0].0.login.as_deref(), Some("intake"));
    assert!(
        // lettre always ends DATA with CRLF . CRLF, so a body ending in CRLF gains a blank line.
        received[0].1.ends_with(b"hello\r\n\r\n"),
        "{:?}",
        String::from_utf8_lossy(&received[0].1)
    );

    sink.set_failure(SinkFailure::Recipient {
        address: "bad@example.nl".into(),
        reply: "550 5.1.1 no such user".into(),
    })?;
    let refused = send_with_lettre(&sink, "bad@example.nl").await?;
    assert!(refused.is_err_and(|e| e.is_permanent()));
    sink.set_failure(SinkFailure::All("451 4.3.0 try again later".into()))?;
    let deferred = send_with_lettre(&sink, "gemeente@example.nl").await?;
    assert!(deferred.is_err_and(|e| e.is_transient()));
    sink.set_failure(SinkFailure::None)?;

    let port = sink.port;
    sink.stop();
    assert!(
        send_with_lettre(&sink, "gemeente@example.nl")
            .await?
            .is_err()
    );
    sink.resume()?;
    assert_eq!(sink.port, port);
    send_with_lettre(&sink, "gemeente@example.nl").await??;
    assert_eq!(sink.wait_for(2, Duration::from_secs(5)).await?.len(), 2);
    Ok(())
}
