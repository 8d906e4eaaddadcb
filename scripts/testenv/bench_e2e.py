#!/usr/bin/python3
"""End-to-end benchmark of `intake run` against real servers (not a test; prints figures).

1. Latency: 100 nominations APPENDed one by one to Dovecot while the daemon IDLEs; for each, the
   time from the APPEND's OK to the SMTP sink storing the confirmation (p50, p95, max).
2. Burst: 500 nominations with a two-page PDF letter (the Zwolle sample) APPENDed while the
   daemon is stopped; then the daemon starts and the clock runs until the 500th confirmation is
   accepted by the SMTP sink (mails/s, peak RSS of the daemon from /proc/<pid>/status VmHWM).

Both on SQLite and on PostgreSQL (a throwaway cluster). Servers run as plain processes on
127.0.0.1 high ports in a temp dir, as in tests/it/servers.rs. Standard library only; run with
/usr/bin/python3 (Debian's python3-aiosmtpd is needed by the SMTP sink).

Usage: scripts/bench-e2e.sh [--latency N] [--burst N] [--db sqlite|postgres|both]
"""

import argparse
import email.utils
import glob
import imaplib
import os
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USER, PASSWORD = "intake", "secret"
PDF_SAMPLE = os.path.join(ROOT, "examples/mailbox/cur/1520844441.M107919P23017.mx1:2,S")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on port %d" % port)


def run(cmd, **kw):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)


def certificate(d):
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "basicConstraints=critical,CA:FALSE",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", os.path.join(d, "key.pem"), "-out", os.path.join(d, "cert.pem")])
    return os.path.join(d, "cert.pem")


