"""The words a lead wrote in an e-mail reply: the quoted history, the mail client's tag line and
the signature block taken away (:func:`reply_text`).

Rules, in order (each found on whole lines, in English, Spanish, French and German where mail
clients word them so):

1. **The quote starts** at the first of: an attribution line ("On Mon, Mar 2, 2026 at 10:15 AM
   Jane <jane@x> wrote:", also wrapped over up to three lines, "El ... escribió:", "Le ... a
   écrit :", "Am ... schrieb ...:"), a separator ("-----Original Message-----", "-------- Original
   message --------", "---------- Forwarded message ---------", "Begin forwarded message:", a
   line of underscores), or an Outlook header block (a ``From:``/``Sent:``/``De:`` line with at
   least one more of From, Sent, Date, To, Subject, Cc (or their Spanish, French, German names)
   in the next lines). Everything from there on goes.
2. **A tag line** ("Sent from my iPhone", "Get Outlook for Android", "Enviado desde mi Galaxy",
   "Von meinem iPhone gesendet", "Sent with Proton Mail ...") on a line of its own ends the reply.
3. **A signature** after the ``-- `` delimiter (or a bare ``--``) goes.
4. **A block of contact details** (phone, e-mail, web address, ``|``, "T:", licence numbers) as
   the last paragraph goes, but for its first line when that is a name and the paragraph before
   is not a sign-off ("Thanks,\\nRobert"): the name then is the sign-off.
5. Trailing quoted (``>``) and blank lines go; a ``>`` line between the lead's own lines stays
   (an inline answer).

The rules were written against the tuning part of ``tests/fixtures/inbound_email/replies.py``;
the held-out part measures them (docs/inbound-email.md gives both figures).
"""

from __future__ import annotations

import re

