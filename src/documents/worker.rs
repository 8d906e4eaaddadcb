//! The document worker: PDF and office files are parsed in a child process, one document per
//! process, so that a hostile file can cost at most one child — never the memory, a core or
//! the life of the intake itself.
//!
//! Parent side (`extract`): starts `<worker> document-worker --parent PID` (the running
//! `intake` by default, [`Limits::worker_path`] in tests) in a process group of its own, with
//! an empty environment (no secrets), writes one request on its stdin (a JSON line, then the
//! document's bytes) and reads one JSON `Extracted` from its stdout. At the deadline the whole
//! group is killed; a child that is killed, crashes or runs out of memory yields an
//! `unreadable` extraction with a specific reason. The child is also killed when its future
//! is dropped (daemon shutdown).
//!
//! Child side ([`serve`]): exits when the parent is gone, limits its own address space
//! ([`Limits::worker_memory_mb`]) and CPU seconds with `setrlimit`, extracts the one
//! document and answers. It never logs; its stderr is read only for the reason it died.

use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rustix::process::{Pid, Resource, Rlimit, Signal};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Extracted, Format, Limits, Status, extract_blocking};

/// The hidden subcommand that runs the worker.
pub const SUBCOMMAND: &str = "document-worker";

/// Seconds a worker is given beyond the document's own time limit (start-up, answer), before
/// it is killed.
const GRACE_SECS: u64 = 2;

/// How much of the worker's stderr is kept to tell why it died.
const STDERR_TAIL: usize = 16 * 1024;

/// What the parent sends before the document's bytes.
#[derive(Debug, Serialize, Deserialize)]
struct Request {
    format: Format,
    limits: Limits,
    /// Length of the document that follows the request line.
    bytes: u64,
}

/// Why a worker gave no answer.
#[derive(Debug)]
enum Failure {
    /// Killed at the deadline, or stopped by its CPU limit.
    Timeout,
    /// An allocation failed under the address-space limit.
    Memory,
    /// Any other death (stack overflow, signal, error exit).
    Crashed,
    /// The worker could not be started or spoke no protocol.
    Worker(String),
}

/// Extracts one document of `format` in a worker process; never fails, never hangs past
/// the document's time limit plus a short grace.
pub(crate) async fn extract(format: Format, bytes: Arc<Vec<u8>>, limits: &Limits) -> Extracted {
    match run(format, &bytes, limits).await {
        Ok(extracted) => extracted,
        Err(failure) => {
            let what = match format {
                Format::Pdf => "the PDF",
                _ => "the file",
            };
            let reason = match failure {
                Failure::Timeout => format!(
                    "{what} could not be read: it took longer than {} s",
                    limits.timeout_secs_per_document.max(1)
                ),
                Failure::Memory => format!(
                    "{what} could not be read: it used more than {} MB memory",
                    limits.worker_memory_mb
                ),
                Failure::Crashed => format!("{what} could not be read: the reader crashed"),
                Failure::Worker(why) => {
                    tracing::error!(%why, "document worker failed");
                    format!("{what} could not be read: the document reader is not working")
                }
            };
            Extracted::failed(Status::Unreadable, reason)
        }
    }
}

fn worker_exe(limits: &Limits) -> Result<PathBuf, Failure> {
    match &limits.worker_path {
        Some(path) => Ok(path.clone()),
        None => std::env::current_exe()
            .map_err(|e| Failure::Worker(format!("cannot find the intake executable: {e}"))),
    }
}

/// Kills the worker's process group unless disarmed: on the deadline, and when the future
/// that owns the worker is dropped (shutdown) before it was reaped.
struct GroupGuard {
    group: Option<Pid>,
}

impl GroupGuard {
    fn kill(&mut self) {
        if let Some(group) = self.group.take() {
            // The group may already be empty; nothing else can be done about an error here.
            let _ = rustix::process::kill_process_group(group, Signal::KILL);
        }
    }

