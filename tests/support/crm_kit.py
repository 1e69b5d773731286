"""Helpers of the CRM connector tests: a sleeper that moves a virtual clock instead of waiting,
and a lead saved in a tenant."""

from __future__ import annotations

from dataclasses import dataclass, field

from leadflow.clock import VirtualClock
from leadflow.model.records import Contact
from leadflow.store import Store
from support.records import T0


@dataclass
class Sleeper:
    clock: VirtualClock
    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds)


def lead(store: Store, cid: str = "c1", tenant: str = "acme", **kw: object) -> Contact:
    contact = Contact(
        cid,
        first_name=kw.get("first_name", "Ann"),  # type: ignore[arg-type]
        last_name="Lee",
        email=kw.get("email", "ann@example.com"),  # type: ignore[arg-type]
        phone="+15125550101",
        tags=["buyer"],
        fields={"source": "Zillow", "budget": 450000},
        tenant_id=tenant,
    )
    store.save_contacts([contact], [], T0)
    found = store.get_contact(cid)
    assert found is not None
    return found
