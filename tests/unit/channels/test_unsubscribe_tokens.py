"""Unsubscribe tokens: they round-trip, hide the contact id, and refuse anything altered,
made up, or made with another secret."""

from __future__ import annotations

import base64
import string

import pytest

from leadflow.channels.unsubscribe import BadToken, Subscriber, UnsubscribeTokens

SECRET = "a-long-unsubscribe-secret-0123456789"
WHO = Subscriber("acme", "contact-4711-jane.doe@example.com", "email", 42)
NOW = 1_750_000_000.0


def test_a_token_reads_back_as_the_subscriber_it_was_issued_for() -> None:
    tokens = UnsubscribeTokens(SECRET)
    token = tokens.issue(WHO, NOW)
    assert tokens.read(token) == WHO
    assert UnsubscribeTokens(SECRET).read(token) == WHO  # another process, same secret


def test_a_token_is_one_url_path_segment() -> None:
    token = UnsubscribeTokens(SECRET).issue(WHO, NOW)
    assert set(token) <= set(string.ascii_letters + string.digits + "-_")
    assert len(token) < 300


def test_a_token_does_not_reveal_the_contact_or_tenant() -> None:
    token = UnsubscribeTokens(SECRET).issue(WHO, NOW)
    decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    for secret_part in (b"contact-4711", b"jane.doe", b"acme", b"example.com"):
        assert secret_part not in decoded
    assert "4711" not in token and "acme" not in token


def test_every_single_character_changed_is_refused() -> None:
    tokens = UnsubscribeTokens(SECRET)
    token = tokens.issue(WHO, NOW)
    for i in range(len(token)):
        other = "A" if token[i] != "A" else "B"
        altered = token[:i] + other + token[i + 1 :]
        with pytest.raises(BadToken):
            tokens.read(altered)


def test_a_token_made_with_another_secret_is_refused() -> None:
    forged = UnsubscribeTokens("someone-elses-secret-0123456789").issue(WHO, NOW)
    with pytest.raises(BadToken):
        UnsubscribeTokens(SECRET).read(forged)


@pytest.mark.parametrize(
    "junk", ["", "x", "contact-4711", "gAAAAA" + "A" * 120, "é" * 40, "A" * 5000, "a/b"]
)
def test_made_up_tokens_are_refused(junk: str) -> None:
    with pytest.raises(BadToken):
        UnsubscribeTokens(SECRET).read(junk)


def test_the_secret_never_shows_and_must_be_long_enough() -> None:
    tokens = UnsubscribeTokens(SECRET)
    assert SECRET not in repr(tokens) and "***" in repr(tokens)
    with pytest.raises(ValueError, match="at least 16"):
        UnsubscribeTokens("short")
