"""The ``score`` node: recompute the contact's lead score inside a workflow.

The new score is stored on the contact with the step (a contact patch), a band crossing records
``lead.score_changed`` with the step, and the nodes after it see ``contact.score`` and
``contact.score_band`` (and ``steps.<node>.score`` / ``steps.<node>.band``), and, when the
tenant has trained a predictive model (``leadflow scoring retrain``),
``steps.<node>.probability``: the lead's probability of the model's goal within its horizon
(None without a model), so a branch can read ``steps.rescore.probability > 0.3``.
"""

from __future__ import annotations

from leadflow.definitions import models as m
from leadflow.engine.context import Go, Result, StepContext
from leadflow.errors import PermanentStepError
from leadflow.scoring.config import load_config
from leadflow.scoring.probability import Probabilities
from leadflow.scoring.recompute import rescore, score_contact
from leadflow.store.contract import Store


class ScoreHandler:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.probabilities = Probabilities(store)

    def enter(self, ctx: StepContext, node: m.Score) -> Result:
        contact = ctx.contact
        if contact is None:
            raise PermanentStepError("score: the run's contact no longer exists")
        config = load_config(self.store, contact.tenant_id)
        score = score_contact(self.store, contact, ctx.now, config)
        result = rescore(score, contact, config)
        if result.patch is not None:
            ctx.patches.append(result.patch)
            contact.fields.update(result.patch.set)  # the nodes after this one see it
        if result.event is not None:
            ctx.events.append(result.event)
        value = round(score.score, 2)
        probability = self.probabilities.of(contact, ctx.now)
        ctx.remember(node.id, score=value, band=score.band, probability=probability)
        data: dict[str, object] = {"score": value}
        if probability is not None:
            data["probability"] = probability
        return Go(node.next, outcome=f"scored:{score.band}", data=data)

    def resume(self, ctx: StepContext, node: m.Score) -> Result:  # pragma: no cover - never sleeps
        return Go(node.next, outcome="resumed")
