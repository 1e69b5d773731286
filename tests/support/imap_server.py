"""A small IMAP4rev1 server on loopback, for the inbound e-mail tests: a real socket server
speaking enough of RFC 3501 for a mail poller (CAPABILITY, LOGIN, SELECT / EXAMINE, UID SEARCH,
UID FETCH, NOOP, LOGOUT) and RFC 2177 IDLE (offered only when ``idle=True``). One mailbox,
``INBOX``; messages are added by the test (:meth:`ImapServer.deliver`) and an idling session is
told at once (``* n EXISTS``), from the delivering thread. ``commands`` records every command
received (the password never), so a test can see what the client asked and when."""

from __future__ import annotations

import re
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(rb'"((?:[^"\\]|\\.)*)"|(\S+)')


def _args(raw: bytes) -> list[str]:
    out = []
    for quoted, bare in _TOKEN.findall(raw):
        out.append(
            (quoted.replace(b'\\"', b'"').replace(b"\\\\", b"\\") if quoted else bare).decode()
        )
    return out


@dataclass
class Mailbox:
    uidvalidity: int = 1001
    messages: list[tuple[int, bytes]] = field(default_factory=list)
    next_uid: int = 1


class _Session(socketserver.StreamRequestHandler):
    server: _Server

    def _send(self, data: bytes) -> None:
        with self.server.write_lock:
            self.wfile.write(data)
            self.wfile.flush()

    def handle(self) -> None:
        srv = self.server
        # no Nagle: an EXISTS sent while idling leaves at once, so it is there when the
        # delivering test's next step looks (loopback delivers within the send call)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        caps = b"IMAP4rev1 IDLE" if srv.idle else b"IMAP4rev1"
        self._send(b"* OK [CAPABILITY " + caps + b"] leadflow test IMAP ready\r\n")
        authed = False
        while True:
            line = self.rfile.readline()
            if not line:
                return
            parts = line.rstrip(b"\r\n").split(b" ", 2)
            tag = parts[0]
            command = parts[1].upper().decode() if len(parts) > 1 else ""
            rest = parts[2] if len(parts) > 2 else b""
            if command == "UID" and rest:
                sub, _, rest = rest.partition(b" ")
                command = f"UID {sub.upper().decode()}"
            srv.commands.append(command)
            if command == "CAPABILITY":
                self._send(b"* CAPABILITY " + caps + b"\r\n" + tag + b" OK CAPABILITY done\r\n")
            elif command == "LOGIN":
                user, password = [*_args(rest), "", ""][:2]
                authed = srv.users.get(user) == password
                status = (
                    b" OK LOGIN completed\r\n" if authed else b" NO [AUTHENTICATIONFAILED] bad\r\n"
                )
                self._send(tag + status)
            elif command == "LOGOUT":
                self._send(b"* BYE logging out\r\n" + tag + b" OK LOGOUT completed\r\n")
                return
            elif not authed:
                self._send(tag + b" NO log in first\r\n")
            elif command in ("SELECT", "EXAMINE"):
                with srv.lock:
                    box = srv.mailbox
                    self._send(
                        b"* FLAGS (\\Seen)\r\n"
                        + f"* {len(box.messages)} EXISTS\r\n* 0 RECENT\r\n".encode()
                        + f"* OK [UIDVALIDITY {box.uidvalidity}] UIDs valid\r\n".encode()
                        + f"* OK [UIDNEXT {box.next_uid}] next\r\n".encode()
                        + tag
                        + b" OK [READ-ONLY] done\r\n"
                    )
            elif command == "UID SEARCH":
                self._send(b"* SEARCH " + " ".join(map(str, self._search(rest))).encode() + b"\r\n")
                self._send(tag + b" OK SEARCH completed\r\n")
            elif command == "UID FETCH":
                wanted = set(self._search(b"UID " + rest.split(b" ", 1)[0]))
                with srv.lock:
                    found = [
                        (i + 1, u, m)
                        for i, (u, m) in enumerate(srv.mailbox.messages)
                        if u in wanted
                    ]
                for seq, uid, raw in found:
                    head = f"* {seq} FETCH (UID {uid} BODY[] {{{len(raw)}}}\r\n".encode()
                    self._send(head + raw + b")\r\n")
                self._send(tag + b" OK FETCH completed\r\n")
            elif command == "NOOP":
                self._send(tag + b" OK NOOP completed\r\n")
            elif command == "IDLE" and srv.idle:
                self._idle(tag)
            else:
                self._send(tag + b" BAD unknown command\r\n")

    def _search(self, rest: bytes) -> list[int]:
        with self.server.lock:
            uids = [u for u, _ in self.server.mailbox.messages]
        spec = _args(rest)
        if len(spec) >= 2 and spec[0].upper() == "UID":
            out: list[int] = []
            for item in spec[1].split(","):
                lo, _, hi = item.partition(":")
                low = int(lo)
                high = (max(uids) if uids else 0) if hi == "*" else int(hi or lo)
                if hi == "*" and low > high:  # RFC 3501: n:* always includes the largest
                    low, high = high, low
                out += [u for u in uids if low <= u <= high and u not in out]
            return out
        return uids

    def _idle(self, tag: bytes) -> None:
        srv = self.server
        with srv.lock:
            srv.idlers.append(self)
        self._send(b"+ idling\r\n")
        try:
            line = self.rfile.readline()
        finally:
            with srv.lock:
                srv.idlers.remove(self)
        if line.strip().upper() == b"DONE":
            self._send(tag + b" OK IDLE terminated\r\n")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, users: dict[str, str], idle: bool, tls: ssl.SSLContext | None = None
    ) -> None:
        super().__init__(("127.0.0.1", 0), _Session)
        self.tls = tls
        self.users = users
        self.idle = idle
        self.mailbox = Mailbox()
        self.lock = threading.Lock()
        self.write_lock = threading.Lock()
        self.idlers: list[_Session] = []
        self.commands: list[str] = []

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.tls is None:
            return sock, address
        # implicit TLS (port 993 style); the handshake runs on the session's own thread
        return self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def finish_request(self, request: Any, client_address: Any) -> None:
        if isinstance(request, ssl.SSLSocket):
            try:
                request.do_handshake()
            except (ssl.SSLError, OSError):
                return  # a client that does not trust the certificate goes away
        super().finish_request(request, client_address)


