"""Synthetic leads for simulations and benchmarks.

:func:`synthetic_contacts` is deterministic for a seed. The people are made up: names from small
built-in lists, e-mails at the reserved example.com/.org/.net domains, and US mobile numbers on
real area codes of the lead's state but in the 555 exchange (valid to ``phonenumbers``, almost
never a working line), so a simulation wired to a real provider by mistake does not text strangers.
Only when a state's 555 numbers run short does a lead get a random ordinary exchange.

Each lead carries two hidden fields read by :class:`~leadflow.simulate.engagement.EngagementModel`:
``sim_reply_propensity`` (float in [0, 1], Beta(2, 2), mean 0.5) and ``sim_preferred_hour``
(int 0-23, the local hour the lead most likes to answer, mostly daytime and evening).
"""

from __future__ import annotations

import random
from itertools import accumulate

from leadflow.contacts.importer import US_STATE_TIME_ZONES
from leadflow.errors import InvalidInput
from leadflow.model.records import Contact

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Christopher", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra", "Mark",
    "Ashley", "Jose", "Maria", "Luis", "Sofia", "Carlos", "Camila", "Wei", "Mei", "Raj", "Priya",
    "Kwame", "Aisha", "Minh", "Linh", "Omar", "Fatima", "Ethan", "Olivia", "Noah", "Emma",
    "Liam", "Ava", "DeShawn", "Imani", "Hiroshi", "Yuki", "Ivan", "Olga",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Kim", "Patel", "Chen", "Okafor",
    "Cohen", "Murphy", "O'Brien",
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
LEAD_SOURCES = ("Zillow", "Realtor.com", "Website", "Open House", "Referral", "Facebook")
INTERESTS = ("buyer", "buyer", "buyer", "seller", "seller", "investor", "renter")

# State -> (2020 population in thousands, a few area codes inside the state's primary zone).
STATES: dict[str, tuple[int, tuple[int, ...]]] = {
    "AL": (5024, (205, 251, 256, 334)), "AK": (733, (907,)), "AZ": (7152, (480, 520, 602, 623)),
    "AR": (3012, (479, 501, 870)), "CA": (39538, (213, 310, 408, 415, 619, 714, 818, 916)),
    "CO": (5774, (303, 719, 720, 970)), "CT": (3606, (203, 860)), "DE": (990, (302,)),
    "DC": (690, (202,)), "FL": (21538, (305, 407, 561, 813, 904, 954)),
    "GA": (10712, (404, 470, 678, 770, 912)), "HI": (1455, (808,)), "ID": (1839, (208,)),
    "IL": (12812, (217, 312, 630, 773, 847)), "IN": (6786, (260, 317, 765)),
    "IA": (3190, (319, 515, 563)), "KS": (2938, (316, 913)), "KY": (4506, (502, 859)),
    "LA": (4658, (225, 318, 504)), "ME": (1362, (207,)), "MD": (6177, (301, 410, 443)),
    "MA": (7030, (508, 617, 781, 978)), "MI": (10077, (248, 313, 517, 616)),
    "MN": (5706, (612, 651, 763, 952)), "MS": (2961, (228, 601, 662)),
    "MO": (6154, (314, 417, 816)), "MT": (1084, (406,)), "NE": (1962, (402, 531)),
    "NV": (3105, (702, 775)), "NH": (1377, (603,)), "NJ": (9289, (201, 732, 908, 973)),
    "NM": (2118, (505, 575)), "NY": (20201, (212, 516, 585, 716, 718, 917)),
    "NC": (10439, (336, 704, 910, 919)), "ND": (779, (701,)), "OH": (11799, (216, 330, 513, 614)),
    "OK": (3959, (405, 918)), "OR": (4237, (503, 541, 971)), "PA": (13003, (215, 412, 610, 717)),
    "RI": (1097, (401,)), "SC": (5119, (803, 843, 864)), "SD": (887, (605,)),
    "TN": (6911, (615, 629, 731, 901)), "TX": (29145, (210, 214, 281, 512, 713, 817, 972)),
    "UT": (3272, (385, 435, 801)), "VT": (643, (802,)), "VA": (8631, (540, 703, 757, 804)),
    "WA": (7705, (206, 253, 425, 509)), "WV": (1794, (304, 681)),
    "WI": (5894, (262, 414, 608, 920)), "WY": (577, (307,)),
}  # fmt: skip
_STATE_CODES = tuple(STATES)
_STATE_CUM_WEIGHTS = tuple(accumulate(pop for pop, _ in STATES.values()))
# Relative liking for each local hour 0..23 as the hour to answer messages.
_HOUR_WEIGHTS = (1, 0, 0, 0, 0, 1, 2, 4, 6, 6, 5, 5, 8, 7, 5, 5, 6, 8, 10, 11, 10, 8, 5, 2)
_HOURS = tuple(range(24))
_DRAWS_BEFORE_FALLBACK = 30


