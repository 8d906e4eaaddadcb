//! LibreOffice headless as a page counter: renders a Word, ODT or RTF file to PDF and counts the
//! pages of the rendering.
//!
//! Owns when LibreOffice is used ([`LibreOffice`]: `"auto"`, `true`, `false`) and that it runs
//! without network access ([`Isolation`]): in a network (and PID) namespace of its own where the
//! system allows one (`unshare`), and always with a throwaway profile that refuses linked
//! content, disables macros and sends any web request left to a closed local port. A document
//! that links an image at `http://…` therefore never makes LibreOffice connect anywhere.
//!
//! One rendering at a time (LibreOffice is memory hungry); the whole process group is killed at
//! the time limit. A missing program, a failure or a timeout is `Err` with a reason, and the
//! caller keeps its own count. Nothing here reads or logs document text.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Format, Limits};

/// When LibreOffice renders office documents for their page count (`[documents] libreoffice`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LibreOffice {
    /// When `soffice` is installed (`"auto"`, the default); otherwise metadata and estimate.
    #[default]
    Auto,
    /// Always (`true`); when it is missing or fails, metadata and estimate are used, with a warning.
    On,
    /// Never (`false`).
    Off,
}

impl Serialize for LibreOffice {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            LibreOffice::Auto => s.serialize_str("auto"),
            LibreOffice::On => s.serialize_bool(true),
            LibreOffice::Off => s.serialize_bool(false),
        }
    }
}

impl<'de> Deserialize<'de> for LibreOffice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Bool(bool),
            Word(String),
        }
        match Raw::deserialize(d)? {
            Raw::Bool(true) => Ok(LibreOffice::On),
            Raw::Bool(false) => Ok(LibreOffice::Off),
            Raw::Word(w) => match w.trim().to_ascii_lowercase().as_str() {
                "auto" => Ok(LibreOffice::Auto),
                "true" => Ok(LibreOffice::On),
                "false" => Ok(LibreOffice::Off),
                _ => Err(serde::de::Error::custom(format!(
                    "expected true, false or \"auto\", found \"{w}\""
                ))),
            },
        }
    }
}

/// How LibreOffice is kept off the network (`[documents] libreoffice_isolation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// A network namespace when the system allows one, plus the profile settings; the profile
    /// settings alone where it does not (e.g. a container whose seccomp profile forbids it).
    #[default]
    Auto,
    /// Only in a network namespace: where none can be made, LibreOffice is not run.
    Namespace,
    /// The profile settings alone (no namespace is tried).
    Profile,
}

/// Why a rendering gave no page count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// `soffice` was not found (or `libreoffice = false`).
    NotInstalled,
    /// `libreoffice_isolation = "namespace"` and this system cannot make one.
    NoNamespace,
    /// Over `libreoffice_timeout_secs`; the process group was killed.
    TimedOut(u64),
    /// LibreOffice ran but produced no readable PDF, or could not be started.
    Failed(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::NotInstalled => write!(f, "LibreOffice (soffice) is not installed"),
            Failure::NoNamespace => write!(
                f,
                "no network namespace can be made here and libreoffice_isolation = \"namespace\""
            ),
            Failure::TimedOut(s) => write!(f, "LibreOffice took longer than {s} s"),
            Failure::Failed(why) => write!(f, "LibreOffice failed: {why}"),
        }
    }
}

/// The `soffice` executable: the configured path, else `soffice` or `libreoffice` on PATH.
pub(crate) fn soffice(limits: &Limits) -> Option<PathBuf> {
    if let Some(p) = &limits.libreoffice_path {
        return p.is_file().then(|| p.clone());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| [dir.join("soffice"), dir.join("libreoffice")])
        .find(|p| p.is_file())
}

/// Whether LibreOffice should be tried for this document's page count.
pub(crate) fn wanted(limits: &Limits, format: Format) -> bool {
    let office = matches!(
        format,
        Format::Docx | Format::Docm | Format::Odt | Format::Doc | Format::Rtf
    );
    office && limits.libreoffice != LibreOffice::Off
}

/// One LibreOffice at a time: it is memory hungry, and two renderings would only compete.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The `unshare` arguments that work on this system (probed once), `None` when none do.
static NAMESPACE: tokio::sync::OnceCell<Option<Vec<&'static str>>> =
    tokio::sync::OnceCell::const_new();

/// A network and PID namespace of its own: no interface but a loopback that is down, and
/// everything LibreOffice starts dies with it (`--kill-child` on the namespace's init).
const UNSHARE: &[&str] = &["--net", "--pid", "--fork", "--kill-child"];