class Dovecot:
    def __init__(self, base):
        self.dir = os.path.join(base, "dovecot")
        os.makedirs(self.dir)
        for sub in ("run", "state", "mail", "home"):
            os.makedirs(os.path.join(self.dir, sub))
        self.ca = certificate(self.dir)
        self.port = free_port()
        root = os.geteuid() == 0
        user, group = ("nobody", "nogroup") if root else (os.getlogin(), os.getlogin())
        with open(os.path.join(self.dir, "users"), "w") as f:
            f.write("%s:{PLAIN}%s::::::\n" % (USER, PASSWORD))
        d = self.dir
        conf = """base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
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
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
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
}}
""".format(d=d, user=user, group=group, port=self.port)
        with open(os.path.join(d, "dovecot.conf"), "w") as f:
            f.write(conf)
        if root:
            run(["chown", "-R", "%s:%s" % (user, group), os.path.join(d, "mail"), os.path.join(d, "home")])
        self.proc = subprocess.Popen(["dovecot", "-F", "-c", os.path.join(d, "dovecot.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        wait_port(self.port)

    def client(self):
        ctx = ssl.create_default_context(cafile=self.ca)
        c = imaplib.IMAP4_SSL("127.0.0.1", self.port, ssl_context=ctx)
        c.login(USER, PASSWORD)
        return c

    def stop(self):
        try:
            os.killpg(self.proc.pid, 15)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)


class Sink:
    def __init__(self, base):
        self.dir = os.path.join(base, "sink")
        os.makedirs(self.dir)
        self.ca = certificate(self.dir)
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(ROOT, "scripts/testenv/smtp_sink.py"),
             "--port", str(self.port), "--dir", self.dir, "--cert", self.ca,
             "--key", os.path.join(self.dir, "key.pem"), "--user", USER, "--password", PASSWORD],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def received(self):
        """(arrival time in seconds, file name) of every stored message."""
        out = []
        for path in glob.glob(os.path.join(self.dir, "mail", "*.eml")):
            ns = int(os.path.basename(path).split("-")[0])
            out.append((ns / 1e9, path))
        return sorted(out)

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


class Postgres:
    def __init__(self, base):
        self.dir = os.path.join(base, "pg")
        os.makedirs(self.dir)
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        self.bin = bins[-1] if bins else ""
        self.root = os.geteuid() == 0
        if self.root:
            run(["chown", "-R", "postgres:", self.dir])
        self.port = free_port()
        self.pg(["initdb", "-D", self.dir + "/data", "-A", "trust", "-U", "postgres", "--no-sync"])
        self.pg(["pg_ctl", "-D", self.dir + "/data", "-l", self.dir + "/log", "-w", "-o",
                 "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
                 % (self.port, self.dir), "start"])
        self.url = "postgres://postgres@127.0.0.1:%d/postgres" % self.port

    def pg(self, args):
        cmd = [os.path.join(self.bin, args[0])] + args[1:]
        if self.root:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        run(cmd, env=dict(os.environ, LC_ALL="C"))

    def stop(self):
        self.pg(["pg_ctl", "-D", self.dir + "/data", "stop", "-m", "immediate"])


def intake_env(dovecot, sink, db_url):
    env = dict(os.environ)
    env.pop("RUST_LOG", None)
    env.update({
        "INTAKE__DATABASE__URL": db_url,
        "INTAKE__MAILBOX__KIND": "imap",
        "INTAKE__MAILBOX__POLL_INTERVAL_SECS": "30",
        "INTAKE__MAILBOX__IMAP__HOST": "127.0.0.1",
        "INTAKE__MAILBOX__IMAP__PORT": str(dovecot.port),
        "INTAKE__MAILBOX__IMAP__USERNAME": USER,
        "INTAKE__MAILBOX__IMAP__CA_FILE": dovecot.ca,
        "INTAKE__MAILBOX__IMAP__PASSWORD": PASSWORD,
        "INTAKE__OUTBOX__KIND": "smtp",
        "INTAKE__OUTBOX__SMTP__HOST": "127.0.0.1",
        "INTAKE__OUTBOX__SMTP__PORT": str(sink.port),
        "INTAKE__OUTBOX__SMTP__USERNAME": USER,
        "INTAKE__OUTBOX__SMTP__CA_FILE": sink.ca,
        "INTAKE__OUTBOX__SMTP__PASSWORD": PASSWORD,
        "INTAKE__OUTBOX__DAILY_CAP_PER_ADDRESS": "100000",
        "INTAKE__DIGEST__ENABLED": "false",
        "INTAKE__ALERTS__MAIL_STAFF": "false",
    })
    return env


def body_nomination(n):
    return ("From: Inclusie <inclusie.%d@bench.example>\r\nTo: koplopers@vng.nl\r\n"
            "Subject: Aanmelding gemeente Zwolle voor Koplopers VN-Verdrag Handicap\r\n"
            "Date: Thu, 15 Mar 2018 16:42:49 +0100\r\nMessage-ID: <bench-%d.%d@bench.example>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "Geacht team Koplopers,\r\n\r\nHierbij meldt de gemeente Zwolle zich aan voor het "
            "programma Koplopers VN-Verdrag Handicap. De gemeenteraad heeft het actieprogramma "
            "vastgesteld; ervaringsdeskundigen schreven mee.\r\n\r\nMet vriendelijke groet,\r\n"
            "Gemeente Zwolle\r\n" % (n, n, time.time_ns())).encode()


def pdf_nomination(template, n):
    head, sep, body = template.partition(b"\r\n\r\n")
    lines = [l for l in head.split(b"\r\n")]
    out = []
    for line in lines:
        low = line.lower()
        if low.startswith(b"message-id:"):
            line = b"Message-ID: <bench-pdf-%d.%d@zwolle.nl>" % (n, time.time_ns())
        elif low.startswith(b"from:"):
            line = b"From: \"Bosman, Ilse\" <i.bosman.%d@zwolle.nl>" % n
        elif low.startswith(b"return-path:"):
            line = b"Return-Path: <i.bosman.%d@zwolle.nl>" % n
        out.append(line)
    return b"\r\n".join(out) + sep + body


ARRIVAL = '"15-Mar-2018 16:42:55 +0100"'


def latency(dovecot, sink, env, binary, config, count, log):
    daemon = subprocess.Popen([binary, "--config", config, "run"], env=env, cwd=log["dir"],
                              stdout=log["file"], stderr=log["file"])
    try:
        client = dovecot.client()
        time.sleep(2.0)  # connected and idling
        samples = []
        for n in range(count):
            before = len(sink.received())
            client.append("INBOX", None, ARRIVAL, body_nomination(n))
            appended = time.time()
            deadline = appended + 60
            while len(sink.received()) <= before:
                if time.time() > deadline:
                    raise RuntimeError("no confirmation within 60 s for mail %d" % n)
                time.sleep(0.002)
            samples.append(sink.received()[-1][0] - appended)
        client.logout()
        return samples
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)


