"""Web sessions (the web app's sign-ins): found by digest, touched, ended one by one, all of a
key's at once, and pruned by idle time and age -- alike on every backend."""

from __future__ import annotations

from leadflow.model.web_sessions import WebSession
from leadflow.store import Store
from support.records import T0


def _session(digest: str, key_id: str = "k1", tenant: str = "acme", at: float = T0) -> WebSession:
    return WebSession(digest, key_id, tenant, f"csrf-{digest}", at, at)


def test_open_find_touch_close(store: Store) -> None:
    assert store.get_web_session("d1") is None
    store.open_web_session(_session("d1"))
    assert store.get_web_session("d1") == _session("d1")
    store.touch_web_session("d1", T0 + 90)
    found = store.get_web_session("d1")
    assert found is not None and (found.seen_at, found.started_at) == (T0 + 90, T0)
    store.touch_web_session("gone", T0 + 90)  # no error, nothing made
    assert store.get_web_session("gone") is None
    assert store.close_web_session("d1") is True
    assert store.get_web_session("d1") is None
    assert store.close_web_session("d1") is False


def test_a_revoked_key_ends_all_its_sessions_and_no_other(store: Store) -> None:
    store.open_web_session(_session("a1", "k1"))
    store.open_web_session(_session("a2", "k1"))
    store.open_web_session(_session("b1", "k2", tenant="other"))
    assert store.close_key_web_sessions("k1") == 2
    assert store.get_web_session("a1") is None and store.get_web_session("a2") is None
    assert store.get_web_session("b1") == _session("b1", "k2", tenant="other")
    assert store.close_key_web_sessions("k1") == 0


def test_prune_by_idle_time_and_by_age(store: Store) -> None:
    store.open_web_session(_session("old", at=T0))  # started long ago
    store.open_web_session(_session("idle", at=T0 + 100))  # not used since
    store.open_web_session(_session("busy", at=T0 + 100))
    store.touch_web_session("busy", T0 + 500)
    assert store.prune_web_sessions(seen_before=T0 + 400, started_before=T0 + 50) == 2
    assert store.get_web_session("busy") is not None
    assert store.get_web_session("idle") is None and store.get_web_session("old") is None
