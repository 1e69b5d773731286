"""Made-up leads for the compliance simulation: every state, DC and three territories.

Each lead has an address (state and a zone of that state; split states sometimes get their
second zone) and a phone number on a real area code: mostly of the address state, sometimes of
another state (people move, keep their number, and the two zones then differ), sometimes
toll-free (no place at all). A few leads have a number and no address. Florida, Oklahoma and
Washington are drawn three times as often as their population says; the smallest places as
if they had 600,000 people. Numbers use the 555
exchange (valid to ``phonenumbers``, almost never a working line); each one is checked with
``phonenumbers.is_valid_number``.
"""

from __future__ import annotations

import random
from itertools import accumulate

import phonenumbers

from leadflow.contacts.importer import US_STATE_TIME_ZONES
from leadflow.model.records import Contact
from leadflow.simulate.leads import FIRST_NAMES, LAST_NAMES, STATES

# Territories: (population in thousands, area codes).
TERRITORIES: dict[str, tuple[int, tuple[int, ...]]] = {
    "PR": (3286, (787, 939)),
    "VI": (87, (340,)),
    "GU": (154, (671,)),
}
# States split between zones: the second zone, drawn for SECOND_ZONE_SHARE of their leads.
SECOND_ZONES = {
    "FL": "America/Chicago", "TX": "America/Denver", "TN": "America/New_York",
    "KY": "America/Chicago", "IN": "America/Chicago", "MI": "America/Menominee",
    "ND": "America/Denver", "SD": "America/Denver", "NE": "America/Denver",
    "KS": "America/Denver", "OR": "America/Boise", "ID": "America/Los_Angeles",
    "AK": "America/Adak", "AZ": "America/Denver",
}  # fmt: skip
STRICT_STATES_BOOST = {"FL": 3, "OK": 3, "WA": 3}
TOLL_FREE = (800, 833, 844, 855, 866, 877, 888)
SECOND_ZONE_SHARE = 0.2
MOVED_SHARE = 0.2  # number of another state than the address
TOLL_FREE_SHARE = 0.05
NO_ADDRESS_SHARE = 0.07

_PLACES = {**STATES, **TERRITORIES}
_CODES = tuple(_PLACES)
MIN_WEIGHT = 600  # thousands: the smallest places (VI, GU, WY) still come up
_CUM = tuple(
    accumulate(
        max(pop, MIN_WEIGHT) * STRICT_STATES_BOOST.get(s, 1) for s, (pop, _) in _PLACES.items()
    )
)


def compliance_contacts(
    n: int, *, seed: int, now: float, start: int = 1, used: set[str] | None = None
) -> list[Contact]:
    """``n`` leads ``cmp-<seed>-<index>`` from ``start`` on, the same ones for the same seed;
    ``used`` holds the numbers already given (added to), so later draws never repeat one."""
    rng = random.Random(f"people:{seed}:{start}")
    used = set() if used is None else used
    out: list[Contact] = []
    for index in range(start, start + n):
        home = rng.choices(_CODES, cum_weights=_CUM)[0]
        zone = US_STATE_TIME_ZONES[home]
        if home in SECOND_ZONES and rng.random() < SECOND_ZONE_SHARE:
            zone = SECOND_ZONES[home]
        draw = rng.random()
        if draw < TOLL_FREE_SHARE:
            areas: tuple[int, ...] = TOLL_FREE
        elif draw < TOLL_FREE_SHARE + MOVED_SHARE:
            areas = _PLACES[rng.choices(_CODES, cum_weights=_CUM)[0]][1]
        else:
            areas = _PLACES[home][1]
        has_address = rng.random() >= NO_ADDRESS_SHARE
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        out.append(
            Contact(
                id=f"cmp-{seed}-{index:06d}",
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{index}@example.com",
                phone=valid_number(rng, areas, used),
                time_zone=zone if has_address else None,
                state=home if has_address else None,
                stage="new",
                consent={"sms": "opted_in", "email": "opted_in", "voice": "opted_in"},
                created_at=now,
                updated_at=now,
            )
        )
    return out


def valid_number(rng: random.Random, areas: tuple[int, ...], used: set[str]) -> str:
    """A new E.164 number on one of ``areas`` that ``phonenumbers`` finds valid."""
    for _ in range(1000):
        phone = f"+1{rng.choice(areas)}555{rng.randrange(100, 10000):04d}"
        if phone in used:
            continue
        if phonenumbers.is_valid_number(phonenumbers.parse(phone)):
            used.add(phone)
            return phone
    raise RuntimeError(f"no valid number on area codes {areas}")  # pragma: no cover
