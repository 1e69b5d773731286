"""``/api/v1/contacts/{id}/send-times`` and ``/prediction``: what an agent asks before the next
touch, for a lead in the caller's scope only."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from leadflow.api.app import create_app
from leadflow.scoring.synthetic import seed_history
from leadflow.scoring.training import retrain_tenant
from leadflow.settings import Settings
from leadflow.store.factory import open_store
from support.api_client import ApiClient, admin_key, assert_problem
from support.engine_kit import Kit, at
from support.sendtime_history import learn_history
from support.stores import upgraded_db

DAY = 86_400.0


def test_send_times_follow_the_leads_own_opens_with_their_uncertainty(tmp_path: Path) -> None:
    url = upgraded_db(tmp_path / "api.db")
    kit = Kit.create(open_store(url), url, start=at(2024, 6, 3, 9))
    try:
        learn_history(kit, "ann")  # eight evenings at 19:00 opened, mornings machine-opened
        kit.add_contact("bob")  # no history at all
    finally:
        kit.close()
    app = create_app(Settings(db=url))
    with ApiClient(app, headers={"Authorization": f"Bearer {admin_key(url, 'default')}"}) as c:
        ann = c.get("/api/v1/contacts/ann/send-times", params={"channel": "email"}).json()
        assert ann["time_zone"] == "America/New_York"
        [email] = ann["channels"]
        assert (email["source"], email["engagements"], email["sends"]) == ("contact", 8, 24)
        best = email["best"][0]
        assert best["hour"] == 19  # the evenings it opened, never the machine-opened mornings
        assert best["low"] < best["rate"] < best["high"]
        assert email["next_best_at"].endswith("Z")
        bob = c.get("/api/v1/contacts/bob/send-times").json()
        assert [ch["channel"] for ch in bob["channels"]] == ["sms", "email"]
        assert all(ch["source"] == "population" for ch in bob["channels"])
        # bob's hours come from everyone's (ann's) evenings, and are less certain than hers
        [pop] = [ch for ch in bob["channels"] if ch["channel"] == "email"]
        assert pop["best"][0]["hour"] == 19
        theirs_at = {(h["weekday"], h["hour"]): h["high"] - h["low"] for h in pop["best"]}
        hers_at = {(h["weekday"], h["hour"]): h["high"] - h["low"] for h in email["best"]}
        shared = set(theirs_at) & set(hers_at)
        assert shared and all(theirs_at[b] > hers_at[b] for b in shared)
        wrong = assert_problem(
            c.get("/api/v1/contacts/ann/send-times", params={"channel": "fax"}), 422
        )
        assert "query.channel[0]" in str(wrong["errors"])
    other = admin_key(url, "other")
    with ApiClient(app, headers={"Authorization": f"Bearer {other}"}) as theirs:
        assert_problem(theirs.get("/api/v1/contacts/ann/send-times"), 404)
        assert_problem(theirs.get("/api/v1/contacts/ann/prediction"), 404)


def test_prediction_needs_a_trained_model_then_scores_the_lead(tmp_path: Path) -> None:
    url = upgraded_db(tmp_path / "api.db")
    token = admin_key(url, "acme")
    end = 1_750_000_000.0
    store = open_store(url)
    try:
        seed_history(store, "acme", end - 500 * DAY, end, leads=300, seed=7)
    finally:
        store.close()
    app: FastAPI = create_app(Settings(db=url))
    with ApiClient(app, headers={"Authorization": f"Bearer {token}"}) as c:
        some = c.get("/api/v1/contacts", params={"limit": 1}).json()["items"][0]["id"]
        missing = assert_problem(c.get(f"/api/v1/contacts/{some}/prediction"), 404)
        assert "leadflow scoring retrain" in str(missing["detail"])
        store = open_store(url)
        try:
            retrain_tenant(store, "acme", end)
        finally:
            store.close()
        found = c.get(f"/api/v1/contacts/{some}/prediction", params={"top": 3}).json()
        assert 0.0 <= found["probability"] <= 1.0
        assert (found["version"], found["goal"]) == (1, "appointment.booked")
        assert len(found["factors"]) == 3
