"""Replies read from an IMAP mailbox (``LEADFLOW_IMAP_*``): a periodic job of the worker
(:class:`ImapPoller`, the ``PeriodicJob`` port) that records each new message of the mailbox
once, through :func:`leadflow.channels.email_inbound.record_inbound`, for the tenant the mailbox
belongs to (``LEADFLOW_IMAP_TENANT``).

* **Once each, across restarts.** Where the mailbox was read up to is kept in the store's meta
  (``imap:<user>@<host>:<port>/<mailbox>``: the mailbox's ``UIDVALIDITY`` and the last UID
  done), written after every message. A new UIDVALIDITY (the server rebuilt the mailbox) starts
  again from UID 1; the events' dedupe keys (the tenant and the e-mail's ``Message-ID``) keep a
  message seen again from being recorded twice. The mailbox is opened read-only (``EXAMINE``,
  ``BODY.PEEK[]``): leadflow marks nothing read and deletes nothing.
* **IDLE where offered** (RFC 2177, ``LEADFLOW_IMAP_IDLE``). After each sync the connection
  stays open in IDLE; a run then only looks whether the server said anything (no command, no
  round trip) and syncs when it did, or when the IDLE is older than :data:`IDLE_RENEW_S` (RFC
  2177 asks clients to renew before 29 minutes). Without IDLE, each run searches for UIDs above
  the last one done (``UID SEARCH UID n:*``).
* **A poisoned message** (no sender, an undecodable body, anything that stops it being read) is
  set aside: logged at WARNING with its UID and the reason (never its text), listed in the meta
  key ``...:quarantine`` (the last :data:`QUARANTINE_KEPT`), and passed over; the messages after
  it go on. A store error stops the run without moving past the message (tried again next run).
  A server that cannot be reached or answers an error is logged and tried again at the next run.

Several workers each run the job against the same mailbox; they read the same messages and the
dedupe keys make each one event.
"""

from __future__ import annotations

import contextlib
import imaplib
import json
import logging
import re
import select
import socket
import ssl
from dataclasses import dataclass
from typing import Any

from leadflow.channels.email_inbound import MalformedEmail, from_mime, record_inbound
from leadflow.engine.plugins import Plugin
from leadflow.errors import StoreError
from leadflow.settings import Settings
from leadflow.store.contract import Store

log = logging.getLogger(__name__)

IDLE_RENEW_S = 20 * 60.0
QUARANTINE_KEPT = 50
BATCH = 200  # messages per run at most (the rest at the next run)
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")


@dataclass(slots=True, frozen=True)
class ImapConfig:
    host: str
    port: int
    security: str  # tls | starttls | none
    username: str
    password: str
    mailbox: str
    tenant_id: str
    interval_s: float
    idle: bool
    timeout_s: float
    ca_file: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> ImapConfig | None:
        """The mailbox to read, or None when ``LEADFLOW_IMAP_HOST`` is not set."""
        if not settings.imap_host:
            return None
        if not settings.imap_username or settings.imap_password is None:
            raise ValueError("LEADFLOW_IMAP_USERNAME and LEADFLOW_IMAP_PASSWORD are required")
        return cls(
            settings.imap_host,
            settings.imap_port,
            settings.imap_security,
            settings.imap_username,
            settings.imap_password.get_secret_value(),
            settings.imap_mailbox,
            settings.imap_tenant,
            settings.imap_interval_s,
            settings.imap_idle,
            settings.imap_timeout_s,
            settings.imap_ca_file,
        )

    @property
    def key(self) -> str:
        return f"imap:{self.username}@{self.host}:{self.port}/{self.mailbox}"

    def __repr__(self) -> str:
        return f"ImapConfig({self.username}@{self.host}:{self.port}/{self.mailbox}, password=***)"


