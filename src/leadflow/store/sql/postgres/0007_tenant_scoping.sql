-- leadflow schema, version 7: every contact and workflow belongs to a tenant (brokerage). Data
-- from before this version, and data entered without a tenant, belongs to tenant 'default'.
-- Runs, messages and events belong to their contact's tenant; the API's scoped reads join on
-- contacts (tenant, owner), so these indexes serve them.

ALTER TABLE contacts ADD COLUMN tenant_id TEXT COLLATE "C" NOT NULL DEFAULT 'default';
CREATE INDEX contacts_tenant_owner ON contacts (tenant_id, owner, id);
CREATE INDEX contacts_tenant_email ON contacts (tenant_id, lower(email)) WHERE email IS NOT NULL;
CREATE INDEX contacts_tenant_phone ON contacts (tenant_id, phone) WHERE phone IS NOT NULL;

ALTER TABLE workflows ADD COLUMN tenant_id TEXT COLLATE "C" NOT NULL DEFAULT 'default';
CREATE INDEX workflows_tenant ON workflows (tenant_id, key);

