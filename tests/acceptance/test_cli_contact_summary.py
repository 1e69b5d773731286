"""``leadflow contacts summary ID`` as a user drives it: the lead's summary (extractive without
a model) as text or ``--json``, the reply's intent when its event carries one, and an unknown
id exiting 1 with its name."""

from __future__ import annotations

import json
from typing import Any

from support.cli import Leadflow, assert_fails, write_csv
from support.llm_peer import API_KEY, Reply, running_llm_peer


def test_contacts_summary_text_and_json(lf: Leadflow) -> None:
    lf.init()
    header = ["ContactKey", "FirstName", "LastName", "MobilePhone", "criteria"]
    rows = [["lou", "Lou", "Diaz", "+15125550142", "3 bed condo under 450k"]]
    lf.ok("contacts", "import", write_csv(lf.tmp_path / "leads.csv", rows, header))
    data = {"body": "Can I see it Saturday?", "intent": "appointment_request"}
    lf.ok("events", "emit", "sms.received", "--contact", "lou", "--data", json.dumps(data))
    lf.worker("--until-idle")
    shown = lf.ok("contacts", "summary", "lou")
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("Lou Diaz")
    assert "Looking for: 3 bed condo under 450k" in lines
    assert any(
        line.startswith("Last reply (sms, ")
        and line.endswith('"Can I see it Saturday?"; intent appointment_request')
        for line in lines
    ), lines
    out = lf.json("contacts", "summary", "lou")
    assert out["source"] == "extractive" and out["contact_id"] == "lou"
    assert out["facts"]["last_reply"]["intent"] == {"intent": "appointment_request"}
    assert out["text"] == shown.stdout.rstrip("\n")


def test_contacts_summary_of_an_unknown_lead_exits_1(lf: Leadflow) -> None:
    lf.init()
    assert_fails(lf("contacts", "summary", "nobody"), "no contact 'nobody'")


def test_contacts_summary_written_by_the_model(lf: Leadflow, monkeypatch: Any) -> None:
    lf.init()
    header = ["ContactKey", "FirstName", "MobilePhone", "criteria"]
    rows = [["kim", "Kim", "+15125550143", "condo"]]
    lf.ok("contacts", "import", write_csv(lf.tmp_path / "l.csv", rows, header))
    written = "Kim wants a condo and has not replied yet; open with the listings."
    with running_llm_peer([Reply(content=json.dumps({"summary": written}))]) as peer:
        monkeypatch.setenv("LEADFLOW_LLM_BASE_URL", peer.base_url)
        monkeypatch.setenv("LEADFLOW_LLM_API_KEY", API_KEY)
        out = lf.json("contacts", "summary", "kim")
    assert (out["source"], out["text"], out["reasons"]) == ("model", written, [])
    assert len(peer.requests) == 1
