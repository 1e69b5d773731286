"""Helpers for the experiment report and decision tests: an experiment stored in a memory store,
assignments and events written directly."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from leadflow.definitions.experiment_model import ExperimentSpec
from leadflow.model.experiments import Assignment, Experiment
from leadflow.model.records import NewEvent
from leadflow.model.tenancy import Tenant
from leadflow.store import Store, open_store

TENANT = "acme"
KEY = "welcome.pick"
GOAL = "appointment.booked"
OPT_OUT = "sms.opted_out"
T0 = 1_718_208_000.0  # 12 June 2024 16:00 UTC
DAY = 86_400.0


def memory_store() -> Store:
    store = open_store("memory://", check_schema=False)
    store.upgrade()
    store.create_tenant(Tenant(TENANT, "Acme"), T0)
    return store


def spec(**kw: Any) -> ExperimentSpec:
    """An experiment block: goal ``appointment.booked`` within 14 days unless told otherwise."""
    kw.setdefault("metric", {"event": GOAL, "within": "14d"})
    kw.setdefault("method", "frequentist")
    kw.setdefault("decide", "auto_apply")
    kw.setdefault("min_sample", 50)
    return ExperimentSpec.model_validate(kw)


def create(
    store: Store,
    block: ExperimentSpec | None = None,
    arms: Sequence[tuple[str, float, bool]] = (("a", 1.0, False), ("b", 1.0, False)),
    *,
    created_at: float = T0,
) -> Experiment:
    """Store the experiment as publishing does: config = block + arms + control, weights the
    planned shares, first review one ``review_every`` after creation."""
    block = block or spec()
    total = sum(w for _, w, _ in arms)
    config = block.model_dump(mode="json")
    config["arms"] = [{"name": n, "weight": w, "holdout": h} for n, w, h in arms]
    config["control"] = block.control or next(n for n, _, h in arms if not h)
    experiment = Experiment(
        tenant_id=TENANT,
        key=KEY,
        workflow_key="welcome",
        node_id="pick",
        config=config,
        weights={n: w / total for n, w, _ in arms},
        created_at=created_at,
        updated_at=created_at,
        next_review_at=created_at + block.review_every_s(),
    )
    assert store.save_experiment(experiment, None)
    found = store.get_experiment(TENANT, KEY)
    assert found is not None
    return found


def assign(store: Store, arm: str, count: int, at: float = T0, prefix: str = "") -> list[str]:
    """``count`` new contacts assigned to ``arm`` at ``at``; their ids."""
    ids = [f"{prefix or arm}-{i:05d}" for i in range(count)]
    for cid in ids:
        store.assign_arm(Assignment(TENANT, KEY, cid, arm, at))
    return ids


_seq = [0]


def events(store: Store, type_: str, contact_ids: Sequence[str], at: float) -> None:
    """One ``type_`` event for each contact, occurring at ``at``."""
    batch = []
    for cid in contact_ids:
        _seq[0] += 1
        batch.append(NewEvent(type_, cid, {}, f"kit-{_seq[0]}", at))
    store.append_events(batch, at)


def arm_with(
    store: Store, arm: str, n: int, converted: int, at: float = T0, prefix: str = ""
) -> list[str]:
    """``n`` contacts in ``arm``, the first ``converted`` of them booking a day later."""
    ids = assign(store, arm, n, at, prefix)
    events(store, GOAL, ids[:converted], at + DAY)
    return ids


def experiment_with(
    counts: Mapping[str, tuple[int, int]], block: ExperimentSpec | None = None, **kw: Any
) -> tuple[Store, dict[str, list[str]]]:
    """A memory store holding the experiment (``block``; ``kw`` as :func:`create` takes it,
    e.g. ``arms``) with ``counts[arm] = (n, converted)`` contacts in each arm named: the store
    and the ids of each arm's contacts."""
    store = memory_store()
    create(store, block, **kw)
    return store, {
        arm: arm_with(store, arm, n, converted) for arm, (n, converted) in counts.items()
    }


def two_arms(
    a: tuple[int, int], b: tuple[int, int], block: ExperimentSpec | None = None, **kw: Any
) -> tuple[Store, list[str], list[str]]:
    """:func:`experiment_with` arms a and b (equal weights unless ``arms`` says otherwise): the
    store and the ids of each arm's contacts."""
    store, ids = experiment_with({"a": a, "b": b}, block, **kw)
    return store, ids["a"], ids["b"]


def stored(store: Store) -> Experiment:
    """The experiment as stored now."""
    found = store.get_experiment(TENANT, KEY)
    assert found is not None
    return found
