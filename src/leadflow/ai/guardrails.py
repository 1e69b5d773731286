"""The checks an AI-composed message must pass before it may go out, each saying what it found.

* **segments**: an SMS within the node's segment limit, counted as carriers bill it (GSM-7 or
  UCS-2, :mod:`leadflow.model.segments`);
* **length**: at most the node's character limit;
* **sender** and **opt_out**: a first text to a contact names who sends it (the brand or the
  agent) and says how to stop (``Reply STOP``);
* **facts**: no URL, price, street address or other number that is not in the data the model was
  given (it would be made up);
* **fair_housing**: no word or phrase of the fair-housing list (``data/fair_housing_terms.txt``,
  its source noted there) that describes or steers by a protected class.

A draft that fails any of them is not sent: the node's template goes instead, with the reasons.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from leadflow.model import segments

TERMS_FILE = Path(__file__).parent / "data" / "fair_housing_terms.txt"
URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
# a number as a message writes it: $450k, 450,000, $1.2M, 3, 2.5, 0100
NUMBER = re.compile(r"(\$\s?)?(\d[\d,]*(?:\.\d+)?)(\s?(?:k|m|mm|million|thousand)\b)?", re.I)
STREET_TYPES = (
    "st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|ct|court|way|pl|place|ter|"
    "terrace|pkwy|parkway|cir|circle|hwy|highway|trl|trail|sq|square|loop|row|run"
)
ADDRESS = re.compile(
    rf"\b\d{{1,6}}\s+(?:[A-Za-z0-9][\w'.-]*\s+){{1,4}}(?:{STREET_TYPES})\b\.?", re.IGNORECASE
)
OPT_OUT = re.compile(
    r"\b(?:reply|text|send)\s+[\"']?stop\b"  # Reply STOP ...
    r"|\bstop[\"']?\s+to\s+(?:opt[\s-]?out|unsubscribe|end|cancel|quit|stop)\b",  # STOP to end
    re.IGNORECASE,
)
# street types as written in full, for comparing "12 Oak Street" with "12 Oak St"
STREET_ABBREVIATIONS = {
    "street": "st",
    "avenue": "ave",
    "road": "rd",
    "boulevard": "blvd",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "place": "pl",
    "terrace": "ter",
    "parkway": "pkwy",
    "circle": "cir",
    "highway": "hwy",
    "trail": "trl",
    "square": "sq",
}
CLASS_NAMES = {
    "race_color_national_origin": "race, color or national origin",
    "religion": "religion",
    "sex": "sex",
    "familial_status": "familial status",
    "disability": "disability",
}
_MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6}


@dataclass(frozen=True, slots=True)
class Limits:
    channel: str  # sms or email
    max_chars: int
    max_segments: int = 2
    first_text: bool = False  # no earlier text went to this contact
    senders: tuple[str, ...] = ()  # names that identify the sender (brand, agent)


@dataclass(slots=True)
class Verdict:
    problems: list[str] = field(default_factory=list)  # "<check>: what was found"

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def checks(self) -> list[str]:
        return sorted({p.split(":", 1)[0] for p in self.problems})


@lru_cache(maxsize=1)
def fair_housing_terms() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(protected class, pattern) for each term of the list."""
    out = []
    for line in TERMS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        group, _, term = line.partition(":")
        words = [re.escape(w) for w in re.split(r"[\s-]+", term.strip()) if w]
        pattern = re.compile(r"\b" + r"[\s-]+".join(words) + r"\b", re.IGNORECASE)
        out.append((group.strip(), pattern))
    return tuple(out)


def _number_value(match: re.Match[str]) -> float | None:
    digits = match.group(2).replace(",", "")
    try:
        value = float(digits)
    except ValueError:
        return None
    unit = (match.group(3) or "").strip().lower()
    return value * _MULTIPLIERS.get(unit, 1.0)


