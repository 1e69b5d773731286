"""The match_properties node as a user sees it: the e-mails after it list the best listings,
a listing is never sent to the same lead twice, and a listing without IDX display permission
(or not Active) is never sent at all."""

from __future__ import annotations

import random
from typing import Any

import pytest

from leadflow.engine.context import StepContext
from leadflow.listings.events import record_listing_events
from leadflow.model.listings import Listing
from leadflow.model.tenancy import Tenant
from support.engine_kit import DAY, Kit

DIGEST = """
key: digest
name: New homes for you
start: match
nodes:
  - {id: match, kind: match_properties, top: 2, next: mail}
  - id: mail
    kind: send_email
    subject: "{{ context.matches | length }} homes"
    body: >-
      {% for m in context.matches %}{{ m.listing_key }}|{{ m.score }}|{{ m.address
      }}|{{ m.url }};{% endfor %}
    next: later
  - {id: later, kind: wait, duration: 7d, next: again}
  - {id: again, kind: match_properties, top: 2, next: mail2}
  - id: mail2
    kind: send_email
    subject: more
    body: "{% for m in context.matches %}{{ m.listing_key }};{% endfor %}"
    next: done
  - {id: done, kind: exit}
"""


def home(key: str, **kw: Any) -> Listing:
    base: dict[str, Any] = {
        "standard_status": "Active",
        "internet_entire_listing_display_yn": True,
        "list_price": 420_000.0,
        "bedrooms_total": 3,
        "bathrooms_total_integer": 2,
        "city": "Austin",
        "postal_code": "78704",
        "property_sub_type": "Condominium",
        "unparsed_address": f"{key} Oak St, Austin, TX 78704",
        "photos": [f"https://photos.example.test/{key}/1.jpg"],
    }
    base.update(kw)
    return Listing("default", key, **base)


@pytest.fixture
def listings(kit: Kit) -> Kit:
    if kit.store.get_tenant("default") is None:
        kit.store.create_tenant(Tenant("default", "Default"), kit.now)
    kit.store.upsert_listings(
        [
            home("A1", list_price=400_000.0),
            home("A2", list_price=410_000.0),
            home("A3", list_price=430_000.0),
            home("A4", list_price=445_000.0),
            home("NOIDX", list_price=400_000.0, internet_entire_listing_display_yn=False),
            home("UNKNOWNIDX", list_price=400_000.0, internet_entire_listing_display_yn=None),
            home("PENDING", list_price=400_000.0, standard_status="Pending"),
            home("DENVER", city="Denver", postal_code="80202"),
        ],
        kit.now,
    )
    return kit


def bodies(kit: Kit, cid: str) -> list[str]:
    return [m.body or "" for m in sorted(kit.messages(contact_id=cid), key=lambda m: m.id or 0)]


def keys_in(body: str) -> list[str]:
    return [part.split("|")[0] for part in body.split(";") if part]


def test_two_visits_never_repeat_a_listing_and_never_send_one_without_idx(listings: Kit) -> None:
    kit = listings
    criteria = {"max_price": 450_000, "min_beds": 3, "cities": ["Austin"]}
    kit.add_contact("ann", fields={"criteria": criteria})
    kit.publish(DIGEST)
    [run] = kit.enroll("digest", "ann")
    kit.settle()
    first = bodies(kit, "ann")
    assert len(first) == 1
    assert keys_in(first[0]) == ["A1", "A2"]  # 100 points each: the keys break the tie
    assert "A1|100.0|A1 Oak St, Austin, TX 78704|https://photos.example.test/A1/1.jpg" in first[0]
    assert kit.messages(contact_id="ann")[0].subject == "2 homes"

    kit.run_until(kit.now + 8 * DAY)
    both = bodies(kit, "ann")
    assert len(both) == 2
    assert keys_in(both[1]) == ["A3", "A4"]
    sent = [k for b in both for k in keys_in(b)]
    assert len(sent) == len(set(sent))
    assert not {"NOIDX", "UNKNOWNIDX", "PENDING"} & set(sent)
    assert kit.run(run).status == "exited"
    recorded = kit.store.listing_matches("default", "ann")
    assert sorted(m.listing_key for m in recorded) == ["A1", "A2", "A3", "A4"]


def test_criteria_the_lead_wrote_in_words_pick_the_listings(listings: Kit) -> None:
    """``fields.criteria`` as the lead wrote it (a web form's free text) goes through the
    criteria parser: a house with a pool in Austin under 450k, 2.5 baths; the feed writes the
    sub type with spaces, as some MLS feeds do."""
    kit = listings
    kit.store.upsert_listings(
        [
            home(
                "H1",
                property_sub_type="Single Family Residence",
                pool_private_yn=True,
                bathrooms_total_integer=3,
            ),
            home("H2", property_sub_type="Single Family Residence", bathrooms_total_integer=3),
            home(
                "H3",
                property_sub_type="Single Family Residence",
                pool_private_yn=True,
                bathrooms_total_integer=3,
                list_price=700_000.0,
            ),
        ],
        kit.now,
    )
    words = "3 bed house in Austin under 450k with a pool and a fireplace, 2.5+ baths"
    kit.add_contact("cat", fields={"criteria": words})
    kit.publish(DIGEST.replace("top: 2, next: mail}", "top: 1, next: mail}"))
    kit.enroll("digest", "cat")
    kit.settle()
    (first,) = bodies(kit, "cat")
    assert keys_in(first) == ["H1"]  # the house with a pool, in budget


