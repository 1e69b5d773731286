-- leadflow schema, version 17: workflow keys are per tenant. Two tenants may each publish
-- `new-lead-welcome`, each with its own versions 1, 2, ...; a workflow is (tenant_id, key) and a
-- version (tenant_id, key, version). Schedules name their workflow's tenant. Runs and messages
-- keep their workflow key and belong to their contact's tenant, as before. Keys were unique
-- across tenants until now, so every existing row keeps its tenant and nothing is renumbered.
-- (Version 16 may be taken by another change; this one does not depend on it.)
-- Never edit a shipped migration: later changes go in a new file.

ALTER TABLE workflows DROP CONSTRAINT workflows_pkey;
ALTER TABLE workflows ADD PRIMARY KEY (tenant_id, key, version);
DROP INDEX workflows_tenant;

ALTER TABLE schedules ADD COLUMN tenant_id TEXT COLLATE "C" NOT NULL DEFAULT 'default';
UPDATE schedules s SET tenant_id = w.tenant_id
    FROM (SELECT DISTINCT ON (key) key, tenant_id FROM workflows ORDER BY key, version DESC) w
    WHERE w.key = s.workflow_key;
ALTER TABLE schedules DROP CONSTRAINT schedules_pkey;
ALTER TABLE schedules ADD PRIMARY KEY (tenant_id, workflow_key, trigger_index);
