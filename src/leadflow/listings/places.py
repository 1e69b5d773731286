"""City names in free text: after "in", "near", "around", "close to", "within 5 miles of", or
just before a property word ("Round Rock townhomes"), by capitalisation when the text is mixed
case, by position alone when it is all lower case, all capitals or title case."""

from __future__ import annotations

import re
from dataclasses import dataclass

from leadflow.listings.gazetteer import COMMON_WORDS, Gazetteer
from leadflow.listings.vocabulary import (
    CITY_ABBREVIATIONS,
    CITY_CONNECTORS,
    CITY_STOP_WORDS,
    DESCRIPTIVE_WORDS,
    FEATURE_PHRASES,
    NUMBER_WORDS,
    PLACE_CUES,
    PLACE_FILLER,
    PLACE_OF_AFTER,
    STATE_CODES,
    STATE_NAMES,
    SUB_TYPE_PHRASES,
)

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’.-]*|\d[\d,.]*[A-Za-z]*|\$|[^\sA-Za-z\d]")
_PHRASE_ANY = re.compile(
    r"\b(?:" + "|".join(f"(?:{p})" for p in (*SUB_TYPE_PHRASES, *FEATURE_PHRASES)) + r")\b"
)
_SUB_TYPE_AT = re.compile(r"(?:" + "|".join(f"(?:{p})" for p in SUB_TYPE_PHRASES) + r")\b")
_ELIDED = re.compile(r"[a-z]['’][A-Z]")  # "d'Alene"
_SEPARATORS = frozenset({",", "or", "and", "/", "&", ";"})
# Part of a city after a cue ("in salt lake city"), a kind of house before a property word.
_SCENERY = frozenset({"lake", "beach", "mountain", "river", "country", "city"})
# Words with these endings before a property word describe it: "Stunning condo".
_ADJECTIVE_ENDINGS = ("ing", "ful", "ous", "ive", "ed", "ly", "est")
_MAX_WORDS = 4


@dataclass(frozen=True, slots=True)
class Place:
    start: int
    end: int
    name: str


@dataclass(frozen=True, slots=True)
class _Tok:
    start: int
    end: int
    text: str

    @property
    def word(self) -> str:
        """Lower case, without a sentence-ending full stop ("St." keeps its own)."""
        low = self.text.lower()
        return low if low in CITY_ABBREVIATIONS else low.rstrip(".")


def _caseless(tokens: list[_Tok]) -> bool:
    """True when capitals say nothing: all lower case, all capitals, or mostly Title Case."""
    words = [t.text for t in tokens if t.text[0].isalpha()]
    if not words:
        return True
    upper = sum(1 for w in words if w[0].isupper())
    return upper == 0 or all(w.isupper() for w in words) or upper >= 0.8 * len(words) > 2


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lower = text.lower()
        self.toks = [_Tok(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
        self.caseless = _caseless(self.toks)
        # Where sub type and feature phrases lie ("gated community", "newly built").
        self.phrase_at = [False] * (len(text) + 1)
        for m in _PHRASE_ANY.finditer(self.lower):
            self.phrase_at[m.start() : m.end()] = [True] * (m.end() - m.start())

    def is_city_word(self, i: int) -> bool:
        if i >= len(self.toks):
            return False
        tok = self.toks[i]
        word = tok.word
        if not tok.text[0].isalpha() or word in CITY_STOP_WORDS or word in NUMBER_WORDS:
            return False
        if self.caseless:
            return word not in DESCRIPTIVE_WORDS and not self.phrase_at[tok.start]
        if tok.text.isupper() and len(tok.text) <= 4:
            return False  # mixed case: "close to ISU" names a campus, not a city
        if tok.text[0].isupper() or _ELIDED.match(tok.text):
            return True
        return word in CITY_CONNECTORS and self._upper_at(i + 1)

    def _upper_at(self, i: int) -> bool:
        return i < len(self.toks) and self.toks[i].text[0].isupper()

    def is_cue(self, i: int) -> int:
        """How many tokens the place cue at ``i`` spans (0: not a cue)."""
        word = self.toks[i].word
        nxt = self.toks[i + 1].word if i + 1 < len(self.toks) else ""
        prev = self.toks[i - 1].word if i > 0 else ""
        if word in {"of", "by", "to"}:
            return 1 if prev in PLACE_OF_AFTER else 0
        if word == "outside" and nxt == "of":
            return 2
        return 1 if word in PLACE_CUES else 0

    def groups_after(self, j: int) -> tuple[list[list[int]], int]:
        """The city names (token indexes) from ``j``, joined by commas, "or" and "and"."""
        groups: list[list[int]] = []
        while j < len(self.toks) and self.toks[j].word in PLACE_FILLER:
            j += 1
        while self.is_city_word(j):
            group: list[int] = []
            while self.is_city_word(j) and len(group) < _MAX_WORDS:
                group.append(j)
                j += 1
                if self.toks[j - 1].text.endswith(".") and self.toks[j - 1].word[-1] != ".":
                    return [*groups, group], j  # a full stop ends the sentence
            groups.append(group)
            k = j
            while k < len(self.toks) and (
                self.toks[k].word in _SEPARATORS or self.toks[k].word in PLACE_FILLER
            ):
                k += 1
            if k == j or not self.is_city_word(k):
                break
            j = k
        return groups, j

    def group_before(self, end: int) -> list[int]:
        """City words just before token ``end`` (a property word): "Round Rock homes"."""
        group: list[int] = []
        i = end - 1
        while i >= 0 and self.is_city_word(i) and len(group) < 3:
            word = self.toks[i].word
            if (
                word in DESCRIPTIVE_WORDS
                or word in _SCENERY
                or word.endswith(_ADJECTIVE_ENDINGS)
                or not (self.caseless or self.toks[i].text[0].isupper())
            ):
                break
            group.insert(0, i)
            i -= 1
        if group and i >= 0 and self.is_cue(i):
            return []  # already found after its cue
        return group


def _title(word: str) -> str:
    if word.lower() in CITY_ABBREVIATIONS:
        return word[0].upper() + word[1:].lower()
    if word.islower() or word.isupper():
        return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))
    return word


