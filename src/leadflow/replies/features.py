"""The reply-intent model's features, written once for both sides: training hands these
analyzers to scikit-learn's ``TfidfVectorizer`` (:mod:`.model`), and the shipped model
(:mod:`.linear`) applies them with numpy alone, so a reply is cut into the same terms when the
model learns and when it reads.

* words: :func:`~leadflow.replies.model.plain` text, tokens are runs of word characters or one
  punctuation mark, uni- and bigrams;
* characters: 2- to 5-grams inside each space-padded word (scikit-learn's ``char_wb``).
"""

from __future__ import annotations

import re
import unicodedata

WORD_TOKEN = re.compile(r"(?u)\b\w+\b|[^\w\s]")
WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (2, 5)
CHAR_MIN_DF = 2  # a character n-gram seen in one reply only is left out


def plain(text: str) -> str:
    """Lower case, accents and curly quotes dropped, spaces collapsed."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.split())


def word_terms(text: str) -> list[str]:
    """The word uni- and bigrams of ``text``, in order, repeats kept (they are counted)."""
    tokens = WORD_TOKEN.findall(plain(text))
    low, high = WORD_NGRAMS
    terms = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        terms.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return terms


def char_terms(text: str) -> list[str]:
    """The character n-grams of each word of ``text`` padded with a space on both sides; a word
    shorter than ``n`` counts once, whole."""
    low, high = CHAR_NGRAMS
    terms: list[str] = []
    for word in plain(text).split():
        padded = f" {word} "
        for n in range(low, high + 1):
            if len(padded) <= n:
                terms.append(padded)
                break
            terms.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return terms


__all__ = [
    "CHAR_MIN_DF",
    "CHAR_NGRAMS",
    "WORD_NGRAMS",
    "WORD_TOKEN",
    "char_terms",
    "plain",
    "word_terms",
]
