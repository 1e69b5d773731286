"""How much of a request the planner's parser understood, and how clearly it was asked: two
parts of the drafting confidence (``ai/confidence.py``, docs/ai.md).

* **understood**: the share of the request's clauses (as the parser cuts them) in which the
  parser recognises something when it reads the clause alone (a trigger, a filter, an action, a
  timing, a wait, a branch, a setting), or which carry a request-wide setting the parser reads
  from the whole request (how a split is judged, a holdout, a send window, a goal, re-entry), or
  which are only connecting words ("then", "otherwise", "if not"). A clause outside all three
  ("mail them a postcard", "if they visited the listing page twice") is asked for and not
  drafted; a clause whose action is recognised but not the condition qualifying it ("text the
  ones with a budget over 500k": if, unless, who, whose, with a, those...; not "ask if") counts
  half. Halved
  when the draft's only action is the planner's filler e-mail.
* **clarity**: 1 less 0.25 for each sign that the request leaves the choice open (hedges such as
  "maybe", "something", "you decide"; alternatives such as "text or email", "whichever"), at
  least 0.
"""

from __future__ import annotations

import re

from leadflow.ai.parse import clauses_of, parse

_CONNECTIVES = re.compile(
    r"^(?:(?:and|then|also|so|no|now|if not|if so|if yes|otherwise|else|or|for everyone else"
    r"|everyone else|for the rest|all others|others?|trigger|simply|please)\b[\s,]*)+$"
)
_REQUEST_WIDE = re.compile(
    r"\b(judg\w*|measur\w*|winner|holdout|hold-out|weekdays?|weekends?|between \d|only once"
    r"|just once|re-?ent\w*|until they|as soon as|goal|pick(s|ed)? up|answer\w*|optimal"
    r"|best time)\b"
)
_HEDGES = re.compile(
    r"\b(maybe|perhaps|possibly|probably|somehow|something|some kind of|sort of|kind of"
    r"|you decide|up to you|whatever|etc|or so|if possible)\b"
)
_CHANNEL = r"(?:text|sms|e-?mail|call|voicemail|phone|ring)\w*"
_ALTERNATIVES = re.compile(
    rf"\b{_CHANNEL} (?:\w+ )?or (?:maybe |perhaps )?(?:an? )?{_CHANNEL}|\bwhichever\b"
    r"|\beither\b(?! way)|\bdepending on\b"
)
_QUALIFIER = re.compile(
    r"\b(if|unless|whose|who|with an?|the ones|those|only if|except|provided)\b"
)
_ASKING = re.compile(r"\b(ask\w*|see|check\w*|wonder\w*) (them |the lead )?(if|whether)\b")
_FILLER = "no action recognised"


def _normal(prompt: str) -> str:
    text = re.sub(r"[\u2018\u2019]", "'", prompt.lower()).replace("\u2014", ", ").strip()
    return re.sub(r"\s+", " ", text)


def _score(clause: str) -> float:
    """1: recognised; 0.5: its action recognised but not the condition it is qualified by
    ("text the ones with a budget over 500k"); 0: nothing recognised."""
    if _CONNECTIVES.match(clause) or _REQUEST_WIDE.search(clause):
        return 1.0
    sub = parse(clause)
    conditional = bool(
        sub.filters
        or any(i.startswith(("branch:", "filter:", "wait_for", "trigger:")) for i in sub.intents)
    )
    if conditional or sub.goals or sub.reentry or sub.send_window:
        return 1.0
    if sub.intents or sub.steps or sub.trigger.get("type") != "manual":
        return 0.5 if _QUALIFIER.search(_ASKING.sub(" ", clause)) else 1.0
    return 0.0


def unrecognised(prompt: str) -> list[str]:
    """The clauses of ``prompt`` not (or only partly) recognised (see the module docstring)."""
    return [c for c in clauses_of(_normal(prompt)) if _score(c) < 1.0]


def understood(prompt: str, notes: list[str] | None = None) -> float:
    clauses = clauses_of(_normal(prompt))
    if not clauses:
        return 0.0
    share = sum(_score(c) for c in clauses) / len(clauses)
    if any(n.startswith(_FILLER) for n in notes or []):
        share /= 2
    return share


def ambiguities(prompt: str) -> list[str]:
    """The words of ``prompt`` that leave the choice open, in order."""
    text = _normal(prompt)
    found = [(m.start(), m.group(0)) for m in _HEDGES.finditer(text)]
    found += [(m.start(), m.group(0)) for m in _ALTERNATIVES.finditer(text)]
    return [words for _, words in sorted(found)]


def clarity(prompt: str) -> float:
    return max(0.0, 1.0 - 0.25 * len(ambiguities(prompt)))
