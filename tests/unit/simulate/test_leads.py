from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from email_validator import validate_email
from phonenumbers import timezone as phone_timezone

from leadflow.contacts import US_STATE_TIME_ZONES
from leadflow.errors import InvalidInput
from leadflow.model.records import Contact
from leadflow.simulate.leads import EMAIL_DOMAINS, STATES, _phone, synthetic_contacts

NOW = 1_700_000_000.0


@pytest.fixture(scope="module")
def leads() -> list[Contact]:
    return synthetic_contacts(20_000, seed=7, now=NOW)


def _offsets(zone: str) -> tuple[timedelta | None, ...]:
    return tuple(
        datetime(2025, month, 15, 12, tzinfo=UTC).astimezone(ZoneInfo(zone)).utcoffset()
        for month in (1, 7)
    )


def test_same_seed_same_leads_other_seed_other_leads() -> None:
    one = synthetic_contacts(300, seed=42, now=NOW)
    assert one == synthetic_contacts(300, seed=42, now=NOW)
    assert one != synthetic_contacts(300, seed=43, now=NOW)
    assert synthetic_contacts(100, seed=42, now=NOW) == one[:100]  # a prefix is stable too


def test_ids_times_and_consent(leads: list[Contact]) -> None:
    assert [c.id for c in leads[:3]] == ["lead-000001", "lead-000002", "lead-000003"]
    assert len({c.id for c in leads}) == len(leads)
    for contact in leads[:500]:
        assert contact.created_at == contact.updated_at == NOW
        assert contact.consent["sms"] == contact.consent["email"] == "opted_in"
        assert contact.first_name and contact.last_name


def test_phones_are_valid_unique_e164_on_the_states_area_codes(leads: list[Contact]) -> None:
    assert len({c.phone for c in leads}) == len(leads)
    for contact in leads:
        assert contact.phone and contact.state
        number = phonenumbers.parse(contact.phone, None)
        assert phonenumbers.is_valid_number(number), contact.phone
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == (
            contact.phone
        )
        assert int(contact.phone[2:5]) in STATES[contact.state][1]


def test_every_area_code_is_valid_and_in_its_states_local_time() -> None:
    for state, (_, codes) in STATES.items():
        zone = US_STATE_TIME_ZONES[state]
        for code in codes:
            number = phonenumbers.parse(f"+1{code}5550100", None)
            assert phonenumbers.is_valid_number(number), (state, code)
            zones = phone_timezone.time_zones_for_number(number)
            assert any(_offsets(z) == _offsets(zone) for z in zones), (state, code, zones)


def test_emails_are_valid_unique_and_reserved(leads: list[Contact]) -> None:
    assert len({c.email for c in leads}) == len(leads)
    for contact in leads[:2000]:
        assert contact.email
        normalized = validate_email(contact.email, check_deliverability=False).normalized
        assert normalized == contact.email
        assert contact.email.rsplit("@", 1)[1] in EMAIL_DOMAINS


def test_time_zones_are_the_states_iana_zones(leads: list[Contact]) -> None:
    for contact in leads:
        assert contact.state and contact.time_zone == US_STATE_TIME_ZONES[contact.state]
        ZoneInfo(contact.time_zone)


def test_states_spread_over_50_states_and_dc_by_population(leads: list[Contact]) -> None:
    counts = Counter(c.state for c in leads)
    assert set(counts) == set(STATES) and len(STATES) == 51
    total = sum(pop for pop, _ in STATES.values())
    for state, (pop, _) in STATES.items():
        expected = len(leads) * pop / total
        assert abs(counts[state] - expected) <= 4 * expected**0.5 + 3, state
    assert counts.most_common(1)[0][0] == "CA"


def test_hidden_engagement_fields(leads: list[Contact]) -> None:
    propensities = [c.fields["sim_reply_propensity"] for c in leads]
    hours = [c.fields["sim_preferred_hour"] for c in leads]
    assert all(isinstance(p, float) and 0.0 <= p <= 1.0 for p in propensities)
    assert abs(sum(propensities) / len(propensities) - 0.5) < 0.01
    assert all(isinstance(h, int) and 0 <= h <= 23 for h in hours)
    assert len(set(hours)) > 15
    assert sum(1 for h in hours if 8 <= h <= 21) > 0.8 * len(hours)


def test_sizes() -> None:
    assert synthetic_contacts(0, seed=1, now=NOW) == []
    with pytest.raises(InvalidInput):
        synthetic_contacts(-1, seed=1, now=NOW)


def test_phone_falls_back_to_ordinary_exchanges_when_555_is_full() -> None:
    used = {f"+1907555{line:04d}" for line in range(10_000)}
    phone = _phone(random.Random(1), (907,), used)
    assert phone.startswith("+1907") and phone[5:8] != "555"
    assert phonenumbers.is_valid_number(phonenumbers.parse(phone, None))
    assert phone in used
