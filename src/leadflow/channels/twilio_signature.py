"""Checking that a webhook request really comes from Twilio (``X-Twilio-Signature``).

Twilio signs the full URL it called (query string included) followed by each form parameter's
name and value in sorted order, with HMAC-SHA1 keyed by the account's Auth Token. Behind a proxy
the URL this server sees is not the one Twilio called, so it is rebuilt from the configured
public base URL. Twilio is not consistent about an explicit default port, so the URL is tried
with and without ``:443`` / ``:80``. The signature check itself is the ``twilio`` package's
:class:`RequestValidator`; the comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Sequence
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

HEADER = "X-Twilio-Signature"


class BadSignature(Exception):
    """The request is not signed by Twilio (the reason says why, never the secret)."""


class FormParams:
    """Form parameters in the order received, repeated names kept (``MediaUrl0``...)."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self.pairs = list(pairs)

    @classmethod
    def parse(cls, body: bytes) -> FormParams:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadSignature("the form body is not UTF-8") from None
        return cls(parse_qsl(text, keep_blank_values=True))

    def __iter__(self) -> Iterator[str]:  # the names, as a mapping would give them
        return iter(dict.fromkeys(name for name, _ in self.pairs))

    def getall(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]

    def get(self, name: str) -> str | None:
        values = self.getall(name)
        return values[0] if values else None

    def first(self) -> dict[str, str]:
        return {name: self.getall(name)[0] for name in self}


def public_url(base: str | None, path: str, query: str, seen_url: str) -> str:
    """The URL Twilio called: ``base`` + path + query when a public base URL is configured,
    else the URL this server saw."""
    if not base:
        return seen_url
    url = base.rstrip("/") + path
    return f"{url}?{query}" if query else url


def url_variants(url: str) -> list[str]:
    """``url`` as given, without its explicit default port, and with it."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    if default is None or parts.port not in (None, default):
        return [url]
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    bare = urlunsplit(parts._replace(netloc=host))
    ported = urlunsplit(parts._replace(netloc=f"{host}:{default}"))
    return list(dict.fromkeys([url, bare, ported]))


def verify(token: str | None, url: str, params: FormParams, signature: str | None) -> None:
    """Raise :class:`BadSignature` unless ``signature`` signs ``url`` and ``params`` with
    ``token`` (the URL tried with and without its default port)."""
    if not token:
        raise BadSignature("no Twilio auth token is configured")
    if not signature:
        raise BadSignature(f"no {HEADER} header")
    validator = RequestValidator(token)
    for candidate in url_variants(url):
        expected = str(validator.compute_signature(candidate, params))
        if hmac.compare_digest(expected.encode(), signature.strip().encode()):
            return
    raise BadSignature(f"{HEADER} does not match the request")


def sign(token: str, url: str, params: FormParams) -> str:
    """The signature Twilio would send for ``url`` and ``params`` (for tests and tools)."""
    return str(RequestValidator(token).compute_signature(url, params))


SID_NAMES = ("MessageSid", "SmsSid", "CallSid")


def replay_digest(route: str, signature: str, params: FormParams) -> str:
    """What the replay guard remembers of one request: a digest (never the signature or the
    parameters themselves) of the route, the signature and the *parsed* parameters -- Twilio's
    ids first, then every pair in sorted order -- so the same signed request sent again with
    its parameters reordered, percent-encoded otherwise or with a trailing ``&`` is the same
    request."""
    ids = [(name, value) for name in SID_NAMES for value in params.getall(name)]
    parts = [b"twilio", route.encode(), signature.strip().encode()]
    for name, value in [*ids, *sorted(params.pairs)]:
        parts += [name.encode(), value.encode()]
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()
