"""Predictive-score models on SQLite and PostgreSQL (``?`` placeholders, adapted per dialect)."""

from __future__ import annotations

from typing import Any

from leadflow.model.jsonvalue import dumps, loads
from leadflow.model.score_models import NewScoreModel, ScoreModel
from leadflow.store.codec import row_reader
from leadflow.store.contract_score_models import ScoreModelStore
from leadflow.store.parts import SqlPart

_COLS = (
    "tenant_id, version, created_at, algorithm, goal, horizon_days, metrics, feature_names, model"
)
_INSERT = f"INSERT INTO score_models ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
_NEXT = "SELECT coalesce(max(version), 0) + 1 FROM score_models WHERE tenant_id = ?"


_from_row = row_reader(
    ScoreModel,
    _COLS,
    {
        "version": int,
        "created_at": float,
        "horizon_days": int,
        "metrics": loads,
        "feature_names": loads,
        "model": bytes,
    },
)


class SqlScoreModels(SqlPart, ScoreModelStore):
    """The score-model methods of the Store contract for the two SQL backends."""

    def save_score_model(self, new: NewScoreModel, now: float) -> ScoreModel:
        sql = self._dialect.sql
        with self._write() as conn:
            version = int(conn.execute(sql(_NEXT), (new.tenant_id,)).fetchone()[0])
            row = (
                new.tenant_id,
                version,
                now,
                new.algorithm,
                new.goal,
                new.horizon_days,
                dumps(new.metrics),
                dumps(new.feature_names),
                new.model,
            )
            conn.execute(sql(_INSERT), row)
        return _from_row(row)

    def get_score_model(self, tenant_id: str, version: int | None = None) -> ScoreModel | None:
        text = f"SELECT {_COLS} FROM score_models WHERE tenant_id = ?"
        params: tuple[Any, ...] = (tenant_id,)
        if version is not None:
            text += " AND version = ?"
            params += (version,)
        return self._fetch_one_as(_from_row, text + " ORDER BY version DESC LIMIT 1", params)

    def list_score_models(self, tenant_id: str) -> list[ScoreModel]:
        return self._fetch_as(
            _from_row,
            f"SELECT {_COLS} FROM score_models WHERE tenant_id = ? ORDER BY version",
            (tenant_id,),
        )


__all__ = ["SqlScoreModels"]
