"""A real HTTP server on 127.0.0.1 that records every request and answers with scripted
statuses (the receiving end of outgoing webhooks)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HookServer:
    url: str
    received: list[Received]
    statuses: list[int]  # answers to give, in order; 200 once exhausted


@contextmanager
def hook_server() -> Iterator[HookServer]:
    """A stdlib HTTP server on 127.0.0.1 in a thread, recording every request."""
    received: list[Received] = []
    statuses: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            received.append(
                Received(self.command, self.path, {k: v for k, v in self.headers.items()}, body)
            )
            status = statuses.pop(0) if statuses else 200
            payload = b'{"ok": true}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_POST = do_PUT = do_PATCH = do_GET = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield HookServer(f"http://{host}:{port}", received, statuses)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
