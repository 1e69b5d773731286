"""The match_properties node's "also saved" criterion as a user sees it: the e-mail after it
names the listing other leads of the same tenant saved or toured along with this lead's save,
with the sentence that explains it; leads of another tenant never count; a lead who saved
nothing, or a node with the weight 0, gets the content ranking unchanged."""

from __future__ import annotations

from typing import Any

from leadflow.definitions.io import load_text
from leadflow.engine.workflows import enroll, publish
from leadflow.model.listings import Listing
from leadflow.model.tenancy import Tenant
from support.engine_kit import HOUR, Kit

DIGEST = """
key: digest
name: Homes other buyers liked
start: match
nodes:
  - {id: match, kind: match_properties, top: 2, WEIGHT next: mail}
  - id: mail
    kind: send_email
    subject: homes
    body: >-
      {% for m in context.matches %}{{ m.listing_key }}|{{ m.score }}|{{
      m.reasons.get("also_saved", "") }}|{{ m.why.get("also_saved", "") }};{% endfor %}
    next: later
  - {id: later, kind: wait, duration: WAIT, next: again}
  - {id: again, kind: match_properties, top: 1, next: mail2}
  - id: mail2
    kind: send_email
    subject: more
    body: >-
      {% for m in context.matches %}{{ m.listing_key }}|{{ m.why.get("also_saved", "")
      }};{% endfor %}
    next: done
  - {id: done, kind: exit}
"""
CRITERIA = {"max_price": 450_000, "cities": ["Austin"]}
KEYS = ("A", "B", "C", "D", "S")


def digest(weight: float | None = None, wait: str = "7d") -> dict[str, Any]:
    option = "" if weight is None else f"also_saved_weight: {weight},"
    data: dict[str, Any] = load_text(DIGEST.replace("WEIGHT", option).replace("WAIT", wait))
    return data


def home(tenant: str, key: str) -> Listing:
    return Listing(
        tenant,
        key,
        standard_status="Active",
        internet_entire_listing_display_yn=True,
        list_price=420_000.0,
        city="Austin",
        unparsed_address=f"{len(key)}2 {key} St",
    )


def world(kit: Kit) -> Kit:
    """Two tenants with the same listing keys: in the default one, three leads saved (or
    toured) S and C; in acme, five leads saved S and D."""
    for tenant in ("default", "acme"):
        if kit.store.get_tenant(tenant) is None:
            kit.store.create_tenant(Tenant(tenant, tenant.capitalize()), kit.now)
        kit.store.upsert_listings([home(tenant, k) for k in KEYS], kit.now)
    for n, tour in enumerate((False, False, True)):
        cid = f"d{n}"
        kit.add_contact(cid)
        kit.emit("listing.saved", cid, {"listing_key": "S"})
        kit.emit("open_house.visited" if tour else "listing.saved", cid, {"listing_key": "C"})
    for n in range(5):
        cid = f"a{n}"
        kit.add_contact(cid, tenant_id="acme")
        kit.emit("listing.saved", cid, {"listing_key": "S"})
        kit.emit("listing.saved", cid, {"listing_key": "D"})
    return kit


def picks(kit: Kit, cid: str) -> list[list[str]]:
    mails = sorted(kit.messages(contact_id=cid), key=lambda m: m.id or 0)
    return [[p for p in (m.body or "").split(";") if p] for m in mails]


def test_the_listing_other_leads_saved_with_the_leads_save_comes_first_explained(
    kit: Kit,
) -> None:
    world(kit)
    kit.add_contact("me", fields={"criteria": CRITERIA})
    kit.emit("listing.saved", "me", {"listing_key": "S"})
    kit.add_contact("am", tenant_id="acme", fields={"criteria": CRITERIA})
    kit.emit("listing.saved", "am", {"listing_key": "S"})
    kit.publish(digest())
    catalog = kit.runtime.engine.catalog
    publish(kit.store, catalog, digest(), kit.now, tenant_id="acme")
    kit.enroll("digest", "me")
    enroll(kit.store, catalog, "digest", kit.now, contact_ids=["am"], tenant_id="acme")
    kit.settle()

    [mine] = picks(kit, "me")
    # all five fit the stated criteria alike (price 30, location 20: 100 of 100 before
    # blending; with also_saved 25 it has 33.33 of 100): C wins on the
    # co-saves of this tenant, D -- which acme's leads saved with S -- gets nothing from them
    assert mine[0] == "C|100.0|33.33|leads who saved 12 S St also saved this (3 leads)"
    assert mine[1] == "A|66.67|0.0|"
    [theirs] = picks(kit, "am")
    assert theirs[0] == "D|100.0|33.33|leads who saved 12 S St also saved this (5 leads)"
    assert theirs[1] == "A|66.67|0.0|"


def test_new_co_saves_count_on_the_next_visit(kit: Kit) -> None:
    """The second visit, 30 minutes on, reads only the events stored since the first."""
    world(kit)
    kit.add_contact("me", fields={"criteria": CRITERIA})
    kit.emit("listing.saved", "me", {"listing_key": "S"})
    kit.publish(digest(wait="30m"))
    kit.enroll("digest", "me")
    kit.settle()
    assert [p.split("|")[0] for p in picks(kit, "me")[0]] == ["C", "A"]
    for n in range(2):  # two more leads of this tenant save S and D meanwhile
        kit.add_contact(f"late{n}")
        kit.emit("listing.saved", f"late{n}", {"listing_key": "S"})
        kit.emit("listing.saved", f"late{n}", {"listing_key": "D"})
    for n in range(5):  # and five new leads of acme save S and B: not this tenant's
        kit.add_contact(f"new{n}", tenant_id="acme")
        kit.emit("listing.saved", f"new{n}", {"listing_key": "S"})
        kit.emit("listing.saved", f"new{n}", {"listing_key": "B"})
    kit.run_until(kit.now + HOUR)
    assert picks(kit, "me")[1] == ["D|leads who saved 12 S St also saved this (2 leads)"]


def test_a_lead_who_saved_nothing_or_a_weight_of_zero_ranks_on_content_alone(
    kit: Kit,
) -> None:
    world(kit)
    kit.add_contact("new", fields={"criteria": CRITERIA})  # saved nothing
    kit.add_contact("off", fields={"criteria": CRITERIA})
    kit.emit("listing.saved", "off", {"listing_key": "S"})
    kit.publish(digest())
    kit.enroll("digest", "new")
    kit.settle()
    kit.publish(digest(weight=0))
    kit.enroll("digest", "off")
    kit.settle()
    content = ["A|100.0||", "B|100.0||"]  # the keys break the tie, as without the criterion
    assert picks(kit, "new") == [content]
    assert picks(kit, "off") == [content]
