"""Where a recipient may be: zones from the address and the number, states from both."""

from __future__ import annotations

from leadflow.compliance.recipient import (
    capped,
    legal_window,
    number_facts,
    possible_zones,
    presumed_states,
)
from leadflow.model.records import Contact


def test_a_number_says_its_zone_and_presumed_state() -> None:
    assert number_facts("+13055550100") == (("America/New_York",), "FL")
    assert number_facts("+14055550100") == (("America/Chicago",), "OK")
    assert number_facts("+12065550100") == (("America/Los_Angeles",), "WA")
    assert number_facts("+14155550100") == (("America/Los_Angeles",), "CA")
    assert number_facts("+18005550100") == ((), None)  # toll-free: anywhere
    assert number_facts(None) == ((), None)
    assert number_facts("not a number") == ((), None)


def test_zones_are_the_address_zone_and_every_zone_of_the_number() -> None:
    moved = Contact("c", phone="+14155550100", time_zone="America/New_York")
    assert possible_zones(moved, "America/Chicago") == ["America/New_York", "America/Los_Angeles"]
    assert possible_zones(Contact("c", phone="+18005550100"), "America/Denver") == [
        "America/Denver"
    ]


def test_the_strictest_state_window_and_the_cap() -> None:
    snowbird = Contact("c", phone="+13055550100", state="NY")  # Florida number, NY address
    assert presumed_states(snowbird) == {"FL", "NY"}
    assert legal_window(presumed_states(snowbird)) == ("08:00", "20:00")
    assert capped(presumed_states(snowbird))
    assert legal_window(frozenset({"WA"})) == ("08:00", "20:00")
    assert not capped(frozenset({"WA", "TX"}))
    assert legal_window(frozenset({"TX"})) == ("08:00", "21:00")
    assert legal_window(frozenset()) == ("08:00", "21:00")
