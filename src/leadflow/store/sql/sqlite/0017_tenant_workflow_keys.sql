-- leadflow schema, version 17: workflow keys are per tenant. Two tenants may each publish
-- `new-lead-welcome`, each with its own versions 1, 2, ...; a workflow is (tenant_id, key) and a
-- version (tenant_id, key, version). Schedules name their workflow's tenant. Runs and messages
-- keep their workflow key and belong to their contact's tenant, as before. Keys were unique
-- across tenants until now, so every existing row keeps its tenant and nothing is renumbered.
-- (Version 16 may be taken by another change; this one does not depend on it.)
-- Never edit a shipped migration: later changes go in a new file.

CREATE TABLE workflows_by_tenant (
    tenant_id    TEXT NOT NULL DEFAULT 'default',
    key          TEXT NOT NULL,
    version      INTEGER NOT NULL,
    name         TEXT NOT NULL,
    definition   TEXT NOT NULL,
    published_at REAL NOT NULL,
    PRIMARY KEY (tenant_id, key, version)
);
INSERT INTO workflows_by_tenant (tenant_id, key, version, name, definition, published_at)
    SELECT tenant_id, key, version, name, definition, published_at FROM workflows;
DROP INDEX workflows_tenant;
DROP TABLE workflows;
ALTER TABLE workflows_by_tenant RENAME TO workflows;

CREATE TABLE schedules_by_tenant (
    tenant_id     TEXT NOT NULL DEFAULT 'default',
    workflow_key  TEXT NOT NULL,
    version       INTEGER NOT NULL,
    trigger_index INTEGER NOT NULL,
    cron          TEXT NOT NULL,
    timezone      TEXT NOT NULL,
    next_fire_at  REAL NOT NULL,
    PRIMARY KEY (tenant_id, workflow_key, trigger_index)
);
INSERT INTO schedules_by_tenant (tenant_id, workflow_key, version, trigger_index, cron, timezone,
                                 next_fire_at)
    SELECT coalesce((SELECT w.tenant_id FROM workflows w WHERE w.key = s.workflow_key
                     ORDER BY w.version DESC LIMIT 1), 'default'),
           s.workflow_key, s.version, s.trigger_index, s.cron, s.timezone, s.next_fire_at
    FROM schedules s;
DROP INDEX schedules_due;
DROP TABLE schedules;
ALTER TABLE schedules_by_tenant RENAME TO schedules;
CREATE INDEX schedules_due ON schedules (next_fire_at);
