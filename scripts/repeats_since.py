"""Which repeated pairs of an older listing still stand in today's tree.

    python scripts/repeats_since.py OLD_ROWS OLD_SRC NEW_ROWS NEW_SRC

``OLD_ROWS`` and ``NEW_ROWS`` are listings of repeated places, one pair a row, in the form
``D1 leadflow/a.py:10-24 ~ leadflow/b.py:40-54 [shape] [boilerplate] (+N more runs)``, with
paths relative to ``OLD_SRC`` (an older checkout's ``src/``) and ``NEW_SRC`` (today's).

Two lines have the same *shape* when they read the same once names, strings and numbers are
abstracted (keywords, upper-case SQL words and punctuation are kept); blank lines, comments,
lone punctuation and imports are passed over. For each old pair it reports:

* ``stands``: both sides still hold 6 consecutive lines of their old shape somewhere today
  (a loose test: common shapes such as a keyword-argument signature match in many files);
* ``paired``: both sides stand, in two files (or one) that a row of ``NEW_ROWS`` pairs;
* ``twice``: a 6-line run the two sides shared still stands in two or more places today
  (a pair whose sides share no run of this shape counts as twice: unknown, kept).

A pair counts as remaining under ``paired`` or under ``twice``; the largest of the two is the
figure to quote. Both err towards keeping a pair.
"""

from __future__ import annotations

import keyword
import re
import sys
from pathlib import Path

ROW = re.compile(r"^(D\d+) (\S+):(\d+)-(\d+) ~ (\S+):(\d+)-(\d+)(.*)$")
TOKEN = re.compile(
    r"""[rbfRBF]{0,2}("([^"\\]|\\.)*"|'([^'\\]|\\.)*')|\d+(\.\d+)?|[A-Za-z_]\w*|\S"""
)
KEPT = set(keyword.kwlist) | {"True", "False", "None", "self"}
SOURCES = {".py", ".sql", ".ts", ".tsx", ".js", ".css", ".html"}
RUN = 6

Place = tuple[str, int, int]
Gram = tuple[str, ...]


def passed_over(line: str) -> bool:
    s = line.strip()
    return (
        not s
        or s.startswith(("#", "--", "import "))
        or (s.startswith("from ") and " import " in s)
        or re.fullmatch(r"[\W_]{1,3}", s) is not None
    )


def shape(line: str) -> str:
    out = []
    for m in TOKEN.finditer(line.strip()):
        t = m.group(0)
        if t[-1] in "\"'":
            out.append("S")
        elif t[0].isdigit():
            out.append("N")
        elif t[0].isalpha() or t[0] == "_":
            out.append(t if t in KEPT or (t.isupper() and len(t) > 1) else "I")
        else:
            out.append(t)
    return " ".join(out)


def shapes(path: Path, first: int = 1, last: int = 10**9) -> list[str]:
    lines = path.read_text(errors="replace").splitlines()[first - 1 : last]
    return [shape(line) for line in lines if not passed_over(line)]


def grams(lines: list[str]) -> list[Gram]:
    return [tuple(lines[i : i + RUN]) for i in range(len(lines) - RUN + 1)]


def rows(listing: Path) -> list[tuple[str, Place, Place]]:
    out = []
    for line in listing.read_text().splitlines():
        m = ROW.match(line.strip())
        if m:
            a = (m.group(2), int(m.group(3)), int(m.group(4)))
            b = (m.group(5), int(m.group(6)), int(m.group(7)))
            out.append((m.group(1), a, b))
    return out


def main(old_rows: str, old_src: str, new_rows: str, new_src: str) -> None:
    old_root, new_root = Path(old_src), Path(new_src)
    files_of: dict[Gram, set[str]] = {}
    places_of: dict[Gram, int] = {}
    for path in sorted(new_root.rglob("*")):
        if path.is_file() and path.suffix in SOURCES:
            name = str(path.relative_to(new_root))
            for gram in grams(shapes(path)):
                files_of.setdefault(gram, set()).add(name)
                places_of[gram] = places_of.get(gram, 0) + 1
    paired_now = {frozenset((a[0], b[0])) for _, a, b in rows(Path(new_rows))}
    counts = {"stands": 0, "paired": 0, "twice": 0, "remaining": 0}
    old = rows(Path(old_rows))
    for name, a, b in old:
        sides = [grams(shapes(old_root / f, first, last)) for f, first, last in (a, b)]
        found = [set().union(*(files_of.get(g, set()) for g in side)) for side in sides]
        stands = all(found)
        paired = stands and any(frozenset((x, y)) in paired_now for x in found[0] for y in found[1])
        shared = set(sides[0]) & set(sides[1])
        twice = not shared or any(places_of.get(g, 0) >= 2 for g in shared)
        verdict = [w for w, on in (("stands", stands), ("paired", paired), ("twice", twice)) if on]
        for word in verdict:
            counts[word] += 1
        counts["remaining"] += paired or twice
        print(f"{name} {','.join(verdict) or 'gone'}  {a[0]}:{a[1]}-{a[2]} ~ {b[0]}:{b[1]}-{b[2]}")
    print(
        f"old pairs: {len(old)}; both sides stand: {counts['stands']}; paired today: "
        f"{counts['paired']}; a shared run stands twice: {counts['twice']}; remaining (paired "
        f"or twice): {counts['remaining']}"
    )


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:5])
