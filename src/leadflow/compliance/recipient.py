"""Where a recipient may be, as the law reads it: every time zone they may be in and every state
whose stricter rules may apply.

* Zones: the contact's own ``time_zone`` (from their address) and every zone the phone number's
  area code maps to (``phonenumbers.timezone``); a non-geographic number (toll-free) says
  nothing. With neither, the workflow's or the installation's default zone.
* States: the contact's ``state`` and the state the number's area code is presumed to be in
  (``phonenumbers.geocoder``: "Florida", "San Francisco, CA"). Florida (FTSA) and Oklahoma allow
  texts and calls 8:00-20:00 and at most 3 per 24 hours; Washington 8:00-20:00; elsewhere the
  federal 8:00-21:00.

A text or call may leave only at a moment inside the window in *every* possible zone.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

from leadflow.addresses import US_STATE_CODES
from leadflow.model.records import Contact

FEDERAL_WINDOW = ("08:00", "21:00")
STATE_WINDOWS = {"FL": ("08:00", "20:00"), "OK": ("08:00", "20:00"), "WA": ("08:00", "20:00")}
CAPPED_STATES = frozenset({"FL", "OK"})  # at most CAP_PER_DAY texts/calls per 24 hours
CAP_PER_DAY = 3

US_STATES = {
    **US_STATE_CODES,
    "washington state": "WA",
    "washington d.c.": "DC",
    "district of columbia": "DC",
}
_CODES = frozenset(US_STATES.values())


@lru_cache(maxsize=65536)
def number_facts(phone: str | None) -> tuple[tuple[str, ...], str | None]:
    """(zones, presumed state) of a phone number; ((), None) when it says nothing."""
    if not phone:
        return (), None
    # The geographic data (half a second to load) only when a number is first looked at.
    from phonenumbers import geocoder
    from phonenumbers import timezone as phone_timezone

    try:
        number = phonenumbers.parse(phone, "US")
    except phonenumbers.NumberParseException:
        return (), None
    # The number's type is worked out once (each library call below would redo it: most of
    # the cost of a first look at a number).
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        return (), None
    if phonenumbers.is_number_type_geographical(kind, number.country_code or 0):
        place = geocoder.description_for_valid_number(number, "en")
        found = phone_timezone.time_zones_for_geographical_number(number)
    else:
        place = geocoder.description_for_number(number, "en")
        found = phone_timezone.time_zones_for_number(number)
    if not place:  # non-geographic (toll-free...): its zones are every zone of the plan
        return (), None
    zones = tuple(z for z in found if "/" in z)
    state = None
    if number.country_code == 1:
        tail = place.rsplit(", ", 1)[-1].strip()
        state = tail if tail in _CODES else US_STATES.get(place.strip().lower())
    return zones, state


def zones_of(phone: str | None, time_zone: str | None, fallback: str) -> list[str]:
    """Every zone a recipient with this number and own zone may be in (its own first), never
    empty."""
    zones: list[str] = []
    if time_zone:
        zones.append(time_zone)
    for z in number_facts(phone)[0]:
        if z not in zones:
            zones.append(z)
    return zones or [fallback]


@lru_cache(maxsize=65536)
def states_of(phone: str | None, state: str | None) -> frozenset[str]:
    """The states whose rules may apply: the recipient's own and its number's (a frozenset,
    so one answer serves every look: the dispatcher asks for each message)."""
    states = set()
    if state:
        states.add(state.strip().upper())
    from_number = number_facts(phone)[1]
    if from_number:
        states.add(from_number)
    return frozenset(states)


def possible_zones(contact: Contact, fallback: str) -> list[str]:
    """Every zone the contact may be in (its own first), never empty."""
    return zones_of(contact.phone, contact.time_zone, fallback)


def presumed_states(contact: Contact) -> frozenset[str]:
    """The states whose rules may apply: the contact's own and its number's."""
    return states_of(contact.phone, contact.state)


def legal_window(states: frozenset[str]) -> tuple[str, str]:
    """The narrowest window over the states (the federal one when none is stricter)."""
    start, end = FEDERAL_WINDOW
    for state in states:
        s, e = STATE_WINDOWS.get(state, FEDERAL_WINDOW)
        start, end = max(start, s), min(end, e)
    return start, end


def capped(states: frozenset[str]) -> bool:
    """Whether a per-day cap on texts and calls applies (Florida, Oklahoma)."""
    return bool(states & CAPPED_STATES)
