"""The one SQL store base: the contract on SQL, composed of the shared write paths
(:mod:`.sql_writes`), reads (:mod:`.sql_reads`) and the per-section SQL mixins. The SQLite and
PostgreSQL stores derive from it and add their plumbing and dialect hooks."""

from __future__ import annotations

from typing import Any

from leadflow.model.records import WorkflowVersion
from leadflow.store import sqlfiles
from leadflow.store.ai_sql import SqlAiCalls
from leadflow.store.analytics_sql import SqlAnalytics
from leadflow.store.codec import SANDBOX_COLS, WORKFLOW_COLS, workflow_from_row
from leadflow.store.compose_sql import SqlComposeDrafts
from leadflow.store.contract import Store
from leadflow.store.crm_sql import SqlCrm
from leadflow.store.drafts_sql import SqlDrafts
from leadflow.store.event_outcomes import SqlEventOutcomes
from leadflow.store.experiments_sql import SqlExperiments
from leadflow.store.listing_matches import SqlListingMatches
from leadflow.store.listings_sql import SqlListings
from leadflow.store.meta_sql import SqlMeta
from leadflow.store.orchestration_sql import SqlOrchestration
from leadflow.store.playbooks_sql import SqlPlaybooks
from leadflow.store.rules_sql import SqlRules
from leadflow.store.score_models_sql import SqlScoreModels
from leadflow.store.senders_sql import SqlSenders
from leadflow.store.sql_common import publish_version
from leadflow.store.sql_reads import SqlReads
from leadflow.store.sql_writes import SqlWrites
from leadflow.store.tenancy_sql import SqlTenancy
from leadflow.store.web_sessions_sql import SqlWebSessions
from leadflow.store.webhooks_sql import SqlWebhooks

_MIGRATION_LOCK = "leadflow.migrations"


class SqlStore(
    SqlWrites,
    SqlReads,
    SqlEventOutcomes,
    SqlTenancy,
    SqlSenders,
    SqlDrafts,
    SqlWebSessions,
    SqlWebhooks,
    SqlListings,
    SqlListingMatches,
    SqlScoreModels,
    SqlExperiments,
    SqlAnalytics,
    SqlAiCalls,
    SqlOrchestration,
    SqlPlaybooks,
    SqlComposeDrafts,
    SqlMeta,
    SqlCrm,
    SqlRules,
    Store,
):
    """:class:`Store` on SQL; a subclass names its dialect (``_dialect_name``: its migrations
    and named queries live in ``store/sql/<name>/``) and gives the hooks of :class:`SqlWrites`."""

    _dialect_name: str
    _now_sql: str  # the wall clock, in seconds since the epoch (when a migration was applied)

    # ------------------------------------------------------------------ schema
    def _migrations(self) -> list[sqlfiles.Migration]:
        return sqlfiles.migrations(self._dialect_name)

    def upgrade(self) -> list[int]:
        applied: list[int] = []
        record = self._dialect.sql(
            f"INSERT INTO schema_migrations (version, applied_at) VALUES (?, {self._now_sql})"
        )
        for migration in self._migrations():
            with self._write() as conn:
                # two upgraders at once: the second waits, then sees the version applied
                self._lock_keys(conn, "migrations", [_MIGRATION_LOCK])
                if migration.version in self._applied(conn):
                    continue
                for statement in migration.statements():
                    conn.execute(statement)  # no parameters, so a % is literal
                conn.execute(record, (migration.version,))
            applied.append(migration.version)
        return applied

    # ------------------------------------------------------------------ workflows
    def _publish(
        self, tenant_id: str, key: str, name: str, definition: dict[str, Any], now: float
    ) -> WorkflowVersion:
        with self._write() as conn:
            self._lock_keys(conn, "workflow", [f"{tenant_id}/{key}"])
            return publish_version(conn, self._dialect, key, name, definition, now, tenant_id)

    def list_workflows(self, tenant_id: str | None = None) -> list[WorkflowVersion]:
        if tenant_id is None:
            sql, params = self._query("latest_workflows"), {}
        else:
            sql, params = self._query("latest_workflows_of_tenant"), {"tenant": tenant_id}
        with self._read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [workflow_from_row(r) for r in rows]

    # ------------------------------------------------------------------ events
    def event_marks(self, after_id: int, limit: int) -> list[tuple[int, float]]:
        p = self._dialect.placeholder
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT id, created_at FROM events WHERE id > {p} ORDER BY id LIMIT {p}",
                (after_id, limit),
            ).fetchall()
        return [(int(r[0]), float(r[1])) for r in rows]

    def _query(self, name: str) -> str:
        """The dialect's named query ``name`` (``store/sql/<dialect>/queries/<name>.sql``)."""
        return sqlfiles.query(
            self._dialect_name, name, WORKFLOW_COLS=WORKFLOW_COLS, SANDBOX_COLS=SANDBOX_COLS
        )


__all__ = ["SqlStore"]
