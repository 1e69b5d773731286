"""Write docs/events.md from the event vocabulary (src/leadflow/model/vocabulary.py).

    python scripts/events_doc.py

tests/unit/model/test_vocabulary.py fails when the page and the vocabulary disagree."""

from __future__ import annotations

from pathlib import Path

from leadflow.model.vocabulary import events_page

if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "docs" / "events.md"
    target.write_text(events_page(), encoding="utf-8")
    print(f"wrote {target}")
