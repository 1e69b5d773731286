"""docs/playbooks.md is generated from the shipped plays and must be current: each play's
Mermaid diagram, parameters and day-by-day notes as the definitions say."""

from __future__ import annotations

from pathlib import Path

from leadflow.playbooks.docs import playbooks_page

DOC = Path(__file__).resolve().parents[2] / "docs" / "playbooks.md"


def test_the_playbooks_page_is_current() -> None:
    page = playbooks_page()
    assert DOC.read_text(encoding="utf-8") == page, (
        "docs/playbooks.md is stale: run `python scripts/playbooks_doc.py`"
    )
    assert page.count("```mermaid") == 9
    assert 'n_escalate["escalate<br/>task for team lead: Escalated: hot lead …' in page
    assert "n_wait_checkin -->|on_missing| n_wait_anniversary" in page