def _leaves(value: Any) -> Iterator[Any]:
    """Every value inside ``value`` that is no dict, list or tuple, in order."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _numbers(leaf: Any) -> Iterator[float]:
    """The numbers one value states (a number, or the amounts written in a string)."""
    if isinstance(leaf, bool):
        return
    if isinstance(leaf, int | float):
        yield round(float(leaf), 2)
    elif isinstance(leaf, str):
        for match in NUMBER.finditer(leaf):
            found = _number_value(match)
            if found is not None:
                yield round(found, 2)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the model was given, as the facts check reads it."""

    text: str  # every string of the data, lower-cased, one per line
    numbers: frozenset[float]
    digit_runs: tuple[str, ...]  # runs of 3+ digits (phone numbers, ZIP codes, street numbers)

    @classmethod
    def of(cls, data: Any) -> Facts:
        leaves = list(_leaves(data))
        strings = [leaf for leaf in leaves if isinstance(leaf, str)]
        numbers = {number for leaf in leaves for number in _numbers(leaf)}
        runs = tuple(re.findall(r"\d{3,}", json.dumps(data, default=str)))
        return cls("\n".join(strings).lower(), frozenset(numbers), runs)


def _squash(text: str) -> str:
    """Lower case, single spaces, street types abbreviated (``Street`` -> ``st``)."""
    words = re.sub(r"\s+", " ", text.strip().lower()).split(" ")
    return " ".join(STREET_ABBREVIATIONS.get(w.rstrip(".,"), w) for w in words)


def _facts(text: str, facts: Facts) -> list[str]:
    problems: list[str] = []
    without_urls = text
    for match in URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)]}")
        if url.lower() not in facts.text:
            problems.append(f"facts: the URL {url!r} is not in the data")
        without_urls = without_urls.replace(match.group(0), " ")
    squashed = _squash(facts.text)
    for match in ADDRESS.finditer(without_urls):
        address = _squash(match.group(0).rstrip("."))
        if address not in squashed:
            problems.append(f"facts: the address {match.group(0).strip()!r} is not in the data")
    for match in NUMBER.finditer(without_urls):
        value = _number_value(match)
        if value is None or round(value, 2) in facts.numbers:
            continue
        digits = match.group(2).replace(",", "")
        plain = not match.group(1) and not match.group(3) and digits.isdigit()
        if plain and len(digits) >= 3 and any(digits in run for run in facts.digit_runs):
            continue  # part of a phone number, ZIP code or street number that is in the data
        what = "price" if match.group(1) or match.group(3) else "number"
        problems.append(f"facts: the {what} {match.group(0).strip()!r} is not in the data")
    return problems


def fair_housing(text: str) -> list[str]:
    """``fair_housing: ...`` for each listed term the text uses."""
    found: dict[str, str] = {}
    for group, pattern in fair_housing_terms():
        match = pattern.search(text)
        if match and match.group(0).lower() not in found:
            found[match.group(0).lower()] = group
    return [
        f"fair_housing: {term!r} describes or steers by {CLASS_NAMES.get(group, group)}"
        for term, group in found.items()
    ]


def _mentions(text: str, names: Iterable[str]) -> bool:
    return any(
        name.strip() and re.search(rf"\b{re.escape(name.strip())}\b", text, re.IGNORECASE)
        for name in names
    )


def check(body: str, limits: Limits, facts: Facts, subject: str | None = None) -> Verdict:
    """Every problem of a draft (its ``subject`` too, for an e-mail)."""
    verdict = Verdict()
    whole = f"{subject}\n{body}" if subject else body
    if not body.strip():
        verdict.problems.append("length: the draft is empty")
    if len(body) > limits.max_chars:
        verdict.problems.append(f"length: {len(body)} characters, the limit is {limits.max_chars}")
    if limits.channel == "sms":
        counted = segments.count(body)
        if counted.segments > limits.max_segments:
            why = f" (UCS-2 because of {counted.non_gsm[:5]!r})" if counted.non_gsm else ""
            verdict.problems.append(
                f"segments: {counted.segments} SMS segments{why}, the limit is "
                f"{limits.max_segments}"
            )
        if limits.first_text:
            if limits.senders and not _mentions(body, limits.senders):
                names = " or ".join(repr(n) for n in limits.senders)
                verdict.problems.append(
                    f"sender: a first text must say who sends it ({names}); the draft does not"
                )
            if not OPT_OUT.search(body):
                verdict.problems.append(
                    "opt_out: a first text must say how to stop (e.g. 'Reply STOP to opt out')"
                )
    verdict.problems.extend(_facts(whole, facts))
    verdict.problems.extend(fair_housing(whole))
    return verdict


__all__ = ["Facts", "Limits", "Verdict", "check", "fair_housing", "fair_housing_terms"]
