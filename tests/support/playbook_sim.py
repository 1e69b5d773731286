"""A play installed with its defaults and simulated over virtual days on a real SQLite file:
the real runtime, synthetic leads, the engagement model, a team of eight agents."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from leadflow.access import templates
from leadflow.access.scope import operator
from leadflow.clock import VirtualClock
from leadflow.model.playbooks import AgentProfile, Task, TaskFilter
from leadflow.model.records import Contact, Message, MessageFilter, NewEvent
from leadflow.model.tenancy import Agent, Team, Tenant
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from leadflow.simulate.compliance_check import ComplianceReport, check
from leadflow.simulate.compliance_history import history_from_store
from leadflow.simulate.engagement import EngagementModel
from leadflow.simulate.leads import synthetic_contacts
from leadflow.simulate.simulation import Simulation
from leadflow.store.factory import open_store

START = 1767571200.0  # Monday 2026-01-05 00:00 UTC
DAY = 86400.0
LEADS = 240
AGENTS = [f"agent-{i:02d}" for i in range(1, 9)]
TEAM_LEAD = "agent-01"
STRICT_AGENT = "agent-08"  # keeps urgent tasks inside working hours


@dataclass
class Play:
    runtime: Runtime
    sim: Simulation
    rng: random.Random
    contacts: list[Contact] = field(default_factory=list)

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return self.runtime.store

    @property
    def now(self) -> float:
        return self.runtime.clock.now()

    def leads(self, n: int = LEADS, **fields: object) -> list[Contact]:
        made = synthetic_contacts(n, seed=7, now=self.now)
        for c in made:
            c.fields.update(fields)
        self.contacts = made
        return made

    def arrive(
        self,
        contacts: list[Contact],
        event: str,
        *,
        days: float = 10.0,
        local_hours: tuple[int, int] | None = None,
        data: dict[str, object] | None = None,
    ) -> dict[str, float]:
        """Store the contacts and schedule one ``event`` each within ``days`` (with
        ``local_hours``: at a local time between those hours); when each arrives."""
        self.store.upsert_contacts(contacts, self.now)
        when: dict[str, float] = {}
        for c in contacts:
            self.sim.contacts[c.id] = c
            day = int(self.rng.random() * days)
            if local_hours:
                tz = ZoneInfo(c.time_zone or "America/New_York")
                base = datetime.fromtimestamp(START + day * DAY, tz).replace(hour=0, minute=0)
                minutes = self.rng.randint(local_hours[0] * 60, local_hours[1] * 60 - 1)
                at = base.timestamp() + minutes * 60 + (DAY if base.timestamp() < START else 0)
            else:
                at = START + day * DAY + self.rng.random() * DAY
            when[c.id] = at
            self.sim.schedule(NewEvent(event, c.id, dict(data or {}), f"t:{event}:{c.id}", at))
        return when

    def run(self, days: float) -> None:
        self.sim.advance(days)

    # ------------------------------------------------------------------ reading
    def messages(self) -> dict[str, list[Message]]:
        out: dict[str, list[Message]] = defaultdict(list)
        after = 0
        while page := self.store.list_messages(MessageFilter(limit=5000, after_id=after)):
            after = page[-1].id or after
            for m in page:
                out[m.contact_id or ""].append(m)
        return out

    def tasks(self) -> list[Task]:
        return self.store.list_tasks(TaskFilter("default", limit=100_000))

    def compliance(self) -> ComplianceReport:
        return check(history_from_store(self.store, self.runtime.settings.budget_per_day))

    def failures(self) -> dict[str, int]:
        return self.sim.report().failures


def local(ts: float, contact: Contact) -> datetime:
    return datetime.fromtimestamp(ts, ZoneInfo(contact.time_zone or "America/New_York"))


def install_play(tmp_path: Path, *names: str, seed: int = 5) -> Play:
    """A runtime on a new SQLite file, the default tenant with its team, and the plays
    installed (published) with their default parameters."""
    url = f"sqlite:///{tmp_path}/play.db"
    store = open_store(url, check_schema=False)
    store.upgrade()
    rt = build_runtime(Settings(db=url), store=store, clock=VirtualClock(START), seed=seed)
    now = rt.clock.now()
    rt.store.create_tenant(Tenant("default", "Default Realty"), now)
    rt.store.upsert_team(Team("default", "north", "North", TEAM_LEAD), now)
    rt.store.upsert_agents(
        [
            Agent(
                "default",
                k,
                "north",
                first_name=k,
                email=f"{k}@agents.test",
                mobile_phone=f"+1212555{i:04d}",
            )
            for i, k in enumerate(AGENTS, start=1)
        ],
        now,
    )
    for k in AGENTS:
        rt.store.save_agent_profile(
            AgentProfile("default", k, urgent_after_hours=k != STRICT_AGENT, updated_at=now)
        )
    for name in names:
        templates.install(rt, operator("default"), name, {}, now, publish=True)
    sim = Simulation(rt, EngagementModel(seed))
    return Play(rt, sim, random.Random(seed))