    /// The worker was reaped: its group id may be reused, so it must not be signalled again.
    fn disarm(&mut self) {
        self.group = None;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn run(format: Format, bytes: &[u8], limits: &Limits) -> Result<Extracted, Failure> {
    let exe = worker_exe(limits)?;
    let request = Request {
        format,
        limits: limits.clone(),
        bytes: bytes.len() as u64,
    };
    let mut line = serde_json::to_vec(&request)
        .map_err(|e| Failure::Worker(format!("cannot encode the request: {e}")))?;
    line.push(b'\n');

    let mut command = tokio::process::Command::new(&exe);
    command
        // The parent's pid: the worker stops when it is gone (and it shows in `ps`).
        .args([SUBCOMMAND, "--parent", &std::process::id().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Nothing of the intake's environment (secrets) reaches a parser of hostile files.
        .env_clear()
        // One malloc arena: threads would otherwise reserve 64 MB of address space each.
        .env("MALLOC_ARENA_MAX", "1")
        .env("RUST_BACKTRACE", "0")
        .process_group(0)
        .kill_on_drop(true);
    for var in ["PATH", "TMPDIR"] {
        if let Some(value) = std::env::var_os(var) {
            command.env(var, value);
        }
    }
    let mut child = command
        .spawn()
        .map_err(|e| Failure::Worker(format!("cannot start {}: {e}", exe.display())))?;
    let mut guard = GroupGuard {
        group: child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .and_then(Pid::from_raw),
    };
    let (Some(mut stdin), Some(stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(Failure::Worker("no pipes to the worker".to_string()));
    };

    // The answer holds at most the text budget, JSON-escaped (six bytes per byte at worst).
    let max_answer = limits
        .max_text_chars
        .saturating_mul(4)
        .saturating_add(4)
        .saturating_mul(6)
        .saturating_add(1024 * 1024);
    let secs = limits.timeout_secs_per_document.max(1);
    let talk = async {
        let write = async {
            // A worker that dies early closes its stdin: that shows in its exit status.
            let _ = stdin.write_all(&line).await;
            let _ = stdin.write_all(bytes).await;
            drop(stdin);
        };
        let read = async {
            let mut answer = Vec::new();
            let _ = stdout.take(max_answer).read_to_end(&mut answer).await;
            answer
        };
        let read_err = async {
            let mut tail = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                tail.extend_from_slice(&buf[..n]);
                if tail.len() > STDERR_TAIL {
                    tail.drain(..tail.len() - STDERR_TAIL);
                }
            }
            tail
        };
        let ((), answer, tail) = tokio::join!(write, read, read_err);
        let status = child.wait().await;
        (answer, tail, status)
    };
    let outcome = tokio::time::timeout(Duration::from_secs(secs + GRACE_SECS), talk).await;
    let (answer, tail, status) = match outcome {
        Ok(done) => done,
        Err(_) => {
            guard.kill();
            let _ = child.kill().await;
            guard.disarm();
            return Err(Failure::Timeout);
        }
    };
    guard.disarm();
    let status = status.map_err(|e| Failure::Worker(format!("cannot wait for the worker: {e}")))?;
    if status.success() {
        return serde_json::from_slice::<Extracted>(&answer).map_err(|e| {
            Failure::Worker(format!(
                "{} gave no answer a document worker gives ({e}); is it the intake binary? \
                 (set [documents] worker_path)",
                exe.display()
            ))
        });
    }
    Err(failure_of(status, &tail))
}

/// Why a worker that did not exit successfully died.
fn failure_of(status: std::process::ExitStatus, stderr_tail: &[u8]) -> Failure {
    use std::os::unix::process::ExitStatusExt;
    let said = String::from_utf8_lossy(stderr_tail);
    match status.signal() {
        Some(sig) if sig == Signal::XCPU.as_raw() => Failure::Timeout,
        Some(_) if said.contains("memory allocation of") => Failure::Memory,
        Some(_) => Failure::Crashed,
        None if said.contains("memory allocation of") => Failure::Memory,
        None => Failure::Crashed,
    }
}

/// Runs the worker (the hidden `intake document-worker --parent PID`): one request from stdin,
/// one answer on stdout. Exit code 0 when an answer was written, 2 for a bad request, 3 when
/// the parent is gone.
pub fn serve(parent: u32) -> ExitCode {
    // A panic inside a parser is caught and becomes a reason; the default hook would only
    // print it.
    std::panic::set_hook(Box::new(|_| {}));

    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut line = Vec::new();
    if (&mut input)
        .take(1024 * 1024)
        .read_until(b'\n', &mut line)
        .is_err()
    {
        return ExitCode::from(2);
    }
    let Ok(request) = serde_json::from_slice::<Request>(&line) else {
        eprintln!("document-worker: not a document request");
        return ExitCode::from(2);
    };
    if parent_pid() != i64::from(parent) {
        return ExitCode::from(3);
    }
    watch_parent(parent);
    limit_self(&request.limits);

    let mut bytes = Vec::new();
    if (&mut input)
        .take(request.bytes)
        .read_to_end(&mut bytes)
        .is_err()
    {
        return ExitCode::from(2);
    }
    let extracted = extract_blocking(request.format, &bytes, &request.limits);
    drop(bytes);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if serde_json::to_writer(&mut out, &extracted).is_err() || out.flush().is_err() {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

/// Address space this process needs besides the memory of the parser: code and libraries
/// (about 32 MB), the parser thread's stack and small stacks.
const BASE_ADDRESS_SPACE: u64 = 64 * 1024 * 1024 + super::pdf::STACK_BYTES as u64;

/// Address space and CPU seconds of this process, from the request's limits.
fn limit_self(limits: &Limits) {
    let bytes = limits
        .worker_memory_mb
        .saturating_mul(1024 * 1024)
        .saturating_add(BASE_ADDRESS_SPACE);
    let _ = rustix::process::setrlimit(
        Resource::As,
        Rlimit {
            current: Some(bytes),
            maximum: Some(bytes),
        },
    );
    // The parent kills at the wall-clock deadline; this catches a worker it lost track of.
    let secs = limits.timeout_secs_per_document.max(1) + GRACE_SECS;
    let _ = rustix::process::setrlimit(
        Resource::Cpu,
        Rlimit {
            current: Some(secs),
            maximum: Some(secs + 2),
        },
    );
}

fn parent_pid() -> i64 {
    rustix::process::getppid().map_or(0, |p| i64::from(p.as_raw_nonzero().get()))
}

/// Exits within half a second once the parent is gone, even when it was killed outright.
/// (Not `PR_SET_PDEATHSIG`: it fires when the parent *thread* that started the worker
/// exits, which a runtime may do while the parent lives on.)
fn watch_parent(parent: u32) {
    let _ = std::thread::Builder::new()
        .name("parent-watch".to_string())
        .stack_size(64 * 1024)
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(500));
                if parent_pid() != i64::from(parent) {
                    std::process::exit(3);
                }
            }
        });
}
