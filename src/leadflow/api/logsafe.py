"""What of a request may be written to a log: never a header, a path only with its secret
segments replaced (the token of an unsubscribe link ``/u/{token}``), and a query string only
with the values of secret-looking parameters replaced."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

# A parameter is secret when any of these words is in its name (api_key, access_token, sig...).
SECRET_WORDS = ("key", "token", "secret", "signature", "sig", "password", "passwd", "auth")
REDACTED = "***"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
# Paths whose segment is itself a credential: the segment after the prefix is replaced.
SECRET_PATHS = (re.compile(r"^(/u/)[^/]+"),)


def is_secret(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def redact_query(query: str) -> str:
    """The query string with the value of every secret parameter replaced by ``***``."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, REDACTED if is_secret(k) else v) for k, v in pairs], safe="*")


def redact_path(path: str) -> str:
    """The path with every secret segment (an unsubscribe token) replaced by ``***``."""
    for pattern in SECRET_PATHS:
        path = pattern.sub(lambda m: m.group(1) + REDACTED, path)
    return path


def loggable_target(path: str, query: bytes | str) -> str:
    """``path?query`` as it may appear in a log line."""
    text = query.decode("latin-1") if isinstance(query, bytes) else query
    safe = redact_query(text)
    path = redact_path(path)
    return f"{path}?{safe}" if safe else path


def sane_request_id(value: str | None) -> str | None:
    """A client's ``X-Request-ID`` is kept when it is short and plain (letters, digits, ``._:-``);
    anything else is replaced, so a log line can never be forged through it."""
    if value is not None and _SAFE_ID.match(value):
        return value
    return None