async fn namespace_args() -> Option<Vec<&'static str>> {
    NAMESPACE
        .get_or_init(|| async {
            // As root the namespaces need nothing more; as another user only inside a user
            // namespace of its own (where the system allows unprivileged ones).
            for extra in [&[][..], &["--map-root-user"][..]] {
                let mut args: Vec<&'static str> = extra.to_vec();
                args.extend_from_slice(UNSHARE);
                let ok = tokio::process::Command::new("unshare")
                    .args(&args)
                    .arg("--")
                    .arg("true")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .kill_on_drop(true)
                    .status()
                    .await
                    .is_ok_and(|s| s.success());
                if ok {
                    return Some(args);
                }
            }
            tracing::info!("no network namespace available for LibreOffice; profile settings only");
            None
        })
        .await
        .clone()
}

/// Whether LibreOffice renderings on this system run in a network namespace of their own.
pub async fn has_namespace() -> bool {
    namespace_args().await.is_some()
}

/// Profile settings of every rendering: linked content (images, OLE objects, sections) is never
/// fetched, macros never run, and a web request that is still made goes to a closed port.
const PROFILE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Writer/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>2</value></prop></item>
<item oor:path="/org.openoffice.Office.Writer/Content/Update"><prop oor:name="Chart" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>2</value></prop></item>
<item oor:path="/org.openoffice.Inet/Settings"><prop oor:name="ooInetProxyType" oor:op="fuse"><value>1</value></prop></item>
<item oor:path="/org.openoffice.Inet/Settings"><prop oor:name="ooInetNoProxy" oor:op="fuse"><value></value></prop></item>
<item oor:path="/org.openoffice.Inet/Settings"><prop oor:name="ooInetHTTPProxyName" oor:op="fuse"><value>127.0.0.1</value></prop></item>
<item oor:path="/org.openoffice.Inet/Settings"><prop oor:name="ooInetHTTPProxyPort" oor:op="fuse"><value>9</value></prop></item>
<item oor:path="/org.openoffice.Inet/Settings"><prop oor:name="ooInetHTTPSProxyName" oor:op="fuse"><value>127.0.0.1</value></prop></item>
<item oor:path="/org.openoffice.Inet/Settings"><prop oor:name="ooInetHTTPSProxyPort" oor:op="fuse"><value>9</value></prop></item>
<item oor:path="/org.openoffice.Inet/Settings"><prop oor:name="ooInetFTPProxyName" oor:op="fuse"><value>127.0.0.1</value></prop></item>
<item oor:path="/org.openoffice.Inet/Settings"><prop oor:name="ooInetFTPProxyPort" oor:op="fuse"><value>9</value></prop></item>
<item oor:path="/org.openoffice.Inet/Settings"><prop oor:name="ConnectTimeout" oor:op="fuse"><value>1</value></prop></item>
<item oor:path="/org.openoffice.Inet/Settings"><prop oor:name="ReadTimeout" oor:op="fuse"><value>1</value></prop></item>
</oor:items>
"#;

/// Kills the process group of a rendering when dropped while armed (time limit, cancellation).
struct GroupKill(Option<u32>);

