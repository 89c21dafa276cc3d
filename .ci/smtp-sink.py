#!/usr/bin/env python3
"""An SMTP sink on loopback for the tests: a real SMTP server (aiosmtpd) that offers STARTTLS with a
given certificate and requires it before AUTH and MAIL, optionally requires AUTH PLAIN/LOGIN with one
user and password, keeps every message in memory, and serves them as JSON over HTTP.

    python3 .ci/smtp-sink.py --cert CERT.pem --key KEY.pem [--user USER --password PASSWORD]
                             [--smtp-port N] [--http-port N]

Both listen on 127.0.0.1; port 0 (the default) takes a free one. Once both listen, one JSON line goes to
standard output: {"smtp_port": N, "http_port": N}. The HTTP API:

    GET    /messages   [{"from", "to", "subject", "raw", "tls", "tls_version", "auth", "user",
                         "peer", "received_at"}, ...] in arrival order ("to" is a list)
    DELETE /messages   forgets them: {"deleted": N}
    GET    /health     {"ok": true, "messages": N}

Exits on SIGTERM or SIGINT, and when its parent process ends. Exit code 3: aiosmtpd is not installed.
"""

import argparse
import asyncio
import datetime
import hmac
import json
import logging
import os
import signal
import ssl
import sys
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
except ImportError:
    print("smtp-sink.py: aiosmtpd is not installed (pip install aiosmtpd)", file=sys.stderr)
    sys.exit(3)

LOOPBACK = "127.0.0.1"
log = logging.getLogger("smtp-sink")


class Mailbox:
    """The received messages, shared by the SMTP loop and the HTTP threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._messages = []

    def add(self, message):
        with self._lock:
            self._messages.append(message)

    def all(self):
        with self._lock:
            return list(self._messages)

    def clear(self):
        with self._lock:
            n = len(self._messages)
            self._messages.clear()
            return n


class Handler:
    """aiosmtpd's handler: stores each message with how its session was protected and authenticated."""

    def __init__(self, mailbox):
        self.mailbox = mailbox

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        try:
            subject = str(message_from_bytes(raw, policy=policy.default).get("subject", ""))
        except Exception as e:  # a malformed header is the test's business, not the sink's
            subject = f"(unreadable subject: {e})"
        tls_version = None
        if session.ssl is not None:
            ssl_object = session.ssl.get("ssl_object")
            tls_version = ssl_object.version() if ssl_object is not None else "unknown"
        self.mailbox.add(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "subject": subject,
                "raw": raw.decode("utf-8", "replace"),
                "tls": session.ssl is not None,
                "tls_version": tls_version,
                "auth": bool(session.authenticated),
                "user": session.auth_data if session.authenticated else None,
                "peer": list(session.peer) if session.peer else None,
                "received_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            }
        )
        return "250 2.0.0 Message accepted"


def authenticator_for(user, password):
    """Accepts exactly `user` with `password` (AUTH PLAIN or LOGIN); the session's auth data is the user."""
    want_user, want_password = user.encode(), password.encode()

    def authenticate(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = hmac.compare_digest(auth_data.login, want_user) & hmac.compare_digest(
            auth_data.password, want_password
        )
        return AuthResult(success=bool(ok), handled=False, auth_data=user if ok else None)

    return authenticate


class Api(BaseHTTPRequestHandler):
    server_version = "smtp-sink"

    def _json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/messages":
            self._json(200, self.server.mailbox.all())
        elif path == "/health":
            self._json(200, {"ok": True, "messages": len(self.server.mailbox.all())})
        else:
            self._json(404, {"error": "not found"})

    def do_DELETE(self):
        if self.path.split("?", 1)[0] == "/messages":
            self._json(200, {"deleted": self.server.mailbox.clear()})
        else:
            self._json(404, {"error": "not found"})

    def log_message(self, format, *args):
        log.debug("http: " + format, *args)


async def main(args):
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(args.cert, args.key)
    authenticator = authenticator_for(args.user, args.password) if args.user is not None else None
    mailbox = Mailbox()
    handler = Handler(mailbox)

    def smtp():
        return SMTP(
            handler,
            hostname="localhost",
            ident="guestlist smtp-sink",
            tls_context=tls,
            require_starttls=True,
            authenticator=authenticator,
            auth_required=authenticator is not None,
            auth_require_tls=True,
            loop=loop,
        )

    smtp_server = await loop.create_server(smtp, LOOPBACK, args.smtp_port)
    http = ThreadingHTTPServer((LOOPBACK, args.http_port), Api)
    http.daemon_threads = True
    http.mailbox = mailbox
    threading.Thread(target=http.serve_forever, name="http", daemon=True).start()

    ports = {
        "smtp_port": smtp_server.sockets[0].getsockname()[1],
        "http_port": http.server_address[1],
    }
    print(json.dumps(ports), flush=True)
    log.info("listening: %s", ports)

    parent = os.getppid()

    async def watch_parent():
        # Orphaned (the test process died without stopping us): the parent changes.
        while not stop.is_set():
            if os.getppid() != parent:
                log.info("parent %d is gone", parent)
                stop.set()
            await asyncio.sleep(0.5)

    watcher = asyncio.ensure_future(watch_parent())
    await stop.wait()
    watcher.cancel()
    smtp_server.close()
    http.shutdown()
    http.server_close()


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cert", required=True, help="PEM certificate chain for STARTTLS")
    p.add_argument("--key", required=True, help="PEM private key of the certificate")
    p.add_argument("--user", help="require AUTH with this user (needs --password)")
    p.add_argument("--password", help="the user's password")
    p.add_argument("--smtp-port", type=int, default=0, help="SMTP port on 127.0.0.1 (0: any free one)")
    p.add_argument("--http-port", type=int, default=0, help="HTTP API port on 127.0.0.1 (0: any free one)")
    p.add_argument("--verbose", action="store_true", help="log each SMTP session to stderr")
    args = p.parse_args()
    if (args.user is None) != (args.password is None):
        p.error("--user and --password go together")
    return args


if __name__ == "__main__":
    args = parse_args()
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="smtp-sink: %(levelname)s %(name)s: %(message)s",
    )
    # aiosmtpd warns about its own use of a deprecated attribute on every AUTH.
    logging.getLogger("mail.log").addFilter(lambda r: "login_data is deprecated" not in r.getMessage())
    try:
        asyncio.run(main(args))
    except OSError as e:
        print(f"smtp-sink.py: {e}", file=sys.stderr)
        sys.exit(1)
