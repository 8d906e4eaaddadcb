//! Hostile input, made by the tests themselves, against the library and the `intake` binary:
//! a mail nested 50,000 deep, a PDF of a few KB that inflates to gigabytes, a PDF that keeps
//! a core busy without producing text. Each must end as a finding with a specific reason,
//! with the process finished and no document worker left behind.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use flate2::{Compress, Compression, FlushCompress};

/// A mail of `levels` nested `message/rfc822` parts (50,000 make 1.6 MB).
pub fn deeply_nested_mail(levels: usize) -> Vec<u8> {
    let mut raw = b"From: Gemeente Diep <info@diep.example>\r\nTo: oproep@example.nl\r\n\
                    Subject: Aanmelding\r\nMessage-ID: <diep@diep.example>\r\n\
                    Date: Mon, 2 Mar 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n"
        .to_vec();
    for _ in 0..levels {
        raw.extend_from_slice(b"Content-Type: message/rfc822\r\n\r\n");
    }
    raw.extend_from_slice(b"Content-Type: text/plain\r\n\r\nGeachte heer,\r\n");
    raw
}

/// A PDF made of `objects` (numbered from 1; object 1 is the catalog).
fn pdf(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn stream(dict: &str, content: &[u8]) -> Vec<u8> {
    let mut s = format!("<< {dict} /Length {} >>\nstream\n", content.len()).into_bytes();
    s.extend_from_slice(content);
    s.extend_from_slice(b"\nendstream");
    s
}

fn one_page(resources: &str) -> Vec<Vec<u8>> {
    vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
             /Resources << {resources} >> >>"
        )
        .into_bytes(),
    ]
}

/// A zlib stream of `mib` MiB of spaces, built from one compressed MiB repeated (each MiB is
/// compressed from a fresh dictionary after a full flush, so the pieces are identical).
fn zlib_of_spaces(mib: u64) -> Vec<u8> {
    let chunk = vec![b' '; 1 << 20];
    let mut z = Compress::new(Compression::best(), true);
    let piece = |z: &mut Compress| {
        let mut out = Vec::with_capacity(4096);
        let before = z.total_in();
        while z.total_in() - before < chunk.len() as u64 {
            let done = (z.total_in() - before) as usize;
            out.reserve(4096);
            z.compress_vec(&chunk[done..], &mut out, FlushCompress::Full)
                .expect("deflate");
        }
        // Drain what the full flush still holds.
        loop {
            out.reserve(4096);
            let before_out = out.len();
            z.compress_vec(&[], &mut out, FlushCompress::Full)
                .expect("deflate");
            if out.len() == before_out {
                break;
            }
        }
        out
    };
    let first = piece(&mut z);
    let second = piece(&mut z);
    let third = piece(&mut z);
    assert_eq!(second, third, "full-flush pieces repeat");
    let mut inner = first;
    for _ in 1..mib {
        inner.extend_from_slice(&second);
    }
    // A final empty fixed-Huffman block, then Adler-32 of all the spaces.
    inner.extend_from_slice(&[0x03, 0x00]);
    let n = u128::from(mib) << 20;
    let a = (1 + n * 32) % 65521;
    let b = (n + 32 * (n * (n + 1) / 2)) % 65521;
    inner.extend_from_slice(&(((b << 16) | a) as u32).to_be_bytes());
    inner
}

/// A one-page PDF of a few KB whose content stream (Flate inside Flate) inflates to 3 GB.
pub fn memory_bomb_pdf() -> Vec<u8> {
    let inner = zlib_of_spaces(3 * 1024);
    let mut outer = flate2::write::ZlibEncoder::new(Vec::new(), Compression::best());
    outer.write_all(&inner).expect("deflate");
    let outer = outer.finish().expect("deflate");
    let mut objects = one_page("");
    objects.push(stream("/Filter [/FlateDecode /FlateDecode]", &outer));
    pdf(&objects)
}