impl Drop for GroupKill {
    fn drop(&mut self) {
        if let Some(pgid) = self.0.take() {
            // `kill -s KILL -- -PGID` signals every process LibreOffice started (soffice is a
            // script that starts oosplash, which starts soffice.bin). The shell's own `kill`,
            // since /bin/kill (procps) is not in every slim image.
            let _ = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("kill -s KILL -- -{pgid}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Page count of a LibreOffice PDF rendering of `bytes` (an office document of `format`).
pub(crate) async fn pages(bytes: &[u8], format: Format, limits: &Limits) -> Result<u32, Failure> {
    if limits.libreoffice == LibreOffice::Off {
        return Err(Failure::NotInstalled);
    }
    let exe = soffice(limits).ok_or(Failure::NotInstalled)?;
    let namespace = match limits.libreoffice_isolation {
        Isolation::Profile => None,
        Isolation::Auto => namespace_args().await,
        Isolation::Namespace => Some(namespace_args().await.ok_or(Failure::NoNamespace)?),
    };
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = TempDir::new().map_err(|e| Failure::Failed(format!("no temporary folder: {e}")))?;
    let result = render(
        &exe,
        namespace.as_deref(),
        bytes,
        format,
        limits,
        dir.path(),
    )
    .await;
    drop(dir);
    result
}

async fn render(
    exe: &Path,
    namespace: Option<&[&'static str]>,
    bytes: &[u8],
    format: Format,
    limits: &Limits,
    dir: &Path,
) -> Result<u32, Failure> {
    let failed = |what: &str, e: std::io::Error| Failure::Failed(format!("{what}: {e}"));
    let ext = match format {
        Format::Docx => "docx",
        Format::Docm => "docm",
        Format::Odt => "odt",
        Format::Doc => "doc",
        _ => "rtf",
    };
    let input = dir.join(format!("document.{ext}"));
    tokio::fs::write(&input, bytes)
        .await
        .map_err(|e| failed("cannot write the input", e))?;
    let profile = dir.join("profile");
    tokio::fs::create_dir_all(profile.join("user"))
        .await
        .map_err(|e| failed("cannot make the profile", e))?;
    tokio::fs::write(profile.join("user/registrymodifications.xcu"), PROFILE)
        .await
        .map_err(|e| failed("cannot write the profile", e))?;

    let mut cmd = command(exe, namespace, &profile, dir, &input);
    let mut child = cmd.spawn().map_err(|e| failed("cannot start soffice", e))?;
    let mut group = GroupKill(child.id());
    let secs = limits.libreoffice_timeout_secs.max(1);
    let status = match tokio::time::timeout(Duration::from_secs(secs), child.wait()).await {
        Ok(status) => status.map_err(|e| failed("lost the soffice process", e))?,
        Err(_) => {
            drop(group);
            let _ = child.kill().await;
            return Err(Failure::TimedOut(secs));
        }
    };
    group.0 = None;
    if !status.success() {
        return Err(Failure::Failed(format!("soffice exited with {status}")));
    }
    let pdf = tokio::fs::read(dir.join("document.pdf"))
        .await
        .map_err(|e| failed("no PDF was written", e))?;
    let pages = lopdf::Document::load_mem(&pdf)
        .map_err(|e| Failure::Failed(format!("its PDF cannot be read: {e}")))?
        .get_pages()
        .len();
    match u32::try_from(pages) {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Failure::Failed("its PDF has no pages".to_string())),
    }
}

/// `soffice --convert-to pdf` of `input` into `dir` with the profile at `profile`, inside the
/// namespace when given, with an environment of PATH, HOME, TMPDIR, locale and fontconfig
/// only, in a process group of its own (killed as a whole at the time limit).
fn command(
    exe: &Path,
    namespace: Option<&[&'static str]>,
    profile: &Path,
    dir: &Path,
    input: &Path,
) -> tokio::process::Command {
    let mut cmd = match namespace {
        Some(args) => {
            let mut c = tokio::process::Command::new("unshare");
            c.args(args).arg("--").arg(exe);
            c
        }
        None => tokio::process::Command::new(exe),
    };
    cmd.arg("--headless")
        .arg("--norestore")
        .arg("--nolockcheck")
        .arg("--nodefault")
        .arg("--nologo")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .arg("--convert-to")
        .arg("pdf")
        .arg("--outdir")
        .arg(dir)
        .arg(input)
        .current_dir(dir)
        .env_clear()
        .env(
            "PATH",
            std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into()),
        )
        .env("HOME", dir)
        .env("TMPDIR", dir);
    // The locale decides LibreOffice's default paper for files that do not name one; the
    // fontconfig variables which fonts it lays out with (e.g. metric-compatible fonts).
    for key in [
        "LANG",
        "LANGUAGE",
        "LC_ALL",
        "LC_PAPER",
        "FONTCONFIG_FILE",
        "FONTCONFIG_PATH",
    ] {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    cmd
}

/// A private temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        let dir = std::env::temp_dir().join(format!(
            "intake-lo-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Serialize)]
    struct Doc {
        libreoffice: LibreOffice,
    }

    fn parse(v: &str) -> Result<LibreOffice, toml::de::Error> {
        toml::from_str::<Doc>(&format!("libreoffice = {v}")).map(|d| d.libreoffice)
    }

    #[test]
    fn the_libreoffice_setting_reads_true_false_and_auto() {
        assert_eq!(parse("true").ok(), Some(LibreOffice::On));
        assert_eq!(parse("false").ok(), Some(LibreOffice::Off));
        assert_eq!(parse("\"auto\"").ok(), Some(LibreOffice::Auto));
        assert_eq!(parse("\"Auto\"").ok(), Some(LibreOffice::Auto));
        let err = parse("\"sometimes\"").map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("expected true, false or \"auto\""), "{err}");
        assert_eq!(LibreOffice::default(), LibreOffice::Auto);
        let out = toml::to_string(&Doc {
            libreoffice: LibreOffice::Auto,
        })
        .unwrap_or_default();
        assert_eq!(out.trim(), "libreoffice = \"auto\"");
    }

    #[test]
    fn only_office_formats_are_rendered_and_never_when_switched_off() {
        let on = Limits::default();
        assert!(wanted(&on, Format::Docx) && wanted(&on, Format::Rtf));
        assert!(!wanted(&on, Format::Pdf) && !wanted(&on, Format::Text));
        let off = Limits {
            libreoffice: LibreOffice::Off,
            ..Limits::default()
        };
        assert!(!wanted(&off, Format::Odt));
    }
}
