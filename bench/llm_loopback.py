"""A loopback ``POST /v1/chat/completions`` server for measuring the model path's plumbing (not a
model's quality): bench/ai_eval.py --loopback.

Fixed policy, per request:

* the request is a repair round (a user message after the first saying "The draft is invalid"):
  answer the offline planner's draft of the first user message (the request);
* else, for one request in five (the SHA-256 of the request's text, modulo 5, is 0): answer an
  invalid draft, the planner's draft with its first node's ``next`` pointing to a node that does
  not exist (``no-such-node``), so the validator's errors go back (a second round);
* else: answer the planner's draft.

Usage as the server reports it: ``prompt_tokens`` = characters of the request's messages / 4,
``completion_tokens`` = characters of the answer / 4 (an estimate, rounded up). The answer is
the message content (JSON text), whatever output mode the request asked for.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from leadflow.ai.planner import plan_workflow

INVALID_EVERY = 5
MISSING = "no-such-node"


def broken(prompt: str) -> bool:
    """Whether the first answer for ``prompt`` is an invalid draft (one request in five)."""
    digest = hashlib.sha256(prompt.encode()).digest()
    return int.from_bytes(digest[:8], "big") % INVALID_EVERY == 0


def answer_for(messages: list[dict[str, Any]]) -> dict[str, Any]:
    users = [str(m.get("content") or "") for m in messages if m.get("role") == "user"]
    prompt = users[0] if users else ""
    draft = plan_workflow(prompt).definition
    repairing = any(u.startswith("The draft is invalid") for u in users[1:])
    if not repairing and broken(prompt) and draft.get("nodes"):
        draft = json.loads(json.dumps(draft))
        draft["nodes"][0]["next"] = MISSING
    return draft


@dataclass
class Loopback:
    base_url: str
    requests: int = 0
    invalid_answers: int = 0


def _handler(state: Loopback, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            request = json.loads(raw or b"{}")
            messages = request.get("messages") or []
            draft = answer_for(messages)
            content = json.dumps(draft)
            with lock:
                state.requests += 1
                state.invalid_answers += MISSING in content
            body = {
                "id": f"chatcmpl-loopback-{state.requests}",
                "object": "chat.completion",
                "created": 1767571200,
                "model": request.get("model", "loopback"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": math.ceil(len(json.dumps(messages)) / 4),
                    "completion_tokens": math.ceil(len(content) / 4),
                },
            }
            out = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    return Handler


@contextmanager
def running_loopback() -> Iterator[Loopback]:
    """The server on 127.0.0.1 (a free port) while the block runs; its ``base_url`` ends in /v1."""
    lock = threading.Lock()
    state = Loopback("")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state, lock))
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