/// A one-page PDF whose page draws a form 40 times, which draws the next form 40 times, seven
/// levels deep: 40^7 drawings, no text, hardly any memory — a core busy for hours.
pub fn cpu_spinner_pdf() -> Vec<u8> {
    let mut objects = one_page("/XObject << /X 5 0 R >>");
    objects.push(stream("", b"/X Do\n"));
    let levels = 7;
    for i in 0..levels {
        let n = 5 + i;
        if i + 1 < levels {
            objects.push(stream(
                &format!(
                    "/Type /XObject /Subtype /Form /BBox [0 0 10 10] \
                     /Resources << /XObject << /X {} 0 R >> >>",
                    n + 1
                ),
                "/X Do ".repeat(40).as_bytes(),
            ));
        } else {
            objects.push(stream(
                "/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << >>",
                b"",
            ));
        }
    }
    pdf(&objects)
}

/// A mail from a municipality with one PDF attachment.
pub fn mail_with_pdf(pdf: &[u8]) -> Vec<u8> {
    let mut b64 = String::new();
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in pdf.chunks(57) {
        for three in chunk.chunks(3) {
            let v = (u32::from(three[0]) << 16)
                | (u32::from(*three.get(1).unwrap_or(&0)) << 8)
                | u32::from(*three.get(2).unwrap_or(&0));
            for i in 0..4 {
                b64.push(if i <= three.len() {
                    T[((v >> (18 - 6 * i)) & 63) as usize] as char
                } else {
                    '='
                });
            }
        }
        b64.push_str("\r\n");
    }
    format!(
        "From: Gemeente Zwolle <info@zwolle.nl>\r\nTo: oproep@example.nl\r\n\
         Subject: Aanmelding Koplopers\r\nMessage-ID: <pdf-{}@zwolle.nl>\r\n\
         Date: Mon, 2 Mar 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"grens\"\r\n\r\n--grens\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nGeachte heer, mevrouw,\r\n\r\n\
         Hierbij onze aanmelding.\r\n\r\n--grens\r\nContent-Type: application/pdf; name=brief.pdf\r\n\
         Content-Disposition: attachment; filename=brief.pdf\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{b64}--grens--\r\n",
        pdf.len()
    )
    .into_bytes()
}

/// Document workers started by the intake with process id `intake` (their command line
/// names their parent), alive or not yet reaped.
fn workers_of(intake: u32) -> Vec<(u32, String)> {
    let needle = format!("document-worker --parent {intake}");
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.trim_end().ends_with(&needle) {
            found.push((pid, cmd));
        }
    }
    found
}

/// `intake ARGS` in the repository root with the given environment, waited for at most
/// `limit` (a hang fails the test; it is not a speed check). Also returns its process id.
fn intake(args: &[&str], env: &[(&str, String)], limit: Duration) -> (Output, u32) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_intake"));
    cmd.args(args)
        .current_dir(crate::helpers::root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("intake starts");
    let pid = child.id();
    let started = Instant::now();
    loop {
        if let Some(_status) = child.try_wait().expect("wait") {
            return (child.wait_with_output().expect("output"), pid);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "intake {args:?} did not finish within {limit:?}\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn write(dir: &Path, name: &str, data: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, data).expect("write test file");
    path.display().to_string()
}

fn database_env(dir: &Path) -> Vec<(&'static str, String)> {
    vec![
        (
            "INTAKE__DATABASE__URL",
            format!("sqlite://{}", dir.join("intake.db").display()),
        ),
        (
            "INTAKE__MAILBOX__MAILDIR_PATH",
            dir.join("mailbox").display().to_string(),
        ),
        (
            "INTAKE__OUTBOX__DIR",
            dir.join("outbox").display().to_string(),
        ),
        ("INTAKE__DIGEST__ENABLED", "false".to_string()),
    ]
}

#[test]
fn intake_extract_reports_a_mail_nested_fifty_thousand_deep_and_exits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(dir.path(), "diep.eml", &deeply_nested_mail(50_000));
    let (out, _) = intake(&["extract", &file], &[], Duration::from_secs(120));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "exit 1 (a finding), not a crash: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("too_large") && stdout.contains("nested more than 20 levels deep"),
        "{stdout}"
    );
}

