"""A loopback stand-in for an OpenAI-compatible server's ``POST /v1/chat/completions``, answering
from a script: each entry is one answer (status, JSON body or raw text, headers, delay); the last
entry repeats when the script runs out. It checks the bearer key and keeps every request body.

Answers follow the documented chat-completion object: ``choices[0].message.content`` (or
``tool_calls`` for a tool call), ``usage.prompt_tokens`` / ``completion_tokens``; errors use the
``{"error": {"message", "type", "code"}}`` document.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "sk-peer-secret-9f8e7d6c5b4a"


@dataclass
class Reply:
    status: int = 200
    content: str | None = None  # the message content (a JSON text, or anything)
    tool_arguments: str | None = None  # answer as a tool call with these arguments instead
    body: Any = None  # a whole body instead (error documents)
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    refuse_modes: tuple[str, ...] = ()  # answer 400 to requests using these output modes
    tokens: tuple[int, int] = (120, 80)


def good(definition: dict[str, Any], tokens: tuple[int, int] = (120, 80)) -> Reply:
    return Reply(content=json.dumps(definition), tokens=tokens)


def error(status: int, message: str = "error", **headers: str) -> Reply:
    body = {"error": {"message": message, "type": "server_error", "code": None}}
    return Reply(status=status, body=body, headers=headers)


def mode_of(request: dict[str, Any]) -> str:
    if request.get("tools"):
        return "tool"
    fmt = (request.get("response_format") or {}).get("type")
    return "json_schema" if fmt == "json_schema" else "json_object" if fmt else "text"


@dataclass
class LlmPeer:
    script: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    base_url: str = ""
    in_flight: int = 0  # requests being answered now
    max_in_flight: int = 0  # the most answered at once
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _next(self) -> Reply:
        if not self.script:
            return error(500, "no script")
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]


def _handler(peer: LlmPeer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(raw)  # fails when the client gave up (its timeout)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if len(raw) < length:  # the client died mid-request (a killed worker): nothing came
                self.close_connection = True
                return
            request = json.loads(raw or b"{}")
            peer.authorizations.append(self.headers.get("Authorization") or "")
            if self.path != "/v1/chat/completions":
                self._send(404, {"error": {"message": "not found"}}, {})
                return
            if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                self._send(401, {"error": {"message": "bad key", "type": "auth"}}, {})
                return
            with peer.lock:
                peer.requests.append(request)
                reply = peer._next()
                peer.in_flight += 1
                peer.max_in_flight = max(peer.max_in_flight, peer.in_flight)
            try:
                self._answer(request, reply)
            finally:
                with peer.lock:
                    peer.in_flight -= 1

        def _answer(self, request: dict[str, Any], reply: Reply) -> None:
            if reply.delay_s:
                time.sleep(reply.delay_s)
            if mode_of(request) in reply.refuse_modes:
                self._send(400, {"error": {"message": "response_format not supported"}}, {})
                return
            if reply.body is not None or reply.status != 200:
                self._send(reply.status, reply.body or {}, reply.headers)
                return
            message: dict[str, Any] = {"role": "assistant", "content": reply.content}
            if reply.tool_arguments is not None:
                message = {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "emit_answer", "arguments": reply.tool_arguments},
                        }
                    ],
                }
            body = {
                "id": f"chatcmpl-{len(peer.requests)}",
                "object": "chat.completion",
                "created": 1767571200,
                "model": request.get("model", "m"),
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {
                    "prompt_tokens": reply.tokens[0],
                    "completion_tokens": reply.tokens[1],
                    "total_tokens": sum(reply.tokens),
                },
            }
            self._send(200, body, reply.headers)

    return Handler


@contextmanager
def running_llm_peer(script: list[Reply] | None = None) -> Iterator[LlmPeer]:
    peer = LlmPeer(script=list(script or []))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(peer))
    server.daemon_threads = True
    peer.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield peer
    finally:
        server.shutdown()
        server.server_close()


def free_port_url() -> str:
    """A loopback URL where nothing listens (a server that is down)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
