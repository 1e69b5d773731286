"""What an inbound text asks for: to stop (opt out), to start again (opt in), or help.

Three sources, strongest first:

* the provider's own reading (Twilio Advanced Opt-Out sends ``OptOutType`` = STOP | START |
  HELP with the message);
* carrier keywords, which carriers act on only when the reply is the single word: opt-out STOP,
  STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT (and "OPT OUT"); opt-in START, YES,
  UNSTOP; help HELP, INFO;
* what a reasonable person reads as an opt-out (FCC 24-24): the always-opt-out words as the whole
  message or leading it ("stop please", "Unsubscribe me"), and phrases such as "stop texting me",
  "wrong number", "take me off your list", "remove me", "do not contact me".

A message that merely contains a word ("I'll stop by at 5", "the end of the month works") is no
opt-out: the words count only as the whole message, at its start followed by a polite or
pointing word, or inside one of the phrases. When in doubt between stopping and going on, the
phrases lean to stopping: a wrongly kept lead costs a fine, a wrongly dropped one a follow-up.
"""

from __future__ import annotations

import re
from enum import Enum


class Intent(Enum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    NONE = "none"


OPT_OUT_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "opt out"}
)
OPT_IN_WORDS = frozenset({"start", "yes", "unstop"})
HELP_WORDS = frozenset({"help", "info"})
_PROVIDER = {"STOP": Intent.OPT_OUT, "START": Intent.OPT_IN, "HELP": Intent.HELP}

# An opt-out word leading the message, followed only by words that point at us or soften it.
_LEADING = re.compile(
    r"^(?:please\s+)?(?:stop|unsubscribe|cancel|quit|revoke|opt\s*out|end)"
    r"(?:\s+(?:please|pls|now|it|this|that|all|me|them|messages|texts|texting|txt|msgs?|"
    r"thanks|thank you|thx|asap|immediately|already|sending|contacting me|messaging me))*$"
)
_PHRASES = [
    re.compile(p)
    for p in (
        r"\bstop\s+(?:texting|txting|messaging|contacting|calling|sending|emailing|bugging)\b",
        r"\b(?:don'?t|do not|dont|never)\s+(?:text|txt|message|contact|call|email)\s+me\b",
        r"\bwrong\s+(?:number|person|#)",
        r"\b(?:take|remove|delete|drop)\s+me\s+(?:off|from)\b",
        r"\bremove\s+(?:me|my\s+(?:number|info|name))\b",
        r"\b(?:unsubscribe|opt\s*out)\s+me\b",
        r"\bopt\s+me\s+out\b",
        r"\bno\s+more\s+(?:texts|messages|txts|msgs|calls|emails)\b",
        r"\bleave\s+me\s+alone\b",
        r"\blose\s+(?:this|my)\s+number\b",
        r"\bnot\s+(?:the\s+)?(?:right|correct)\s+(?:number|person)\b",
    )
]
_SPACE = re.compile(r"\s+")
_EDGE = re.compile(r"^[^\w]+|[^\w]+$")


def _plain(body: str) -> str:
    """Lower-cased, curly quotes straightened, hyphens as spaces, spaces collapsed."""
    text = body.replace("\u2019", "'").replace("\u2018", "'").replace("-", " ").lower()
    return _SPACE.sub(" ", text).strip()


def normalize(body: str) -> str:
    """:func:`_plain`, with the punctuation around the message dropped too."""
    return _EDGE.sub("", _plain(body))


def classify(body: str | None, provider_says: str | None = None) -> Intent:
    """The intent of an inbound text (``provider_says`` is e.g. Twilio's ``OptOutType``)."""
    if provider_says:
        said = _PROVIDER.get(provider_says.strip().upper())
        if said is not None:
            return said
    if not body:
        return Intent.NONE
    text = normalize(body)
    if text in OPT_OUT_WORDS:
        return Intent.OPT_OUT
    if text in OPT_IN_WORDS:
        return Intent.OPT_IN
    if text in HELP_WORDS:
        return Intent.HELP
    if text == "off" or _LEADING.match(text):
        return Intent.OPT_OUT
    plain = _plain(body)
    if any(p.search(plain) for p in _PHRASES):
        return Intent.OPT_OUT
    return Intent.NONE
