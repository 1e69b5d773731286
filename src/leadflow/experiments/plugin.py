"""The experiments feature's plugin: the ``split`` node with sticky, stored arms, the periodic
review of due experiments, and the experiments synced with every published version."""

from __future__ import annotations

from leadflow.engine.plugins import Plugin
from leadflow.experiments.node import ExperimentSplitHandler
from leadflow.experiments.sync import published_hook
from leadflow.store.contract import Store

REVIEW_EVERY_S = 60.0  # a worker looks for due experiments at most this often (clock time)


class ReviewJob:
    """The periodic job: reviews the experiments due at ``now``; how many decisions it stored.
    The statistics stack (numpy, scipy) is imported only when some experiment is due: a worker
    of a tenant without experiments never loads it."""

    name = "experiments.review"

    def __init__(self, store: Store, interval_s: float = REVIEW_EVERY_S) -> None:
        self.store = store
        self.interval_s = interval_s

    def run(self, now: float) -> int:
        if not self.store.due_experiments(now):
            return 0
        from leadflow.experiments.review import review_due

        return review_due(self.store, now)


def experiments_plugin(store: Store) -> Plugin:
    return Plugin(
        "experiments",
        handlers={"split": ExperimentSplitHandler(store)},
        jobs=[ReviewJob(store)],
        publish_hooks=[published_hook(store)],
    )


__all__ = ["REVIEW_EVERY_S", "ReviewJob", "experiments_plugin"]
