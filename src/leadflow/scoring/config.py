"""Per-tenant scoring configuration: component weights, decay half-life and score bands.

A tenant without a configuration of its own uses :data:`DEFAULT_CONFIG` (weights 0.4 / 0.3 /
0.3, a 30-day half-life, cold < 40 <= warm < 70 <= hot). A tenant's configuration is stored as
JSON in the store's key/value meta under ``scoring.config:<tenant>``: every backend has it, so
no table is needed, and ``leadflow scoring config`` changes it without a restart.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from leadflow.errors import InvalidInput
from leadflow.store.contract import CoreStore

COMPONENTS: tuple[str, ...] = ("behavioural", "demographic", "engagement")
_META_PREFIX = "scoring.config:"


class ScoringConfigError(InvalidInput):
    """The scoring configuration is invalid."""


@dataclass(frozen=True, slots=True)
class ScoringConfig:
    """Weights by component (normalised to sum to 1), half-life in days, and bands as
    (name, lower bound) pairs in ascending order; the first band starts at 0."""

    weights: dict[str, float] = field(
        default_factory=lambda: {"behavioural": 0.4, "demographic": 0.3, "engagement": 0.3}
    )
    half_life_days: float = 30.0
    bands: tuple[tuple[str, float], ...] = (("cold", 0.0), ("warm", 40.0), ("hot", 70.0))

    def band_of(self, score: float) -> str:
        name = self.bands[0][0]
        for band, lower in self.bands:
            if score >= lower:
                name = band
        return name

    def as_dict(self) -> dict[str, Any]:
        return {
            "weights": dict(self.weights),
            "half_life_days": self.half_life_days,
            "bands": {name: lower for name, lower in self.bands},
        }


def make_config(
    weights: dict[str, float] | None = None,
    half_life_days: float | None = None,
    bands: dict[str, float] | None = None,
) -> ScoringConfig:
    """A checked configuration; what is not given keeps its default. Weights are normalised."""
    base = ScoringConfig()
    return ScoringConfig(
        weights=_weights(weights) if weights is not None else base.weights,
        half_life_days=_half_life(half_life_days) if half_life_days is not None else 30.0,
        bands=_bands(bands) if bands is not None else base.bands,
    )


def _weights(raw: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(raw) - set(COMPONENTS))
    if unknown:
        raise ScoringConfigError(
            f"weights: unknown component {', '.join(unknown)} (expected {', '.join(COMPONENTS)})"
        )
    values = {c: raw.get(c, 0.0) for c in COMPONENTS}
    for name, value in values.items():
        if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise ScoringConfigError(f"weights.{name}: must be a non-negative number, got {value}")
    total = sum(values.values())
    if total <= 0:
        raise ScoringConfigError("weights: must sum to more than 0")
    return {name: value / total for name, value in values.items()}


def _half_life(value: float) -> float:
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise ScoringConfigError(f"half_life_days: must be a number above 0, got {value}")
    return float(value)


def _bands(raw: dict[str, float]) -> tuple[tuple[str, float], ...]:
    """``{"warm": 40, "hot": 70}``: lower bounds of the bands above the lowest one; the lowest
    band (``cold`` unless given with bound 0) starts at 0."""
    pairs: list[tuple[str, float]] = []
    for name, lower in raw.items():
        if not name or not name.replace("_", "").isalnum():
            raise ScoringConfigError(f"bands: invalid band name {name!r}")
        if not isinstance(lower, int | float) or not math.isfinite(lower) or not 0 <= lower <= 100:
            raise ScoringConfigError(f"bands.{name}: lower bound must be 0-100, got {lower}")
        pairs.append((name, float(lower)))
    pairs.sort(key=lambda p: p[1])
    bounds = [lower for _, lower in pairs]
    if len(set(bounds)) != len(bounds):
        raise ScoringConfigError("bands: two bands share a lower bound")
    if not pairs or pairs[0][1] > 0:
        if any(name == "cold" for name, _ in pairs):
            raise ScoringConfigError("bands.cold: the lowest band must start at 0")
        pairs.insert(0, ("cold", 0.0))
    return tuple(pairs)


def parse_weights(text: str) -> dict[str, float]:
    """``"0.5,0.25,0.25"`` (behavioural, demographic, engagement)."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != len(COMPONENTS):
        raise ScoringConfigError(
            f"weights: expected {len(COMPONENTS)} numbers ({', '.join(COMPONENTS)}), got {text!r}"
        )
    try:
        return {c: float(p) for c, p in zip(COMPONENTS, parts, strict=True)}
    except ValueError:
        raise ScoringConfigError(f"weights: not a list of numbers: {text!r}") from None


def parse_bands(text: str) -> dict[str, float]:
    """``"warm=40,hot=70"``."""
    out: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise ScoringConfigError(f"bands: expected NAME=NUMBER, got {part.strip()!r}")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ScoringConfigError(f"bands.{name.strip()}: not a number: {value!r}") from None
    return out


def from_dict(data: dict[str, Any]) -> ScoringConfig:
    return make_config(data.get("weights"), data.get("half_life_days"), data.get("bands"))


def load_config(store: CoreStore, tenant_id: str) -> ScoringConfig:
    raw = store.get_meta(_META_PREFIX + tenant_id)
    if raw is None:
        return ScoringConfig()
    return from_dict(json.loads(raw))


def save_config(store: CoreStore, tenant_id: str, config: ScoringConfig) -> None:
    store.set_meta(_META_PREFIX + tenant_id, json.dumps(config.as_dict(), sort_keys=True))


DEFAULT_CONFIG = ScoringConfig()