@dataclass
class ImapServer:
    server: _Server
    host: str
    port: int

    @property
    def commands(self) -> list[str]:
        return self.server.commands

    def deliver(self, raw: bytes) -> int:
        """Add a message to INBOX; its UID. Idling sessions hear ``* n EXISTS`` before this
        returns."""
        srv = self.server
        with srv.lock:
            box = srv.mailbox
            uid = box.next_uid
            box.next_uid += 1
            box.messages.append((uid, raw))
            count = len(box.messages)
            idlers = list(srv.idlers)
        for session in idlers:
            session._send(f"* {count} EXISTS\r\n".encode())
        return uid

    def renumber(self, uidvalidity: int) -> None:
        """A new UIDVALIDITY, the messages renumbered from 1 (as after a mailbox rebuild)."""
        with self.server.lock:
            box = self.server.mailbox
            box.uidvalidity = uidvalidity
            box.messages = [(i + 1, raw) for i, (_, raw) in enumerate(box.messages)]
            box.next_uid = len(box.messages) + 1

    def settings(self, **extra: object) -> dict[str, object]:
        """The ``Settings`` fields pointing a poller at this server (user ``leads``)."""
        return {
            "imap_host": self.host,
            "imap_port": self.port,
            "imap_security": "none",
            "imap_username": "leads",
            "imap_password": "imap-pass",
            **extra,
        }


@contextmanager
def imap_server(
    idle: bool = True,
    users: dict[str, str] | None = None,
    tls: ssl.SSLContext | None = None,
) -> Iterator[ImapServer]:
    """The server on 127.0.0.1; with ``tls`` (a server context), implicit TLS."""
    srv = _Server(users or {"leads": "imap-pass"}, idle, tls)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = srv.server_address[:2]
        yield ImapServer(srv, str(host), int(port))
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join()


__all__ = ["ImapServer", "imap_server"]