def _is_state(scan: _Scanner, i: int) -> bool:
    """Token ``i`` names a US state: a code (in capitals, unless capitals say nothing here) or
    a state's name."""
    tok = scan.toks[i]
    code = tok.text.rstrip(".")
    if len(code) == 2 and code.upper() in STATE_CODES:
        return code.isupper() or scan.caseless
    return tok.word in STATE_NAMES


def _drop_states(scan: _Scanner, group: list[int]) -> list[int]:
    """ "Austin TX" and "Austin, Texas" name the city only; a state alone is not a city."""
    if len(group) > 1 and _is_state(scan, group[-1]):
        return group[:-1]
    return [] if len(group) == 1 and _is_state(scan, group[0]) else group


def _is_state_at(scan: _Scanner, i: int) -> bool:
    """A state after a city, past any commas: "Normal, IL", "bend oregon"."""
    while i < len(scan.toks) and scan.toks[i].text == ",":
        i += 1
    return i < len(scan.toks) and _is_state(scan, i)


def _plausible(scan: _Scanner, start: int, end: int, tenant: bool) -> bool:
    """Whether tokens ``start:end``, which spell a known city, name it here."""
    toks = scan.toks[start:end]
    capitalised = all(t.text[0].isupper() or t.word in CITY_CONNECTORS for t in toks)
    # a capitalised name of several words may hold a feature word: "Mountain View"
    named = capitalised and not scan.caseless and end - start > 1
    if any(
        not t.text[0].isalpha()
        or t.word in CITY_STOP_WORDS
        or (scan.phrase_at[t.start] and not named)
        for t in toks
    ):
        return False
    if not scan.caseless and not capitalised and not tenant:
        return False  # mixed case: a city is written with capitals
    if end - start > 1 or tenant:
        return True
    word = toks[0].word
    if word in COMMON_WORDS or word in DESCRIPTIVE_WORDS or word in NUMBER_WORDS:
        return (capitalised and not scan.caseless and start > 0) or _is_state_at(scan, end)
    return True


def _known_places(scan: _Scanner, gazetteer: Gazetteer, taken: set[int]) -> list[list[int]]:
    """Cities the gazetteer knows, named without a cue word ("3br condo Seattle"): the longest
    run of words (at most four) that spells one, left to right."""
    found: list[list[int]] = []
    i = 0
    longest = max(_MAX_WORDS, gazetteer.longest)
    while i < len(scan.toks):
        for n in range(min(longest, len(scan.toks) - i), 0, -1):
            span = range(i, i + n)
            if taken.intersection(span):
                continue
            hit = gazetteer.lookup([scan.toks[k].text for k in span])
            if hit is not None and _plausible(scan, i, i + n, hit[1]):
                found.append(list(span))
                i += n
                break
        else:
            i += 1
    return found


def find_places(text: str, gazetteer: Gazetteer | None = None) -> list[Place]:
    """Cities named in ``text``, in order, once each, title-cased (in the gazetteer's spelling
    when it knows them). With a gazetteer, a city it knows is found without a cue word too."""
    scan = _Scanner(text)
    found: list[list[int]] = []
    i = 0
    while i < len(scan.toks):
        width = scan.is_cue(i)
        if width:
            groups, after = scan.groups_after(i + width)
            found.extend(groups)
            i = max(after, i + width)
            continue
        i += 1
    taken = {i for g in found for i in g}
    for idx, tok in enumerate(scan.toks):
        if tok.word == "area" or (
            tok.text[0].isalpha()
            and _SUB_TYPE_AT.match(scan.lower, tok.start)
            and (scan.caseless or not tok.text[0].isupper())  # "Sugar Land" is a name
        ):
            group = scan.group_before(idx)
            if group and not taken.intersection(group):
                found.append(group)
                taken.update(group)
    if gazetteer is not None:
        found.extend(_known_places(scan, gazetteer, taken))
    found.sort(key=lambda g: g[0])
    places: list[Place] = []
    seen: set[str] = set()
    for group in found:
        group = _drop_states(scan, group)
        if not group:
            continue
        words = [scan.toks[i].text for i in group]
        words[-1] = words[-1] if scan.toks[group[-1]].word.endswith(".") else words[-1].rstrip(".")
        name = " ".join(_title(w) for w in words)
        if gazetteer is not None:
            name = gazetteer.spelling(name)
        if name.lower() not in seen:
            seen.add(name.lower())
            places.append(Place(scan.toks[group[0]].start, scan.toks[group[-1]].end, name))
    return places
