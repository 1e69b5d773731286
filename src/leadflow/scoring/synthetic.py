"""A synthetic tenant history with a known pattern, for demonstrations, benchmarks and tests.

About a third of the leads go through an active spell of a few weeks -- listing views, saves,
replies, opened and clicked e-mails -- and most of them book an appointment 5 to 45 days after
the spell begins; the others browse now and then and rarely book. A model that reads recent
activity should rank the active leads first.
"""

from __future__ import annotations

import random

from leadflow.model.records import Contact, NewEvent
from leadflow.model.tenancy import Tenant
from leadflow.scoring.features import DAY
from leadflow.store.contract import Store

_ACTIVE = (("listing.viewed", 6), ("listing.saved", 2), ("sms.received", 1), ("email.opened", 3))
_QUIET = (("listing.viewed", 1), ("email.opened", 1))


def seed_history(
    store: Store,
    tenant_id: str,
    start: float,
    end: float,
    leads: int = 400,
    seed: int = 0,
    goal: str = "appointment.booked",
) -> int:
    """Create the tenant (when missing) and ``leads`` contacts with events between ``start`` and
    ``end``; return how many reached ``goal``."""
    rng = random.Random(seed)
    if store.get_tenant(tenant_id) is None:
        store.create_tenant(Tenant(tenant_id, tenant_id), start)
    booked = 0
    for i in range(leads):
        cid = f"{tenant_id}-lead-{i:05d}"
        born = rng.uniform(start, end - 30 * DAY)
        active = rng.random() < 0.35
        events: list[tuple[float, str]] = []
        if active:
            spell = rng.uniform(born, min(end, born + 200 * DAY))
            for kind, mean in _ACTIVE:
                for _ in range(_poisson(rng, mean)):
                    events.append((spell + rng.uniform(0, 21 * DAY), kind))
            if rng.random() < 0.6:
                events.append((spell + rng.uniform(5 * DAY, 45 * DAY), goal))
        else:
            for kind, mean in _QUIET:
                for _ in range(_poisson(rng, mean)):
                    events.append((rng.uniform(born, end), kind))
            if rng.random() < 0.04:
                events.append((rng.uniform(born, end), goal))
        events = sorted((t, kind) for t, kind in events if born <= t <= end)
        booked += any(kind == goal for _, kind in events)
        contact = Contact(
            id=cid,
            first_name=f"Lead{i}",
            tenant_id=tenant_id,
            fields={
                "budget": rng.choice([300_000, 450_000, 600_000, 800_000]),
                "pre_approved": rng.random() < (0.5 if active else 0.2),
            },
        )
        news = [
            NewEvent(kind, cid, {}, f"synthetic:{cid}:{n}", t, processed=True)
            for n, (t, kind) in enumerate(events)
        ]
        store.save_contacts([contact], news, born)
    return booked


def _poisson(rng: random.Random, mean: float) -> int:
    count, total = 0, rng.expovariate(1.0)
    while total < mean:
        count += 1
        total += rng.expovariate(1.0)
    return count


__all__ = ["seed_history"]
