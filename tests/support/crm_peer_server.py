"""The loopback HTTP server under the CRM peers (:mod:`support.ghl_peer`,
:mod:`support.fub_peer`): each request goes to the peer's ``answer``, and scripted faults
(:class:`Fault`: a status, optionally a ``Retry-After``, and whether the change is applied
before the answer is lost) are served first."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class Fault:
    method: str
    path_prefix: str
    status: int
    times: int = 1
    retry_after: str | None = None
    apply_first: bool = False  # the change is made, then the answer is lost (a 502)


class Answering(Protocol):
    base_url: str

    def answer(self, req: Request) -> tuple[int, Any]: ...


@dataclass
class PeerBase:
    base_url: str = ""
    requests: list[Request] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(
        self,
        method: str,
        path_prefix: str,
        status: int,
        *,
        times: int = 1,
        retry_after: str | None = None,
        apply_first: bool = False,
    ) -> None:
        self.faults.append(Fault(method, path_prefix, status, times, retry_after, apply_first))

    def calls(self, method: str, path_prefix: str = "") -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    def handle(self, req: Request) -> tuple[int, Any, dict[str, str]]:
        with self.lock:
            self.requests.append(req)
            for fault in self.faults:
                if req.method == fault.method and req.path.startswith(fault.path_prefix):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    if fault.apply_first:
                        self.answer(req)
                    headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                    req.status = fault.status
                    return fault.status, {"message": f"scripted {fault.status}"}, headers
            status, doc = self.answer(req)
            req.status = status
            return status, doc, {}

    def answer(self, req: Request) -> tuple[int, Any]:
        raise NotImplementedError


@contextmanager
def serve(peer: PeerBase) -> Iterator[None]:
    """``peer`` on 127.0.0.1 (a free port) until the block ends; its ``base_url`` set."""

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            req = Request(
                self.command,
                parts.path,
                dict(parse_qsl(parts.query)),
                {k.lower(): v for k, v in self.headers.items()},
                body,
            )
            status, doc, headers = peer.handle(req)
            out = b"" if doc is None else json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        do_GET = do_POST = do_PUT = do_DELETE = _any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    peer.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