#[test]
fn intake_ingest_stores_a_mail_nested_fifty_thousand_deep_and_exits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(dir.path(), "diep.eml", &deeply_nested_mail(50_000));
    let (out, _) = intake(
        &["ingest", &file],
        &database_env(dir.path()),
        Duration::from_secs(300),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code().is_some(),
        "ingest was killed by a signal: {stderr}"
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "ingest exits with 0 or 1, got {:?}: {stderr}",
        out.status.code()
    );
}

#[test]
fn intake_extract_stops_a_pdf_that_keeps_a_core_busy_and_leaves_no_worker() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(dir.path(), "draaien.pdf", &cpu_spinner_pdf());
    let (out, pid) = intake(
        &["extract", &file],
        &[(
            "INTAKE__DOCUMENTS__TIMEOUT_SECS_PER_DOCUMENT",
            "3".to_string(),
        )],
        Duration::from_secs(120),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("unreadable: the PDF could not be read: it took longer than 3 s"),
        "{stdout}"
    );
    let left = workers_of(pid);
    assert!(left.is_empty(), "workers left behind: {left:?}");
}

#[test]
fn intake_extract_reports_a_pdf_that_inflates_to_gigabytes_as_using_too_much_memory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bomb = memory_bomb_pdf();
    assert!(bomb.len() < 64 * 1024, "a few KB: {}", bomb.len());
    let file = write(dir.path(), "bom.pdf", &bomb);
    let (out, _) = intake(&["extract", &file], &[], Duration::from_secs(120));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("unreadable: the PDF could not be read: it used more than 256 MB memory"),
        "{stdout}"
    );
}

#[tokio::test]
async fn the_daemon_stopped_by_sigterm_while_a_pdf_spins_leaves_no_worker_behind() {
    let dir = tempfile::tempdir().expect("temp dir");
    let maildir = dir.path().join("mailbox");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).expect("maildir");
    }
    std::fs::write(
        maildir.join("new").join("draaien.eml"),
        mail_with_pdf(&cpu_spinner_pdf()),
    )
    .expect("deliver");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_intake"));
    cmd.arg("run")
        .current_dir(crate::helpers::root())
        .env("INTAKE__MAILBOX__POLL_INTERVAL_SECS", "1")
        // The daemon finishes the mail in hand before it stops: the worker is killed at
        // this deadline, and nothing of it may outlive the daemon.
        .env("INTAKE__DOCUMENTS__TIMEOUT_SECS_PER_DOCUMENT", "10")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in database_env(dir.path()) {
        cmd.env(k, v);
    }
    let mut daemon = cmd.spawn().expect("daemon starts");
    let pid = daemon.id();
    // Wait (bounded) until a document worker is busy with the PDF.
    let started = Instant::now();
    let worker_seen = loop {
        if !workers_of(pid).is_empty() {
            break true;
        }
        if started.elapsed() > Duration::from_secs(120) {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let status = Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let stopped = Instant::now();
    let exited = loop {
        if daemon.try_wait().expect("wait").is_some() {
            break true;
        }
        if stopped.elapsed() > Duration::from_secs(120) {
            let _ = daemon.kill();
            break false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let out = daemon.wait_with_output().expect("output");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(worker_seen, "no document worker ever ran: {log}");
    assert!(exited, "the daemon did not exit after SIGTERM: {log}");
    // The worker polls for its parent twice a second.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let left = workers_of(pid);
    assert!(left.is_empty(), "workers left behind: {left:?}\n{log}");
}
