"""The SSRF guard of outbound webhooks: IPv6 spellings of loopback and private IPv4 addresses
are refused like the addresses they carry, and a name is resolved once: the connection goes to
the address that was checked (a rebinding resolver cannot steer it), with the original Host
header and TLS server name."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from leadflow.channels.ssrf import guarded_request, refused_reason
from leadflow.channels.webhook import HttpWebhookProvider
from leadflow.errors import ProviderError
from leadflow.model.records import Message


@pytest.mark.parametrize(
    "url",
    [
        "http://[::127.0.0.1]/hook",  # IPv4-compatible
        "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped
        "http://[::ffff:0:7f00:1]/hook",  # IPv4-translated
        "http://[64:ff9b::7f00:1]/hook",  # NAT64 of 127.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",  # NAT64 of 169.254.169.254
        "http://[64:ff9b:1::a00:1]/hook",  # local-use NAT64 prefix
        "http://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
        "http://[2002:a00:8::1]/hook",  # 6to4 of 10.0.0.8
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",  # Teredo, client 127.0.0.1
        "http://[::10.0.0.8]:8080/hook",
    ],
)
def test_ipv6_forms_carrying_a_private_ipv4_address_are_refused(url: str) -> None:
    reason = refused_reason(url, allow_private=False)
    assert reason is not None and "non-public address" in reason


@pytest.mark.parametrize(
    "url",
    ["http://[64:ff9b::808:808]/hook", "http://[2002:808:808::]/hook", "http://[2606:4700::1]/"],
)
def test_ipv6_forms_of_public_addresses_pass(url: str) -> None:
    assert refused_reason(url, allow_private=False) is None


class Rebinding:
    """A resolver that answers the check with a public address and then a private one."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        return [self.answers[min(len(self.calls), len(self.answers)) - 1]]


def _message(url: str) -> Message:
    return Message(
        run_id=1,
        contact_id="c1",
        workflow_key="w",
        node="hook",
        channel="webhook",
        to=url,
        idempotency_key="1:hook:1",
        due_at=0.0,
        created_at=0.0,
        body='{"a": 1}',
        payload={"headers": {"Host": "evil.internal"}},
    )


def test_a_rebinding_name_connects_to_the_checked_public_address() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    resolver = Rebinding("93.184.216.34", "127.0.0.1")
    client = httpx.Client(transport=httpx.MockTransport(answer))
    provider = HttpWebhookProvider(client=client, resolver=resolver)
    result = provider.send(_message("https://hooks.example.com:8443/in?x=1"), 0.0)
    assert result.status == "delivered"
    assert resolver.calls == [("hooks.example.com", 8443)]  # resolved once
    (request,) = seen
    assert request.url.host == "93.184.216.34" and request.url.port == 8443  # the checked one
    assert request.url.path == "/in" and request.url.query == b"x=1"
    assert request.headers["host"] == "hooks.example.com:8443"  # not the payload's Host
    assert request.extensions["sni_hostname"] == "hooks.example.com"


def test_a_name_answering_a_private_address_to_the_check_is_refused() -> None:
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(204)))
    provider = HttpWebhookProvider(client=client, resolver=Rebinding("10.0.0.8", "93.184.216.34"))
    with pytest.raises(ProviderError) as refused:
        provider.send(_message("http://hooks.example.com/in"), 0.0)
    assert "non-public address 10.0.0.8" in str(refused.value)
    assert refused.value.retryable is False


@pytest.fixture
def loopback() -> Iterator[tuple[int, list[str]]]:
    hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            hosts.append(str(self.headers.get("Host")))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], hosts
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_real_connection_goes_to_the_checked_address(loopback: tuple[int, list[str]]) -> None:
    """Over real sockets (loopback only): the name answers 127.0.0.1 to the check and
    127.0.0.3 (where nothing listens) afterwards; the request reaches the server at the first,
    with the name as its Host."""
    port, hosts = loopback
    resolver = Rebinding("127.0.0.1", "127.0.0.3")
    with httpx.Client(timeout=5) as client:
        response = guarded_request(
            client,
            "POST",
            f"http://hooks.test:{port}/in",
            allow_private=True,
            headers={},
            content=b"{}",
            resolver=resolver,
        )
    assert response.status_code == 200
    assert hosts == [f"hooks.test:{port}"]
    assert len(resolver.calls) == 1
