-- leadflow schema, version 260: indexes for the agent-performance report's speed to lead,
-- counted in the database (store/analytics_sql.py, lead_counts). Indexes only, so the upgrade
-- keeps every row.

-- A contact's messages by the time they were sent: a lead's first message sent at or after
-- its creation is one seek of this index, not a read of each of its messages' rows. Partial:
-- a message not yet sent is not in it.
CREATE INDEX messages_contact_sent ON messages (contact_id, sent_at) WHERE sent_at IS NOT NULL;

-- An owner's contacts by id, with when each was made: the report reads the leads of its agents
-- from the index alone. It starts with the columns of contacts_tenant_owner (0007), so it
-- serves everything that served, and that one goes.
CREATE INDEX contacts_tenant_owner_created ON contacts (tenant_id, owner, id, created_at);
DROP INDEX contacts_tenant_owner;