def test_a_visit_with_nothing_new_above_the_minimum_score_picks_nothing(listings: Kit) -> None:
    kit = listings
    kit.add_contact("bob", fields={"criteria": {"max_price": 450_000, "cities": ["Austin"]}})
    kit.store.upsert_listings([home(k, list_price=900_000.0) for k in ("A3", "A4")], kit.now)
    kit.publish(DIGEST.replace("top: 2, next: mail2", "top: 2, min_score: 85, next: mail2"))
    [run] = kit.enroll("digest", "bob")
    kit.run_until(kit.now + 8 * DAY)
    first, second = bodies(kit, "bob")
    assert keys_in(first) == ["A1", "A2"]
    # A3 and A4 are now far over budget (70 points), DENVER is elsewhere (80): under 85
    assert second == ""
    assert ("again", "none") in kit.outcomes(run)


def test_criteria_learned_from_viewed_and_saved_listings(listings: Kit) -> None:
    kit = listings
    kit.store.upsert_listings(
        [home("D2", city="Denver", postal_code="80202", list_price=425_000.0)], kit.now
    )
    kit.add_contact("cat")  # no stated criteria: only what the lead looked at
    kit.emit("listing.viewed", "cat", {"listing_key": "DENVER"})
    kit.emit("listing.saved", "cat", {"listing_key": "DENVER"})
    kit.publish(DIGEST)
    kit.enroll("digest", "cat")
    kit.settle()
    [body] = bodies(kit, "cat")
    assert keys_in(body)[0] in {"DENVER", "D2"}
    assert set(keys_in(body)) == {"DENVER", "D2"}  # Austin listings lose the location points


def test_bad_stated_criteria_fail_the_step_naming_the_field(listings: Kit) -> None:
    kit = listings
    kit.add_contact("dan", fields={"criteria": {"min_beds": "lots"}})
    kit.publish(DIGEST)
    [run] = kit.enroll("digest", "dan")
    kit.settle()
    done = kit.run(run)
    assert done.status == "failed"
    assert "fields.criteria.min_beds: expected a number" in (done.error or "")
    assert kit.messages(contact_id="dan") == []


ALERT = """
key: alert
name: New listing alert
triggers: [{type: event, event: listing.matched}]
settings: {reentry: {policy: always}}
start: mail
nodes:
  - id: mail
    kind: send_email
    subject: "{{ event.data.count }} new homes"
    body: >-
      {% for m in event.data.matches %}{{ m.listing_key }} {{ m.score }} ({{ m.cause
      }});{% endfor %}
    next: done
  - {id: done, kind: exit}
"""


def test_listing_events_and_a_workflow_triggered_by_a_new_fitting_listing(
    listings: Kit,
) -> None:
    kit = listings
    kit.add_contact("eve", fields={"criteria": {"max_price": 450_000, "cities": ["Austin"]}})
    kit.add_contact("fay", fields={"criteria": {"cities": ["Boston"]}})
    kit.publish(ALERT)
    changes = kit.store.upsert_listings(
        [
            home("N1", list_price=440_000.0),
            home("N2", list_price=440_000.0, internet_entire_listing_display_yn=False),
            home("A1", list_price=380_000.0),  # a price drop of a listing stored already
            home("A2", standard_status="Pending"),
        ],
        kit.now,
    )
    assert record_listing_events(kit.store, changes, kit.now) == 6
    kit.settle()
    events = {
        (e.type, e.contact_id, e.data.get("listing_key")): e
        for e in kit.store.list_events()
        if e.type.startswith("listing.")
    }
    assert events[("listing.created", None, "N1")].data["tenant_id"] == "default"
    price = events[("listing.price_changed", None, "A1")].data
    assert (price["old_price"], price["new_price"]) == (400_000.0, 380_000.0)
    status = events[("listing.status_changed", None, "A2")].data
    assert (status["old_status"], status["new_status"]) == ("Active", "Pending")
    matched = [
        (k[1], e.data["listing_keys"]) for k, e in events.items() if k[0] == "listing.matched"
    ]
    assert matched == [("eve", ["A1", "N1"])]  # N2 has no IDX permission; fay is elsewhere
    [mail] = kit.messages(contact_id="eve")
    assert mail.subject == "2 new homes"
    assert mail.body == "A1 100.0 (price_dropped);N1 100.0 (created);"
    assert kit.messages(contact_id="fay") == []


def test_the_same_step_executed_again_finds_the_same_picks(listings: Kit) -> None:
    """A step re-executed after a crash (same run, node and step number) must not pick other
    listings: the first picks are already recorded as sent."""
    kit = listings
    kit.add_contact("gus", fields={"criteria": {"max_price": 450_000, "cities": ["Austin"]}})
    kit.publish(DIGEST)
    [run_id] = kit.enroll("digest", "gus")
    catalog = kit.runtime.engine.catalog
    handler = kit.runtime.engine.registry.get("match_properties")
    workflow = catalog.latest("default", "digest")
    node = workflow.nodes["match"]

    def execute(step_seq: int) -> list[str]:
        ctx = StepContext(
            run=kit.run(run_id),
            contact=kit.contact("gus"),
            workflow=workflow,
            catalog=catalog,
            now=kit.now,
            step_seq=step_seq,
            context={},
            rng=random.Random(1),
        )
        handler.enter(ctx, node)
        return [m["listing_key"] for m in ctx.context["vars"]["matches"]]

    assert execute(7) == ["A1", "A2"]
    assert execute(7) == ["A1", "A2"]  # the same step again: the same picks
    assert execute(8) == ["A3", "A4"]  # a later step: the next ones
    assert execute(9) == ["DENVER"]  # 60 of 100: within budget, not in Austin
    assert execute(10) == []  # nothing sendable left that scores 50 or more
