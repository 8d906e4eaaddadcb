#!/usr/bin/python3
"""A real SMTP server for tests: STARTTLS (or implicit TLS), AUTH PLAIN/LOGIN/XOAUTH2, and
every accepted message stored as one file.

Run with Debian's interpreter (``/usr/bin/python3``, package ``python3-aiosmtpd``)::

    /usr/bin/python3 scripts/testenv/smtp_sink.py --port 42525 --dir /tmp/sink \
        --cert cert.pem --key key.pem --user intake --password secret

Accepted messages land in ``DIR/mail/<sequence>.eml`` (written to a temporary name and renamed,
so a reader never sees half a file) with the envelope beside it in ``<sequence>.json``.

Failures are injected at run time through ``DIR/control.json`` (read on every command), e.g.
``{"reject_all": "451 4.3.0 try again later"}`` or
``{"reject_rcpt": {"bad@example.org": "550 5.1.1 no such user"}}``.

With ``--sent-maildir PATH`` it behaves like Microsoft 365 and Gmail, which keep a copy of every
mail submitted over SMTP in the account's sent folder: each accepted message is also dropped into
the Maildir folder PATH (e.g. Dovecot's ``<user>/.Sent``) as ``new/<unique name>``, written to
``tmp/`` and renamed, BEFORE the 250 answer. Directories it creates, and the copies, get the
owner of the nearest existing parent (so Dovecot, running as another user, can index them).

The server exits when its standard input reaches end of file, so it never outlives the test
process that started it (that process holds the other end of the pipe, even if it is killed).
An XOAUTH2 bearer token is accepted when it equals ``--token`` (if given).
"""

import argparse
import asyncio
import base64
import json
import os
import socket
import ssl
import sys
import threading
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def read_control(directory):
    try:
        with open(os.path.join(directory, "control.json"), encoding="utf-8") as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return {}


def ensure_dir(path):
    """Creates ``path`` and missing parents, each owned like its parent (when we are root)."""
    if os.path.isdir(path):
        return
    parent = os.path.dirname(os.path.abspath(path))
    ensure_dir(parent)
    try:
        os.mkdir(path)
    except FileExistsError:
        return
    take_owner_of(path, parent)


def take_owner_of(path, like):
    if os.geteuid() == 0:
        st = os.stat(like)
        os.chown(path, st.st_uid, st.st_gid)


class SentMaildir:
    """A Maildir folder that receives a copy of every accepted message."""

    def __init__(self, path):
        self.path = path
        self.sequence = 0
        self.host = socket.gethostname().replace("/", "_").replace(":", "_") or "sink"
        self.ensure()

    def ensure(self):
        for sub in ("cur", "new", "tmp"):
            ensure_dir(os.path.join(self.path, sub))
        marker = os.path.join(self.path, "maildirfolder")
        if not os.path.exists(marker):
            open(marker, "ab").close()
            take_owner_of(marker, self.path)

    def store(self, data):
        # The folder may have been removed and recreated by the IMAP server meanwhile.
        self.ensure()
        self.sequence += 1
        now = time.time()
        name = "%d.M%dP%dQ%d.%s" % (
            int(now), int((now % 1) * 1_000_000), os.getpid(), self.sequence, self.host
        )
        tmp = os.path.join(self.path, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        take_owner_of(tmp, os.path.join(self.path, "tmp"))
        os.rename(tmp, os.path.join(self.path, "new", name))


class Sink:
    def __init__(self, directory, token, delay, sent_maildir=None):
        self.directory = directory
        self.sent = SentMaildir(sent_maildir) if sent_maildir else None
        self.maildir = os.path.join(directory, "mail")
        os.makedirs(self.maildir, exist_ok=True)
        self.token = token
        self.delay = delay
        self.sequence = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        answer = read_control(self.directory).get("reject_all")
        if answer:
            return answer
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        control = read_control(self.directory)
        answer = control.get("reject_all") or control.get("reject_rcpt", {}).get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        answer = read_control(self.directory).get("reject_data")
        if answer:
            return answer
        if self.delay:
            await asyncio.sleep(self.delay)
        self.sequence += 1
        name = "%020d-%06d" % (time.time_ns(), self.sequence)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "login": (session.login_data or b"").decode("utf-8", "replace")
            if isinstance(session.login_data, bytes)
            else session.login_data,
            "tls": server._tls_protocol is not None,
        }
        for suffix, data in ((".json", json.dumps(meta).encode()), (".eml", envelope.original_content)):
            tmp = os.path.join(self.maildir, "." + name + suffix + ".tmp")
            with open(tmp, "wb") as f:
                f.write(data)
            os.rename(tmp, os.path.join(self.maildir, name + suffix))
        if self.sent is not None:
            # Like Microsoft 365: the copy is in the sent folder before the client hears 250.
            self.sent.store(envelope.original_content)
        return "250 2.0.0 OK queued as " + name

    async def auth_XOAUTH2(self, server, args):
        if len(args) < 2:
            blob = await server.challenge_auth("")
            if not isinstance(blob, bytes):
                return AuthResult(success=False, handled=True)
        else:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except Exception:
                return AuthResult(success=False, handled=False)
        fields = dict(
            part.split("=", 1) for part in blob.decode("utf-8", "replace").split("\x01") if "=" in part
        )
        ok = self.token is not None and fields.get("auth") == "Bearer " + self.token
        return AuthResult(
            success=ok, handled=False, auth_data=LoginPassword(fields.get("user", "").encode(), b"")
        )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--user", default="intake")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--token", default=None)
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--no-auth", action="store_true")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before accepting DATA")
    parser.add_argument(
        "--sent-maildir", default=None, help="Maildir folder that gets a copy of each accepted message"
    )
    args = parser.parse_args()

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == args.user.encode()
            and auth_data.password == args.password.encode()
        )
        # handled=False: aiosmtpd then answers "535 5.7.8" itself (True would mean "already
        # answered" and leave the client waiting).
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    sink = Sink(args.dir, args.token, args.delay, args.sent_maildir)

    def factory():
        return SMTP(
            sink,
            hostname="sink.localhost",
            tls_context=None if args.implicit_tls else context,
            require_starttls=not args.implicit_tls,
            auth_required=not args.no_auth,
            auth_require_tls=not args.implicit_tls,
            authenticator=authenticator,
            data_size_limit=64 * 1024 * 1024,
        )

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(
            factory, host=args.host, port=args.port, ssl=context if args.implicit_tls else None,
            reuse_address=True,
        )
    )

    def watch_stdin():
        try:
            sys.stdin.buffer.read()
        finally:
            os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    print("ready", flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