class ImapPoller:
    """The worker's periodic job reading one mailbox (see the module's text)."""

    name = "inbound_email.imap"

    def __init__(self, config: ImapConfig, store: Store, settings: Settings) -> None:
        self.config = config
        self.store = store
        self.settings = settings
        self.interval_s = config.interval_s
        self._conn: imaplib.IMAP4 | None = None
        self._uidvalidity = 0
        self._can_idle = False
        self._idle_tag: bytes | None = None
        self._idle_since = 0.0
        self.quarantined = 0

    # ------------------------------------------------------------------ the job
    def run(self, now: float) -> int:
        try:
            return self._run(now)
        except (imaplib.IMAP4.error, OSError, EOFError) as exc:
            log.warning("IMAP %s: %s (tried again next run)", self.config.key, _said(exc))
            self._drop()
            return 0

    def close(self) -> None:
        if self._conn is None:
            return
        with contextlib.suppress(imaplib.IMAP4.error, OSError, EOFError):
            if self._idle_tag is not None:
                self._end_idle()
            self._conn.logout()
        self._drop()

    def _run(self, now: float) -> int:
        if self._conn is None:
            self._open()
        if self._idle_tag is not None:
            if not self._server_spoke() and now - self._idle_since < IDLE_RENEW_S:
                return 0
            self._end_idle()
        done = self._sync(now)
        if self.config.idle and self._can_idle:
            self._start_idle(now)
        return done

    # ------------------------------------------------------------------ connection
    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.config.ca_file)

    def _open(self) -> None:
        cfg = self.config
        conn: imaplib.IMAP4
        if cfg.security == "tls":
            conn = imaplib.IMAP4_SSL(
                cfg.host, cfg.port, ssl_context=self._context(), timeout=cfg.timeout_s
            )
        else:
            conn = imaplib.IMAP4(cfg.host, cfg.port, timeout=cfg.timeout_s)
            if cfg.security == "starttls":
                conn.starttls(self._context())
        self._conn = conn
        conn.login(cfg.username, cfg.password)
        typ, _ = conn.select(_quoted(cfg.mailbox), readonly=True)
        if typ != "OK":
            raise imaplib.IMAP4.error(f"cannot open mailbox {cfg.mailbox!r}")
        found = conn.response("UIDVALIDITY")[1]
        value = found[0] if found and found[0] is not None else b"0"
        self._uidvalidity = int(value)
        self._can_idle = "IDLE" in conn.capabilities

    def _drop(self) -> None:
        conn, self._conn, self._idle_tag = self._conn, None, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.shutdown()

    # ------------------------------------------------------------------ IDLE (RFC 2177)
    def _start_idle(self, now: float) -> None:
        conn = self._need()
        tag = conn._new_tag()  # imaplib of Python < 3.14 has no IDLE of its own
        conn.send(tag + b" IDLE\r\n")
        answer = conn.readline()
        if not answer.startswith(b"+"):
            raise imaplib.IMAP4.error(f"IDLE refused: {answer[:80]!r}")
        self._idle_tag, self._idle_since = tag, now

    def _server_spoke(self) -> bool:
        """Whether the server sent anything while idling (``* n EXISTS``...), without waiting."""
        conn = self._need()
        sock: socket.socket = conn.sock
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        if select.select([sock], [], [], 0)[0]:
            return True
        reader: Any = conn.file  # a buffered reader may already hold what was sent
        peek = getattr(reader, "peek", None)
        if peek is None:
            return False
        sock.setblocking(False)
        try:
            return bool(peek(1))
        except (BlockingIOError, ssl.SSLWantReadError):
            return False
        finally:
            sock.settimeout(self.config.timeout_s)

    def _end_idle(self) -> None:
        conn = self._need()
        tag, self._idle_tag = self._idle_tag, None
        conn.send(b"DONE\r\n")
        while True:
            line = conn.readline()
            if not line:
                raise EOFError("the IMAP server closed the connection")
            if tag is not None and line.startswith(tag + b" "):
                if not line[len(tag) + 1 :].startswith(b"OK"):
                    raise imaplib.IMAP4.error(f"IDLE ended badly: {line[:80]!r}")
                return

    # ------------------------------------------------------------------ reading
    def _need(self) -> imaplib.IMAP4:
        if self._conn is None:
            raise imaplib.IMAP4.error("not connected")
        return self._conn

    def _state(self) -> tuple[int, int]:
        raw = self.store.get_meta(self.config.key)
        try:
            value = json.loads(raw) if raw else {}
            return int(value.get("uidvalidity", 0)), int(value.get("last_uid", 0))
        except (ValueError, TypeError, AttributeError):
            return 0, 0

    def _save(self, uid: int) -> None:
        state = {"uidvalidity": self._uidvalidity, "last_uid": uid}
        self.store.set_meta(self.config.key, json.dumps(state))

    def _sync(self, now: float) -> int:
        conn = self._need()
        validity, last = self._state()
        if validity != self._uidvalidity:
            if validity:
                log.info("IMAP %s: new UIDVALIDITY, read again from UID 1", self.config.key)
            last = 0
        typ, data = conn.uid("SEARCH", f"UID {last + 1}:*")
        if typ != "OK":
            raise imaplib.IMAP4.error("UID SEARCH failed")
        words = b" ".join(d for d in data if isinstance(d, bytes)).split()
        uids = sorted(u for u in (int(w) for w in words if w.isdigit()) if u > last)
        done = 0
        for uid in uids[:BATCH]:
            raw = self._fetch(conn, uid)
            try:
                mail = from_mime(raw, "imap")
                record_inbound(self.store, self.settings, mail, self.config.tenant_id, now)
                done += 1
            except StoreError:
                raise
            except Exception as exc:  # one bad message must not stop the mailbox
                self._quarantine(uid, exc, now)
            self._save(uid)
        return done

    def _fetch(self, conn: imaplib.IMAP4, uid: int) -> bytes:
        typ, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
        if typ != "OK":
            raise imaplib.IMAP4.error(f"UID FETCH {uid} failed")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return item[1]
        return b""  # gone meanwhile (expunged): read as an empty, malformed message

    def _quarantine(self, uid: int, exc: Exception, now: float) -> None:
        reason = str(exc) if isinstance(exc, MalformedEmail) else type(exc).__name__
        log.warning("IMAP %s: message UID %s set aside: %s", self.config.key, uid, reason)
        self.quarantined += 1
        key = f"{self.config.key}:quarantine"
        try:
            kept = json.loads(self.store.get_meta(key) or "[]")
        except ValueError:
            kept = []
        entry = {"uid": uid, "uidvalidity": self._uidvalidity, "error": reason[:300], "at": now}
        kept = [*(kept if isinstance(kept, list) else []), entry][-QUARANTINE_KEPT:]
        self.store.set_meta(key, json.dumps(kept))


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _said(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:200]


def inbound_email_plugin(settings: Settings, store: Store) -> Plugin:
    """The IMAP poller as a plugin's periodic job (no job when no mailbox is configured)."""
    config = ImapConfig.from_settings(settings)
    jobs = [ImapPoller(config, store, settings)] if config is not None else []
    return Plugin("inbound_email", jobs=jobs)


__all__ = ["ImapConfig", "ImapPoller", "inbound_email_plugin"]