def burst(dovecot, sink, env, binary, config, count, log):
    with open(PDF_SAMPLE, "rb") as f:
        template = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    client = dovecot.client()
    for n in range(count):
        client.append("INBOX", None, ARRIVAL, pdf_nomination(template, n))
    client.logout()
    before = len(sink.received())
    started = time.time()
    daemon = subprocess.Popen([binary, "--config", config, "run"], env=env, cwd=log["dir"],
                              stdout=log["file"], stderr=log["file"])
    try:
        peak = 0
        deadline = started + 1800
        while len(sink.received()) < before + count:
            if daemon.poll() is not None:
                raise RuntimeError("the daemon exited with %s" % daemon.returncode)
            if time.time() > deadline:
                raise RuntimeError("burst not done in 30 min")
            peak = max(peak, vm_hwm(daemon.pid))
            time.sleep(0.05)
        elapsed = sink.received()[-1][0] - started
        peak = max(peak, vm_hwm(daemon.pid))
        return count / elapsed, elapsed, peak
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)


def vm_hwm(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def percentile(xs, p):
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--latency", type=int, default=100)
    ap.add_argument("--burst", type=int, default=500)
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs)")
    args = ap.parse_args()
    config = os.path.join(ROOT, "config/intake.toml")
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = []
    for db in dbs:
        base = tempfile.mkdtemp(prefix="intake-bench-")
        os.chmod(base, 0o755)
        servers = []
        try:
            pg = None
            if db == "postgres":
                pg = Postgres(base)
                servers.append(pg)
            for phase in ("latency", "burst"):
                n = args.latency if phase == "latency" else args.burst
                if n == 0:
                    continue
                work = os.path.join(base, phase)
                os.makedirs(work)
                dovecot, sink = Dovecot(work), Sink(work)
                servers += [dovecot, sink]
                if pg:
                    dbname = "bench_%s" % phase
                    subprocess.run(["psql" if not pg.bin else os.path.join(pg.bin, "psql"), "-h",
                                    "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-qc",
                                    "CREATE DATABASE %s" % dbname], check=True,
                                   stdout=subprocess.DEVNULL)
                    url = "postgres://postgres@127.0.0.1:%d/%s" % (pg.port, dbname)
                else:
                    url = "sqlite://%s/intake.db" % work
                env = intake_env(dovecot, sink, url)
                log = {"dir": work, "file": open(os.path.join(work, "daemon.log"), "w")}
                if phase == "latency":
                    s = latency(dovecot, sink, env, args.binary, config, n, log)
                    line = ("%-8s latency APPEND -> confirmation accepted (IDLE), %d mails: "
                            "p50 %.0f ms, p95 %.0f ms, max %.0f ms"
                            % (db, n, 1000 * percentile(s, 50), 1000 * percentile(s, 95),
                               1000 * max(s)))
                else:
                    rate, elapsed, peak = burst(dovecot, sink, env, args.binary, config, n, log)
                    line = ("%-8s burst of %d nominations with a 2-page PDF: %.1f s, %.1f mails/s, "
                            "peak RSS %.0f MB" % (db, n, elapsed, rate, peak))
                print(line, flush=True)
                results.append(line)
                dovecot.stop()
                sink.stop()
                servers.remove(dovecot)
                servers.remove(sink)
        finally:
            for s in servers:
                try:
                    s.stop()
                except Exception:
                    pass
            if args.keep:
                print("kept", base)
            else:
                shutil.rmtree(base, ignore_errors=True)
    print("\nsummary (%s build):" % ("release" if "/release/" in args.binary else "debug"))
    for r in results:
        print("  " + r)


if __name__ == "__main__":
    main()
