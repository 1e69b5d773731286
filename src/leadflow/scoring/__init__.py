"""Lead scoring: a transparent 0-100 score made of weighted, decaying factors.

- :mod:`.rules`: the factors and the weighted sum (:func:`compute_score`);
- :mod:`.config`: per-tenant weights, half-life and bands (:func:`load_config`);
- :mod:`.recompute`: scores stored on contacts, ``lead.score_changed`` on band crossings;
- :mod:`.node`: the ``score`` workflow node.
"""

from leadflow.scoring.config import DEFAULT_CONFIG, ScoringConfig, load_config, make_config
from leadflow.scoring.recompute import SCORE_CHANGED, rescore_for_events, score_contact
from leadflow.scoring.rules import FACTORS, Score, compute_score

__all__ = [
    "DEFAULT_CONFIG",
    "FACTORS",
    "SCORE_CHANGED",
    "Score",
    "ScoringConfig",
    "compute_score",
    "load_config",
    "make_config",
    "rescore_for_events",
    "score_contact",
]
