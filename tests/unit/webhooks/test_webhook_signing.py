from __future__ import annotations

import hashlib
import hmac

import pytest

from leadflow.webhooks import signing
from leadflow.webhooks.signing import BadSignature

NOW = 1_700_000_000.0
BODY = b'{"email": "a@b.co"}'


def test_sign_matches_the_documented_scheme() -> None:
    header = signing.sign("sek", NOW, BODY)
    expected = hmac.new(b"sek", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert signing.verify("sek", header, BODY, NOW + 299) == expected


@pytest.mark.parametrize(
    "header",
    [None, "", "garbage", "t=abc,v1=00", "t=1700000000", "v1=00", "t=1700000000,v1=00"],
)
def test_malformed_or_wrong_headers_are_refused(header: str | None) -> None:
    with pytest.raises(BadSignature):
        signing.verify("sek", header, BODY, NOW)


def test_wrong_secret_body_or_stale_time_is_refused() -> None:
    header = signing.sign("sek", NOW, BODY)
    with pytest.raises(BadSignature):
        signing.verify("other", header, BODY, NOW)
    with pytest.raises(BadSignature):
        signing.verify("sek", header, BODY + b" ", NOW)
    with pytest.raises(BadSignature):
        signing.verify("sek", header, BODY, NOW + 301)
    with pytest.raises(BadSignature):
        signing.verify("sek", header, BODY, NOW - 301)


def test_one_of_several_v1_values_may_match() -> None:
    good = signing.sign("sek", NOW, BODY).split(",")[1]
    assert signing.verify("sek", f"t=1700000000,v1=00,{good}", BODY, NOW)


def test_replay_digest_depends_on_tenant() -> None:
    assert signing.replay_digest("a", "x") != signing.replay_digest("b", "x")
    assert signing.new_secret() != signing.new_secret()
