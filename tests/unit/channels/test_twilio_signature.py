"""X-Twilio-Signature: the documented algorithm, the URL rebuilt behind a proxy, the port rule."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from leadflow.channels.twilio_signature import (
    BadSignature,
    FormParams,
    public_url,
    replay_digest,
    sign,
    url_variants,
    verify,
)

TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = FormParams(
    [
        ("CallSid", "CA1234567890ABCDE"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
        ("Caller", "+14158675309"),
    ]
)


def by_hand(token: str, url: str, pairs: list[tuple[str, str]]) -> str:
    """The algorithm as Twilio documents it: the URL, then each name and value, sorted."""
    s = url
    for name in sorted({n for n, _ in pairs}):
        for value in sorted({v for n, v in pairs if n == name}):
            s += name + value
    return base64.b64encode(hmac.new(token.encode(), s.encode(), hashlib.sha1).digest()).decode()


EXPECTED = "RSOYDt4T1cUTdK1PDd93/VVr8B8="  # the published test vector of these inputs
EXPECTED_443 = "kvajT1Ptam85bY51eRf/AJRuM3w="  # the same URL written with :443


def test_the_signature_matches_the_published_vectors() -> None:
    assert sign(TOKEN, URL, PARAMS) == EXPECTED == by_hand(TOKEN, URL, PARAMS.pairs)
    verify(TOKEN, URL, PARAMS, EXPECTED)
    verify(TOKEN, URL, PARAMS, EXPECTED_443)
    verify(TOKEN, URL.replace(".com", ".com:443"), PARAMS, EXPECTED)


def test_repeated_parameters_are_all_signed() -> None:
    pairs = [("MediaUrl", "https://b.example/2"), ("MediaUrl", "https://a.example/1")]
    params = FormParams(pairs)
    assert sign(TOKEN, URL, params) == by_hand(TOKEN, URL, pairs)
    one = FormParams(pairs[:1])
    with pytest.raises(BadSignature):
        verify(TOKEN, URL, one, sign(TOKEN, URL, params))


@pytest.mark.parametrize(
    ("signed_url", "seen_url"),
    [
        ("https://leads.example.com:443/webhooks/twilio/sms", "https://leads.example.com/webhooks/twilio/sms"),
        ("https://leads.example.com/webhooks/twilio/sms", "https://leads.example.com:443/webhooks/twilio/sms"),
        ("http://leads.example.com:80/webhooks/twilio/sms?x=1", "http://leads.example.com/webhooks/twilio/sms?x=1"),
    ],
)  # fmt: skip
def test_a_url_signed_with_or_without_its_default_port_is_accepted(
    signed_url: str, seen_url: str
) -> None:
    verify(TOKEN, seen_url, PARAMS, sign(TOKEN, signed_url, PARAMS))


def test_another_port_is_not_the_same_url() -> None:
    assert url_variants("https://h.example:8443/p") == ["https://h.example:8443/p"]
    with pytest.raises(BadSignature):
        verify(
            TOKEN, "https://h.example/p", PARAMS, sign(TOKEN, "https://h.example:8443/p", PARAMS)
        )


@pytest.mark.parametrize(
    ("token", "signature", "reason"),
    [
        (TOKEN, None, "no X-Twilio-Signature header"),
        (TOKEN, "RSOYDt4T1cUTdK1PDd93/VVr8B8x", "does not match"),
        ("54321", EXPECTED, "does not match"),
        (None, EXPECTED, "no Twilio auth token"),
    ],
)
def test_forged_or_missing_signatures_are_refused_with_a_reason(
    token: str | None, signature: str | None, reason: str
) -> None:
    with pytest.raises(BadSignature, match=reason) as err:
        verify(token, URL, PARAMS, signature)
    assert TOKEN not in str(err.value) or reason == "no Twilio auth token"


def test_a_changed_parameter_breaks_the_signature() -> None:
    changed = FormParams([*PARAMS.pairs[:-1], ("To", "+18005551213")])
    with pytest.raises(BadSignature):
        verify(TOKEN, URL, changed, EXPECTED)


def test_behind_a_proxy_the_public_url_is_rebuilt() -> None:
    seen = "http://10.0.0.5:8080/webhooks/twilio/voice?m=7"
    rebuilt = public_url("https://leads.example.com", "/webhooks/twilio/voice", "m=7", seen)
    assert rebuilt == "https://leads.example.com/webhooks/twilio/voice?m=7"
    assert public_url("https://x.example/", "/w", "", seen) == "https://x.example/w"
    assert public_url(None, "/webhooks/twilio/voice", "m=7", seen) == seen


def test_form_bodies_keep_blank_and_repeated_values() -> None:
    params = FormParams.parse(b"Body=&MediaUrl0=a&To=%2B1555&To=%2B1666")
    assert params.get("Body") == "" and params.getall("To") == ["+1555", "+1666"]
    with pytest.raises(BadSignature, match="UTF-8"):
        FormParams.parse(b"Body=\xff\xfe")


def test_the_replay_digest_hides_what_it_remembers() -> None:
    def form(body: bytes) -> FormParams:
        return FormParams.parse(body)

    digest = replay_digest("sms", EXPECTED, form(b"Body=STOP"))
    assert "RSOYDt" not in digest and len(digest) == 64
    assert digest != replay_digest("status", EXPECTED, form(b"Body=STOP"))
    assert digest != replay_digest("sms", EXPECTED, form(b"Body=STOP+"))


def test_the_replay_digest_is_that_of_the_parsed_parameters() -> None:
    """Reordered, percent-encoded otherwise, a trailing ``&``: the same signed request."""
    sid = "SM" + "1" * 32
    plain = replay_digest("sms", EXPECTED, FormParams.parse(f"MessageSid={sid}&Body=a b".encode()))
    for body in (
        f"Body=a+b&MessageSid={sid}",
        f"MessageSid={sid}&Body=a%20b&",
        f"%4Dessage%53id={sid}&Body=%61+b",
    ):
        assert replay_digest("sms", EXPECTED, FormParams.parse(body.encode())) == plain, body
    other = FormParams.parse(f"MessageSid={sid}&Body=a+c".encode())
    assert replay_digest("sms", EXPECTED, other) != plain