def synthetic_contacts(n: int, *, seed: int, now: float) -> list[Contact]:
    """``n`` made-up leads ``lead-000001``..., the same ones for the same ``seed``."""
    if n < 0:
        raise InvalidInput(f"n must be >= 0, got {n}")
    rng = random.Random(seed)
    used_phones: set[str] = set()
    contacts: list[Contact] = []
    for index in range(1, n + 1):
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        state = rng.choices(_STATE_CODES, cum_weights=_STATE_CUM_WEIGHTS)[0]
        contacts.append(
            Contact(
                id=f"lead-{index:06d}",
                first_name=first,
                last_name=last,
                email=_email(rng, first, last, index),
                phone=_phone(rng, STATES[state][1], used_phones),
                time_zone=US_STATE_TIME_ZONES[state],
                state=state,
                owner=f"agent-{rng.randint(1, 8):02d}",
                stage="new",
                tags=[rng.choice(INTERESTS)],
                fields={
                    "LeadSource": rng.choice(LEAD_SOURCES),
                    "sim_reply_propensity": round(rng.betavariate(2.0, 2.0), 4),
                    "sim_preferred_hour": rng.choices(_HOURS, weights=_HOUR_WEIGHTS)[0],
                },
                # They came from a form that asked for texts, e-mail and calls, prerecorded
                # ones included (voicemail drops need that consent: FCC 22-85).
                consent={"sms": "opted_in", "email": "opted_in", "voice": "opted_in"},
                created_at=now,
                updated_at=now,
            )
        )
    return contacts


def _email(rng: random.Random, first: str, last: str, index: int) -> str:
    """Unique through ``index``; a few common local-part shapes."""
    first, last = first.lower(), last.lower().replace("'", "")
    shape = rng.randrange(4)
    local = (f"{first}.{last}", f"{first}{last}", f"{first[0]}{last}", f"{first}_{last}")[shape]
    return f"{local}{index}@{rng.choice(EMAIL_DOMAINS)}"


def _phone(rng: random.Random, area_codes: tuple[int, ...], used: set[str]) -> str:
    """A new E.164 number on one of ``area_codes``: 555 exchange first, ordinary ones after."""
    for attempt in range(_DRAWS_BEFORE_FALLBACK * 4):
        area = rng.choice(area_codes)
        if attempt < _DRAWS_BEFORE_FALLBACK:
            exchange = 555
        else:  # NXX: not N11, not 555
            exchange = rng.randrange(200, 1000)
            if exchange % 100 == 11 or exchange == 555:
                continue
        line = rng.randrange(10000)
        if exchange == 555 and line == 1212:  # directory assistance
            continue
        phone = f"+1{area}{exchange}{line:04d}"
        if phone not in used:
            used.add(phone)
            return phone
    raise RuntimeError("could not draw an unused phone number")  # pragma: no cover
