"""Write docs/playbooks.md from the shipped plays: ``python scripts/playbooks_doc.py``."""

from __future__ import annotations

from pathlib import Path

from leadflow.playbooks.docs import playbooks_page

if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "docs" / "playbooks.md"
    target.write_text(playbooks_page(), encoding="utf-8")
    print(f"wrote {target}")
