"""Meta's page webhook: the subscription check, signed Messenger messages recorded for the
tenant owning the page (contact matched by PSID), Lead Ads leads fetched from a loopback Graph
API and mapped to contacts; forged and replayed posts refused and changing nothing; the pages
API scoped to its tenant."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadflow.model.meta import messenger_threads
from support.meta_app import (
    ACME_PAGE,
    ACME_TOKEN,
    APP_SECRET,
    BETA_PAGE,
    BETA_TOKEN,
    PAGES,
    T0,
    VERIFY_TOKEN,
    MetaApp,
    field_data,
    leadgen_post,
    message_post,
    meta_app,
)


@pytest.fixture
def meta(db_url: str) -> Iterator[MetaApp]:
    with meta_app(db_url) as app:
        yield app


def state(meta: MetaApp) -> tuple[int, int]:
    return len(meta.events()), len(meta.runtime.store.list_contacts())


# ---------------------------------------------------------------- subscription check


def test_the_subscription_check_echoes_the_challenge_only_for_the_verify_token(
    meta: MetaApp,
) -> None:
    ok = meta.client.get(
        "/webhooks/meta",
        params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "8721"},
    )
    assert ok.status_code == 200 and ok.text == "8721"
    for params in (
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ):
        refused = meta.client.get("/webhooks/meta", params=params)
        assert refused.status_code == 403, params
        assert refused.text != "1"  # the challenge is not echoed


# ---------------------------------------------------------------- Messenger messages


def test_a_message_creates_a_contact_then_finds_it_again_by_psid(meta: MetaApp) -> None:
    answer = meta.message(ACME_PAGE, "psid-ann", "m_1", "Is the house on Elm still for sale?")
    assert answer.status_code == 200 and answer.json()["messages"] == 1
    (ann,) = meta.contacts("acme")
    assert ann.fields["source"] == "facebook_messenger"
    thread = messenger_threads(ann.fields)[ACME_PAGE]
    assert thread == {"psid": "psid-ann", "last_inbound_at": T0}
    (event,) = meta.events("messenger.received")
    assert event.contact_id == ann.id
    assert event.data["body"] == "Is the house on Elm still for sale?"
    assert event.data["from"] == "psid-ann" and event.data["page_id"] == ACME_PAGE

    meta.clock.set(T0 + 3600)
    assert meta.message(ACME_PAGE, "psid-ann", "m_2", "Hello?").status_code == 200
    (again,) = meta.contacts("acme")  # the same contact, by its PSID
    assert again.id == ann.id
    assert messenger_threads(again.fields)[ACME_PAGE]["last_inbound_at"] == T0 + 3600
    assert [e.data["mid"] for e in meta.events("messenger.received")] == ["m_1", "m_2"]
    assert meta.contacts("beta") == []


def test_each_page_routes_to_its_own_tenant_and_psids_are_per_page(meta: MetaApp) -> None:
    meta.message(ACME_PAGE, "psid-x", "m_a", "to acme")
    meta.message(BETA_PAGE, "psid-x", "m_b", "to beta")  # the same PSID string, another page
    (a,) = meta.contacts("acme")
    (b,) = meta.contacts("beta")
    assert a.id != b.id
    # acme's API sees only its own contact and event
    listed = meta.client.get("/api/v1/contacts").json()
    ids = {c["id"] for c in listed["items"]} if isinstance(listed, dict) else set()
    assert a.id in ids and b.id not in ids
    assert meta.client.get(f"/api/v1/contacts/{b.id}").status_code == 404


def test_forged_missing_and_replayed_signatures_are_refused_and_change_nothing(
    meta: MetaApp,
) -> None:
    post = message_post(ACME_PAGE, "psid-ann", "m_1", "hi", T0)
    before = state(meta)
    assert meta.post(post, secret="not-the-app-secret").status_code == 403
    assert meta.post(post, signature="").status_code == 403
    assert meta.post(post, signature="sha256=" + "0" * 64).status_code == 403
    assert meta.post(post, signature="sha1=abc").status_code == 403
    assert state(meta) == before

    first = meta.post(post)
    assert first.status_code == 200
    after_first = state(meta)
    replay = meta.post(post)
    assert replay.status_code == 403
    assert state(meta) == after_first
    # even once the replay memory has let go, the message (by its mid) is recorded once
    meta.clock.set(T0 + 3600)
    late = meta.post(post)
    assert late.status_code == 200
    assert state(meta) == after_first
    (ann,) = meta.contacts("acme")
    assert ann.updated_at == T0  # not even touched


def test_a_page_no_tenant_has_is_dropped_and_malformed_posts_name_the_field(
    meta: MetaApp,
) -> None:
    before = state(meta)
    dropped = meta.post(message_post("9999999999", "psid-z", "m_z", "hi", T0))
    assert dropped.status_code == 200 and dropped.json()["dropped"] == 1
    bad = meta.post(
        {"object": "page", "entry": [{"id": ACME_PAGE, "messaging": [{"message": {}}]}]}
    )
    assert bad.status_code in (400, 422)
    assert "entry[0].messaging[0].sender.id" in bad.json()["detail"]
    not_json = meta.post(b"not json")
    assert not_json.status_code in (400, 422) and "JSON" in not_json.json()["detail"]
    assert state(meta) == before


# ---------------------------------------------------------------- Lead Ads


def test_a_lead_ads_lead_is_fetched_mapped_and_recorded_once(meta: MetaApp) -> None:
    meta.peer.leads["9001"] = (
        ACME_PAGE,
        {
            "id": "9001",
            "created_time": "2025-06-15T15:00:00+0000",
            "form_id": "555",
            "field_data": field_data(
                full_name="Ann Lee",
                email="Ann.Lee@Example.com",
                phone_number="(212) 555-0123",
                city="Austin",
                state="TX",
                zip_code="01234",
                when_are_you_looking_to_buy="3 months",
            ),
        },
    )
    answer = meta.post(leadgen_post(ACME_PAGE, "9001"))
    assert answer.status_code == 200 and answer.json()["leads"] == 1
    (get,) = [r for r in meta.peer.requests if r.method == "GET"]
    assert get.path.endswith("/9001") and get.token == ACME_TOKEN
    assert "access_token" not in get.query  # the token travels in a header, not the URL
    (ann,) = meta.contacts("acme")
    assert (ann.first_name, ann.last_name) == ("Ann", "Lee")
    assert ann.email == "ann.lee@example.com" and ann.phone == "+12125550123"
    assert ann.fields["City"] == "Austin" and ann.fields["StateOrProvince"] == "TX"
    assert ann.fields["PostalCode"] == "01234"  # kept as text, zeros and all
    assert ann.fields["facebook_lead"] == {"when_are_you_looking_to_buy": "3 months"}
    assert ann.fields["source"] == "facebook_lead_ads"
    (event,) = meta.events("lead.created")
    assert event.contact_id == ann.id
    assert event.data["source"] == "facebook_lead_ads" and event.data["leadgen_id"] == "9001"

    # Meta announces it again (a new delivery, signed anew): nothing fetched, nothing added
    again = meta.post(leadgen_post(ACME_PAGE, "9001", at=T0 + 5))
    assert again.status_code == 200 and again.json()["duplicate_leads"] == 1
    assert len([r for r in meta.peer.requests if r.method == "GET"]) == 1
    assert len(meta.events("lead.created")) == 1 and len(meta.contacts("acme")) == 1


def test_a_lead_the_graph_api_cannot_give_now_is_retried_by_meta(meta: MetaApp) -> None:
    meta.peer.leads["9002"] = (ACME_PAGE, {"id": "9002", "field_data": field_data(email="b@x.io")})
    meta.peer.fail_next(500, 2, "An unexpected error has occurred. Please retry later.")
    post = leadgen_post(ACME_PAGE, "9002")
    before = state(meta)
    failed = meta.post(post)
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "60"
    assert failed.json()["failed"] == ["9002"]
    assert state(meta) == before
    retried = meta.post(post)  # Meta's retry: the very same signed body, not a replay
    assert retried.status_code == 200 and retried.json()["leads"] == 1
    assert [c.email for c in meta.contacts("acme")] == ["b@x.io"]


def test_a_bad_lead_is_set_aside_while_the_others_are_recorded(meta: MetaApp) -> None:
    meta.peer.leads["9003"] = (ACME_PAGE, {"id": "9003", "field_data": field_data(city="Waco")})
    meta.peer.leads["9004"] = (ACME_PAGE, {"id": "9004", "field_data": field_data(email="c@x.io")})
    answer = meta.post(leadgen_post(ACME_PAGE, "9003", "9004"))
    assert answer.status_code == 200
    assert answer.json()["rejected"] == ["9003"] and answer.json()["leads"] == 1
    assert [c.email for c in meta.contacts("acme")] == ["c@x.io"]


def test_a_lead_of_another_tenants_page_is_fetched_with_that_pages_token(meta: MetaApp) -> None:
    meta.peer.leads["9005"] = (BETA_PAGE, {"id": "9005", "field_data": field_data(email="d@x.io")})
    assert meta.post(leadgen_post(BETA_PAGE, "9005")).json()["leads"] == 1
    assert [r.token for r in meta.peer.requests if r.method == "GET"] == [BETA_TOKEN]
    assert meta.contacts("acme") == [] and [c.email for c in meta.contacts("beta")] == ["d@x.io"]
    # a leadgen id claimed under acme's page is fetched with acme's token: the peer refuses it
    answer = meta.post(leadgen_post(ACME_PAGE, "9005", at=T0 + 1))
    assert answer.json()["rejected"] == ["9005"]
    assert meta.contacts("acme") == []


# ---------------------------------------------------------------- the pages API


def test_pages_are_per_tenant_and_their_tokens_are_never_shown(meta: MetaApp) -> None:
    mine = meta.client.get(PAGES).json()["items"]
    assert [p["page_id"] for p in mine] == [ACME_PAGE]
    assert mine[0]["access_token"] == "…" + ACME_TOKEN[-4:]
    assert ACME_TOKEN not in meta.client.get(PAGES).text
    # beta cannot take acme's page, see it or remove it
    taken = meta.beta("POST", PAGES, json={"page_id": ACME_PAGE, "access_token": "EAAstolen123"})
    assert taken.status_code == 409 and "acme" not in taken.text
    assert meta.runtime.store.meta_page(ACME_PAGE).access_token == ACME_TOKEN  # type: ignore[union-attr]
    assert meta.beta("DELETE", f"{PAGES}/{ACME_PAGE}").status_code == 404
    assert [p["page_id"] for p in meta.beta("GET", PAGES).json()["items"]] == [BETA_PAGE]
    bad = meta.client.post(PAGES, json={"page_id": "not-a-number", "access_token": "EAAxxxxxxx"})
    assert bad.status_code in (400, 422) and "page_id" in bad.text
    assert meta.client.delete(f"{PAGES}/{ACME_PAGE}").status_code == 204
    assert meta.client.get(PAGES).json()["items"] == []
    # with its page gone, acme's messages are dropped
    assert meta.message(ACME_PAGE, "psid-q", "m_q", "hi").json()["dropped"] == 1


def test_an_agent_key_cannot_manage_pages(db_url: str, meta: MetaApp) -> None:
    from support.api_client import member_key

    agent = member_key(db_url, "agent", "jo")
    answer = meta.client.get(PAGES, headers={"Authorization": f"Bearer {agent}"})
    assert answer.status_code == 403


def test_without_an_app_secret_every_post_is_refused(db_url: str) -> None:
    with meta_app(db_url, meta_app_secret=None) as meta:
        answer = meta.post(message_post(ACME_PAGE, "p", "m", "hi", T0), secret=APP_SECRET)
        assert answer.status_code == 403
        assert meta.events("messenger.received") == []


def test_an_instagram_message_to_a_registered_account_is_recorded_the_same_way(
    meta: MetaApp,
) -> None:
    post = message_post(ACME_PAGE, "igsid-1", "ig_m1", "dm from instagram", T0)
    post["object"] = "instagram"
    assert meta.post(post).json()["messages"] == 1
    (lead,) = meta.contacts("acme")
    assert lead.fields["source"] == "instagram"
    (event,) = meta.events("messenger.received")
    assert event.data["platform"] == "instagram" and event.data["from"] == "igsid-1"