_ATTRIBUTION = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^\s*(?:>\s*)*on\b.{4,}\bwrote:",  # English: Gmail, Apple Mail, Thunderbird, Yahoo
        r"^\s*(?:>\s*)*el\b.{4,}\bescribi[óo]:",  # Spanish
        r"^\s*(?:>\s*)*le\b.{4,}\ba\s+[ée]crit\s*:",  # French
        r"^\s*(?:>\s*)*am\b.{4,}\bschrieb\b.*:\s*$",  # German
    )
]
_ATTRIBUTION_START = re.compile(r"^\s*(?:>\s*)*(?:on|el|le|am)\b", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^\s*(?:>\s*)*(?:-{2,}\s*(?:original message|mensaje original|message d'origine|"
    r"urspr[üu]ngliche nachricht|forwarded message|mensaje reenviado)\s*-{2,}|"
    r"begin forwarded message:|inicio del mensaje reenviado:|_{10,})\s*$",
    re.IGNORECASE,
)
_HEADER = re.compile(
    r"^\s*\*?(from|sent|date|to|subject|cc|de|enviado(?: el)?|fecha|para|asunto|envoy[ée]|"
    r"[àa]|objet|von|gesendet|an|betreff)\*?\s?:",
    re.IGNORECASE,
)
_HEADER_FIRST = frozenset({"from", "sent", "de", "von"})
_TAGLINE = re.compile(
    r"^\s*(?:sent from (?:my )?\S.{0,40}|sent from mail for windows.*|sent with proton ?mail.*|"
    r"get outlook for \S.{0,30}|enviado desde (?:mi )?\S.{0,40}|"
    r"von meinem \S.{0,30} gesendet|envoy[ée] de mon \S.{0,30})$",
    re.IGNORECASE,
)
_ANGLE_URL = re.compile(r"<(?:https?|mailto):[^>]*>")
_SIG_DELIMITER = re.compile(r"^--\s?$")
_SIGN_OFF = re.compile(
    r"^(?:thanks|thank you|thx|best|best regards|regards|kind regards|warm regards|cheers|"
    r"sincerely|saludos|gracias|un saludo|atentamente|cordialement|merci|gr[üu]ße|"
    r"mit freundlichen gr[üu]ßen)\b[\s,.!]*$",
    re.IGNORECASE,
)
_CONTACT = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\(?\+?\d[\d\s().-]{8,}\d",  # a phone number
        r"[\w.+-]+@[\w-]+\.[\w.]+",
        r"\bwww\.|https?://",
        r"\|",
        r"^(?:t|m|c|f|cell|tel|phone|mobile|fax|office|direct|e|w)\s*[:.]",
        r"\b(?:dre|lic(?:ense|\.)?|licence|nmls)\s*#",
        r"confidential",
    )
]
_NAME = re.compile(r"^[A-ZÀ-Ý][\w'’.-]*(?:\s+(?:&\s+)?[A-ZÀ-Ý][\w'’.-]*){0,3}$")
_BLANKS = re.compile(r"\n{3,}")


def _attribution_at(lines: list[str], i: int) -> bool:
    """Whether an attribution line starts at ``lines[i]`` (joined with up to two more lines, as
    Gmail wraps a long one)."""
    if not _ATTRIBUTION_START.match(lines[i]):
        return False
    joined = lines[i]
    for extra in range(3):
        if any(p.match(joined) for p in _ATTRIBUTION):
            return True
        if i + extra + 1 >= len(lines) or not lines[i + extra + 1].strip():
            return False
        joined = f"{joined} {lines[i + extra + 1]}"
    return False


def _header_block_at(lines: list[str], i: int) -> bool:
    first = _HEADER.match(lines[i])
    if first is None or first.group(1).lower() not in _HEADER_FIRST:
        return False
    names = {first.group(1).lower()}
    for line in lines[i + 1 : i + 5]:
        found = _HEADER.match(line)
        if found is not None:
            names.add(found.group(1).lower())
    return len(names) >= 2


def _quote_start(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        if _SEPARATOR.match(line) or _attribution_at(lines, i) or _header_block_at(lines, i):
            return i
    return len(lines)


def _is_tagline(line: str) -> bool:
    plain = _ANGLE_URL.sub("", line).strip()
    return ":" not in plain and bool(_TAGLINE.match(plain))  # "Enviado desde mi X: sí" is words


def _paragraphs(lines: list[str]) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            out[-1].append(line)
        elif out[-1]:
            out.append([])
    return [p for p in out if p]


def _contact_block(paragraph: list[str]) -> bool:
    details = sum(1 for line in paragraph if any(p.search(line) for p in _CONTACT))
    return len(paragraph) >= 2 and details >= 1 and all(len(x) <= 100 for x in paragraph)


def _drop_contact_block(text: str) -> str:
    paragraphs = _paragraphs(text.split("\n"))
    if len(paragraphs) < 2 or not _contact_block(paragraphs[-1]):
        return text
    last, before = paragraphs[-1], paragraphs[-2]
    signed = bool(_SIGN_OFF.match(before[0].strip())) and len(before) <= 2
    name = last[0].split("|")[0].strip()
    keep = [] if signed or not _NAME.match(name) else [name]
    # cut the text where the last paragraph begins (its first line's last occurrence)
    cut = text.rfind(last[0])
    head = text[:cut].rstrip()
    return f"{head}\n\n{keep[0]}" if keep else head


def reply_text(body: str) -> str:
    """The lead's own words in an e-mail reply's text ``body`` (see the module's rules)."""
    text = body.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    lines = [line.rstrip() for line in text.split("\n")]
    lines = lines[: _quote_start(lines)]
    for i, line in enumerate(lines):
        if _is_tagline(line) or _SIG_DELIMITER.match(line):
            lines = lines[:i]
            break
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith(">")):
        lines.pop()
    text = _BLANKS.sub("\n\n", "\n".join(lines)).strip()
    return _drop_contact_block(text).strip()


__all__ = ["reply_text"]
